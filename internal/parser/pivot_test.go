package parser

import (
	"strings"
	"testing"
)

func TestPivotCheckForm(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"PIVOT sales ON k USING sum(v)", "PIVOT sales ON k IN (NULL) USING sum(v)"},
		{"pivot sales on k", "pivot sales on k IN (NULL)"},
		{"PIVOT sales ON k, (a || b) USING sum(v) GROUP BY g", "PIVOT sales ON k IN (NULL), (a || b) IN (NULL) USING sum(v) GROUP BY g"},
		{"PIVOT sales ON k IN ('a'), j USING sum(v)", "PIVOT sales ON k IN ('a'), j IN (NULL) USING sum(v)"},
		{"SELECT * FROM (PIVOT sales ON k USING sum(v)) p", "SELECT * FROM (PIVOT sales ON k IN (NULL) USING sum(v)) p"},
		{"PIVOT (SELECT * FROM t WHERE x IN (1)) ON k USING count(*)", "PIVOT (SELECT * FROM t WHERE x IN (1)) ON k IN (NULL) USING count(*)"},
		{"WITH c AS (PIVOT t ON k) SELECT * FROM c", "WITH c AS (PIVOT t ON k IN (NULL)) SELECT * FROM c"},
		{"CREATE TABLE x AS PIVOT t ON k USING sum(v);", "CREATE TABLE x AS PIVOT t ON k IN (NULL) USING sum(v);"},
		{"PIVOT_WIDER t ON k", "PIVOT_WIDER t ON k IN (NULL)"},
		{"PIVOT t ON k /* c */ USING sum(v)", "PIVOT t ON k IN (NULL) /* c */ USING sum(v)"},
	} {
		got, changed := PivotCheckForm(tc.in)
		if got != tc.want || !changed {
			t.Errorf("%q:\n got %q (%v)\nwant %q", tc.in, got, changed, tc.want)
		}
	}
	for _, in := range []string{
		"PIVOT sales ON k IN ('a') USING sum(v)",
		"SELECT * FROM t PIVOT (sum(v) FOR k IN ('a', 'b'))",
		"UNPIVOT t ON a, b INTO NAME n VALUE v",
		"SELECT 'PIVOT t ON k'",
		"SELECT * FROM a JOIN b ON a.x = b.x",
		"PIVOT 'unterminated",
	} {
		if got, changed := PivotCheckForm(in); changed || got != in {
			t.Errorf("%q changed to %q", in, got)
		}
	}
}

// FuzzPivotCheckForm: any text; the check form only ever adds IN lists.
func FuzzPivotCheckForm(f *testing.F) {
	for _, s := range []string{"PIVOT sales ON k USING sum(v)", "SELECT * FROM (PIVOT (SELECT 1) ON a, b IN (1) USING count(*)) x", "PIVOT t ON (a", "pivot(pivot on on"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out, changed := PivotCheckForm(in)
		if !changed {
			if out != in {
				t.Fatalf("unchanged but different: %q", out)
			}
			return
		}
		added := (len(out) - len(in)) / len(" IN (NULL)")
		if added < 1 || len(out) != len(in)+added*len(" IN (NULL)") || strings.Count(out, " IN (NULL)") < added {
			t.Fatalf("%q became %q", in, out)
		}
	})
}
