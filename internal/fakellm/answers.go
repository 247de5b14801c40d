package fakellm

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/modelsql/modelsql/internal/llm"
)

// directive is one fault or answer instruction, from Options.Fault or a
// "[[fake:…]]" marker in the request text.
//
//	[[fake:503]]                    answer HTTP 503 (any status 400–599)
//	[[fake:429;retry-after=2]]      … with a Retry-After header (seconds or HTTP-date)
//	[[fake:500;message=boom]]       … with this error message
//	[[fake:503;times=2]]            only the first 2 arrivals of this exact body fail
//	[[fake:hang]]                   never answer (until the client gives up)
//	[[fake:malformed]]              200 with a truncated JSON body
//	[[fake:reset]]                  200, part of the body, then a TCP reset
//	[[fake:empty]]                  200 with no choices / no embeddings
//	[[fake:echo-auth]]              401 whose message repeats the Authorization header
//	[[fake:latency=200ms]]          extra latency (Go duration)
//	[[fake:answer=TEXT]]            reply TEXT as the chat content (rest of the marker)
//	[[fake:dims=3]]                 embeddings of 3 dimensions whatever was asked
//	[[fake:schema-miss]]            with response_format: malformed JSON in the first round (no assistant message yet)
//	[[fake:schema-miss=always]]     … in every round
type directive struct {
	kind       string // status hang malformed reset empty echo-auth latency answer dims invalid
	status     int
	retryAfter string
	hasRA      bool
	message    string
	times      int
	latency    time.Duration
	value      string
	n          int
}

func (d directive) String() string {
	s := d.kind
	if d.kind == "status" {
		s = strconv.Itoa(d.status)
		if d.hasRA {
			s += ";retry-after=" + d.retryAfter
		}
	}
	if d.times > 0 {
		s += ";times=" + strconv.Itoa(d.times)
	}
	return s
}

var directiveRE = regexp.MustCompile(`\[\[fake:(.*?)\]\]`)

func findDirectives(text string) []directive {
	var out []directive
	for _, m := range directiveRE.FindAllStringSubmatch(text, -1) {
		out = append(out, parseDirective(m[1]))
	}
	return out
}

func parseDirective(spec string) directive {
	spec = strings.TrimSpace(spec)
	if v, ok := strings.CutPrefix(spec, "answer="); ok {
		return directive{kind: "answer", value: v}
	}
	toks := strings.Split(spec, ";")
	d := directive{}
	head := strings.TrimSpace(toks[0])
	switch {
	case strings.HasPrefix(head, "latency="):
		lat, err := time.ParseDuration(strings.TrimPrefix(head, "latency="))
		if err != nil || lat < 0 {
			return directive{kind: "invalid", value: spec}
		}
		d.kind, d.latency = "latency", lat
	case strings.HasPrefix(head, "dims="):
		n, err := strconv.Atoi(strings.TrimPrefix(head, "dims="))
		if err != nil || n < 1 {
			return directive{kind: "invalid", value: spec}
		}
		d.kind, d.n = "dims", n
	case len(head) == 3 && head[0] >= '4' && head[0] <= '5':
		n, err := strconv.Atoi(head)
		if err != nil {
			return directive{kind: "invalid", value: spec}
		}
		d.kind, d.status = "status", n
	case head == "schema-miss", head == "schema-miss=always":
		d.kind, d.value = "schema-miss", strings.TrimPrefix(strings.TrimPrefix(head, "schema-miss"), "=")
	case head == "hang", head == "malformed", head == "reset", head == "empty", head == "echo-auth":
		d.kind = head
	default:
		return directive{kind: "invalid", value: spec}
	}
	for _, t := range toks[1:] {
		k, v, _ := strings.Cut(strings.TrimSpace(t), "=")
		switch k {
		case "times":
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				return directive{kind: "invalid", value: spec}
			}
			d.times = n
		case "retry-after":
			d.retryAfter, d.hasRA = v, true
		case "message":
			d.message = v
		default:
			return directive{kind: "invalid", value: spec}
		}
	}
	return d
}

type answerOverride struct {
	content string
	set     bool
	dims    int
}

// chatAnswer builds the chat completion for a request.
func chatAnswer(req apiRequest, in inputs, ov answerOverride) map[string]any {
	p := llm.ParsePrompt(in.prompt)
	var content string
	truncatable := false
	switch {
	case ov.set:
		content = ov.content
	case req.ResponseFormat != nil && len(req.ResponseFormat.JSONSchema.Schema) > 0:
		content = SchemaAnswer(req.ResponseFormat.JSONSchema.Schema, in.firstPrompt)
	case p.Task == llm.TaskClassify:
		content = jsonObj("label", Classify(p.Input, p.Labels))
	case p.Task == llm.TaskSentiment:
		content = jsonObj("sentiment", Sentiment(p.Input))
	case p.Task == llm.TaskExtract:
		content = Extract(p.Input, p.Labels)
	case p.Task == llm.TaskSummarize:
		content, truncatable = Summarize(p.Input), true
	case p.Task == llm.TaskTranslate:
		content, truncatable = Translate(p.Input, p.Target), true
	case p.Task == llm.TaskSimilarity:
		b, _ := json.Marshal(map[string]any{"score": Similarity(p.Input, p.Input2)})
		content = string(b)
	default:
		content, truncatable = Generate(in.prompt, in.media), true
	}
	finish := "stop"
	if truncatable && req.MaxTokens != nil && *req.MaxTokens > 0 {
		if w := strings.Fields(content); len(w) > *req.MaxTokens {
			content, finish = strings.Join(w[:*req.MaxTokens], " "), "length"
		}
	}
	h := sha256.Sum256([]byte(in.prompt + "\x00" + content))
	pt, ct := len(strings.Fields(in.prompt)), len(strings.Fields(content))
	return map[string]any{
		"id":      fmt.Sprintf("chatcmpl-fake-%x", h[:6]),
		"object":  "chat.completion",
		"created": time.Now().Unix(),
		"model":   req.Model,
		"choices": []any{map[string]any{
			"index":         0,
			"message":       map[string]any{"role": "assistant", "content": content},
			"finish_reason": finish,
		}},
		"usage": map[string]any{"prompt_tokens": pt, "completion_tokens": ct, "total_tokens": pt + ct},
	}
}

func jsonObj(k, v string) string {
	b, _ := json.Marshal(map[string]string{k: v})
	return string(b)
}

// Generate is the answer to a plain prompt: "echo: " + the media
// descriptors + the prompt.
func Generate(prompt string, media []string) string {
	return "echo: " + strings.Join(append(append([]string(nil), media...), prompt), " ")
}

// words lower-cases s and keeps letters and digits, one space between.
func words(s string) string {
	return strings.Join(strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsNumber(r)
	}), " ")
}

// Classify is the fake classifier: the first label (in list order) named
// in the input as whole words, else a label chosen by a hash of the input.
func Classify(input string, labels []string) string {
	if len(labels) == 0 {
		return ""
	}
	low := " " + words(input) + " "
	for _, l := range labels {
		if k := words(l); k != "" && strings.Contains(low, " "+k+" ") {
			return l
		}
	}
	h := fnv.New64a()
	h.Write([]byte(input))
	return labels[h.Sum64()%uint64(len(labels))]
}

// Extract is the fake extractor: a JSON object with every label as key;
// the value is what follows "label:" or "label=" in the input up to a
// comma, semicolon or line end, else null.
func Extract(input string, labels []string) string {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, l := range labels {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(l)
		b.Write(k)
		b.WriteByte(':')
		re, err := regexp.Compile(`(?i)(?:^|[^\pL\pN_])` + regexp.QuoteMeta(l) + `\s*[:=]\s*([^,;\n]+)`)
		var v []byte
		if err == nil {
			if m := re.FindStringSubmatch(input); m != nil {
				if s := strings.TrimRight(strings.TrimSpace(m[1]), "."); s != "" {
					v, _ = json.Marshal(s)
				}
			}
		}
		if v == nil {
			v = []byte("null")
		}
		b.Write(v)
	}
	b.WriteByte('}')
	return b.String()
}

// Summarize is the fake summary: the first sentence, at most 20 words.
func Summarize(input string) string {
	s := strings.TrimSpace(input)
	if i := strings.IndexAny(s, "\n。"); i >= 0 {
		s = s[:i]
	}
	for _, sep := range []string{". ", "! ", "? "} {
		if i := strings.Index(s, sep); i >= 0 {
			s = s[:i+1]
		}
	}
	w := strings.Fields(s)
	if len(w) > 20 {
		w = w[:20]
	}
	return strings.Join(w, " ")
}

// Translate is the fake translation: "[<target>] " + input.
func Translate(input, target string) string { return "[" + target + "] " + input }

var (
	positiveWords = map[string]bool{"good": true, "great": true, "excellent": true, "love": true, "loved": true, "happy": true,
		"amazing": true, "wonderful": true, "best": true, "like": true, "fantastic": true, "perfect": true, "nice": true}
	negativeWords = map[string]bool{"bad": true, "terrible": true, "awful": true, "hate": true, "hated": true, "poor": true,
		"worst": true, "broken": true, "sad": true, "horrible": true, "disappointing": true, "slow": true, "angry": true}
)

// Sentiment is the fake sentiment: positive/negative keyword counts.
func Sentiment(input string) string {
	pos, neg := 0, 0
	for _, w := range strings.Fields(words(input)) {
		if positiveWords[w] {
			pos++
		}
		if negativeWords[w] {
			neg++
		}
	}
	switch {
	case pos > 0 && neg > 0:
		return "mixed"
	case pos > 0:
		return "positive"
	case neg > 0:
		return "negative"
	}
	return "neutral"
}

// Similarity is the fake similarity judgement: the Jaccard index of the
// word sets, rounded to 4 decimals.
func Similarity(a, b string) float64 {
	sa, sb := map[string]bool{}, map[string]bool{}
	for _, w := range strings.Fields(words(a)) {
		sa[w] = true
	}
	for _, w := range strings.Fields(words(b)) {
		sb[w] = true
	}
	if len(sa) == 0 && len(sb) == 0 {
		return 1
	}
	inter := 0
	for w := range sa {
		if sb[w] {
			inter++
		}
	}
	j := float64(inter) / float64(len(sa)+len(sb)-inter)
	return math.Round(j*1e4) / 1e4
}

func decodeBase64(s string) ([]byte, error) {
	if b, err := base64.StdEncoding.DecodeString(s); err == nil {
		return b, nil
	}
	return base64.RawStdEncoding.DecodeString(s)
}
