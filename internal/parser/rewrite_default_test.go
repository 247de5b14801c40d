package parser

import "testing"

func TestRewriteQuotesDefaultInQualifiedNames(t *testing.T) {
	cases := map[string]string{
		"SELECT * FROM default.default.t":               `SELECT * FROM "default"."default".t`,
		"SELECT * FROM p.default.t":                     `SELECT * FROM p."default".t`,
		"INSERT INTO t VALUES (DEFAULT)":                "INSERT INTO t VALUES (DEFAULT)",
		"CREATE TABLE t(a INT DEFAULT 1)":               "CREATE TABLE t(a INT DEFAULT 1)",
		"SELECT 'default.default' FROM default . other": "SELECT 'default.default' FROM default . other",
	}
	for in, want := range cases {
		got, err := RewriteSQL(in, nil)
		if err != nil || got != want {
			t.Errorf("RewriteSQL(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}
