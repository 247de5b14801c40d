package engine

import (
	"context"
	"database/sql"
)

// DuckDBVersion returns the version of the linked DuckDB library (e.g.
// "v1.5.6") and its source id, read from a throw-away in-memory database.
func DuckDBVersion(ctx context.Context) (version, sourceID string, err error) {
	db, err := sql.Open("duckdb", "")
	if err != nil {
		return "", "", err
	}
	defer db.Close()
	err = db.QueryRowContext(ctx, "SELECT library_version, source_id FROM pragma_version()").Scan(&version, &sourceID)
	return version, sourceID, err
}
