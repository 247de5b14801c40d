// Package fakellm is a deterministic PAI-EAS- and OpenAI-compatible LLM
// server for tests, benchmarks and demos, with fault injection. It serves
//
//	POST /api/predict/<service>/v1/chat/completions   (Authorization: <key>)
//	POST /api/predict/<service>/v1/embeddings
//	POST /v1/chat/completions                          (Authorization: Bearer <key>)
//	POST /v1/embeddings
//	GET  …/v1/models, /healthz
//
// Answers are derived from the request only, so they are identical across
// runs, retries and concurrency: generation echoes the prompt ("echo: …"),
// embeddings come from a SHA-256 of the input, and the task prompts of
// package llm (classify, extract, summarize, translate, sentiment,
// similarity) get valid answers for the labels they list.
//
// Faults are injected server-wide (Options) or per request by directives
// written anywhere in the prompt or input text, e.g. "[[fake:503;times=2]]".
// See docs/ai-functions.md for the directive syntax.
package fakellm

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Options configure a Server. The zero value is a fault-free server that
// accepts any token and any service and model name.
type Options struct {
	// APIKey is the expected token: raw on EAS paths, "Bearer <key>" on
	// /v1 paths. Empty: no check.
	APIKey string
	// LenientAuth accepts both forms on both path kinds (the real EAS
	// gateway does).
	LenientAuth bool
	// Latency is added to every request before it is answered.
	Latency time.Duration
	// FailRate is the fraction (0..1) of requests answered with one of
	// FailStatuses, decided deterministically from Seed, the request body
	// and how many times that same body was seen before.
	FailRate float64
	// FailStatuses are the statuses of FailRate faults (default 429, 503).
	FailStatuses []int
	// RetryAfter is sent verbatim as Retry-After with FailRate faults
	// ("" = no header). Seconds ("1") or an HTTP-date.
	RetryAfter string
	// FailLimit: only the first FailLimit arrivals of a given body can fail
	// through FailRate (0 = no limit), so a client with more attempts
	// always gets through.
	FailLimit int
	// Seed of the FailRate decisions.
	Seed uint64
	// Fault applies to every request, written like a directive body, e.g.
	// "hang", "503;retry-after=1", "latency=20ms", "malformed".
	Fault string
	// EmbeddingDims is the embedding size when a request has no
	// "dimensions" (default 1024).
	EmbeddingDims int
	// Services, when set, are the EAS service names served (others: 404).
	Services []string
	// Models, when set, are the model names served (others: 404).
	Models []string
	// MaxRecorded bounds the recorded requests (the latest are kept);
	// 0 means 10000, negative disables recording.
	MaxRecorded int
	// MaxEmbedInputs, when positive, answers an embeddings request with
	// more inputs than this 413 Payload Too Large.
	MaxEmbedInputs int
	// MaxInputChars, when positive, answers a request with an input
	// longer than this 400 "maximum context length exceeded", as vLLM does.
	MaxInputChars int
	// Workers, when positive, is how many requests are answered at a time;
	// the others queue (in arrival order) and their waiting counts toward
	// the client's timeout, as with a one-replica EAS service or Ollama. A
	// request whose client gives up leaves the queue.
	Workers int
	// HangMax bounds a "hang" fault (default 10 minutes); the handler also
	// returns when the client goes away or Close is called.
	HangMax time.Duration
}

// Request is a recorded request.
type Request struct {
	Method string
	Path   string
	Header http.Header
	Body   []byte
	Fault  string // the fault injected, "" when answered normally
}

// Stats counts what the server saw.
type Stats struct {
	Requests    int64 // requests to the API routes
	Faults      int64 // requests answered with an injected fault
	InFlight    int64
	MaxInFlight int64
}

// Server is the fake LLM server; it is an http.Handler.
type Server struct {
	mu       sync.Mutex
	opts     Options
	recorded []*Request
	seen     map[[32]byte]int // arrivals per body

	requests, faults, inFlight, maxInFlight atomic.Int64

	closeOnce sync.Once
	closed    chan struct{}

	workers chan struct{} // Options.Workers slots (nil: no limit)
}

// NewServer returns a Server with options o.
func NewServer(o Options) *Server {
	s := &Server{closed: make(chan struct{}), seen: map[[32]byte]int{}}
	s.SetOptions(o)
	return s
}

// workerSlots is the queue of Options.Workers (nil when unlimited).
func (s *Server) workerSlots(n int) chan struct{} {
	if n <= 0 {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if cap(s.workers) != n {
		s.workers = make(chan struct{}, n)
	}
	return s.workers
}

// SetOptions replaces the options (for requests that arrive afterwards).
func (s *Server) SetOptions(o Options) {
	if len(o.FailStatuses) == 0 {
		o.FailStatuses = []int{429, 503}
	}
	if o.EmbeddingDims <= 0 {
		o.EmbeddingDims = 1024
	}
	if o.MaxRecorded == 0 {
		o.MaxRecorded = 10000
	}
	if o.HangMax <= 0 {
		o.HangMax = 10 * time.Minute
	}
	s.mu.Lock()
	s.opts = o
	s.mu.Unlock()
}

// Options returns the current options (defaults filled in).
func (s *Server) Options() Options {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.opts
}

// Requests returns a copy of the recorded requests, oldest first.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Request, len(s.recorded))
	for i, r := range s.recorded {
		out[i] = *r
	}
	return out
}

// LastRequest returns the latest recorded request.
func (s *Server) LastRequest() (Request, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.recorded) == 0 {
		return Request{}, false
	}
	return *s.recorded[len(s.recorded)-1], true
}

// Reset forgets recorded requests, per-body counters and statistics.
func (s *Server) Reset() {
	s.mu.Lock()
	s.recorded = nil
	s.seen = map[[32]byte]int{}
	s.mu.Unlock()
	s.requests.Store(0)
	s.faults.Store(0)
	s.maxInFlight.Store(s.inFlight.Load())
}

// Stats returns the counters.
func (s *Server) Stats() Stats {
	return Stats{Requests: s.requests.Load(), Faults: s.faults.Load(),
		InFlight: s.inFlight.Load(), MaxInFlight: s.maxInFlight.Load()}
}

// Close releases handlers blocked in a "hang" fault or in latency.
func (s *Server) Close() { s.closeOnce.Do(func() { close(s.closed) }) }

func (s *Server) record(r Request) *Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.opts.MaxRecorded < 0 {
		return nil
	}
	if len(s.recorded) >= s.opts.MaxRecorded {
		n := copy(s.recorded, s.recorded[len(s.recorded)-s.opts.MaxRecorded+1:])
		clear(s.recorded[n:])
		s.recorded = s.recorded[:n]
	}
	p := &r
	s.recorded = append(s.recorded, p)
	return p
}

func (s *Server) setRecordedFault(rec *Request, fault string) {
	if rec == nil {
		return
	}
	s.mu.Lock()
	rec.Fault = fault
	s.mu.Unlock()
}

// maxSeen bounds the per-body arrival counters.
const maxSeen = 1 << 20

// arrival returns how many times body was seen before this request.
func (s *Server) arrival(body []byte) int {
	k := sha256.Sum256(body)
	s.mu.Lock()
	defer s.mu.Unlock()
	n := s.seen[k]
	if n == 0 && len(s.seen) >= maxSeen {
		s.seen = map[[32]byte]int{} // bound memory of a long-running server
	}
	s.seen[k] = n + 1
	return n
}

type route int

const (
	routeNone route = iota
	routeChat
	routeEmbeddings
	routeModels
)

// parsePath returns the route and whether it is an EAS path.
func parsePath(p string) (rt route, eas bool, service string) {
	rest := p
	if after, ok := strings.CutPrefix(p, "/api/predict/"); ok {
		svc, r, ok := strings.Cut(after, "/")
		if !ok || svc == "" {
			return routeNone, true, svc
		}
		eas, service, rest = true, svc, "/"+r
	}
	switch strings.TrimRight(rest, "/") {
	case "/v1/chat/completions":
		return routeChat, eas, service
	case "/v1/embeddings":
		return routeEmbeddings, eas, service
	case "/v1/models":
		return routeModels, eas, service
	}
	return routeNone, eas, service
}

func strconvQuote(s string) string { return strconv.Quote(s) }

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	w.Write(b)
}

func writeError(w http.ResponseWriter, status int, typ, msg string) {
	writeJSON(w, status, map[string]any{"error": map[string]any{"message": msg, "type": typ, "code": status}})
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/healthz" {
		w.Write([]byte("ok\n"))
		return
	}
	rt, eas, service := parsePath(r.URL.Path)
	if rt == routeNone {
		writeError(w, http.StatusNotFound, "not_found", "fake-llm: no route "+r.URL.Path)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 256<<20))
	if err != nil {
		return
	}
	o := s.Options()
	s.requests.Add(1)
	rec := s.record(Request{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(), Body: body})
	n := s.inFlight.Add(1)
	defer s.inFlight.Add(-1)
	for {
		m := s.maxInFlight.Load()
		if n <= m || s.maxInFlight.CompareAndSwap(m, n) {
			break
		}
	}

	if !s.authorized(o, r.Header.Get("Authorization"), eas) {
		writeError(w, http.StatusUnauthorized, "unauthorized", "fake-llm: invalid or missing Authorization")
		return
	}
	if eas && len(o.Services) > 0 && !slices.Contains(o.Services, service) {
		writeError(w, http.StatusNotFound, "not_found", "fake-llm: service "+service+" not found")
		return
	}
	if rt == routeModels {
		models := o.Models
		if len(models) == 0 {
			models = []string{"fake-llm"}
		}
		data := []any{}
		for _, m := range models {
			data = append(data, map[string]any{"id": m, "object": "model", "owned_by": "fakellm"})
		}
		writeJSON(w, 200, map[string]any{"object": "list", "data": data})
		return
	}
	if r.Method != http.MethodPost {
		writeError(w, http.StatusMethodNotAllowed, "invalid_request_error", "fake-llm: use POST")
		return
	}
	var req apiRequest
	if err := json.Unmarshal(body, &req); err != nil {
		writeError(w, http.StatusBadRequest, "invalid_request_error", "fake-llm: body is not JSON: "+err.Error())
		return
	}
	if len(o.Models) > 0 && !slices.Contains(o.Models, req.Model) {
		writeError(w, http.StatusNotFound, "not_found", fmt.Sprintf("fake-llm: model %q does not exist", req.Model))
		return
	}
	in := req.inputs(rt)

	// Faults: the server-wide one, then directives, then FailRate.
	var dirs []directive
	if o.Fault != "" {
		dirs = append(dirs, parseDirective(o.Fault))
	}
	for _, t := range in.texts {
		dirs = append(dirs, findDirectives(t)...)
	}
	needArrival := o.FailRate > 0
	for _, d := range dirs {
		needArrival = needArrival || d.times > 0
	}
	arrival := 0
	if needArrival {
		arrival = s.arrival(body)
	}
	latency := o.Latency
	var fault *directive
	var ans answerOverride
	for i := range dirs {
		d := dirs[i]
		if d.times > 0 && arrival >= d.times {
			continue
		}
		switch d.kind {
		case "latency":
			latency += d.latency
		case "answer":
			ans.content, ans.set = d.value, true
		case "dims":
			ans.dims = d.n
		case "schema-miss":
			if req.ResponseFormat != nil && (d.value == "always" || !req.hasAssistant()) {
				ans.content, ans.set = `Sure! {"oops": `, true
			}
		case "":
		default:
			if fault == nil {
				fault = &d
			}
		}
	}
	if fault == nil && o.FailRate > 0 && (o.FailLimit <= 0 || arrival < o.FailLimit) {
		h := sha256.Sum256(binary.LittleEndian.AppendUint64(binary.LittleEndian.AppendUint64(slices.Clone(body), o.Seed), uint64(arrival)))
		x := float64(binary.LittleEndian.Uint64(h[:8])>>11) / (1 << 53)
		if x < o.FailRate {
			st := o.FailStatuses[int(binary.LittleEndian.Uint64(h[8:16])%uint64(len(o.FailStatuses)))]
			fault = &directive{kind: "status", status: st, retryAfter: o.RetryAfter, hasRA: o.RetryAfter != ""}
		}
	}

	if wk := s.workerSlots(o.Workers); wk != nil {
		select {
		case wk <- struct{}{}:
			defer func() { <-wk }()
		case <-r.Context().Done():
			return
		case <-s.closed:
			return
		}
	}
	if latency > 0 && !s.sleep(r.Context(), latency) {
		return
	}
	if fault != nil {
		s.faults.Add(1)
		s.setRecordedFault(rec, fault.String())
		s.injectFault(w, r, *fault, o)
		return
	}
	switch rt {
	case routeChat:
		writeJSON(w, 200, chatAnswer(req, in, ans))
	case routeEmbeddings:
		dims := o.EmbeddingDims
		if req.Dimensions != nil {
			dims = *req.Dimensions
		}
		if dims < 1 || dims > 65536 {
			writeError(w, http.StatusBadRequest, "invalid_request_error", "fake-llm: dimensions must be between 1 and 65536")
			return
		}
		if ans.dims > 0 {
			dims = ans.dims
		}
		if len(in.embedInputs) == 0 {
			writeError(w, http.StatusBadRequest, "invalid_request_error", "fake-llm: no input")
			return
		}
		if o.MaxEmbedInputs > 0 && len(in.embedInputs) > o.MaxEmbedInputs {
			writeError(w, http.StatusRequestEntityTooLarge, "invalid_request_error",
				fmt.Sprintf("fake-llm: %d inputs, at most %d per request", len(in.embedInputs), o.MaxEmbedInputs))
			return
		}
		for _, t := range in.embedInputs {
			if o.MaxInputChars > 0 && len(t) > o.MaxInputChars {
				writeError(w, http.StatusBadRequest, "invalid_request_error",
					fmt.Sprintf("This model's maximum context length is %d tokens. However, you requested %d tokens in the input.", o.MaxInputChars, len(t)))
				return
			}
		}
		writeJSON(w, 200, embeddingsAnswer(req.Model, in.embedInputs, dims))
	}
}

func (s *Server) authorized(o Options, got string, eas bool) bool {
	if o.APIKey == "" {
		return true
	}
	raw, bearer := got == o.APIKey, got == "Bearer "+o.APIKey
	switch {
	case o.LenientAuth:
		return raw || bearer
	case eas:
		return raw
	default:
		return bearer
	}
}

// sleep waits d; false when the client went away or the server closed.
func (s *Server) sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	case <-s.closed:
		return false
	}
}

func (s *Server) injectFault(w http.ResponseWriter, r *http.Request, d directive, o Options) {
	switch d.kind {
	case "status":
		if d.hasRA {
			w.Header().Set("Retry-After", d.retryAfter)
		}
		msg := d.message
		if msg == "" {
			msg = fmt.Sprintf("fake-llm: injected %d %s", d.status, http.StatusText(d.status))
		}
		writeError(w, d.status, "injected", msg)
	case "echo-auth":
		writeError(w, http.StatusUnauthorized, "unauthorized", "fake-llm: token "+r.Header.Get("Authorization")+" is not valid")
	case "hang":
		if s.sleep(r.Context(), o.HangMax) {
			writeError(w, http.StatusGatewayTimeout, "timeout", "fake-llm: hung request released")
		}
	case "malformed":
		b := []byte(`{"id":"chatcmpl-fake","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"trunc`)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", strconv.Itoa(len(b)))
		w.WriteHeader(200)
		w.Write(b)
	case "empty":
		writeJSON(w, 200, map[string]any{"id": "fake-empty", "object": "list", "choices": []any{}, "data": []any{}})
	case "reset":
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", "4096")
		w.WriteHeader(200)
		w.Write([]byte(`{"id":"chatcmpl-fake","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"partial`))
		if f, ok := w.(http.Flusher); ok {
			f.Flush()
		}
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				if tc, ok := conn.(*net.TCPConn); ok {
					tc.SetLinger(0) // RST instead of FIN
				}
				conn.Close()
				return
			}
		}
		panic(http.ErrAbortHandler)
	default:
		writeError(w, http.StatusBadRequest, "invalid_request_error", "fake-llm: bad fault directive "+strconvQuote(d.value))
	}
}

// apiRequest is the union of the chat and embeddings request bodies.
type apiRequest struct {
	Model      string          `json:"model"`
	Messages   []message       `json:"messages"`
	Input      json.RawMessage `json:"input"`
	Dimensions *int            `json:"dimensions"`
	MaxTokens  *int            `json:"max_tokens"`
	// ResponseFormat json_schema: the answer is JSON of that schema (SchemaAnswer).
	ResponseFormat *struct {
		Type       string `json:"type"`
		JSONSchema struct {
			Schema json.RawMessage `json:"schema"`
		} `json:"json_schema"`
	} `json:"response_format"`
}

// hasAssistant reports whether the conversation already has an answer (a
// correction round).
func (q apiRequest) hasAssistant() bool {
	for _, m := range q.Messages {
		if m.Role == "assistant" {
			return true
		}
	}
	return false
}

type message struct {
	Role    string          `json:"role"`
	Content json.RawMessage `json:"content"`
}

type contentPart struct {
	Type       string   `json:"type"`
	Text       string   `json:"text"`
	ImageURL   *partURL `json:"image_url"`
	VideoURL   *partURL `json:"video_url"`
	AudioURL   *partURL `json:"audio_url"`
	InputAudio *struct {
		Data   string `json:"data"`
		Format string `json:"format"`
	} `json:"input_audio"`
}

type partURL struct {
	URL string `json:"url"`
}

// inputs are the texts of a request.
type inputs struct {
	texts       []string // every text, for directives
	prompt      string   // chat: text of the last user message
	firstPrompt string   // chat: text of the first user message (the question of a correction round)
	media       []string // chat: descriptors of its media parts
	embedInputs []string // embeddings: one string per vector
}

func (q apiRequest) inputs(rt route) inputs {
	var in inputs
	lastUser := -1
	for i, m := range q.Messages {
		if m.Role == "user" || lastUser < 0 {
			lastUser = i
		}
	}
	for i, m := range q.Messages {
		text, media := messageText(m.Content)
		in.texts = append(in.texts, text)
		if i == lastUser {
			in.prompt, in.media = text, media
		}
		if m.Role == "user" && in.firstPrompt == "" {
			in.firstPrompt = text
		}
	}
	if rt == routeEmbeddings {
		if len(q.Input) > 0 {
			var one string
			var many []string
			if json.Unmarshal(q.Input, &one) == nil {
				in.embedInputs = []string{one}
			} else if json.Unmarshal(q.Input, &many) == nil {
				in.embedInputs = many
			}
		} else if lastUser >= 0 {
			in.embedInputs = []string{strings.TrimSpace(strings.Join(append(slices.Clone(in.media), in.prompt), " "))}
		}
		in.texts = append(in.texts, in.embedInputs...)
	}
	return in
}

func messageText(raw json.RawMessage) (string, []string) {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s, nil
	}
	var parts []contentPart
	if json.Unmarshal(raw, &parts) != nil {
		return "", nil
	}
	var texts, media []string
	for _, p := range parts {
		switch {
		case p.Type == "text":
			texts = append(texts, p.Text)
		case p.ImageURL != nil:
			media = append(media, describeURL("image", p.ImageURL.URL))
		case p.VideoURL != nil:
			media = append(media, describeURL("video", p.VideoURL.URL))
		case p.AudioURL != nil:
			media = append(media, describeURL("audio", p.AudioURL.URL))
		case p.InputAudio != nil:
			d := p.InputAudio.Data
			if strings.HasPrefix(d, "http://") || strings.HasPrefix(d, "https://") || strings.HasPrefix(d, "oss://") {
				media = append(media, describeURL("audio", d))
			} else {
				media = append(media, describeBase64("audio/"+p.InputAudio.Format, d))
			}
		}
	}
	return strings.Join(texts, "\n"), media
}

func describeURL(kind, u string) string {
	if rest, ok := strings.CutPrefix(u, "data:"); ok {
		mime, b64, _ := strings.Cut(rest, ";base64,")
		return describeBase64(mime, b64)
	}
	return "[" + kind + " url " + u + "]"
}

func describeBase64(mime, b64 string) string {
	b, err := decodeBase64(b64)
	if err != nil {
		return "[" + mime + " invalid base64]"
	}
	h := sha256.Sum256(b)
	return fmt.Sprintf("[%s %d bytes sha256:%x]", mime, len(b), h[:4])
}

// embeddingsAnswer builds deterministic unit vectors from SHA-256. The list
// comes in reverse order (each item keeps its "index"): the API promises
// only the index, and clients must map answers back by it.
func embeddingsAnswer(model string, texts []string, dims int) map[string]any {
	data := make([]any, len(texts))
	tokens := 0
	for i, t := range texts {
		data[len(texts)-1-i] = map[string]any{"object": "embedding", "index": i, "embedding": Vector(t, dims)}
		tokens += len(strings.Fields(t))
	}
	return map[string]any{"object": "list", "model": model, "data": data,
		"usage": map[string]any{"prompt_tokens": tokens, "total_tokens": tokens}}
}

// Vector is the deterministic embedding the server returns for text: a
// unit-length vector of dims float32 derived from SHA-256(text, block).
func Vector(text string, dims int) []float32 {
	v := make([]float32, dims)
	var sum float64
	for blk := 0; blk*8 < dims; blk++ {
		h := sha256.Sum256(binary.LittleEndian.AppendUint32([]byte(text), uint32(blk)))
		for j := 0; j < 8 && blk*8+j < dims; j++ {
			u := binary.LittleEndian.Uint32(h[4*j:])
			x := float64(u)/float64(math.MaxUint32)*2 - 1
			v[blk*8+j] = float32(x)
			sum += x * x
		}
	}
	norm := math.Sqrt(sum)
	if norm == 0 {
		norm = 1
	}
	for i := range v {
		v[i] = float32(float64(v[i]) / norm)
	}
	return v
}
