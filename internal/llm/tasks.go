package llm

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Label limits of AI_CLASSIFY and AI_EXTRACT.
const (
	MinClassifyLabels = 2
	MaxClassifyLabels = 20
	MinExtractLabels  = 1
	MaxExtractLabels  = 20
)

// ValidateClassifyLabels checks an AI_CLASSIFY label list: 2 to 20
// non-blank labels, distinct after case folding. The error is an
// invalid_argument *Error.
func ValidateClassifyLabels(labels []string) error {
	return validateLabels(labels, MinClassifyLabels, MaxClassifyLabels)
}

// ValidateExtractLabels checks an AI_EXTRACT label list: 1 to 20 non-blank
// labels, distinct after case folding.
func ValidateExtractLabels(labels []string) error {
	return validateLabels(labels, MinExtractLabels, MaxExtractLabels)
}

func validateLabels(labels []string, lo, hi int) error {
	if len(labels) < lo || len(labels) > hi {
		return &Error{Class: ClassInvalidArgument, Message: fmt.Sprintf("labels must hold %d to %d labels, got %d", lo, hi, len(labels))}
	}
	seen := map[string]bool{}
	for _, l := range labels {
		if strings.TrimSpace(l) == "" {
			return &Error{Class: ClassInvalidArgument, Message: "labels must not be empty or blank"}
		}
		k := strings.ToLower(strings.TrimSpace(l))
		if seen[k] {
			return &Error{Class: ClassInvalidArgument, Message: excerpt("duplicate label " + quote(l))}
		}
		seen[k] = true
	}
	return nil
}

// Generate is AI_GENERATE on an LLM: the prompt as the user message; the
// answer is returned as the server sent it.
func (c *Client) Generate(ctx context.Context, prompt string, params Params) (string, error) {
	r, err := c.GenerateInfo(ctx, nil, prompt, params)
	return r.Content, err
}

// GenerateMedia is AI_GENERATE on an MLLM: media (URL or bytes) plus prompt.
func (c *Client) GenerateMedia(ctx context.Context, media Media, prompt string, params Params) (string, error) {
	r, err := c.GenerateInfo(ctx, &media, prompt, params)
	return r.Content, err
}

// Embed is AI_EMBEDDING of a text. Set params "dimensions" (see
// Params.WithDefault) for a non-default size.
func (c *Client) Embed(ctx context.Context, text string, params Params) ([]float32, error) {
	r, err := c.embeddings(ctx, "embedding", EmbedRequest{Inputs: []string{text}, Params: params})
	if err != nil {
		return nil, err
	}
	return r.Vectors[0], nil
}

// EmbedTexts is AI_EMBEDDING of several texts in one request (the "input"
// list; a single text is sent as a string, as Embed sends it). The vectors
// are in input order, matched by the answer's "index". A batch the server
// finds too large fails with an error for which IsTooLarge holds.
func (c *Client) EmbedTexts(ctx context.Context, texts []string, params Params) ([][]float32, error) {
	r, err := c.embeddings(ctx, "embedding", EmbedRequest{Inputs: texts, Params: params})
	if err != nil {
		return nil, err
	}
	return r.Vectors, nil
}

// tooLargeRE matches the messages servers give for an input over the
// model's context (vLLM, OpenAI, Ollama, TEI, DashScope wordings).
var tooLargeRE = regexp.MustCompile(`(?i)context[ _-]?(length|window)|maximum context|too many tokens|too long|(input|sequence|prompt)[ _-]?(length|tokens?)|exceeds? (the )?(max|limit)|token limit|batch size`)

// IsTooLarge reports whether err is a server's refusal of a request for its
// size: HTTP 413, or a 400/422 whose message speaks of context length.
// Splitting the request's inputs may then succeed.
func IsTooLarge(err error) bool {
	e, ok := AsError(err)
	if !ok {
		return false
	}
	switch e.Status {
	case http.StatusRequestEntityTooLarge:
		return true
	case http.StatusBadRequest, http.StatusUnprocessableEntity:
		return tooLargeRE.MatchString(e.Message)
	}
	return false
}

// EmbedMedia is AI_EMBEDDING of BINARY data or a media URL on a
// multi-modal embedding model.
func (c *Client) EmbedMedia(ctx context.Context, media Media, params Params) ([]float32, error) {
	r, err := c.embeddings(ctx, "embedding", EmbedRequest{Media: &media, Params: params})
	if err != nil {
		return nil, err
	}
	return r.Vectors[0], nil
}

// Classify is AI_CLASSIFY: it returns exactly one of labels (as given). A
// reply that cannot be mapped to one label is a validation *Error.
func (c *Client) Classify(ctx context.Context, input string, labels []string, params Params) (string, error) {
	if err := ValidateClassifyLabels(labels); err != nil {
		return "", c.annotate("classify", err)
	}
	r, err := c.chat(ctx, "classify", ChatRequest{Prompt: ClassifyPrompt(input, labels), Params: params})
	if err != nil {
		return "", err
	}
	l, ok := MatchLabel(r.Content, labels)
	if !ok {
		return "", c.validation("classify", r, "the answer %s is not one of the labels %s", quote(excerpt(r.Content)), jsonLine(labels))
	}
	return l, nil
}

// Extract is AI_EXTRACT: it returns a JSON object string with every label
// as a key, in label order, null when not found.
func (c *Client) Extract(ctx context.Context, input string, labels []string, params Params) (string, error) {
	if err := ValidateExtractLabels(labels); err != nil {
		return "", c.annotate("extract", err)
	}
	r, err := c.chat(ctx, "extract", ChatRequest{Prompt: ExtractPrompt(input, labels), Params: params})
	if err != nil {
		return "", err
	}
	out, ok := NormalizeExtract(r.Content, labels)
	if !ok {
		return "", c.validation("extract", r, "answer %s is not a JSON object", quote(excerpt(r.Content)))
	}
	return out, nil
}

// Summarize is AI_SUMMARIZE.
func (c *Client) Summarize(ctx context.Context, input string, params Params) (string, error) {
	return c.textTask(ctx, "summarize", SummarizePrompt(input), params)
}

// Translate is AI_TRANSLATE into targetLanguage (a language name or code,
// e.g. 'English', 'zh').
func (c *Client) Translate(ctx context.Context, input, targetLanguage string, params Params) (string, error) {
	if strings.TrimSpace(targetLanguage) == "" {
		return "", c.annotate("translate", &Error{Class: ClassInvalidArgument, Message: "target language must not be empty"})
	}
	return c.textTask(ctx, "translate", TranslatePrompt(input, strings.TrimSpace(targetLanguage)), params)
}

func (c *Client) textTask(ctx context.Context, op, prompt string, params Params) (string, error) {
	r, err := c.chat(ctx, op, ChatRequest{Prompt: prompt, Params: params})
	if err != nil {
		return "", err
	}
	s := strings.TrimSpace(stripThink(r.Content))
	if s == "" {
		return "", c.validation(op, r, "empty answer")
	}
	return s, nil
}

// Sentiment is AI_SENTIMENT: one of positive, negative, neutral, mixed.
func (c *Client) Sentiment(ctx context.Context, input string, params Params) (string, error) {
	r, err := c.chat(ctx, "sentiment", ChatRequest{Prompt: SentimentPrompt(input), Params: params})
	if err != nil {
		return "", err
	}
	l, ok := MatchLabel(r.Content, SentimentLabels)
	if !ok {
		return "", c.validation("sentiment", r, "answer %s is not one of %s", quote(excerpt(r.Content)), jsonLine(SentimentLabels))
	}
	return l, nil
}

// Similarity is AI_SIMILARITY on an embedding model: the cosine similarity
// (in [-1, 1]) of the embeddings of a and b, fetched in one request.
func (c *Client) Similarity(ctx context.Context, a, b string, params Params) (float64, error) {
	r, err := c.embeddings(ctx, "similarity", EmbedRequest{Inputs: []string{a, b}, Params: params})
	if err != nil {
		return 0, err
	}
	s, ok := Cosine(r.Vectors[0], r.Vectors[1])
	if !ok {
		return 0, c.newError("similarity", ClassValidation, 0, r.Attempts, "embeddings of different lengths or of zero norm", nil)
	}
	return s, nil
}

// SimilarityByChat is AI_SIMILARITY on a generation model: the model rates
// the similarity in meaning of a and b as a number in [0, 1].
func (c *Client) SimilarityByChat(ctx context.Context, a, b string, params Params) (float64, error) {
	r, err := c.chat(ctx, "similarity", ChatRequest{Prompt: SimilarityPrompt(a, b), Params: params})
	if err != nil {
		return 0, err
	}
	s, ok := ParseScore(r.Content)
	if !ok {
		return 0, c.validation("similarity", r, "answer %s is not a score between 0 and 1", quote(excerpt(r.Content)))
	}
	return s, nil
}

func (c *Client) validation(op string, r ChatResult, format string, a ...any) error {
	c.lim.failures.Add(1)
	return c.newError(op, ClassValidation, 0, r.Attempts, fmt.Sprintf(format, a...), nil)
}

// Cosine is the cosine similarity of a and b; false when undefined.
func Cosine(a, b []float32) (float64, bool) {
	if len(a) != len(b) || len(a) == 0 {
		return 0, false
	}
	var dot, na, nb float64
	for i := range a {
		x, y := float64(a[i]), float64(b[i])
		dot += x * y
		na += x * x
		nb += y * y
	}
	if na == 0 || nb == 0 {
		return 0, false
	}
	s := dot / math.Sqrt(na*nb)
	return max(-1, min(1, s)), true
}

var thinkRE = regexp.MustCompile(`(?s)<think>.*?</think>`)

// stripThink removes <think>…</think> reasoning blocks (and an unclosed
// leading one's closing tag) from an answer.
func stripThink(s string) string {
	s = thinkRE.ReplaceAllString(s, "")
	if i := strings.Index(s, "</think>"); i >= 0 {
		s = s[i+len("</think>"):]
	}
	return s
}

var fenceRE = regexp.MustCompile("(?s)^```[A-Za-z0-9_-]*\\s*\\n?(.*?)\\n?\\s*```$")

// cleanAnswer strips reasoning blocks, code fences and surrounding space.
func cleanAnswer(s string) string {
	s = strings.TrimSpace(stripThink(s))
	if m := fenceRE.FindStringSubmatch(s); m != nil {
		s = strings.TrimSpace(m[1])
	}
	return s
}

// jsonCandidate decodes the answer as JSON, or the first {...} / [...] span
// in it.
func jsonCandidate(s string) (any, bool) {
	try := func(t string) (any, bool) {
		dec := json.NewDecoder(strings.NewReader(t))
		dec.UseNumber()
		var v any
		if dec.Decode(&v) != nil || dec.More() {
			return nil, false
		}
		return v, true
	}
	if v, ok := try(s); ok {
		return v, true
	}
	for _, pair := range [][2]string{{"{", "}"}, {"[", "]"}} {
		i, j := strings.Index(s, pair[0]), strings.LastIndex(s, pair[1])
		if i >= 0 && j > i {
			if v, ok := try(s[i : j+1]); ok {
				return v, true
			}
		}
	}
	return nil, false
}

// labelKey normalises a label or answer for comparison: case-folded,
// '_'/'-' as spaces, collapsed spaces, surrounding quotes and punctuation
// removed.
func labelKey(s string) string {
	s = strings.ToLower(s)
	s = strings.Map(func(r rune) rune {
		if r == '_' || r == '-' || unicode.IsSpace(r) {
			return ' '
		}
		return r
	}, s)
	s = strings.Join(strings.Fields(s), " ")
	return strings.TrimFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || strings.ContainsRune("\"'`*.,;:!?()[]{}<>“”‘’「」『』。，；：！？", r)
	})
}

var answerKeys = []string{"label", "class", "category", "answer", "sentiment", "result", "classification"}

// MatchLabel maps a model's answer onto one of labels, tolerating case,
// whitespace, quotes, markdown, <think> blocks, JSON wrapping
// ({"label": …}, ["…"], "…") and a sentence that names exactly one label.
func MatchLabel(answer string, labels []string) (string, bool) {
	s := cleanAnswer(answer)
	byKey := func(cand string) (string, bool) {
		k := labelKey(cand)
		if k == "" {
			return "", false
		}
		var hits []string
		for _, l := range labels {
			if labelKey(l) == k {
				if l == strings.TrimSpace(cand) {
					return l, true
				}
				hits = append(hits, l)
			}
		}
		if len(hits) == 1 {
			return hits[0], true
		}
		return "", false
	}
	if v, ok := jsonCandidate(s); ok {
		for _, cand := range jsonStrings(v) {
			if l, ok := byKey(cand); ok {
				return l, true
			}
		}
	}
	if l, ok := byKey(s); ok {
		return l, true
	}
	// "Label: sports" / "The answer is: sports"
	if i := strings.LastIndexAny(s, ":："); i >= 0 {
		_, w := utf8.DecodeRuneInString(s[i:])
		if l, ok := byKey(s[i+w:]); ok {
			return l, true
		}
	}
	// Exactly one label named as whole words in the answer.
	low := " " + labelKey(strings.Map(func(r rune) rune {
		if unicode.IsPunct(r) && r != '_' && r != '-' {
			return ' '
		}
		return r
	}, s)) + " "
	var found []string
	for _, l := range labels {
		if k := labelKey(l); k != "" && strings.Contains(low, " "+k+" ") {
			found = append(found, l)
		}
	}
	// drop labels contained in another found label ("positive" in "very positive")
	var outer []string
	for _, a := range found {
		inner := false
		for _, b := range found {
			if a != b && strings.Contains(" "+labelKey(b)+" ", " "+labelKey(a)+" ") {
				inner = true
				break
			}
		}
		if !inner {
			outer = append(outer, a)
		}
	}
	if len(outer) == 1 {
		return outer[0], true
	}
	return "", false
}

// jsonStrings lists the candidate answers in a decoded JSON value.
func jsonStrings(v any) []string {
	switch t := v.(type) {
	case string:
		return []string{t}
	case []any:
		if len(t) == 1 {
			return jsonStrings(t[0])
		}
	case map[string]any:
		for _, k := range answerKeys {
			for mk, mv := range t {
				if strings.EqualFold(mk, k) {
					if s := jsonStrings(mv); len(s) > 0 {
						return s
					}
				}
			}
		}
		if len(t) == 1 {
			for _, mv := range t {
				return jsonStrings(mv)
			}
		}
	}
	return nil
}

// nullish are extracted values treated as "not found".
var nullish = map[string]bool{"": true, "null": true, "none": true, "n/a": true, "nil": true}

// NormalizeExtract turns a model's answer into AI_EXTRACT's result: a JSON
// object with exactly the labels as keys, in label order; a label the
// answer lacks (or gives as "", "null", "none", "n/a") is null. Keys match
// labels case-insensitively. An answer holding no JSON object fails.
func NormalizeExtract(answer string, labels []string) (string, bool) {
	v, ok := jsonCandidate(cleanAnswer(answer))
	if !ok {
		return "", false
	}
	if a, isArr := v.([]any); isArr && len(a) == 1 {
		v = a[0]
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return "", false
	}
	lookup := func(o map[string]any, label string) (any, bool) {
		if x, ok := o[label]; ok {
			return x, true
		}
		k := labelKey(label)
		for mk, mv := range o {
			if labelKey(mk) == k {
				return mv, true
			}
		}
		return nil, false
	}
	// {"result": {...labels...}} wrapping
	if len(obj) == 1 {
		hit := false
		for _, l := range labels {
			if _, ok := lookup(obj, l); ok {
				hit = true
			}
		}
		if !hit {
			for _, inner := range obj {
				if m, ok := inner.(map[string]any); ok {
					obj = m
				}
			}
		}
	}
	var b bytes.Buffer
	b.WriteByte('{')
	for i, l := range labels {
		if i > 0 {
			b.WriteByte(',')
		}
		kb, _ := json.Marshal(l)
		b.Write(kb)
		b.WriteByte(':')
		x, _ := lookup(obj, l)
		if s, ok := x.(string); ok && nullish[strings.ToLower(strings.TrimSpace(s))] {
			x = nil
		}
		vb, err := json.Marshal(x)
		if err != nil {
			vb = []byte("null")
		}
		b.Write(vb)
	}
	b.WriteByte('}')
	return b.String(), true
}

var numberRE = regexp.MustCompile(`-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?`)

// ParseScore reads a similarity score in [0, 1] from an answer:
// {"score": x}, a bare number, or the first number in the text.
func ParseScore(answer string) (float64, bool) {
	s := cleanAnswer(answer)
	var cand string
	if v, ok := jsonCandidate(s); ok {
		switch t := v.(type) {
		case json.Number:
			cand = t.String()
		case string:
			cand = t
		case map[string]any:
			for mk, mv := range t {
				if strings.EqualFold(mk, "score") || strings.EqualFold(mk, "similarity") || len(t) == 1 {
					switch x := mv.(type) {
					case json.Number:
						cand = x.String()
					case string:
						cand = x
					}
				}
			}
		}
	}
	if cand == "" {
		cand = numberRE.FindString(s)
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(cand), 64)
	if err != nil || math.IsNaN(f) || f < 0 || f > 1 {
		return 0, false
	}
	return f, true
}
