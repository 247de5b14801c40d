package pgcatalog

import "fmt"

// macros are the PostgreSQL functions the catalog emulates, as temporary
// macros (which DuckDB resolves before its built-in functions of the same
// name; Rewrite drops the pg_catalog qualifier that would bypass them).
var macros = []string{
	`CREATE OR REPLACE TEMP MACRO pgc_typeoid(d) AS CASE WHEN d IS NULL THEN NULL WHEN d LIKE '%]' THEN 114
	  ELSE coalesce((SELECT max(pgc_m_.oid) FROM pgc_typemap pgc_m_ WHERE pgc_m_.duck = regexp_replace(d, '\(.*$', '')),
	                CASE WHEN d LIKE 'STRUCT%' OR d LIKE 'MAP%' OR d LIKE 'UNION%' THEN 114 ELSE 25 END) END::BIGINT`,
	`CREATE OR REPLACE TEMP MACRO pgc_typlen(o) AS (SELECT max(pgc_t_.typlen) FROM pgc_types pgc_t_ WHERE pgc_t_.oid = o)`,
	`CREATE OR REPLACE TEMP MACRO pgc_typmod(d) AS CASE WHEN regexp_matches(d, '^DECIMAL\(\d+,\d+\)$')
	  THEN (regexp_extract(d, '^DECIMAL\((\d+),', 1)::INTEGER * 65536 + regexp_extract(d, ',(\d+)\)$', 1)::INTEGER + 4) ELSE -1 END`,
	`CREATE OR REPLACE TEMP MACRO format_type(o, m) AS CASE WHEN o IS NULL THEN NULL
	  WHEN o = 1700 AND m >= 4 THEN 'numeric(' || ((m - 4) // 65536) || ',' || ((m - 4) % 65536) || ')'
	  ELSE coalesce((SELECT max(pgc_t_.sqlname) FROM pgc_types pgc_t_ WHERE pgc_t_.oid = o), '???') END`,
	`CREATE OR REPLACE TEMP MACRO pg_get_userbyid(o) AS coalesce((SELECT max(pgc_u_.rolname) FROM pgc_users pgc_u_ WHERE pgc_u_.oid = o), 'unknown (OID=' || o || ')')`,
	`CREATE OR REPLACE TEMP MACRO pgc_current_user() AS (SELECT max(user_name) FROM pgc_session)`,
	`CREATE OR REPLACE TEMP MACRO current_user() AS (SELECT max(user_name) FROM pgc_session)`,
	`CREATE OR REPLACE TEMP MACRO session_user() AS (SELECT max(user_name) FROM pgc_session)`,
	`CREATE OR REPLACE TEMP MACRO current_role() AS (SELECT max(user_name) FROM pgc_session)`,
	`CREATE OR REPLACE TEMP MACRO pgc_is_admin() AS coalesce((SELECT bool_or(is_admin) FROM pgc_session), false)`,
	`CREATE OR REPLACE TEMP MACRO pg_backend_pid() AS (SELECT max(pid) FROM pgc_session)::INTEGER`,
	`CREATE OR REPLACE TEMP MACRO pgc_backend_pid() AS (SELECT max(pid) FROM pgc_session)::INTEGER`,
	`CREATE OR REPLACE TEMP MACRO pgc_setting(n) AS (SELECT max(pgc_s_.setting) FROM pgc_settings pgc_s_ WHERE lower(pgc_s_.name) = lower(n))`,
	`CREATE OR REPLACE TEMP MACRO version() AS 'PostgreSQL ` + ServerVersion + ` (modelsql; DuckDB engine)'`,
	`CREATE OR REPLACE TEMP MACRO pg_table_is_visible(o) AS (SELECT count(*) > 0 FROM pgc_pg_class pgc_c_ JOIN pgc_pg_namespace pgc_n_ ON pgc_n_.oid = pgc_c_.relnamespace WHERE pgc_c_.oid = o AND pgc_n_.nspname = current_schema())`,
	`CREATE OR REPLACE TEMP MACRO pg_type_is_visible(o) AS true`,
	`CREATE OR REPLACE TEMP MACRO pg_function_is_visible(o) AS true`,
	`CREATE OR REPLACE TEMP MACRO pg_get_expr(e, r) AS e, (e, r, p) AS e`,
	`CREATE OR REPLACE TEMP MACRO pgc_index_names(e) AS list_filter(list_transform(string_split(regexp_replace(e, '[\[\]''"]', '', 'g'), ','), x -> trim(x)), x -> x <> '')`,
	`CREATE OR REPLACE TEMP MACRO pg_get_indexdef(o) AS (SELECT max('CREATE ' || CASE WHEN pgc_i_.indisunique THEN 'UNIQUE ' ELSE '' END || 'INDEX ' || pgc_c_.relname || ' ON ' || pgc_i_.pgc_table || ' USING btree (' || pgc_i_.pgc_cols || ')') FROM pgc_pg_index pgc_i_ JOIN pgc_pg_class pgc_c_ ON pgc_c_.oid = pgc_i_.indexrelid WHERE pgc_i_.indexrelid = o),
	   (o, n, p) AS (SELECT max(CASE WHEN n = 0 THEN 'CREATE ' || CASE WHEN pgc_i_.indisunique THEN 'UNIQUE ' ELSE '' END || 'INDEX ' || pgc_c_.relname || ' ON ' || pgc_i_.pgc_table || ' USING btree (' || pgc_i_.pgc_cols || ')' ELSE split_part(pgc_i_.pgc_cols, ', ', n) END) FROM pgc_pg_index pgc_i_ JOIN pgc_pg_class pgc_c_ ON pgc_c_.oid = pgc_i_.indexrelid WHERE pgc_i_.indexrelid = o)`,
	`CREATE OR REPLACE TEMP MACRO pg_get_constraintdef(o) AS (SELECT max(pgc_c_.condef) FROM pgc_constraint_index pgc_c_ WHERE pgc_c_.oid = o), (o, p) AS (SELECT max(pgc_c_.condef) FROM pgc_constraint_index pgc_c_ WHERE pgc_c_.oid = o)`,
	`CREATE OR REPLACE TEMP MACRO pgc_viewdef(o) AS (SELECT max(pgc_d_.def) FROM pgc_viewdefs pgc_d_ WHERE pgc_d_.view_oid = o)`,
	`CREATE OR REPLACE TEMP MACRO pg_get_viewdef(o) AS pgc_viewdef(o), (o, p) AS pgc_viewdef(o)`,
	`CREATE OR REPLACE TEMP MACRO pg_get_function_result(o) AS (SELECT max(pgc_p_.pgc_result) FROM pgc_pg_proc pgc_p_ WHERE pgc_p_.oid = o)`,
	`CREATE OR REPLACE TEMP MACRO pg_get_function_arguments(o) AS (SELECT max(pgc_p_.pgc_args) FROM pgc_pg_proc pgc_p_ WHERE pgc_p_.oid = o)`,
	`CREATE OR REPLACE TEMP MACRO pg_get_function_identity_arguments(o) AS (SELECT max(pgc_p_.pgc_args) FROM pgc_pg_proc pgc_p_ WHERE pgc_p_.oid = o)`,
	`CREATE OR REPLACE TEMP MACRO pg_get_serial_sequence(t, c) AS NULL::VARCHAR`,
	`CREATE OR REPLACE TEMP MACRO pg_encoding_to_char(e) AS 'UTF8'`,
	`CREATE OR REPLACE TEMP MACRO pg_relation_is_publishable(o) AS false`,
	`CREATE OR REPLACE TEMP MACRO pg_get_statisticsobjdef_columns(o) AS NULL::VARCHAR`,
	`CREATE OR REPLACE TEMP MACRO array_upper(a, d) AS CASE WHEN len(a) > 0 THEN len(a) END`,
	`CREATE OR REPLACE TEMP MACRO array_lower(a, d) AS CASE WHEN len(a) > 0 THEN 1 END`,
	`CREATE OR REPLACE TEMP MACRO _pg_expandarray(a) AS unnest(list_transform(range(1, len(a) + 1), i -> {'x': a[i], 'n': i}))`,
	`CREATE OR REPLACE TEMP MACRO obj_description(o) AS (SELECT max(pgc_d_.description) FROM pgc_pg_description pgc_d_ WHERE pgc_d_.objoid = o AND pgc_d_.objsubid = 0), (o, c) AS (SELECT max(pgc_d_.description) FROM pgc_pg_description pgc_d_ WHERE pgc_d_.objoid = o AND pgc_d_.objsubid = 0)`,
	`CREATE OR REPLACE TEMP MACRO col_description(o, n) AS (SELECT max(pgc_d_.description) FROM pgc_pg_description pgc_d_ WHERE pgc_d_.objoid = o AND pgc_d_.objsubid = n)`,
	`CREATE OR REPLACE TEMP MACRO shobj_description(o, c) AS NULL::VARCHAR`,
	`CREATE OR REPLACE TEMP MACRO has_table_privilege(a, b) AS true, (a, b, c) AS true`,
	`CREATE OR REPLACE TEMP MACRO has_schema_privilege(a, b) AS true, (a, b, c) AS true`,
	`CREATE OR REPLACE TEMP MACRO has_database_privilege(a, b) AS true, (a, b, c) AS true`,
	`CREATE OR REPLACE TEMP MACRO pg_total_relation_size(o) AS 0::BIGINT`,
	`CREATE OR REPLACE TEMP MACRO pg_relation_size(o) AS 0::BIGINT`,
	`CREATE OR REPLACE TEMP MACRO pg_table_size(o) AS 0::BIGINT`,
	`CREATE OR REPLACE TEMP MACRO pg_is_in_recovery() AS false`,
	`CREATE OR REPLACE TEMP MACRO pgc_regclass_oid(s) AS (SELECT max(pgc_c_.oid) FROM pgc_pg_class pgc_c_ WHERE pgc_c_.relname = regexp_replace(s, '^.*\.', '') OR pgc_c_.oid::VARCHAR = s)`,
	`CREATE OR REPLACE TEMP MACRO pgc_regclass_name(o) AS coalesce((SELECT max(pgc_c_.relname) FROM pgc_pg_class pgc_c_ WHERE pgc_c_.oid = o), o::VARCHAR)`,
	`CREATE OR REPLACE TEMP MACRO pgc_regtype_oid(s) AS (SELECT max(pgc_t_.oid) FROM pgc_types pgc_t_ WHERE pgc_t_.typname = regexp_replace(s, '^.*\.', '') OR pgc_t_.sqlname = s)`,
	`CREATE OR REPLACE TEMP MACRO pgc_regtype_name(o) AS coalesce((SELECT max(pgc_t_.sqlname) FROM pgc_types pgc_t_ WHERE pgc_t_.oid = o), CASE WHEN o = 0 THEN '-' ELSE o::VARCHAR END)`,
	`CREATE OR REPLACE TEMP MACRO pgc_regnamespace_name(o) AS coalesce((SELECT max(pgc_n_.nspname) FROM pgc_pg_namespace pgc_n_ WHERE pgc_n_.oid = o), o::VARCHAR)`,
	`CREATE OR REPLACE TEMP MACRO pgc_regnamespace_oid(s) AS (SELECT max(pgc_n_.oid) FROM pgc_pg_namespace pgc_n_ WHERE pgc_n_.nspname = s)`,
	`CREATE OR REPLACE TEMP MACRO pgc_regproc_name(o) AS o::VARCHAR`,
	`CREATE OR REPLACE TEMP MACRO pgc_regproc_oid(s) AS regexp_replace(s, '^.*\.', '')`,
	fmt.Sprintf(`CREATE OR REPLACE TEMP MACRO pgc_pg_class_oid() AS %d`, oidPgClass),
}
