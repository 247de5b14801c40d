package session

import (
	"context"
	"strings"

	duckdb "github.com/duckdb/duckdb-go/v2"

	"github.com/modelsql/modelsql/internal/duckrun"
	"github.com/modelsql/modelsql/internal/engine"
	"github.com/modelsql/modelsql/internal/parser"
)

// spoolTable is the session's temporary table a spooled result goes
// through (temporary tables are the connection's own).
const spoolTable = "temp.main.modelsql_spooled_result"

// spoolable reports whether a statement is a query whose result can go
// through a temporary table: one that only reads.
func spoolable(q string) bool {
	toks, err := parser.Tokenize(q, false)
	if err != nil || len(toks) == 0 {
		return false
	}
	switch strings.ToUpper(toks[0].Text) {
	case "SELECT", "WITH", "FROM", "VALUES":
	default:
		return false
	}
	for _, t := range toks { // WITH ... INSERT/UPDATE/DELETE is not a query
		if t.Kind == parser.TokIdent {
			switch strings.ToUpper(t.Text) {
			case "INSERT", "UPDATE", "DELETE", "MERGE", "CREATE", "COPY":
				return false
			}
		}
	}
	return true
}

// spoolQuery runs a query that waits on AI calls, whose result DuckDB
// computes whole before the first row is read (duckrun.Query: waiting costs
// no CPU), into a temporary table of the session, then streams the rows
// from it. DuckDB keeps a materialised result outside --memory-limit
// (measured: a 572 MiB result took the server's RSS up by 594 MiB with a
// 256 MB limit), while a table's blocks count toward the limit and spill
// to DuckDB's temporary directory.
//
// A table renames duplicate column names (a, a_1): the rows keep the
// query's own names, read from its prepared statement.
func (s *Session) spoolQuery(ctx context.Context, q string, read func(duckrun.Rows) error) error {
	var names []string
	err := engine.Prepare(s.conn, q, func(st *duckdb.Stmt) error {
		n, err := st.ColumnCount()
		if err != nil {
			return err
		}
		for i := 0; i < n; i++ {
			name, err := st.ColumnName(i)
			if err != nil {
				return err
			}
			names = append(names, name)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if err := duckrun.Query(s.progressContext(ctx), s.conn, "CREATE OR REPLACE TEMP TABLE "+spoolTable+" AS "+q, func(duckrun.Rows) error { return nil }); err != nil {
		return err
	}
	defer s.conn.ExecContext(context.WithoutCancel(ctx), "DROP TABLE IF EXISTS "+spoolTable)
	return duckrun.QueryStream(ctx, s.conn, "FROM "+spoolTable, func(r duckrun.Rows) error {
		return read(namedRows{r, names})
	})
}

// namedRows are rows under other column names.
type namedRows struct {
	duckrun.Rows
	names []string
}

func (r namedRows) Columns() []string {
	if len(r.names) != len(r.Rows.Columns()) {
		return r.Rows.Columns()
	}
	return append([]string(nil), r.names...)
}
