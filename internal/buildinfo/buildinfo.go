// Package buildinfo says which modelsql this is: the version and commit the
// Makefile stamps with -ldflags, or what the Go toolchain recorded in the
// binary when it was built without them (go build, go install).
package buildinfo

import (
	"runtime/debug"
	"strings"
)

// Set by the Makefile's build:
//
//	-ldflags "-X github.com/modelsql/modelsql/internal/buildinfo.version=... -X ...commit=..."
var version, commit string

// Info names a build.
type Info struct {
	Version string // e.g. v0.3.0, v0.3.0-4-g1a2b3c4-dirty, or devel
	Commit  string // VCS revision, with "-dirty" when built from a modified tree; "unknown" when nothing recorded it
}

// Get returns this binary's version and commit.
func Get() Info {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		bi = nil
	}
	return from(bi, version, commit)
}

// from prefers the -ldflags values and falls back to the build information
// the Go toolchain embeds (module version, vcs.revision, vcs.modified).
func from(bi *debug.BuildInfo, ldVersion, ldCommit string) Info {
	info := Info{Version: ldVersion, Commit: ldCommit}
	if info.Version == "" && bi != nil && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		info.Version = bi.Main.Version
	}
	if info.Commit == "" && bi != nil {
		var rev string
		var dirty bool
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
		if rev != "" {
			info.Commit = rev
			if dirty {
				info.Commit += "-dirty"
			}
		}
	}
	if info.Version == "" {
		info.Version = "devel"
	}
	if info.Commit == "" {
		info.Commit = "unknown"
	}
	info.Version = strings.TrimSpace(info.Version)
	return info
}
