package functions

import (
	"context"
	"database/sql"
	"math"
	"strconv"
	"testing"

	"github.com/modelsql/modelsql/internal/catalog"
	"github.com/modelsql/modelsql/internal/xgboost"
)

// sumPredictor predicts the sum of its features (NaN counts as 1000), so
// the fast and the boxed feature paths can be compared on real chunks.
type sumPredictor struct{ nf int }

func (p sumPredictor) NumFeatures() int { return p.nf }
func (p sumPredictor) Outputs() int     { return 1 }
func (p sumPredictor) PredictRows(f []float32, n int, out []float32) error {
	for r := range n {
		var s float32
		for _, v := range f[r*p.nf : (r+1)*p.nf] {
			if math.IsNaN(float64(v)) {
				v = 1000
			}
			s += v
		}
		out[r] = s
	}
	return nil
}
func (p sumPredictor) PredictColumns(cols []xgboost.Column, n int, out []float32) error {
	rows := make([]float32, n*p.nf)
	for c, col := range cols {
		for r := range n {
			rows[r*p.nf+c] = col.Values[r]
			if col.Valid != nil && col.Valid[r/64]&(1<<(r%64)) == 0 {
				rows[r*p.nf+c] = float32(math.NaN())
			}
		}
	}
	return p.PredictRows(rows, n, out)
}
func (p sumPredictor) ClassProbs() int                   { return 0 }
func (p sumPredictor) Classify(row, probs []float32) int { return 0 }

// predictConn opens an in-memory DuckDB connection with the ML_PREDICT
// functions registered; the test's cleanup closes it.
func predictConn(t *testing.T) (*sql.Conn, *Registry) {
	t.Helper()
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(); db.Close() })
	reg := NewRegistry()
	if err := RegisterBind(conn, reg); err != nil {
		t.Fatal(err)
	}
	if err := RegisterPredict(conn, reg); err != nil {
		t.Fatal(err)
	}
	return conn, reg
}

func TestPredictReadsVectorsDirectly(t *testing.T) {
	if !chunkFieldOK || !resultVecOK {
		t.Fatal("duckdb-go layout changed: the fast paths are off")
	}
	ctx := context.Background()
	conn, reg := predictConn(t)
	cols := []catalog.Column{{Name: "a", Type: "DOUBLE"}, {Name: "b", Type: "BIGINT"}, {Name: "c", Type: "FLOAT"}, {Name: "d", Type: "BOOLEAN"}, {Name: "e", Type: "INT"}, {Name: "f", Type: "FLOAT"}}
	b := &Binding{Func: "ML_PREDICT", Model: &catalog.Model{Project: "p", Schema: "s", Name: "m", ModelType: catalog.TypeRegressor},
		Version: &catalog.Version{Name: "v1", Inputs: cols}, Predictor: sumPredictor{6}}
	h := reg.Bind(b)
	args := []string{"i * 0.5::DOUBLE", "i", "CAST(i AS FLOAT) / 4", "i % 2 = 0", "CASE WHEN i % 7 = 0 THEN NULL ELSE CAST(-i AS INT) END", "CASE WHEN i % 3 = 0 THEN NULL ELSE CAST(i AS FLOAT) END"}
	q := "SELECT count(*), sum(CAST(" + PredictCall(b, h, CallArgs{Values: args}) + " AS DOUBLE)) FROM range(5000) t(i)"
	var n int
	var got float64
	if err := conn.QueryRowContext(ctx, q).Scan(&n, &got); err != nil {
		t.Fatal(err)
	}
	var want float64
	for i := range 5000 {
		e := float32(-i)
		if i%7 == 0 {
			e = 1000
		}
		d := float32(0)
		if i%2 == 0 {
			d = 1
		}
		f := float32(i)
		if i%3 == 0 {
			f = 1000
		}
		want += float64(float32(i)*0.5 + float32(i) + float32(i)/4 + d + e + f)
	}
	if n != 5000 || math.Abs(got-want) > 1e-6*math.Abs(want)+1 {
		t.Fatalf("sum %v over %d rows, want %v", got, n, want)
	}
	if fastReads.Load() == 0 {
		t.Fatal("the vectorised read path was not used")
	}
}

// classPredictor is a k-class classifier whose outputs are the row's
// features; the label is the largest (the first if tied). With k == 0 it
// gives labels only, as multi:softmax does.
type classPredictor struct{ nf, k int }

func (p classPredictor) NumFeatures() int { return p.nf }
func (p classPredictor) Outputs() int     { return p.nf }
func (p classPredictor) PredictRows(f []float32, n int, out []float32) error {
	copy(out, f[:n*p.nf])
	return nil
}
func (p classPredictor) PredictColumns(cols []xgboost.Column, n int, out []float32) error {
	for c, col := range cols {
		for r := range n {
			out[r*p.nf+c] = col.Values[r]
		}
	}
	return nil
}
func (p classPredictor) ClassProbs() int { return p.k }
func (p classPredictor) Classify(row, probs []float32) int {
	label := 0
	for i, v := range row {
		if v > row[label] {
			label = i
		}
	}
	copy(probs, row[:p.k])
	return label
}

func TestClassifierResultsWrittenDirectly(t *testing.T) {
	ctx := context.Background()
	conn, reg := predictConn(t)
	cols := []catalog.Column{{Name: "a", Type: "FLOAT"}, {Name: "b", Type: "FLOAT"}, {Name: "c", Type: "FLOAT"}}
	args := []string{"CAST(i % 7 AS FLOAT)", "CAST(i % 5 AS FLOAT) + 0.5", "CAST(i % 11 AS FLOAT) / 2"}
	feature := func(i int) [3]float32 { return [3]float32{float32(i % 7), float32(i%5) + 0.5, float32(i%11) / 2} }
	before := fastClassWrites.Load()
	for _, k := range []int{3, 0} {
		b := &Binding{Func: "ML_PREDICT", Model: &catalog.Model{Project: "p", Schema: "s", Name: "m", ModelType: catalog.TypeClassifier},
			Version: &catalog.Version{Name: "v1", Inputs: cols}, Predictor: classPredictor{3, k}}
		// 5,000 rows are three chunks.
		q := "SELECT i, p.label, p.probs FROM (SELECT i, " + PredictCall(b, reg.Bind(b), CallArgs{Values: args}) + " AS p FROM range(5000) t(i)) ORDER BY i"
		rows, err := conn.QueryContext(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close() // before conn.Close, which waits for it
		n := 0
		for rows.Next() {
			var i int
			var label string
			var probs []any
			if err := rows.Scan(&i, &label, &probs); err != nil {
				t.Fatal(err)
			}
			f := feature(i)
			want := classPredictor{3, k}.Classify(f[:], make([]float32, k))
			if label != strconv.Itoa(want) || len(probs) != k {
				t.Fatalf("k=%d row %d: label %q, %d probs; want %d, %d", k, i, label, len(probs), want, k)
			}
			for j, v := range probs {
				if v.(float32) != f[j] {
					t.Fatalf("k=%d row %d: probs %v, want %v", k, i, probs, f[:k])
				}
			}
			n++
		}
		if err := rows.Err(); err != nil || n != 5000 {
			t.Fatalf("%d rows, %v", n, err)
		}
	}
	if fastClassWrites.Load() == before {
		t.Fatal("classifier results were not written directly")
	}
}
