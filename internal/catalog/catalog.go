// Package catalog stores models and their versions.
//
// The catalog lives in the data directory's system database (see package
// engine), next to the model files it keeps: an imported model's bytes are
// stored content-addressed in the same transaction as the version that uses
// them, so a statement either commits whole or leaves nothing behind.
package catalog

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/modelsql/modelsql/internal/engine"
	"github.com/modelsql/modelsql/internal/secrets"
)

// Column is one declared model input.
type Column struct {
	Name string `json:"name"`
	Type string `json:"type"` // canonical MaxCompute type, e.g. BIGINT, DECIMAL(10,2)
}

// Ref names a model: project, schema and name, compared case-insensitively.
type Ref struct{ Project, Schema, Name string }

func (r Ref) String() string { return r.Project + "." + r.Schema + "." + r.Name }

func (r Ref) key() Ref {
	return Ref{strings.ToLower(r.Project), strings.ToLower(r.Schema), strings.ToLower(r.Name)}
}

// Model is a model's own metadata.
type Model struct {
	Project, Schema, Name string
	Owner                 string
	SourceType, ModelType string
	DefaultVersion        string
	Comment               string
	Created, Modified     time.Time
	Public                bool
}

// Ref returns the model's reference.
func (m *Model) Ref() Ref { return Ref{m.Project, m.Schema, m.Name} }

// Version is one version of a model.
type Version struct {
	Name    string
	Inputs  []Column
	Options map[string]string // APIKEY is sealed (see Catalog.Secret)
	Comment string
	// Artifact is the SHA-256 of the stored model file (IMPORT), or "".
	Artifact          string
	Created, Modified time.Time
	// Aliases are the alias names pointing at this version, sorted.
	Aliases []string
	// ID is the version's internal id: a version dropped and created again
	// under the same name has a new one (the AI result cache keys on it).
	ID string
}

// Artifact is a model file to store with a version.
type Artifact struct {
	Data   []byte
	Source string // where it was read from, for DESC
}

// SHA256 returns the artifact's content address.
func (a *Artifact) SHA256() string {
	s := sha256.Sum256(a.Data)
	return hex.EncodeToString(s[:])
}

// Catalog is the model catalog of one data directory.
type Catalog struct {
	db     *sql.DB
	box    *secrets.Box
	public *PublicModels
}

// Errors that callers test for.
var (
	ErrNotFound = errors.New("not found")
	ErrExists   = errors.New("already exists")
)

const sys = engine.SystemCatalog

// Open returns the catalog of an open engine (whose tables package migrate
// created) and loads the public models.
func Open(ctx context.Context, eng *engine.Engine, box *secrets.Box) (*Catalog, error) {
	pub, err := LoadPublicModels(eng.DataDir, box)
	if err != nil {
		return nil, err
	}
	return &Catalog{db: eng.DB, box: box, public: pub}, nil
}

// Secret opens a sealed option value (APIKEY).
func (c *Catalog) Secret(sealed string) (string, error) {
	if !secrets.IsSealed(sealed) {
		return sealed, nil
	}
	return c.box.Open(sealed)
}

// NewModel is what CreateModel stores.
type NewModel struct {
	Ref         Ref
	Owner       string
	IfNotExists bool
	Version     string
	Inputs      []Column
	Options     map[string]string // resolved by ResolveOptions; APIKEY in clear (sealed here)
	Comment     string
	Artifact    *Artifact // IMPORT models: the fetched file
}

// CreateModel creates a model with its first version, which becomes the
// default. With IfNotExists an existing model is left as it is and created
// is false.
func (c *Catalog) CreateModel(ctx context.Context, n NewModel) (created bool, err error) {
	if IsPublicProject(n.Ref.Project) {
		return false, errPublicReadOnly("create")
	}
	k := n.Ref.key()
	opts, err := c.sealOptions(n.Options)
	if err != nil {
		return false, err
	}
	err = c.tx(ctx, func(tx *sql.Tx) error {
		var exists int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM `+sys+`.main.models WHERE project=? AND schema_name=? AND name=?`,
			k.Project, k.Schema, k.Name).Scan(&exists); err != nil {
			return err
		}
		if exists > 0 {
			return ErrExists
		}
		now := time.Now().UTC()
		if _, err := tx.ExecContext(ctx, `INSERT INTO `+sys+`.main.models VALUES (?,?,?,?,?,?,?,?,?,?,?)`,
			k.Project, k.Schema, k.Name, n.Ref.Name, n.Owner, n.Options[OptSourceType], n.Options[OptModelType],
			n.Version, n.Comment, now, now); err != nil {
			return err
		}
		return insertVersion(ctx, tx, k, n.Version, n.Inputs, opts, n.Comment, n.Artifact, now)
	})
	if errors.Is(err, ErrExists) || (err != nil && isConflict(err)) {
		if n.IfNotExists {
			return false, nil
		}
		return false, fmt.Errorf("model %s already exists", n.Ref)
	}
	return err == nil, err
}

// NewVersion is what AddVersion stores.
type NewVersion struct {
	Ref      Ref
	Version  string
	Inputs   []Column
	Options  map[string]string
	Comment  string
	Artifact *Artifact
}

// AddVersion adds a version to an existing model. The default version does not change.
func (c *Catalog) AddVersion(ctx context.Context, n NewVersion) error {
	if IsPublicProject(n.Ref.Project) {
		return errPublicReadOnly("alter")
	}
	k := n.Ref.key()
	opts, err := c.sealOptions(n.Options)
	if err != nil {
		return err
	}
	err = c.tx(ctx, func(tx *sql.Tx) error {
		if err := touchModel(ctx, tx, k); err != nil {
			return err
		}
		var exists int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM `+sys+`.main.versions WHERE project=? AND schema_name=? AND model=? AND name=?`,
			k.Project, k.Schema, k.Name, strings.ToLower(n.Version)).Scan(&exists); err != nil {
			return err
		}
		if exists > 0 {
			return ErrExists
		}
		if a, err := aliasDisplay(ctx, tx, k, n.Version); err == nil {
			return fmt.Errorf("version %s cannot be added: model %s has an alias named %s; a version cannot take an alias's name (UNSET ALIAS it first)", n.Version, n.Ref, a)
		} else if !errors.Is(err, ErrNotFound) {
			return err
		}
		return insertVersion(ctx, tx, k, n.Version, n.Inputs, opts, n.Comment, n.Artifact, time.Now().UTC())
	})
	switch {
	case errors.Is(err, ErrNotFound):
		return fmt.Errorf("model %s does not exist", n.Ref)
	case errors.Is(err, ErrExists) || (err != nil && isConflict(err)):
		return fmt.Errorf("version %s of model %s already exists; version names must be unique within a model", n.Version, n.Ref)
	}
	return err
}

// DropVersion removes a version that is not the default and has no
// aliases. version may be an alias (the version it names is meant).
func (c *Catalog) DropVersion(ctx context.Context, ref Ref, version string, ifExists bool) (dropped bool, err error) {
	if IsPublicProject(ref.Project) {
		return false, errPublicReadOnly("alter")
	}
	k := ref.key()
	v := strings.ToLower(version)
	err = c.tx(ctx, func(tx *sql.Tx) error {
		m, err := getModel(ctx, tx, k)
		if err != nil {
			return err
		}
		if name, err := resolveName(ctx, tx, k, version); err == nil {
			v = strings.ToLower(name)
			version = name
		} else if !errors.Is(err, ErrNotFound) {
			return err
		}
		aliases, err := aliasesOf(ctx, tx, k, v)
		if err != nil {
			return err
		}
		if len(aliases) > 0 {
			return fmt.Errorf("version %s of model %s has aliases %s and cannot be dropped; UNSET ALIAS them (or set them on another version) first", version, ref, strings.Join(aliases, ", "))
		}
		var artifact sql.NullString
		err = tx.QueryRowContext(ctx, `SELECT artifact FROM `+sys+`.main.versions WHERE project=? AND schema_name=? AND model=? AND name=?`,
			k.Project, k.Schema, k.Name, v).Scan(&artifact)
		if errors.Is(err, sql.ErrNoRows) {
			if ifExists {
				return nil
			}
			return fmt.Errorf("version %s of model %s does not exist", version, ref)
		}
		if err != nil {
			return err
		}
		if strings.EqualFold(m.DefaultVersion, version) {
			return fmt.Errorf("version %s is the default version of model %s and cannot be dropped; set another DEFAULT_VERSION first (or DROP MODEL to remove the model)", version, ref)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM `+sys+`.main.versions WHERE project=? AND schema_name=? AND model=? AND name=?`,
			k.Project, k.Schema, k.Name, v); err != nil {
			return err
		}
		if err := touchModel(ctx, tx, k); err != nil {
			return err
		}
		dropped = true
		return releaseArtifacts(ctx, tx, artifact)
	})
	if errors.Is(err, ErrNotFound) {
		return false, fmt.Errorf("model %s does not exist", ref)
	}
	return dropped, err
}

// SetDefaultVersion moves the model's default to an existing version.
func (c *Catalog) SetDefaultVersion(ctx context.Context, ref Ref, version string) error {
	if IsPublicProject(ref.Project) {
		return errPublicReadOnly("alter")
	}
	k := ref.key()
	err := c.tx(ctx, func(tx *sql.Tx) error {
		if _, err := getModel(ctx, tx, k); err != nil {
			return err
		}
		// An alias is resolved now: the default names the version, and
		// does not follow the alias when it moves later.
		display, err := resolveName(ctx, tx, k, version)
		if errors.Is(err, ErrNotFound) {
			return fmt.Errorf("version %s of model %s does not exist; DEFAULT_VERSION must name an existing version", version, ref)
		}
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE `+sys+`.main.models SET default_version=?, modify_time=? WHERE project=? AND schema_name=? AND name=?`,
			display, time.Now().UTC(), k.Project, k.Schema, k.Name)
		return err
	})
	if errors.Is(err, ErrNotFound) {
		return fmt.Errorf("model %s does not exist", ref)
	}
	return err
}

// DropModel removes a model and all its versions.
func (c *Catalog) DropModel(ctx context.Context, ref Ref, ifExists bool) (dropped bool, err error) {
	if IsPublicProject(ref.Project) {
		return false, errPublicReadOnly("drop")
	}
	k := ref.key()
	err = c.tx(ctx, func(tx *sql.Tx) error {
		if _, err := getModel(ctx, tx, k); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT artifact FROM `+sys+`.main.versions WHERE project=? AND schema_name=? AND model=? AND artifact IS NOT NULL`,
			k.Project, k.Schema, k.Name)
		if err != nil {
			return err
		}
		var arts []sql.NullString
		for rows.Next() {
			var a sql.NullString
			if err := rows.Scan(&a); err != nil {
				rows.Close()
				return err
			}
			arts = append(arts, a)
		}
		rows.Close()
		if _, err := tx.ExecContext(ctx, `DELETE FROM `+sys+`.main.model_aliases WHERE project=? AND schema_name=? AND model=?`, k.Project, k.Schema, k.Name); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM `+sys+`.main.versions WHERE project=? AND schema_name=? AND model=?`, k.Project, k.Schema, k.Name); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM `+sys+`.main.models WHERE project=? AND schema_name=? AND name=?`, k.Project, k.Schema, k.Name); err != nil {
			return err
		}
		dropped = true
		return releaseArtifacts(ctx, tx, arts...)
	})
	if errors.Is(err, ErrNotFound) {
		if ifExists {
			return false, nil
		}
		return false, fmt.Errorf("model %s does not exist", ref)
	}
	return dropped, err
}

// ListModels lists the models of a project and schema whose names match a
// LIKE pattern ("" for all), ordered by name.
func (c *Catalog) ListModels(ctx context.Context, project, schema, like string) ([]*Model, error) {
	if IsPublicProject(project) {
		return c.public.list(schema, like)
	}
	q := `SELECT ` + modelCols + ` FROM ` + sys + `.main.models WHERE project=? AND schema_name=?`
	args := []any{strings.ToLower(project), strings.ToLower(schema)}
	if like != "" {
		q += ` AND display_name ILIKE ? ESCAPE '\'`
		args = append(args, like)
	}
	rows, err := c.db.QueryContext(ctx, q+` ORDER BY name`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*Model
	for rows.Next() {
		m, err := scanModel(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// GetModel returns a model and its versions ordered by creation.
func (c *Catalog) GetModel(ctx context.Context, ref Ref) (*Model, []*Version, error) {
	if IsPublicProject(ref.Project) {
		return c.public.get(ref)
	}
	k := ref.key()
	m, err := getModel(ctx, c.db, k)
	if errors.Is(err, ErrNotFound) {
		return nil, nil, fmt.Errorf("model %s does not exist", ref)
	}
	if err != nil {
		return nil, nil, err
	}
	rows, err := c.db.QueryContext(ctx, `SELECT `+versionCols+` FROM `+sys+`.main.versions WHERE project=? AND schema_name=? AND model=? ORDER BY create_time, name`,
		k.Project, k.Schema, k.Name)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	var vs []*Version
	for rows.Next() {
		v, err := scanVersion(rows)
		if err != nil {
			return nil, nil, err
		}
		vs = append(vs, v)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	aliases, err := modelAliases(ctx, c.db, k)
	if err != nil {
		return nil, nil, err
	}
	for _, v := range vs {
		v.Aliases = aliases[strings.ToLower(v.Name)]
	}
	return m, vs, nil
}

// GetVersion returns a model and one version; version "" means the
// default, and an alias means the version it names now.
func (c *Catalog) GetVersion(ctx context.Context, ref Ref, version string) (*Model, *Version, error) {
	m, vs, err := c.GetModel(ctx, ref)
	if err != nil {
		return nil, nil, err
	}
	if version == "" {
		version = m.DefaultVersion
	}
	for _, v := range vs {
		if strings.EqualFold(v.Name, version) {
			return m, v, nil
		}
	}
	for _, v := range vs {
		for _, a := range v.Aliases {
			if strings.EqualFold(a, version) {
				return m, v, nil
			}
		}
	}
	return nil, nil, fmt.Errorf("version %s of model %s does not exist", version, ref)
}

// ArtifactData returns a stored model file.
func (c *Catalog) ArtifactData(ctx context.Context, sha string) ([]byte, error) {
	var b []byte
	err := c.db.QueryRowContext(ctx, `SELECT data FROM `+sys+`.main.artifacts WHERE sha256=?`, sha).Scan(&b)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("stored model file %s is missing", sha)
	}
	return b, err
}

// ArtifactHashes lists every stored model file (for consistency checks).
func (c *Catalog) ArtifactHashes(ctx context.Context) ([]string, error) {
	rows, err := c.db.QueryContext(ctx, `SELECT sha256 FROM `+sys+`.main.artifacts ORDER BY 1`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// --- helpers ---

type queryer interface {
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
}

const modelCols = `project, schema_name, display_name, owner, source_type, model_type, default_version, comment, create_time, modify_time`
const versionCols = `display_name, inputs, options, comment, artifact, create_time, modify_time, id`

type scanner interface{ Scan(dest ...any) error }

func scanModel(r scanner) (*Model, error) {
	m := &Model{}
	err := r.Scan(&m.Project, &m.Schema, &m.Name, &m.Owner, &m.SourceType, &m.ModelType, &m.DefaultVersion, &m.Comment, &m.Created, &m.Modified)
	return m, err
}

func scanVersion(r scanner) (*Version, error) {
	v := &Version{}
	var inputs, opts string
	var art sql.NullString
	if err := r.Scan(&v.Name, &inputs, &opts, &v.Comment, &art, &v.Created, &v.Modified, &v.ID); err != nil {
		return nil, err
	}
	v.Artifact = art.String
	if err := json.Unmarshal([]byte(inputs), &v.Inputs); err != nil {
		return nil, fmt.Errorf("catalog: corrupt inputs of version %s: %w", v.Name, err)
	}
	if err := json.Unmarshal([]byte(opts), &v.Options); err != nil {
		return nil, fmt.Errorf("catalog: corrupt options of version %s: %w", v.Name, err)
	}
	return v, nil
}

func getModel(ctx context.Context, q queryer, k Ref) (*Model, error) {
	m, err := scanModel(q.QueryRowContext(ctx, `SELECT `+modelCols+` FROM `+sys+`.main.models WHERE project=? AND schema_name=? AND name=?`,
		k.Project, k.Schema, k.Name))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	return m, err
}

func touchModel(ctx context.Context, tx *sql.Tx, k Ref) error {
	res, err := tx.ExecContext(ctx, `UPDATE `+sys+`.main.models SET modify_time=? WHERE project=? AND schema_name=? AND name=?`,
		time.Now().UTC(), k.Project, k.Schema, k.Name)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

func insertVersion(ctx context.Context, tx *sql.Tx, k Ref, version string, inputs []Column, opts map[string]string, comment string, art *Artifact, now time.Time) error {
	if inputs == nil {
		inputs = []Column{}
	}
	in, _ := json.Marshal(inputs)
	op, _ := json.Marshal(opts)
	var sha any
	if art != nil {
		h := art.SHA256()
		sha = h
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM `+sys+`.main.artifacts WHERE sha256=?`, h).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			if _, err := tx.ExecContext(ctx, `INSERT INTO `+sys+`.main.artifacts VALUES (?,?,?,?)`, h, len(art.Data), art.Source, art.Data); err != nil {
				return err
			}
		}
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO `+sys+`.main.versions VALUES (?,?,?,?,?,?,?,?,?,?,?, uuid()::VARCHAR)`,
		k.Project, k.Schema, k.Name, strings.ToLower(version), version, string(in), string(op), comment, sha, now, now)
	return err
}

// releaseArtifacts deletes stored files no version refers to any more.
func releaseArtifacts(ctx context.Context, tx *sql.Tx, hashes ...sql.NullString) error {
	for _, h := range hashes {
		if !h.Valid || h.String == "" {
			continue
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM `+sys+`.main.artifacts WHERE sha256=? AND NOT EXISTS (SELECT 1 FROM `+sys+`.main.versions WHERE artifact=?)`,
			h.String, h.String); err != nil {
			return err
		}
	}
	return nil
}

func (c *Catalog) sealOptions(opts map[string]string) (map[string]string, error) {
	out := make(map[string]string, len(opts))
	for k, v := range opts {
		if k == OptAPIKey && !secrets.IsSealed(v) {
			s, err := c.box.Seal(v)
			if err != nil {
				return nil, err
			}
			v = s
		}
		out[k] = v
	}
	return out, nil
}

func (c *Catalog) tx(ctx context.Context, fn func(*sql.Tx) error) error {
	return engine.InTx(ctx, c.db, fn)
}

// isConflict tells DuckDB's write-write conflicts and key violations, which
// arise when two sessions create the same object at once.
func isConflict(err error) bool {
	s := err.Error()
	return strings.Contains(s, "Conflict") || strings.Contains(s, "Duplicate key") || strings.Contains(s, "constraint")
}

func errPublicReadOnly(op string) error {
	return fmt.Errorf("project %s holds public models, which are read-only: cannot %s models there", PublicProject, op)
}
