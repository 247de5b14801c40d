package llm

import (
	"fmt"
	"log/slog"
	"math"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/modelsql/modelsql/internal/outputschema"
)

// MaxCompute option keys of a REMOTE model version that the client reads.
const (
	OptEndpoint           = "ENDPOINT"
	OptServiceName        = "PAI_EAS_SERVICE_NAME"
	OptModelName          = "PAI_EAS_MODEL_NAME"
	OptAPIKey             = "APIKEY"
	OptSyncMode           = "PAI_EAS_SYNC_MODE"
	OptSyncRequestTimeout = "PAI_EAS_SYNC_REQUEST_TIMEOUT"
)

// modelsql's own extension option keys (not MaxCompute options).
const (
	// OptAPIFlavor selects the wire addressing: 'pai_eas' (default) or 'openai'.
	OptAPIFlavor = "API_FLAVOR"
	// OptAuthScheme overrides how APIKEY is sent: 'raw' (Authorization: <key>,
	// the PAI-EAS default) or 'bearer' (Authorization: Bearer <key>, the
	// openai default).
	OptAuthScheme = "AUTH_SCHEME"
	// OptMaxAttempts bounds the attempts per request (first try included).
	OptMaxAttempts = "MAX_ATTEMPTS"
	// OptMaxConcurrency is the per-model limit of requests in flight, shared
	// by every query of the process.
	OptMaxConcurrency = "MAX_CONCURRENCY"
	// OptRetryBaseDelay is the first back-off delay in milliseconds.
	OptRetryBaseDelay = "RETRY_BASE_DELAY_MS"
	// OptRetryMaxDelay caps one back-off delay, and the Retry-After the
	// client is willing to honour, in milliseconds.
	OptRetryMaxDelay = "RETRY_MAX_DELAY_MS"
	// OptAudioURLPart selects the content part used for an audio URL:
	// 'input_audio' (default, Qwen-Omni / DashScope style) or 'audio_url'
	// (vLLM style).
	OptAudioURLPart = "AUDIO_URL_PART"
	// OptEmbeddingBatchSize is how many inputs AI_EMBEDDING (and
	// AI_SIMILARITY on an embedding model) send per request, as the
	// "input" list.
	OptEmbeddingBatchSize = "EMBEDDING_BATCH_SIZE"
	// OptPriceInput and OptPriceOutput are the version's prices per
	// million input and output tokens, in OptPriceCurrency (default USD),
	// for EXPLAIN COST.
	OptPriceInput    = "PRICE_PER_1M_INPUT_TOKENS"
	OptPriceOutput   = "PRICE_PER_1M_OUTPUT_TOKENS"
	OptPriceCurrency = "PRICE_CURRENCY"
)

// Defaults and bounds of the options.
const (
	DefaultTimeout        = 300 * time.Second
	DefaultMaxAttempts    = 5
	DefaultMaxConcurrency = 16
	DefaultRetryBaseDelay = 250 * time.Millisecond
	DefaultRetryMaxDelay  = 30 * time.Second

	MaxTimeout        = 1800 * time.Second
	MaxMaxAttempts    = 20
	MaxMaxConcurrency = 1024

	DefaultEmbeddingBatchSize = 32
	MaxEmbeddingBatchSize     = 2048
)

// ExtensionOptionKeys returns modelsql's own option keys for REMOTE models,
// upper-case, so the catalog can accept them next to the MaxCompute ones.
func ExtensionOptionKeys() []string {
	return append([]string{OptAPIFlavor, OptAuthScheme, OptMaxAttempts, OptMaxConcurrency,
		OptRetryBaseDelay, OptRetryMaxDelay, OptAudioURLPart, OptEmbeddingBatchSize,
		OptPriceInput, OptPriceOutput, OptPriceCurrency}, frozenOptionKeys...)
}

// OptionKeys returns every option key EndpointFromOptions reads (MaxCompute
// and extension keys), upper-case.
func OptionKeys() []string {
	return append([]string{OptEndpoint, OptServiceName, OptModelName, OptAPIKey,
		OptSyncMode, OptSyncRequestTimeout}, ExtensionOptionKeys()...)
}

// Flavor is the wire addressing of an endpoint.
type Flavor string

const (
	// FlavorPAIEAS: ENDPOINT + /api/predict/<service> + /v1/..., raw token.
	FlavorPAIEAS Flavor = "pai_eas"
	// FlavorOpenAI: ENDPOINT is an OpenAI base URL (…/v1), Bearer token.
	FlavorOpenAI Flavor = "openai"
)

// AuthScheme is how the API key is put in the Authorization header.
type AuthScheme string

const (
	AuthRaw    AuthScheme = "raw"
	AuthBearer AuthScheme = "bearer"
)

// Endpoint is everything the client needs to call one model version. Build
// it with EndpointFromOptions and set Model/Version to the SQL identity.
// Its String, GoString and LogValue methods mask the API key.
type Endpoint struct {
	// Price is what the version declares it costs (nil: no price).
	Price *Price
	// Model and Version identify the model version in errors and key the
	// shared concurrency limiter, e.g. "proj.default.qwen" and "v1".
	Model   string
	Version string

	Flavor Flavor
	// BaseURL is the resolved URL the routes are appended to: for pai_eas
	// "<host>/api/predict/<service>" (routes /v1/chat/completions,
	// /v1/embeddings); for openai the base URL (routes /chat/completions,
	// /embeddings).
	BaseURL string
	// ServedModel is the "model" field of the request bodies
	// (PAI_EAS_MODEL_NAME).
	ServedModel string
	APIKey      string
	Auth        AuthScheme

	Timeout        time.Duration // per attempt
	MaxAttempts    int
	MaxConcurrency int
	RetryBaseDelay time.Duration
	RetryMaxDelay  time.Duration
	AudioURLPart   string // "input_audio" or "audio_url"
	// EmbeddingBatchSize is the most inputs sent in one embeddings request.
	EmbeddingBatchSize int

	// How the version calls the model (frozen.go): SYSTEM_PROMPT,
	// PROMPT_TEMPLATE and MODEL_PARAMETERS.
	SystemPrompt   string
	PromptTemplate string
	Params         Params
	// Output is OUTPUT_SCHEMA: AI_GENERATE's typed output (structured.go).
	Output *outputschema.Type
}

// ChatURL is the URL of the chat completions route.
func (e Endpoint) ChatURL() string { return e.route("chat/completions") }

// EmbeddingsURL is the URL of the embeddings route.
func (e Endpoint) EmbeddingsURL() string { return e.route("embeddings") }

func (e Endpoint) route(r string) string {
	u, err := url.Parse(e.BaseURL)
	if err != nil {
		return strings.TrimRight(e.BaseURL, "/") + "/" + r
	}
	p := strings.TrimRight(u.Path, "/")
	if e.Flavor != FlavorOpenAI {
		p += "/v1"
	}
	u.Path = p + "/" + r
	u.RawPath = ""
	return u.String()
}

// LimiterKey is the identity under which the process-wide concurrency limit
// of this endpoint is shared: "model@version" (lower-cased) when Model is
// set, otherwise the base URL and served model.
func (e Endpoint) LimiterKey() string {
	if e.Model != "" {
		return strings.ToLower(e.Model) + "@" + strings.ToLower(e.Version)
	}
	return string(e.Flavor) + " " + e.BaseURL + " " + e.ServedModel
}

// String describes the endpoint with the API key masked.
func (e Endpoint) String() string {
	key := ""
	if e.APIKey != "" {
		key = " apikey=***"
	}
	return fmt.Sprintf("%s %s model=%q%s timeout=%s attempts=%d concurrency=%d",
		e.Flavor, redactURL(e.BaseURL), e.ServedModel, key, e.Timeout, e.MaxAttempts, e.MaxConcurrency)
}

// GoString is String, so %#v does not print the key either.
func (e Endpoint) GoString() string { return "llm.Endpoint{" + e.String() + "}" }

// LogValue keeps the key out of slog output.
func (e Endpoint) LogValue() slog.Value { return slog.StringValue(e.String()) }

var serviceNameRE = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]*$`)

// EndpointFromOptions builds an Endpoint from a REMOTE model version's
// OPTIONS. Keys are matched case-insensitively; keys it does not know
// (MODEL_SOURCE_TYPE, MODEL_TYPE, TASKS, …) are ignored. Model and Version
// are left empty for the caller to fill in. Errors never contain the key.
func EndpointFromOptions(opts map[string]string) (Endpoint, error) {
	o := make(map[string]string, len(opts))
	for k, v := range opts {
		o[strings.ToUpper(strings.TrimSpace(k))] = v
	}
	get := func(k string) string { return strings.TrimSpace(o[k]) }

	e := Endpoint{
		Flavor:         FlavorPAIEAS,
		ServedModel:    get(OptModelName),
		APIKey:         strings.TrimSpace(o[OptAPIKey]),
		Timeout:        DefaultTimeout,
		MaxAttempts:    DefaultMaxAttempts,
		MaxConcurrency: DefaultMaxConcurrency,
		RetryBaseDelay: DefaultRetryBaseDelay,
		RetryMaxDelay:  DefaultRetryMaxDelay,
		AudioURLPart:   "input_audio",
	}
	if v := get(OptAPIFlavor); v != "" {
		switch strings.ToLower(strings.ReplaceAll(v, "-", "_")) {
		case "pai_eas", "eas":
			e.Flavor = FlavorPAIEAS
		case "openai":
			e.Flavor = FlavorOpenAI
		default:
			return Endpoint{}, fmt.Errorf("%s must be 'pai_eas' or 'openai', got %q", OptAPIFlavor, v)
		}
	}
	e.Auth = AuthRaw
	if e.Flavor == FlavorOpenAI {
		e.Auth = AuthBearer
	}
	if v := get(OptAuthScheme); v != "" {
		switch strings.ToLower(v) {
		case "raw":
			e.Auth = AuthRaw
		case "bearer":
			e.Auth = AuthBearer
		default:
			return Endpoint{}, fmt.Errorf("%s must be 'raw' or 'bearer', got %q", OptAuthScheme, v)
		}
	}
	if v := get(OptSyncMode); v != "" && !strings.EqualFold(v, "true") {
		return Endpoint{}, fmt.Errorf("%s must be 'true': only synchronous calls are supported", OptSyncMode)
	}
	if strings.ContainsFunc(e.APIKey, func(r rune) bool { return r < ' ' || r == 0x7f }) {
		return Endpoint{}, fmt.Errorf("%s contains control characters", OptAPIKey)
	}
	if e.ServedModel == "" {
		return Endpoint{}, fmt.Errorf("%s is required (the model name the server expects in the request body)", OptModelName)
	}

	var err error
	if e.Timeout, err = msOption(o, OptSyncRequestTimeout, DefaultTimeout, time.Millisecond, MaxTimeout); err != nil {
		return Endpoint{}, err
	}
	if e.RetryBaseDelay, err = msOption(o, OptRetryBaseDelay, DefaultRetryBaseDelay, 0, time.Hour); err != nil {
		return Endpoint{}, err
	}
	if e.RetryMaxDelay, err = msOption(o, OptRetryMaxDelay, DefaultRetryMaxDelay, 0, time.Hour); err != nil {
		return Endpoint{}, err
	}
	if e.MaxAttempts, err = intOption(o, OptMaxAttempts, DefaultMaxAttempts, 1, MaxMaxAttempts); err != nil {
		return Endpoint{}, err
	}
	if e.MaxConcurrency, err = intOption(o, OptMaxConcurrency, DefaultMaxConcurrency, 1, MaxMaxConcurrency); err != nil {
		return Endpoint{}, err
	}
	if e.EmbeddingBatchSize, err = intOption(o, OptEmbeddingBatchSize, DefaultEmbeddingBatchSize, 1, MaxEmbeddingBatchSize); err != nil {
		return Endpoint{}, err
	}
	if v := get(OptAudioURLPart); v != "" {
		switch strings.ToLower(v) {
		case "input_audio", "audio_url":
			e.AudioURLPart = strings.ToLower(v)
		default:
			return Endpoint{}, fmt.Errorf("%s must be 'input_audio' or 'audio_url', got %q", OptAudioURLPart, v)
		}
	}

	if err := parsePrice(get, &e); err != nil {
		return Endpoint{}, err
	}
	if err := parseFrozen(o, &e); err != nil {
		return Endpoint{}, err
	}

	raw := get(OptEndpoint)
	if raw == "" {
		return Endpoint{}, fmt.Errorf("%s is required", OptEndpoint)
	}
	if e.BaseURL, err = resolveBaseURL(e.Flavor, raw, get(OptServiceName)); err != nil {
		return Endpoint{}, err
	}
	return e, nil
}

func msOption(o map[string]string, key string, def, lo, hi time.Duration) (time.Duration, error) {
	v := strings.TrimSpace(o[key])
	if v == "" {
		return def, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	d := time.Duration(n) * time.Millisecond
	if err != nil || d < lo || d > hi {
		return 0, fmt.Errorf("%s must be a whole number of milliseconds between %d and %d, got %q",
			key, lo.Milliseconds(), hi.Milliseconds(), v)
	}
	return d, nil
}

func intOption(o map[string]string, key string, def, lo, hi int) (int, error) {
	v := strings.TrimSpace(o[key])
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, fmt.Errorf("%s must be an integer between %d and %d, got %q", key, lo, hi, v)
	}
	return n, nil
}

// resolveBaseURL normalises ENDPOINT (and PAI_EAS_SERVICE_NAME for EAS).
func resolveBaseURL(f Flavor, raw, service string) (string, error) {
	if !strings.Contains(raw, "://") {
		raw = "https://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return "", fmt.Errorf("%s must be an http(s) URL, got %q", OptEndpoint, redactURL(raw))
	}
	if u.User != nil {
		return "", fmt.Errorf("%s must not contain credentials; use %s", OptEndpoint, OptAPIKey)
	}
	u.Fragment = ""
	path := strings.TrimRight(u.Path, "/")

	if f == FlavorOpenAI {
		if path == "" {
			path = "/v1" // http://host:8000 → the conventional /v1 base
		}
		u.Path, u.RawPath = path, ""
		return u.String(), nil
	}

	// PAI-EAS: strip an existing /api/predict/<svc> suffix.
	const marker = "/api/predict/"
	if i := strings.LastIndex(path, marker); i >= 0 {
		inURL := path[i+len(marker):]
		path = path[:i]
		switch {
		case inURL == "" || strings.Contains(inURL, "/"):
			return "", fmt.Errorf("%s must end in /api/predict/<service>, got path %q", OptEndpoint, u.Path)
		case service == "":
			service = inURL
		case service == inURL || strings.HasPrefix(service, inURL+"."):
			// same service, or one service of the group named in ENDPOINT
		default:
			return "", fmt.Errorf("%s addresses service %q but %s is %q", OptEndpoint, inURL, OptServiceName, service)
		}
	}
	if service == "" {
		return "", fmt.Errorf("%s is required (or an %s ending in /api/predict/<service>)", OptServiceName, OptEndpoint)
	}
	if !serviceNameRE.MatchString(service) {
		return "", fmt.Errorf("%s %q is not a valid service name (letters, digits, '_', '-', and '.' between group and service)", OptServiceName, service)
	}
	u.Path, u.RawPath = path+marker+service, ""
	return u.String(), nil
}

// redactURL drops a query string, which may hold a key, from a URL for
// error messages.
func redactURL(s string) string {
	if i := strings.IndexAny(s, "?#"); i >= 0 {
		s = s[:i] + "?…"
	}
	if i := strings.Index(s, "://"); i >= 0 {
		if j := strings.LastIndex(s[i+3:], "@"); j >= 0 {
			s = s[:i+3] + "…@" + s[i+3+j+1:]
		}
	}
	return s
}

// sortedKeys is a helper for deterministic output.
func sortedKeys[M ~map[string]V, V any](m M) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// Price is a version's price per million tokens.
type Price struct {
	Input, Output float64 // per 1M tokens
	Currency      string
}

func parsePrice(get func(string) string, e *Endpoint) error {
	in, out, cur := get(OptPriceInput), get(OptPriceOutput), get(OptPriceCurrency)
	if in == "" && out == "" {
		if cur != "" {
			return fmt.Errorf("%s needs %s or %s", OptPriceCurrency, OptPriceInput, OptPriceOutput)
		}
		return nil
	}
	p := &Price{Currency: "USD"}
	for _, f := range []struct {
		key, v string
		dst    *float64
	}{{OptPriceInput, in, &p.Input}, {OptPriceOutput, out, &p.Output}} {
		if f.v == "" {
			continue
		}
		x, err := strconv.ParseFloat(strings.TrimSpace(f.v), 64)
		if err != nil || x < 0 || math.IsInf(x, 0) || math.IsNaN(x) {
			return fmt.Errorf("%s must be a non-negative number, got %q", f.key, f.v)
		}
		*f.dst = x
	}
	if cur != "" {
		if len(cur) > 8 || strings.ContainsFunc(cur, func(r rune) bool { return !unicode.IsLetter(r) }) {
			return fmt.Errorf("%s must be a currency code such as USD or CNY, got %q", OptPriceCurrency, cur)
		}
		p.Currency = strings.ToUpper(cur)
	}
	e.Price = p
	return nil
}
