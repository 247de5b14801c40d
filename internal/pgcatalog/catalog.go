// Package pgcatalog is the PostgreSQL catalog that modelsql's server shows
// to clients: the pg_catalog relations, functions, operators and casts that
// psql's meta-commands, pgjdbc's DatabaseMetaData, psycopg2, SQLAlchemy's
// PostgreSQL dialect and pandas query to browse and reflect a database.
//
// Design: every session gets a set of temporary views and macros (the
// "compatibility schema", all named pgc_*), built over DuckDB's own catalog
// functions (duckdb_tables(), duckdb_columns(), ...) and restricted to the
// session's project and to the objects listed in the session's temporary
// table pgc_visible, which the server refills from the privilege snapshot
// before every catalog statement. Client statements that mention the
// catalog are rewritten (Rewrite) to use them: pg_catalog.pg_class becomes
// pgc_pg_class, OPERATOR(pg_catalog.~) becomes ~ with PostgreSQL's partial
// match, 'x'::regclass becomes a lookup, and so on. Everything a client may
// see is therefore filtered in one place, and the tables below say what is
// emulated.
package pgcatalog

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// ServerVersion is the PostgreSQL version the catalog emulates.
const ServerVersion = "15.0"

// types lists the PostgreSQL types the catalog knows: OID, name, the name
// format_type prints, length, category, array type OID, and the DuckDB
// base type names that map to it (as internal/pgserver sends them).
var types = []struct {
	oid, array  int
	name, sqlnm string
	len         int
	cat         string
	duck        []string
}{
	{16, 1000, "bool", "boolean", 1, "B", []string{"BOOLEAN"}},
	{17, 1001, "bytea", "bytea", -1, "U", []string{"BLOB"}},
	{20, 1016, "int8", "bigint", 8, "N", []string{"BIGINT", "UINTEGER"}},
	{21, 1005, "int2", "smallint", 2, "N", []string{"SMALLINT", "TINYINT", "UTINYINT"}},
	{23, 1007, "int4", "integer", 4, "N", []string{"INTEGER", "USMALLINT"}},
	{25, 1009, "text", "text", -1, "S", []string{"ENUM", "BIT"}},
	{26, 1028, "oid", "oid", 4, "N", nil},
	{114, 199, "json", "json", -1, "U", []string{"JSON", "STRUCT", "LIST", "MAP", "UNION", "ARRAY"}},
	{700, 1021, "float4", "real", 4, "N", []string{"FLOAT"}},
	{701, 1022, "float8", "double precision", 8, "N", []string{"DOUBLE"}},
	{1043, 1015, "varchar", "character varying", -1, "S", []string{"VARCHAR"}},
	{1082, 1182, "date", "date", 4, "D", []string{"DATE"}},
	{1083, 1183, "time", "time without time zone", 8, "D", []string{"TIME"}},
	{1114, 1115, "timestamp", "timestamp without time zone", 8, "D", []string{"TIMESTAMP", "TIMESTAMP_S", "TIMESTAMP_MS", "TIMESTAMP_NS"}},
	{1184, 1185, "timestamptz", "timestamp with time zone", 8, "D", []string{"TIMESTAMP WITH TIME ZONE"}},
	{1266, 1270, "timetz", "time with time zone", 12, "D", []string{"TIME WITH TIME ZONE"}},
	{1186, 1187, "interval", "interval", 16, "T", []string{"INTERVAL"}},
	{1700, 1231, "numeric", "numeric", -1, "N", []string{"DECIMAL", "HUGEINT", "UHUGEINT", "UBIGINT", "BIGNUM", "VARINT"}},
	{2950, 2951, "uuid", "uuid", 16, "U", []string{"UUID"}},
}

// Fixed OIDs of objects that are not in DuckDB's catalog.
const (
	oidPgCatalog   = 11
	oidInfoSchema  = 13
	oidWarehouse   = 10 // the role that owns objects created without an owner
	oidPgClass     = 1259
	oidDatabase    = 1
	constraintBase = 1_000_000_000 // synthetic OIDs of constraints and their indexes
)

// relations maps each emulated pg_catalog relation to its definition. All
// of them are restricted to the session's project and to pgc_visible.
var relations = map[string]string{
	"pg_namespace": `
SELECT oid::BIGINT AS oid, schema_name AS nspname, ` + fmt.Sprint(oidWarehouse) + `::BIGINT AS nspowner, NULL::VARCHAR[] AS nspacl
FROM pgc_snap_schemas WHERE database_name = current_database() AND NOT internal
UNION ALL SELECT ` + fmt.Sprint(oidPgCatalog) + `, 'pg_catalog', ` + fmt.Sprint(oidWarehouse) + `, NULL
UNION ALL SELECT ` + fmt.Sprint(oidInfoSchema) + `, 'information_schema', ` + fmt.Sprint(oidWarehouse) + `, NULL`,

	"pg_class": `
WITH rel AS (
  SELECT t.table_oid::BIGINT AS oid, t.table_name AS relname, s.oid::BIGINT AS relnamespace, 'r' AS relkind,
         t.column_count::INTEGER AS relnatts, (t.index_count > 0 OR t.has_primary_key) AS relhasindex,
         t.estimated_size::DOUBLE AS reltuples, v.owner_oid, t.schema_name AS nsp, t.comment
  FROM pgc_snap_tables t JOIN pgc_snap_schemas s ON s.database_name = t.database_name AND s.schema_name = t.schema_name
  JOIN pgc_visible v ON v.schema_name = t.schema_name AND v.name = t.table_name
  WHERE t.database_name = current_database()
  UNION ALL
  SELECT w.view_oid, w.view_name, s.oid, 'v', (SELECT count(*) FROM pgc_snap_columns c WHERE c.table_oid = w.view_oid)::INTEGER,
         false, 0, v.owner_oid, w.schema_name, w.comment
  FROM pgc_snap_views w JOIN pgc_snap_schemas s ON s.database_name = w.database_name AND s.schema_name = w.schema_name
  JOIN pgc_visible v ON v.schema_name = w.schema_name AND v.name = w.view_name
  WHERE w.database_name = current_database() AND NOT w.internal
  UNION ALL
  SELECT i.index_oid, i.index_name, s.oid, 'i', 0, false, 0, v.owner_oid, i.schema_name, i.comment
  FROM pgc_snap_indexes i JOIN pgc_snap_schemas s ON s.database_name = i.database_name AND s.schema_name = i.schema_name
  JOIN pgc_visible v ON v.schema_name = i.schema_name AND v.name = i.table_name
  WHERE i.database_name = current_database()
  UNION ALL
  SELECT ix.indexrelid, ix.idxname, ix.nspoid, 'i', 0, false, 0, ix.owner_oid, ix.nsp, NULL
  FROM pgc_constraint_index ix WHERE ix.idxname IS NOT NULL
)
SELECT oid, relname, relnamespace, 0::BIGINT AS reltype, 0::BIGINT AS reloftype, coalesce(owner_oid, ` + fmt.Sprint(oidWarehouse) + `)::BIGINT AS relowner,
  CASE WHEN relkind IN ('r', 'i') THEN 2 ELSE 0 END::BIGINT AS relam, oid AS relfilenode, 0::BIGINT AS reltablespace,
  0 AS relpages, reltuples, 0 AS relallvisible, 0::BIGINT AS reltoastrelid, relhasindex, false AS relisshared,
  'p' AS relpersistence, relkind, relnatts::SMALLINT AS relnatts, 0::SMALLINT AS relchecks, false AS relhasrules,
  false AS relhastriggers, false AS relhassubclass, false AS relrowsecurity, false AS relforcerowsecurity,
  true AS relispopulated, 'd' AS relreplident, false AS relispartition, 0::BIGINT AS relrewrite,
  0 AS relfrozenxid, 0 AS relminmxid, NULL::VARCHAR[] AS relacl, NULL::VARCHAR[] AS reloptions,
  NULL::VARCHAR AS relpartbound, nsp AS pgc_nspname, comment AS pgc_comment
FROM rel`,

	"pg_attribute": `
SELECT c.table_oid::BIGINT AS attrelid, c.column_name AS attname, pgc_typeoid(c.data_type) AS atttypid,
  0 AS attstattarget, pgc_typlen(pgc_typeoid(c.data_type))::SMALLINT AS attlen, (c.column_index)::SMALLINT AS attnum,
  0 AS attndims, -1 AS attcacheoff, pgc_typmod(c.data_type) AS atttypmod, true AS attbyval, 'p' AS attstorage,
  'i' AS attalign, NOT c.is_nullable AS attnotnull, d.def IS NOT NULL AS atthasdef, false AS atthasmissing,
  '' AS attidentity, '' AS attgenerated, false AS attisdropped, true AS attislocal, 0 AS attinhcount,
  0::BIGINT AS attcollation, NULL::VARCHAR[] AS attacl, NULL::VARCHAR[] AS attoptions, NULL::VARCHAR[] AS attfdwoptions,
  c.comment AS pgc_comment, d.def AS pgc_default
FROM pgc_snap_columns c JOIN pgc_visible v ON v.schema_name = c.schema_name AND v.name = c.table_name
LEFT JOIN pgc_defaults d ON d.table_oid = c.table_oid AND d.column_name = c.column_name
WHERE c.database_name = current_database()`,

	"pg_attrdef": `
SELECT (attrelid * 10000 + attnum)::BIGINT AS oid, attrelid AS adrelid, attnum AS adnum, pgc_default AS adbin
FROM pgc_pg_attribute WHERE atthasdef`,

	"pg_type": `
SELECT oid::BIGINT AS oid, typname, ` + fmt.Sprint(oidPgCatalog) + `::BIGINT AS typnamespace, ` + fmt.Sprint(oidWarehouse) + `::BIGINT AS typowner,
  typlen::SMALLINT AS typlen, typlen > 0 AS typbyval, typtype, typcategory, false AS typispreferred, true AS typisdefined,
  ',' AS typdelim, 0::BIGINT AS typrelid, typelem::BIGINT AS typelem, typarray::BIGINT AS typarray,
  typinput, typname || 'out' AS typoutput, 'i' AS typalign, 'p' AS typstorage, false AS typnotnull,
  0::BIGINT AS typbasetype, -1 AS typtypmod, 0 AS typndims, 0::BIGINT AS typcollation, NULL::VARCHAR AS typdefault,
  NULL::VARCHAR[] AS typacl, sqlname AS pgc_sqlname
FROM pgc_types`,

	"pg_index": `
SELECT i.index_oid::BIGINT AS indexrelid, i.table_oid::BIGINT AS indrelid, len(k.keys)::SMALLINT AS indnatts,
  len(k.keys)::SMALLINT AS indnkeyatts, i.is_unique AS indisunique, false AS indnullsnotdistinct,
  i.is_primary AS indisprimary, false AS indisexclusion, true AS indimmediate, false AS indisclustered,
  true AS indisvalid, false AS indcheckxmin, true AS indisready, true AS indislive, false AS indisreplident,
  k.keys AS indkey, []::BIGINT[] AS indcollation, []::BIGINT[] AS indclass, []::SMALLINT[] AS indoption,
  NULL::VARCHAR AS indexprs, NULL::VARCHAR AS indpred, i.schema_name || '.' || i.table_name AS pgc_table,
  array_to_string(ik.cols, ', ') AS pgc_cols
FROM pgc_snap_indexes i JOIN pgc_visible v ON v.schema_name = i.schema_name AND v.name = i.table_name
JOIN pgc_index_keys ik ON ik.index_oid = i.index_oid,
LATERAL (SELECT coalesce(list(c.column_index::SMALLINT ORDER BY c.column_index), []::SMALLINT[]) AS keys
         FROM pgc_snap_columns c WHERE c.table_oid = i.table_oid AND list_contains(ik.cols, c.column_name)) k
WHERE i.database_name = current_database()
UNION ALL
SELECT indexrelid, conrelid, len(cols)::SMALLINT, len(cols)::SMALLINT, true, false, contype = 'p', false, true, false,
  true, false, true, true, false, list_transform(cols, x -> (x + 1)::SMALLINT), []::BIGINT[], []::BIGINT[], []::SMALLINT[],
  NULL, NULL, nsp || '.' || relname, array_to_string(colnames, ', ')
FROM pgc_constraint_index WHERE idxname IS NOT NULL`,

	"pg_constraint": `
SELECT oid, conname, nspoid AS connamespace, contype, false AS condeferrable, false AS condeferred, true AS convalidated,
  conrelid, 0::BIGINT AS contypid, coalesce(indexrelid, 0)::BIGINT AS conindid, 0::BIGINT AS conparentid,
  confrelid, 'a' AS confupdtype, 'a' AS confdeltype, 's' AS confmatchtype, true AS conislocal, 0 AS coninhcount,
  true AS connoinherit, list_transform(cols, x -> (x + 1)::SMALLINT) AS conkey, confkey,
  NULL::BIGINT[] AS conpfeqop, NULL::BIGINT[] AS conppeqop, NULL::BIGINT[] AS conffeqop, NULL::BIGINT[] AS conexclop,
  expr AS conbin, condef AS pgc_def
FROM pgc_constraint_index`,

	"pg_proc": `
SELECT f.function_oid::BIGINT AS oid, f.function_name AS proname, s.oid::BIGINT AS pronamespace,
  ` + fmt.Sprint(oidWarehouse) + `::BIGINT AS proowner, 0::BIGINT AS prolang, 0 AS procost, 0 AS prorows,
  0::BIGINT AS provariadic, 0::BIGINT AS prosupport,
  CASE f.function_type WHEN 'aggregate' THEN 'a' ELSE 'f' END AS prokind, false AS prosecdef, false AS proleakproof,
  false AS proisstrict, f.function_type = 'table_macro' AS proretset, 'i' AS provolatile, 's' AS proparallel,
  len(f.parameters)::SMALLINT AS pronargs, 0::SMALLINT AS pronargdefaults, 0::BIGINT AS prorettype,
  []::BIGINT[] AS proargtypes, NULL::BIGINT[] AS proallargtypes, NULL::VARCHAR[] AS proargmodes,
  f.parameters AS proargnames, NULL AS proargdefaults, NULL::BIGINT[] AS protrftypes, f.macro_definition AS prosrc,
  NULL AS probin, NULL AS prosqlbody, NULL::VARCHAR[] AS proconfig, NULL::VARCHAR[] AS proacl,
  CASE WHEN f.function_type = 'table_macro' THEN 'TABLE' ELSE coalesce(f.return_type, 'unknown') END AS pgc_result,
  array_to_string(f.parameters, ', ') AS pgc_args
FROM pgc_snap_functions f JOIN pgc_snap_schemas s ON s.database_name = f.database_name AND s.schema_name = f.schema_name
WHERE f.database_name = current_database() AND NOT f.internal AND pgc_is_admin()`,

	"pg_roles": `
SELECT rolname, rolsuper, true AS rolinherit, rolsuper AS rolcreaterole, rolsuper AS rolcreatedb,
  oid <> ` + fmt.Sprint(oidWarehouse) + ` AS rolcanlogin, rolsuper AS rolreplication, -1 AS rolconnlimit, '********' AS rolpassword,
  NULL::TIMESTAMPTZ AS rolvaliduntil, rolsuper AS rolbypassrls, NULL::VARCHAR[] AS rolconfig, oid
FROM pgc_users`,

	"pg_authid": `SELECT oid, rolname, rolsuper, true AS rolinherit, rolsuper AS rolcreaterole, rolsuper AS rolcreatedb, true AS rolcanlogin FROM pgc_users`,

	"pg_user": `SELECT rolname AS usename, oid AS usesysid, rolsuper AS usecreatedb, rolsuper AS usesuper, false AS userepl, false AS usebypassrls, '********' AS passwd, NULL::TIMESTAMPTZ AS valuntil, NULL::VARCHAR[] AS useconfig FROM pgc_users`,

	"pg_auth_members": `SELECT roleid, member, ` + fmt.Sprint(oidWarehouse) + `::BIGINT AS grantor, false AS admin_option FROM pgc_members`,

	"pg_database": `
SELECT ` + fmt.Sprint(oidDatabase) + ` + row_number() OVER (ORDER BY name) AS oid, name AS datname, ` + fmt.Sprint(oidWarehouse) + `::BIGINT AS datdba,
  6 AS encoding, 'c' AS datlocprovider, false AS datistemplate, true AS datallowconn, -1 AS datconnlimit,
  0 AS datfrozenxid, 0 AS datminmxid, 0::BIGINT AS dattablespace, 'C.UTF-8' AS datcollate, 'C.UTF-8' AS datctype,
  NULL::VARCHAR AS daticulocale, NULL::VARCHAR AS datcollversion, NULL::VARCHAR[] AS datacl
FROM pgc_projects`,

	"pg_settings": `
SELECT name, setting, NULL::VARCHAR AS unit, 'Ungrouped' AS category, '' AS short_desc, '' AS extra_desc,
  'user' AS context, 'string' AS vartype, 'session' AS source, NULL::VARCHAR AS min_val, NULL::VARCHAR AS max_val,
  NULL::VARCHAR[] AS enumvals, setting AS boot_val, setting AS reset_val, NULL::VARCHAR AS sourcefile,
  NULL::INTEGER AS sourceline, false AS pending_restart
FROM pgc_settings`,

	"pg_am": `SELECT * FROM (VALUES (2::BIGINT, 'btree', 'i'), (3::BIGINT, 'heap', 't')) t(oid, amname, amtype)`,

	"pg_description": `
SELECT oid AS objoid, ` + fmt.Sprint(oidPgClass) + `::BIGINT AS classoid, 0 AS objsubid, pgc_comment AS description FROM pgc_pg_class WHERE pgc_comment IS NOT NULL
UNION ALL SELECT attrelid, ` + fmt.Sprint(oidPgClass) + `, attnum, pgc_comment FROM pgc_pg_attribute WHERE pgc_comment IS NOT NULL`,

	"pg_tables": `SELECT pgc_nspname AS schemaname, relname AS tablename, pg_get_userbyid(relowner) AS tableowner, NULL::VARCHAR AS tablespace, relhasindex AS hasindexes, false AS hasrules, false AS hastriggers, false AS rowsecurity FROM pgc_pg_class WHERE relkind = 'r'`,
	"pg_views":  `SELECT c.pgc_nspname AS schemaname, c.relname AS viewname, pg_get_userbyid(c.relowner) AS viewowner, pgc_viewdef(c.oid) AS definition FROM pgc_pg_class c WHERE c.relkind = 'v'`,
	"pg_indexes": `SELECT split_part(i.pgc_table, '.', 1) AS schemaname, split_part(i.pgc_table, '.', 2) AS tablename, c.relname AS indexname, NULL::VARCHAR AS tablespace, pg_get_indexdef(i.indexrelid) AS indexdef
FROM pgc_pg_index i JOIN pgc_pg_class c ON c.oid = i.indexrelid`,

	"pg_sequence":              `SELECT NULL::BIGINT AS seqrelid, NULL::BIGINT AS seqtypid, NULL::BIGINT AS seqstart, NULL::BIGINT AS seqincrement, NULL::BIGINT AS seqmax, NULL::BIGINT AS seqmin, NULL::BIGINT AS seqcache, NULL::BOOLEAN AS seqcycle WHERE false`,
	"pg_collation":             `SELECT 100::BIGINT AS oid, 'default' AS collname, ` + fmt.Sprint(oidPgCatalog) + `::BIGINT AS collnamespace, 'd' AS collprovider, true AS collisdeterministic, -1 AS collencoding, NULL::VARCHAR AS collcollate, NULL::VARCHAR AS collctype`,
	"pg_enum":                  `SELECT NULL::BIGINT AS oid, NULL::BIGINT AS enumtypid, NULL::REAL AS enumsortorder, NULL::VARCHAR AS enumlabel WHERE false`,
	"pg_inherits":              `SELECT NULL::BIGINT AS inhrelid, NULL::BIGINT AS inhparent, NULL::INTEGER AS inhseqno, NULL::BOOLEAN AS inhdetachpending WHERE false`,
	"pg_policy":                `SELECT NULL::BIGINT AS oid, NULL::VARCHAR AS polname, NULL::BIGINT AS polrelid, NULL::VARCHAR AS polcmd, NULL::BOOLEAN AS polpermissive, NULL::BIGINT[] AS polroles, NULL::VARCHAR AS polqual, NULL::VARCHAR AS polwithcheck WHERE false`,
	"pg_trigger":               `SELECT NULL::BIGINT AS oid, NULL::BIGINT AS tgrelid, NULL::VARCHAR AS tgname, NULL::BIGINT AS tgfoid, NULL::INTEGER AS tgtype, NULL::VARCHAR AS tgenabled, NULL::BOOLEAN AS tgisinternal, NULL::BIGINT AS tgconstraint, NULL::BIGINT AS tgparentid WHERE false`,
	"pg_rewrite":               `SELECT NULL::BIGINT AS oid, NULL::VARCHAR AS rulename, NULL::BIGINT AS ev_class, NULL::VARCHAR AS ev_type, NULL::VARCHAR AS ev_enabled, NULL::BOOLEAN AS is_instead WHERE false`,
	"pg_depend":                `SELECT NULL::BIGINT AS classid, NULL::BIGINT AS objid, NULL::INTEGER AS objsubid, NULL::BIGINT AS refclassid, NULL::BIGINT AS refobjid, NULL::INTEGER AS refobjsubid, NULL::VARCHAR AS deptype WHERE false`,
	"pg_statistic_ext":         `SELECT NULL::BIGINT AS oid, NULL::BIGINT AS stxrelid, NULL::VARCHAR AS stxname, NULL::BIGINT AS stxnamespace, NULL::BIGINT AS stxowner, NULL::INTEGER AS stxstattarget, NULL::SMALLINT[] AS stxkeys, NULL::VARCHAR[] AS stxkind WHERE false`,
	"pg_publication":           `SELECT NULL::BIGINT AS oid, NULL::VARCHAR AS pubname, NULL::BIGINT AS pubowner, NULL::BOOLEAN AS puballtables, NULL::BOOLEAN AS pubinsert, NULL::BOOLEAN AS pubupdate, NULL::BOOLEAN AS pubdelete, NULL::BOOLEAN AS pubtruncate, NULL::BOOLEAN AS pubviaroot WHERE false`,
	"pg_publication_namespace": `SELECT NULL::BIGINT AS oid, NULL::BIGINT AS pnpubid, NULL::BIGINT AS pnnspid WHERE false`,
	"pg_publication_rel":       `SELECT NULL::BIGINT AS oid, NULL::BIGINT AS prpubid, NULL::BIGINT AS prrelid, NULL::VARCHAR AS prqual, NULL::SMALLINT[] AS prattrs WHERE false`,
	"pg_foreign_table":         `SELECT NULL::BIGINT AS ftrelid, NULL::BIGINT AS ftserver, NULL::VARCHAR[] AS ftoptions WHERE false`,
	"pg_partitioned_table":     `SELECT NULL::BIGINT AS partrelid, NULL::VARCHAR AS partstrat, NULL::SMALLINT AS partnatts WHERE false`,
	"pg_tablespace":            `SELECT 1663::BIGINT AS oid, 'pg_default' AS spcname, ` + fmt.Sprint(oidWarehouse) + `::BIGINT AS spcowner, NULL::VARCHAR[] AS spcacl, NULL::VARCHAR[] AS spcoptions`,
	"pg_extension":             `SELECT NULL::BIGINT AS oid, NULL::VARCHAR AS extname, NULL::BIGINT AS extowner, NULL::BIGINT AS extnamespace, NULL::VARCHAR AS extversion WHERE false`,
	"pg_event_trigger":         `SELECT NULL::BIGINT AS oid, NULL::VARCHAR AS evtname WHERE false`,
	"pg_operator":              `SELECT NULL::BIGINT AS oid, NULL::VARCHAR AS oprname, NULL::BIGINT AS oprnamespace, NULL::BIGINT AS oprleft, NULL::BIGINT AS oprright, NULL::BIGINT AS oprresult, NULL::BIGINT AS oprcode WHERE false`,
	"pg_language":              `SELECT 14::BIGINT AS oid, 'sql' AS lanname`,
	"pg_cast":                  `SELECT NULL::BIGINT AS oid, NULL::BIGINT AS castsource, NULL::BIGINT AS casttarget, NULL::BIGINT AS castfunc, NULL::VARCHAR AS castcontext WHERE false`,
	"pg_stat_activity":         `SELECT ` + fmt.Sprint(oidDatabase) + `::BIGINT AS datid, current_database() AS datname, pgc_backend_pid() AS pid, pgc_current_user() AS usename, pgc_setting('application_name') AS application_name, 'active' AS state, NULL::VARCHAR AS query`,
}

// infoSchema maps information_schema relations to filtered definitions
// (DuckDB's own would show every object of every project).
var infoSchema = map[string]string{
	"tables": `
SELECT current_database() AS table_catalog, schema_name AS table_schema, name AS table_name,
  CASE kind WHEN 'v' THEN 'VIEW' ELSE 'BASE TABLE' END AS table_type, NULL::VARCHAR AS self_referencing_column_name,
  NULL::VARCHAR AS reference_generation, NULL::VARCHAR AS user_defined_type_catalog, NULL::VARCHAR AS user_defined_type_schema,
  NULL::VARCHAR AS user_defined_type_name, 'YES' AS is_insertable_into, 'NO' AS is_typed, NULL::VARCHAR AS commit_action,
  NULL::VARCHAR AS TABLE_COMMENT
FROM pgc_visible`,
	"views": `
SELECT current_database() AS table_catalog, c.pgc_nspname AS table_schema, c.relname AS table_name, pgc_viewdef(c.oid) AS view_definition,
  'NONE' AS check_option, 'NO' AS is_updatable, 'NO' AS is_insertable_into
FROM pgc_pg_class c WHERE c.relkind = 'v'`,
	"columns": `
SELECT current_database() AS table_catalog, c.schema_name AS table_schema, c.table_name, c.column_name,
  c.column_index AS ordinal_position, d.def AS column_default, CASE WHEN c.is_nullable THEN 'YES' ELSE 'NO' END AS is_nullable,
  c.data_type, c.character_maximum_length, NULL::INTEGER AS character_octet_length, c.numeric_precision,
  c.numeric_precision_radix, c.numeric_scale, NULL::INTEGER AS datetime_precision, NULL::VARCHAR AS interval_type,
  NULL::INTEGER AS interval_precision, NULL::VARCHAR AS character_set_catalog, NULL::VARCHAR AS character_set_schema,
  NULL::VARCHAR AS character_set_name, NULL::VARCHAR AS collation_catalog, NULL::VARCHAR AS collation_schema,
  NULL::VARCHAR AS collation_name, NULL::VARCHAR AS domain_catalog, NULL::VARCHAR AS domain_schema, NULL::VARCHAR AS domain_name,
  NULL::VARCHAR AS udt_catalog, NULL::VARCHAR AS udt_schema, t.typname AS udt_name, 'NO' AS is_identity,
  'NEVER' AS is_generated, 'YES' AS is_updatable, c.comment AS COLUMN_COMMENT
FROM pgc_snap_columns c JOIN pgc_visible v ON v.schema_name = c.schema_name AND v.name = c.table_name
LEFT JOIN pgc_defaults d ON d.table_oid = c.table_oid AND d.column_name = c.column_name
LEFT JOIN pgc_types t ON t.oid = pgc_typeoid(c.data_type)
WHERE c.database_name = current_database()`,
	"schemata": `
SELECT current_database() AS catalog_name, nspname AS schema_name, 'modelsql' AS schema_owner,
  NULL::VARCHAR AS default_character_set_catalog, NULL::VARCHAR AS default_character_set_schema,
  NULL::VARCHAR AS default_character_set_name, NULL::VARCHAR AS sql_path
FROM pgc_pg_namespace`,
	"table_constraints": `
SELECT current_database() AS constraint_catalog, nsp AS constraint_schema, conname AS constraint_name,
  current_database() AS table_catalog, nsp AS table_schema, relname AS table_name,
  CASE contype WHEN 'p' THEN 'PRIMARY KEY' WHEN 'u' THEN 'UNIQUE' WHEN 'f' THEN 'FOREIGN KEY' ELSE 'CHECK' END AS constraint_type,
  'NO' AS is_deferrable, 'NO' AS initially_deferred, 'YES' AS enforced, NULL::VARCHAR AS nulls_distinct
FROM pgc_constraint_index`,
	"key_column_usage": `
SELECT current_database() AS constraint_catalog, nsp AS constraint_schema, conname AS constraint_name,
  current_database() AS table_catalog, nsp AS table_schema, relname AS table_name, unnest(colnames) AS column_name,
  generate_subscripts(colnames, 1) AS ordinal_position, NULL::INTEGER AS position_in_unique_constraint
FROM pgc_constraint_index WHERE contype IN ('p', 'u', 'f')`,
	"models":         `SELECT * FROM pgc_models`,
	"model_versions": `SELECT * FROM pgc_model_versions`,
}

// snapshots copy what the views need from DuckDB's metadata functions,
// for the current project and the objects in pgc_visible only, leaving out
// definition texts (view SQL, DEFAULTs, index and CHECK expressions), which
// the guard refuses to show from those functions. They are refilled by
// Refresh, on the server's connection, before every catalog statement.
var snapshots = []struct{ name, query string }{
	{"schemas", `SELECT oid, database_name, schema_name, internal FROM duckdb_schemas() WHERE database_name = current_database()`},
	{"tables", `SELECT t.table_oid, t.table_name, t.schema_name, t.database_name, t.column_count, t.index_count, t.has_primary_key, t.estimated_size, t.comment
	  FROM duckdb_tables() t JOIN pgc_visible v ON v.schema_name = t.schema_name AND v.name = t.table_name WHERE t.database_name = current_database()`},
	{"views", `SELECT w.view_oid, w.view_name, w.schema_name, w.database_name, w.internal, w.comment
	  FROM duckdb_views() w JOIN pgc_visible v ON v.schema_name = w.schema_name AND v.name = w.view_name WHERE w.database_name = current_database()`},
	{"columns", `SELECT c.table_oid, c.table_name, c.schema_name, c.database_name, c.column_name, c.data_type, c.column_index, c.is_nullable, c.comment,
	    c.character_maximum_length, c.numeric_precision, c.numeric_precision_radix, c.numeric_scale
	  FROM duckdb_columns() c JOIN pgc_visible v ON v.schema_name = c.schema_name AND v.name = c.table_name WHERE c.database_name = current_database()`},
	{"indexes", `SELECT i.index_oid, i.index_name, i.schema_name, i.table_name, i.table_oid, i.database_name, i.is_unique, i.is_primary, i.comment
	  FROM duckdb_indexes() i JOIN pgc_visible v ON v.schema_name = i.schema_name AND v.name = i.table_name WHERE i.database_name = current_database()`},
	{"functions", `SELECT f.function_oid, f.function_name, f.schema_name, f.database_name, f.function_type, f.internal, f.parameters, f.return_type, f.macro_definition
	  FROM duckdb_functions() f WHERE f.database_name = current_database() AND NOT f.internal AND pgc_is_admin()`},
	{"constraints", `SELECT k.database_name, k.schema_name, k.table_name, k.table_oid, k.constraint_index, k.constraint_type, k.constraint_column_indexes,
	    k.constraint_column_names, k.constraint_name, k.referenced_table, k.referenced_column_names
	  FROM duckdb_constraints() k JOIN pgc_visible v ON v.schema_name = k.schema_name AND v.name = k.table_name
	  WHERE k.database_name = current_database() AND k.constraint_type IN ('PRIMARY KEY', 'UNIQUE', 'FOREIGN KEY')`},
}

// setup creates the compatibility schema's tables, views and macros on a
// session's connection; it runs once per session.
func setup() []string {
	var typeRows []string
	var typeMap []string
	for _, t := range types {
		typeRows = append(typeRows, fmt.Sprintf("(%d, '%s', '%s', %d, '%s', 'b', 0, %d, '%sin')", t.oid, t.name, t.sqlnm, t.len, t.cat, t.array, t.name))
		typeRows = append(typeRows, fmt.Sprintf("(%d, '_%s', '%s[]', -1, 'A', 'b', %d, 0, 'array_in')", t.array, t.name, t.sqlnm, t.oid))
		for _, d := range t.duck {
			typeMap = append(typeMap, fmt.Sprintf("('%s', %d)", d, t.oid))
		}
	}
	stmts := []string{
		`CREATE OR REPLACE TEMP TABLE pgc_visible(schema_name VARCHAR, name VARCHAR, kind VARCHAR, owner_oid BIGINT, readable BOOLEAN)`,
		`CREATE OR REPLACE TEMP TABLE pgc_users(oid BIGINT, rolname VARCHAR, rolsuper BOOLEAN)`,
		// Definition texts (DEFAULTs, index columns, view SQL), copied by
		// Refresh for what the user may read: the guard refuses plans that
		// read them from DuckDB's metadata functions.
		`CREATE OR REPLACE TEMP TABLE pgc_defaults(table_oid BIGINT, column_name VARCHAR, def VARCHAR)`,
		`CREATE OR REPLACE TEMP TABLE pgc_index_keys(index_oid BIGINT, cols VARCHAR[])`,
		`CREATE OR REPLACE TEMP TABLE pgc_viewdefs(view_oid BIGINT, def VARCHAR)`,
		`CREATE OR REPLACE TEMP TABLE pgc_members(roleid BIGINT, member BIGINT)`,
		`CREATE OR REPLACE TEMP TABLE pgc_projects(name VARCHAR)`,
		`CREATE OR REPLACE TEMP TABLE pgc_settings(name VARCHAR, setting VARCHAR)`,
		`CREATE OR REPLACE TEMP TABLE pgc_session(user_name VARCHAR, user_oid BIGINT, is_admin BOOLEAN, pid BIGINT)`,
		`CREATE OR REPLACE TEMP TABLE pgc_models(model_catalog VARCHAR, model_schema VARCHAR, model_name VARCHAR, model_type VARCHAR, default_version VARCHAR, owner VARCHAR, created VARCHAR, comment VARCHAR)`,
		`CREATE OR REPLACE TEMP TABLE pgc_model_versions(model_catalog VARCHAR, model_schema VARCHAR, model_name VARCHAR, version_name VARCHAR, is_default BOOLEAN, source VARCHAR, created VARCHAR)`,
		`CREATE OR REPLACE TEMP TABLE pgc_types AS SELECT * FROM (VALUES ` + strings.Join(typeRows, ", ") + `) t(oid, typname, sqlname, typlen, typcategory, typtype, typelem, typarray, typinput)`,
		`CREATE OR REPLACE TEMP TABLE pgc_typemap AS SELECT * FROM (VALUES ` + strings.Join(typeMap, ", ") + `) t(duck, oid)`,
	}
	stmts = append(stmts, macros...)
	for _, sn := range snapshots {
		stmts = append(stmts, "CREATE OR REPLACE TEMP TABLE pgc_snap_"+sn.name+" AS "+sn.query+" LIMIT 0")
	}
	stmts = append(stmts,
		// Primary keys and unique constraints, with the index PostgreSQL
		// builds for them (DuckDB lists them as constraints only).
		`CREATE OR REPLACE TEMP VIEW pgc_constraint_index AS
SELECT (`+fmt.Sprint(constraintBase)+` + k.table_oid * 1000 + k.constraint_index * 2)::BIGINT AS oid,
  CASE k.constraint_type WHEN 'PRIMARY KEY' THEN k.table_name || '_pkey' ELSE k.constraint_name END AS conname,
  CASE k.constraint_type WHEN 'PRIMARY KEY' THEN 'p' WHEN 'UNIQUE' THEN 'u' WHEN 'FOREIGN KEY' THEN 'f' ELSE 'c' END AS contype,
  k.table_oid::BIGINT AS conrelid, s.oid::BIGINT AS nspoid, k.schema_name AS nsp, k.table_name AS relname,
  CASE WHEN k.constraint_type IN ('PRIMARY KEY', 'UNIQUE') THEN (`+fmt.Sprint(constraintBase)+` + k.table_oid * 1000 + k.constraint_index * 2 + 1)::BIGINT END AS indexrelid,
  CASE WHEN k.constraint_type IN ('PRIMARY KEY', 'UNIQUE') THEN CASE k.constraint_type WHEN 'PRIMARY KEY' THEN k.table_name || '_pkey' ELSE k.constraint_name END END AS idxname,
  k.constraint_column_indexes AS cols, k.constraint_column_names AS colnames,
  CASE k.constraint_type WHEN 'PRIMARY KEY' THEN 'PRIMARY KEY (' || array_to_string(k.constraint_column_names, ', ') || ')'
    WHEN 'UNIQUE' THEN 'UNIQUE (' || array_to_string(k.constraint_column_names, ', ') || ')'
    WHEN 'FOREIGN KEY' THEN 'FOREIGN KEY (' || array_to_string(k.constraint_column_names, ', ') || ') REFERENCES ' || k.referenced_table || '(' || array_to_string(k.referenced_column_names, ', ') || ')'
    END AS condef,
  NULL::VARCHAR AS expr, v.owner_oid,
  (SELECT max(t.table_oid) FROM pgc_snap_tables t WHERE t.database_name = k.database_name AND t.schema_name = k.schema_name AND t.table_name = k.referenced_table)::BIGINT AS confrelid,
  NULL::SMALLINT[] AS confkey
FROM pgc_snap_constraints k JOIN pgc_snap_schemas s ON s.database_name = k.database_name AND s.schema_name = k.schema_name
JOIN pgc_visible v ON v.schema_name = k.schema_name AND v.name = k.table_name
WHERE k.database_name = current_database() AND k.constraint_type IN ('PRIMARY KEY', 'UNIQUE', 'FOREIGN KEY')`,
	)
	// Views in dependency order: pg_attribute before pg_attrdef, pg_class
	// before the views over it.
	for _, name := range relationOrder {
		stmts = append(stmts, "CREATE OR REPLACE TEMP VIEW pgc_"+name+" AS "+relations[name])
	}
	for _, name := range infoOrder {
		stmts = append(stmts, "CREATE OR REPLACE TEMP VIEW pgc_is_"+name+" AS "+infoSchema[name])
	}
	return stmts
}

var relationOrder = func() []string {
	first := []string{"pg_namespace", "pg_class", "pg_attribute", "pg_attrdef", "pg_type", "pg_index", "pg_constraint"}
	seen := map[string]bool{}
	for _, n := range first {
		seen[n] = true
	}
	var rest []string
	for n := range relations {
		if !seen[n] {
			rest = append(rest, n)
		}
	}
	sortStrings(rest)
	return append(first, rest...)
}()

var infoOrder = func() []string {
	var out []string
	for n := range infoSchema {
		out = append(out, n)
	}
	sortStrings(out)
	return out
}()

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// Install creates the compatibility schema on a session's connection.
// Macros and views are bound when created, so one that refers to another
// not yet created fails; those are retried until nothing more succeeds.
func Install(ctx context.Context, conn *sql.Conn) error {
	pending := setup()
	for len(pending) > 0 {
		var failed []string
		var last error
		for _, s := range pending {
			if _, err := conn.ExecContext(ctx, s); err != nil {
				failed, last = append(failed, s), fmt.Errorf("pgcatalog: %w\n%s", err, firstLine(s))
			}
		}
		if len(failed) == len(pending) {
			return last
		}
		pending = failed
	}
	return nil
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
