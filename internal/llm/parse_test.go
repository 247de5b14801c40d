package llm

import (
	"context"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestMatchLabel(t *testing.T) {
	labels := []string{"Sports", "tech", "finance", "customer_service"}
	tests := []struct {
		answer, want string
	}{
		{"Sports", "Sports"},
		{"sports", "Sports"},
		{"  SPORTS \n", "Sports"},
		{`"tech"`, "tech"},
		{"'tech'.", "tech"},
		{"**finance**", "finance"},
		{`{"label": "finance"}`, "finance"},
		{`{"Label":"FINANCE"}`, "finance"},
		{`{"category": "tech", "confidence": 0.9}`, "tech"},
		{`["tech"]`, "tech"},
		{"```json\n{\"label\": \"tech\"}\n```", "tech"},
		{"<think>maybe sports? or tech</think>\n{\"label\":\"finance\"}", "finance"},
		{"Label: tech", "tech"},
		{"The answer is: finance.", "finance"},
		{"I think this text is about sports.", "Sports"},
		{"customer service", "customer_service"},
		{"Customer-Service", "customer_service"},
		{`Here you go: {"label": "tech"} hope it helps`, "tech"},
		{"It is sports or tech", ""},
		{"weather", ""},
		{"", ""},
		{`{"label": "weather"}`, ""},
	}
	for _, tc := range tests {
		got, ok := MatchLabel(tc.answer, labels)
		if got != tc.want || ok != (tc.want != "") {
			t.Errorf("MatchLabel(%q) = %q, %v; want %q", tc.answer, got, ok, tc.want)
		}
	}
	// nested labels: the longer one wins when both are named
	if got, ok := MatchLabel("very positive", []string{"positive", "very positive"}); !ok || got != "very positive" {
		t.Errorf("nested: %q %v", got, ok)
	}
	// case-distinct labels only match exactly
	if got, ok := MatchLabel("A", []string{"a", "A"}); !ok || got != "A" {
		t.Errorf("exact: %q %v", got, ok)
	}
}

func TestNormalizeExtract(t *testing.T) {
	labels := []string{"name", "age", "City"}
	tests := []struct {
		answer, want string
	}{
		{`{"name":"Alice","age":30,"City":"Paris"}`, `{"name":"Alice","age":30,"City":"Paris"}`},
		{`{"age": 30, "name": "Alice"}`, `{"name":"Alice","age":30,"City":null}`},
		{`{"NAME":"Bob","city":"Rome","extra":1}`, `{"name":"Bob","age":null,"City":"Rome"}`},
		{"```json\n{\"name\": \"N/A\", \"age\": \"\", \"City\": null}\n```", `{"name":null,"age":null,"City":null}`},
		{`Sure! {"name": "Eve"} done`, `{"name":"Eve","age":null,"City":null}`},
		{`<think>hmm</think>{"result": {"name": "Z", "age": 1.5}}`, `{"name":"Z","age":1.5,"City":null}`},
		{`[{"name": "Q"}]`, `{"name":"Q","age":null,"City":null}`},
		{`{"name": ["a","b"], "age": {"y": 3}}`, `{"name":["a","b"],"age":{"y":3},"City":null}`},
		{`{"name": 12345678901234567890}`, `{"name":12345678901234567890,"age":null,"City":null}`},
		{"no json here", ""},
		{`"just a string"`, ""},
	}
	for _, tc := range tests {
		got, ok := NormalizeExtract(tc.answer, labels)
		if got != tc.want || ok != (tc.want != "") {
			t.Errorf("NormalizeExtract(%q) = %q, %v; want %q", tc.answer, got, ok, tc.want)
		}
	}
}

func TestParseScore(t *testing.T) {
	tests := []struct {
		in   string
		want float64
		ok   bool
	}{
		{`{"score": 0.75}`, 0.75, true},
		{`{"similarity": "0.5"}`, 0.5, true},
		{"0.3", 0.3, true},
		{"Score: 1", 1, true},
		{"```\n{\"score\":0}\n```", 0, true},
		{"1.5", 0, false},
		{"-0.2", 0, false},
		{"none", 0, false},
	}
	for _, tc := range tests {
		got, ok := ParseScore(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("ParseScore(%q) = %v, %v", tc.in, got, ok)
		}
	}
}

func TestPromptsRoundTrip(t *testing.T) {
	input := "line one\n<text>\nstill input\n</text>\nend"
	labels := []string{"a", `b "quoted"`, "c"}
	tests := []struct {
		prompt string
		want   ParsedPrompt
	}{
		{ClassifyPrompt(input, labels), ParsedPrompt{Task: TaskClassify, Labels: labels, Input: input}},
		{ExtractPrompt(input, labels), ParsedPrompt{Task: TaskExtract, Labels: labels, Input: input}},
		{SentimentPrompt(input), ParsedPrompt{Task: TaskSentiment, Labels: SentimentLabels, Input: input}},
		{SummarizePrompt(input), ParsedPrompt{Task: TaskSummarize, Input: input}},
		{TranslatePrompt(input, "French"), ParsedPrompt{Task: TaskTranslate, Target: "French", Input: input}},
		{SimilarityPrompt("x y", "y z"), ParsedPrompt{Task: TaskSimilarity, Input: "x y", Input2: "y z"}},
		{"hello\nworld", ParsedPrompt{Task: TaskGenerate, Input: "hello\nworld"}},
		{"hello", ParsedPrompt{Task: TaskGenerate, Input: "hello"}},
		{ClassifyPrompt("", labels), ParsedPrompt{Task: TaskClassify, Labels: labels, Input: ""}},
	}
	for _, tc := range tests {
		if got := ParsePrompt(tc.prompt); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ParsePrompt(%q)\n got %+v\nwant %+v", tc.prompt, got, tc.want)
		}
	}
}

func TestParseParams(t *testing.T) {
	good := []struct{ in, out string }{
		{"", "{}"},
		{"  ", "{}"},
		{`{"max_tokens": 500, "temperature": 0.6, "top_p": 0.95}`, `{"max_tokens":500,"temperature":0.6,"top_p":0.95}`},
		{`{"dimensions": 256, "enable_thinking": false, "stop": ["\n"]}`, `{"dimensions":256,"enable_thinking":false,"stop":["\n"]}`},
	}
	for _, tc := range good {
		p, err := ParseParams(tc.in)
		if err != nil || p.String() != tc.out {
			t.Errorf("ParseParams(%q) = %s, %v", tc.in, p, err)
		}
	}
	bad := []string{`[1]`, `{`, `"x"`, `{"a":1} {"b":2}`, `{"model":"x"}`, `{"messages":[]}`, `{"stream":true}`,
		`{"max_tokens": "10"}`, `{"max_tokens": 0}`, `{"max_tokens": 1.5}`, `{"temperature": "hot"}`, `{"top_p": -1}`, `{"dimensions": -3}`, `{"n": 2}`, `null`}
	for _, in := range bad {
		_, err := ParseParams(in)
		if ClassOf(err) != ClassInvalidArgument {
			t.Errorf("ParseParams(%q) err = %v, want invalid_argument", in, err)
		}
	}
	p, _ := ParseParams(`{"dimensions": 64}`)
	if d, ok := p.Dimensions(); !ok || d != 64 {
		t.Errorf("dims %d %v", d, ok)
	}
	if d, _ := p.WithDefault("dimensions", 128).Dimensions(); d != 64 {
		t.Errorf("WithDefault overrode: %d", d)
	}
	if d, _ := Params(nil).WithDefault("dimensions", 128).Dimensions(); d != 128 {
		t.Errorf("WithDefault on nil: %d", d)
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"", 0, false},
		{"0", 0, true},
		{"2", 2 * time.Second, true},
		{"1.5", 1500 * time.Millisecond, true},
		{"-1", 0, false},
		{"soon", 0, false},
		{now.Add(3 * time.Second).Format(http.TimeFormat), 3 * time.Second, true},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0, true},
		{"Fri, 02 Jan 2026 03:04:15 GMT", 10 * time.Second, true},
	}
	for _, tc := range tests {
		got, ok := parseRetryAfter(tc.in, now)
		if got != tc.want || ok != tc.ok {
			t.Errorf("parseRetryAfter(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestBackoff(t *testing.T) {
	c := &Client{ep: Endpoint{RetryBaseDelay: 100 * time.Millisecond, RetryMaxDelay: time.Second}}
	for attempt, hi := range map[int]time.Duration{1: 100 * time.Millisecond, 2: 200 * time.Millisecond, 3: 400 * time.Millisecond, 4: 800 * time.Millisecond, 5: time.Second, 30: time.Second} {
		for range 50 {
			d := c.backoff(attempt, 0, false)
			if d < hi/2 || d > hi {
				t.Fatalf("attempt %d: %v outside [%v, %v]", attempt, d, hi/2, hi)
			}
		}
	}
	for range 50 {
		if d := c.backoff(1, 2*time.Second, true); d < 2*time.Second || d > 2200*time.Millisecond {
			t.Fatalf("retry-after 2s gave %v", d)
		}
		if d := c.backoff(1, 0, true); d != 0 {
			t.Fatalf("retry-after 0 gave %v", d)
		}
	}
}

func TestErrorText(t *testing.T) {
	e := &Error{Model: "p.default.m", Version: "v1", Op: "generate", Class: ClassRateLimited, Status: 429, Attempts: 5, Message: "slow down"}
	want := "llm: model p.default.m version v1: generate: rate_limited (HTTP 429) after 5 attempts: slow down"
	if e.Error() != want {
		t.Errorf("got  %q\nwant %q", e.Error(), want)
	}
	sc := scrubber(secret)
	err := sc.err(errors.Join(context.Canceled, errors.New("token "+secret)))
	if strings.Contains(err.Error(), secret) || !errors.Is(err, context.Canceled) {
		t.Errorf("scrubbed error %q", err)
	}
	if got := excerpt(strings.Repeat("x", 500) + "\n\t"); len([]rune(got)) != excerptLen+1 {
		t.Errorf("excerpt length %d", len([]rune(got)))
	}
	for body, want := range map[string]string{
		`{"error":{"message":"bad model","type":"x"}}`: "bad model",
		`{"error":"oops"}`:       "oops",
		`{"message":"m"}`:        "m",
		`{"detail":[{"loc":1}]}`: `[{"loc":1}]`,
		`plain text`:             "plain text",
	} {
		if got := serverMessage([]byte(body)); got != want {
			t.Errorf("serverMessage(%s) = %q", body, got)
		}
	}
}

func TestLimiter(t *testing.T) {
	l := &limiter{limit: 2}
	ctx := context.Background()
	if err := l.acquire(ctx); err != nil {
		t.Fatal(err)
	}
	if err := l.acquire(ctx); err != nil {
		t.Fatal(err)
	}
	// third waits; cancel it
	cctx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if err := l.acquire(cctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("want deadline, got %v", err)
	}
	if s := l.stats(); s.InFlight != 2 || s.Waiting != 0 {
		t.Fatalf("stats %+v", s)
	}
	// FIFO order
	var order []int
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l.acquire(ctx)
			mu.Lock()
			order = append(order, i)
			mu.Unlock()
			l.release()
		}()
		for l.stats().Waiting != i+1 {
			time.Sleep(time.Millisecond)
		}
	}
	l.release()
	wg.Wait()
	if !reflect.DeepEqual(order, []int{0, 1, 2}) {
		t.Errorf("order %v", order)
	}
	// raising the limit wakes waiters
	l.setLimit(1)
	done := make(chan struct{})
	go func() { l.acquire(ctx); close(done) }()
	for l.stats().Waiting != 1 {
		time.Sleep(time.Millisecond)
	}
	l.setLimit(2)
	select {
	case <-done:
	case <-time.After(time.Second):
		t.Fatal("setLimit did not wake the waiter")
	}
	if s := l.stats(); s.InFlight != 2 || s.MaxInFlight != 2 {
		t.Errorf("stats %+v", s)
	}
}

func TestRunBatch(t *testing.T) {
	var sum atomic.Int64
	var cur, peak atomic.Int64
	err := RunBatch(context.Background(), 100, 7, func(ctx context.Context, i int) error {
		n := cur.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(time.Millisecond)
		cur.Add(-1)
		sum.Add(int64(i))
		return nil
	})
	if err != nil || sum.Load() != 4950 || peak.Load() > 7 {
		t.Fatalf("err %v sum %d peak %d", err, sum.Load(), peak.Load())
	}
	// first error cancels the rest
	boom := errors.New("boom")
	var calls atomic.Int64
	err = RunBatch(context.Background(), 1000, 4, func(ctx context.Context, i int) error {
		calls.Add(1)
		if i == 10 {
			return boom
		}
		select {
		case <-ctx.Done():
		case <-time.After(time.Millisecond):
		}
		return nil
	})
	if !errors.Is(err, boom) || calls.Load() > 100 {
		t.Fatalf("err %v calls %d", err, calls.Load())
	}
	if err := RunBatch(context.Background(), 0, 4, nil); err != nil {
		t.Fatal(err)
	}
}
