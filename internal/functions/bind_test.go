package functions

import (
	"context"
	"testing"

	"github.com/modelsql/modelsql/internal/catalog"
)

// An inference call's stand-in (what outer calls' type signatures hold in
// its place) has the type of the registered function it stands for.
func TestStandInTypes(t *testing.T) {
	conn, reg := predictConn(t)
	if err := RegisterRemote(conn, reg); err != nil {
		t.Fatal(err)
	}
	type call struct {
		fn, modelType, duckFn string
	}
	calls := []call{
		{"ML_PREDICT", catalog.TypeClassifier, PredictClassifierFunc},
		{"ML_PREDICT", catalog.TypeRegressor, PredictRegressorFunc},
	}
	for name := range aiFuncs {
		calls = append(calls, call{name, catalog.TypeLLM, duckName(name)})
	}
	for _, c := range calls {
		b := &Binding{Func: c.fn, Model: &catalog.Model{ModelType: c.modelType}}
		// DESCRIBE types the expressions without running them.
		rows, err := conn.QueryContext(context.Background(), "DESCRIBE SELECT "+c.duckFn+"('h') AS real, "+StandIn(b)+" AS stand_in")
		if err != nil {
			t.Fatalf("%s: %v", c.fn, err)
		}
		types := map[string]string{}
		for rows.Next() {
			var name, typ string
			var null, key, def, extra any
			if err := rows.Scan(&name, &typ, &null, &key, &def, &extra); err != nil {
				t.Fatal(err)
			}
			types[name] = typ
		}
		rows.Close()
		if types["real"] == "" || types["real"] != types["stand_in"] {
			t.Errorf("%s on %s: function type %q, stand-in %q", c.fn, c.modelType, types["real"], types["stand_in"])
		}
	}
}
