package pgserver

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	duckdb "github.com/duckdb/duckdb-go/v2"

	"github.com/modelsql/modelsql/internal/engine"
	"github.com/modelsql/modelsql/internal/parser"
	"github.com/modelsql/modelsql/internal/pgcatalog"
)

// typeInfoName renders a prepared statement's column type as a DuckDB type
// name (the same spelling results carry), so one mapping serves both.
func typeInfoName(ti duckdb.TypeInfo) string {
	if ti == nil {
		return "VARCHAR"
	}
	if strings.EqualFold(ti.Alias(), "JSON") {
		return "JSON"
	}
	switch d := ti.Details().(type) {
	case *duckdb.DecimalDetails:
		return fmt.Sprintf("DECIMAL(%d,%d)", d.Width, d.Scale)
	case *duckdb.ListDetails:
		return typeInfoName(d.Child) + "[]"
	case *duckdb.ArrayDetails:
		return fmt.Sprintf("%s[%d]", typeInfoName(d.Child), d.Size)
	case *duckdb.MapDetails:
		return "MAP(" + typeInfoName(d.Key) + ", " + typeInfoName(d.Value) + ")"
	case *duckdb.StructDetails:
		parts := make([]string, len(d.Entries))
		for i, e := range d.Entries {
			parts[i] = quoteIdent(e.Name()) + " " + typeInfoName(e.Info())
		}
		return "STRUCT(" + strings.Join(parts, ", ") + ")"
	case *duckdb.UnionDetails:
		parts := make([]string, len(d.Members))
		for i, m := range d.Members {
			parts[i] = quoteIdent(m.Name) + " " + typeInfoName(m.Type)
		}
		return "UNION(" + strings.Join(parts, ", ") + ")"
	}
	switch ti.InternalType() {
	case duckdb.TYPE_BOOLEAN:
		return "BOOLEAN"
	case duckdb.TYPE_TINYINT:
		return "TINYINT"
	case duckdb.TYPE_SMALLINT:
		return "SMALLINT"
	case duckdb.TYPE_INTEGER:
		return "INTEGER"
	case duckdb.TYPE_BIGINT:
		return "BIGINT"
	case duckdb.TYPE_UTINYINT:
		return "UTINYINT"
	case duckdb.TYPE_USMALLINT:
		return "USMALLINT"
	case duckdb.TYPE_UINTEGER:
		return "UINTEGER"
	case duckdb.TYPE_UBIGINT:
		return "UBIGINT"
	case duckdb.TYPE_HUGEINT:
		return "HUGEINT"
	case duckdb.TYPE_UHUGEINT:
		return "UHUGEINT"
	case duckdb.TYPE_BIGNUM:
		return "BIGNUM"
	case duckdb.TYPE_FLOAT:
		return "FLOAT"
	case duckdb.TYPE_DOUBLE:
		return "DOUBLE"
	case duckdb.TYPE_BLOB:
		return "BLOB"
	case duckdb.TYPE_DATE:
		return "DATE"
	case duckdb.TYPE_TIME:
		return "TIME"
	case duckdb.TYPE_TIME_TZ:
		return "TIMETZ"
	case duckdb.TYPE_TIMESTAMP:
		return "TIMESTAMP"
	case duckdb.TYPE_TIMESTAMP_S:
		return "TIMESTAMP_S"
	case duckdb.TYPE_TIMESTAMP_MS:
		return "TIMESTAMP_MS"
	case duckdb.TYPE_TIMESTAMP_NS:
		return "TIMESTAMP_NS"
	case duckdb.TYPE_TIMESTAMP_TZ:
		return "TIMESTAMPTZ"
	case duckdb.TYPE_INTERVAL:
		return "INTERVAL"
	case duckdb.TYPE_UUID:
		return "UUID"
	}
	return "VARCHAR"
}

// oidForDuckType maps a parameter type DuckDB inferred to an OID; 0 means
// "unspecified" (the client sends text and DuckDB casts it).
func oidForDuckType(t duckdb.Type) uint32 {
	switch t {
	case duckdb.TYPE_BOOLEAN:
		return oidBool
	case duckdb.TYPE_TINYINT, duckdb.TYPE_SMALLINT, duckdb.TYPE_UTINYINT:
		return oidInt2
	case duckdb.TYPE_INTEGER, duckdb.TYPE_USMALLINT:
		return oidInt4
	case duckdb.TYPE_BIGINT, duckdb.TYPE_UINTEGER:
		return oidInt8
	case duckdb.TYPE_FLOAT:
		return oidFloat4
	case duckdb.TYPE_DOUBLE:
		return oidFloat8
	case duckdb.TYPE_DECIMAL, duckdb.TYPE_HUGEINT, duckdb.TYPE_UBIGINT, duckdb.TYPE_UHUGEINT:
		return oidNumeric
	case duckdb.TYPE_VARCHAR:
		return oidText
	case duckdb.TYPE_BLOB:
		return oidBytea
	case duckdb.TYPE_DATE:
		return oidDate
	case duckdb.TYPE_TIME:
		return oidTime
	case duckdb.TYPE_TIMESTAMP, duckdb.TYPE_TIMESTAMP_S, duckdb.TYPE_TIMESTAMP_MS, duckdb.TYPE_TIMESTAMP_NS:
		return oidTimestamp
	case duckdb.TYPE_TIMESTAMP_TZ:
		return oidTimestamptz
	case duckdb.TYPE_INTERVAL:
		return oidInterval
	case duckdb.TYPE_UUID:
		return oidUUID
	}
	return oidUnspecified
}

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// preparedShape is what DuckDB says about a statement without running it.
type preparedShape struct {
	paramTypes []duckdb.Type
	cols       []column
	// unresolved: DuckDB binds part of the statement only with its
	// parameter values (table-function arguments), and its columns are
	// not known yet.
	unresolved bool
}

// prepareShape prepares text on conn (binding only, nothing runs).
func prepareShape(conn *sql.Conn, text string) (*preparedShape, error) {
	var out *preparedShape
	err := engine.Prepare(conn, text, func(s *duckdb.Stmt) error {
		var err error
		out, err = shapeOf(s)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// prepareShapeRunning prepares the last statement of a text that DuckDB
// expands into several, after running the others: the ENUMs of a PIVOT's
// values, without which its columns are unknown. Only for text the Guard
// has checked.
func prepareShapeRunning(ctx context.Context, conn *sql.Conn, text string) (*preparedShape, error) {
	var out *preparedShape
	err := conn.Raw(func(dc any) error {
		c, ok := dc.(*duckdb.Conn)
		if !ok {
			return fmt.Errorf("internal error: not a DuckDB connection")
		}
		st, err := c.PrepareContext(ctx, text)
		if err != nil {
			return err
		}
		defer st.Close()
		s, ok := st.(*duckdb.Stmt)
		if !ok {
			return fmt.Errorf("internal error: not a DuckDB statement")
		}
		out, err = shapeOf(s)
		return err
	})
	return out, err
}

// shapeOf reads a prepared statement's parameter and column types.
func shapeOf(s *duckdb.Stmt) (*preparedShape, error) {
	var out preparedShape
	for i := 1; i <= s.NumInput(); i++ {
		t, err := s.ParamType(i)
		if err != nil {
			t = duckdb.TYPE_INVALID
		}
		out.paramTypes = append(out.paramTypes, t)
	}
	n, err := s.ColumnCount()
	if err != nil {
		return nil, err
	}
	for i := 0; i < n; i++ {
		name, _ := s.ColumnName(i)
		if t, err := s.ColumnType(i); err == nil && t == duckdb.TYPE_INVALID {
			out.unresolved = true
		}
		ti, err := s.ColumnTypeInfo(i)
		if err != nil {
			ti = nil
		}
		out.cols = append(out.cols, newColumn(pgcatalog.ColumnName(name), typeInfoName(ti)))
	}
	return &out, nil
}

// shapeProbes stand in for parameters whose values DuckDB needs to bind a
// statement (table-function arguments): a table name (pragma_storage_info,
// pragma_table_info: the system catalog's users table always exists) and a
// number (range, generate_series). The columns of these functions do not
// depend on the values; a function whose columns do (read_csv) fails to
// describe with a clear error rather than with a wrong description. Only
// DuckDB's binder sees the probe: nothing runs.
var shapeProbes = []struct {
	literal string
	typ     duckdb.Type
}{
	{quote(engine.SystemCatalog + ".main.users"), duckdb.TYPE_VARCHAR},
	{"0", duckdb.TYPE_BIGINT},
}

// probeShape describes a statement DuckDB cannot bind before its parameter
// values are known, by binding it with probe values.
func probeShape(conn *sql.Conn, text string, unbound *preparedShape) (*preparedShape, error) {
	for _, p := range shapeProbes {
		lits := make([]string, len(unbound.paramTypes))
		for i := range lits {
			lits[i] = p.literal
		}
		probed, err := substitute(text, lits)
		if err != nil {
			return nil, err
		}
		shape, err := prepareShape(conn, probed)
		if err != nil || shape.unresolved {
			continue
		}
		shape.paramTypes = append([]duckdb.Type(nil), unbound.paramTypes...)
		for i, t := range shape.paramTypes {
			if t == duckdb.TYPE_INVALID {
				shape.paramTypes[i] = p.typ
			}
		}
		return shape, nil
	}
	return nil, pgErr("0A000", "the result columns of this statement depend on its parameter values (DuckDB binds table-function arguments with their values); put the value in the statement or use the simple query protocol")
}

// rowsKeywords start statements that return rows.
var rowsKeywords = map[string]bool{
	"SELECT": true, "WITH": true, "VALUES": true, "FROM": true, "TABLE": true, "SHOW": true,
	"DESC": true, "DESCRIBE": true, "EXPLAIN": true, "SUMMARIZE": true, "PRAGMA": true,
	"CALL": true, "PIVOT": true, "UNPIVOT": true,
}

// returnsRows reports whether a statement's result is a row set.
func returnsRows(toks []parser.Token) bool {
	if len(toks) == 0 {
		return false
	}
	kw := strings.ToUpper(toks[0].Text)
	if rowsKeywords[kw] {
		return true
	}
	switch kw {
	case "INSERT", "UPDATE", "DELETE", "MERGE":
		for _, t := range toks {
			if t.Kind == parser.TokIdent && strings.EqualFold(t.Text, "RETURNING") {
				return true
			}
		}
	}
	return false
}

// describeStatement fills in a prepared statement's parameter types and
// result columns without running anything that changes data: DuckDB
// prepares ordinary SQL; modelsql's read-only statements (SHOW, DESC) are
// run (they are cheap and have no effect); statements with inference calls
// are run with LIMIT 0.
func (c *conn) describeStatement(ctx context.Context, ps *prepared) error {
	ps.described = true
	toks, _ := parser.Tokenize(ps.text, false)
	if cols, ok := compatColumns(ps.text); ok {
		ps.fields, ps.rows = cols, true
		return nil
	}
	if ps.model {
		// modelsql's statements take their parameters as strings. Those
		// with rows cannot be described before the values are known.
		for i := range ps.paramOIDs {
			if ps.paramOIDs[i] == oidUnspecified {
				ps.paramOIDs[i] = oidText
			}
		}
		if isModelRowsStatement(ps.text) {
			cols, ok := modelRowsColumns(ps.text)
			if !ok {
				return fmt.Errorf("parameters are not supported in %s", firstWords(ps.text, 2))
			}
			ps.fields, ps.rows = cols, true
		}
		return nil
	}
	st, perr := parser.Parse(ps.text)
	if perr == nil {
		switch st.(type) {
		case *parser.ShowModels, *parser.ShowVersions, *parser.DescModel, *parser.ShowGrants:
			if ps.nparams > 0 {
				return fmt.Errorf("parameters are not supported in %s", firstWords(ps.text, 2))
			}
			out, err := c.run(ctx, ps.text)
			if err != nil {
				return err
			}
			c.mem.release(out.held)
			ps.fields, ps.rows = out.cols, true
			return nil
		case *parser.Passthrough:
		default:
			if _, isSet := st.(*parser.Set); !isSet {
				return nil // model DDL, users, grants: no rows
			}
		}
	}
	if ps.nparams == 0 && !returnsRows(toks) {
		return nil
	}
	shape, err := c.guardedShape(ctx, ps.text)
	if err != nil {
		return err
	}
	for i := range ps.paramOIDs {
		if ps.paramOIDs[i] == oidUnspecified && i < len(shape.paramTypes) {
			ps.paramOIDs[i] = oidForDuckType(shape.paramTypes[i])
		}
	}
	if returnsRows(toks) {
		ps.rows = true
		ps.fields = shape.cols
	}
	return nil
}

// guardedShape prepares an ordinary statement for its parameter and column
// types inside the guard's check of it (Session.CheckThen), in the check's
// snapshot: a statement the user may not run is refused here as it would
// be when run, and tells nothing of the tables it reads (column names and
// types). Every description of a client's statement goes through here.
func (c *conn) guardedShape(ctx context.Context, text string) (*preparedShape, error) {
	// A catalog statement is described as it runs: rewritten (without
	// marking the catalog stale for other statements, as running would).
	if _, kind := pgcatalog.Rewrite(text); kind != pgcatalog.None {
		var err error
		if text, err = c.catalogRewrite(ctx, text); err != nil {
			return nil, err
		}
	}
	var shape *preparedShape
	err := c.sess.CheckThen(ctx, text, func() error {
		rewritten, release, err := c.sess.BindInference(ctx, text)
		if err != nil {
			return err
		}
		defer release()
		if _, pivot := parser.PivotCheckForm(rewritten); pivot {
			// DuckDB computes a PIVOT's values (its columns) before
			// the query: after the check, as running it would.
			shape, err = prepareShapeRunning(ctx, c.sess.Conn(), rewritten)
			return err
		}
		shape, err = prepareShape(c.sess.Conn(), rewritten)
		if err == nil && shape.unresolved {
			shape, err = probeShape(c.sess.Conn(), rewritten, shape)
		}
		return err
	})
	return shape, err
}

// isModelRowsStatement reports whether one of modelsql's statements returns
// rows, judged by its first words (its parameters are not bound yet).
func isModelRowsStatement(text string) bool {
	kws := parser.LeadingWords(text, 2)
	return len(kws) > 0 && (kws[0] == "SHOW" || kws[0] == "DESC" || kws[0] == "DESCRIBE")
}

func firstWords(s string, n int) string {
	f := strings.Fields(s)
	if len(f) > n {
		f = f[:n]
	}
	return strings.ToUpper(strings.Join(f, " "))
}
