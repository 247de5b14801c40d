package llm_test

import (
	"context"
	"strings"
	"testing"

	"github.com/modelsql/modelsql/internal/fakellm"
	"github.com/modelsql/modelsql/internal/llm"
)

// A request the primary fails with a retryable class goes to the fallback
// once; other failures do not; CallInfo says who answered.
func TestFallbackOnce(t *testing.T) {
	ctx := context.Background()
	down, downURL := fake(t, fakellm.Options{Fault: "503"})
	denied, deniedURL := fake(t, fakellm.Options{Fault: "401"})
	up, upURL := fake(t, fakellm.Options{})
	backupEp, err := llm.EndpointFromOptions(easOpts(upURL, "PAI_EAS_MODEL_NAME", "small", "PROMPT_TEMPLATE", "B: {input}"))
	if err != nil {
		t.Fatal(err)
	}
	backupEp.Model, backupEp.Version = "proj.default.backup", "v1"
	backup, _ := llm.NewClient(backupEp)
	primary := func(url string) *llm.Client {
		ep, err := llm.EndpointFromOptions(easOpts(url, "MAX_ATTEMPTS", "2", "PROMPT_TEMPLATE", "A: {input}"))
		if err != nil {
			t.Fatal(err)
		}
		ep.Model, ep.Version = "proj.default.primary", "v9"
		c, _ := llm.NewClient(ep, llm.WithFallback(backup))
		return c
	}
	for _, tc := range []struct {
		name      string
		url       string
		call      func(c *llm.Client, ctx context.Context) (string, error)
		want      string
		wantErr   string
		primaryN  int
		backupN   int
		fellBack  bool
		byVersion string
	}{
		{"generate falls back with the fallback's template", downURL,
			func(c *llm.Client, ctx context.Context) (string, error) { return c.Generate(ctx, "hi", nil) },
			"echo: B: hi", "", 2, 1, true, "v1"},
		{"classify falls back", downURL,
			func(c *llm.Client, ctx context.Context) (string, error) {
				return c.Classify(ctx, "sports news", []string{"tech", "sports"}, nil)
			}, "sports", "", 2, 1, true, "v1"},
		{"embedding falls back", downURL,
			func(c *llm.Client, ctx context.Context) (string, error) {
				v, err := c.Embed(ctx, "x", nil)
				return strings.Repeat("x", len(v)), err
			}, strings.Repeat("x", 1024), "", 2, 1, true, "v1"},
		{"401 does not fall back", deniedURL,
			func(c *llm.Client, ctx context.Context) (string, error) { return c.Generate(ctx, "hi", nil) },
			"", "auth", 1, 0, false, "v9"},
	} {
		down.Reset()
		denied.Reset()
		up.Reset()
		cctx, info := llm.WithCallInfo(ctx)
		got, err := tc.call(primary(tc.url), cctx)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%s: %v, want %s", tc.name, err, tc.wantErr)
			}
		} else if err != nil || got != tc.want {
			t.Errorf("%s: %.40q %v, want %.40q", tc.name, got, err, tc.want)
		}
		if n := len(down.Requests()) + len(denied.Requests()); n != tc.primaryN {
			t.Errorf("%s: primary requests %d, want %d", tc.name, n, tc.primaryN)
		}
		if n := len(up.Requests()); n != tc.backupN {
			t.Errorf("%s: fallback requests %d, want %d", tc.name, n, tc.backupN)
		}
		if info.FellBack != tc.fellBack || info.Version != tc.byVersion || (tc.fellBack && info.Attempts != 3) {
			t.Errorf("%s: info %+v", tc.name, *info)
		}
	}
}
