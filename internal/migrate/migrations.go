package migrate

// sys prefixes the system catalog's tables.
const sys = Catalog + ".main."

// migrations is the system catalog's layout, oldest first. Append only:
// a released migration is never edited, since directories already carry it.
var migrations = []Migration{
	{
		Version: 1,
		Name:    "initial layout: models, versions, stored model files, users, roles, grants, table owners, AI failures",
		// IF NOT EXISTS: a directory from before format versions holds some
		// of these tables already (unchanged, since this is their layout).
		Statements: []string{
			// Models and their versions (package catalog).
			`CREATE TABLE IF NOT EXISTS ` + sys + `models (
				project VARCHAR NOT NULL, schema_name VARCHAR NOT NULL, name VARCHAR NOT NULL,
				display_name VARCHAR NOT NULL, owner VARCHAR NOT NULL,
				source_type VARCHAR NOT NULL, model_type VARCHAR NOT NULL,
				default_version VARCHAR NOT NULL, comment VARCHAR NOT NULL,
				create_time TIMESTAMP NOT NULL, modify_time TIMESTAMP NOT NULL,
				PRIMARY KEY (project, schema_name, name))`,
			`CREATE TABLE IF NOT EXISTS ` + sys + `versions (
				project VARCHAR NOT NULL, schema_name VARCHAR NOT NULL, model VARCHAR NOT NULL,
				name VARCHAR NOT NULL, display_name VARCHAR NOT NULL,
				inputs VARCHAR NOT NULL, options VARCHAR NOT NULL, comment VARCHAR NOT NULL,
				artifact VARCHAR, create_time TIMESTAMP NOT NULL, modify_time TIMESTAMP NOT NULL,
				PRIMARY KEY (project, schema_name, model, name))`,
			`CREATE TABLE IF NOT EXISTS ` + sys + `artifacts (
				sha256 VARCHAR PRIMARY KEY, size BIGINT NOT NULL, source VARCHAR NOT NULL, data BLOB NOT NULL)`,
			// Users, roles, grants and table owners (package access).
			`CREATE TABLE IF NOT EXISTS ` + sys + `users (
				name VARCHAR PRIMARY KEY, admin BOOLEAN NOT NULL, verifier VARCHAR NOT NULL,
				create_time TIMESTAMP NOT NULL)`,
			`CREATE TABLE IF NOT EXISTS ` + sys + `roles (
				name VARCHAR PRIMARY KEY, create_time TIMESTAMP NOT NULL)`,
			`CREATE TABLE IF NOT EXISTS ` + sys + `role_members (
				role VARCHAR NOT NULL, user_name VARCHAR NOT NULL, PRIMARY KEY (role, user_name))`,
			`CREATE TABLE IF NOT EXISTS ` + sys + `grants (
				principal_kind VARCHAR NOT NULL, principal VARCHAR NOT NULL,
				object_kind VARCHAR NOT NULL, object VARCHAR NOT NULL, privilege VARCHAR NOT NULL,
				grantor VARCHAR NOT NULL, create_time TIMESTAMP NOT NULL,
				PRIMARY KEY (principal_kind, principal, object_kind, object, privilege))`,
			`CREATE TABLE IF NOT EXISTS ` + sys + `table_owners (
				object VARCHAR PRIMARY KEY, owner VARCHAR NOT NULL, create_time TIMESTAMP NOT NULL)`,
			// Rows that failed under on_error = 'null' (package session).
			`CREATE TABLE IF NOT EXISTS ` + sys + `ai_errors (
				query_id VARCHAR, time TIMESTAMP, model VARCHAR, version VARCHAR, function VARCHAR,
				input_hash VARCHAR, error_class VARCHAR, http_status INTEGER, attempts INTEGER, message VARCHAR)`,
		},
	}, {
		Version: 2,
		Name:    "version aliases",
		Statements: []string{
			// Alias name (lower-case key, display spelling) -> version (the
			// lower-case key of versions.name). Package catalog.
			`CREATE TABLE ` + sys + `model_aliases (
				project VARCHAR NOT NULL, schema_name VARCHAR NOT NULL, model VARCHAR NOT NULL,
				name VARCHAR NOT NULL, display_name VARCHAR NOT NULL, version VARCHAR NOT NULL,
				create_time TIMESTAMP NOT NULL, modify_time TIMESTAMP NOT NULL,
				PRIMARY KEY (project, schema_name, model, name))`,
		},
	}, {
		Version: 3,
		Name:    "object tables: location, role and refresh state of each CREATE OBJECT TABLE",
		Statements: []string{
			// Object tables (package objtable); their rows live in a table
			// of the same name in the project's database.
			`CREATE TABLE ` + sys + `object_tables (
				project VARCHAR NOT NULL, schema_name VARCHAR NOT NULL, name VARCHAR NOT NULL,
				location VARCHAR NOT NULL, role VARCHAR NOT NULL, properties VARCHAR NOT NULL,
				comment VARCHAR NOT NULL, owner VARCHAR NOT NULL, create_time TIMESTAMP NOT NULL,
				last_refresh TIMESTAMP, object_count BIGINT NOT NULL DEFAULT 0, total_bytes BIGINT NOT NULL DEFAULT 0,
				PRIMARY KEY (project, schema_name, name))`,
		},
	},
	{
		Version: 4,
		Name:    "AI result cache and budgets: an internal id per model version, the cache's entries and its hit and miss counts, per-user daily AI limits and usage, per-statement AI usage, tokens and latency of failed rows",
		Statements: []string{
			// A version's id tells a re-created version from the dropped one
			// of the same name (the cache keys on it).
			`ALTER TABLE ` + sys + `versions ADD COLUMN id VARCHAR`,
			`UPDATE ` + sys + `versions SET id = uuid()::VARCHAR WHERE id IS NULL`,
			// Answers of AI requests (package aicache): key is the SHA-256 of
			// the version id and the request body.
			`CREATE TABLE ` + sys + `ai_cache (
				key BLOB PRIMARY KEY, version_id VARCHAR NOT NULL,
				model VARCHAR NOT NULL, version VARCHAR NOT NULL, function VARCHAR NOT NULL,
				kind VARCHAR NOT NULL, value BLOB NOT NULL, bytes BIGINT NOT NULL,
				create_time TIMESTAMP NOT NULL, last_used TIMESTAMP NOT NULL)`,
			`CREATE TABLE ` + sys + `ai_cache_stats (
				model VARCHAR NOT NULL, version VARCHAR NOT NULL,
				hits BIGINT NOT NULL, misses BIGINT NOT NULL, PRIMARY KEY (model, version))`,
			// What each statement's AI calls did (package aiusage), and the
			// cost of each failed row.
			`CREATE TABLE ` + sys + `ai_usage (
				query_id VARCHAR NOT NULL, time TIMESTAMP NOT NULL, user_name VARCHAR NOT NULL,
				model VARCHAR NOT NULL, version VARCHAR NOT NULL, function VARCHAR NOT NULL,
				rows BIGINT NOT NULL, requests BIGINT NOT NULL, cache_hits BIGINT NOT NULL,
				input_tokens BIGINT NOT NULL, output_tokens BIGINT NOT NULL,
				retries BIGINT NOT NULL, errors BIGINT NOT NULL, elapsed_ms BIGINT NOT NULL,
				avg_latency_ms DOUBLE)`,
			`ALTER TABLE ` + sys + `ai_errors ADD COLUMN input_tokens INTEGER DEFAULT 0`,
			`ALTER TABLE ` + sys + `ai_errors ADD COLUMN output_tokens INTEGER DEFAULT 0`,
			`ALTER TABLE ` + sys + `ai_errors ADD COLUMN latency_ms BIGINT DEFAULT 0`,
			// Per-user daily AI limits (set by administrators; 0: none) and
			// what each user sent per UTC day (package aibudget).
			`CREATE TABLE ` + sys + `ai_user_limits (
				user_name VARCHAR PRIMARY KEY,
				max_requests_per_day BIGINT NOT NULL DEFAULT 0, max_tokens_per_day BIGINT NOT NULL DEFAULT 0)`,
			`CREATE TABLE ` + sys + `ai_user_usage (
				user_name VARCHAR NOT NULL, day DATE NOT NULL,
				requests BIGINT NOT NULL, tokens BIGINT NOT NULL, PRIMARY KEY (user_name, day))`,
		},
	},
}
