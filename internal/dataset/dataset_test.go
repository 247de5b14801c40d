package dataset

import (
	"context"
	"database/sql"
	"math"
	"reflect"
	"strings"
	"testing"

	_ "github.com/duckdb/duckdb-go/v2"
)

func testConn(t *testing.T) *sql.Conn {
	t.Helper()
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

func TestReadColumnsAndLabels(t *testing.T) {
	conn := testConn(t)
	ctx := context.Background()
	// 5000 rows: several chunks; a constant column, NULLs, DECIMAL, BOOLEAN.
	q := `SELECT 1.5 AS c, CASE WHEN i % 7 = 0 THEN NULL ELSE i::INTEGER END AS a,
	        (i / 4)::DECIMAL(10,2) AS d, i % 2 = 0 AS b,
	        CASE i % 3 WHEN 0 THEN 'zeta' WHEN 1 THEN 'alpha' ELSE 'a very long class name' END AS y,
	        i % 10 = 9 AS ev
	      FROM range(5000) t(i) ORDER BY i`
	tab, err := Read(ctx, conn, q, Spec{Label: "y", LabelKind: ClassLabel, Split: "ev"}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := []string{tab.Features[0].Name, tab.Features[1].Type, tab.Features[2].Type, tab.Features[3].Type}; !reflect.DeepEqual(got, []string{"c", "INTEGER", "DECIMAL(10,2)", "BOOLEAN"}) {
		t.Fatalf("features %v", tab.Features)
	}
	if !reflect.DeepEqual(tab.Classes, []string{"a very long class name", "alpha", "zeta"}) {
		t.Fatalf("classes %v", tab.Classes)
	}
	if tab.Train.NRows != 4500 || tab.Eval.NRows != 500 {
		t.Fatalf("rows %d/%d", tab.Train.NRows, tab.Eval.NRows)
	}
	n := tab.Train.NRows
	// train row k is source row i = k + k/9 (every 10th row went to eval).
	for k := 0; k < n; k++ {
		i := k + k/9
		if c := tab.Train.Columns[0][k]; c != 1.5 {
			t.Fatalf("row %d: c = %v", k, c)
		}
		a := tab.Train.Columns[1][k]
		if i%7 == 0 {
			if !math.IsNaN(float64(a)) {
				t.Fatalf("row %d: NULL read as %v", k, a)
			}
		} else if a != float32(i) {
			t.Fatalf("row %d: a = %v, want %d", k, a, i)
		}
		if d := tab.Train.Columns[2][k]; d != float32(float64(i)/4) {
			t.Fatalf("row %d: d = %v", k, d)
		}
		if b := tab.Train.Columns[3][k]; b != float32(1-i%2) {
			t.Fatalf("row %d: b = %v", k, b)
		}
		want := map[int]float32{0: 2, 1: 1, 2: 0}[i%3]
		if l := tab.Train.Labels[k]; l != want {
			t.Fatalf("row %d: label %v, want %v", k, l, want)
		}
	}
}

func TestReadIntegerClassesAndFraction(t *testing.T) {
	conn := testConn(t)
	tab, err := Read(context.Background(), conn, `SELECT i::DOUBLE AS x, (i % 3) * 10 - 5 AS y FROM range(10) t(i) ORDER BY i`, Spec{Label: "y", LabelKind: ClassLabel}, 0.25)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(tab.Classes, []string{"-5", "5", "15"}) {
		t.Fatalf("classes %v (integers sort numerically)", tab.Classes)
	}
	if tab.Train.NRows != 7 || tab.Eval.NRows != 3 || tab.Eval.Columns[0][0] != 7 {
		t.Fatalf("split %d/%d %v", tab.Train.NRows, tab.Eval.NRows, tab.Eval.Columns)
	}
	if !reflect.DeepEqual(tab.Train.Labels, []float32{0, 1, 2, 0, 1, 2, 0}) {
		t.Fatalf("labels %v", tab.Train.Labels)
	}
}

func TestReadErrorsNameTheColumn(t *testing.T) {
	conn := testConn(t)
	for _, tc := range []struct {
		q, label string
		kind     LabelKind
		want     string
	}{
		{`SELECT 'a' AS s, 1 AS y`, "y", NumLabel, "feature column s has type VARCHAR"},
		{`SELECT 1 AS x, 'a' AS y`, "y", NumLabel, "label column y has type VARCHAR"},
		{`SELECT 1 AS x, 1.5 AS y`, "y", ClassLabel, "label column y has type DECIMAL(2,1)"},
		{`SELECT 1 AS x, 2 AS z`, "y", NumLabel, "label column y is not a column of the query"},
		{`SELECT 1 AS x, NULL::INT AS y`, "y", NumLabel, "label is NULL in row 1"},
		{`SELECT 1 AS x, 2 AS X, 3 AS y`, "y", NumLabel, "two columns named"},
		{`SELECT DATE '2020-01-01' AS d, 1 AS y`, "y", NumLabel, "feature column d has type DATE"},
	} {
		_, err := Read(context.Background(), conn, tc.q, Spec{Label: tc.label, LabelKind: tc.kind}, 0)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err %v, want %q", tc.q, err, tc.want)
		}
	}
}

func TestReadQueryErrorMidStream(t *testing.T) {
	conn := testConn(t)
	_, err := Read(context.Background(), conn, `SELECT i AS x, CASE WHEN i = 4000 THEN error('boom') ELSE 1 END AS y FROM range(5000) t(i)`, Spec{Label: "y", LabelKind: NumLabel}, 0)
	if err == nil || !strings.Contains(err.Error(), "boom") {
		t.Fatalf("err %v", err)
	}
}
