package parser

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// clearPos zeroes every Pos field reachable from v, so that tests can
// compare statements structurally; positions are tested separately.
func clearPos(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			clearPos(v.Elem())
		}
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[Pos]() {
			v.Set(reflect.Zero(v.Type()))
			return
		}
		for i := range v.NumField() {
			clearPos(v.Field(i))
		}
	case reflect.Slice:
		for i := range v.Len() {
			clearPos(v.Index(i))
		}
	}
}

func noPos(st Statement) Statement {
	clearPos(reflect.ValueOf(st))
	return st
}

func strp(s string) *string { return &s }

func nm(parts ...string) Name { return Name{Parts: parts} }

func show(v any) string { return fmt.Sprintf("%#v", v) }

// Every statement of the seed document (../shared/seed/create-and-delete-models.txt), verbatim.
const (
	seedRemote = `CREATE MODEL PAI_EAS_Qwen25_Omni_3B WITH VERSION v1
INPUT(data BINARY, promt STRING)
OPTIONS(
    MODEL_SOURCE_TYPE = 'REMOTE',
    MODEL_TYPE = 'MLLM',
    TASKS = 'text-generation',
    PAI_EAS_MODEL_NAME = 'Qwen2.5-Omni-3B',
    PAI_EAS_SERVICE_NAME = 'test_remote_model',
    ENDPOINT = 'http://11261230********.cn-shanghai.pai-eas.aliyuncs.com',
    APIKEY = '<YOUR-API-KEY>',
    PAI_EAS_SYNC_MODE = 'true'
)
COMMENT "PAI EAS remote model binary input";`
	seedImport = `CREATE MODEL test_xgboost_classifier WITH VERSION V1
INPUT (f1 int, f2 int, f3 int, f4 int)
OPTIONS(
    MODEL_SOURCE_TYPE = 'IMPORT',
    MODEL_TYPE = 'BOOSTED_TREE_CLASSIFIER',
    LOCATION = 'oss://oss-cn-shanghai-internal.aliyuncs.com/********/xgboost_classifier/',
    ROLEARN = 'acs:ram::11261230********:role/aliyunodpsdefaultrole'
)
COMMENT 'Import XGBoost model v1';`
	seedDrop = `DROP MODEL PAI_EAS_Qwen25_Omni_3B;`
)

func TestParseSeed(t *testing.T) {
	tests := []struct {
		sql  string
		want Statement
	}{
		{seedRemote, &CreateModel{
			Model:   nm("PAI_EAS_Qwen25_Omni_3B"),
			Version: "v1",
			Input: []Column{
				{Name: "data", Type: "BINARY"},
				{Name: "promt", Type: "STRING"},
			},
			HasInput: true,
			Options: []Option{
				{Key: "MODEL_SOURCE_TYPE", Value: "REMOTE"},
				{Key: "MODEL_TYPE", Value: "MLLM"},
				{Key: "TASKS", Value: "text-generation"},
				{Key: "PAI_EAS_MODEL_NAME", Value: "Qwen2.5-Omni-3B"},
				{Key: "PAI_EAS_SERVICE_NAME", Value: "test_remote_model"},
				{Key: "ENDPOINT", Value: "http://11261230********.cn-shanghai.pai-eas.aliyuncs.com"},
				{Key: "APIKEY", Value: "<YOUR-API-KEY>"},
				{Key: "PAI_EAS_SYNC_MODE", Value: "true"},
			},
			Comment: strp("PAI EAS remote model binary input"),
		}},
		{seedImport, &CreateModel{
			Model:   nm("test_xgboost_classifier"),
			Version: "V1",
			Input: []Column{
				{Name: "f1", Type: "INT"}, {Name: "f2", Type: "INT"},
				{Name: "f3", Type: "INT"}, {Name: "f4", Type: "INT"},
			},
			HasInput: true,
			Options: []Option{
				{Key: "MODEL_SOURCE_TYPE", Value: "IMPORT"},
				{Key: "MODEL_TYPE", Value: "BOOSTED_TREE_CLASSIFIER"},
				{Key: "LOCATION", Value: "oss://oss-cn-shanghai-internal.aliyuncs.com/********/xgboost_classifier/"},
				{Key: "ROLEARN", Value: "acs:ram::11261230********:role/aliyunodpsdefaultrole"},
			},
			Comment: strp("Import XGBoost model v1"),
		}},
		{seedDrop, &DropModel{Model: nm("PAI_EAS_Qwen25_Omni_3B")}},
	}
	for _, tc := range tests {
		st, err := Parse(tc.sql)
		if err != nil {
			t.Fatalf("Parse(%q): %v", tc.sql, err)
		}
		if got := noPos(st); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Parse(%q)\n got %s\nwant %s", tc.sql, show(got), show(tc.want))
		}
	}
	// The seed document as one script: three statements.
	pieces, err := Split(seedRemote + "\n\n" + seedImport + "\n" + seedDrop + "\n")
	if err != nil || len(pieces) != 3 {
		t.Fatalf("Split(seed) = %d pieces, %v", len(pieces), err)
	}
	if pieces[2].Text != "DROP MODEL PAI_EAS_Qwen25_Omni_3B" {
		t.Errorf("piece 3 = %q", pieces[2].Text)
	}
}

func TestParseStatements(t *testing.T) {
	opts := []Option{{Key: "MODEL_SOURCE_TYPE", Value: "IMPORT"}}
	tests := []struct {
		sql  string
		want Statement
	}{
		// CREATE MODEL
		{"CREATE MODEL m WITH VERSION v1 OPTIONS(MODEL_SOURCE_TYPE='IMPORT')",
			&CreateModel{Model: nm("m"), Version: "v1", Options: opts}},
		{"create model if not exists p.s.m with version `v1` input(a bigint) with options(model_source_type = \"IMPORT\") comment 'c';",
			&CreateModel{IfNotExists: true, Model: nm("p", "s", "m"), Version: "v1",
				Input: []Column{{Name: "a", Type: "BIGINT"}}, HasInput: true, Options: opts, Comment: strp("c")}},
		{"CREATE MODEL `p`.`s`.`m-1.x` WITH VERSION 'v2' OPTIONS()",
			&CreateModel{Model: nm("p", "s", "m-1.x"), Version: "v2"}},
		{"CREATE MODEL IF NOT EXISTS test_xgboost_classifier WITH VERSION v1\nINPUT(f1 BIGINT, f2 BIGINT, f3 BIGINT, f4 BIGINT)\nOPTIONS(\n  MODEL_SOURCE_TYPE='IMPORT')\nCOMMENT 'Import XGBoost model v1';",
			&CreateModel{IfNotExists: true, Model: nm("test_xgboost_classifier"), Version: "v1",
				Input:    []Column{{Name: "f1", Type: "BIGINT"}, {Name: "f2", Type: "BIGINT"}, {Name: "f3", Type: "BIGINT"}, {Name: "f4", Type: "BIGINT"}},
				HasInput: true, Options: opts, Comment: strp("Import XGBoost model v1")}},
		// types
		{"CREATE MODEL m WITH VERSION v INPUT(a decimal(10, 2), b varchar(20), c char(3), d array<int>, e map<string, array<bigint>>, f struct<x:int, `y z`:string>, g STRUCT<a INT>, 名字 STRING, `col``q` double) OPTIONS(K='v')",
			&CreateModel{Model: nm("m"), Version: "v", HasInput: true, Options: []Option{{Key: "K", Value: "v"}},
				Input: []Column{
					{Name: "a", Type: "DECIMAL(10,2)"},
					{Name: "b", Type: "VARCHAR(20)"},
					{Name: "c", Type: "CHAR(3)"},
					{Name: "d", Type: "ARRAY<INT>"},
					{Name: "e", Type: "MAP<STRING,ARRAY<BIGINT>>"},
					{Name: "f", Type: "STRUCT<x:INT,y z:STRING>"},
					{Name: "g", Type: "STRUCT<a:INT>"},
					{Name: "名字", Type: "STRING"},
					{Name: "col`q", Type: "DOUBLE"},
				}}},
		// option values: keys upper-cased, duplicates kept, escapes resolved, numbers and words
		{`CREATE MODEL m WITH VERSION v OPTIONS(location = 'it\'s', Location = "a\"b", x='a''b', timeout = 5000, flag = true, neg = -1) COMMENT 'x\ny'`,
			&CreateModel{Model: nm("m"), Version: "v", Options: []Option{
				{Key: "LOCATION", Value: "it's"}, {Key: "LOCATION", Value: `a"b`}, {Key: "X", Value: "a'b"},
				{Key: "TIMEOUT", Value: "5000"}, {Key: "FLAG", Value: "true"}, {Key: "NEG", Value: "-1"}},
				Comment: strp("x\ny")}},
		// ALTER MODEL ... ALIAS
		{"ALTER MODEL m VERSION v2 SET ALIAS champion",
			&SetAlias{Model: nm("m"), Version: "v2", Alias: "champion"}},
		{"alter model p.s.m version `v2` set alias 'Champion';",
			&SetAlias{Model: nm("p", "s", "m"), Version: "v2", Alias: "Champion"}},
		{"ALTER MODEL m VERSION champion SET ALIAS previous",
			&SetAlias{Model: nm("m"), Version: "champion", Alias: "previous"}},
		{"ALTER MODEL m UNSET ALIAS champion",
			&UnsetAlias{Model: nm("m"), Alias: "champion"}},
		{"ALTER MODEL m UNSET ALIAS IF EXISTS `champion`;",
			&UnsetAlias{Model: nm("m"), IfExists: true, Alias: "champion"}},
		// ALTER MODEL
		{"ALTER MODEL m ADD VERSION v2 WITH OPTIONS(LOCATION='x')",
			&AddVersion{Model: nm("m"), Version: "v2", Options: []Option{{Key: "LOCATION", Value: "x"}}}},
		{"alter model p.m add version v2 input(a string) options(location='x') comment \"second\";",
			&AddVersion{Model: nm("p", "m"), Version: "v2", Input: []Column{{Name: "a", Type: "STRING"}}, HasInput: true,
				Options: []Option{{Key: "LOCATION", Value: "x"}}, Comment: strp("second")}},
		{"ALTER MODEL m DROP VERSION v1", &DropVersion{Model: nm("m"), Version: "v1"}},
		{"ALTER MODEL m DROP VERSION IF EXISTS `v1`;", &DropVersion{Model: nm("m"), IfExists: true, Version: "v1"}},
		{"ALTER MODEL m SET DEFAULT_VERSION = v2", &SetDefaultVersion{Model: nm("m"), Version: "v2"}},
		{"ALTER MODEL m SET DEFAULT_VERSION v2;", &SetDefaultVersion{Model: nm("m"), Version: "v2"}},
		{"alter model m set default_version = 'v2'", &SetDefaultVersion{Model: nm("m"), Version: "v2"}},
		{"ALTER MODEL m SET DEFAULT_VERSION `v2`", &SetDefaultVersion{Model: nm("m"), Version: "v2"}},
		// DROP MODEL
		{"DROP MODEL IF EXISTS `p`.`s`.`m`", &DropModel{IfExists: true, Model: nm("p", "s", "m")}},
		{"drop model if", &DropModel{Model: nm("if")}},
		// SHOW
		{"SHOW MODELS", &ShowModels{}},
		{"show models;", &ShowModels{}},
		{"SHOW MODELS IN bigdata_public_modelset", &ShowModels{In: &Name{Parts: []string{"bigdata_public_modelset"}}}},
		{"SHOW MODELS IN p.`default` LIKE 'test%'", &ShowModels{In: &Name{Parts: []string{"p", "default"}}, Like: strp("test%")}},
		{"SHOW MODELS LIKE \"a_b\"", &ShowModels{Like: strp("a_b")}},
		{"SHOW VERSIONS FOR MODEL m", &ShowVersions{Model: nm("m")}},
		// EXPLAIN COST
		{"EXPLAIN COST SELECT 1;", &ExplainCost{SQL: "SELECT 1;"}},
		{"explain cost\n  CREATE TABLE t AS SELECT 'a''b'", &ExplainCost{SQL: "CREATE TABLE t AS SELECT 'a''b'"}},
		// CLEAR AI CACHE
		{"CLEAR AI CACHE", &ClearAICache{}},
		{"clear ai cache for model p.s.m;", &ClearAICache{Model: nm("p", "s", "m")}},
		{"CLEAR AI CACHE FOR MODEL m VERSION `v2`", &ClearAICache{Model: nm("m"), Version: "v2"}},
		{"show versions in model p.s.m;", &ShowVersions{Model: nm("p", "s", "m")}},
		{"DESC MODEL m", &DescModel{Model: nm("m")}},
		{"DESCRIBE MODEL bigdata_public_modelset.default.`Qwen3-0.6B-GGUF` VERSION v1;",
			&DescModel{Model: nm("bigdata_public_modelset", "default", "Qwen3-0.6B-GGUF"), Version: "v1"}},
		{"desc model m version 'v2'", &DescModel{Model: nm("m"), Version: "v2"}},
		// SET and USE
		{"SET odps.sql.ai.embedding.dimension = 256;", &Set{Key: "odps.sql.ai.embedding.dimension", Value: "256", Raw: "256", SQL: "SET odps.sql.ai.embedding.dimension = 256;"}},
		{"set modelsql.ai.on_error = 'null'", &Set{Key: "modelsql.ai.on_error", Value: "null", Raw: "'null'", SQL: "set modelsql.ai.on_error = 'null'"}},
		{"SET odps.sql.using.public.model=true;", &Set{Key: "odps.sql.using.public.model", Value: "true", Raw: "true", SQL: "SET odps.sql.using.public.model=true;"}},
		{"SET odps.task.major.version=sql_modelstudio", &Set{Key: "odps.task.major.version", Value: "sql_modelstudio", Raw: "sql_modelstudio", SQL: "SET odps.task.major.version=sql_modelstudio"}},
		{"SET Threads TO 2", &Set{Key: "threads", Value: "2", Raw: "2", SQL: "SET Threads TO 2"}},
		{"SET x = 'a' || 'b'  -- c\n;", &Set{Key: "x", Value: "'a' || 'b'", Raw: "'a' || 'b'", SQL: "SET x = 'a' || 'b'  -- c\n;"}},
		{"USE p", &Use{Target: nm("p")}},
		{"use `p`.s;", &Use{Target: nm("p", "s")}},
		// users and privileges
		{"CREATE USER alice PASSWORD 'secret'", &CreateUser{Name: "alice", Password: "secret"}},
		{"create user `bob` password 'it\\'s' admin;", &CreateUser{Name: "bob", Password: "it's", Admin: true}},
		{"CREATE USER 'RAM$acct:bob' PASSWORD = 's'", &CreateUser{Name: "RAM$acct:bob", Password: "s"}},
		{"DROP USER alice", &DropUser{Name: "alice"}},
		{"DROP USER IF EXISTS alice;", &DropUser{Name: "alice", IfExists: true}},
		{"ALTER USER alice PASSWORD 'n'", &AlterUser{Name: "alice", Password: "n"}},
		{"CREATE ROLE analysts", &CreateRole{Name: "analysts"}},
		{"DROP ROLE IF EXISTS analysts", &DropRole{Name: "analysts", IfExists: true}},
		{"DROP ROLE analysts", &DropRole{Name: "analysts"}},
		{"GRANT CreateModel ON PROJECT p TO USER alice",
			&Grant{Privileges: []string{"CreateModel"}, ObjectKind: "PROJECT", Object: nm("p"), PrincipalKind: "USER", Principal: "alice"}},
		{"grant Describe, Alter, Drop on model p.s.m to role analysts;",
			&Grant{Privileges: []string{"Describe", "Alter", "Drop"}, ObjectKind: "MODEL", Object: nm("p", "s", "m"), PrincipalKind: "ROLE", Principal: "analysts"}},
		{"GRANT Select, Update ON TABLE t TO USER bob",
			&Grant{Privileges: []string{"Select", "Update"}, ObjectKind: "TABLE", Object: nm("t"), PrincipalKind: "USER", Principal: "bob"}},
		{"GRANT ALL PRIVILEGES ON MODEL m TO USER bob",
			&Grant{Privileges: []string{"ALL"}, ObjectKind: "MODEL", Object: nm("m"), PrincipalKind: "USER", Principal: "bob"}},
		{"REVOKE Drop ON MODEL m FROM USER bob",
			&Revoke{Privileges: []string{"Drop"}, ObjectKind: "MODEL", Object: nm("m"), PrincipalKind: "USER", Principal: "bob"}},
		{"GRANT ROLE analysts TO USER bob", &GrantRole{Role: "analysts", User: "bob"}},
		{"GRANT analysts TO bob", &GrantRole{Role: "analysts", User: "bob"}},
		{"REVOKE ROLE analysts FROM USER bob;", &RevokeRole{Role: "analysts", User: "bob"}},
		{"REVOKE analysts FROM USER bob", &RevokeRole{Role: "analysts", User: "bob"}},
		{"SHOW GRANTS", &ShowGrants{}},
		{"SHOW GRANTS FOR USER bob;", &ShowGrants{User: "bob"}},
		{"show grants for bob", &ShowGrants{User: "bob"}},
		// training: AS query (modelsql's extension)
		{"CREATE MODEL m WITH VERSION v1 OPTIONS(MODEL_TYPE='BOOSTED_TREE_REGRESSOR', LABEL_COL='y') AS SELECT a, 'x;y' AS b, y FROM t;",
			&CreateModel{Model: nm("m"), Version: "v1", Options: []Option{{Key: "MODEL_TYPE", Value: "BOOSTED_TREE_REGRESSOR"}, {Key: "LABEL_COL", Value: "y"}},
				Query: "SELECT a, 'x;y' AS b, y FROM t"}},
		{"CREATE MODEL m WITH VERSION v1 OPTIONS() COMMENT 'c' AS\n  WITH q AS (SELECT 1 AS y) SELECT * FROM q ;  ",
			&CreateModel{Model: nm("m"), Version: "v1", Comment: strp("c"), Query: "WITH q AS (SELECT 1 AS y) SELECT * FROM q"}},
		{"ALTER MODEL m ADD VERSION v2 OPTIONS(LABEL_COL='y') AS (SELECT * FROM t)",
			&AddVersion{Model: nm("m"), Version: "v2", Options: []Option{{Key: "LABEL_COL", Value: "y"}}, Query: "(SELECT * FROM t)"}},
		// comments and whitespace around
		{"-- lead\n/* block */ DROP /* in */ MODEL m -- trail", &DropModel{Model: nm("m")}},
		{"\u3000DROP\u3000MODEL m", &DropModel{Model: nm("m")}},
	}
	for _, tc := range tests {
		st, err := Parse(tc.sql)
		if err != nil {
			t.Errorf("Parse(%q): %v", tc.sql, err)
			continue
		}
		if got := noPos(st); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Parse(%q)\n got %s\nwant %s", tc.sql, show(got), show(tc.want))
		}
	}
}

func TestParsePassthrough(t *testing.T) {
	for _, sql := range []string{
		"SELECT 1",
		"select ML_PREDICT(m, v1, 1, 2) from t;",
		"CREATE TABLE t (a INT)",
		"CREATE OR REPLACE MODEL m",
		"DROP TABLE t",
		"ALTER TABLE t ADD COLUMN b INT",
		"SHOW TABLES",
		"DESCRIBE t",
		"DESCRIBE model",
		"desc model;",
		"SET SESSION threads = 2",
		"SET GLOBAL x = 1",
		"SET VARIABLE x = 'a\\'",
		"SET x",
		"(SELECT 1)",
		"WITH a AS (SELECT 1) SELECT * FROM a",
		"SELECT 'a\\' AS x",
		"SELECT 'unterminated",
		"INSERT INTO t VALUES ('x;y')",
		"'str'",
	} {
		st, err := Parse(sql)
		if err != nil {
			t.Errorf("Parse(%q): %v", sql, err)
			continue
		}
		p, ok := st.(*Passthrough)
		if !ok || p.SQL != sql {
			t.Errorf("Parse(%q) = %s, want passthrough", sql, show(st))
		}
	}
}

func TestParsePositions(t *testing.T) {
	st, err := Parse("CREATE MODEL p.m WITH VERSION v1\n  INPUT(a INT,\n\t名字 STRING)\nOPTIONS(X='1', y = '2')")
	if err != nil {
		t.Fatal(err)
	}
	c := st.(*CreateModel)
	check := func(what string, got, want Pos) {
		t.Helper()
		if got != want {
			t.Errorf("%s at %v, want %v", what, got, want)
		}
	}
	check("model", c.Model.Pos, Pos{1, 14})
	check("version", c.VersionPos, Pos{1, 31})
	check("column a", c.Input[0].Pos, Pos{2, 9})
	check("column 名字", c.Input[1].Pos, Pos{3, 2})
	check("option X", c.Options[0].Pos, Pos{4, 9})
	check("option y", c.Options[1].Pos, Pos{4, 16})
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		sql  string
		line int
		col  int
		msg  string // the whole message
	}{
		{"CREATE MODEL m WITH VERSION v1\nINPUT(a INT) OPTIONZ(a='b')", 2, 14,
			`syntax error at line 2, column 14: found "OPTIONZ", expected OPTIONS`},
		{"CREATE MODEL m WITH VERSION v1 OPTIONZ(a='b')", 1, 32,
			`syntax error at line 1, column 32: found "OPTIONZ", expected INPUT or OPTIONS`},
		{"CREATE MODEL m WITH VERSION v1 WITH OPTIONZ(a='b')", 1, 37,
			`syntax error at line 1, column 37: found "OPTIONZ", expected OPTIONS`},
		{"CLEAR AI CACHE m", 1, 16, `syntax error at line 1, column 16: found "m", expected FOR MODEL`},
		{"CLEAR AI CACHE FOR MODEL m v1", 1, 28, `syntax error at line 1, column 28: found "v1", expected VERSION`},
		{"EXPLAIN COST ;", 1, 14, `syntax error at line 1, column 14: found ";", expected a statement`},
		{"CLEAR AI", 1, 9, `syntax error at line 1, column 9: found end of statement, expected CACHE`},
		{"CREATE MODEL m VERSION v1", 1, 16, `syntax error at line 1, column 16: found "VERSION", expected WITH VERSION`},
		{"CREATE MODEL WITH VERSION v1 OPTIONS()", 1, 19, `syntax error at line 1, column 19: found "VERSION", expected WITH VERSION`},
		{"CREATE MODEL m WITH VERSION", 1, 28, `syntax error at line 1, column 28: found end of statement, expected a version name`},
		{"CREATE MODEL m WITH VERSION v OPTIONS(a 'b')", 1, 41, `syntax error at line 1, column 41: found a string literal, expected '='`},
		{"CREATE MODEL m WITH VERSION v OPTIONS(a = 'b' b = 'c')", 1, 47, `syntax error at line 1, column 47: found a word, expected ',' or ')'`},
		{"CREATE MODEL m WITH VERSION v OPTIONS(a = )", 1, 43, `syntax error at line 1, column 43: found ")", expected an option value (a string literal)`},
		{"CREATE MODEL m WITH VERSION v OPTIONS(a = 'b'", 1, 46, `syntax error at line 1, column 46: found end of statement, expected ',' or ')'`},
		{"CREATE MODEL m WITH VERSION v OPTIONS(a = 'b') COMMENT", 1, 55, `syntax error at line 1, column 55: found end of statement, expected a comment string`},
		{"CREATE MODEL m WITH VERSION v OPTIONS(a = 'b') COMMENT c", 1, 56, `syntax error at line 1, column 56: found a word, expected a comment string`},
		{"CREATE MODEL m WITH VERSION v OPTIONS(a = 'b') extra", 1, 48, `syntax error at line 1, column 48: found a word, expected COMMENT or AS or end of statement`},
		{"CREATE MODEL m WITH VERSION v OPTIONS(a = 'b') AS DROP TABLE t", 1, 51, `syntax error at line 1, column 51: found a word, expected a query (SELECT ...)`},
		{"CREATE MODEL m WITH VERSION v OPTIONS(a = 'b') AS", 1, 50, `syntax error at line 1, column 50: found end of statement, expected a query (SELECT ...)`},
		{"CREATE MODEL m WITH VERSION v OPTIONS(a = 'b') COMMENT 'x' more", 1, 60, `syntax error at line 1, column 60: found a word, expected AS or end of statement`},
		{"CREATE MODEL m WITH VERSION v OPTIONS(a = 'b');;", 1, 48, `syntax error at line 1, column 48: found ";", expected COMMENT or AS or end of statement`},
		{"CREATE MODEL m WITH VERSION v INPUT(a) OPTIONS()", 1, 38, `syntax error at line 1, column 38: found ")", expected a data type`},
		{"CREATE MODEL m WITH VERSION v INPUT() OPTIONS()", 1, 37, `syntax error at line 1, column 37: found ")", expected a column name`},
		{"CREATE MODEL m WITH VERSION v INPUT(a INT b INT) OPTIONS()", 1, 43, `syntax error at line 1, column 43: found "b", expected ',' or ')'`},
		{"CREATE MODEL m WITH VERSION v INPUT(a DECIMAL(x)) OPTIONS()", 1, 47, `syntax error at line 1, column 47: found "x", expected an integer`},
		{"CREATE MODEL m WITH VERSION v INPUT(a ARRAY<INT) OPTIONS()", 1, 48, `syntax error at line 1, column 48: found ")", expected ',' or '>'`},
		{"CREATE MODEL m WITH VERSION v INPUT a INT OPTIONS()", 1, 37, `syntax error at line 1, column 37: found "a", expected '('`},
		{"CREATE MODEL a.b.c.d WITH VERSION v OPTIONS()", 1, 19, `syntax error at line 1, column 19: found ".", expected at most three name parts (project.schema.name)`},
		{"CREATE MODEL a. WITH VERSION v OPTIONS()", 1, 22, `syntax error at line 1, column 22: found "VERSION", expected WITH VERSION`}, // keywords are valid name parts
		{"CREATE MODEL a.(b) WITH VERSION v OPTIONS()", 1, 16, `syntax error at line 1, column 16: found "(", expected a name part after '.'`},
		{"CREATE MODEL IF NOT m WITH VERSION v OPTIONS()", 1, 21, `syntax error at line 1, column 21: found "m", expected EXISTS`},
		{"CREATE MODEL 'm' WITH VERSION v OPTIONS()", 1, 14, `syntax error at line 1, column 14: found a string literal, expected a model name`},
		{"CREATE MODEL m WITH VERSION v OPTIONS(a='b') COMMENT 'unterminated", 1, 54, `syntax error at line 1, column 54: unterminated string literal, expected closing '`},
		{"CREATE MODEL m WITH VERSION v OPTIONS(a='b') /* never closed", 1, 46, `syntax error at line 1, column 46: unterminated comment, expected */`},
		{"CREATE MODEL `m WITH VERSION v", 1, 14, "syntax error at line 1, column 14: unterminated quoted identifier, expected closing `"},
		{"ALTER MODEL m ADD v2 OPTIONS()", 1, 19, `syntax error at line 1, column 19: found "v2", expected VERSION`},
		{"ALTER MODEL m RENAME TO n", 1, 15, `syntax error at line 1, column 15: found "RENAME", expected ADD VERSION, DROP VERSION, SET DEFAULT_VERSION, VERSION ... SET ALIAS or UNSET ALIAS`},
		{"ALTER MODEL m VERSION v1 ALIAS a", 1, 26, `syntax error at line 1, column 26: found "ALIAS", expected SET ALIAS`},
		{"ALTER MODEL m VERSION v1 SET a", 1, 30, `syntax error at line 1, column 30: found "a", expected ALIAS`},
		{"ALTER MODEL m VERSION v1 SET ALIAS", 1, 35, `syntax error at line 1, column 35: found end of statement, expected an alias name`},
		{"ALTER MODEL m VERSION v1 SET ALIAS a b", 1, 38, `syntax error at line 1, column 38: found "b", expected end of statement`},
		{"ALTER MODEL m UNSET a", 1, 21, `syntax error at line 1, column 21: found "a", expected ALIAS`},
		{"ALTER MODEL m UNSET ALIAS a, b", 1, 28, `syntax error at line 1, column 28: found ",", expected end of statement`},
		{"ALTER MODEL m SET DEFAULT v2", 1, 19, `syntax error at line 1, column 19: found "DEFAULT", expected DEFAULT_VERSION`},
		{"ALTER MODEL m SET DEFAULT_VERSION =", 1, 36, `syntax error at line 1, column 36: found end of statement, expected a version name`},
		{"ALTER MODEL m DROP VERSION v1 v2", 1, 31, `syntax error at line 1, column 31: found "v2", expected end of statement`},
		{"DROP MODEL", 1, 11, `syntax error at line 1, column 11: found end of statement, expected a model name`},
		{"DROP MODEL m n", 1, 14, `syntax error at line 1, column 14: found "n", expected end of statement`},
		{"SHOW MODELS IN a.b.c", 1, 19, `syntax error at line 1, column 19: found ".", expected at most two name parts (project.schema)`},
		{"SHOW MODELS LIKE x", 1, 18, `syntax error at line 1, column 18: found "x", expected a pattern string`},
		{"SHOW MODELS FROM p", 1, 13, `syntax error at line 1, column 13: found "FROM", expected IN or LIKE or end of statement`},
		{"SHOW VERSIONS OF MODEL m", 1, 15, `syntax error at line 1, column 15: found "OF", expected FOR MODEL`},
		{"SHOW VERSIONS FOR m", 1, 19, `syntax error at line 1, column 19: found "m", expected MODEL`},
		{"DESC MODEL m VERSIONS v", 1, 14, `syntax error at line 1, column 14: found "VERSIONS", expected VERSION or end of statement`},
		{"SET x =", 1, 8, `syntax error at line 1, column 8: found end of statement, expected a value`},
		{"USE", 1, 4, `syntax error at line 1, column 4: found end of statement, expected a project name`},
		{"CREATE USER bob", 1, 16, `syntax error at line 1, column 16: found end of statement, expected PASSWORD`},
		{"CREATE USER bob PASSWORD secret", 1, 26, `syntax error at line 1, column 26: found a word, expected a password string`},
		{"GRANT Select ON VIEW v TO USER bob", 1, 17, `syntax error at line 1, column 17: found "VIEW", expected PROJECT, TABLE or MODEL`},
		{"GRANT Select ON TABLE t TO bob", 1, 28, `syntax error at line 1, column 28: found "bob", expected USER or ROLE`},
		{"GRANT Select, ON TABLE t TO USER bob", 1, 18, `syntax error at line 1, column 18: found "TABLE", expected ',' or ON`},
		{"GRANT Select Update ON TABLE t TO USER bob", 1, 14, `syntax error at line 1, column 14: found "Update", expected ',' or ON`},
		{"GRANT Select ON PROJECT a.b TO USER bob", 1, 26, `syntax error at line 1, column 26: found ".", expected a name without '.'`},
		{"REVOKE Drop ON MODEL m TO USER bob", 1, 24, `syntax error at line 1, column 24: found "TO", expected FROM`},
		{"", 1, 1, `syntax error at line 1, column 1: found end of statement, expected a statement`},
		{"  -- only a comment\n", 2, 1, `syntax error at line 2, column 1: found end of statement, expected a statement`},
		{";", 1, 1, `syntax error at line 1, column 1: found ";", expected a statement`},
	}
	for _, tc := range tests {
		_, err := Parse(tc.sql)
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("Parse(%q) error = %v, want a *SyntaxError", tc.sql, err)
			continue
		}
		if se.Pos.Line != tc.line || se.Pos.Col != tc.col {
			t.Errorf("Parse(%q) error at %v, want line %d, column %d (%v)", tc.sql, se.Pos, tc.line, tc.col, err)
		}
		if !strings.HasPrefix(err.Error(), tc.msg) {
			t.Errorf("Parse(%q) error\n got %q\nwant %q", tc.sql, err.Error(), tc.msg)
		}
	}
}

func TestParseErrorFound(t *testing.T) {
	_, err := Parse("CREATE MODEL m WITH VERSION v1\nINPUT(a INT) OPTIONZ(a='b')")
	var se *SyntaxError
	if !errors.As(err, &se) || se.Found != "OPTIONZ" || se.Expected != "OPTIONS" || se.Pos != (Pos{2, 14}) {
		t.Fatalf("got %#v", err)
	}
	// long tokens are shortened in the message
	_, err = Parse("SHOW MODELS LIKE 'x' " + strings.Repeat("y", 100))
	if err == nil || !strings.Contains(err.Error(), `...", expected end of statement`) {
		t.Fatalf("got %v", err)
	}
}

// Errors never quote a string literal, nor any word of OPTIONS(...) or a
// USER statement: each may be a key or a password.
func TestParseErrorsHideSecrets(t *testing.T) {
	tests := []struct{ sql, secret, msg string }{
		{"CREATE MODEL m WITH VERSION v OPTIONS(MODEL_TYPE='LLM', APIKEY 'sk-abc123')", "sk-abc123", "found a string literal, expected '='"},
		{"CREATE MODEL m WITH VERSION v OPTIONS(APIKEY='sk-abc123' 'sk-def456')", "sk-def456", "found a string literal, expected ',' or ')'"},
		{"CREATE MODEL m WITH VERSION v OPTIONS(APIKEY=sk_abc123 def456)", "def456", "found a word, expected ',' or ')'"},
		{"CREATE MODEL m WITH VERSION v OPTIONS(APIKEY=`sk_abc123`)", "sk_abc123", "found a quoted name, expected an option value"},
		{"ALTER MODEL m ADD VERSION v2 OPTIONS(APIKEY 'sk-abc123')", "sk-abc123", "found a string literal, expected '='"},
		{"CREATE USER bob PASSWORD hunter22", "hunter22", "found a word, expected a password string"},
		{"CREATE USER bob PASSWORD 'hunter22' 'again'", "hunter22", "found a string literal, expected ADMIN"},
		{"ALTER USER bob PASSWORD = 'hunter22' ADMIN", "hunter22", "found a word, expected end of statement"},
		{"ALTER USER bob PASSWORD = 12345678", "12345678", "found a number, expected a password string"},
		{"CREATE USER 'bob' 'hunter22'", "hunter22", "found a string literal, expected PASSWORD"},
		{"SHOW MODELS LIKE 'x' 'sk-abc123'", "sk-abc123", "found a string literal, expected end of statement"},
		{"CREATE MODEL m WITH VERSION v INPUT(a OPTIONS(sk_abc123)) OPTIONS()", "sk_abc123", "found a word, expected an integer"},
	}
	for _, tc := range tests {
		_, err := Parse(tc.sql)
		if err == nil || !strings.Contains(err.Error(), tc.msg) || strings.Contains(err.Error(), tc.secret) {
			t.Errorf("Parse(%q) = %v, want %q without %q", tc.sql, err, tc.msg, tc.secret)
		}
	}
	// Words outside OPTIONS and USER statements are still quoted.
	if _, err := ParseName("a b"); err == nil || !strings.Contains(err.Error(), `found "b"`) {
		t.Errorf("ParseName: %v", err)
	}
}

func TestParseName(t *testing.T) {
	n, err := ParseName("bigdata_public_modelset.default.`Qwen3-0.6B-GGUF`")
	if err != nil || !reflect.DeepEqual(n.Parts, []string{"bigdata_public_modelset", "default", "Qwen3-0.6B-GGUF"}) {
		t.Fatalf("ParseName = %v, %v", n, err)
	}
	if got := n.String(); got != "bigdata_public_modelset.default.`Qwen3-0.6B-GGUF`" {
		t.Errorf("String() = %q", got)
	}
	if got := nm("a`b", "名字", "_x1", "1a", "").String(); got != "`a``b`.名字._x1.`1a`.``" {
		t.Errorf("String() = %q", got)
	}
	for _, bad := range []string{"", "a.", "a.b.c.d", "a b", "'a'"} {
		if _, err := ParseName(bad); err == nil {
			t.Errorf("ParseName(%q) succeeded", bad)
		}
	}
}
