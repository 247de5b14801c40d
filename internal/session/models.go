package session

import (
	"github.com/modelsql/modelsql/internal/objtable"

	"context"
	"fmt"
	"github.com/modelsql/modelsql/internal/aibudget"
	"github.com/modelsql/modelsql/internal/aicache"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/modelsql/modelsql/internal/catalog"
	"github.com/modelsql/modelsql/internal/engine"
	"github.com/modelsql/modelsql/internal/objstore"
	"github.com/modelsql/modelsql/internal/parser"
	"github.com/modelsql/modelsql/internal/secrets"
)

// resolveModel turns a written name into a catalog reference:
//   - name: the current project and schema;
//   - a.name: schema a of the current project when it exists, else project a's
//     default schema (DuckDB resolves two-part table names the same way);
//   - p.s.name: as written; more parts are joined back into the model name
//     (public models such as qwen3.6-plus), as MaxFrame does.
//
// The result columns of SHOW MODELS, SHOW VERSIONS and DESC MODEL, fixed
// whatever the models (the server describes these statements with them
// before their parameters are bound).
var (
	ShowModelsColumns   = []string{"ModelName", "Owner", "SourceType", "ModelType", "DefaultVersion", "CreateTime", "LastModifiedTime", "Comment"}
	ShowVersionsColumns = []string{"VersionName", "IsDefault", "SourceType", "ModelType", "CreateTime", "LastModifiedTime", "Comment", "Aliases"}
	DescModelColumns    = []string{"Section", "Field", "Value"}
)

func (s *Session) resolveModel(ctx context.Context, n parser.Name) (catalog.Ref, error) {
	p := n.Parts
	switch {
	case len(p) == 0:
		return catalog.Ref{}, fmt.Errorf("missing model name")
	case len(p) == 1:
		return catalog.Ref{Project: s.project, Schema: s.schema, Name: p[0]}, nil
	case len(p) == 2:
		if catalog.IsPublicProject(p[0]) {
			return catalog.Ref{Project: catalog.PublicProject, Schema: "default", Name: p[1]}, nil
		}
		if ok, _ := s.w.Engine.HasSchema(ctx, s.project, p[0]); ok {
			return catalog.Ref{Project: s.project, Schema: strings.ToLower(p[0]), Name: p[1]}, nil
		}
		if s.w.Engine.HasProject(p[0]) {
			return catalog.Ref{Project: strings.ToLower(p[0]), Schema: engine.DefaultSchema, Name: p[1]}, nil
		}
		return catalog.Ref{}, fmt.Errorf("%s is neither a schema of project %s nor a project", p[0], s.project)
	default:
		ref := catalog.Ref{Project: strings.ToLower(p[0]), Schema: strings.ToLower(p[1]), Name: strings.Join(p[2:], ".")}
		if catalog.IsPublicProject(ref.Project) {
			ref.Project = catalog.PublicProject
			return ref, nil
		}
		if !s.w.Engine.HasProject(ref.Project) {
			return catalog.Ref{}, fmt.Errorf("project %s does not exist", ref.Project)
		}
		return ref, nil
	}
}

// resolveForWrite also checks that the schema exists and the name is valid.
func (s *Session) resolveForWrite(ctx context.Context, n parser.Name) (catalog.Ref, error) {
	ref, err := s.resolveModel(ctx, n)
	if err != nil {
		return ref, err
	}
	if catalog.IsPublicProject(ref.Project) {
		return ref, fmt.Errorf("project %s holds public models, which are read-only", catalog.PublicProject)
	}
	if ok, err := s.w.Engine.HasSchema(ctx, ref.Project, ref.Schema); err != nil || !ok {
		return ref, fmt.Errorf("schema %s.%s does not exist", ref.Project, ref.Schema)
	}
	return ref, catalog.ValidateObjectName("model", ref.Name)
}

func optionEntries(opts []parser.Option) []catalog.OptionEntry {
	out := make([]catalog.OptionEntry, len(opts))
	for i, o := range opts {
		out[i] = catalog.OptionEntry{Key: o.Key, Value: o.Value}
	}
	return out
}

func columns(cols []parser.Column) []catalog.Column {
	out := make([]catalog.Column, len(cols))
	for i, c := range cols {
		out[i] = catalog.Column{Name: c.Name, Type: c.Type}
	}
	return out
}

// versionSpec validates what CREATE MODEL and ADD VERSION share.
type versionSpec struct {
	inputs  []catalog.Column
	options map[string]string
	comment string
}

func (s *Session) checkVersion(version string, hasInput bool, input []parser.Column, opts []parser.Option, comment *string, existing *catalog.Model) (*versionSpec, error) {
	if err := catalog.ValidateVersionName(version); err != nil {
		return nil, err
	}
	cols, err := catalog.ValidateColumns(columns(input))
	if err != nil {
		return nil, err
	}
	if err := catalog.ValidateComment(comment); err != nil {
		return nil, err
	}
	resolved, err := catalog.ResolveOptions(optionEntries(opts), existing, hasInput)
	if err != nil {
		return nil, err
	}
	spec := &versionSpec{inputs: cols, options: resolved}
	if comment != nil {
		spec.comment = *comment
	}
	return spec, nil
}

func (s *Session) createModel(ctx context.Context, st *parser.CreateModel) (*Result, error) {
	ref, err := s.resolveForWrite(ctx, st.Model)
	if err != nil {
		return nil, err
	}
	spec, art, err := s.newVersion(ctx, ref, st.Version, st.HasInput, st.Input, st.Options, st.Comment, st.Query, nil, st.IfNotExists)
	if err != nil {
		return nil, err
	}
	if spec == nil {
		return ok(), nil // IF NOT EXISTS and the model exists
	}
	_, err = s.w.Catalog.CreateModel(ctx, catalog.NewModel{
		Ref: ref, Owner: s.User, IfNotExists: st.IfNotExists, Version: st.Version,
		Inputs: spec.inputs, Options: spec.options, Comment: spec.comment, Artifact: art,
	})
	if err != nil {
		return nil, err
	}
	return ok(), nil
}

func (s *Session) addVersion(ctx context.Context, st *parser.AddVersion) (*Result, error) {
	ref, err := s.resolveForWrite(ctx, st.Model)
	if err != nil {
		return nil, err
	}
	m, vs, err := s.w.Catalog.GetModel(ctx, ref)
	if err != nil {
		return nil, err
	}
	for _, v := range vs {
		if strings.EqualFold(v.Name, st.Version) {
			return nil, fmt.Errorf("version %s of model %s already exists; version names must be unique within a model", st.Version, ref)
		}
	}
	spec, art, err := s.newVersion(ctx, ref, st.Version, st.HasInput, st.Input, st.Options, st.Comment, st.Query, m, false)
	if err != nil {
		return nil, err
	}
	if err := s.w.Catalog.AddVersion(ctx, catalog.NewVersion{
		Ref: ref, Version: st.Version, Inputs: spec.inputs, Options: spec.options, Comment: spec.comment, Artifact: art,
	}); err != nil {
		return nil, err
	}
	return ok(), nil
}

// newVersion checks what CREATE MODEL and ADD VERSION share and makes the
// version's model file: trained by the query, registered (MODEL_DATA) or
// fetched (IMPORT). existing is the model when adding a version. With
// ifNotExists and an existing model it does nothing expensive and returns
// a nil spec.
func (s *Session) newVersion(ctx context.Context, ref catalog.Ref, version string, hasInput bool, input []parser.Column, opts []parser.Option, comment *string, query string, existing *catalog.Model, ifNotExists bool) (*versionSpec, *catalog.Artifact, error) {
	exists := func() bool {
		if !ifNotExists {
			return false
		}
		_, _, err := s.w.Catalog.GetModel(ctx, ref)
		return err == nil
	}
	switch {
	case query != "":
		if exists() {
			return nil, nil, nil // do not train for nothing
		}
		return s.trainVersion(ctx, version, hasInput, opts, comment, query, existing)
	case registersTrained(opts, existing):
		return s.registeredSpec(version, hasInput, input, opts, comment, existing)
	}
	spec, err := s.checkVersion(version, hasInput, input, opts, comment, existing)
	if err != nil {
		return nil, nil, err
	}
	if exists() {
		return nil, nil, nil // do not fetch a model file for nothing
	}
	if err := s.checkFallback(ctx, ref, version, spec.options); err != nil {
		return nil, nil, err
	}
	art, err := s.prepareArtifact(ctx, ref, version, spec)
	return spec, art, err
}

const timeLayout = "2006-01-02 15:04:05"

func fmtTime(t time.Time) string { return t.Local().Format(timeLayout) }

func (s *Session) showModels(ctx context.Context, st *parser.ShowModels) (*Result, error) {
	project, schema := s.project, s.schema
	if st.In != nil {
		p := st.In.Parts
		project, schema = strings.ToLower(p[0]), engine.DefaultSchema
		if len(p) == 2 {
			schema = strings.ToLower(p[1])
		} else if len(p) > 2 {
			return nil, fmt.Errorf("SHOW MODELS IN takes project or project.schema")
		}
		if !catalog.IsPublicProject(project) && !s.w.Engine.HasProject(project) {
			return nil, fmt.Errorf("project %s does not exist", project)
		}
	}
	like := ""
	if st.Like != nil {
		like = *st.Like
	}
	models, err := s.w.Catalog.ListModels(ctx, project, schema, like)
	if err != nil {
		return nil, err
	}
	res := &Result{Columns: append([]string(nil), ShowModelsColumns...)}
	for _, m := range models {
		if s.guard != nil && s.guard.CheckModel(ctx, s, m, "List") != nil {
			continue
		}
		res.Rows = append(res.Rows, []any{m.Name, m.Owner, m.SourceType, m.ModelType, m.DefaultVersion, fmtTime(m.Created), fmtTime(m.Modified), m.Comment})
	}
	return res, nil
}

// describedModel looks a model up for SHOW VERSIONS and DESC, which need
// Describe on it.
func (s *Session) describedModel(ctx context.Context, n parser.Name) (catalog.Ref, *catalog.Model, []*catalog.Version, error) {
	ref, err := s.resolveModel(ctx, n)
	if err != nil {
		return ref, nil, nil, err
	}
	m, vs, err := s.w.Catalog.GetModel(ctx, ref)
	if err != nil {
		return ref, nil, nil, err
	}
	return ref, m, vs, s.checkModel(ctx, m, "Describe")
}

func (s *Session) showVersions(ctx context.Context, st *parser.ShowVersions) (*Result, error) {
	_, m, vs, err := s.describedModel(ctx, st.Model)
	if err != nil {
		return nil, err
	}
	res := &Result{Columns: append([]string(nil), ShowVersionsColumns...)}
	for _, v := range vs {
		res.Rows = append(res.Rows, []any{v.Name, strings.EqualFold(v.Name, m.DefaultVersion), m.SourceType, m.ModelType, fmtTime(v.Created), fmtTime(v.Modified), v.Comment, strings.Join(v.Aliases, ",")})
	}
	return res, nil
}

// descModel lists the model's fields, then each version's fields, inputs and
// options, as (Section, Field, Value) rows. APIKEY is masked.
func (s *Session) descModel(ctx context.Context, st *parser.DescModel) (*Result, error) {
	ref, m, vs, err := s.describedModel(ctx, st.Model)
	if err != nil {
		return nil, err
	}
	res := &Result{Columns: append([]string(nil), DescModelColumns...)}
	add := func(sec, f, v string) { res.Rows = append(res.Rows, []any{sec, f, v}) }
	if st.Version == "" {
		add("Model", "ModelName", m.Name)
		add("Model", "Project", m.Project)
		add("Model", "Schema", m.Schema)
		add("Model", "Owner", m.Owner)
		add("Model", "SourceType", m.SourceType)
		add("Model", "ModelType", m.ModelType)
		add("Model", "DefaultVersion", m.DefaultVersion)
		add("Model", "CreateTime", fmtTime(m.Created))
		add("Model", "LastModifiedTime", fmtTime(m.Modified))
		add("Model", "Comment", m.Comment)
		// Only aliased models get the row, so that DESC of other models
		// reads as before aliases existed.
		var aliases []string
		for _, v := range vs {
			for _, a := range v.Aliases {
				aliases = append(aliases, a+"="+v.Name)
			}
		}
		if len(aliases) > 0 {
			add("Model", "Aliases", strings.Join(aliases, ","))
		}
	}
	found := false
	for _, v := range vs {
		if st.Version != "" && !strings.EqualFold(v.Name, st.Version) && !hasAlias(v.Aliases, st.Version) {
			continue
		}
		found = true
		sec := "Version " + v.Name
		add(sec, "VersionName", v.Name)
		add(sec, "IsDefault", strconv.FormatBool(strings.EqualFold(v.Name, m.DefaultVersion)))
		add(sec, "CreateTime", fmtTime(v.Created))
		add(sec, "LastModifiedTime", fmtTime(v.Modified))
		add(sec, "Comment", v.Comment)
		if len(v.Aliases) > 0 {
			add(sec, "Aliases", strings.Join(v.Aliases, ","))
		}
		for i, c := range v.Inputs {
			add(sec, fmt.Sprintf("Input[%d]", i+1), c.Name+" "+c.Type)
		}
		keys := make([]string, 0, len(v.Options))
		for k := range v.Options {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			val := v.Options[k]
			switch k {
			case catalog.OptAPIKey:
				val = secrets.Mask
			case catalog.OptLocation:
				// A presigned URL's query is a credential (errors hide it too).
				val = objstore.RedactLocation(val)
			}
			add(sec, "Option."+k, val)
		}
		if v.Artifact != "" {
			add(sec, "StoredFile", "sha256:"+v.Artifact)
		}
		if m.SourceType == catalog.SourceInternal && v.Artifact != "" {
			s.describeTraining(ctx, v, func(f, val string) { add(sec, f, val) })
		}
	}
	if st.Version != "" && !found {
		return nil, fmt.Errorf("version %s of model %s does not exist", st.Version, ref)
	}
	return res, nil
}

// validateSetting checks the values of the settings modelsql interprets.
func validateSetting(key, value string) error {
	if err := objtable.ValidateSetting(key, value); err != nil {
		return err
	}
	switch key {
	case "odps.sql.ai.embedding.dimension":
		n, err := strconv.Atoi(value)
		if err != nil || n < 1 || n > 65536 {
			return fmt.Errorf("%s must be a positive integer, got %q", key, value)
		}
	case "modelsql.ai.max_requests", "modelsql.ai.max_tokens":
		if _, err := aibudget.ParseLimit(key, value); err != nil {
			return err
		}
	case "modelsql.ai.cache":
		if _, err := aicache.ParseMode(value); err != nil {
			return err
		}
	case "modelsql.ai.on_error":
		if v := strings.ToLower(value); v != "fail" && v != "null" {
			return fmt.Errorf("%s must be 'fail' or 'null', got %q", key, value)
		}
	}
	return nil
}

func (s *Session) checkModel(ctx context.Context, m *catalog.Model, priv string) error {
	if s.guard == nil {
		return nil
	}
	return s.guard.CheckModel(ctx, s, m, priv)
}

// hasAlias reports whether name is one of aliases (case-insensitively).
func hasAlias(aliases []string, name string) bool {
	for _, a := range aliases {
		if strings.EqualFold(a, name) {
			return true
		}
	}
	return false
}
