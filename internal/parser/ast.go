package parser

// This file defines the statements the model front end understands. Anything
// else is returned as *Passthrough and goes to DuckDB (after RewriteSQL).

// Statement is one parsed statement.
type Statement interface{ stmt() }

// Pos is a 1-based line and column in the statement text.
type Pos struct{ Line, Col int }

// Name is a possibly qualified object name: up to project.schema.name.
// Parts keep their original spelling (back-quotes removed); comparison is
// case-insensitive and done by the catalog.
type Name struct {
	Parts []string
	Pos   Pos
}

// Column is one INPUT(...) column.
type Column struct {
	Name string
	Type string // normalised upper-case MaxCompute type text, e.g. "BIGINT", "DECIMAL(10,2)", "VARCHAR(20)", "ARRAY<INT>"
	Pos  Pos
}

// Option is one OPTIONS(KEY = 'value') entry.
type Option struct {
	Key   string // upper-cased
	Value string // literal text with quotes removed and escapes resolved
	Pos   Pos
}

// CreateModel is CREATE MODEL [IF NOT EXISTS] name WITH VERSION v [INPUT(...)] [WITH] OPTIONS(...) [COMMENT '...'],
// or, to train the version (modelsql's extension), the same ending in AS SELECT ...
type CreateModel struct {
	IfNotExists bool
	Model       Name
	Version     string
	VersionPos  Pos
	Input       []Column // nil when INPUT is absent
	HasInput    bool
	Options     []Option // in written order, duplicates kept (the catalog rejects them)
	Comment     *string  // nil when absent
	Query       string   // the training query after AS ("" when absent), for DuckDB
	QueryPos    Pos
}

// AddVersion is ALTER MODEL name ADD VERSION v [INPUT(...)] [WITH] OPTIONS(...) [COMMENT '...'] [AS SELECT ...].
type AddVersion struct {
	Model      Name
	Version    string
	VersionPos Pos
	Input      []Column
	HasInput   bool
	Options    []Option
	Comment    *string
	Query      string // the training query after AS ("" when absent)
	QueryPos   Pos
}

// DropVersion is ALTER MODEL name DROP VERSION [IF EXISTS] v.
type DropVersion struct {
	Model    Name
	IfExists bool
	Version  string
}

// SetDefaultVersion is ALTER MODEL name SET DEFAULT_VERSION [=] v.
type SetDefaultVersion struct {
	Model   Name
	Version string
}

// SetAlias is ALTER MODEL name VERSION v SET ALIAS a: alias a names
// version v (v may itself be an alias; it is resolved when the statement runs).
type SetAlias struct {
	Model    Name
	Version  string
	Alias    string
	AliasPos Pos
}

// UnsetAlias is ALTER MODEL name UNSET ALIAS [IF EXISTS] a.
type UnsetAlias struct {
	Model    Name
	IfExists bool
	Alias    string
}

// DropModel is DROP MODEL [IF EXISTS] name.
type DropModel struct {
	IfExists bool
	Model    Name
}

// ShowModels is SHOW MODELS [IN project[.schema]] [LIKE 'pattern'].
type ShowModels struct {
	In   *Name   // nil: current project and schema
	Like *string // nil: no filter; MaxCompute LIKE pattern with % and _
}

// ShowVersions is SHOW VERSIONS {FOR|IN} MODEL name.
type ShowVersions struct{ Model Name }

// DescModel is {DESC|DESCRIBE} MODEL name [VERSION v].
type DescModel struct {
	Model   Name
	Version string // "" for all versions
}

// Set is SET key = value, where key is a dotted name such as
// odps.sql.ai.embedding.dimension or modelsql.ai.on_error. Value is the raw
// text after '=', trimmed, with one level of quotes removed.
//
// Raw and SQL were added so that the session can hand a setting it does not
// know on to DuckDB unchanged.
type Set struct {
	Key   string // lower-cased
	Value string
	Raw   string // the value text exactly as written (trimmed, quotes kept)
	SQL   string // the whole statement as given to Parse
}

// Use is USE project[.schema].
type Use struct{ Target Name }

// Passthrough is any other statement, for DuckDB.
type Passthrough struct{ SQL string }

// --- users and privileges (the server, issue 6) ---

// CreateUser is CREATE USER name PASSWORD 'secret' [ADMIN].
type CreateUser struct {
	Name     string
	Password string
	Admin    bool
}

// DropUser is DROP USER [IF EXISTS] name.
type DropUser struct {
	Name     string
	IfExists bool
}

// AlterUser is ALTER USER name PASSWORD 'secret'.
type AlterUser struct {
	Name     string
	Password string
}

// CreateRole is CREATE ROLE name.
type CreateRole struct{ Name string }

// DropRole is DROP ROLE [IF EXISTS] name.
type DropRole struct {
	Name     string
	IfExists bool
}

// Grant is GRANT priv[, priv...] ON {PROJECT|TABLE|MODEL} name TO {USER|ROLE} principal.
// Revoke has the same shape with FROM.
type Grant struct {
	Privileges    []string // as written, e.g. "CreateModel", "Select", "All"
	ObjectKind    string   // "PROJECT", "TABLE", "MODEL"
	Object        Name
	PrincipalKind string // "USER" or "ROLE"
	Principal     string
}

// Revoke is REVOKE priv[, ...] ON kind name FROM {USER|ROLE} principal.
type Revoke Grant

// GrantRole is GRANT ROLE r TO USER u; RevokeRole is REVOKE ROLE r FROM USER u.
type GrantRole struct{ Role, User string }

// RevokeRole is REVOKE ROLE r FROM USER u.
type RevokeRole GrantRole

// ShowGrants is SHOW GRANTS [FOR USER u].
type ShowGrants struct{ User string }

// ClearAICache is CLEAR AI CACHE [FOR MODEL m [VERSION v]]: it removes
// stored answers of AI requests (all, a model's, or one version's).
type ClearAICache struct {
	Model   Name // no parts: every model
	Version string
}

// ExplainCost is EXPLAIN COST statement: what the statement's AI calls
// would send, computed without sending anything.
type ExplainCost struct {
	SQL string // the statement, as written
}

func (*ClearAICache) stmt()      {}
func (*ExplainCost) stmt()       {}
func (*CreateModel) stmt()       {}
func (*AddVersion) stmt()        {}
func (*DropVersion) stmt()       {}
func (*SetDefaultVersion) stmt() {}
func (*SetAlias) stmt()          {}
func (*UnsetAlias) stmt()        {}
func (*DropModel) stmt()         {}
func (*ShowModels) stmt()        {}
func (*ShowVersions) stmt()      {}
func (*DescModel) stmt()         {}
func (*Set) stmt()               {}
func (*Use) stmt()               {}
func (*Passthrough) stmt()       {}
func (*CreateUser) stmt()        {}
func (*DropUser) stmt()          {}
func (*AlterUser) stmt()         {}
func (*CreateRole) stmt()        {}
func (*DropRole) stmt()          {}
func (*Grant) stmt()             {}
func (*Revoke) stmt()            {}
func (*GrantRole) stmt()         {}
func (*RevokeRole) stmt()        {}
func (*ShowGrants) stmt()        {}
