package fakellm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelsql/modelsql/internal/llm"
)

func post(t *testing.T, url, auth, body string) (int, http.Header, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", url, strings.NewReader(body))
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

func newTest(t *testing.T, o Options) (*Server, string) {
	s := NewServer(o)
	ts := httptest.NewServer(s)
	t.Cleanup(func() { s.Close(); ts.Close() })
	return s, ts.URL
}

const chatBody = `{"model":"m","messages":[{"role":"user","content":"hi"}]}`

func TestRoutesAndAuth(t *testing.T) {
	_, url := newTest(t, Options{APIKey: "k"})
	tests := []struct {
		path, auth string
		status     int
	}{
		{"/api/predict/svc/v1/chat/completions", "k", 200},
		{"/api/predict/grp.svc/v1/chat/completions", "k", 200},
		{"/api/predict/svc/v1/chat/completions", "Bearer k", 401},
		{"/api/predict/svc/v1/chat/completions", "", 401},
		{"/api/predict/svc/v1/chat/completions", "x", 401},
		{"/v1/chat/completions", "Bearer k", 200},
		{"/v1/chat/completions", "k", 401},
		{"/api/predict/svc/v1/embeddings", "k", 200}, // messages: a multi-modal embedding
		{"/v1/nothing", "Bearer k", 404},
		{"/api/predict/svc", "k", 404},
	}
	for _, tc := range tests {
		if st, _, body := post(t, url+tc.path, tc.auth, chatBody); st != tc.status {
			t.Errorf("%s auth %q: %d %s, want %d", tc.path, tc.auth, st, body, tc.status)
		}
	}
	_, url2 := newTest(t, Options{APIKey: "k", LenientAuth: true})
	for _, p := range []string{"/api/predict/s/v1/chat/completions", "/v1/chat/completions"} {
		for _, a := range []string{"k", "Bearer k"} {
			if st, _, _ := post(t, url2+p, a, chatBody); st != 200 {
				t.Errorf("lenient %s %q: %d", p, a, st)
			}
		}
	}
	_, url3 := newTest(t, Options{Services: []string{"only"}, Models: []string{"m"}})
	if st, _, _ := post(t, url3+"/api/predict/other/v1/chat/completions", "", chatBody); st != 404 {
		t.Errorf("unknown service: %d", st)
	}
	if st, _, _ := post(t, url3+"/api/predict/only/v1/chat/completions", "", strings.Replace(chatBody, `"m"`, `"x"`, 1)); st != 404 {
		t.Errorf("unknown model: %d", st)
	}
	resp, err := http.Get(url3 + "/v1/models")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("models: %v", err)
	}
	var models struct{ Data []struct{ ID string } }
	json.NewDecoder(resp.Body).Decode(&models)
	resp.Body.Close()
	if len(models.Data) != 1 || models.Data[0].ID != "m" {
		t.Errorf("models %+v", models)
	}
	if resp, err := http.Get(url3 + "/healthz"); err != nil || resp.StatusCode != 200 {
		t.Errorf("healthz: %v", err)
	}
}

func TestChatAnswerShape(t *testing.T) {
	s, url := newTest(t, Options{})
	st, h, body := post(t, url+"/v1/chat/completions", "", `{"model":"m","messages":[{"role":"system","content":"sys"},{"role":"user","content":"Say hi"}],"max_tokens":100}`)
	if st != 200 || h.Get("Content-Type") != "application/json" {
		t.Fatalf("%d %s", st, body)
	}
	var r struct {
		Object  string
		Model   string
		Choices []struct {
			Index        int
			Message      struct{ Role, Content string }
			FinishReason string `json:"finish_reason"`
		}
		Usage struct {
			PromptTokens     int `json:"prompt_tokens"`
			CompletionTokens int `json:"completion_tokens"`
		}
	}
	if err := json.Unmarshal([]byte(body), &r); err != nil {
		t.Fatal(err)
	}
	if r.Object != "chat.completion" || r.Model != "m" || len(r.Choices) != 1 || r.Choices[0].Message.Role != "assistant" ||
		r.Choices[0].Message.Content != "echo: Say hi" || r.Choices[0].FinishReason != "stop" || r.Usage.PromptTokens != 2 || r.Usage.CompletionTokens != 3 {
		t.Errorf("%+v", r)
	}
	if rq, _ := s.LastRequest(); rq.Path != "/v1/chat/completions" || !strings.Contains(string(rq.Body), "Say hi") {
		t.Errorf("recorded %+v", rq)
	}
}

func TestAnswersForTemplates(t *testing.T) {
	tests := []struct {
		prompt, want string
	}{
		{llm.ClassifyPrompt("Stocks fell; finance news", []string{"sports", "finance"}), `{"label":"finance"}`},
		{llm.ClassifyPrompt("The new GPU", []string{"machine learning", "GPU"}), `{"label":"GPU"}`},
		{llm.ExtractPrompt("Name = Bob; Age: 41.\ncity: Rome", []string{"name", "age", "city", "zip"}), `{"name":"Bob","age":"41","city":"Rome","zip":null}`},
		{llm.SentimentPrompt("I hate this awful thing"), `{"sentiment":"negative"}`},
		{llm.SummarizePrompt("First sentence here! Second one."), "First sentence here!"},
		{llm.TranslatePrompt("hola", "en"), "[en] hola"},
		{llm.SimilarityPrompt("a b", "a b"), `{"score":1}`},
		{llm.SimilarityPrompt("a b", "c d"), `{"score":0}`},
		{"plain [[fake:answer=forced]]", "forced"},
	}
	for _, tc := range tests {
		in := inputs{prompt: tc.prompt}
		var ov answerOverride
		for _, d := range findDirectives(tc.prompt) {
			if d.kind == "answer" {
				ov.content, ov.set = d.value, true
			}
		}
		got := chatAnswer(apiRequest{Model: "m"}, in, ov)["choices"].([]any)[0].(map[string]any)["message"].(map[string]any)["content"]
		if got != tc.want {
			t.Errorf("answer to %q = %q, want %q", tc.prompt, got, tc.want)
		}
	}
	// classification answers are always one of the labels
	labels := []string{"x", "y", "z"}
	for _, in := range []string{"", "q", "hello world", "ZZZ", "漢字"} {
		l := Classify(in, labels)
		if l != "x" && l != "y" && l != "z" {
			t.Errorf("Classify(%q) = %q", in, l)
		}
	}
}

func TestEmbeddings(t *testing.T) {
	_, url := newTest(t, Options{EmbeddingDims: 16})
	st, _, body := post(t, url+"/v1/embeddings", "", `{"model":"e","input":["a","b"]}`)
	if st != 200 {
		t.Fatalf("%d %s", st, body)
	}
	var r struct {
		Data []struct {
			Index     int
			Embedding []float32
		}
	}
	json.Unmarshal([]byte(body), &r)
	// Answers come in reverse order, each with its index.
	if len(r.Data) != 2 || len(r.Data[0].Embedding) != 16 || r.Data[0].Index != 1 || r.Data[1].Index != 0 {
		t.Fatalf("%s", body)
	}
	for _, d := range r.Data {
		want := Vector([]string{"a", "b"}[d.Index], 16)
		for j := range want {
			if d.Embedding[j] != want[j] {
				t.Fatalf("vector %d differs at %d", d.Index, j)
			}
		}
	}
	_, _, body = post(t, url+"/v1/embeddings", "", `{"model":"e","input":"a","dimensions":5}`)
	json.Unmarshal([]byte(body), &r)
	if len(r.Data) != 1 || len(r.Data[0].Embedding) != 5 {
		t.Fatalf("%s", body)
	}
	if st, _, _ := post(t, url+"/v1/embeddings", "", `{"model":"e","input":"a","dimensions":0}`); st != 400 {
		t.Errorf("dimensions 0: %d", st)
	}
	if st, _, _ := post(t, url+"/v1/embeddings", "", `{"model":"e"}`); st != 400 {
		t.Errorf("no input: %d", st)
	}
	v := Vector("some text", 1024)
	var n float64
	for _, x := range v {
		n += float64(x) * float64(x)
		if x < -0.2 || x > 0.2 {
			t.Fatalf("component %v out of range", x)
		}
	}
	if math.Abs(n-1) > 1e-4 {
		t.Errorf("norm² %v", n)
	}
}

func TestParseDirective(t *testing.T) {
	tests := map[string]string{
		"503":                       "503",
		"429;retry-after=2;times=3": "429;retry-after=2;times=3",
		"hang":                      "hang",
		"reset;times=1":             "reset;times=1",
		"latency=10ms":              "latency",
		"answer=a;b]":               "answer",
		"teapot":                    "invalid",
		"503;times=x":               "invalid",
		"503;bogus=1":               "invalid",
		"latency=soon":              "invalid",
		"dims=0":                    "invalid",
	}
	for in, want := range tests {
		if got := parseDirective(in).String(); got != want {
			t.Errorf("parseDirective(%q) = %q, want %q", in, got, want)
		}
	}
	ds := findDirectives("a [[fake:503;times=1]] b [[fake:latency=5ms]] c [[fake:answer={\"label\": \"x\"}]]")
	if len(ds) != 3 || ds[0].status != 503 || ds[1].latency != 5*time.Millisecond || ds[2].value != `{"label": "x"}` {
		t.Errorf("%+v", ds)
	}
}

func TestServerWideFaultAndFailRate(t *testing.T) {
	s, url := newTest(t, Options{Fault: "503;retry-after=7"})
	st, h, body := post(t, url+"/v1/chat/completions", "", chatBody)
	if st != 503 || h.Get("Retry-After") != "7" || !strings.Contains(body, "injected 503") {
		t.Errorf("%d %v %s", st, h, body)
	}
	if rq, _ := s.LastRequest(); rq.Fault != "503;retry-after=7" {
		t.Errorf("fault recorded %q", rq.Fault)
	}

	// FailRate 1 with FailLimit 2: the same body fails twice, then passes.
	s.SetOptions(Options{FailRate: 1, FailLimit: 2, FailStatuses: []int{429}, RetryAfter: "0"})
	for i, want := range []int{429, 429, 200, 200} {
		if st, _, _ := post(t, url+"/v1/chat/completions", "", chatBody); st != want {
			t.Errorf("arrival %d: %d, want %d", i, st, want)
		}
	}
	// a different body has its own count
	if st, _, _ := post(t, url+"/v1/chat/completions", "", strings.Replace(chatBody, "hi", "ho", 1)); st != 429 {
		t.Errorf("new body: %d", st)
	}
	if s.Stats().Faults != 4 {
		t.Errorf("stats %+v", s.Stats())
	}
}

func TestRecordLimit(t *testing.T) {
	s, url := newTest(t, Options{MaxRecorded: 3})
	for i := range 5 {
		post(t, url+"/v1/chat/completions", "", strings.Replace(chatBody, "hi", string(rune('a'+i)), 1))
	}
	rs := s.Requests()
	if len(rs) != 3 || !bytes.Contains(rs[0].Body, []byte(`"c"`)) || !bytes.Contains(rs[2].Body, []byte(`"e"`)) {
		t.Errorf("kept %d", len(rs))
	}
	s.Reset()
	if len(s.Requests()) != 0 || s.Stats().Requests != 0 {
		t.Error("reset")
	}
	s2, url2 := newTest(t, Options{MaxRecorded: -1})
	post(t, url2+"/v1/chat/completions", "", chatBody)
	if len(s2.Requests()) != 0 || s2.Stats().Requests != 1 {
		t.Error("recording not disabled")
	}
}

func TestHangReleasedByClose(t *testing.T) {
	r, err := Start("127.0.0.1:0", Options{Fault: "hang"})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan int)
	go func() {
		resp, err := http.Post(r.URL+"/v1/chat/completions", "application/json", strings.NewReader(chatBody))
		if err != nil {
			done <- -1
			return
		}
		resp.Body.Close()
		done <- resp.StatusCode
	}()
	for r.Stats().InFlight == 0 {
		time.Sleep(time.Millisecond)
	}
	start := time.Now()
	if err := r.Shutdown(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	case <-time.After(3 * time.Second):
		t.Fatal("hung request not released")
	}
	if time.Since(start) > 2*time.Second {
		t.Errorf("shutdown took %v", time.Since(start))
	}
}

func TestResetFault(t *testing.T) {
	_, url := newTest(t, Options{Fault: "reset"})
	resp, err := http.Post(url+"/v1/chat/completions", "application/json", strings.NewReader(chatBody))
	if err == nil {
		_, err = io.ReadAll(resp.Body)
		resp.Body.Close()
	}
	if err == nil {
		t.Fatal("reset fault gave a complete response")
	}
}

func TestMalformedFault(t *testing.T) {
	_, url := newTest(t, Options{Fault: "malformed"})
	st, _, body := post(t, url+"/v1/chat/completions", "", chatBody)
	var v any
	if st != 200 || json.Unmarshal([]byte(body), &v) == nil {
		t.Errorf("%d %s", st, body)
	}
}

func TestParseFlags(t *testing.T) {
	var errOut bytes.Buffer
	c, err := ParseFlags([]string{"--listen", ":0", "--api-key", "k", "--latency", "50ms", "--fail-rate", "0.1",
		"--fail-status", "429, 503", "--retry-after", "1", "--fail-limit", "3", "--seed", "9", "--fault", "latency=1ms",
		"--dims", "256", "--services", "a,b", "--models", "m", "-v"}, &errOut)
	if err != nil {
		t.Fatal(err)
	}
	o := c.Options
	if c.Listen != ":0" || o.APIKey != "k" || o.Latency != 50*time.Millisecond || o.FailRate != 0.1 || len(o.FailStatuses) != 2 ||
		o.RetryAfter != "1" || o.FailLimit != 3 || o.Seed != 9 || o.Fault != "latency=1ms" || o.EmbeddingDims != 256 ||
		len(o.Services) != 2 || len(o.Models) != 1 || !c.Verbose {
		t.Errorf("%+v", c)
	}
	t.Setenv(APIKeyEnv, "from-env")
	if c, _ := ParseFlags(nil, &errOut); c.Options.APIKey != "from-env" || c.Listen != "127.0.0.1:8089" {
		t.Errorf("%+v", c)
	}
	for _, bad := range [][]string{{"--fail-rate", "2"}, {"--fail-status", "200"}, {"--fault", "nope"}, {"extra"}, {"--nope"}} {
		if _, err := ParseFlags(bad, &errOut); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
	if _, err := ParseFlags([]string{"-h"}, &errOut); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("-h: %v", err)
	}
}

func TestServe(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var out bytes.Buffer
	pr, pw := io.Pipe()
	done := make(chan error)
	go func() {
		done <- Serve(ctx, Config{Listen: "127.0.0.1:0", Options: Options{APIKey: "k"}}, pw, io.Discard)
		pw.Close()
	}()
	buf := make([]byte, 4096)
	n, _ := pr.Read(buf)
	out.Write(buf[:n])
	line := strings.TrimSpace(strings.SplitN(out.String(), "\n", 2)[0])
	url, ok := strings.CutPrefix(line, "fake-llm listening on ")
	if !ok {
		t.Fatalf("banner %q", out.String())
	}
	go io.Copy(io.Discard, pr)
	if st, _, body := post(t, url+"/api/predict/s/v1/chat/completions", "k", chatBody); st != 200 || !strings.Contains(body, "echo: hi") {
		t.Errorf("%d %s", st, body)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestBanner(t *testing.T) {
	const url = "http://127.0.0.1:4242"
	for _, tc := range []struct {
		o         Options
		want, not []string
	}{
		{Options{}, []string{"fake-llm listening on " + url + "\n", "ENDPOINT='" + url + "' PAI_EAS_SERVICE_NAME='<any>' PAI_EAS_MODEL_NAME='<any>'", "ENDPOINT='" + url + "/v1' API_FLAVOR='openai'", "APIKEY:  any"}, nil},
		{Options{Services: []string{"svc"}, Models: []string{"m1", "m2"}, APIKey: "sk-test-key"},
			[]string{"PAI_EAS_SERVICE_NAME='svc' PAI_EAS_MODEL_NAME='m1' | 'm2'", "APIKEY:  the --api-key value"}, []string{"<any>", "sk-test-key"}},
	} {
		b := Banner(url, tc.o)
		for _, w := range tc.want {
			if !strings.Contains(b, w) {
				t.Errorf("banner lacks %q:\n%s", w, b)
			}
		}
		for _, n := range tc.not {
			if strings.Contains(b, n) {
				t.Errorf("banner holds %q:\n%s", n, b)
			}
		}
	}
}

func TestServeWritesURLFile(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	path := filepath.Join(t.TempDir(), "url")
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, Config{Listen: "127.0.0.1:0", URLFile: path}, io.Discard, io.Discard) }()
	var url string
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if b, err := os.ReadFile(path); err == nil {
			url = strings.TrimSpace(string(b))
			break
		}
	}
	if st, _, body := post(t, url+"/v1/chat/completions", "", chatBody); st != 200 || !strings.Contains(body, "echo: hi") {
		t.Fatalf("%q: %d %s", url, st, body)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	// A file that cannot be written stops the server with an error.
	err := Serve(context.Background(), Config{Listen: "127.0.0.1:0", URLFile: filepath.Join(t.TempDir(), "no", "such", "dir", "url")}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "--url-file") {
		t.Fatalf("%v", err)
	}
}

func TestEmbeddingSizeLimits(t *testing.T) {
	_, url := newTest(t, Options{EmbeddingDims: 4, MaxEmbedInputs: 2, MaxInputChars: 5})
	for _, c := range []struct {
		body   string
		status int
		msg    string
	}{
		{`{"model":"e","input":["a","b"]}`, 200, ""},
		{`{"model":"e","input":["a","b","c"]}`, 413, "at most 2"},
		{`{"model":"e","input":"abcdef"}`, 400, "maximum context length"},
		{`{"model":"e","input":["abcde"]}`, 200, ""},
	} {
		st, _, body := post(t, url+"/v1/embeddings", "", c.body)
		if st != c.status || !strings.Contains(body, c.msg) {
			t.Errorf("%s: %d %s", c.body, st, body)
		}
	}
}

// Workers: 1 answers one request at a time; the others queue.
func TestWorkersQueue(t *testing.T) {
	s, url := newTest(t, Options{Latency: 50 * time.Millisecond, Workers: 1})
	start := time.Now()
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			code, _, _ := post(t, url+"/v1/chat/completions", "", fmt.Sprintf(`{"model":"m","messages":[{"role":"user","content":"q%d"}]}`, i))
			if code != 200 {
				t.Errorf("status %d", code)
			}
		})
	}
	wg.Wait()
	if d := time.Since(start); d < 200*time.Millisecond {
		t.Fatalf("4 requests through one worker of 50 ms took %s", d)
	}
	if s.Stats().Requests != 4 {
		t.Fatalf("requests: %d", s.Stats().Requests)
	}
}
