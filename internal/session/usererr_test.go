package session

import (
	"errors"
	"testing"

	"github.com/modelsql/modelsql/internal/functions"
)

func TestUserError(t *testing.T) {
	cases := []struct{ in, want string }{
		{"Catalog Error: Table with name nosuch does not exist!\nDid you mean \"x\"?\n\nLINE 1: ... coalesce(to_json(('x')), 'null')), ('x')) FROM nosuch\n     ^",
			"Catalog Error: Table with name nosuch does not exist!\nDid you mean \"x\"?"},
		{"Binder Error: No function matches the given name and argument types '__modelsql_ml_predict_cls(VARCHAR)'.",
			"Binder Error: No function matches the given name and argument types (in an inference call)"},
		{"Conversion Error: could not convert", "Conversion Error: could not convert"},
	}
	calls := []*functions.Binding{{Func: "ML_PREDICT"}}
	for _, c := range cases {
		if got := userError(errors.New(c.in), calls).Error(); got != c.want {
			t.Errorf("userError(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	// Without inference calls, DuckDB's positions are the user's: kept.
	in := "Catalog Error: x\n\nLINE 1: SELECT * FROM x"
	if got := userError(errors.New(in), nil).Error(); got != in {
		t.Errorf("statement without calls: %q", got)
	}
}
