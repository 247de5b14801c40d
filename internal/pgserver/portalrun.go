package pgserver

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/modelsql/modelsql/internal/parser"
	"github.com/modelsql/modelsql/internal/session"
)

// A portal executed with maxRows (PortalSuspended; JDBC's setFetchSize)
// keeps its statement running between Executes: a portal run (the
// protocol's cursor; SQL-level DECLARE/FETCH cursors are another thing). Its rows come from
// DuckDB's streaming result as Executes ask for them, so the session never
// holds the result whole.
//
// While a portal run is open its statement holds the session's DuckDB
// connection, and nothing else can run on the session. Before anything else
// uses the session (a Query, a Describe, a Bind that asks DuckDB the
// parameter types, an Execute of another portal) open portal runs are parked:
// their remaining rows are read into the session's memory (counted against
// --session-memory; over it, that portal fails with 53200 at its next
// Execute) and the statement ends; later Executes fetch from there. This
// keeps PostgreSQL's semantics (a portal lives until its transaction ends,
// a Query closes the unnamed portal, Sync outside a transaction closes them
// all) at the cost of memory only for clients that interleave.

// portalRun is a portal's statement running in its own goroutine.
type portalRun struct {
	text    string
	rows    chan []any           // rows, handed over one by one
	started chan *session.Result // the result's columns, before any row
	done    chan struct{}        // closed when the statement ended
	stop    chan struct{}        // closed to abandon the rest
	ctx     context.Context
	cancel  context.CancelFunc
	res     *session.Result // set before done is closed
	err     error           // set before done is closed
	sent    int64           // rows sent so far
}

// errPortalClosed ends a portal run's statement whose rest is not wanted.
var errPortalClosed = errors.New("portal closed")

// portalSink hands a portal run's rows over to the connection's goroutine.
type portalSink struct{ run *portalRun }

func (s portalSink) Start(res *session.Result) (bool, error) {
	if len(res.Columns) == 1 && (res.Columns[0] == "Count" || res.Columns[0] == "Success") && !rowsKeywords[firstKeyword(s.run.text)] {
		return false, nil
	}
	select {
	case s.run.started <- res:
		return true, nil
	case <-s.run.stop:
		return false, errPortalClosed
	}
}

func (s portalSink) Row(vals []any) error {
	select {
	case s.run.rows <- vals:
		return nil
	case <-s.run.stop:
		return errPortalClosed
	}
}

// portalRunKeywords start the statements a portal run runs: queries, which have
// no effect when abandoned part-way. Others (INSERT ... RETURNING, ...)
// run whole at the first Execute, as in PostgreSQL.
var portalRunKeywords = map[string]bool{"SELECT": true, "WITH": true, "VALUES": true, "FROM": true, "TABLE": true}

// runsAsPortal reports whether a portal's statement runs as a portal run.
func (c *conn) runsAsPortal(p *portal) bool {
	if p.stmt.model || p.copy != nil || !portalRunKeywords[firstKeyword(p.text)] {
		return false
	}
	if _, ok := compatColumns(p.text); ok {
		return false
	}
	st, err := parser.Parse(p.text)
	if err != nil {
		return false
	}
	_, ok := st.(*parser.Passthrough)
	return ok
}

// startPortalRun starts p's statement as a portal run. When the statement ends
// before its first row set (an error, or a result that is not a row set)
// p.out is set instead.
func (c *conn) startPortalRun(ctx context.Context, p *portal) error {
	ctx, cancel := context.WithCancel(ctx)
	cur := &portalRun{ctx: ctx, text: p.text, rows: make(chan []any), started: make(chan *session.Result),
		done: make(chan struct{}), stop: make(chan struct{}), cancel: cancel}
	go func() {
		defer close(cur.done)
		cur.res, cur.err = c.sess.ExecStream(ctx, cur.text, portalSink{cur})
	}()
	var res *session.Result
	c.setRunning(cancel)
	select {
	case res = <-cur.started:
	case <-cur.done:
	}
	c.setRunning(nil)
	if res == nil { // ended without rows
		err := cur.err
		if err != nil && ctx.Err() != nil {
			err = &cancelError{ctx.Err()}
		}
		cancel()
		c.noteTx(cur.text, err)
		if err != nil {
			return err
		}
		p.out = shape(cur.text, cur.res)
		return nil
	}
	cols := resultColumns(res)
	if p.fields != nil {
		if len(p.fields) != len(cols) {
			c.stopPortalRun(cur)
			return fmt.Errorf("the statement's result has %d columns, %d were described", len(cols), len(p.fields))
		}
		cols = p.fields
	} else if !p.described {
		p.fields = cols // PostgreSQL sends rows without a description
	}
	if err := checkResultFormats(p.resultFormats, len(cols)); err != nil {
		c.stopPortalRun(cur)
		return err
	}
	p.live, p.liveCols = cur, cols
	return nil
}

// setRunning makes a cancel request (or shutdown) interrupt the portal run
// statement while an Execute waits on it.
func (c *conn) setRunning(cancel context.CancelFunc) {
	c.mu.Lock()
	c.runCancel, c.busy = cancel, cancel != nil
	c.mu.Unlock()
}

// fetch sends up to max rows (0: all) of p's portal run, then PortalSuspended,
// or CommandComplete when the statement ended (the portal run is then closed).
func (c *conn) fetchPortal(p *portal, max uint32) error {
	cur := p.live
	st := &streamer{c: c, formats: p.resultFormats, used: p.liveCols}
	c.setRunning(cur.cancel)
	defer c.setRunning(nil)
	for n := uint32(0); max == 0 || n < max; n++ {
		select {
		case vals := <-cur.rows:
			if err := st.Row(vals); err != nil {
				c.stopPortalRun(cur)
				p.live = nil
				p.out = &outcome{tag: "SELECT 0"}
				return err
			}
			cur.sent++
		case <-cur.done:
			p.live = nil
			err := cur.err
			if err != nil && cur.ctx.Err() != nil {
				err = &cancelError{cur.ctx.Err()}
			}
			c.noteTx(cur.text, err)
			cur.cancel()
			if err != nil {
				p.out = &outcome{tag: "SELECT 0"}
				return err
			}
			tag := rowsTag(firstKeyword(cur.text), cur.sent)
			p.out = &outcome{hasRows: true, cols: p.liveCols, tag: tag}
			c.be.Send(&pgproto3.CommandComplete{CommandTag: []byte(tag)})
			return nil
		}
	}
	if err := st.flush(); err != nil {
		return err
	}
	c.be.Send(&pgproto3.PortalSuspended{})
	return nil
}

// stopPortalRun abandons the rest of a portal run's statement and waits until it
// ended (the session is free again). A statement computing towards its next
// row is interrupted after a moment.
func (c *conn) stopPortalRun(cur *portalRun) {
	close(cur.stop)
	select {
	case <-cur.done:
	case <-time.After(100 * time.Millisecond):
		cur.cancel()
		<-cur.done
	}
	cur.cancel()
}

// park reads the rest of p's portal run into the session's memory and ends its
// statement, so that the session is free; over the session's bound the
// portal fails instead (its next Execute reports it).
func (c *conn) parkPortal(p *portal) {
	cur := p.live
	p.live = nil
	k := &collector{mem: &c.mem, text: cur.text}
	for {
		select {
		case vals := <-cur.rows:
			if err := k.Row(vals); err != nil {
				c.stopPortalRun(cur)
				c.mem.release(k.held)
				p.failed = err
				return
			}
		case <-cur.done:
			cur.cancel()
			c.noteTx(cur.text, cur.err)
			if cur.err != nil {
				c.mem.release(k.held)
				p.failed = cur.err
				return
			}
			total := cur.sent + int64(len(k.rows))
			p.out = &outcome{hasRows: true, cols: p.liveCols, rows: k.rows, tag: rowsTag(firstKeyword(cur.text), total), held: k.held}
			p.sent = 0
			return
		}
	}
}

// parkPortals parks every open portal run but keep's, before something else
// uses the session.
func (c *conn) parkPortals(keep *portal) {
	for _, p := range c.portals {
		if p != keep && p.live != nil {
			c.parkPortal(p)
		}
	}
}

// dropPortal closes a portal: its portal run is abandoned and what it held
// released.
func (c *conn) dropPortal(name string) {
	p, ok := c.portals[name]
	if !ok {
		return
	}
	if p.live != nil {
		c.stopPortalRun(p.live)
		p.live = nil
	}
	if p.out != nil {
		c.mem.release(p.out.held)
		p.out = nil
	}
	delete(c.portals, name)
}

// dropPortals closes every portal (the transaction ended, or the
// connection).
func (c *conn) dropPortals() {
	for name := range c.portals {
		c.dropPortal(name)
	}
}
