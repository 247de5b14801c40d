package parser

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// fuzzSeeds are added to every fuzz target (besides testdata/fuzz/...).
var fuzzSeeds = []string{
	seedRemote, seedImport, seedDrop,
	"ALTER MODEL m ADD VERSION v2 INPUT(a DECIMAL(10,2), b ARRAY<MAP<STRING,INT>>) WITH OPTIONS(LOCATION='x') COMMENT 'c'",
	"ALTER MODEL p.s.m DROP VERSION IF EXISTS `v1`",
	"ALTER MODEL m SET DEFAULT_VERSION = 'v2';",
	"ALTER MODEL p.s.m VERSION `v2` SET ALIAS 'champion'; ALTER MODEL m UNSET ALIAS IF EXISTS champion",
	"SELECT AI_GENERATE_WITH_INFO(m, champion, 'x', '{\"output_schema\": \"STRUCT(a INT)\"}')",
	"SHOW MODELS IN bigdata_public_modelset LIKE 'q%'; SHOW VERSIONS FOR MODEL m; DESC MODEL m VERSION v1",
	"SET odps.sql.ai.embedding.dimension = 256; USE p.s",
	"GRANT Describe, Alter ON MODEL m TO USER bob; REVOKE ROLE r FROM USER u; SHOW GRANTS FOR USER bob",
	"CREATE USER 'RAM$a:b' PASSWORD 'it\\'s' ADMIN",
	"CREATE MODEL m WITH VERSION v OPTIONS(MODEL_TYPE='LLM', APIKEY 'sk-proj-abcdef')",
	"ALTER USER bob PASSWORD = 'hunter22' 'again'",
	"CREATE USER bob PASSWORD hunter22",
	"SELECT ML_PREDICT(test_xgboost_classifier, v1, 1, 2, 3, 4);",
	"SELECT ML_PREDICT(demo_model_xgboost_regressor, v01, 0.22438f, 0f, 9.69f, 0, 0.585f, 6.027f, 79.7f, 2.4982f, 6.123f, 391f, 19.2f, 14.33f);",
	"SELECT AI_CLASSIFY(bigdata_public_modelset.default.`qwen3-max`, DEFAULT_VERSION, 'x', ARRAY('a','b'))",
	"SELECT AI_GENERATE('p.s.m', 'v1', AI_SUMMARIZE(m, v, body /* c */ -- d\n), '{}') FROM `t` WHERE x = 1BD",
	"SELECT '名字;', \"a;b\", `c;d`, $$e;f$$, E'g\\';h' /* /* i; */ */ -- j;\n; SELECT 2",
	"SELECT ARRAY(SELECT 1), ARRAY((SELECT 2)), ARRAY(1, 2), t.array(3)",
	"SELECT 'unterminated",
	"/* unterminated",
	"SELECT ML_PREDICT(m, v, (x)",
	"CREATE MODEL m WITH VERSION v OPTIONS(MODEL_TYPE='BOOSTED_TREE_REGRESSOR', LABEL_COL='y') COMMENT 'c' AS SELECT * FROM t;",
	"ALTER MODEL m ADD VERSION v2 OPTIONS() AS (WITH q AS (SELECT 1) SELECT * FROM q",
	"SELECT * FROM ML_EVALUATE(m, v, (SELECT * FROM t), 'y') JOIN ML_FEATURE_IMPORTANCE(m, v) ON true",
	"CREATE OBJECT TABLE IF NOT EXISTS p.s.t COMMENT 'c' WITH SERDEPROPERTIES ('odps.properties.rolearn'='acs:ram::1:role/r', 'k'='v') LOCATION 'oss://e/b/p/'",
	"CREATE OBJECT TABLE t (a INT) LOCATION 's3://b/'; ALTER TABLE `p`.t REFRESH METADATA",
	"INSERT OVERWRITE TABLE t SELECT GET_DATA_FROM_OSS('p.s.t', key, 0, 10, 'WARN_AND_NULL') FROM t; DESC EXTENDED t",
	"",
	";",
}

func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, sql string) {
		st, err := Parse(sql)
		if err != nil {
			if st != nil {
				t.Fatalf("Parse returned both %#v and %v", st, err)
			}
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("error %v is not a *SyntaxError", err)
			}
			checkPos(t, sql, se.Pos)
			if se.Error() == "" {
				t.Fatal("empty message")
			}
			checkNoSecrets(t, sql, se)
			return
		}
		switch s := st.(type) {
		case nil:
			t.Fatal("nil statement without error")
		case *Passthrough:
			if s.SQL != sql {
				t.Fatalf("passthrough changed the text: %q", s.SQL)
			}
		case *CreateModel:
			checkName(t, sql, s.Model)
			checkPos(t, sql, s.VersionPos)
			for _, c := range s.Input {
				checkPos(t, sql, c.Pos)
			}
			for _, o := range s.Options {
				checkPos(t, sql, o.Pos)
				if o.Key != strings.ToUpper(o.Key) {
					t.Fatalf("key %q not upper-case", o.Key)
				}
			}
		case *AddVersion:
			checkName(t, sql, s.Model)
		case *DropModel:
			checkName(t, sql, s.Model)
		case *DescModel:
			checkName(t, sql, s.Model)
		case *Set:
			if !strings.Contains(sql, s.Raw) || s.SQL != sql || s.Raw == "" {
				t.Fatalf("Set %#v does not match %q", s, sql)
			}
		}
	})
}

// checkNoSecrets verifies that a syntax error of Parse quotes no string
// literal of the input, nor any word inside OPTIONS(...) or a CREATE/ALTER
// USER statement.
func checkNoSecrets(t *testing.T, sql string, se *SyntaxError) {
	t.Helper()
	toks, _ := Tokenize(sql, true)
	msg := se.Error()
	userStmt := len(toks) >= 2 && (isKw(toks[0], "CREATE") || isKw(toks[0], "ALTER")) && isKw(toks[1], "USER")
	afterOptions := false // at or after the first "OPTIONS ("
	for i, tok := range toks {
		if i > 0 && isKw(toks[i-1], "OPTIONS") && isOp(tok, "(") {
			afterOptions = true
		}
		secret := tok.Kind == TokString || (userStmt || afterOptions) && tok.Kind != TokOp
		if tok.Pos == se.Pos && secret && (se.Found != "" || se.Masked == "") {
			t.Fatalf("error %q quotes token %q of %q", msg, tok.Text, sql)
		}
		// The literal's text appears nowhere else (template texts quote at
		// most three characters, such as ','), so the message must not hold it.
		if tok.Kind == TokString && len(tok.Text) >= 4 && strings.Count(sql, tok.Text) == 1 &&
			!strings.ContainsFunc(tok.Text, func(r rune) bool { return r == '\\' || r < ' ' || r > '~' }) &&
			strings.Contains(msg, tok.Text) {
			t.Fatalf("error %q quotes the literal %s of %q", msg, tok.Text, sql)
		}
	}
}

// checkPos verifies that a position lies within src.
func checkPos(t *testing.T, src string, p Pos) {
	t.Helper()
	lines := strings.Split(src, "\n")
	if p.Line < 1 || p.Line > len(lines) || p.Col < 1 || p.Col > utf8.RuneCountInString(lines[p.Line-1])+1 {
		t.Fatalf("position %v outside the text %q", p, src)
	}
}

// checkName verifies a parsed name: its position, and that its String form
// parses back to the same parts.
func checkName(t *testing.T, src string, n Name) {
	t.Helper()
	checkPos(t, src, n.Pos)
	if len(n.Parts) == 0 || len(n.Parts) > 3 {
		t.Fatalf("name with %d parts", len(n.Parts))
	}
	back, err := ParseName(n.String())
	if err != nil || !reflect.DeepEqual(back.Parts, n.Parts) {
		t.Fatalf("name %q: String() = %q parses to %q, %v", n.Parts, n.String(), back.Parts, err)
	}
}

func FuzzSplit(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, script string) {
		pieces, err := Split(script)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("error %v is not a *SyntaxError", err)
			}
			checkPos(t, script, se.Pos)
			if Complete(script) {
				t.Fatalf("Complete(%q) with a lexical error", script)
			}
		}
		prevEnd := 0
		for _, p := range pieces {
			if p.Text == "" || p.Offset < prevEnd || p.Offset+len(p.Text) > len(script) || script[p.Offset:p.Offset+len(p.Text)] != p.Text {
				t.Fatalf("bad piece %#v of %q", p, script)
			}
			prevEnd = p.Offset + len(p.Text)
			// the position matches the offset
			before := script[:p.Offset]
			line := strings.Count(before, "\n") + 1
			col := utf8.RuneCountInString(before[strings.LastIndexByte(before, '\n')+1:]) + 1
			if p.Pos != (Pos{line, col}) {
				t.Fatalf("piece %q at %v, want line %d, column %d", p.Text, p.Pos, line, col)
			}
			// a piece is one statement and splits to itself
			again, err := Split(p.Text)
			if err != nil || len(again) != 1 || again[0].Text != p.Text {
				t.Fatalf("Split(%q) = %#v, %v", p.Text, again, err)
			}
			if !Complete(p.Text+";") || Complete(p.Text) {
				t.Fatalf("Complete disagrees with Split on %q", p.Text)
			}
		}
	})
}

func FuzzRewriteSQL(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, sql string) {
		calls := 0
		mark := func(c *InferenceCall) (string, error) {
			calls++
			if c.Func != strings.ToUpper(c.Func) || !IsInferenceFunction(c.Func) || len(c.Model.Parts) == 0 || len(c.Model.Parts) > 3 {
				t.Fatalf("bad call %#v", c)
			}
			if c.DefaultVersion && c.Version != "" {
				t.Fatalf("default version with a name: %#v", c)
			}
			return "X", nil
		}
		out, err := RewriteSQL(sql, mark)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("error %v is not a *SyntaxError", err)
			}
			checkPos(t, sql, se.Pos)
			return
		}
		// Nothing to rewrite: byte-identical.
		toks, _ := Tokenize(sql, false)
		rewritable := false
		for i, tok := range toks {
			if tok.Kind == TokQuotedIdent || tok.Kind == TokNumber && tok.Suffix != "" ||
				tok.Kind == TokIdent && (IsInferenceFunction(tok.Text) || strings.EqualFold(tok.Text, "ARRAY")) && i+1 < len(toks) && isOp(toks[i+1], "(") {
				rewritable = true
			}
			// DEFAULT joined to a '.' is quoted (default.default.t).
			if tok.Kind == TokIdent && strings.EqualFold(tok.Text, "DEFAULT") &&
				(i > 0 && isOp(toks[i-1], ".") && toks[i-1].End == tok.Off || i+1 < len(toks) && isOp(toks[i+1], ".") && tok.End == toks[i+1].Off) {
				rewritable = true
			}
		}
		if !rewritable && out != sql {
			t.Fatalf("RewriteSQL(%q) = %q, want it unchanged", sql, out)
		}
		// The result is lexically valid and a fixed point.
		again, err := RewriteSQL(out, mark)
		if err != nil {
			t.Fatalf("RewriteSQL(%q) = %q, which fails again: %v", sql, out, err)
		}
		if again != out {
			t.Fatalf("RewriteSQL not idempotent on %q:\n first %q\nsecond %q", sql, out, again)
		}
	})
}
