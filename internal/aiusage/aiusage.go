// Package aiusage records what each statement's AI calls did, in the
// system catalog's ai_usage table (created by package migrate): one row per
// AI call of a statement, written when the statement ends, whether it
// succeeded, failed or was cancelled.
package aiusage

import (
	"context"
	"database/sql"
	"time"
)

// Table is where the records go.
const Table = "__modelsql.main.ai_usage"

// Record is the work of one AI call of one statement.
type Record struct {
	QueryID, User             string
	Model, Version, Function  string
	Rows, Requests, CacheHits int64
	InputTokens, OutputTokens int64 // as the server's usage reported them
	Retries, Errors           int64
	CacheMisses               int64         // requests the cache could not answer (metrics only, not stored)
	Elapsed                   time.Duration // of the statement, planning included
	AvgLatency                time.Duration // mean time of the requests sent (0: none)
}

// Write stores records in one transaction of the system catalog (never the
// user's transaction: DuckDB lets one transaction write one database).
func Write(ctx context.Context, db *sql.DB, recs []Record) error {
	if len(recs) == 0 {
		return nil
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	now := time.Now().UTC()
	for _, r := range recs {
		if _, err := tx.ExecContext(ctx, `INSERT INTO `+Table+` VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			r.QueryID, now, r.User, r.Model, r.Version, r.Function, r.Rows, r.Requests, r.CacheHits,
			r.InputTokens, r.OutputTokens, r.Retries, r.Errors, r.Elapsed.Milliseconds(), avgMs(r.AvgLatency)); err != nil {
			return err
		}
	}
	return tx.Commit()
}

func avgMs(d time.Duration) any {
	if d <= 0 {
		return nil
	}
	return float64(d) / float64(time.Millisecond)
}

// RecentLatency is the mean request latency of the latest statement that
// sent requests to a model version, or 0 when none did.
func RecentLatency(ctx context.Context, db *sql.DB, model, version string) (time.Duration, error) {
	var ms sql.NullFloat64
	err := db.QueryRowContext(ctx, `SELECT avg_latency_ms FROM `+Table+` WHERE model = ? AND version = ? AND avg_latency_ms IS NOT NULL ORDER BY time DESC LIMIT 1`,
		model, version).Scan(&ms)
	if err == sql.ErrNoRows || !ms.Valid {
		return 0, nil
	}
	return time.Duration(ms.Float64 * float64(time.Millisecond)), err
}
