package access

import (
	"encoding/json"
	"strings"
	"testing"
)

// DuckDB plans a chain of UNION ALLs as one LOGICAL_UNION with a child per
// branch; clean branches pass, a definition column in any branch taints it.
func TestDefinitionFlowNaryUnion(t *testing.T) {
	get := func(fn, col string) string {
		return `{"type":"LOGICAL_GET","name":"` + fn + `","names":["` + col + `"],"column_indexes":[{"index":0}],"children":[]}`
	}
	join := `{"type":"LOGICAL_COMPARISON_JOIN","children":[` + get("duckdb_tables", "table_name") + `,` + get("duckdb_tables", "table_name") + `]}`
	cases := []struct {
		branches []string
		leak     bool
	}{
		{[]string{get("duckdb_tables", "table_name"), get("duckdb_views", "view_name"), get("duckdb_indexes", "index_name")}, false},
		{[]string{get("duckdb_tables", "table_name"), join, get("duckdb_views", "view_name")}, false},
		{[]string{get("duckdb_tables", "table_name"), get("duckdb_views", "sql"), get("duckdb_indexes", "index_name")}, true},
	}
	for i, c := range cases {
		var op map[string]any
		d := json.NewDecoder(strings.NewReader(`{"type":"LOGICAL_UNION","children":[` + strings.Join(c.branches, ",") + `]}`))
		d.UseNumber()
		if err := d.Decode(&op); err != nil {
			t.Fatal(err)
		}
		out, leak := definitionFlow(op)
		if got := leak != "" || anyTrue(out); got != c.leak {
			t.Errorf("case %d: leak %v (%q, %v), want %v", i, got, leak, out, c.leak)
		}
	}
}
