package catalog

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/modelsql/modelsql/internal/secrets"
)

func writePublic(t *testing.T, dir, body string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, PublicModelsFile), []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
}

// One unusable public model (here: its APIKEY_ENV variable is unset) makes
// that model unavailable, with an error naming the variable; the others,
// and the warehouse, keep working.
func TestPublicModelsOneBadModel(t *testing.T) {
	box, err := secrets.New(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("MODELSQL_TEST_GOOD_KEY", "sk-good-key-1234")
	os.Unsetenv("MODELSQL_TEST_UNSET_KEY")
	dir := t.TempDir()
	opts := func(env string) string {
		return `{"TASKS": "text-generation", "ENDPOINT": "http://127.0.0.1:9", "PAI_EAS_SERVICE_NAME": "s",
			"PAI_EAS_MODEL_NAME": "m", "PAI_EAS_SYNC_MODE": "true", "APIKEY_ENV": "` + env + `"}`
	}
	writePublic(t, dir, `{"models": [
		{"name": "broken", "model_type": "LLM", "versions": [{"name": "v1", "options": `+opts("MODELSQL_TEST_UNSET_KEY")+`}]},
		{"name": "good", "model_type": "LLM", "versions": [{"name": "v1", "options": `+opts("MODELSQL_TEST_GOOD_KEY")+`}]},
		{"name": "", "versions": []}]}`)
	p, err := LoadPublicModels(dir, box)
	if err != nil {
		t.Fatalf("one bad model failed the whole file: %v", err)
	}
	if _, vs, err := p.get(Ref{PublicProject, "default", "Good"}); err != nil || len(vs) != 1 {
		t.Fatalf("good model: %v", err)
	}
	_, _, err = p.get(Ref{PublicProject, "default", "broken"})
	if err == nil || !strings.Contains(err.Error(), "environment variable MODELSQL_TEST_UNSET_KEY (its APIKEY_ENV) is not set") {
		t.Fatalf("broken model: %v", err)
	}
	if l, err := p.list("default", ""); err != nil || len(l) != 1 || l[0].Name != "good" {
		t.Fatalf("list: %v %v", l, err)
	}

	// A file that does not parse makes the public models unavailable, not the warehouse.
	writePublic(t, dir, `{"models": [`)
	p, err = LoadPublicModels(dir, box)
	if err != nil {
		t.Fatalf("malformed file: %v", err)
	}
	if _, _, err := p.get(Ref{PublicProject, "default", "good"}); err == nil || !strings.Contains(err.Error(), "public models are unavailable") {
		t.Fatalf("get on malformed file: %v", err)
	}
	if _, err := p.list("default", ""); err == nil {
		t.Fatal("list on malformed file succeeded")
	}
}
