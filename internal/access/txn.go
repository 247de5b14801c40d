package access

import (
	"context"
	"strings"

	"github.com/modelsql/modelsql/internal/session"
)

// stmtTx is how one statement relates to the session's transactions.
type stmtTx struct {
	// wrapped: the guard began a transaction for this statement (it was in
	// autocommit mode) and After commits or rolls it back.
	wrapped bool
	// explicit: the statement runs inside the client's own transaction, so
	// its store changes wait for the COMMIT.
	explicit bool
	// control is BEGIN, COMMIT or ROLLBACK for transaction statements.
	control string
	// commits: a COMMIT that will really commit (DuckDB answers a COMMIT of
	// an aborted transaction with success and rolls it back).
	commits bool
}

// noteTxStatement recognises the client's transaction statements.
func (g *Guard) noteTxStatement(ctx context.Context, s *session.Session, st *sessState, text string) {
	switch firstWord(text) {
	case "BEGIN", "START":
		st.tx.control = "BEGIN"
	case "COMMIT", "END":
		st.tx.control = "COMMIT"
		// A failed statement aborts the transaction; every later one but
		// ROLLBACK then fails (and so does this probe).
		_, err := s.Conn().ExecContext(ctx, "SELECT 1")
		st.tx.commits = err == nil
	case "ROLLBACK", "ABORT":
		st.tx.control = "ROLLBACK"
	}
}

// beginTx starts the transaction that holds the check and the statement,
// unless the client's own transaction is open (which already gives both
// one snapshot). A failed BEGIN would abort the client's transaction, so
// the state is asked first: in autocommit mode every statement gets a new
// transaction id, inside a transaction they share one.
func (g *Guard) beginTx(ctx context.Context, s *session.Session, st *sessState) error {
	var id1, id2 int64
	c := s.Conn()
	err := c.QueryRowContext(ctx, "SELECT txid_current()").Scan(&id1)
	if err == nil {
		err = c.QueryRowContext(ctx, "SELECT txid_current()").Scan(&id2)
	}
	switch {
	case err != nil && inTransaction(err):
		st.tx.explicit = true // aborted: the statement fails anyway
		return nil
	case err != nil:
		return err
	case id1 == id2:
		st.tx.explicit = true
		return nil
	}
	if _, err := c.ExecContext(context.WithoutCancel(ctx), "BEGIN TRANSACTION"); err != nil {
		return err
	}
	st.tx.wrapped = true
	return nil
}

// endTx commits (or rolls back) the transaction beginTx started.
func (g *Guard) endTx(ctx context.Context, s *session.Session, st *sessState, commit bool) error {
	if !st.tx.wrapped {
		return nil
	}
	st.tx.wrapped = false
	ctx = context.WithoutCancel(ctx)
	if commit {
		_, err := s.Conn().ExecContext(ctx, "COMMIT")
		if err == nil {
			return nil
		}
		// A failed commit leaves no transaction behind; make sure.
		s.Conn().ExecContext(ctx, "ROLLBACK")
		return err
	}
	if _, err := s.Conn().ExecContext(ctx, "ROLLBACK"); err != nil {
		g.logger.Printf("user %s: roll back a checked statement: %v", s.User, err)
	}
	return nil
}

// afterControl applies or drops the pending store changes when the client's
// transaction ends (ok: the control statement succeeded).
func (g *Guard) afterControl(ctx context.Context, st *sessState, ok bool) {
	switch st.tx.control {
	case "COMMIT":
		if ok && st.tx.commits {
			apply(ctx, st.pending)
		}
		st.pending = nil
	case "ROLLBACK":
		st.pending = nil
	case "BEGIN":
		if ok {
			st.pending = nil
		}
	}
}

func inTransaction(err error) bool {
	return strings.Contains(err.Error(), "transaction is aborted")
}
