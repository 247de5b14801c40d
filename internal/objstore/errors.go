package objstore

import (
	"errors"
	"sort"
	"strings"
	"sync"
)

// Sentinel errors; every error Fetch returns is an *Error that matches one
// of them with errors.Is.
var (
	ErrBadLocation    = errors.New("bad location")
	ErrUnknownRole    = errors.New("unknown role")
	ErrAssumeRole     = errors.New("AssumeRole refused")
	ErrAccessDenied   = errors.New("access denied")
	ErrNotFound       = errors.New("not found")
	ErrTooLarge       = errors.New("object too large")
	ErrNoModelFile    = errors.New("no model file in directory")
	ErrSeveralModels  = errors.New("several model files in directory")
	ErrDisabled       = errors.New("scheme disabled by configuration")
	ErrUnavailable    = errors.New("store unavailable")
	ErrNotRegularFile = errors.New("not a regular file")
)

// Error is the error type returned by Fetch. Its text names the location
// and the role (when one is involved) and never contains a secret: the
// cause is reduced to text and scrubbed of every secret the Fetcher knows
// before the Error is built, and the original cause is not kept.
type Error struct {
	Kind     error  // one of the Err* sentinels
	Location string // the LOCATION as given, or as resolved
	Role     string // the ROLEARN used, "" for none
	Code     string // the server's error code (e.g. "AccessDenied"), if any
	Detail   string // scrubbed detail text
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("objstore: ")
	b.WriteString(e.Location)
	if e.Role != "" {
		b.WriteString(" (role ")
		b.WriteString(e.Role)
		b.WriteString(")")
	}
	b.WriteString(": ")
	b.WriteString(e.Kind.Error())
	if e.Detail != "" {
		b.WriteString(": ")
		b.WriteString(e.Detail)
	}
	return b.String()
}

// Unwrap lets errors.Is match the Kind.
func (e *Error) Unwrap() error { return e.Kind }

// redactor replaces known secrets in error text. Secrets shorter than
// minSecretLen are not scrubbed (they would mangle ordinary words); the
// configuration documentation asks for real-length secrets.
type redactor struct {
	mu      sync.RWMutex
	secrets map[string]struct{}
	sorted  []string
}

const minSecretLen = 4

func newRedactor(secrets ...string) *redactor {
	r := &redactor{secrets: map[string]struct{}{}}
	r.add(secrets...)
	return r
}

func (r *redactor) add(secrets ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	changed := false
	for _, s := range secrets {
		if len(s) < minSecretLen {
			continue
		}
		if _, ok := r.secrets[s]; !ok {
			r.secrets[s] = struct{}{}
			changed = true
		}
	}
	if changed {
		r.sorted = r.sorted[:0]
		for s := range r.secrets {
			r.sorted = append(r.sorted, s)
		}
		// Longest first, so a secret containing another is replaced whole.
		sort.Slice(r.sorted, func(i, j int) bool { return len(r.sorted[i]) > len(r.sorted[j]) })
	}
}

func (r *redactor) scrub(s string) string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	for _, sec := range r.sorted {
		if strings.Contains(s, sec) {
			s = strings.ReplaceAll(s, sec, "[REDACTED]")
		}
	}
	return s
}

// newError builds an *Error with its detail scrubbed.
func (f *Fetcher) newError(kind error, location, role, code, detail string) *Error {
	return &Error{
		Kind:     kind,
		Location: f.redact.scrub(location),
		Role:     f.redact.scrub(role),
		Code:     f.redact.scrub(code),
		Detail:   f.redact.scrub(detail),
	}
}
