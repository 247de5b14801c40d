package objstore

import (
	"fmt"
	"path/filepath"
	"strings"
)

// LocalPath returns the path a local LOCATION (file://..., FILE://...,
// file://localhost/... or an absolute path) opens: percent-decoded and
// cleaned, exactly as Fetch reads it. local is false for other schemes; err
// is set for a location that is not valid (a local one included).
func LocalPath(location string) (path string, local bool, err error) {
	loc, err := ParseLocation(location)
	if err != nil {
		return "", looksLocal(location), err
	}
	if loc.Scheme != SchemeFile {
		return "", false, nil
	}
	return loc.Path, true, nil
}

// looksLocal reports whether an unparsable location was meant as a local one.
func looksLocal(location string) bool {
	s := strings.TrimSpace(location)
	return strings.HasPrefix(s, "/") || len(s) >= 5 && strings.EqualFold(s[:5], "file:") || !strings.Contains(s, "://")
}

// InsideDirs reports whether a path, after resolving symbolic links, lies
// inside one of dirs (absolute, symbolic links resolved). A path that does
// not exist is judged by its nearest existing parent, so that a missing file
// in an allowed directory is "not found" rather than refused.
func InsideDirs(path string, dirs []string) bool {
	if !filepath.IsAbs(path) {
		return false
	}
	real, err := resolveExisting(filepath.Clean(path))
	if err != nil {
		return false
	}
	for _, d := range dirs {
		if within(d, real) {
			return true
		}
	}
	return false
}

// resolveExisting resolves symbolic links of the longest existing prefix of
// p and appends the rest.
func resolveExisting(p string) (string, error) {
	rest := ""
	for {
		real, err := filepath.EvalSymlinks(p)
		if err == nil {
			return filepath.Join(real, rest), nil
		}
		parent := filepath.Dir(p)
		if parent == p {
			return "", err
		}
		rest = filepath.Join(filepath.Base(p), rest)
		p = parent
	}
}

func within(dir, real string) bool {
	rel, err := filepath.Rel(dir, real)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}

// WithAllowedDirs confines local reads to files inside dirs (absolute,
// symbolic links resolved), on top of local.roots: the server's --allow-dir.
// An empty list allows no local file at all.
func WithAllowedDirs(dirs []string) Option {
	return func(f *Fetcher) {
		f.allowDirs = append([]string{}, dirs...)
		f.dirsLimited = true
	}
}

func (f *Fetcher) checkAllowedDirs(real string) error {
	if !f.dirsLimited {
		return nil
	}
	for _, d := range f.allowDirs {
		if within(d, real) {
			return nil
		}
	}
	return fmt.Errorf("outside the server's allowed directories (--allow-dir)")
}
