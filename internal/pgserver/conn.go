package pgserver

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/modelsql/modelsql/internal/parser"
	"github.com/modelsql/modelsql/internal/pgcatalog"
	"github.com/modelsql/modelsql/internal/session"
)

// conn is one client connection after authentication: one session.
type conn struct {
	srv    *Server
	nc     net.Conn
	rd     *peekReader
	be     *pgproto3.Backend
	sess   *session.Session
	user   string
	pid    uint32
	secret []byte
	tm     *pgtype.Map
	params map[string]string // PostgreSQL settings the client set (application_name, ...)

	stmts   map[string]*prepared
	portals map[string]*portal
	tx      byte // 'I', 'T' or 'E'
	inError bool // extended protocol: skip to Sync
	copySeq int
	cursors map[string]*cursor // DECLAREd cursors (cursor.go)
	mem     sessionMem         // what the session holds (sessmem.go)

	catalogReady bool // the PostgreSQL catalog (package pgcatalog) is installed: on first use
	catalogInTx  bool // ... inside a transaction, which may roll it back
	catalog      catalogState

	mu        sync.Mutex
	runCancel context.CancelFunc
	busy      bool
}

// prepared is a statement from Parse.
type prepared struct {
	text      string
	model     bool // one of modelsql's statements (backslashDialect)
	nparams   int
	paramOIDs []uint32
	described bool
	inferred  bool     // unspecified parameter types asked from DuckDB
	rows      bool     // returns rows (when described)
	fields    []column // result columns (when described)
}

// portal is a bound statement.
type portal struct {
	stmt          *prepared
	text          string
	resultFormats []int16
	out           *outcome // result, once run
	sent          int      // rows already sent
	described     bool     // RowDescription/NoData sent for this portal
	fields        []column // the columns announced to the client
	noData        bool
	copy          *copyStmt
	live          *portalRun // the running statement of a suspended portal (portalrun.go)
	liveCols      []column   // the columns its rows are sent with
	failed        error      // why the portal cannot be fetched any more
}

// outcome is the result of one statement, ready to send.
type outcome struct {
	cols    []column
	rows    [][]any
	hasRows bool // a row set (RowDescription), even if empty
	binary  bool // rows in binary format in the simple protocol (DECLARE BINARY)
	tag     string
	held    int64 // bytes of rows counted against the session's memory
}

// errConnLost ends the connection.
type errConnLost struct{ err error }

func (e errConnLost) Error() string { return "connection lost: " + e.err.Error() }

// exec runs one statement on the session with a cancellable context.
func (c *conn) exec(ctx context.Context, text string) (*session.Result, error) {
	return c.execTo(ctx, text, nil)
}

// execTo is exec with the rows of ordinary SQL streamed to sink (nil: none).
func (c *conn) execTo(ctx context.Context, text string, sink session.Sink) (*session.Result, error) {
	var cancel context.CancelFunc
	if d := parseTimeout(c.params["statement_timeout"]); d > 0 {
		ctx, cancel = context.WithTimeout(ctx, d)
	} else {
		ctx, cancel = context.WithCancel(ctx)
	}
	defer cancel()
	c.mu.Lock()
	c.runCancel, c.busy = cancel, true
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		c.runCancel, c.busy = nil, false
		c.mu.Unlock()
	}()
	stopWatch := c.watchDisconnect(cancel)
	res, err := c.sess.ExecStream(ctx, text, sink)
	stopWatch()
	if err != nil && ctx.Err() != nil {
		err = &cancelError{ctx.Err()}
	}
	c.noteTx(text, err)
	return res, err
}

// watchDisconnect cancels the running statement if the client closes the
// connection meanwhile (as pgx does when a query's context ends). The
// returned function stops watching; it must be called before reading again.
func (c *conn) watchDisconnect(cancel context.CancelFunc) func() {
	if c.rd == nil {
		return func() {}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		err := c.rd.peek()
		var ne net.Error
		if err != nil && !(errors.As(err, &ne) && ne.Timeout()) {
			c.srv.cfg.Logger.Printf("connection %d: client went away during a statement; cancelling it", c.pid)
			cancel()
		}
	}()
	return func() {
		c.nc.SetReadDeadline(time.Now())
		<-done
		c.srv.mu.Lock()
		if !c.srv.closing.Load() {
			c.nc.SetReadDeadline(time.Time{})
		}
		c.srv.mu.Unlock()
	}
}

// parseTimeout reads statement_timeout: milliseconds, or a number with a
// unit (ms, s, min, h); 0 means none.
func parseTimeout(v string) time.Duration {
	v = strings.TrimSpace(strings.ToLower(v))
	if v == "" || v == "0" {
		return 0
	}
	unit := time.Millisecond
	for _, u := range []struct {
		suffix string
		d      time.Duration
	}{{"ms", time.Millisecond}, {"min", time.Minute}, {"s", time.Second}, {"h", time.Hour}} {
		if strings.HasSuffix(v, u.suffix) {
			v, unit = strings.TrimSpace(strings.TrimSuffix(v, u.suffix)), u.d
			break
		}
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 {
		return 0
	}
	return time.Duration(n) * unit
}

// cancelError marks an error caused by a cancel request, a statement
// timeout or shutdown.
type cancelError struct{ err error }

func (e *cancelError) Error() string {
	if errors.Is(e.err, context.DeadlineExceeded) {
		return "canceling statement due to statement timeout"
	}
	return "canceling statement due to user request"
}
func (e *cancelError) Unwrap() error { return e.err }

// cancel interrupts the running statement, if any.
func (c *conn) cancel() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.runCancel != nil {
		c.runCancel()
	}
}

func (c *conn) isBusy() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.busy
}

// run executes one statement and shapes its result, whose rows it keeps
// (counted against the session's memory: release them with c.mem).
func (c *conn) run(ctx context.Context, text string) (*outcome, error) {
	if out, ok, err := c.cursorStatement(ctx, text); ok {
		return out, err
	}
	if out, ok, err := c.compat(text); ok {
		c.catalog.dirty = true // SET TimeZone & co. show in pg_settings
		return out, err
	}
	text, err := c.catalogRewrite(ctx, text)
	if err != nil {
		return nil, err
	}
	// A statement with effects whose rows are kept (INSERT ... RETURNING)
	// runs in a transaction of its own when none is open, so that failing
	// to keep its rows (53200) undoes it.
	own := c.tx == 'I' && !rowsKeywords[firstKeyword(text)] && returnsRows(tokens(text))
	if own {
		if _, err := c.exec(ctx, "BEGIN"); err != nil {
			return nil, err
		}
	}
	k := &collector{mem: &c.mem, text: text}
	res, err := c.execTo(ctx, text, k)
	if own {
		end := "COMMIT"
		if err != nil {
			end = "ROLLBACK"
		}
		if _, eerr := c.exec(context.WithoutCancel(ctx), end); eerr != nil && err == nil {
			err = eerr
		}
	}
	if err != nil {
		c.mem.release(k.held)
		return nil, err
	}
	out := shape(text, k.result(res))
	out.held = k.held
	return out, nil
}

// noteTx follows the transaction status for ReadyForQuery.
func (c *conn) noteTx(text string, err error) {
	kw := firstKeyword(text)
	if err != nil {
		switch kw {
		case "COMMIT", "END", "ROLLBACK", "ABORT":
			c.tx = 'I'
			c.endTransaction()
			c.catalogReady = c.catalogReady && !c.catalogInTx
			c.catalogInTx = false
		default:
			if c.tx == 'T' {
				c.tx = 'E'
			}
		}
		return
	}
	committed := (kw == "COMMIT" || kw == "END") && c.tx == 'T'
	switch kw {
	case "BEGIN", "START":
		c.tx = 'T'
	case "COMMIT", "END", "ROLLBACK", "ABORT":
		c.tx = 'I'
	}
	if c.tx == 'I' {
		c.endTransaction()
		if !committed && c.catalogInTx {
			c.catalogReady = false // rolled back with the transaction
		}
		c.catalogInTx = false
	}
}

func tokens(text string) []parser.Token {
	toks, _ := parser.Tokenize(text, false)
	return toks
}

func firstKeyword(text string) string {
	toks, err := parser.Tokenize(text, false)
	if err != nil || len(toks) == 0 {
		f := strings.Fields(text)
		if len(f) == 0 {
			return ""
		}
		return strings.ToUpper(f[0])
	}
	return strings.ToUpper(toks[0].Text)
}

// shape turns a session result into columns, rows and a command tag.
func shape(text string, res *session.Result) *outcome {
	out := &outcome{}
	kws := parser.LeadingWords(text, 6)
	kw := ""
	if len(kws) > 0 {
		kw = kws[0]
	}
	if !rowsKeywords[kw] && len(res.Columns) == 1 && (res.Columns[0] == "Count" || res.Columns[0] == "Success") && len(res.Rows) == 0 {
		out.tag = commandTag(kws) // DDL, transactions: DuckDB answers with an empty Count or Success column
		return out
	}
	if n, ok := dmlCount(kw, res); ok {
		switch kw {
		case "INSERT":
			out.tag = "INSERT 0 " + strconv.FormatInt(n, 10)
		case "CREATE":
			out.tag = "SELECT " + strconv.FormatInt(n, 10)
		default:
			out.tag = kw + " " + strconv.FormatInt(n, 10)
		}
		return out
	}
	if len(res.Columns) > 0 {
		out.hasRows = true
		out.rows = res.Rows
		out.cols = resultColumns(res)
		out.tag = rowsTag(kw, int64(len(res.Rows)))
		return out
	}
	out.tag = commandTag(kws)
	return out
}

// rowsTag is the CommandComplete tag of a statement that returned n rows.
func rowsTag(kw string, n int64) string {
	switch kw {
	case "INSERT":
		return "INSERT 0 " + strconv.FormatInt(n, 10)
	case "UPDATE", "DELETE", "MERGE":
		return kw + " " + strconv.FormatInt(n, 10)
	}
	return "SELECT " + strconv.FormatInt(n, 10)
}

// dmlCount recognises DuckDB's single "Count" result of INSERT, UPDATE,
// DELETE, COPY and CREATE TABLE AS.
func dmlCount(kw string, res *session.Result) (int64, bool) {
	switch kw {
	case "INSERT", "UPDATE", "DELETE", "COPY", "CREATE", "MERGE":
	default:
		return 0, false
	}
	if len(res.Columns) != 1 || res.Columns[0] != "Count" || len(res.Rows) != 1 {
		return 0, false
	}
	n, ok := toInt64(res.Rows[0][0])
	return n, ok
}

func countOf(res *session.Result) int64 {
	if res == nil || len(res.Rows) != 1 || len(res.Rows[0]) != 1 {
		return 0
	}
	n, _ := toInt64(res.Rows[0][0])
	return n
}

// commandTag is the CommandComplete tag of a statement without rows.
func commandTag(kws []string) string {
	if len(kws) == 0 {
		return "OK"
	}
	switch kws[0] {
	case "CREATE", "DROP", "ALTER":
		for _, w := range kws[1:] {
			switch w {
			case "OR", "REPLACE", "TEMP", "TEMPORARY", "UNIQUE", "IF", "NOT", "EXISTS", "PERSISTENT", "GLOBAL", "LOCAL":
				continue
			}
			return kws[0] + " " + w
		}
		return kws[0]
	case "BEGIN", "START":
		return "BEGIN"
	case "COMMIT", "END":
		return "COMMIT"
	case "ROLLBACK", "ABORT":
		return "ROLLBACK"
	case "USE":
		return "SET"
	}
	return kws[0]
}

// resultColumns builds the columns of a result, inferring types from values
// when the result carries no DuckDB type names.
func resultColumns(res *session.Result) []column {
	cols := make([]column, len(res.Columns))
	for i, name := range res.Columns {
		tn := ""
		if i < len(res.Types) {
			tn = res.Types[i]
		}
		if tn == "" {
			tn = "VARCHAR"
			for _, r := range res.Rows {
				if i < len(r) && r[i] != nil {
					tn = typeNameForValue(r[i])
					break
				}
			}
		}
		cols[i] = newColumn(pgcatalog.ColumnName(name), tn)
	}
	return cols
}

// --- sending ---

func (c *conn) rowDescription(cols []column, formats []int16) *pgproto3.RowDescription {
	rd := &pgproto3.RowDescription{Fields: make([]pgproto3.FieldDescription, len(cols))}
	for i, col := range cols {
		rd.Fields[i] = pgproto3.FieldDescription{
			Name:         []byte(col.Name),
			DataTypeOID:  col.OID,
			DataTypeSize: typeSize(col.OID),
			TypeModifier: col.Mod,
			Format:       formatFor(formats, i),
		}
	}
	return rd
}

func formatFor(formats []int16, i int) int16 {
	switch len(formats) {
	case 0:
		return 0
	case 1:
		return formats[0]
	}
	if i < len(formats) {
		return formats[i]
	}
	return 0
}

// sendRows sends rows [from, to) with the announced columns and formats.
func (c *conn) sendRows(cols []column, formats []int16, rows [][]any) error {
	loc := sessionLocation(c.params["TimeZone"])
	for n, row := range rows {
		if len(row) != len(cols) {
			return fmt.Errorf("internal error: row has %d values for %d columns", len(row), len(cols))
		}
		vals := make([][]byte, len(row))
		for i, v := range row {
			if v == nil {
				continue
			}
			if formatFor(formats, i) == 0 {
				if b, ok := pgText(&cols[i], v, loc); ok {
					vals[i] = b
					continue
				}
			} else if b, ok := pgBinary(&cols[i], v); ok {
				vals[i] = b
				continue
			}
			pv, err := cols[i].pgValue(v)
			if err != nil {
				return err
			}
			b, err := c.tm.Encode(cols[i].OID, formatFor(formats, i), pv, nil)
			if err != nil {
				return fmt.Errorf("column %s: %w", cols[i].Name, err)
			}
			if b == nil {
				b = []byte{}
			}
			vals[i] = b
		}
		c.be.Send(&pgproto3.DataRow{Values: vals})
		if n%1000 == 999 {
			if err := c.be.Flush(); err != nil {
				return errConnLost{err}
			}
		}
	}
	return nil
}

func (c *conn) sendError(err error) {
	c.be.Send(errorResponse(err))
}

func (c *conn) ready() error {
	tx := c.tx
	if tx == 0 {
		tx = 'I'
	}
	c.be.Send(&pgproto3.ReadyForQuery{TxStatus: tx})
	return c.be.Flush()
}

// --- simple query protocol ---

func (c *conn) simpleQuery(ctx context.Context, q string) error {
	// A Query closes the unnamed portal, and needs the session.
	c.dropPortal("")
	c.parkPortals(nil)
	defer func() {
		if c.tx == 'I' { // the transaction ended: its portals with it
			c.dropPortals()
		}
	}()
	pieces, err := parser.Split(q)
	if err != nil {
		c.sendError(err)
		return c.ready()
	}
	if len(pieces) == 0 {
		c.be.Send(&pgproto3.EmptyQueryResponse{})
		return c.ready()
	}
	for _, p := range pieces {
		if err := c.simpleOne(ctx, p.Text); err != nil {
			var lost errConnLost
			if errors.As(err, &lost) {
				return err
			}
			c.sendError(err)
			break
		}
	}
	return c.ready()
}

func (c *conn) simpleOne(ctx context.Context, text string) error {
	var out *outcome
	cs, isCopy, err := parseCopy(text)
	switch {
	case err != nil:
		return err
	case isCopy:
		if err := c.settleCursors(text); err != nil {
			return err
		}
		if cs.from {
			out, err = c.copyIn(ctx, cs)
		} else {
			out, err = c.copyOut(ctx, cs)
		}
	default:
		out, err = c.runStream(ctx, text, &streamer{c: c, describe: true})
	}
	if err != nil {
		return err
	}
	defer c.mem.release(out.held)
	if out.hasRows {
		var formats []int16
		if out.binary {
			formats = []int16{1}
		}
		c.be.Send(c.rowDescription(out.cols, formats))
		if err := c.sendRows(out.cols, formats, out.rows); err != nil {
			return err
		}
	}
	c.be.Send(&pgproto3.CommandComplete{CommandTag: []byte(out.tag)})
	return nil
}

// --- extended query protocol ---

func (c *conn) parse(m *pgproto3.Parse) error {
	if m.Name != "" {
		if _, ok := c.stmts[m.Name]; ok {
			return pgErr("42P05", fmt.Sprintf("prepared statement %q already exists", m.Name))
		}
	}
	toks, err := parser.Tokenize(m.Query, false)
	if err != nil {
		return err
	}
	n, err := paramCount(toks)
	if err != nil {
		return err
	}
	if len(m.ParameterOIDs) > n {
		n = len(m.ParameterOIDs)
	}
	ps := &prepared{text: m.Query, model: n > 0 && backslashDialect(m.Query), nparams: n, paramOIDs: make([]uint32, n)}
	copy(ps.paramOIDs, m.ParameterOIDs)
	c.stmts[m.Name] = ps
	c.be.Send(&pgproto3.ParseComplete{})
	return nil
}

func (c *conn) bind(m *pgproto3.Bind) error {
	ps, ok := c.stmts[m.PreparedStatement]
	if !ok {
		return pgErr("26000", fmt.Sprintf("prepared statement %q does not exist", m.PreparedStatement))
	}
	if err := checkBind(m, ps); err != nil {
		return err
	}
	if !ps.described && !ps.inferred && !ps.model {
		ps.inferred = true
		c.parkPortals(nil)
		c.inferParamTypes(ps)
	}
	render := literal
	var names []bool
	if ps.model {
		render = modelLiteral
		names = modelNameParams(ps.text, len(m.Parameters))
	}
	lits := make([]string, len(m.Parameters))
	for i, v := range m.Parameters {
		if names != nil && names[i] {
			id, err := modelIdent(c.tm, ps.paramOIDs[i], formatFor(m.ParameterFormatCodes, i), v)
			if err != nil {
				return pgErr("22P02", fmt.Sprintf("parameter $%d: %v", i+1, err))
			}
			lits[i] = id
			continue
		}
		lit, err := render(c.tm, ps.paramOIDs[i], formatFor(m.ParameterFormatCodes, i), v)
		if err != nil {
			return pgErr("22P02", fmt.Sprintf("parameter $%d: %v", i+1, err))
		}
		lits[i] = lit
	}
	text, err := substitute(ps.text, lits)
	if err != nil {
		return err
	}
	p := &portal{stmt: ps, text: text, resultFormats: append([]int16(nil), m.ResultFormatCodes...)}
	if ps.described {
		p.fields = ps.fields
		p.noData = !ps.rows
	}
	if cs, isCopy, err := parseCopy(text); err != nil {
		return err
	} else if isCopy {
		p.copy = cs
	}
	c.dropPortal(m.DestinationPortal)
	c.portals[m.DestinationPortal] = p
	c.be.Send(&pgproto3.BindComplete{})
	return nil
}

// inferParamTypes asks DuckDB the types of parameters the client left
// unspecified (OID 0), as PostgreSQL resolves "unknown" parameters, so that
// their text values become literals of the right type (a bytea's \x... hex
// text, for one, must not be read as a DuckDB string).
func (c *conn) inferParamTypes(ps *prepared) {
	zero := false
	for _, o := range ps.paramOIDs {
		zero = zero || o == oidUnspecified
	}
	if !zero {
		return
	}
	// A statement the guard refuses keeps its unspecified types: Execute
	// reports the refusal.
	shape, err := c.guardedShape(context.Background(), ps.text)
	if err != nil {
		return
	}
	for i := range ps.paramOIDs {
		if ps.paramOIDs[i] == oidUnspecified && i < len(shape.paramTypes) {
			ps.paramOIDs[i] = oidForDuckType(shape.paramTypes[i])
		}
	}
}

func (c *conn) describe(ctx context.Context, m *pgproto3.Describe) error {
	if err := checkObjectType("DESCRIBE", m.ObjectType); err != nil {
		return err
	}
	if m.ObjectType == 'S' {
		ps, ok := c.stmts[m.Name]
		if !ok {
			return pgErr("26000", fmt.Sprintf("prepared statement %q does not exist", m.Name))
		}
		if !ps.described {
			c.parkPortals(nil)
			if err := c.describeStatement(ctx, ps); err != nil {
				ps.described = false
				return err
			}
		}
		c.be.Send(&pgproto3.ParameterDescription{ParameterOIDs: ps.paramOIDs})
		if ps.rows {
			c.be.Send(c.rowDescription(ps.fields, nil))
		} else {
			c.be.Send(&pgproto3.NoData{})
		}
		return nil
	}
	p, ok := c.portals[m.Name]
	if !ok {
		return pgErr("34000", fmt.Sprintf("portal %q does not exist", m.Name))
	}
	p.described = true
	if p.copy != nil {
		c.be.Send(&pgproto3.NoData{})
		p.noData = true
		return nil
	}
	if p.live != nil || p.out != nil && p.fields != nil {
		// Running or run already (Execute came first): its columns are known.
		cols := p.fields
		if p.live != nil {
			cols = p.liveCols
		}
		c.be.Send(c.rowDescription(cols, p.resultFormats))
		return nil
	}
	if p.stmt.described && p.fields != nil {
		if err := checkResultFormats(p.resultFormats, len(p.fields)); err != nil {
			return err
		}
		c.be.Send(c.rowDescription(p.fields, p.resultFormats))
		return nil
	}
	toks, _ := parser.Tokenize(p.text, false)
	if !returnsRows(toks) && !isModelRows(p.text) {
		c.be.Send(&pgproto3.NoData{})
		p.noData = true
		return nil
	}
	c.parkPortals(p)
	// Ordinary SQL: DuckDB's prepared statement describes the columns, so
	// that Execute can stream the rows.
	if cols, ok := c.describeByPrepare(ctx, p.text); ok {
		p.fields = cols
		c.be.Send(c.rowDescription(p.fields, p.resultFormats))
		return nil
	}
	// Otherwise run it now: the result's own columns are exact. Execute sends the rows.
	out, err := c.run(ctx, p.text)
	if err != nil {
		return err
	}
	p.out = out
	if !out.hasRows {
		c.be.Send(&pgproto3.NoData{})
		p.noData = true
		return nil
	}
	if err := checkResultFormats(p.resultFormats, len(out.cols)); err != nil {
		return err
	}
	p.fields = out.cols
	c.be.Send(c.rowDescription(p.fields, p.resultFormats))
	return nil
}

// isModelRows reports whether a statement is one of modelsql's statements
// that return rows.
func isModelRows(text string) bool {
	st, err := parser.Parse(text)
	if err != nil {
		return false
	}
	switch st.(type) {
	case *parser.ShowModels, *parser.ShowVersions, *parser.DescModel, *parser.ShowGrants:
		return true
	}
	_, ok := compatColumns(text)
	return ok || isCursorFetch(text)
}

func (c *conn) execute(ctx context.Context, m *pgproto3.Execute) error {
	p, ok := c.portals[m.Portal]
	if !ok {
		return pgErr("34000", fmt.Sprintf("portal %q does not exist", m.Portal))
	}
	if p.failed != nil {
		return p.failed
	}
	if p.live != nil {
		return c.fetchPortal(p, m.MaxRows)
	}
	if p.out == nil && strings.TrimSpace(p.text) == "" {
		c.be.Send(&pgproto3.EmptyQueryResponse{})
		return nil
	}
	if p.out == nil {
		c.parkPortals(p)
	}
	if p.out == nil && m.MaxRows > 0 && !p.noData && c.runsAsPortal(p) {
		if err := c.startPortalRun(ctx, p); err != nil {
			return err
		}
		if p.live != nil {
			return c.fetchPortal(p, m.MaxRows)
		}
	}
	if p.out == nil {
		var out *outcome
		var err error
		switch {
		case p.copy != nil && p.copy.from:
			out, err = c.copyIn(ctx, p.copy)
		case p.copy != nil:
			out, err = c.copyOut(ctx, p.copy)
		case m.MaxRows == 0 && !p.noData:
			// All rows at once: stream them as DuckDB produces them.
			out, err = c.runStream(ctx, p.text, &streamer{c: c, formats: p.resultFormats, cols: p.fields})
			if err == nil && p.fields == nil && !p.described {
				p.fields = out.cols // as below: PostgreSQL sends rows without a description
			}
		default:
			out, err = c.run(ctx, p.text)
		}
		if err != nil {
			return err
		}
		p.out = out
	}
	out := p.out
	if out.hasRows && !p.noData {
		cols := p.fields
		if cols == nil {
			cols = out.cols
			if !p.described {
				// The client did not ask for a description: PostgreSQL sends rows anyway.
				p.fields = cols
			}
		}
		if len(cols) != len(out.cols) {
			return fmt.Errorf("the statement's result has %d columns, %d were described", len(out.cols), len(cols))
		}
		if err := checkResultFormats(p.resultFormats, len(cols)); err != nil {
			return err
		}
		rows := out.rows[p.sent:]
		if m.MaxRows > 0 && uint32(len(rows)) > m.MaxRows {
			rows = rows[:m.MaxRows]
			if err := c.sendRows(cols, p.resultFormats, rows); err != nil {
				return err
			}
			p.sent += len(rows)
			c.be.Send(&pgproto3.PortalSuspended{})
			return nil
		}
		if err := c.sendRows(cols, p.resultFormats, rows); err != nil {
			return err
		}
		p.sent += len(rows)
	}
	c.be.Send(&pgproto3.CommandComplete{CommandTag: []byte(out.tag)})
	return nil
}

func (c *conn) closeObject(m *pgproto3.Close) error {
	if err := checkObjectType("CLOSE", m.ObjectType); err != nil {
		return err
	}
	if m.ObjectType == 'S' {
		delete(c.stmts, m.Name)
	} else {
		c.dropPortal(m.Name)
	}
	c.be.Send(&pgproto3.CloseComplete{})
	return nil
}

// loop serves messages until the client leaves.
func (c *conn) loop(ctx context.Context) error {
	for {
		msg, err := c.be.Receive()
		if err != nil {
			if tooLarge, ok := asMessageTooLarge(err); ok {
				return tooLarge
			}
			if isProtocolViolation(err) {
				return pgErr("08P01", "invalid message: "+err.Error())
			}
			return errConnLost{err}
		}
		if err := c.loginValid(); err != nil {
			return err
		}
		if c.inError {
			switch msg.(type) {
			case *pgproto3.Sync:
				c.inError = false
			case *pgproto3.Terminate:
				return nil
			default:
				continue
			}
		}
		var herr error
		switch m := msg.(type) {
		case *pgproto3.Query:
			if err := c.simpleQuery(ctx, m.String); err != nil {
				return err
			}
			continue
		case *pgproto3.Parse:
			herr = c.parse(m)
		case *pgproto3.Bind:
			if herr = c.settleCursors(""); herr == nil {
				herr = c.bind(m)
			}
		case *pgproto3.Describe:
			if herr = c.settleCursors(""); herr == nil {
				herr = c.describe(ctx, m)
			}
		case *pgproto3.Execute:
			if herr = c.settleCursors(""); herr == nil {
				herr = c.execute(ctx, m)
			}
		case *pgproto3.Close:
			herr = c.closeObject(m)
		case *pgproto3.Sync:
			if c.tx == 'I' || c.tx == 0 {
				c.dropPortals()
			}
			if err := c.ready(); err != nil {
				return errConnLost{err}
			}
			continue
		case *pgproto3.Flush:
			if err := c.be.Flush(); err != nil {
				return errConnLost{err}
			}
			continue
		case *pgproto3.Terminate:
			return nil
		case *pgproto3.CopyData, *pgproto3.CopyDone, *pgproto3.CopyFail:
			continue // stray copy messages after an error
		case *pgproto3.FunctionCall:
			herr = pgErr("0A000", "the function call protocol is not supported")
		default:
			herr = pgErr("08P01", fmt.Sprintf("unexpected message %T", msg))
		}
		if herr != nil {
			var lost errConnLost
			if errors.As(herr, &lost) {
				return herr
			}
			c.sendError(herr)
			c.inError = true
			if err := c.be.Flush(); err != nil {
				return errConnLost{err}
			}
		}
	}
}
