package parser

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// render replaces a call by a readable marker holding its parsed parts.
func render(c *InferenceCall) (string, error) {
	v := c.Version
	if c.DefaultVersion {
		v = "<default>"
	}
	q := ""
	if c.ModelIsString {
		q = "'"
	}
	return fmt.Sprintf("%s[%s%s%s|%s|%s]", c.Func, q, strings.Join(c.Model.Parts, "/"), q, v, strings.Join(c.Args, "|")), nil
}

func TestRewriteUnchanged(t *testing.T) {
	for _, sql := range []string{
		"",
		"SELECT 1",
		"  select f1, x1L, 1e5, 1.5E-3, .5, 1., t.col FROM t WHERE a >= 2 -- ML_PREDICT(m, v)\n",
		"SELECT 'ML_PREDICT(m, v1, 1)', \"AI_GENERATE(\" FROM t /* AI_EMBEDDING(a, b, c) */",
		"SELECT s.ml_predict(1, 2), schema.AI_GENERATE(a, b, c) FROM s",
		"CREATE MACRO ai_generate(a, b) AS a || b",
		"CREATE FUNCTION ml_predict(a, b) AS a",
		"SELECT ml_predict FROM t",
		"SELECT ARRAY(SELECT 1), ARRAY (  SELECT 2), array(WITH x AS (SELECT 1) SELECT * FROM x), ARRAY((SELECT 3)), ARRAY(FROM range(3)), ARRAY[1, 2], t.array(1)",
		"SELECT 'C:\\' AS p, E'it\\'s', $$0.5f `x`$$, $t$ML_PREDICT(a,b)$t$, \"a\"\"1L\"",
		"SELECT 名字, 1day, 1e, 1f2, $1, ?, 1_000 FROM 表",
		"SELECT 1; SELECT 2;\n",
		"SELECT x::INTEGER[] FROM t WHERE y IN (1, 2) AND z ~ '\\d+'",
	} {
		got, err := RewriteSQL(sql, render)
		if err != nil {
			t.Errorf("RewriteSQL(%q): %v", sql, err)
			continue
		}
		if got != sql {
			t.Errorf("RewriteSQL(%q) = %q, want it unchanged", sql, got)
		}
	}
}

func TestRewriteGlobal(t *testing.T) {
	tests := []struct{ in, want string }{
		{"SELECT `a`, `名 字`, `we\"ird`, `x``y` FROM `p`.`s`.`t`",
			`SELECT "a", "名 字", "we""ird", "x` + "`" + `y" FROM "p"."s"."t"`},
		{"SELECT 0.22438f, 0f, 9.69F, 1L, 2l, 1Y, 1S, 1d, 2D, 1e5f, .5f, 1.f",
			"SELECT CAST(0.22438 AS FLOAT), CAST(0 AS FLOAT), CAST(9.69 AS FLOAT), CAST(1 AS BIGINT), CAST(2 AS BIGINT), CAST(1 AS TINYINT), CAST(1 AS SMALLINT), CAST(1 AS DOUBLE), CAST(2 AS DOUBLE), CAST(1e5 AS FLOAT), CAST(.5 AS FLOAT), CAST(1. AS FLOAT)"},
		{"SELECT 1BD, 3.14159bd, 0.5BD, 00012.50BD, 1.5e3BD, 1e-2BD, 1_000BD",
			"SELECT CAST(1 AS DECIMAL(1,0)), CAST(3.14159 AS DECIMAL(6,5)), CAST(0.5 AS DECIMAL(1,1)), CAST(00012.50 AS DECIMAL(4,2)), CAST(1.5e3 AS DECIMAL(4,0)), CAST(1e-2 AS DECIMAL(2,2)), CAST(1_000 AS DECIMAL(4,0))"},
		{"SELECT -1L, a-1L, x+0f", "SELECT -CAST(1 AS BIGINT), a-CAST(1 AS BIGINT), x+CAST(0 AS FLOAT)"},
		{"SELECT ARRAY('a', 'b'), array (1, 2), ARRAY(), ARRAY(ARRAY(1), ARRAY(2)), ARRAY((1))",
			"SELECT list_value('a', 'b'), list_value (1, 2), list_value(), list_value(list_value(1), list_value(2)), list_value((1))"},
		{"SELECT ARRAY(1) -- `c` 1f\n", "SELECT list_value(1) -- `c` 1f\n"},
	}
	for _, tc := range tests {
		got, err := RewriteSQL(tc.in, render)
		if err != nil {
			t.Errorf("RewriteSQL(%q): %v", tc.in, err)
			continue
		}
		if got != tc.want {
			t.Errorf("RewriteSQL(%q)\n got %q\nwant %q", tc.in, got, tc.want)
		}
	}
}

func TestRewriteCalls(t *testing.T) {
	tests := []struct{ in, want string }{
		// the documented examples
		{"SELECT ML_PREDICT(demo_model_xgboost_regressor, v01,\n       0.22438f, 0f, 9.69f, 0, 0.585f, 6.027f, 79.7f, 2.4982f, 6.123f, 391f, 19.2f, 14.33f);",
			"SELECT ML_PREDICT[demo_model_xgboost_regressor|v01|CAST(0.22438 AS FLOAT)|CAST(0 AS FLOAT)|CAST(9.69 AS FLOAT)|0|CAST(0.585 AS FLOAT)|CAST(6.027 AS FLOAT)|CAST(79.7 AS FLOAT)|CAST(2.4982 AS FLOAT)|CAST(6.123 AS FLOAT)|CAST(391 AS FLOAT)|CAST(19.2 AS FLOAT)|CAST(14.33 AS FLOAT)];"},
		{"SELECT ML_PREDICT(test_xgboost_classifier, v1, 1, 2, 3, 4);",
			"SELECT ML_PREDICT[test_xgboost_classifier|v1|1|2|3|4];"},
		{"SELECT AI_EMBEDDING(bigdata_public_modelset.default.`text-embedding-v4`, DEFAULT_VERSION,\n                    'MaxCompute (formerly ODPS) is ...') AS embedding;",
			"SELECT AI_EMBEDDING[bigdata_public_modelset/default/text-embedding-v4|<default>|'MaxCompute (formerly ODPS) is ...'] AS embedding;"},
		{"SELECT AI_GENERATE(bigdata_public_modelset.default.`Qwen3-0.6B-GGUF`, DEFAULT_VERSION,\n                   'Summarise: ' || body) FROM docs",
			"SELECT AI_GENERATE[bigdata_public_modelset/default/Qwen3-0.6B-GGUF|<default>|'Summarise: ' || body] FROM docs"},
		{"SELECT AI_CLASSIFY(bigdata_public_modelset.default.`qwen3-max`, DEFAULT_VERSION, '<text>', ARRAY('tech','sports','finance','medical','education'))",
			"SELECT AI_CLASSIFY[bigdata_public_modelset/default/qwen3-max|<default>|'<text>'|list_value('tech','sports','finance','medical','education')]"},
		{"SELECT AI_EXTRACT(m, v1, txt, ARRAY('name', 'age'), '{\"temperature\": 0.1}') FROM t",
			"SELECT AI_EXTRACT[m|v1|txt|list_value('name', 'age')|'{\"temperature\": 0.1}'] FROM t"},
		{"select ai_summarize(m, v1, t), Ai_Translate(m, v1, t, 'en'), AI_SENTIMENT(m, v1, t), ai_similarity(m, v1, a, b) from x",
			"select AI_SUMMARIZE[m|v1|t], AI_TRANSLATE[m|v1|t|'en'], AI_SENTIMENT[m|v1|t], AI_SIMILARITY[m|v1|a|b] from x"},
		// model and version forms
		{"SELECT ML_PREDICT('p.s.m', 'v1', a), ML_PREDICT(`m`, `v1`, a), ML_PREDICT(\"m\", \"v1\", a), ML_PREDICT(p.`s`.\"m\", default_version, a)",
			"SELECT ML_PREDICT['p/s/m'|v1|a], ML_PREDICT[m|v1|a], ML_PREDICT['m'|v1|a], ML_PREDICT[p/s/m|<default>|a]"},
		{"SELECT AI_GENERATE('bigdata_public_modelset.default.qwen3.6-plus', 'DEFAULT_VERSION', 'x'), AI_GENERATE('p.`a.b`', `DEFAULT_VERSION`, 'x')",
			"SELECT AI_GENERATE['bigdata_public_modelset/default/qwen3.6-plus'|DEFAULT_VERSION|'x'], AI_GENERATE['p/a.b'|DEFAULT_VERSION|'x']"},
		{"SELECT ML_PREDICT ( m , v1 , ( a + b ) * 2 , f(c, d) , [1, 2] , {'k': 1} )",
			"SELECT ML_PREDICT[m|v1|( a + b ) * 2|f(c, d)|[1, 2]|{'k': 1}]"},
		{"SELECT ML_PREDICT(m, v1)", "SELECT ML_PREDICT[m|v1|]"},
		// nested, innermost first; anywhere an expression goes
		{"SELECT AI_GENERATE(m, v1, AI_SUMMARIZE(m2, DEFAULT_VERSION, AI_TRANSLATE(m3, v3, body, 'en')), '{}') FROM t",
			"SELECT AI_GENERATE[m|v1|AI_SUMMARIZE[m2|<default>|AI_TRANSLATE[m3|v3|body|'en']]|'{}'] FROM t"},
		{"CREATE TABLE out AS SELECT id, ML_PREDICT(m, v1, a, b) AS p FROM t JOIN u ON ML_PREDICT(m, v1, u.a, 1L) = t.x WHERE ML_PREDICT(m, v1, a, b) > '1' ORDER BY ML_PREDICT(m, v1, a, b)",
			"CREATE TABLE out AS SELECT id, ML_PREDICT[m|v1|a|b] AS p FROM t JOIN u ON ML_PREDICT[m|v1|u.a|CAST(1 AS BIGINT)] = t.x WHERE ML_PREDICT[m|v1|a|b] > '1' ORDER BY ML_PREDICT[m|v1|a|b]"},
		{"SELECT * FROM (SELECT ML_PREDICT(m, v1, `f 1`) AS p FROM `t`) WHERE p IN (SELECT AI_GENERATE(m, v, 'x'))",
			"SELECT * FROM (SELECT ML_PREDICT[m|v1|\"f 1\"] AS p FROM \"t\") WHERE p IN (SELECT AI_GENERATE[m|v|'x'])"},
		// strings and comments inside arguments
		{"SELECT AI_GENERATE(m, v1, 'ML_PREDICT(x, y)', 'a, b') -- ML_PREDICT(",
			"SELECT AI_GENERATE[m|v1|'ML_PREDICT(x, y)'|'a, b'] -- ML_PREDICT("},
		{"SELECT ML_PREDICT(m, v1, a -- first\n, /* second */ b/**/c)\nFROM t",
			"SELECT ML_PREDICT[m|v1|a|b c]\nFROM t"},
		{"SELECT ML_PREDICT(m /* model */, v1 -- version\n, a)", "SELECT ML_PREDICT[m|v1|a]"},
	}
	for _, tc := range tests {
		got, err := RewriteSQL(tc.in, render)
		if err != nil {
			t.Errorf("RewriteSQL(%q): %v", tc.in, err)
			continue
		}
		if got != tc.want {
			t.Errorf("RewriteSQL(%q)\n got %q\nwant %q", tc.in, got, tc.want)
		}
	}
}

func TestRewriteCallFields(t *testing.T) {
	var calls []InferenceCall
	_, err := RewriteSQL("SELECT\n  ai_generate('p.s.m', DEFAULT_VERSION, ml_predict(`p`.m, 'v 2', x))", func(c *InferenceCall) (string, error) {
		c.StandIn = "S"
		calls = append(calls, *c)
		return "X", nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []InferenceCall{
		{Func: "ML_PREDICT", Model: Name{Parts: []string{"p", "m"}, Pos: Pos{2, 52}}, Version: "v 2", Args: []string{"x"},
			ArgShapes: []string{"x"}, ArgHasCall: []bool{false}, StandIn: "S", Pos: Pos{2, 41}},
		{Func: "AI_GENERATE", Model: Name{Parts: []string{"p", "s", "m"}, Pos: Pos{2, 15}}, ModelIsString: true, ModelText: "p.s.m",
			DefaultVersion: true, Args: []string{"X"}, ArgShapes: []string{"S"}, ArgHasCall: []bool{true}, StandIn: "S", Pos: Pos{2, 3}},
	}
	if !reflect.DeepEqual(calls, want) {
		t.Errorf("calls\n got %#v\nwant %#v", calls, want)
	}
}

func TestRewriteErrors(t *testing.T) {
	tests := []struct {
		in  string
		pos Pos
		msg string
	}{
		{"SELECT ML_PREDICT()", Pos{1, 19}, `found ")", expected a model name`},
		{"SELECT ML_PREDICT(m)", Pos{1, 20}, `found ")", expected ',' and a version name (ML_PREDICT(model, version, ...))`},
		{"SELECT ML_PREDICT(m, , a)", Pos{1, 22}, `found ",", expected a version name or DEFAULT_VERSION`},
		{"SELECT ML_PREDICT(m, v, , a)", Pos{1, 25}, `found ",", expected an argument`},
		{"SELECT ML_PREDICT(m v, x)", Pos{1, 21}, `found "v", expected ',' after the model name`},
		{"SELECT ML_PREDICT(1, v, x)", Pos{1, 19}, `found "1", expected a model name`},
		{"SELECT ML_PREDICT(m || 'x', v, x)", Pos{1, 21}, `found "|", expected ',' after the model name`},
		{"SELECT ML_PREDICT(a.b.c.d, v, x)", Pos{1, 24}, `found ".", expected at most three name parts (project.schema.name)`},
		{"SELECT ML_PREDICT(a., v, x)", Pos{1, 21}, `found ",", expected a name part after '.'`},
		{"SELECT ML_PREDICT('', v, x)", Pos{1, 19}, `found a string literal, expected a model name`},
		{"SELECT ML_PREDICT('a..b', v, x)", Pos{1, 19}, `expected a model name`},
		{"SELECT ML_PREDICT(m, v1 v2, x)", Pos{1, 25}, `found "v2", expected ',' after the version name`},
		{"SELECT ML_PREDICT(m, 1, x)", Pos{1, 22}, `found "1", expected a version name or DEFAULT_VERSION`},
		{"SELECT ML_PREDICT(m, v, (x)", Pos{1, 18}, `unclosed '(' of ML_PREDICT, expected ')'`},
		{"SELECT ML_PREDICT(m, v, AI_GENERATE(m))", Pos{1, 38}, `found ")", expected ',' and a version name`},
		{"SELECT 'open", Pos{1, 8}, `unterminated string literal`},
	}
	for _, tc := range tests {
		_, err := RewriteSQL(tc.in, render)
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("RewriteSQL(%q) = %v, want a *SyntaxError", tc.in, err)
			continue
		}
		if se.Pos != tc.pos || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("RewriteSQL(%q)\n got %v at %v\nwant %q at %v", tc.in, err, se.Pos, tc.msg, tc.pos)
		}
	}
}

func TestRewriteCallbackError(t *testing.T) {
	boom := errors.New("model m not found")
	_, err := RewriteSQL("SELECT 1,\n  ml_predict(m, v1, a)", func(c *InferenceCall) (string, error) { return "", boom })
	var re *RewriteError
	if !errors.As(err, &re) || re.Pos != (Pos{2, 3}) || re.Func != "ML_PREDICT" || !errors.Is(err, boom) {
		t.Fatalf("err = %#v", err)
	}
	if err.Error() != "ML_PREDICT at line 2, column 3: model m not found" {
		t.Errorf("message %q", err.Error())
	}
}

func TestRewriteNilCallback(t *testing.T) {
	got, err := RewriteSQL("SELECT ML_PREDICT(m, v1, 0.5f, `x`)", nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := `SELECT ML_PREDICT(m, v1, CAST(0.5 AS FLOAT), "x")`; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestIsInferenceFunction(t *testing.T) {
	for _, f := range []string{"ml_predict", "AI_GENERATE", "Ai_Embedding", "AI_CLASSIFY", "AI_EXTRACT", "AI_SUMMARIZE", "AI_TRANSLATE", "AI_SENTIMENT", "AI_SIMILARITY"} {
		if !IsInferenceFunction(f) {
			t.Errorf("%s not recognised", f)
		}
	}
	if IsInferenceFunction("AI_QUERY") {
		t.Error("AI_QUERY recognised")
	}
}

func TestSplitModelString(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"m", []string{"m"}},
		{"s.m", []string{"s", "m"}},
		{"p.s.m", []string{"p", "s", "m"}},
		{"p.s.qwen3.6-plus", []string{"p", "s", "qwen3.6-plus"}},
		{"`a.b`", []string{"a.b"}},
		{"p.`a``b.c`", []string{"p", "a`b.c"}},
		{"Qwen3-0.6B-GGUF", []string{"Qwen3-0", "6B-GGUF"}},
		{"名字", []string{"名字"}},
		{"a`b`", []string{"a`b`"}}, // a back-quote inside a bare part is an ordinary character
	}
	for _, tc := range tests {
		got, ok := splitModelString(tc.in)
		if !ok || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("splitModelString(%q) = %q, %v; want %q", tc.in, got, ok, tc.want)
		}
	}
	for _, bad := range []string{"", ".", "a.", ".a", "a..b", "`a", "`a`b"} {
		if got, ok := splitModelString(bad); ok {
			t.Errorf("splitModelString(%q) = %q, want failure", bad, got)
		}
	}
}

// Calls nest up to MaxInferenceNesting deep; deeper is a clear error,
// found before any callback runs, and outer calls see inner ones as their
// stand-ins in ArgShapes.
func TestRewriteNesting(t *testing.T) {
	nest := func(n int) string {
		q := "x"
		for range n {
			q = "AI_GENERATE(m, v, 'a' || " + q + ")"
		}
		return "SELECT " + q
	}
	var shapes []string
	cb := func(c *InferenceCall) (string, error) {
		c.StandIn = "S"
		shapes = append(shapes, strings.Join(c.ArgShapes, ","))
		return "G(" + strings.Join(c.Args, ",") + ")", nil
	}
	got, err := RewriteSQL(nest(MaxInferenceNesting), cb)
	if err != nil {
		t.Fatal(err)
	}
	if want := "SELECT " + strings.Repeat("G('a' || ", MaxInferenceNesting) + "x" + strings.Repeat(")", MaxInferenceNesting); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if shapes[0] != "'a' || x" || shapes[1] != "'a' || S" || shapes[MaxInferenceNesting-1] != "'a' || S" {
		t.Errorf("shapes %q", shapes)
	}
	for _, depth := range []int{MaxInferenceNesting + 1, 200, 5000} {
		calls := 0
		_, err := RewriteSQL(nest(depth), func(c *InferenceCall) (string, error) { calls++; return "G", nil })
		var se *SyntaxError
		if !errors.As(err, &se) || !strings.Contains(err.Error(), "nested more than 16 deep") || calls != 0 {
			t.Fatalf("nested %d deep: %v after %d calls", depth, err, calls)
		}
		if want := (Pos{1, 8 + MaxInferenceNesting*len("AI_GENERATE(m, v, 'a' || ")}); se.Pos != want {
			t.Errorf("nested %d deep: error at %v, want %v", depth, se.Pos, want)
		}
	}
}
