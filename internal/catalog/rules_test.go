package catalog

import (
	"strings"
	"testing"
)

func TestNormalizeType(t *testing.T) {
	cases := []struct{ in, want, err string }{
		{"bigint", "BIGINT", ""},
		{"Integer", "INT", ""},
		{"decimal", "DECIMAL(10,0)", ""},
		{"DECIMAL( 12 , 3 )", "DECIMAL(12,3)", ""},
		{"varchar(20)", "VARCHAR(20)", ""},
		{"char(255)", "CHAR(255)", ""},
		{"char(256)", "", "CHAR(n) needs 1 <= n <= 255"},
		{"varchar", "", "VARCHAR(n) needs"},
		{"decimal(39,1)", "", "DECIMAL(p,s) needs"},
		{"decimal(5,6)", "", "DECIMAL(p,s) needs"},
		{"ARRAY<INT>", "", "must be primitive types"},
		{"map<string,int>", "", "must be primitive types"},
		{"STRUCT<a:INT>", "", "must be primitive types"},
		{"bigint(3)", "", "takes no parameters"},
		{"text", "", "unknown type text"},
	}
	for _, c := range cases {
		got, err := NormalizeType(c.in)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("NormalizeType(%q) error %v, want %q", c.in, err, c.err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("NormalizeType(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
}

func TestValidateNames(t *testing.T) {
	ok := []string{"m", "Model_1", strings.Repeat("a", 256)}
	for _, n := range ok {
		if err := ValidateObjectName("model", n); err != nil {
			t.Errorf("%q: %v", n, err)
		}
	}
	bad := map[string]string{"": "is empty", "1m": "must start with a letter", "_m": "must start with a letter",
		"a-b": "contains '-'", "模型": "must start with a letter", strings.Repeat("a", 257): "257 bytes"}
	for n, want := range bad {
		if err := ValidateObjectName("model", n); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", n, err, want)
		}
	}
	if err := ValidateVersionName("DEFAULT_Version"); err == nil || !strings.Contains(err.Error(), "reserved") {
		t.Errorf("default_version accepted: %v", err)
	}
	cols, err := ValidateColumns([]Column{{"价格", "double"}, {"f_1", "int"}})
	if err != nil || cols[0].Type != "DOUBLE" || cols[1].Type != "INT" {
		t.Errorf("CJK column: %v %v", cols, err)
	}
	if _, err := ValidateColumns([]Column{{"a", "int"}, {"A", "int"}}); err == nil {
		t.Error("duplicate column accepted")
	}
}

func TestResolveOptions(t *testing.T) {
	remote := []OptionEntry{{"model_source_type", "remote"}, {"MODEL_TYPE", "llm"}, {"TASKS", "Chat"},
		{"PAI_EAS_MODEL_NAME", "m"}, {"PAI_EAS_SERVICE_NAME", "s"}, {"ENDPOINT", "https://h"}, {"APIKEY", "k"}, {"PAI_EAS_SYNC_MODE", "TRUE"}}
	got, err := ResolveOptions(remote, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	if got[OptSourceType] != "REMOTE" || got[OptModelType] != "LLM" || got[OptTasks] != "chat" || got[OptSyncMode] != "true" || got[OptSyncTimeout] != "5000" {
		t.Fatalf("normalised options: %v", got)
	}
	// ADD VERSION inherits the types and may not change them.
	m := &Model{Name: "m", SourceType: SourceRemote, ModelType: TypeLLM}
	if got, err := ResolveOptions(remote[2:], m, false); err != nil || got[OptSourceType] != "REMOTE" {
		t.Fatalf("inherit: %v %v", got, err)
	}
	if _, err := ResolveOptions(append([]OptionEntry{{"MODEL_TYPE", "MLLM"}}, remote[2:]...), m, false); err == nil {
		t.Fatal("MODEL_TYPE change accepted")
	}
	// The OpenAI flavour needs no service name and no key.
	oai := []OptionEntry{{"MODEL_SOURCE_TYPE", "REMOTE"}, {"MODEL_TYPE", "LLM"}, {"TASKS", "chat"}, {"PAI_EAS_MODEL_NAME", "llama3"},
		{"ENDPOINT", "http://127.0.0.1:11434/v1"}, {"PAI_EAS_SYNC_MODE", "true"}, {"API_FLAVOR", "openai"}}
	if _, err := ResolveOptions(oai, nil, false); err != nil {
		t.Fatalf("openai flavour: %v", err)
	}
	bad := append(append([]OptionEntry{}, oai...), OptionEntry{"MAX_CONCURRENCY", "0"})
	if _, err := ResolveOptions(bad, nil, false); err == nil {
		t.Fatal("MAX_CONCURRENCY 0 accepted")
	}
	imp := []OptionEntry{{"MODEL_SOURCE_TYPE", "IMPORT"}, {"MODEL_TYPE", "BOOSTED_TREE_REGRESSOR"}, {"LOCATION", "file:///m.json"}}
	if _, err := ResolveOptions(imp, nil, true); err != nil {
		t.Fatalf("local import without ROLEARN: %v", err)
	}
	// ROLEARN is optional everywhere: storage.json's default_role or an
	// anonymous read stands in (docs/storage.md).
	for _, loc := range []string{"s3://b/m.json", "oss://oss-cn-hangzhou.aliyuncs.com/b/m/", "https://example.com/m.json"} {
		imp[2].Value = loc
		if _, err := ResolveOptions(imp, nil, true); err != nil {
			t.Fatalf("%s import without ROLEARN: %v", loc, err)
		}
	}
	// The Ollama recipe of the README, verbatim: no PAI-EAS option but the model name.
	ollama := []OptionEntry{{"MODEL_SOURCE_TYPE", "REMOTE"}, {"MODEL_TYPE", "LLM"}, {"TASKS", "text-generation"},
		{"API_FLAVOR", "openai"}, {"ENDPOINT", "http://127.0.0.1:11434/v1"}, {"PAI_EAS_MODEL_NAME", "tiny"}, {"APIKEY", "x"}}
	if got, err := ResolveOptions(ollama, nil, false); err != nil || got[OptSyncMode] != "true" {
		t.Fatalf("openai flavour without PAI_EAS_SYNC_MODE: %v %v", got, err)
	}
	// PAI-EAS: the service may come from an ENDPOINT ending in /api/predict/<x>.
	eas := []OptionEntry{{"MODEL_SOURCE_TYPE", "REMOTE"}, {"MODEL_TYPE", "LLM"}, {"TASKS", "text-generation"},
		{"ENDPOINT", "http://1.cn-hangzhou.pai-eas.aliyuncs.com/api/predict/qwen3_8b"}, {"PAI_EAS_MODEL_NAME", "Qwen3-8B"},
		{"APIKEY", "x"}, {"PAI_EAS_SYNC_MODE", "true"}}
	if _, err := ResolveOptions(eas, nil, false); err != nil {
		t.Fatalf("service from ENDPOINT: %v", err)
	}
	eas[3].Value = "http://1.cn-hangzhou.pai-eas.aliyuncs.com"
	if _, err := ResolveOptions(eas, nil, false); err == nil || !strings.Contains(err.Error(), "PAI_EAS_SERVICE_NAME is required") {
		t.Fatalf("no service anywhere: %v", err)
	}
	// PAI-EAS still needs its sync mode.
	eas = append(eas[:6], OptionEntry{"PAI_EAS_SERVICE_NAME", "s"})
	if _, err := ResolveOptions(eas, nil, false); err == nil || !strings.Contains(err.Error(), "PAI_EAS_SYNC_MODE is required") {
		t.Fatalf("PAI-EAS without sync mode: %v", err)
	}
}

func TestNearestAndLike(t *testing.T) {
	if got := nearest("ENDPIONT", []string{"ENDPOINT", "APIKEY"}); got != "ENDPOINT" {
		t.Errorf("nearest = %q", got)
	}
	if got := nearest("COMPLETELY_DIFFERENT", []string{"ENDPOINT", "APIKEY"}); got != "" {
		t.Errorf("nearest of a non-typo = %q", got)
	}
	cases := []struct {
		pat, s string
		want   bool
	}{{"%", "x", true}, {"test%", "Test_model", true}, {"t_st", "test", true}, {"t\\_st", "t_st", true}, {"t\\_st", "test", false}, {"%qwen%", "Qwen3-8B", true}, {"a%b", "ac", false}}
	for _, c := range cases {
		if got := LikeMatch(c.pat, c.s); got != c.want {
			t.Errorf("LikeMatch(%q, %q) = %v", c.pat, c.s, got)
		}
	}
}

// The options that freeze how an LLM is called are checked at CREATE and
// ADD VERSION, for REMOTE versions only.
func TestResolveFrozenCallOptions(t *testing.T) {
	remote := []OptionEntry{{"MODEL_SOURCE_TYPE", "REMOTE"}, {"MODEL_TYPE", "LLM"}, {"TASKS", "text-generation"},
		{"PAI_EAS_MODEL_NAME", "m"}, {"PAI_EAS_SERVICE_NAME", "s"}, {"ENDPOINT", "https://h"}, {"APIKEY", "k"}, {"PAI_EAS_SYNC_MODE", "true"}}
	imp := []OptionEntry{{"MODEL_SOURCE_TYPE", "IMPORT"}, {"MODEL_TYPE", "BOOSTED_TREE_REGRESSOR"}, {"LOCATION", "file:///m.json"}}
	for _, c := range []struct {
		base   []OptionEntry
		extra  OptionEntry
		errSub string
	}{
		{remote, OptionEntry{"system_prompt", "Be brief."}, ""},
		{remote, OptionEntry{"PROMPT_TEMPLATE", "Translate: {input}"}, ""},
		{remote, OptionEntry{"MODEL_PARAMETERS", `{"temperature": 0}`}, ""},
		{remote, OptionEntry{"PROMPT_TEMPLATE", "no placeholder"}, "must contain {input}"},
		{remote, OptionEntry{"MODEL_PARAMETERS", `{"temperature": "hot"}`}, `"temperature" must be a number`},
		{remote, OptionEntry{"MODEL_PARAMETERS", `not json`}, "must be a JSON object"},
		{remote, OptionEntry{"SYSTEM_PROMPT", ""}, "SYSTEM_PROMPT is empty"},
		{remote, OptionEntry{"PROMPT_TEMPLATES", "x {input}"}, "did you mean PROMPT_TEMPLATE"},
		{imp, OptionEntry{"SYSTEM_PROMPT", "x"}, "option SYSTEM_PROMPT belongs to REMOTE models"},
		// modelsql's remote options were "unknown ...; did you mean <itself>?" on IMPORT models.
		{imp, OptionEntry{"MAX_CONCURRENCY", "4"}, "option MAX_CONCURRENCY belongs to REMOTE models"},
	} {
		opts := append(append([]OptionEntry{}, c.base...), c.extra)
		_, err := ResolveOptions(opts, nil, true)
		if (c.errSub == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), c.errSub)) {
			t.Errorf("%s=%q: %v, want %q", c.extra.Key, c.extra.Value, err, c.errSub)
		}
	}
}
