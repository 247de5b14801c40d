package session

import (
	"context"
	"fmt"
	"strings"

	"github.com/modelsql/modelsql/internal/catalog"
	"github.com/modelsql/modelsql/internal/functions"
	"github.com/modelsql/modelsql/internal/llm"
	"github.com/modelsql/modelsql/internal/parser"
)

// versionClient builds the LLM client of a REMOTE model version.
func (s *Session) versionClient(m *catalog.Model, v *catalog.Version, opts ...llm.ClientOption) (*llm.Client, error) {
	o := make(map[string]string, len(v.Options))
	for k, val := range v.Options {
		o[k] = val
	}
	key, err := s.w.Catalog.Secret(v.Options[catalog.OptAPIKey])
	if err != nil {
		return nil, fmt.Errorf("model %s version %s: %w", m.Ref(), v.Name, err)
	}
	o[catalog.OptAPIKey] = key
	ep, err := llm.EndpointFromOptions(o)
	if err != nil {
		return nil, fmt.Errorf("model %s version %s: %w", m.Ref(), v.Name, err)
	}
	ep.Model, ep.Version = m.Ref().String(), v.Name
	c, err := llm.NewClient(ep, opts...)
	if err != nil {
		return nil, fmt.Errorf("model %s version %s: %w", m.Ref(), v.Name, err)
	}
	return c, nil
}

// splitFallback splits FALLBACK = 'model.version_or_alias' (the model part
// may be qualified: 'p.s.m.v').
func splitFallback(spec string) (parser.Name, string, error) {
	spec = strings.TrimSpace(spec)
	i := strings.LastIndexByte(spec, '.')
	if i <= 0 || i == len(spec)-1 {
		return parser.Name{}, "", fmt.Errorf("FALLBACK %q must be 'model.version' or 'model.alias' (the model may be qualified: 'project.schema.model.version')", spec)
	}
	return parser.Name{Parts: strings.Split(spec[:i], ".")}, spec[i+1:], nil
}

// fallbackTarget resolves a version's FALLBACK now: the model and version
// it names (an alias resolves to its version).
func (s *Session) fallbackTarget(ctx context.Context, spec string) (*catalog.Model, *catalog.Version, error) {
	name, version, err := splitFallback(spec)
	if err != nil {
		return nil, nil, err
	}
	if strings.EqualFold(version, "default_version") {
		return nil, nil, fmt.Errorf("FALLBACK %q: name a version or an alias, not DEFAULT_VERSION", spec)
	}
	ref, err := s.resolveModel(ctx, name)
	if err != nil {
		return nil, nil, fmt.Errorf("FALLBACK %q: %w", spec, err)
	}
	m, v, err := s.w.Catalog.GetVersion(ctx, ref, version)
	if err != nil {
		return nil, nil, fmt.Errorf("FALLBACK %q: %w", spec, err)
	}
	return m, v, nil
}

// checkFallback checks a version's FALLBACK when the version is created:
// it names an existing remote version sharing a task, and following
// FALLBACKs from it never comes back (a loop).
func (s *Session) checkFallback(ctx context.Context, ref catalog.Ref, version string, opts map[string]string) error {
	spec, ok := opts[llm.OptFallback]
	if !ok {
		return nil
	}
	m, v, err := s.fallbackTarget(ctx, spec)
	if err != nil {
		return err
	}
	if m.SourceType != catalog.SourceRemote {
		return fmt.Errorf("FALLBACK %q is a %s model; a fallback must be a remote model", spec, m.ModelType)
	}
	if !sharesTask(opts[catalog.OptTasks], v.Options[catalog.OptTasks]) {
		return fmt.Errorf("FALLBACK %q has TASKS %s, none of this version's (%s); a fallback must serve the same task", spec, v.Options[catalog.OptTasks], opts[catalog.OptTasks])
	}
	return s.fallbackLoop(ctx, ref, version, opts)
}

func sharesTask(a, b string) bool {
	for _, x := range strings.Split(a, ",") {
		for _, y := range strings.Split(b, ",") {
			if strings.EqualFold(strings.TrimSpace(x), strings.TrimSpace(y)) {
				return true
			}
		}
	}
	return false
}

// maxFallbackChain bounds the walk (a chain this long is refused too).
const maxFallbackChain = 32

// fallbackLoop follows FALLBACK from a version with these options and
// refuses a chain that comes back to a version it passed.
func (s *Session) fallbackLoop(ctx context.Context, ref catalog.Ref, version string, opts map[string]string) error {
	key := func(r catalog.Ref, v string) string { return strings.ToLower(r.String() + "@" + v) }
	seen := map[string]bool{key(ref, version): true}
	path := []string{ref.String() + "." + version}
	for range maxFallbackChain {
		spec, ok := opts[llm.OptFallback]
		if !ok {
			return nil
		}
		m, v, err := s.fallbackTarget(ctx, spec)
		if err != nil {
			return nil // a dangling link further on ends the chain
		}
		path = append(path, m.Ref().String()+"."+v.Name)
		if seen[key(m.Ref(), v.Name)] {
			return fmt.Errorf("FALLBACK would loop: %s", strings.Join(path, " -> "))
		}
		seen[key(m.Ref(), v.Name)] = true
		opts = v.Options
	}
	return fmt.Errorf("FALLBACK chain is longer than %d versions: %s", maxFallbackChain, strings.Join(path, " -> "))
}

// checkAliasMove refuses SET ALIAS when moving the alias would close a
// FALLBACK loop: every new loop passes through the alias's new version, so
// the chain from there is walked with the alias already moved.
func (s *Session) checkAliasMove(ctx context.Context, ref catalog.Ref, target, alias string) error {
	m, v, err := s.w.Catalog.GetVersion(ctx, ref, target)
	if err != nil {
		return nil // SetAlias reports it
	}
	key := func(r catalog.Ref, v string) string { return strings.ToLower(r.String() + "@" + v) }
	seen := map[string]bool{key(m.Ref(), v.Name): true}
	path := []string{m.Ref().String() + "." + v.Name}
	opts := v.Options
	for range maxFallbackChain {
		spec, ok := opts[llm.OptFallback]
		if !ok {
			return nil
		}
		var fm *catalog.Model
		var fv *catalog.Version
		if name, a, err := splitFallback(spec); err == nil && strings.EqualFold(a, alias) {
			if r, err := s.resolveModel(ctx, name); err == nil && strings.EqualFold(r.String(), ref.String()) {
				fm, fv = m, v // the moved alias
			}
		}
		if fv == nil {
			if fm, fv, err = s.fallbackTarget(ctx, spec); err != nil {
				return nil
			}
		}
		path = append(path, fm.Ref().String()+"."+fv.Name)
		if seen[key(fm.Ref(), fv.Name)] {
			return fmt.Errorf("alias %s cannot move to version %s: FALLBACK would loop: %s", alias, v.Name, strings.Join(path, " -> "))
		}
		seen[key(fm.Ref(), fv.Name)] = true
		opts = fv.Options
	}
	return nil
}

// attachFallback gives a bound AI call its version's fallback, resolved now
// (one statement uses one fallback version). The fallback returns the same
// output type. A fallback that no longer resolves or fits is left out,
// with a warning: the primary still answers.
func (s *Session) attachFallback(ctx context.Context, b *functions.Binding) {
	spec, ok := b.Version.Options[llm.OptFallback]
	if !ok || b.Remote == nil {
		return
	}
	m, v, err := s.fallbackTarget(ctx, spec)
	if err == nil && m.SourceType != catalog.SourceRemote {
		err = fmt.Errorf("FALLBACK %q is not a remote model", spec)
	}
	if err == nil && !sharesTask(strings.Join(functionTasks[b.Func], ","), v.Options[catalog.OptTasks]) {
		err = fmt.Errorf("FALLBACK %q cannot serve %s", spec, b.Func)
	}
	if err == nil {
		err = s.checkModel(ctx, m, "Execute")
	}
	var fb *llm.Client
	if err == nil {
		fb, err = s.versionClient(m, v)
	}
	if err == nil {
		primary := b.Remote.Client.Endpoint()
		fbEp := fb.Endpoint()
		fbEp.Output = primary.Output
		if fb, err = llm.NewClient(fbEp); err == nil {
			var c *llm.Client
			if c, err = llm.NewClient(primary, llm.WithFallback(fb)); err == nil {
				b.Remote.Client = c
				return
			}
		}
	}
	s.warn("model %s version %s: fallback not used: %v", b.Model.Ref(), b.Version.Name, err)
}
