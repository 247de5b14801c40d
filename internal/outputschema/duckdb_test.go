package outputschema

import (
	"database/sql"
	"testing"

	_ "github.com/duckdb/duckdb-go/v2"
)

// What Check returns converts with DuckDB's from_json_strict to a value of
// the type (String), as the SQL layer does.
func TestCheckedAnswersConvertInDuckDB(t *testing.T) {
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, c := range []struct{ typ, answer, want string }{
		{"INTEGER", `{"value": 42.0}`, "42"},
		{"TINYINT", `-128`, "-128"},
		{"BIGINT", `9223372036854775807`, "9223372036854775807"},
		{"FLOAT", `-2.5e3`, "-2500.0"},
		{"DOUBLE", `0.1`, "0.1"},
		{"DECIMAL(5,2)", `123.456`, "123.46"},
		{"BOOLEAN", `true`, "true"},
		{"VARCHAR", `{"value": "it's \"quoted\""}`, `it's "quoted"`},
		{"DATE", `"2024-02-29"`, "2024-02-29"},
		{"TIMESTAMP", `"2024-01-02T03:04:05.5+01:00"`, "2024-01-02 02:04:05.5"},
		{"VARCHAR[]", `["a", null]`, "[a, NULL]"},
		{`STRUCT("a b" INTEGER, "c""d" STRUCT(x DATE[]))`, `{"a b": 1, "c\"d": {"x": ["2024-01-01"]}}`, `{'a b': 1, 'c"d': {'x': [2024-01-01]}}`},
	} {
		ty, err := Parse(c.typ)
		if err != nil {
			t.Fatal(err)
		}
		j, err := ty.Check(c.answer)
		if err != nil {
			t.Errorf("%s %s: %v", c.typ, c.answer, err)
			continue
		}
		var got, typ string
		err = db.QueryRow(`SELECT from_json_strict(?::VARCHAR, ?)::VARCHAR, typeof(from_json_strict(?::VARCHAR, ?))`, j, ty.Structure(), j, ty.Structure()).Scan(&got, &typ)
		if err != nil || got != c.want {
			t.Errorf("%s: %s -> %q %v, want %q", c.typ, j, got, err, c.want)
		}
		var want string
		db.QueryRow(`SELECT typeof(CAST(NULL AS ` + ty.String() + `))`).Scan(&want)
		if typ != want {
			t.Errorf("%s: DuckDB type %s, want %s", c.typ, typ, want)
		}
	}
}
