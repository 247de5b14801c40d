package engine

import (
	"context"
	"database/sql"
	"errors"

	duckdb "github.com/duckdb/duckdb-go/v2"
)

// InTx runs fn in a transaction on db: committed if fn returns nil, rolled
// back otherwise.
func InTx(ctx context.Context, db *sql.DB, fn func(*sql.Tx) error) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// Prepare prepares text on conn without running it and calls fn with
// DuckDB's statement, which tells the statement's type, parameters and
// result columns as DuckDB bound them.
func Prepare(conn *sql.Conn, text string, fn func(*duckdb.Stmt) error) error {
	return conn.Raw(func(dc any) error {
		c, ok := dc.(*duckdb.Conn)
		if !ok {
			return errors.New("internal error: not a DuckDB connection")
		}
		st, err := c.Prepare(text)
		if err != nil {
			return err
		}
		defer st.Close()
		s, ok := st.(*duckdb.Stmt)
		if !ok {
			return errors.New("internal error: not a DuckDB statement")
		}
		return fn(s)
	})
}
