// Package engine owns the embedded DuckDB instance behind a data directory.
//
// Layout of a data directory:
//
//	system.duckdb          catalog of models, versions, stored model files, users
//	projects/<name>.duckdb one DuckDB database per project, attached under the
//	                       project's name so that DuckDB's catalog.schema.table
//	                       is MaxCompute's project.schema.table
//	secret.key             key that encrypts secrets at rest
//
// The directory is 0700 and its files 0600 (see makePrivate); the system
// catalog's layout and format version belong to package migrate
// (docs/data-directory.md).
//
// DuckDB lets one process at a time open a database file for writing. The
// engine therefore holds the data directory for its whole life; a second
// process waits (up to LockTimeout) for the first to finish.
package engine

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	duckdb "github.com/duckdb/duckdb-go/v2"

	"github.com/modelsql/modelsql/internal/migrate"
)

// SystemCatalog is the DuckDB name of the attached system database, whose
// layout package migrate owns.
const SystemCatalog = migrate.Catalog

// DefaultSchema exists in every project.
const DefaultSchema = "default"

// Options tune Open.
type Options struct {
	// LockTimeout bounds the wait for another process holding the data
	// directory. Zero means 60 seconds.
	LockTimeout time.Duration
	// Threads sets DuckDB's worker threads; zero keeps DuckDB's default.
	Threads int
	// MemoryLimit is DuckDB's memory_limit setting, e.g. "4GB"; empty keeps the default.
	MemoryLimit string
}

// Engine is an open data directory.
type Engine struct {
	DataDir string
	DB      *sql.DB

	mu       sync.Mutex
	attached map[string]bool
}

// Open opens (creating if needed) the data directory.
func Open(ctx context.Context, dataDir string, opt Options) (*Engine, error) {
	if opt.LockTimeout == 0 {
		opt.LockTimeout = 60 * time.Second
	}
	abs, err := filepath.Abs(dataDir)
	if err != nil {
		return nil, err
	}
	if err := makePrivate(abs); err != nil {
		return nil, err
	}
	connector, err := duckdb.NewConnector("", func(execer driver.ExecerContext) error {
		// Nothing may reach the network: no extension downloads.
		for _, q := range []string{
			"SET autoinstall_known_extensions = false",
			"SET autoload_known_extensions = false",
		} {
			if _, err := execer.ExecContext(ctx, q, nil); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	db := sql.OpenDB(connector)
	e := &Engine{DataDir: abs, DB: db, attached: map[string]bool{}}
	if opt.Threads > 0 {
		if _, err := db.ExecContext(ctx, fmt.Sprintf("SET threads = %d", opt.Threads)); err != nil {
			db.Close()
			return nil, err
		}
	}
	if opt.MemoryLimit != "" {
		if _, err := db.ExecContext(ctx, "SET memory_limit = "+QuoteString(opt.MemoryLimit)); err != nil {
			db.Close()
			return nil, err
		}
	}
	sys := filepath.Join(abs, "system.duckdb")
	if err := e.attachWithRetry(ctx, sys, SystemCatalog, opt.LockTimeout); err != nil {
		db.Close()
		return nil, err
	}
	// Under the lock just taken: bring the system catalog to this build's
	// format version, or refuse a directory written by a newer build.
	if _, err := migrate.Apply(ctx, db); err != nil {
		db.Close()
		if ne := (*migrate.NewerError)(nil); errors.As(err, &ne) {
			ne.Dir = abs
			return nil, ne
		}
		return nil, fmt.Errorf("data directory %s: %w", abs, err)
	}
	// Attach every existing project.
	entries, _ := os.ReadDir(filepath.Join(abs, "projects"))
	for _, ent := range entries {
		name, ok := strings.CutSuffix(ent.Name(), ".duckdb")
		if !ok || ent.IsDir() {
			continue
		}
		if err := e.attachWithRetry(ctx, e.projectPath(name), name, opt.LockTimeout); err != nil {
			db.Close()
			return nil, err
		}
	}
	return e, nil
}

// Close releases the data directory.
func (e *Engine) Close() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	// Checkpoint so that the WAL is folded in and the files are self-contained.
	for name := range e.attached {
		e.DB.Exec("CHECKPOINT " + QuoteIdent(name))
	}
	return e.DB.Close()
}

func (e *Engine) projectPath(name string) string {
	return filepath.Join(e.DataDir, "projects", name+".duckdb")
}

func (e *Engine) attachWithRetry(ctx context.Context, path, name string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	delay := 20 * time.Millisecond
	for {
		_, err := e.DB.ExecContext(ctx, fmt.Sprintf("ATTACH IF NOT EXISTS %s AS %s", QuoteString(path), QuoteIdent(name)))
		if err == nil {
			e.mu.Lock()
			e.attached[name] = true
			e.mu.Unlock()
			return nil
		}
		if !strings.Contains(err.Error(), "Could not set lock") {
			return fmt.Errorf("open %s: %w", path, err)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("data directory %s is in use by another modelsql process (waited %s): %w", e.DataDir, timeout, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(delay):
		}
		if delay < 500*time.Millisecond {
			delay *= 2
		}
	}
}

// ValidProjectName reports whether name may name a project: letters, digits
// and '_', starting with a letter, at most 128 bytes.
func ValidProjectName(name string) bool {
	if name == "" || len(name) > 128 {
		return false
	}
	for i, r := range name {
		isLetter := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'
		if !(isLetter || (i > 0 && (r == '_' || r >= '0' && r <= '9'))) {
			return false
		}
	}
	return true
}

// EnsureProject creates the project (and its default schema) when missing.
func (e *Engine) EnsureProject(ctx context.Context, name string) error {
	name = strings.ToLower(name)
	if !ValidProjectName(name) {
		return fmt.Errorf("invalid project name %q: use letters, digits and '_', starting with a letter, at most 128 bytes", name)
	}
	if name == SystemCatalog || name == "memory" || name == "system" || name == "temp" {
		return fmt.Errorf("project name %q is reserved", name)
	}
	e.mu.Lock()
	ok := e.attached[name]
	e.mu.Unlock()
	if !ok {
		if err := e.attachWithRetry(ctx, e.projectPath(name), name, 0); err != nil {
			return err
		}
	}
	_, err := e.DB.ExecContext(ctx, fmt.Sprintf("CREATE SCHEMA IF NOT EXISTS %s.%s", QuoteIdent(name), QuoteIdent(DefaultSchema)))
	return err
}

// HasProject reports whether the project exists.
func (e *Engine) HasProject(name string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.attached[strings.ToLower(name)] && strings.ToLower(name) != SystemCatalog
}

// Projects lists the projects, sorted.
func (e *Engine) Projects() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []string
	for n := range e.attached {
		if n != SystemCatalog {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

// HasSchema reports whether project.schema exists.
func (e *Engine) HasSchema(ctx context.Context, project, schema string) (bool, error) {
	if !e.HasProject(project) {
		return false, nil
	}
	var n int
	err := e.DB.QueryRowContext(ctx,
		"SELECT count(*) FROM duckdb_schemas() WHERE database_name = ? AND lower(schema_name) = lower(?)",
		strings.ToLower(project), schema).Scan(&n)
	return n > 0, err
}

// QuoteIdent quotes a DuckDB identifier.
func QuoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// QuoteString quotes a DuckDB string literal.
func QuoteString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
