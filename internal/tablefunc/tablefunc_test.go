package tablefunc

import (
	"reflect"
	"testing"
)

func TestFind(t *testing.T) {
	sql := "SELECT * FROM ml_evaluate(m, v1, (SELECT a, 'x,)' AS s FROM t WHERE f(a, b) > 0), 'y') JOIN ML_FEATURE_IMPORTANCE(`p`.`s`.`m`, DEFAULT_VERSION) ON true -- ML_EXPLAIN_PREDICT("
	calls, err := Find(sql)
	if err != nil {
		t.Fatal(err)
	}
	if len(calls) != 2 {
		t.Fatalf("%+v", calls)
	}
	if c := calls[0]; c.Func != Evaluate || !reflect.DeepEqual(c.Args, []string{"m", "v1", "(SELECT a, 'x,)' AS s FROM t WHERE f(a, b) > 0)", "'y'"}) || sql[c.Start:c.End] != "ml_evaluate(m, v1, (SELECT a, 'x,)' AS s FROM t WHERE f(a, b) > 0), 'y')" {
		t.Fatalf("%+v", c)
	}
	if c := calls[1]; c.Func != FeatureImportance || !reflect.DeepEqual(c.Args, []string{"`p`.`s`.`m`", "DEFAULT_VERSION"}) {
		t.Fatalf("%+v", c)
	}
	if calls, _ := Find("SELECT ml_evaluate FROM t"); len(calls) != 0 {
		t.Fatalf("a column named ml_evaluate: %+v", calls)
	}
	if _, err := Find("SELECT * FROM ML_EVALUATE(m, v, (SELECT 1)"); err == nil {
		t.Fatal("unclosed call accepted")
	}
	if q, err := Query(Evaluate, " ( WITH a AS (SELECT 1) SELECT * FROM a ) "); err != nil || q != "WITH a AS (SELECT 1) SELECT * FROM a" {
		t.Fatalf("%q %v", q, err)
	}
	for _, bad := range []string{"t", "(1)", "'SELECT 1'"} {
		if _, err := Query(Evaluate, bad); err == nil {
			t.Errorf("%s accepted as a query", bad)
		}
	}
}

func FuzzFind(f *testing.F) {
	f.Add("SELECT * FROM ML_EVALUATE(m, v, (SELECT 1), 'y')")
	f.Add("ML_EXPLAIN_PREDICT((((")
	f.Add("ml_feature_importance(a, b) ml_feature_importance(")
	f.Fuzz(func(t *testing.T, s string) {
		calls, err := Find(s)
		if err != nil {
			return
		}
		last := 0
		for _, c := range calls {
			if c.Start < last || c.End > len(s) || c.Start >= c.End {
				t.Fatalf("bad range %+v in %q", c, s)
			}
			last = c.End
		}
	})
}
