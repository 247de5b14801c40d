package parser

import (
	"strings"
	"testing"
)

func TestParseObjectTableStatements(t *testing.T) {
	s, err := Parse(`CREATE OBJECT TABLE IF NOT EXISTS image_demo
WITH SERDEPROPERTIES ('odps.properties.rolearn'='acs:ram::1393:role/aliyunodpsdefaultrole')
LOCATION 'oss://oss-cn-shanghai-internal.aliyuncs.com/mllm-demo/jpg-test/';`)
	if err != nil {
		t.Fatal(err)
	}
	c, ok := s.(*CreateObjectTable)
	if !ok || !c.IfNotExists || c.Table.String() != "image_demo" || c.Location != "oss://oss-cn-shanghai-internal.aliyuncs.com/mllm-demo/jpg-test/" ||
		len(c.Properties) != 1 || c.Properties[0].Key != "odps.properties.rolearn" || c.Comment != nil {
		t.Fatalf("got %#v", s)
	}
	s, err = Parse("create object table p.s.t location 's3://b/x/' comment 'imgs'")
	if err != nil {
		t.Fatal(err)
	}
	if c := s.(*CreateObjectTable); len(c.Table.Parts) != 3 || c.Comment == nil || *c.Comment != "imgs" {
		t.Fatalf("got %#v", c)
	}
	s, err = Parse("ALTER TABLE p.`image demo` REFRESH METADATA;")
	if err != nil {
		t.Fatal(err)
	}
	if r, ok := s.(*RefreshMetadata); !ok || r.Table.Parts[1] != "image demo" {
		t.Fatalf("got %#v", s)
	}
	for _, q := range []string{"ALTER TABLE t ADD COLUMN x INT", "ALTER TABLE t RENAME TO u"} {
		if s, err := Parse(q); err != nil {
			t.Fatal(err)
		} else if _, ok := s.(*Passthrough); !ok {
			t.Errorf("%s: got %T, want passthrough", q, s)
		}
	}
	bad := map[string]string{
		"CREATE OBJECT TABLE t (a INT) LOCATION 's3://b/'":                   "no column list",
		"CREATE OBJECT TABLE t PARTITIONED BY (d STRING) LOCATION 's3://b/'": "do not support partitions",
		"CREATE OBJECT TABLE t LOCATION 's3://b/' PARTITIONED BY (d STRING)": "do not support partitions",
		"CREATE OBJECT TABLE t":              "expected LOCATION",
		"CREATE OBJECT t LOCATION 's3://b/'": "TABLE after CREATE OBJECT",
		"ALTER TABLE t REFRESH":              "expected METADATA",
		"CREATE OBJECT TABLE t WITH SERDEPROPERTIES ('a') LOCATION 's3://b/'": "expected '='",
	}
	for q, want := range bad {
		if _, err := Parse(q); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: got %v, want %q", q, err, want)
		}
	}
}

func TestParseTableStatement(t *testing.T) {
	cases := []struct {
		sql, verb, name string
		ok              bool
	}{
		{"DROP TABLE IF EXISTS p.t", "DROP", "p.t", true},
		{"desc extended t;", "DESC", "t", true},
		{"DESCRIBE t", "DESC", "t", true},
		{"insert into t values (1)", "INSERT", "t", true},
		{"INSERT OVERWRITE TABLE s.t SELECT 1", "INSERT", "s.t", true},
		{"UPDATE t SET a = 1", "UPDATE", "t", true},
		{"delete from t where 1", "DELETE", "t", true},
		{"TRUNCATE t", "TRUNCATE", "t", true},
		{"COPY t FROM 'x.csv'", "COPY", "t", true},
		{"COPY t TO 'x.csv'", "", "", false},
		{"ALTER TABLE t ADD COLUMN x INT", "ALTER", "t", true},
		{"create or replace table p.t AS SELECT 1", "CREATE OR REPLACE", "p.t", true},
		{"CREATE TABLE t (a INT)", "", "", false},
		{"SELECT 1", "", "", false},
		{"DROP VIEW v", "", "", false},
		{"DESC SELECT 1 FROM t", "", "", false},
		{"WITH x AS (SELECT 1 AS k) INSERT INTO p.t SELECT * FROM x", "INSERT", "p.t", true},
		{"with recursive a(n) as (select (1)), b as materialized (select ((2))) delete from t using a", "DELETE", "t", true},
		{"WITH x AS (SELECT 1) UPDATE s.t SET k = 2", "UPDATE", "s.t", true},
		{"WITH x AS (SELECT 1) SELECT * FROM t", "", "", false},
		{"WITH x AS (SELECT 1", "", "", false},
		{"WITH AS (SELECT 1) INSERT INTO t VALUES (1)", "", "", false},
	}
	for _, c := range cases {
		ts, ok := ParseTableStatement(c.sql)
		if ok != c.ok || ok && (ts.Verb != c.verb || ts.Table.String() != c.name) {
			t.Errorf("%s: got %+v %v", c.sql, ts, ok)
		}
	}
}

// The first-words recognisers never panic and stay within the input.
func FuzzTableStatement(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, sql string) {
		if ts, ok := ParseTableStatement(sql); ok && (ts.Verb == "" || len(ts.Table.Parts) == 0) {
			t.Fatalf("%q: %+v", sql, ts)
		}
		firsts, _ := FunctionFirstStrings(sql, []string{"GET_DATA_FROM_OSS", "GET_SIGNED_URL_FROM_OSS"})
		if len(firsts) > len(sql) {
			t.Fatalf("%q: %d names", sql, len(firsts))
		}
	})
}
