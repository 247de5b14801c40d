package catalog

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/modelsql/modelsql/internal/secrets"
)

// PublicProject is the read-only project of public models, as in MaxCompute.
const PublicProject = "bigdata_public_modelset"

// PublicModelsFile is the file in the data directory that lists public models.
const PublicModelsFile = "public_models.json"

// IsPublicProject reports whether a project name is the public-model project.
func IsPublicProject(p string) bool { return strings.EqualFold(p, PublicProject) }

// publicFile is the documented format of public_models.json:
//
//	{"models": [
//	  {"name": "Qwen3-0.6B-GGUF", "model_type": "LLM", "comment": "...",
//	   "default_version": "v1",
//	   "versions": [{"name": "v1", "comment": "...",
//	                 "options": {"TASKS": "text-generation", "ENDPOINT": "http://...",
//	                             "PAI_EAS_SERVICE_NAME": "...", "PAI_EAS_MODEL_NAME": "...",
//	                             "PAI_EAS_SYNC_MODE": "true", "APIKEY_ENV": "QWEN_KEY"}}]}]}
//
// Options are those of a REMOTE model; APIKEY may be given directly or, better,
// through APIKEY_ENV naming an environment variable read at start-up.
type publicFile struct {
	Models []publicModel `json:"models"`
}

type publicModel struct {
	Name           string `json:"name"`
	ModelType      string `json:"model_type"`
	Comment        string `json:"comment"`
	DefaultVersion string `json:"default_version"`
	Versions       []struct {
		Name    string            `json:"name"`
		Comment string            `json:"comment"`
		Inputs  []Column          `json:"inputs"`
		Options map[string]string `json:"options"`
	} `json:"versions"`
}

// PublicModels is the in-memory set of public models.
type PublicModels struct {
	models   map[string]*Model
	versions map[string][]*Version
	// broken holds, by lower-case name, the models whose definition cannot
	// be used; err is set when the file itself cannot be. Neither stops
	// the warehouse: only statements naming those models fail.
	broken map[string]error
	err    error
}

// LoadPublicModels reads public_models.json from the data directory; a
// missing file gives an empty set. A file that cannot be read, or a model
// that cannot be used (a bad option, an unset APIKEY_ENV variable), makes
// those public models unavailable, with that error, and nothing else: the
// returned error is always nil.
func LoadPublicModels(dataDir string, box *secrets.Box) (*PublicModels, error) {
	p := &PublicModels{models: map[string]*Model{}, versions: map[string][]*Version{}, broken: map[string]error{}}
	path := filepath.Join(dataDir, PublicModelsFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return p, nil
	}
	if err != nil {
		p.err = err
		return p, nil
	}
	var f publicFile
	if err := json.Unmarshal(b, &f); err != nil {
		p.err = fmt.Errorf("%s: %w", path, err)
		return p, nil
	}
	st, _ := os.Stat(path)
	mod := st.ModTime()
	for i, pm := range f.Models {
		where := fmt.Sprintf("%s: model %d (%q)", PublicModelsFile, i+1, pm.Name)
		if pm.Name == "" || len(pm.Versions) == 0 {
			p.broken[strings.ToLower(pm.Name)] = fmt.Errorf("%s: a public model needs a name and at least one version", where)
			continue
		}
		if err := p.load(pm, where, mod, box); err != nil {
			p.broken[strings.ToLower(pm.Name)] = err
		}
	}
	return p, nil
}

// load adds one model of the file.
func (p *PublicModels) load(pm publicModel, where string, mod time.Time, box *secrets.Box) error {
	m := &Model{Project: PublicProject, Schema: "default", Name: pm.Name, Owner: "system",
		SourceType: SourceRemote, ModelType: strings.ToUpper(pm.ModelType), Comment: pm.Comment,
		DefaultVersion: pm.DefaultVersion, Created: mod, Modified: mod, Public: true}
	if m.DefaultVersion == "" {
		m.DefaultVersion = pm.Versions[0].Name
	}
	var vs []*Version
	found := false
	for _, pv := range pm.Versions {
		opts := []OptionEntry{{OptSourceType, SourceRemote}, {OptModelType, m.ModelType}}
		keys := make([]string, 0, len(pv.Options))
		for k := range pv.Options {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			v := pv.Options[k]
			if strings.EqualFold(k, "APIKEY_ENV") {
				key := os.Getenv(v)
				if key == "" {
					return fmt.Errorf("%s, version %s: environment variable %s (its APIKEY_ENV) is not set", where, pv.Name, v)
				}
				k, v = OptAPIKey, key
			}
			opts = append(opts, OptionEntry{strings.ToUpper(k), v})
		}
		resolved, err := ResolveOptions(opts, nil, len(pv.Inputs) > 0)
		if err != nil {
			return fmt.Errorf("%s, version %s: %w", where, pv.Name, err)
		}
		if key, ok := resolved[OptAPIKey]; ok {
			if resolved[OptAPIKey], err = box.Seal(key); err != nil {
				return err
			}
		}
		cols, err := ValidateColumns(pv.Inputs)
		if err != nil {
			return fmt.Errorf("%s, version %s: %w", where, pv.Name, err)
		}
		vs = append(vs, &Version{Name: pv.Name, Inputs: cols, Options: resolved, Comment: pv.Comment, Created: mod, Modified: mod})
		found = found || strings.EqualFold(pv.Name, m.DefaultVersion)
	}
	if !found {
		return fmt.Errorf("%s: default_version %q is not one of its versions", where, m.DefaultVersion)
	}
	key := strings.ToLower(m.Name)
	p.models[key], p.versions[key] = m, vs
	return nil
}

func (p *PublicModels) list(schema, like string) ([]*Model, error) {
	if p.err != nil {
		return nil, fmt.Errorf("public models are unavailable: %w", p.err)
	}
	if !strings.EqualFold(schema, "default") {
		return nil, nil
	}
	var out []*Model
	for _, m := range p.models {
		if like == "" || LikeMatch(like, m.Name) {
			out = append(out, m)
		}
	}
	sort.Slice(out, func(i, j int) bool { return strings.ToLower(out[i].Name) < strings.ToLower(out[j].Name) })
	return out, nil
}

func (p *PublicModels) get(ref Ref) (*Model, []*Version, error) {
	if p.err != nil {
		return nil, nil, fmt.Errorf("public models are unavailable: %w", p.err)
	}
	key := strings.ToLower(ref.Name)
	if err := p.broken[key]; err != nil && strings.EqualFold(ref.Schema, "default") {
		return nil, nil, fmt.Errorf("public model %s is unavailable: %w", ref, err)
	}
	m, ok := p.models[key]
	if !ok || !strings.EqualFold(ref.Schema, "default") {
		return nil, nil, fmt.Errorf("public model %s does not exist (public models are listed in %s in the data directory)", ref, PublicModelsFile)
	}
	return m, p.versions[key], nil
}

// LikeMatch matches s against a case-insensitive SQL LIKE pattern with % and _
// and backslash escapes.
func LikeMatch(pattern, s string) bool {
	p, t := []rune(strings.ToLower(pattern)), []rune(strings.ToLower(s))
	var match func(i, j int) bool
	memo := map[[2]int]bool{}
	match = func(i, j int) bool {
		if r, ok := memo[[2]int{i, j}]; ok {
			return r
		}
		var r bool
		switch {
		case i == len(p):
			r = j == len(t)
		case p[i] == '%':
			r = match(i+1, j) || (j < len(t) && match(i, j+1))
		case p[i] == '\\' && i+1 < len(p):
			r = j < len(t) && t[j] == p[i+1] && match(i+2, j+1)
		case j < len(t) && (p[i] == '_' || p[i] == t[j]):
			r = match(i+1, j+1)
		}
		memo[[2]int{i, j}] = r
		return r
	}
	return match(0, 0)
}
