package buildinfo

import (
	"runtime/debug"
	"testing"
)

func TestFrom(t *testing.T) {
	vcs := func(rev, modified string) *debug.BuildInfo {
		bi := &debug.BuildInfo{Main: debug.Module{Path: "github.com/modelsql/modelsql", Version: "(devel)"}}
		if rev != "" {
			bi.Settings = append(bi.Settings, debug.BuildSetting{Key: "vcs.revision", Value: rev})
		}
		if modified != "" {
			bi.Settings = append(bi.Settings, debug.BuildSetting{Key: "vcs.modified", Value: modified})
		}
		return bi
	}
	installed := &debug.BuildInfo{Main: debug.Module{Version: "v1.2.3"}}
	for _, tc := range []struct {
		name                 string
		bi                   *debug.BuildInfo
		ldVersion, ldCommit  string
		wantVersion, wantCmt string
	}{
		{"ldflags win", vcs("abc", "true"), "v0.9.0", "1234567", "v0.9.0", "1234567"},
		{"go build in a clean checkout", vcs("0123456789abcdef", "false"), "", "", "devel", "0123456789abcdef"},
		{"go build in a modified checkout", vcs("0123456789abcdef", "true"), "", "", "devel", "0123456789abcdef-dirty"},
		{"go install of a release", installed, "", "", "v1.2.3", "unknown"},
		{"no build information", nil, "", "", "devel", "unknown"},
		{"ldflags version only", vcs("fedcba", "false"), "v2.0.0", "", "v2.0.0", "fedcba"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := from(tc.bi, tc.ldVersion, tc.ldCommit)
			if got.Version != tc.wantVersion || got.Commit != tc.wantCmt {
				t.Fatalf("from = %+v, want version %q commit %q", got, tc.wantVersion, tc.wantCmt)
			}
		})
	}
}
