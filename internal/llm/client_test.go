package llm_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/modelsql/modelsql/internal/fakellm"
	"github.com/modelsql/modelsql/internal/llm"
)

const key = "eas-TOKEN-0123456789abcdef"

var modelSeq atomic.Int64

// fake starts a fake server.
func fake(t testing.TB, o fakellm.Options) (*fakellm.Server, string) {
	t.Helper()
	s := fakellm.NewServer(o)
	ts := httptest.NewServer(s)
	t.Cleanup(func() { s.Close(); ts.Close() })
	return s, ts.URL
}

// client builds a client from options; each gets its own limiter identity
// unless opts has "_MODEL".
func client(t testing.TB, opts map[string]string) *llm.Client {
	t.Helper()
	ep, err := llm.EndpointFromOptions(opts)
	if err != nil {
		t.Fatal(err)
	}
	ep.Model = opts["_MODEL"]
	if ep.Model == "" {
		ep.Model = fmt.Sprintf("proj.default.m%d", modelSeq.Add(1))
	}
	ep.Version = "v1"
	c, err := llm.NewClient(ep)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func easOpts(url string, kv ...string) map[string]string {
	m := map[string]string{
		"ENDPOINT": url, "PAI_EAS_SERVICE_NAME": "qwen_svc", "PAI_EAS_MODEL_NAME": "Qwen3-8B", "APIKEY": key,
		"PAI_EAS_SYNC_MODE": "true", "PAI_EAS_SYNC_REQUEST_TIMEOUT": "5000", "RETRY_BASE_DELAY_MS": "10",
	}
	for i := 0; i < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

func openaiOpts(url string, kv ...string) map[string]string {
	m := easOpts(url+"/v1", append([]string{"API_FLAVOR", "openai", "PAI_EAS_MODEL_NAME", "qwen2.5:0.5b"}, kv...)...)
	delete(m, "PAI_EAS_SERVICE_NAME")
	return m
}

func last(t *testing.T, s *fakellm.Server) fakellm.Request {
	t.Helper()
	r, ok := s.LastRequest()
	if !ok {
		t.Fatal("no request recorded")
	}
	return r
}

// 1x1 PNG
var pngBytes, _ = base64.StdEncoding.DecodeString("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==")

func TestExactRequests(t *testing.T) {
	ctx := context.Background()
	s, url := fake(t, fakellm.Options{APIKey: key})
	eas := client(t, easOpts(url))
	oai := client(t, openaiOpts(url))
	vllm := client(t, openaiOpts(url, "AUDIO_URL_PART", "audio_url"))
	params, err := llm.ParseParams(`{"max_tokens": 500, "temperature": 0.6, "top_p": 0.95, "enable_thinking": false}`)
	if err != nil {
		t.Fatal(err)
	}
	dims, _ := llm.ParseParams(`{"dimensions": 256}`)
	b64 := base64.StdEncoding.EncodeToString(pngBytes)

	tests := []struct {
		name string
		call func() error
		path string
		auth string
		body string
	}{
		{"eas generate", func() error { _, err := eas.Generate(ctx, "hello", nil); return err },
			"/api/predict/qwen_svc/v1/chat/completions", key,
			`{"messages":[{"content":"hello","role":"user"}],"model":"Qwen3-8B","stream":false}`},
		{"eas generate with params", func() error { _, err := eas.Generate(ctx, "hi", params); return err },
			"/api/predict/qwen_svc/v1/chat/completions", key,
			`{"enable_thinking":false,"max_tokens":500,"messages":[{"content":"hi","role":"user"}],"model":"Qwen3-8B","stream":false,"temperature":0.6,"top_p":0.95}`},
		{"eas embedding", func() error { _, err := eas.Embed(ctx, "text", dims); return err },
			"/api/predict/qwen_svc/v1/embeddings", key,
			`{"dimensions":256,"input":"text","model":"Qwen3-8B"}`},
		{"openai generate", func() error { _, err := oai.Generate(ctx, "hello", nil); return err },
			"/v1/chat/completions", "Bearer " + key,
			`{"messages":[{"content":"hello","role":"user"}],"model":"qwen2.5:0.5b","stream":false}`},
		{"openai embedding", func() error { _, err := oai.Embed(ctx, "text", nil); return err },
			"/v1/embeddings", "Bearer " + key,
			`{"input":"text","model":"qwen2.5:0.5b"}`},
		{"mllm binary image", func() error {
			_, err := eas.GenerateMedia(ctx, llm.Media{Data: pngBytes}, "describe", nil)
			return err
		}, "/api/predict/qwen_svc/v1/chat/completions", key,
			`{"messages":[{"content":[{"image_url":{"url":"data:image/png;base64,` + b64 + `"},"type":"image_url"},{"text":"describe","type":"text"}],"role":"user"}],"model":"Qwen3-8B","stream":false}`},
		{"mllm image url", func() error {
			_, err := eas.GenerateMedia(ctx, llm.Media{Type: llm.MediaImage, URL: "https://x.example/a.jpg"}, "describe", nil)
			return err
		}, "/api/predict/qwen_svc/v1/chat/completions", key,
			`{"messages":[{"content":[{"image_url":{"url":"https://x.example/a.jpg"},"type":"image_url"},{"text":"describe","type":"text"}],"role":"user"}],"model":"Qwen3-8B","stream":false}`},
		{"mllm audio url", func() error {
			_, err := eas.GenerateMedia(ctx, llm.Media{Type: llm.MediaAudio, URL: "https://x.example/a.wav"}, "transcribe", nil)
			return err
		}, "/api/predict/qwen_svc/v1/chat/completions", key,
			`{"messages":[{"content":[{"input_audio":{"data":"https://x.example/a.wav","format":"wav"},"type":"input_audio"},{"text":"transcribe","type":"text"}],"role":"user"}],"model":"Qwen3-8B","stream":false}`},
		{"mllm audio url, audio_url part", func() error {
			_, err := vllm.GenerateMedia(ctx, llm.Media{Type: llm.MediaAudio, URL: "https://x.example/a.mp3"}, "transcribe", nil)
			return err
		}, "/v1/chat/completions", "Bearer " + key,
			`{"messages":[{"content":[{"audio_url":{"url":"https://x.example/a.mp3"},"type":"audio_url"},{"text":"transcribe","type":"text"}],"role":"user"}],"model":"qwen2.5:0.5b","stream":false}`},
		{"mllm video url", func() error {
			_, err := eas.GenerateMedia(ctx, llm.Media{Type: llm.MediaVideo, URL: "https://x.example/v.mp4"}, "summarize", nil)
			return err
		}, "/api/predict/qwen_svc/v1/chat/completions", key,
			`{"messages":[{"content":[{"type":"video_url","video_url":{"url":"https://x.example/v.mp4"}},{"text":"summarize","type":"text"}],"role":"user"}],"model":"Qwen3-8B","stream":false}`},
		{"multimodal embedding", func() error { _, err := eas.EmbedMedia(ctx, llm.Media{Data: pngBytes}, nil); return err },
			"/api/predict/qwen_svc/v1/embeddings", key,
			`{"encoding_format":"float","messages":[{"content":[{"image_url":{"url":"data:image/png;base64,` + b64 + `"},"type":"image_url"}],"role":"user"}],"model":"Qwen3-8B"}`},
		{"similarity embeds both in one request", func() error { _, err := eas.Similarity(ctx, "a", "b", nil); return err },
			"/api/predict/qwen_svc/v1/embeddings", key,
			`{"input":["a","b"],"model":"Qwen3-8B"}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.call(); err != nil {
				t.Fatal(err)
			}
			r := last(t, s)
			if r.Method != http.MethodPost || r.Path != tc.path {
				t.Errorf("%s %s, want POST %s", r.Method, r.Path, tc.path)
			}
			if got := r.Header.Get("Authorization"); got != tc.auth {
				t.Errorf("Authorization %q, want %q", got, tc.auth)
			}
			if got := r.Header.Get("Content-Type"); got != "application/json" {
				t.Errorf("Content-Type %q", got)
			}
			if string(r.Body) != tc.body {
				t.Errorf("body\n got %s\nwant %s", r.Body, tc.body)
			}
		})
	}
}

func TestNoKeyNoAuthorizationHeader(t *testing.T) {
	s, url := fake(t, fakellm.Options{})
	o := openaiOpts(url)
	delete(o, "APIKEY")
	if _, err := client(t, o).Generate(context.Background(), "x", nil); err != nil {
		t.Fatal(err)
	}
	if h := last(t, s).Header.Values("Authorization"); len(h) != 0 {
		t.Errorf("Authorization sent: %q", h)
	}
}

func TestOperations(t *testing.T) {
	ctx := context.Background()
	_, url := fake(t, fakellm.Options{APIKey: key})
	for _, flavor := range []string{"eas", "openai"} {
		o := easOpts(url)
		if flavor == "openai" {
			o = openaiOpts(url)
		}
		c := client(t, o)
		t.Run(flavor, func(t *testing.T) {
			check := func(name string, got, want any, err error) {
				t.Helper()
				if err != nil {
					t.Errorf("%s: %v", name, err)
				} else if fmt.Sprint(got) != fmt.Sprint(want) {
					t.Errorf("%s = %v, want %v", name, got, want)
				}
			}
			g, err := c.Generate(ctx, "Write a slogan", nil)
			check("generate", g, "echo: Write a slogan", err)
			mt, _ := llm.ParseParams(`{"max_tokens": 2}`)
			g, err = c.Generate(ctx, "one two three four", mt)
			check("generate max_tokens", g, "echo: one", err)
			g, err = c.GenerateMedia(ctx, llm.Media{Data: pngBytes}, "what is it", nil)
			check("generate media", g, "echo: [image/png 70 bytes sha256:"+fmt.Sprintf("%x", sha4(pngBytes))+"] what is it", err)

			v, err := c.Embed(ctx, "MaxCompute is a data warehouse", nil)
			check("embed len", len(v), 1024, err)
			check("embed values", v[:3], fakellm.Vector("MaxCompute is a data warehouse", 1024)[:3], nil)
			d, _ := llm.ParseParams(`{"dimensions": 256}`)
			v, err = c.Embed(ctx, "x", d)
			check("embed dims", len(v), 256, err)
			v, err = c.Embed(ctx, "x", llm.Params(nil).WithDefault("dimensions", 64))
			check("embed session dims", len(v), 64, err)

			labels := []string{"tech", "sports", "finance", "medical", "education"}
			l, err := c.Classify(ctx, "The football match ended in a draw; sports fans were upset", labels, nil)
			check("classify", l, "sports", err)
			for _, in := range []string{"a", "bb", "ccc", "dddd", "some other text"} {
				l, err := c.Classify(ctx, in, labels, nil)
				if err != nil || fakellm.Classify(in, labels) != l {
					t.Errorf("classify %q = %q, %v", in, l, err)
				}
			}
			x, err := c.Extract(ctx, "name: Alice, age: 30; phone unknown", []string{"name", "age", "email"}, nil)
			check("extract", x, `{"name":"Alice","age":"30","email":null}`, err)
			x, err = c.Extract(ctx, "nothing", []string{"name"}, nil)
			check("extract none", x, `{"name":null}`, err)
			sm, err := c.Summarize(ctx, "MaxCompute is a warehouse. It scales well. It is fast.", nil)
			check("summarize", sm, "MaxCompute is a warehouse.", err)
			tr, err := c.Translate(ctx, "你好", "English", nil)
			check("translate", tr, "[English] 你好", err)
			for in, want := range map[string]string{"I love it, great product": "positive", "terrible and broken": "negative",
				"good screen but bad battery": "mixed", "it is a phone": "neutral"} {
				se, err := c.Sentiment(ctx, in, nil)
				check("sentiment "+in, se, want, err)
			}
			sim, err := c.Similarity(ctx, "same text", "same text", nil)
			check("similarity same", fmt.Sprintf("%.4f", sim), "1.0000", err)
			sim, err = c.Similarity(ctx, "cats", "stock market", nil)
			if err != nil || sim > 0.5 || sim < -0.5 {
				t.Errorf("similarity different = %v, %v", sim, err)
			}
			sc, err := c.SimilarityByChat(ctx, "a b c", "b c d", nil)
			check("similarity by chat", sc, 0.5, err)
		})
	}
}

func sha4(b []byte) []byte {
	h := sha256Sum(b)
	return h[:4]
}

func TestTaskValidation(t *testing.T) {
	ctx := context.Background()
	_, url := fake(t, fakellm.Options{})
	c := client(t, easOpts(url))
	labels := []string{"tech", "sports"}
	tests := []struct {
		name  string
		call  func() error
		class llm.ErrorClass
	}{
		{"classify answer not a label", func() error { _, err := c.Classify(ctx, "[[fake:answer=weather]]", labels, nil); return err }, llm.ClassValidation},
		{"classify tolerant answer", func() error {
			l, err := c.Classify(ctx, "[[fake:answer=```json\n{\"label\": \"SPORTS\"}\n```]]", labels, nil)
			if err == nil && l != "sports" {
				return fmt.Errorf("got %q", l)
			}
			return err
		}, ""},
		{"classify 1 label", func() error { _, err := c.Classify(ctx, "x", labels[:1], nil); return err }, llm.ClassInvalidArgument},
		{"classify 21 labels", func() error { _, err := c.Classify(ctx, "x", make21(), nil); return err }, llm.ClassInvalidArgument},
		{"classify duplicate labels", func() error { _, err := c.Classify(ctx, "x", []string{"a", "A"}, nil); return err }, llm.ClassInvalidArgument},
		{"extract 0 labels", func() error { _, err := c.Extract(ctx, "x", nil, nil); return err }, llm.ClassInvalidArgument},
		{"extract blank label", func() error { _, err := c.Extract(ctx, "x", []string{" "}, nil); return err }, llm.ClassInvalidArgument},
		{"extract not json", func() error { _, err := c.Extract(ctx, "[[fake:answer=I cannot]]", labels, nil); return err }, llm.ClassValidation},
		{"sentiment unknown", func() error { _, err := c.Sentiment(ctx, "[[fake:answer=angry-ish]]", nil); return err }, llm.ClassValidation},
		{"summarize empty answer", func() error { _, err := c.Summarize(ctx, "[[fake:answer=<think>x</think>]]", nil); return err }, llm.ClassValidation},
		{"translate no target", func() error { _, err := c.Translate(ctx, "x", " ", nil); return err }, llm.ClassInvalidArgument},
		{"similarity by chat bad score", func() error { _, err := c.SimilarityByChat(ctx, "[[fake:answer=7]]", "b", nil); return err }, llm.ClassValidation},
		{"embedding dims mismatch", func() error {
			d, _ := llm.ParseParams(`{"dimensions": 8}`)
			_, err := c.Embed(ctx, "[[fake:dims=3]]", d)
			return err
		}, llm.ClassValidation},
		{"binary not an image", func() error {
			_, err := c.GenerateMedia(ctx, llm.Media{Data: []byte("plain text")}, "x", nil)
			return err
		}, llm.ClassInvalidArgument},
		{"bad media url", func() error {
			_, err := c.GenerateMedia(ctx, llm.Media{Type: llm.MediaImage, URL: "/etc/passwd"}, "x", nil)
			return err
		}, llm.ClassInvalidArgument},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			if got := llm.ClassOf(err); got != tc.class {
				t.Fatalf("class %q (%v), want %q", got, err, tc.class)
			}
			if err != nil {
				e, _ := llm.AsError(err)
				if e.Model == "" || e.Version != "v1" || !strings.Contains(err.Error(), e.Model) {
					t.Errorf("error lacks model/version: %v", err)
				}
			}
		})
	}
}

func make21() []string {
	var l []string
	for i := range 21 {
		l = append(l, fmt.Sprint("l", i))
	}
	return l
}

func TestMediaTypeParse(t *testing.T) {
	for in, want := range map[string]llm.MediaType{"image": llm.MediaImage, " AUDIO ": llm.MediaAudio, "Video": llm.MediaVideo} {
		if got, err := llm.ParseMediaType(in); err != nil || got != want {
			t.Errorf("%q: %v %v", in, got, err)
		}
	}
	if _, err := llm.ParseMediaType("text"); llm.ClassOf(err) != llm.ClassInvalidArgument {
		t.Errorf("text accepted: %v", err)
	}
	for _, c := range []struct {
		b    []byte
		want string
	}{{pngBytes, "image/png"}, {[]byte("\xff\xd8\xff\xe0"), "image/jpeg"}, {[]byte("GIF89a"), "image/gif"},
		{[]byte("RIFF\x00\x00\x00\x00WEBPVP"), "image/webp"}, {[]byte("II*\x00"), "image/tiff"},
		{[]byte("\x00\x00\x00\x1cftypavif"), "image/avif"}, {[]byte("\x00\x00\x00\x18ftypheic"), "image/heic"}} {
		if got := llm.SniffMIME(c.b); got != c.want {
			t.Errorf("SniffMIME(%q) = %q, want %q", c.b, got, c.want)
		}
	}
}
