package aibudget

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// The per-user daily limits (server mode): administrators set them in
// LimitsTable; every statement's requests and tokens are added up per user
// and UTC day in UsageTable (both in the system catalog, created by
// package migrate), so the limits hold across sessions and restarts.
const (
	LimitsTable = "__modelsql.main.ai_user_limits"
	UsageTable  = "__modelsql.main.ai_user_usage"
)

func today() string { return time.Now().UTC().Format("2006-01-02") }

// DailyLeft returns what user may still send today: requests and tokens
// (negative: no limit).
func DailyLeft(ctx context.Context, db *sql.DB, user string) (requests, tokens int64, err error) {
	var maxR, maxT, usedR, usedT int64
	err = db.QueryRowContext(ctx, `SELECT l.max_requests_per_day, l.max_tokens_per_day,
			coalesce(u.requests, 0), coalesce(u.tokens, 0)
		FROM `+LimitsTable+` l LEFT JOIN `+UsageTable+` u ON u.user_name = l.user_name AND u.day = ?::DATE
		WHERE l.user_name = ?`, today(), user).Scan(&maxR, &maxT, &usedR, &usedT)
	if err == sql.ErrNoRows {
		return -1, -1, nil
	}
	if err != nil {
		return 0, 0, fmt.Errorf("read the AI limits of user %s: %w", user, err)
	}
	requests, tokens = -1, -1
	if maxR > 0 {
		requests = max(maxR-usedR, 0)
	}
	if maxT > 0 {
		tokens = max(maxT-usedT, 0)
	}
	return requests, tokens, nil
}

// CapDaily applies user's daily limits to b.
func (b *Budget) CapDaily(ctx context.Context, db *sql.DB, user string) error {
	r, t, err := DailyLeft(ctx, db, user)
	if err != nil {
		return err
	}
	b.Cap(r, t, fmt.Sprintf("the daily AI limit of user %s", user))
	return nil
}

// RecordDaily adds what b spent to user's usage of today.
func (b *Budget) RecordDaily(ctx context.Context, db *sql.DB, user string) error {
	r, t := b.Spent()
	if r == 0 && t == 0 {
		return nil
	}
	_, err := db.ExecContext(ctx, `INSERT INTO `+UsageTable+` VALUES (?, ?::DATE, ?, ?)
		ON CONFLICT (user_name, day) DO UPDATE SET requests = requests + excluded.requests, tokens = tokens + excluded.tokens`,
		user, today(), r, t)
	return err
}
