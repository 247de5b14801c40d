package functions

import (
	"context"
	"database/sql"
	"math"
	"testing"

	duckdb "github.com/duckdb/duckdb-go/v2"

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
func (p sumPredictor) Classify(row []float32) (int, []float32) { return 0, nil }

func TestPredictReadsVectorsDirectly(t *testing.T) {
	if !chunkFieldOK || !resultVecOK {
		t.Fatal("duckdb-go layout changed: the fast paths are off")
	}
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	conn, _ := db.Conn(ctx)
	defer conn.Close()
	reg := NewRegistry()
	if err := RegisterBind(conn, reg); err != nil {
		t.Fatal(err)
	}
	if err := RegisterPredict(conn, reg); err != nil {
		t.Fatal(err)
	}
	cols := []catalog.Column{{Name: "a", Type: "DOUBLE"}, {Name: "b", Type: "BIGINT"}, {Name: "c", Type: "FLOAT"}, {Name: "d", Type: "BOOLEAN"}, {Name: "e", Type: "INT"}, {Name: "f", Type: "FLOAT"}}
	b := &Binding{Func: "ML_PREDICT", Model: &catalog.Model{Project: "p", Schema: "s", Name: "m", ModelType: catalog.TypeRegressor},
		Version: &catalog.Version{Name: "v1", Inputs: cols}, Predictor: sumPredictor{6}}
	h := reg.Bind(b)
	args := []string{"i * 0.5::DOUBLE", "i", "CAST(i AS FLOAT) / 4", "i % 2 = 0", "CASE WHEN i % 7 = 0 THEN NULL ELSE CAST(-i AS INT) END", "CASE WHEN i % 3 = 0 THEN NULL ELSE CAST(i AS FLOAT) END"}
	q := "SELECT count(*), sum(CAST(" + PredictCall(b, h, args) + " AS DOUBLE)) FROM range(5000) t(i)"
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
	_ = duckdb.TYPE_DOUBLE
}
