// Package migrate owns the layout of a data directory's system catalog
// (system.duckdb, attached as Catalog): its format version and the ordered
// migrations that bring an older directory up to it.
//
// Every table of the system catalog is created here and nowhere else. A
// change to the catalog's layout appends one Migration to the list (never
// edits an earlier one) and adds a fixture directory written by the build
// before it (see docs/data-directory.md).
//
// pressly/goose and golang-migrate were considered: neither supports DuckDB
// in a release (their DuckDB drivers are open pull requests), both keep
// their version table in the connection's default database (here an
// in-memory one; the catalog is an attached file) and run each migration in
// its own transaction, where a data directory must move from one version to
// the next in one transaction.
package migrate

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Catalog is the DuckDB name under which system.duckdb is attached.
const Catalog = "__modelsql"

// Table is the table that records the applied migrations.
const Table = "schema_migrations"

// Migration is one step of the system catalog's layout.
type Migration struct {
	Version    int    // 1, 2, 3 … in order
	Name       string // what it changes, for the record
	Statements []string
}

// Latest is the format version this build writes.
func Latest() int { return migrations[len(migrations)-1].Version }

// NewerError refuses a data directory written by a newer modelsql.
type NewerError struct {
	Dir              string // set by the caller, which knows it
	Found, Supported int
}

func (e *NewerError) Error() string {
	dir := "the data directory"
	if e.Dir != "" {
		dir = "data directory " + e.Dir
	}
	return fmt.Sprintf("%s has format version %d, written by a newer modelsql; this modelsql reads format versions up to %d: use a newer modelsql (its catalog was not changed)",
		dir, e.Found, e.Supported)
}

// Result tells what Apply found and did.
type Result struct {
	From, To int  // format version before and after
	Legacy   bool // a directory from before format versions were recorded
}

// Apply brings the system catalog attached on db as Catalog to Latest, in
// one transaction: either every pending migration is applied and recorded,
// or nothing changes. The caller holds the data directory (DuckDB's file
// lock), so no other process migrates it at the same time.
func Apply(ctx context.Context, db *sql.DB) (Result, error) {
	return apply(ctx, db, migrations)
}

func apply(ctx context.Context, db *sql.DB, ms []Migration) (res Result, err error) {
	if err := check(ms); err != nil {
		return res, err
	}
	latest := ms[len(ms)-1].Version
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return res, err
	}
	defer func() {
		if err != nil {
			tx.Rollback()
		}
	}()
	tables, err := catalogTables(ctx, tx)
	if err != nil {
		return res, fmt.Errorf("read the system catalog: %w", err)
	}
	switch {
	case tables[Table]:
		var v sql.NullInt64
		if err := tx.QueryRowContext(ctx, `SELECT max(version) FROM `+Catalog+`.main.`+Table).Scan(&v); err != nil {
			return res, fmt.Errorf("read the format version: %w", err)
		}
		res.From = int(v.Int64)
	case tables["models"]:
		// Before format versions were recorded, every build wrote layout 1
		// (creating some of its tables on first use, so some may be missing:
		// migration 1 creates only what is missing).
		res.Legacy = true
	}
	if res.From > latest {
		return res, &NewerError{Found: res.From, Supported: latest}
	}
	res.To = res.From
	if res.From == latest {
		return res, tx.Commit()
	}
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS `+Catalog+`.main.`+Table+` (
		version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL)`); err != nil {
		return res, fmt.Errorf("create %s: %w", Table, err)
	}
	now := time.Now().UTC()
	for _, m := range ms[res.From:] {
		for _, q := range m.Statements {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return res, fmt.Errorf("migrate the system catalog to format version %d (%s): %w", m.Version, m.Name, err)
			}
		}
		name := m.Name
		if res.Legacy && m.Version == 1 {
			name += " (recognised in a directory from before format versions)"
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO `+Catalog+`.main.`+Table+` VALUES (?, ?, ?)`, m.Version, name, now); err != nil {
			return res, fmt.Errorf("record format version %d: %w", m.Version, err)
		}
		res.To = m.Version
	}
	return res, tx.Commit()
}

// check rejects a list whose versions are not 1, 2, 3 … (a programming error).
func check(ms []Migration) error {
	if len(ms) == 0 {
		return fmt.Errorf("internal error: no migrations")
	}
	for i, m := range ms {
		if m.Version != i+1 || len(m.Statements) == 0 {
			return fmt.Errorf("internal error: migration %d of the list has version %d and %d statements", i+1, m.Version, len(m.Statements))
		}
	}
	return nil
}

func catalogTables(ctx context.Context, tx *sql.Tx) (map[string]bool, error) {
	rows, err := tx.QueryContext(ctx, `SELECT table_name FROM duckdb_tables() WHERE database_name = ? AND schema_name = 'main'`, Catalog)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		out[n] = true
	}
	return out, rows.Err()
}
