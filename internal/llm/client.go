package llm

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/modelsql/modelsql/internal/aisched"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/modelsql/modelsql/internal/membudget"
)

// maxResponseBytes bounds a response body.
const maxResponseBytes = 64 << 20

// defaultTransport is shared by every Client: it keeps enough idle
// connections per host for MaxMaxConcurrency requests in flight.
var defaultTransport = &http.Transport{
	Proxy: http.ProxyFromEnvironment,
	DialContext: (&net.Dialer{
		Timeout:   10 * time.Second,
		KeepAlive: 30 * time.Second,
	}).DialContext,
	ForceAttemptHTTP2:     true,
	MaxIdleConnsPerHost:   MaxMaxConcurrency,
	IdleConnTimeout:       90 * time.Second,
	TLSHandshakeTimeout:   10 * time.Second,
	ExpectContinueTimeout: time.Second,
}

var defaultHTTPClient = &http.Client{Transport: defaultTransport, CheckRedirect: noRedirects}

// noRedirects keeps a request where its ENDPOINT says: a redirect would
// re-send the prompt elsewhere and, to another port of the same host, the
// API key too. The redirect answer is reported as an error.
func noRedirects(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// Client calls one model version. It is safe for concurrent use; all
// Clients with the same Endpoint.LimiterKey share one concurrency limit.
type Client struct {
	ep    Endpoint
	hc    *http.Client
	lim   *limiter
	scrub scrubber
	// budget bounds the memory of response bodies, shared with every
	// other Client and with model downloads.
	budget *membudget.Budget
	// fallback answers a request this client failed with a retryable
	// error class (fallback.go); nil when the version has no FALLBACK.
	fallback *Client
}

// ClientOption configures a Client.
type ClientOption func(*Client)

// WithBudget makes the Client reserve response bodies from b instead of
// membudget.Default.
func WithBudget(b *membudget.Budget) ClientOption { return func(c *Client) { c.budget = b } }

// WithHTTPClient makes the Client use hc (its Timeout should be 0: the
// Endpoint's Timeout bounds each attempt).
func WithHTTPClient(hc *http.Client) ClientOption { return func(c *Client) { c.hc = hc } }

// NewClient returns a Client for ep. Zero fields of ep get the defaults of
// EndpointFromOptions. If another Client with the same LimiterKey exists,
// they share the limiter and its limit becomes ep.MaxConcurrency.
func NewClient(ep Endpoint, opts ...ClientOption) (*Client, error) {
	if ep.BaseURL == "" {
		return nil, errors.New("llm: endpoint has no base URL")
	}
	if ep.Flavor == "" {
		ep.Flavor = FlavorPAIEAS
	}
	if ep.Auth == "" {
		ep.Auth = AuthRaw
		if ep.Flavor == FlavorOpenAI {
			ep.Auth = AuthBearer
		}
	}
	if ep.Timeout <= 0 {
		ep.Timeout = DefaultTimeout
	}
	if ep.MaxAttempts <= 0 {
		ep.MaxAttempts = DefaultMaxAttempts
	}
	if ep.MaxConcurrency <= 0 {
		ep.MaxConcurrency = DefaultMaxConcurrency
	}
	if ep.RetryBaseDelay < 0 {
		ep.RetryBaseDelay = 0
	}
	if ep.RetryMaxDelay <= 0 {
		ep.RetryMaxDelay = DefaultRetryMaxDelay
	}
	if ep.EmbeddingBatchSize <= 0 {
		ep.EmbeddingBatchSize = DefaultEmbeddingBatchSize
	}
	if ep.AudioURLPart == "" {
		ep.AudioURLPart = "input_audio"
	}
	c := &Client{ep: ep, hc: defaultHTTPClient, scrub: scrubber(ep.APIKey), budget: membudget.Default}
	for _, o := range opts {
		o(c)
	}
	c.lim = sharedLimiter(ep.LimiterKey(), ep.MaxConcurrency)
	return c, nil
}

// String describes the client without its API key.
func (c *Client) String() string { return "llm.Client{" + c.ep.String() + "}" }

// GoString is String.
func (c *Client) GoString() string { return c.String() }

// Endpoint returns the client's endpoint (with defaults filled in).
func (c *Client) Endpoint() Endpoint { return c.ep }

// Limit is the concurrency limit of the client's model.
func (c *Client) Limit() int { return c.ep.MaxConcurrency }

// EmbeddingBatchSize is the most inputs to send in one embeddings request.
func (c *Client) EmbeddingBatchSize() int { return c.ep.EmbeddingBatchSize }

// Stats returns the shared statistics of the client's model.
func (c *Client) Stats() Stats { return c.lim.stats() }

// ChatRequest is one chat completion: a user prompt, optionally with media
// (MLLM), plus model parameters copied into the body.
type ChatRequest struct {
	// System, when set, is sent as a system message before the prompt.
	System string
	Prompt string
	Media  *Media
	Params Params
	// Followup messages come after the prompt (a correction round).
	Followup []Message
	// ResponseFormat, when set, is sent as response_format.
	ResponseFormat any
}

// ChatResult is the answer of a chat completion.
type ChatResult struct {
	Content          string
	FinishReason     string
	PromptTokens     int
	CompletionTokens int
	Attempts         int
}

// ChatBody returns the exact JSON body Chat sends for req.
func (c *Client) ChatBody(req ChatRequest) ([]byte, error) {
	var content any = req.Prompt
	if req.Media != nil {
		part, err := req.Media.contentPart(c.ep.AudioURLPart)
		if err != nil {
			return nil, err
		}
		parts := []any{part}
		if req.Prompt != "" {
			parts = append(parts, map[string]any{"type": "text", "text": req.Prompt})
		}
		content = parts
	}
	msgs := []any{map[string]any{"role": "user", "content": content}}
	if req.System != "" {
		msgs = append([]any{map[string]any{"role": "system", "content": req.System}}, msgs...)
	}
	for _, m := range req.Followup {
		msgs = append(msgs, m)
	}
	fixed := map[string]any{
		"model":    c.ep.ServedModel,
		"messages": msgs,
		"stream":   false,
	}
	if req.ResponseFormat != nil {
		fixed["response_format"] = req.ResponseFormat
	}
	return req.Params.Over(c.ep.Params).body(fixed)
}

// Chat sends a chat completion and returns the first choice.
func (c *Client) Chat(ctx context.Context, req ChatRequest) (ChatResult, error) {
	return c.chat(ctx, "chat", req)
}

func (c *Client) chatOnce(ctx context.Context, op string, req ChatRequest) (ChatResult, error) {
	body, err := c.ChatBody(req)
	if err != nil {
		return ChatResult{}, c.annotate(op, err)
	}
	var res ChatResult
	attempts, err := c.post(ctx, op, c.ep.ChatURL(), body, func(b []byte) (bool, error) {
		var r chatResponse
		if err := json.Unmarshal(b, &r); err != nil {
			return true, fmt.Errorf("response is not valid JSON: %v", err)
		}
		if len(r.Choices) == 0 {
			if len(r.Error) > 0 {
				return false, errors.New("server error in response: " + serverMessage(b))
			}
			return false, errors.New("response has no choices")
		}
		ch := r.Choices[0]
		text, err := contentText(ch.Message.Content)
		if err != nil {
			return false, err
		}
		res = ChatResult{Content: text, FinishReason: ch.FinishReason}
		if r.Usage != nil {
			res.PromptTokens, res.CompletionTokens = r.Usage.PromptTokens, r.Usage.CompletionTokens
		}
		return false, nil
	})
	res.Attempts = attempts
	if err != nil {
		return res, err
	}
	c.lim.promptTokens.Add(int64(res.PromptTokens))
	c.lim.complTokens.Add(int64(res.CompletionTokens))
	return res, nil
}

type chatResponse struct {
	Choices []struct {
		Message struct {
			Content json.RawMessage `json:"content"`
		} `json:"message"`
		FinishReason string `json:"finish_reason"`
	} `json:"choices"`
	Usage *struct {
		PromptTokens     int `json:"prompt_tokens"`
		CompletionTokens int `json:"completion_tokens"`
	} `json:"usage"`
	Error json.RawMessage `json:"error"`
}

// contentText reads message.content: a string, null, or an array of parts.
func contentText(raw json.RawMessage) (string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", nil
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s, nil
	}
	var parts []struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
	if err := json.Unmarshal(raw, &parts); err != nil {
		return "", errors.New("message content is neither a string nor a list of parts")
	}
	var b strings.Builder
	for _, p := range parts {
		if p.Type == "text" || p.Type == "" {
			b.WriteString(p.Text)
		}
	}
	return b.String(), nil
}

// EmbedRequest asks for the embeddings of Inputs (texts), or of Media
// (multi-modal embedding, sent vLLM-style as chat messages with Inputs[0]
// as the optional text).
type EmbedRequest struct {
	Inputs []string
	Media  *Media
	Params Params
}

// EmbedResult holds one vector per input, in input order.
type EmbedResult struct {
	Vectors      [][]float32
	PromptTokens int
	Attempts     int
}

// EmbeddingsBody returns the exact JSON body Embeddings sends for req.
func (c *Client) EmbeddingsBody(req EmbedRequest) ([]byte, error) {
	req.Params = req.Params.Over(c.ep.Params)
	fixed := map[string]any{"model": c.ep.ServedModel}
	if req.Media != nil {
		part, err := req.Media.contentPart(c.ep.AudioURLPart)
		if err != nil {
			return nil, err
		}
		parts := []any{part}
		if len(req.Inputs) > 0 && req.Inputs[0] != "" {
			parts = append(parts, map[string]any{"type": "text", "text": req.Inputs[0]})
		}
		fixed["messages"] = []any{map[string]any{"role": "user", "content": parts}}
		if _, ok := req.Params["encoding_format"]; !ok {
			fixed["encoding_format"] = "float"
		}
	} else {
		switch len(req.Inputs) {
		case 0:
			return nil, &Error{Class: ClassInvalidArgument, Message: "no input to embed"}
		case 1:
			fixed["input"] = req.Inputs[0]
		default:
			fixed["input"] = req.Inputs
		}
	}
	return req.Params.body(fixed)
}

// Embeddings returns embedding vectors. When Params has "dimensions" every
// vector must have that length (else a validation error).
func (c *Client) Embeddings(ctx context.Context, req EmbedRequest) (EmbedResult, error) {
	return c.embeddings(ctx, "embeddings", req)
}

func (c *Client) embedOnce(ctx context.Context, op string, req EmbedRequest) (EmbedResult, error) {
	body, err := c.EmbeddingsBody(req)
	if err != nil {
		return EmbedResult{}, c.annotate(op, err)
	}
	want := len(req.Inputs)
	if req.Media != nil {
		want = 1
	}
	var res EmbedResult
	attempts, err := c.post(ctx, op, c.ep.EmbeddingsURL(), body, func(b []byte) (bool, error) {
		var r struct {
			Data []struct {
				Index     int             `json:"index"`
				Embedding json.RawMessage `json:"embedding"`
			} `json:"data"`
			Usage *struct {
				PromptTokens int `json:"prompt_tokens"`
			} `json:"usage"`
			Error json.RawMessage `json:"error"`
		}
		if err := json.Unmarshal(b, &r); err != nil {
			return true, fmt.Errorf("response is not valid JSON: %v", err)
		}
		if len(r.Data) != want {
			if len(r.Data) == 0 && len(r.Error) > 0 {
				return false, errors.New("server error in response: " + serverMessage(b))
			}
			return false, fmt.Errorf("response has %d embeddings for %d inputs", len(r.Data), want)
		}
		sort.SliceStable(r.Data, func(i, j int) bool { return r.Data[i].Index < r.Data[j].Index })
		vecs := make([][]float32, len(r.Data))
		for i, d := range r.Data {
			v, err := decodeVector(d.Embedding)
			if err != nil {
				return false, err
			}
			if len(v) == 0 {
				return false, errors.New("response has an empty embedding")
			}
			vecs[i] = v
		}
		res.Vectors = vecs
		if r.Usage != nil {
			res.PromptTokens = r.Usage.PromptTokens
		}
		return false, nil
	})
	res.Attempts = attempts
	if err != nil {
		return res, err
	}
	c.lim.promptTokens.Add(int64(res.PromptTokens))
	if dim, ok := req.Params.Over(c.ep.Params).Dimensions(); ok {
		for _, v := range res.Vectors {
			if len(v) != dim {
				c.lim.failures.Add(1)
				return res, c.newError(op, ClassValidation, 0, attempts,
					fmt.Sprintf("server returned %d dimensions, %d were requested (does the model support \"dimensions\"?)", len(v), dim), nil)
			}
		}
	}
	return res, nil
}

// decodeVector reads a float array or a base64 little-endian float32 string.
func decodeVector(raw json.RawMessage) ([]float32, error) {
	var v []float32
	if json.Unmarshal(raw, &v) == nil {
		return v, nil
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		b, err := base64.StdEncoding.DecodeString(s)
		if err == nil && len(b)%4 == 0 {
			v = make([]float32, len(b)/4)
			for i := range v {
				v[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
			}
			return v, nil
		}
	}
	return nil, errors.New("embedding is neither a number array nor base64 float32")
}

// annotate turns a local error (no request sent) into an *Error.
func (c *Client) annotate(op string, err error) error {
	if e, ok := AsError(err); ok {
		e2 := *e
		e2.Model, e2.Version, e2.Op = c.ep.Model, c.ep.Version, op
		return &e2
	}
	return c.newError(op, ClassInvalidArgument, 0, 0, err.Error(), err)
}

func (c *Client) newError(op string, class ErrorClass, status, attempts int, msg string, cause error) *Error {
	return &Error{
		Model: c.ep.Model, Version: c.ep.Version, Op: op, Class: class, Status: status,
		Attempts: attempts, Message: excerpt(c.scrub.str(msg)), Err: c.scrub.err(cause),
	}
}

// parseFunc parses a 2xx body; retry reports whether a failure is worth
// another attempt (an unparseable, probably truncated body).
type parseFunc func(body []byte) (retry bool, err error)

// post sends body to url with the retry policy, holding one slot of the
// model's limiter for the whole operation (back-off included), and returns
// the attempts made.
func (c *Client) post(ctx context.Context, op, url string, body []byte, parse parseFunc) (int, error) {
	if err := c.lim.acquire(ctx); err != nil {
		c.lim.failures.Add(1)
		return 0, c.newError(op, ClassCanceled, 0, 0, "canceled while waiting for a free slot: "+err.Error(), err)
	}
	defer c.lim.release()

	for attempt := 1; ; attempt++ {
		c.lim.requests.Add(1)
		if attempt > 1 {
			c.lim.retries.Add(1)
		}
		e, retryAfter, hasRA, retry := c.attempt(ctx, op, url, body, parse, attempt)
		if e == nil {
			return attempt, nil
		}
		if e.Class == ClassRateLimited || e.Class == ClassTimeout || e.Status == 503 {
			aisched.Overloaded(ctx) // the server is queueing: the scheduler backs off
		}
		if hasRA {
			c.lim.retryAfterHit.Add(1)
			e.RetryAfter = retryAfter
		}
		if !retry || attempt >= c.ep.MaxAttempts {
			c.lim.failures.Add(1)
			return attempt, e
		}
		if hasRA && retryAfter > c.ep.RetryMaxDelay {
			e.Message = excerpt(fmt.Sprintf("server asked to retry after %s (Retry-After), more than %s (%d ms); %s",
				retryAfter, OptRetryMaxDelay, c.ep.RetryMaxDelay.Milliseconds(), e.Message))
			c.lim.failures.Add(1)
			return attempt, e
		}
		if err := sleepCtx(ctx, c.backoff(attempt, retryAfter, hasRA)); err != nil {
			c.lim.failures.Add(1)
			return attempt, c.newError(op, ClassCanceled, e.Status, attempt, "canceled during retry back-off: "+err.Error(), err)
		}
	}
}

// attempt makes one HTTP request. It returns nil on success, or the error,
// the Retry-After sent by the server, and whether to retry.
func (c *Client) attempt(ctx context.Context, op, url string, body []byte, parse parseFunc, n int) (e *Error, ra time.Duration, hasRA, retry bool) {
	actx, cancel := context.WithTimeout(ctx, c.ep.Timeout)
	defer cancel()

	transportErr := func(err error) *Error {
		switch {
		case ctx.Err() != nil:
			return c.newError(op, ClassCanceled, 0, n, "canceled: "+ctx.Err().Error(), ctx.Err())
		case actx.Err() != nil || isTimeout(err):
			return c.newError(op, ClassTimeout, 0, n, fmt.Sprintf("no answer within %s (%d ms)",
				OptSyncRequestTimeout, c.ep.Timeout.Milliseconds()), err)
		default:
			// One message whatever failed (refused, reset, closed, not
			// HTTP, unknown host): the difference would tell a user who
			// may create models which ports of a host answer.
			return c.newError(op, ClassConnection, 0, n, connectionFailed, err)
		}
	}

	req, err := http.NewRequestWithContext(actx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return c.newError(op, ClassInvalidArgument, 0, 0, "bad request URL", nil), 0, false, false
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "modelsql")
	if c.ep.APIKey != "" {
		if c.ep.Auth == AuthBearer {
			req.Header.Set("Authorization", "Bearer "+c.ep.APIKey)
		} else {
			req.Header.Set("Authorization", c.ep.APIKey)
		}
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		e := transportErr(err)
		return e, 0, false, e.Class != ClassCanceled
	}
	defer resp.Body.Close()
	b, held, e := c.readBody(actx, op, resp, n)
	if e != nil {
		if e.Class == "" {
			e = transportErr(e.Err)
			e.Status = resp.StatusCode
		}
		return e, 0, false, e.Class.Retryable()
	}
	defer held.Release()

	st := resp.StatusCode
	if st >= 200 && st < 300 {
		retry, err := parse(b)
		if err == nil {
			return nil, 0, false, false
		}
		return c.newError(op, ClassBadResponse, st, n, err.Error(), nil), 0, false, retry
	}
	if st >= 300 && st < 400 {
		return c.newError(op, ClassClientError, st, n, "the endpoint answered with a redirect, which is not followed [set ENDPOINT to the final URL]", nil), 0, false, false
	}
	ra, hasRA = parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
	msg := serverMessage(b)
	if strings.TrimSpace(msg) == "" {
		msg = http.StatusText(st)
	}
	var class ErrorClass
	switch {
	case st == http.StatusTooManyRequests:
		class = ClassRateLimited
	case st == http.StatusRequestTimeout:
		class = ClassTimeout
	case st == http.StatusUnauthorized || st == http.StatusForbidden:
		class = ClassAuth
	case st >= 500:
		class = ClassServerError
	default:
		class = ClassClientError
	}
	e = c.newError(op, class, st, n, msg, nil)
	switch {
	case class == ClassAuth:
		e.Message += " [check APIKEY and AUTH_SCHEME]"
	case st == http.StatusNotFound:
		e.Message += " [check ENDPOINT, PAI_EAS_SERVICE_NAME and PAI_EAS_MODEL_NAME]"
	case class == ClassRateLimited:
		e.Message += " [lower MAX_CONCURRENCY or raise the server's quota]"
	}
	return e, ra, hasRA, class.Retryable()
}

// readBody reads a response body into memory reserved from the process-wide
// budget (membudget), which the caller releases once the body is parsed. A
// returned *Error without a Class is a transport error, classified by the
// caller.
func (c *Client) readBody(ctx context.Context, op string, resp *http.Response, n int) ([]byte, *membudget.Reservation, *Error) {
	b, held, err := c.budget.ReadAll(ctx, resp.Body, resp.ContentLength, maxResponseBytes)
	switch {
	case err == nil:
		return b, held, nil
	case errors.Is(err, membudget.ErrLimit):
		return nil, nil, c.newError(op, ClassBadResponse, resp.StatusCode, n, fmt.Sprintf("response larger than %d bytes", maxResponseBytes), nil)
	case errors.Is(err, membudget.ErrTooLarge):
		// Retrying cannot help: the answer alone exceeds the budget.
		return nil, nil, c.newError(op, ClassBadResponse, resp.StatusCode, n, "response not read: "+err.Error(), nil)
	case errors.Is(err, membudget.ErrWaitedTooLong), errors.Is(err, membudget.ErrContended):
		// Other requests hold the memory: a later attempt may find it free.
		return nil, nil, c.newError(op, ClassTimeout, resp.StatusCode, n, "response not read: "+err.Error(), nil)
	}
	return nil, nil, &Error{Err: err}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}

// connectionFailed is the message of every connection-level failure.
const connectionFailed = "no answer from the endpoint (connection failed or closed)"

// parseRetryAfter reads a Retry-After value: delay-seconds or an HTTP-date.
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if n, err := strconv.ParseFloat(v, 64); err == nil {
		if n < 0 || math.IsNaN(n) || math.IsInf(n, 0) {
			return 0, false
		}
		if n > 86400*365 {
			n = 86400 * 365
		}
		return time.Duration(n * float64(time.Second)), true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

// backoff is the delay before attempt+1: Retry-After plus up to 10% (at
// most 1 s) jitter when the server sent one, else exponential back-off
// from RetryBaseDelay with equal jitter, capped at RetryMaxDelay.
func (c *Client) backoff(attempt int, ra time.Duration, hasRA bool) time.Duration {
	if hasRA {
		j := min(ra/10, time.Second)
		if j > 0 {
			ra += rand.N(j)
		}
		return ra
	}
	d := c.ep.RetryBaseDelay
	for i := 1; i < attempt && d < c.ep.RetryMaxDelay; i++ {
		d *= 2
	}
	d = min(d, c.ep.RetryMaxDelay)
	if d <= 1 {
		return d
	}
	return d/2 + rand.N(d/2+1)
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
