package llm

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

const secret = "sk-SECRET-1234567890"

func TestEndpointFromOptions(t *testing.T) {
	base := func(kv ...string) map[string]string {
		m := map[string]string{"PAI_EAS_MODEL_NAME": "qwen", "APIKEY": secret}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	tests := []struct {
		name     string
		opts     map[string]string
		chat     string
		emb      string
		auth     AuthScheme
		flavor   Flavor
		timeout  time.Duration
		attempts int
		conc     int
	}{
		{"eas bare host", base("ENDPOINT", "http://123.cn-hangzhou.pai-eas.aliyuncs.com", "PAI_EAS_SERVICE_NAME", "svc"),
			"http://123.cn-hangzhou.pai-eas.aliyuncs.com/api/predict/svc/v1/chat/completions",
			"http://123.cn-hangzhou.pai-eas.aliyuncs.com/api/predict/svc/v1/embeddings", AuthRaw, FlavorPAIEAS, DefaultTimeout, DefaultMaxAttempts, DefaultMaxConcurrency},
		{"eas trailing slash", base("ENDPOINT", "http://h.example/", "PAI_EAS_SERVICE_NAME", "svc"),
			"http://h.example/api/predict/svc/v1/chat/completions", "http://h.example/api/predict/svc/v1/embeddings", AuthRaw, FlavorPAIEAS, DefaultTimeout, DefaultMaxAttempts, DefaultMaxConcurrency},
		{"eas full service url", base("ENDPOINT", "https://h.example/api/predict/svc/", "PAI_EAS_SERVICE_NAME", "svc"),
			"https://h.example/api/predict/svc/v1/chat/completions", "https://h.example/api/predict/svc/v1/embeddings", AuthRaw, FlavorPAIEAS, DefaultTimeout, DefaultMaxAttempts, DefaultMaxConcurrency},
		{"eas service only in url", base("ENDPOINT", "https://h.example/api/predict/svc"),
			"https://h.example/api/predict/svc/v1/chat/completions", "https://h.example/api/predict/svc/v1/embeddings", AuthRaw, FlavorPAIEAS, DefaultTimeout, DefaultMaxAttempts, DefaultMaxConcurrency},
		{"eas group service", base("ENDPOINT", "http://h.example", "PAI_EAS_SERVICE_NAME", "grp.svc"),
			"http://h.example/api/predict/grp.svc/v1/chat/completions", "http://h.example/api/predict/grp.svc/v1/embeddings", AuthRaw, FlavorPAIEAS, DefaultTimeout, DefaultMaxAttempts, DefaultMaxConcurrency},
		{"eas group endpoint plus group.service", base("ENDPOINT", "http://h.example/api/predict/grp", "PAI_EAS_SERVICE_NAME", "grp.svc"),
			"http://h.example/api/predict/grp.svc/v1/chat/completions", "http://h.example/api/predict/grp.svc/v1/embeddings", AuthRaw, FlavorPAIEAS, DefaultTimeout, DefaultMaxAttempts, DefaultMaxConcurrency},
		{"eas no scheme gets https", base("ENDPOINT", "123.cn-shanghai.pai-eas.aliyuncs.com", "PAI_EAS_SERVICE_NAME", "svc"),
			"https://123.cn-shanghai.pai-eas.aliyuncs.com/api/predict/svc/v1/chat/completions", "https://123.cn-shanghai.pai-eas.aliyuncs.com/api/predict/svc/v1/embeddings", AuthRaw, FlavorPAIEAS, DefaultTimeout, DefaultMaxAttempts, DefaultMaxConcurrency},
		{"eas bearer override, options lower-case keys", map[string]string{"endpoint": "http://h", "pai_eas_service_name": "s", "pai_eas_model_name": "m", "auth_scheme": "Bearer",
			"pai_eas_sync_request_timeout": "5000", "max_attempts": "3", "max_concurrency": "64", "pai_eas_sync_mode": "true"},
			"http://h/api/predict/s/v1/chat/completions", "http://h/api/predict/s/v1/embeddings", AuthBearer, FlavorPAIEAS, 5 * time.Second, 3, 64},
		{"openai base url", base("ENDPOINT", "http://127.0.0.1:11434/v1", "API_FLAVOR", "openai"),
			"http://127.0.0.1:11434/v1/chat/completions", "http://127.0.0.1:11434/v1/embeddings", AuthBearer, FlavorOpenAI, DefaultTimeout, DefaultMaxAttempts, DefaultMaxConcurrency},
		{"openai bare host gets /v1", base("ENDPOINT", "http://vllm:8000/", "API_FLAVOR", "OpenAI"),
			"http://vllm:8000/v1/chat/completions", "http://vllm:8000/v1/embeddings", AuthBearer, FlavorOpenAI, DefaultTimeout, DefaultMaxAttempts, DefaultMaxConcurrency},
		{"openai keeps query", base("ENDPOINT", "https://x.example/openai/v1?api-version=1", "API_FLAVOR", "openai", "AUTH_SCHEME", "raw"),
			"https://x.example/openai/v1/chat/completions?api-version=1", "https://x.example/openai/v1/embeddings?api-version=1", AuthRaw, FlavorOpenAI, DefaultTimeout, DefaultMaxAttempts, DefaultMaxConcurrency},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e, err := EndpointFromOptions(tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			if got := e.ChatURL(); got != tc.chat {
				t.Errorf("chat URL %q, want %q", got, tc.chat)
			}
			if got := e.EmbeddingsURL(); got != tc.emb {
				t.Errorf("embeddings URL %q, want %q", got, tc.emb)
			}
			if e.Auth != tc.auth || e.Flavor != tc.flavor || e.Timeout != tc.timeout || e.MaxAttempts != tc.attempts || e.MaxConcurrency != tc.conc {
				t.Errorf("got %s auth=%s", e, e.Auth)
			}
		})
	}
}

func TestEndpointFromOptionsErrors(t *testing.T) {
	ok := map[string]string{"ENDPOINT": "http://h", "PAI_EAS_SERVICE_NAME": "s", "PAI_EAS_MODEL_NAME": "m", "APIKEY": secret}
	with := func(k, v string) map[string]string {
		m := map[string]string{}
		for a, b := range ok {
			m[a] = b
		}
		if v == "<delete>" {
			delete(m, k)
		} else {
			m[k] = v
		}
		return m
	}
	tests := []struct {
		name, key, val, want string
	}{
		{"no endpoint", "ENDPOINT", "<delete>", "ENDPOINT is required"},
		{"no service", "PAI_EAS_SERVICE_NAME", "<delete>", "PAI_EAS_SERVICE_NAME is required"},
		{"no model", "PAI_EAS_MODEL_NAME", "<delete>", "PAI_EAS_MODEL_NAME is required"},
		{"bad scheme", "ENDPOINT", "ftp://h", "http(s) URL"},
		{"credentials in url", "ENDPOINT", "http://u:" + secret + "@h", "must not contain credentials"},
		{"service mismatch", "ENDPOINT", "http://h/api/predict/other", `addresses service "other"`},
		{"bad service", "PAI_EAS_SERVICE_NAME", "a/b", "not a valid service name"},
		{"timeout text", "PAI_EAS_SYNC_REQUEST_TIMEOUT", "5s", "PAI_EAS_SYNC_REQUEST_TIMEOUT must be"},
		{"timeout too big", "PAI_EAS_SYNC_REQUEST_TIMEOUT", "1800001", "PAI_EAS_SYNC_REQUEST_TIMEOUT must be"},
		{"timeout zero", "PAI_EAS_SYNC_REQUEST_TIMEOUT", "0", "PAI_EAS_SYNC_REQUEST_TIMEOUT must be"},
		{"attempts zero", "MAX_ATTEMPTS", "0", "MAX_ATTEMPTS must be"},
		{"attempts big", "MAX_ATTEMPTS", "21", "MAX_ATTEMPTS must be"},
		{"concurrency", "MAX_CONCURRENCY", "-1", "MAX_CONCURRENCY must be"},
		{"flavor", "API_FLAVOR", "grpc", "API_FLAVOR must be"},
		{"auth", "AUTH_SCHEME", "basic", "AUTH_SCHEME must be"},
		{"async", "PAI_EAS_SYNC_MODE", "false", "only synchronous"},
		{"audio part", "AUDIO_URL_PART", "x", "AUDIO_URL_PART must be"},
		{"retry delay", "RETRY_BASE_DELAY_MS", "-5", "RETRY_BASE_DELAY_MS must be"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := EndpointFromOptions(with(tc.key, tc.val))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err %v, want it to contain %q", err, tc.want)
			}
			if strings.Contains(err.Error(), secret) {
				t.Fatalf("error leaks the key: %v", err)
			}
		})
	}
}

func TestEndpointNeverPrintsKey(t *testing.T) {
	e, err := EndpointFromOptions(map[string]string{"ENDPOINT": "http://h", "PAI_EAS_SERVICE_NAME": "s", "PAI_EAS_MODEL_NAME": "m", "APIKEY": secret})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"%v", "%+v", "%#v", "%s"} {
		if s := fmt.Sprintf(f, e); strings.Contains(s, secret) {
			t.Errorf("%s prints the key: %s", f, s)
		}
	}
	if s := fmt.Sprintf("%v", &e); strings.Contains(s, secret) {
		t.Errorf("pointer prints the key: %s", s)
	}
	c, err := NewClient(e)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"%v", "%+v", "%#v", "%s"} {
		if s := fmt.Sprintf(f, c); strings.Contains(s, secret) || !strings.Contains(s, "apikey=***") {
			t.Errorf("client %s: %s", f, s)
		}
	}
	if _, err := EndpointFromOptions(map[string]string{"ENDPOINT": "http://h", "PAI_EAS_SERVICE_NAME": "s", "PAI_EAS_MODEL_NAME": "m",
		"APIKEY": secret + "\r\nX-Evil: 1"}); err == nil || strings.Contains(err.Error(), secret) {
		t.Errorf("control characters in the key: %v", err)
	}
}

func TestExtensionOptionKeys(t *testing.T) {
	keys := ExtensionOptionKeys()
	for _, k := range []string{"API_FLAVOR", "MAX_ATTEMPTS", "MAX_CONCURRENCY", "AUTH_SCHEME"} {
		found := false
		for _, x := range keys {
			found = found || x == k
		}
		if !found {
			t.Errorf("missing %s", k)
		}
	}
	if len(OptionKeys()) != len(keys)+6 {
		t.Errorf("OptionKeys = %v", OptionKeys())
	}
}

func TestLimiterKey(t *testing.T) {
	e := Endpoint{Model: "P.Default.M", Version: "V1", BaseURL: "http://h", ServedModel: "x"}
	if got := e.LimiterKey(); got != "p.default.m@v1" {
		t.Errorf("key %q", got)
	}
	e.Model = ""
	if got := e.LimiterKey(); !strings.Contains(got, "http://h") || !strings.Contains(got, "x") {
		t.Errorf("key %q", got)
	}
}

func TestRedactURL(t *testing.T) {
	for in, want := range map[string]string{
		"http://h/p":                 "http://h/p",
		"http://h/p?key=" + secret:   "http://h/p?…",
		"ftp://u:" + secret + "@h/x": "ftp://…@h/x",
	} {
		if got := redactURL(in); got != want {
			t.Errorf("redactURL(%q) = %q, want %q", in, got, want)
		}
	}
}
