package pgcatalog

import (
	"strings"
	"testing"
)

func TestRewrite(t *testing.T) {
	const no, yes = None, Catalog
	cases := []struct {
		in, want string
		catalog  Kind
	}{
		{"SELECT 1", "SELECT 1", no},
		{"SELECT x ~ 'a' FROM t", "SELECT x ~ 'a' FROM t", no}, // DuckDB's own ~ outside catalog statements
		{"SELECT relname FROM pg_catalog.pg_class c", "SELECT relname FROM pgc_pg_class c", yes},
		{"SELECT pg_type.oid FROM pg_catalog.pg_type", "SELECT pg_type.oid FROM pgc_pg_type AS pg_type", yes},
		{"SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'x'",
			"SELECT c.relname FROM pgc_pg_class c JOIN pgc_pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'x'", yes},
		{"SELECT pg_catalog.pg_get_userbyid(c.relowner) FROM pg_catalog.pg_class c", "SELECT pg_get_userbyid(c.relowner) FROM pgc_pg_class c", yes},
		{"SELECT 1 FROM pg_catalog.pg_class c WHERE c.relname OPERATOR(pg_catalog.~) '^(t)$' COLLATE pg_catalog.default",
			"SELECT 1 FROM pgc_pg_class c WHERE regexp_matches(c.relname, '^(t)$')", yes},
		{"SELECT 1 FROM pg_namespace n WHERE n.nspname !~ '^pg_' AND n.nspname ~* 'A'",
			"SELECT 1 FROM pgc_pg_namespace n WHERE (NOT regexp_matches(n.nspname, '^pg_')) AND regexp_matches(n.nspname, 'A', 'i')", yes},
		{"SELECT 1 FROM pg_description d WHERE d.classoid = 'pg_class'::regclass",
			"SELECT 1 FROM pgc_pg_description d WHERE d.classoid = pgc_regclass_oid('pg_class')", yes},
		{"SELECT c.oid::pg_catalog.regclass FROM pg_catalog.pg_class c", "SELECT pgc_regclass_name(c.oid) FROM pgc_pg_class c", yes},
		{"SELECT c.reloftype::pg_catalog.regtype::pg_catalog.text FROM pg_catalog.pg_class c",
			"SELECT pgc_regtype_name(c.reloftype)::text FROM pgc_pg_class c", yes},
		{"SELECT ix.indkey::varchar, a.attrelid::oid FROM pg_index ix, pg_attribute a",
			"SELECT array_to_string(ix.indkey, ' '), a.attrelid::BIGINT FROM pgc_pg_index ix, pgc_pg_attribute a", yes},
		{"SELECT 1 FROM pg_attribute a, pg_index ix WHERE a.attnum = ANY(ix.indkey)",
			"SELECT 1 FROM pgc_pg_attribute a, pgc_pg_index ix WHERE list_contains(ix.indkey, a.attnum)", yes},
		{"SELECT (information_schema._pg_expandarray(i.indkey)).n FROM pg_catalog.pg_index i",
			"SELECT (_pg_expandarray(i.indkey)).n FROM pgc_pg_index i", yes},
		{"SELECT table_name FROM information_schema.tables", "SELECT table_name FROM pgc_is_tables AS tables", yes},
		{"SELECT * FROM modelsql.models m", "SELECT * FROM pgc_is_models m", yes},
		{"SELECT ARRAY(SELECT b.rolname FROM pg_catalog.pg_roles b) FROM pg_catalog.pg_roles r",
			"SELECT ('{' || array_to_string(ARRAY(SELECT b.rolname FROM pgc_pg_roles b), ',') || '}') FROM pgc_pg_roles r", yes},
		{"SELECT x FROM pg_catalog.generate_series(0, 3) s, pg_catalog.pg_attribute WHERE y = z[s]",
			"SELECT x FROM generate_series(0, 3) s(s), pgc_pg_attribute AS pg_attribute WHERE y = z[s]", yes},
		{`SELECT d.datcollate as "Collate" FROM pg_catalog.pg_database d`, `SELECT d.datcollate as "Collate" FROM pgc_pg_database d`, yes},
		{"SELECT json_build_object('a', 1) FROM pg_class", "SELECT json_object('a', 1) FROM pgc_pg_class AS pg_class", yes},
		{"SELECT * FROM pgc_pg_class", "SELECT * FROM pgc_pg_class", yes}, // read directly: still refreshed
		{"SELECT current_user, session_user, user", "SELECT current_user, session_user, user", SessionOnly},
		{"SELECT pg_backend_pid()", "SELECT pg_backend_pid()", SessionOnly},
		{"SELECT pg_get_userbyid(10)", "SELECT pg_get_userbyid(10)", yes},
		{"SELECT t.user FROM users t", "SELECT t.user FROM users t", no},
	}
	for _, c := range cases {
		got, cat := Rewrite(c.in)
		if got != c.want || cat != c.catalog {
			t.Errorf("Rewrite(%q)\n got  %q, %v\n want %q, %v", c.in, got, cat, c.want, c.catalog)
		}
	}
}

func TestColumnName(t *testing.T) {
	for in, want := range map[string]string{"count_star()": "count", "count(x)": "count(x)", "a": "a"} {
		if got := ColumnName(in); got != want {
			t.Errorf("ColumnName(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzRewrite: any text rewrites without panicking, and text that names no
// catalog object is returned unchanged.
func FuzzRewrite(f *testing.F) {
	for _, s := range []string{"SELECT 1", "SELECT c.oid::regclass FROM pg_class c WHERE x = ANY(y)", "OPERATOR(pg_catalog.~", "x::", "pg_catalog.", "ARRAY(SELECT", "= ANY(", "'a' ~ "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out, cat := Rewrite(s)
		if cat == None && out != s {
			t.Fatalf("non-catalog text changed: %q -> %q", s, out)
		}
		if cat != None && strings.TrimSpace(s) == "" {
			t.Fatalf("blank text is a catalog statement")
		}
	})
}

// TestRewriteRandomTokens feeds random sequences of the tokens the
// rewriter reacts to; it must finish (no loop) and not panic.
func TestRewriteRandomTokens(t *testing.T) {
	vocab := []string{"pg_catalog", ".", "pg_class", "(", ")", "::", "regclass", "'x'", "~", "!", "*", "ANY", "=", "ARRAY",
		"SELECT", "OPERATOR", "COLLATE", "generate_series", "s", ",", "information_schema", "_pg_expandarray", "indkey", "varchar", "pgc_x", "\"d\""}
	seed := uint32(1)
	for n := 0; n < 20000; n++ {
		var b strings.Builder
		for k := 0; k < 12; k++ {
			seed = seed*1664525 + 1013904223
			b.WriteString(vocab[int(seed>>8)%len(vocab)])
			if seed&0x10000 != 0 {
				b.WriteByte(' ')
			}
		}
		Rewrite(b.String())
	}
}
