package session

import (
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/modelsql/modelsql/internal/train"
)

// trainGolden is one case of internal/train/testdata/golden (gen.py).
type trainGolden struct {
	ModelType string                          `json:"model_type"`
	LabelCol  string                          `json:"label_col"`
	Options   map[string]string               `json:"options"`
	Features  []string                        `json:"features"`
	Rows      int                             `json:"rows"`
	TrainRows int                             `json:"train_rows"`
	Classes   []string                        `json:"classes"`
	NumRounds int                             `json:"num_rounds"`
	History   map[string]map[string][]float64 `json:"history"`
	Predict   string                          `json:"predict"`
	PredShape []int                           `json:"predict_shape"`
	Contribs  string                          `json:"contribs"`
	ContShape []int                           `json:"contribs_shape"`
	Scores    map[string]map[string]float64   `json:"scores"`
	Metrics   map[string]float64              `json:"metrics"`
}

func trainGoldenDir() string { return filepath.Join("..", "train", "testdata", "golden") }

func loadTrainGolden(t *testing.T) map[string]*trainGolden {
	t.Helper()
	if _, err := train.Version(); err != nil {
		if os.Getenv("MODELSQL_REQUIRE_TOOLS") != "" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	f, err := os.Open(filepath.Join(trainGoldenDir(), "manifest.json.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Cases map[string]*trainGolden `json:"cases"`
	}
	if err := json.NewDecoder(zr).Decode(&m); err != nil {
		t.Fatal(err)
	}
	return m.Cases
}

func goldenFloats(t *testing.T, h string) []float32 {
	t.Helper()
	b, err := hex.DecodeString(h)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]float32, len(b)/4)
	for i := range out {
		out[i] = math.Float32frombits(binary.BigEndian.Uint32(b[4*i:]))
	}
	return out
}

// createGolden loads a case's rows into table <name> (with a row number
// rn) and trains model <name> version v1 in SQL with the case's options.
func createGolden(t *testing.T, s *Session, name string, c *trainGolden) string {
	t.Helper()
	csv, _ := filepath.Abs(filepath.Join(trainGoldenDir(), name+".csv"))
	name = "t_" + name // "binary" is a keyword
	types := ""
	if c.Classes != nil {
		if _, err := strconv.Atoi(c.Classes[0]); err != nil { // yes/no would be read as BOOLEAN
			types = fmt.Sprintf(", types = {'%s': 'VARCHAR'}", c.LabelCol)
		}
	}
	exec(t, s, fmt.Sprintf("CREATE TABLE %s AS SELECT row_number() OVER () AS rn, * FROM read_csv('%s'%s)", name, csv, types))
	keys := make([]string, 0, len(c.Options))
	for k := range c.Options {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	opts := []string{"MODEL_TYPE = '" + c.ModelType + "'", "LABEL_COL = '" + c.LabelCol + "'"}
	for _, k := range keys {
		opts = append(opts, k+" = '"+c.Options[k]+"'")
	}
	exec(t, s, fmt.Sprintf("CREATE MODEL %s WITH VERSION v1 OPTIONS(%s) AS SELECT * EXCLUDE (rn) FROM %s ORDER BY rn", name, strings.Join(opts, ", "), name))
	return name
}

// TestTrainInSQLMatchesPython trains the golden cases with CREATE MODEL ...
// AS SELECT over the same rows and demands XGBoost's own predictions, bit
// for bit, from ML_PREDICT, and the training record in DESC MODEL.
func TestTrainInSQLMatchesPython(t *testing.T) {
	for name, c := range loadTrainGolden(t) {
		t.Run(name, func(t *testing.T) {
			s := open(t)
			name := createGolden(t, s, name, c)
			want := goldenFloats(t, c.Predict)
			res := exec(t, s, fmt.Sprintf("SELECT ML_PREDICT(%s, v1, %s) FROM %s ORDER BY rn", name, strings.Join(c.Features, ", "), name))
			if len(res.Rows) != c.Rows {
				t.Fatalf("%d rows", len(res.Rows))
			}
			k := 1
			if len(c.PredShape) == 2 {
				k = c.PredShape[1]
			}
			for i, row := range res.Rows {
				var got []float32
				switch v := row[0].(type) {
				case string: // regressor
					x, err := strconv.ParseFloat(v, 32)
					if err != nil {
						t.Fatal(err)
					}
					got = []float32{float32(x)}
				case map[string]any:
					for _, p := range v["probs"].([]any) {
						got = append(got, p.(float32))
					}
					if k == 1 { // binary: probs are [1-p, p]
						got = got[1:]
					}
					best := 0
					for j := range got {
						if got[j] > got[best] {
							best = j
						}
					}
					if len(got) > 1 && v["label"] != c.Classes[best] {
						t.Fatalf("row %d: label %v, want class %s", i, v["label"], c.Classes[best])
					}
					if len(got) == 1 && v["label"] != c.Classes[map[bool]int{false: 0, true: 1}[got[0] > 0.5]] {
						t.Fatalf("row %d: label %v for p=%v", i, v["label"], got[0])
					}
				default:
					t.Fatalf("row %d: %T", i, row[0])
				}
				for j := range got {
					if math.Float32bits(got[j]) != math.Float32bits(want[i*k+j]) {
						t.Fatalf("row %d output %d: %v, XGBoost %v", i, j, got[j], want[i*k+j])
					}
				}
			}
			desc := map[string]string{}
			for _, r := range exec(t, s, "DESC MODEL "+name+" VERSION v1").Rows {
				desc[r[1].(string)] = r[2].(string)
			}
			if !strings.HasPrefix(desc["Training.Parameters"], "objective=") {
				t.Errorf("Training.Parameters = %q", desc["Training.Parameters"])
			}
			if desc["Training.Rows"] != strconv.Itoa(c.TrainRows) || desc["Training.Rounds"] != strconv.Itoa(c.NumRounds) || desc["Option.MODEL_SOURCE_TYPE"] != "INTERNAL_TRAIN" {
				t.Errorf("DESC: %v", desc)
			}
			for i, f := range c.Features {
				if desc[fmt.Sprintf("Input[%d]", i+1)] != f+" DOUBLE" {
					t.Errorf("Input[%d] = %q", i+1, desc[fmt.Sprintf("Input[%d]", i+1)])
				}
			}
			if _, ok := desc[fmt.Sprintf("Input[%d]", len(c.Features)+1)]; ok {
				t.Errorf("the label or split column became an input: %v", desc)
			}
			for metric, v := range c.History["train"] {
				if r0 := desc["Training.Round[0]"]; !strings.Contains(r0, fmt.Sprintf("train-%s=%g", metric, v[0])) {
					t.Errorf("Round[0] = %q, XGBoost train-%s %g", r0, metric, v[0])
				}
			}
			m := exec(t, s, "SHOW MODELS").Rows[0]
			if m[2] != "INTERNAL_TRAIN" || m[3] != c.ModelType {
				t.Errorf("SHOW MODELS: %v", m)
			}
		})
	}
}

func TestTrainInSQLErrors(t *testing.T) {
	if _, err := train.Version(); err != nil {
		t.Skip(err)
	}
	s := open(t)
	exec(t, s, "CREATE TABLE t AS SELECT i::DOUBLE AS x, 'n' || i AS name, (i >= 25)::INT AS y, DATE '2020-01-01' AS d FROM range(50) r(i)")
	exec(t, s, "CREATE MODEL imp WITH VERSION v1 INPUT(a DOUBLE, b DOUBLE, c DOUBLE, d DOUBLE) OPTIONS(MODEL_SOURCE_TYPE='IMPORT', MODEL_TYPE='BOOSTED_TREE_CLASSIFIER', LOCATION='file://"+irisPath()+"')")
	reg := "OPTIONS(MODEL_TYPE='BOOSTED_TREE_REGRESSOR', LABEL_COL='y')"
	for _, tc := range []struct{ sql, want string }{
		{"CREATE MODEL m WITH VERSION v1 " + reg + " AS SELECT x, name, y FROM t", "feature column name has type VARCHAR"},
		{"CREATE MODEL m WITH VERSION v1 OPTIONS(MODEL_TYPE='BOOSTED_TREE_REGRESSOR', LABEL_COL='name') AS SELECT x, name FROM t", "label column name has type VARCHAR"},
		{"CREATE MODEL m WITH VERSION v1 " + reg + " AS SELECT x, d, y FROM t", "feature column d has type DATE"},
		{"CREATE MODEL m WITH VERSION v1 " + reg + " AS SELECT x FROM t", "label column y is not a column"},
		{"CREATE MODEL m WITH VERSION v1 OPTIONS(MODEL_TYPE='BOOSTED_TREE_REGRESSOR') AS SELECT x, y FROM t", "LABEL_COL is required"},
		{"CREATE MODEL m WITH VERSION v1 OPTIONS(MODEL_TYPE='LLM', LABEL_COL='y') AS SELECT x, y FROM t", "cannot be trained"},
		{"CREATE MODEL m WITH VERSION v1 OPTIONS(MODEL_TYPE='BOOSTED_TREE_REGRESSOR', LABEL_COL='y', MAX_DEPHT='3') AS SELECT x, y FROM t", "unknown training option MAX_DEPHT"},
		{"CREATE MODEL m WITH VERSION v1 OPTIONS(MODEL_TYPE='BOOSTED_TREE_REGRESSOR', LABEL_COL='y', SUBSAMPLE='0') AS SELECT x, y FROM t", "SUBSAMPLE"},
		{"CREATE MODEL m WITH VERSION v1 OPTIONS(MODEL_TYPE='BOOSTED_TREE_REGRESSOR', LABEL_COL='y', EARLY_STOP_ROUNDS='2') AS SELECT x, y FROM t", "needs evaluation rows"},
		{"CREATE MODEL m WITH VERSION v1 OPTIONS(MODEL_TYPE='BOOSTED_TREE_CLASSIFIER', LABEL_COL='y') AS SELECT x, 1 AS y FROM t", "at least 2 classes"},
		{"CREATE MODEL m WITH VERSION v1 OPTIONS(MODEL_TYPE='BOOSTED_TREE_REGRESSOR', LABEL_COL='y', MODEL_SOURCE_TYPE='IMPORT') AS SELECT x, y FROM t", "MODEL_SOURCE_TYPE"},
		{"CREATE MODEL m WITH VERSION v1 INPUT(x DOUBLE) " + reg + " AS SELECT x, y FROM t", "INPUT(...) is not allowed"},
		{"CREATE MODEL m WITH VERSION v1 " + reg + " AS SELECT x AS \"bad name\", y FROM t", "rename them with AS"},
		{"CREATE MODEL m WITH VERSION v1 " + reg + " AS SELECT x, y FROM t WHERE false", "no training rows"},
		{"CREATE MODEL m WITH VERSION v1 " + reg + " AS SELECT x, y FROM nosuch", "nosuch"},
		{"ALTER MODEL imp ADD VERSION v2 OPTIONS(LABEL_COL='y') AS SELECT x, y FROM t", "is an IMPORT model"},
	} {
		if _, err := s.Exec(context.Background(), tc.sql); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err %v, want %q", tc.sql, err, tc.want)
		}
	}
	if r := exec(t, s, "SHOW MODELS"); len(r.Rows) != 1 {
		t.Fatalf("failed statements left models: %v", r.Rows)
	}
	// ADD VERSION inherits the model type; labels may be strings.
	exec(t, s, "CREATE MODEL m WITH VERSION v1 OPTIONS(MODEL_TYPE='BOOSTED_TREE_CLASSIFIER', LABEL_COL='y') AS SELECT x, y FROM t")
	exec(t, s, "ALTER MODEL m ADD VERSION v2 OPTIONS(LABEL_COL='lab', NUM_ROUNDS='3') AS SELECT x, CASE WHEN y = 1 THEN 'high' ELSE 'low' END AS lab FROM t")
	// Feature names that look like XGBoost's f0, f1, ... stay as they are.
	exec(t, s, "ALTER MODEL m ADD VERSION v9 OPTIONS(LABEL_COL='y') AS SELECT 1.0 AS f1, x AS f0, y FROM t")
	imp := exec(t, s, "SELECT list(feature ORDER BY feature) FROM ML_FEATURE_IMPORTANCE(m, v9)").Rows[0][0]
	if fmt.Sprint(imp) != "[f0]" {
		t.Errorf("importance features %v", imp)
	}
	r := exec(t, s, "SELECT ML_PREDICT(m, v2, 40.0).label, ML_PREDICT(m, v1, 40.0).label")
	if r.Rows[0][0] != "high" || r.Rows[0][1] != "1" {
		t.Fatalf("labels %v", r.Rows[0])
	}
	if _, err := s.Exec(context.Background(), "ALTER MODEL m ADD VERSION v3 OPTIONS(MODEL_TYPE='BOOSTED_TREE_REGRESSOR', LABEL_COL='y') AS SELECT x, y FROM t"); err == nil || !strings.Contains(err.Error(), "cannot be changed") {
		t.Fatalf("model type change: %v", err)
	}
}

func TestTrainCancelledStatement(t *testing.T) {
	if _, err := train.Version(); err != nil {
		t.Skip(err)
	}
	s := open(t)
	exec(t, s, "CREATE TABLE t AS SELECT random() AS a, random() AS b, random() AS y FROM range(20000)")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() {
		_, err := s.Exec(ctx, "CREATE MODEL m WITH VERSION v1 OPTIONS(MODEL_TYPE='BOOSTED_TREE_REGRESSOR', LABEL_COL='y', NUM_ROUNDS='100000', TREE_METHOD='hist') AS SELECT * FROM t")
		done <- err
	}()
	var err error
wait:
	for {
		select {
		case err = <-done:
			t.Fatalf("training ended before it was cancelled: %v", err)
		default:
		}
		if d, total := s.TrainingProgress(); d > 0 {
			if total != 100000 {
				t.Errorf("total %d", total)
			}
			break wait
		}
		time.Sleep(time.Millisecond)
	}
	cancel()
	if err = <-done; err == nil || !strings.Contains(err.Error(), "cancelled") {
		t.Fatalf("err %v", err)
	}
	if r := exec(t, s, "SHOW MODELS"); len(r.Rows) != 0 {
		t.Fatalf("a cancelled training left a model")
	}
}

// TestEvaluateExplainImportanceMatchPython checks ML_EVALUATE against
// scikit-learn's metrics (1e-9 relative), ML_EXPLAIN_PREDICT against
// XGBoost's pred_contribs (1e-5 absolute) and ML_FEATURE_IMPORTANCE
// against get_score, on the golden cases' SQL-trained versions.
func TestEvaluateExplainImportanceMatchPython(t *testing.T) {
	for name, c := range loadTrainGolden(t) {
		t.Run(name, func(t *testing.T) {
			s := open(t)
			tbl := createGolden(t, s, name, c)
			res := exec(t, s, fmt.Sprintf("SELECT * FROM ML_EVALUATE(%s, v1, (SELECT * FROM %s))", tbl, tbl))
			if len(res.Rows) != 1 || len(res.Columns) != len(c.Metrics) {
				t.Fatalf("ML_EVALUATE: %v %v", res.Columns, res.Rows)
			}
			for i, col := range res.Columns {
				want, ok := c.Metrics[col]
				got, _ := res.Rows[0][i].(float64)
				if !ok || math.Abs(got-want) > 1e-9*math.Abs(want) {
					t.Errorf("%s = %v, scikit-learn %v", col, got, want)
				}
			}
			res = exec(t, s, fmt.Sprintf("SELECT * FROM ML_FEATURE_IMPORTANCE(%s, DEFAULT_VERSION) ORDER BY feature", tbl))
			if len(res.Rows) != len(c.Scores["weight"]) {
				t.Fatalf("importance rows %v, get_score %v", res.Rows, c.Scores["weight"])
			}
			for _, r := range res.Rows {
				for i, typ := range res.Columns[1:] {
					if want := c.Scores[typ][r[0].(string)]; r[i+1].(float64) != want {
						t.Errorf("%s %s = %v, get_score %v", r[0], typ, r[i+1], want)
					}
				}
			}
			contribs := goldenFloats(t, c.Contribs)
			nf := len(c.Features)
			groups := 1
			if len(c.ContShape) == 3 {
				groups = c.ContShape[1]
			}
			res = exec(t, s, fmt.Sprintf("SELECT prediction, base_value, attributions FROM ML_EXPLAIN_PREDICT(%s, v1, (SELECT * FROM %s ORDER BY rn)) ORDER BY rn", tbl, tbl))
			if len(res.Rows) != c.Rows {
				t.Fatalf("%d rows", len(res.Rows))
			}
			for i, r := range res.Rows {
				g := 0
				if groups > 1 {
					for k, cl := range c.Classes {
						if cl == r[0] {
							g = k
						}
					}
				}
				base := contribs[(i*groups+g)*(nf+1)+nf]
				if math.Abs(r[1].(float64)-float64(base)) > 1e-5 {
					t.Fatalf("row %d base %v, XGBoost %v", i, r[1], base)
				}
				attrs := r[2].([]any)
				if len(attrs) != nf {
					t.Fatalf("row %d: %d attributions", i, len(attrs))
				}
				for j, a := range attrs {
					m := a.(map[string]any)
					want := contribs[(i*groups+g)*(nf+1)+j]
					if m["feature"] != c.Features[j] || math.Abs(m["attribution"].(float64)-float64(want)) > 1e-5 {
						t.Fatalf("row %d feature %d: %v, XGBoost %v", i, j, m, want)
					}
				}
			}
			// top_k keeps the largest contributions by absolute value.
			res = exec(t, s, fmt.Sprintf("SELECT attributions FROM ML_EXPLAIN_PREDICT(%s, v1, (SELECT * FROM %s ORDER BY rn LIMIT 5), 2) ORDER BY rn", tbl, tbl))
			for _, r := range res.Rows {
				attrs := r[0].([]any)
				if len(attrs) != 2 || math.Abs(attrs[0].(map[string]any)["attribution"].(float64)) < math.Abs(attrs[1].(map[string]any)["attribution"].(float64)) {
					t.Fatalf("top_k: %v", attrs)
				}
			}
		})
	}
}

func TestTableFunctionsOnImportedModel(t *testing.T) {
	if _, err := train.Version(); err != nil {
		t.Skip(err)
	}
	s := open(t)
	exec(t, s, "CREATE MODEL iris WITH VERSION v1 INPUT(a DOUBLE, b DOUBLE, c DOUBLE, d DOUBLE) OPTIONS(MODEL_SOURCE_TYPE='IMPORT', MODEL_TYPE='BOOSTED_TREE_CLASSIFIER', LOCATION='file://"+irisPath()+"')")
	exec(t, s, "CREATE TABLE flowers AS SELECT * FROM (VALUES (5.1, 3.5, 1.4, 0.2, 0), (6.7, 3.0, 5.2, 2.3, 2), (5.9, 3.0, 4.2, 1.5, 1), (6.0, 2.2, 5.0, 1.5, 2)) t(a, b, c, d, species)")
	r := exec(t, s, "SELECT accuracy FROM ML_EVALUATE(iris, v1, (SELECT * FROM flowers), 'species')")
	if r.Rows[0][0].(float64) < 0.5 {
		t.Errorf("accuracy %v", r.Rows[0][0])
	}
	r = exec(t, s, "SELECT feature FROM ML_FEATURE_IMPORTANCE(iris, v1) ORDER BY feature")
	for _, row := range r.Rows {
		if f := row[0].(string); f != "a" && f != "b" && f != "c" && f != "d" {
			t.Errorf("feature %q is not an INPUT name", f)
		}
	}
	r = exec(t, s, "SELECT species, prediction FROM ML_EXPLAIN_PREDICT(iris, v1, (SELECT * FROM flowers)) ORDER BY species")
	if len(r.Rows) != 4 {
		t.Fatalf("%v", r.Rows)
	}
	for _, tc := range []struct{ sql, want string }{
		{"SELECT * FROM ML_EVALUATE(iris, v1, (SELECT * FROM flowers))", "give the label column"},
		{"SELECT * FROM ML_EVALUATE(iris, v1, 'flowers', 'species')", "must be a query in parentheses"},
		{"SELECT * FROM ML_EVALUATE(iris, v1)", "takes 3 to 4 arguments"},
		{"SELECT * FROM ML_EVALUATE(iris, v1, (SELECT * FROM flowers), 'a')", "not one of the model's classes"},
		{"SELECT * FROM ML_EXPLAIN_PREDICT(iris, v1, (SELECT * FROM flowers), 0)", "top_k"},
		{"SELECT * FROM ML_FEATURE_IMPORTANCE(nosuch, v1)", "nosuch"},
		{"SELECT * FROM ML_EVALUATE(iris, v1, (SELECT a FROM flowers), 'species')", "b"},
	} {
		if _, err := s.Exec(context.Background(), tc.sql); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err %v, want %q", tc.sql, err, tc.want)
		}
	}
}

func TestRegisterModelData(t *testing.T) {
	s := open(t)
	raw, err := os.ReadFile(irisPath())
	if err != nil {
		t.Fatal(err)
	}
	data := base64.StdEncoding.EncodeToString(raw)
	in4 := "INPUT(a DOUBLE, b DOUBLE, c DOUBLE, d DOUBLE)"
	for _, tc := range []struct{ sql, want string }{
		{"CREATE MODEL r WITH VERSION v1 " + in4 + " OPTIONS(MODEL_SOURCE_TYPE='INTERNAL_TRAIN', MODEL_TYPE='BOOSTED_TREE_CLASSIFIER')", "MODEL_DATA"},
		{"CREATE MODEL r WITH VERSION v1 " + in4 + " OPTIONS(MODEL_SOURCE_TYPE='INTERNAL_TRAIN', MODEL_TYPE='BOOSTED_TREE_CLASSIFIER', MODEL_DATA='%%%')", "not valid base64"},
		{"CREATE MODEL r WITH VERSION v1 " + in4 + " OPTIONS(MODEL_SOURCE_TYPE='INTERNAL_TRAIN', MODEL_TYPE='BOOSTED_TREE_CLASSIFIER', MODEL_DATA='aGVsbG8=')", "MODEL_DATA:"},
		{"CREATE MODEL r WITH VERSION v1 INPUT(a DOUBLE) OPTIONS(MODEL_SOURCE_TYPE='INTERNAL_TRAIN', MODEL_TYPE='BOOSTED_TREE_CLASSIFIER', MODEL_DATA='" + data + "')", "INPUT declares 1"},
		{"CREATE MODEL r WITH VERSION v1 " + in4 + " OPTIONS(MODEL_SOURCE_TYPE='INTERNAL_TRAIN', MODEL_TYPE='BOOSTED_TREE_REGRESSOR', MODEL_DATA='" + data + "')", "classification objective"},
		{"CREATE MODEL r WITH VERSION v1 " + in4 + " OPTIONS(MODEL_SOURCE_TYPE='INTERNAL_TRAIN', MODEL_TYPE='BOOSTED_TREE_CLASSIFIER', LOCATION='file:///x', MODEL_DATA='" + data + "')", "LOCATION is not allowed"},
		{"CREATE MODEL r WITH VERSION v1 OPTIONS(MODEL_SOURCE_TYPE='INTERNAL_TRAIN', MODEL_TYPE='BOOSTED_TREE_CLASSIFIER', MODEL_DATA='" + data + "')", "INPUT(...) is required"},
	} {
		if _, err := s.Exec(context.Background(), tc.sql); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%.120s: err %v, want %q", tc.sql, err, tc.want)
		}
	}
	exec(t, s, "CREATE MODEL r WITH VERSION v1 "+in4+" OPTIONS(MODEL_SOURCE_TYPE='INTERNAL_TRAIN', MODEL_TYPE='BOOSTED_TREE_CLASSIFIER', MODEL_DATA='"+data+"') COMMENT 'py'")
	exec(t, s, "ALTER MODEL r ADD VERSION v2 "+in4+" OPTIONS(MODEL_DATA='"+data+"')")
	res := exec(t, s, "DESC MODEL r VERSION v2")
	for _, row := range res.Rows {
		if strings.Contains(fmt.Sprint(row[1]), "MODEL_DATA") {
			t.Fatalf("MODEL_DATA is kept: %v", row)
		}
	}
	if got := exec(t, s, "SELECT model_base64 FROM ML_EXPORT_MODEL(r, v2)").Rows[0][0]; got != data {
		t.Fatal("ML_EXPORT_MODEL does not return the registered file")
	}
	if got := exec(t, s, "SELECT ML_PREDICT(r, v1, 5.1, 3.5, 1.4, 0.2).label").Rows[0][0]; got != "0" {
		t.Fatalf("label %v", got)
	}
}
