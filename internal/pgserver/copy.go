package pgserver

import (
	"bytes"
	"context"
	"database/sql/driver"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	duckdb "github.com/duckdb/duckdb-go/v2"
	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/modelsql/modelsql/internal/parser"
	"github.com/modelsql/modelsql/internal/session"
)

// COPY ... FROM STDIN and COPY ... TO STDOUT.
//
// FROM STDIN: rows are parsed here (text, csv or binary), appended to a
// temporary staging table of the session and moved into the target with one
// checked INSERT ... SELECT (see copyIn). TO STDOUT runs the query as an
// ordinary statement and streams it.

type copyStmt struct {
	table   string   // SQL text of the table name ("" for a query)
	query   string   // COPY (query) TO STDOUT
	columns []string // SQL text of the column names
	from    bool
	format  string // text, csv, binary
	header  bool
	delim   string
	quote   string
	escape  string
	null    string
}

// parseCopy recognises COPY ... FROM STDIN / TO STDOUT. ok is false for
// other statements (including COPY with server files, which go to the
// session and its guard).
func parseCopy(text string) (cs *copyStmt, ok bool, err error) {
	toks, err := parser.Tokenize(text, false)
	if err != nil || len(toks) < 4 || !strings.EqualFold(toks[0].Text, "COPY") {
		return nil, false, nil
	}
	i := 1
	cs = &copyStmt{format: "text"}
	ident := func(t parser.Token) (string, bool) {
		switch {
		case t.Kind == parser.TokIdent:
			return t.Text, true
		case t.Kind == parser.TokQuotedIdent, t.Kind == parser.TokString && t.Quote == '"':
			return quoteIdent(t.Value), true
		}
		return "", false
	}
	isOp := func(j int, op string) bool {
		return j < len(toks) && toks[j].Kind == parser.TokOp && toks[j].Text == op
	}
	isKw := func(j int, kw string) bool {
		return j < len(toks) && toks[j].Kind == parser.TokIdent && strings.EqualFold(toks[j].Text, kw)
	}
	if isOp(i, "(") {
		depth := 0
		start := i
		for ; i < len(toks); i++ {
			if isOp(i, "(") {
				depth++
			} else if isOp(i, ")") {
				depth--
				if depth == 0 {
					break
				}
			}
		}
		if i >= len(toks) {
			return nil, false, nil
		}
		cs.query = strings.TrimSpace(text[toks[start].End:toks[i].Off])
		i++
	} else {
		var parts []string
		for {
			s, ok := ident(toks[i])
			if !ok {
				return nil, false, nil
			}
			parts = append(parts, s)
			i++
			if !isOp(i, ".") {
				break
			}
			i++
		}
		cs.table = strings.Join(parts, ".")
		if isOp(i, "(") {
			i++
			for {
				s, ok := ident(toks[i])
				if !ok {
					return nil, false, nil
				}
				cs.columns = append(cs.columns, s)
				i++
				if isOp(i, ",") {
					i++
					continue
				}
				if !isOp(i, ")") {
					return nil, false, nil
				}
				i++
				break
			}
		}
	}
	switch {
	case isKw(i, "FROM") && isKw(i+1, "STDIN"):
		cs.from = true
	case isKw(i, "TO") && isKw(i+1, "STDOUT"):
	default:
		return nil, false, nil
	}
	if cs.from && cs.query != "" {
		return nil, true, errors.New("COPY (query) FROM STDIN is not valid")
	}
	i += 2
	value := func() (string, error) {
		if isKw(i, "AS") {
			i++
		}
		if i >= len(toks) || toks[i].Kind == parser.TokEOF {
			return "", errors.New("COPY option needs a value")
		}
		t := toks[i]
		i++
		if t.Kind == parser.TokString {
			return t.Value, nil
		}
		return t.Text, nil
	}
	setOpt := func(name string, val string, hasVal bool) error {
		switch strings.ToUpper(name) {
		case "FORMAT":
			cs.format = strings.ToLower(val)
			if cs.format != "text" && cs.format != "csv" && cs.format != "binary" {
				return fmt.Errorf("COPY format %q is not supported (text, csv, binary)", val)
			}
		case "CSV":
			cs.format = "csv"
		case "BINARY":
			cs.format = "binary"
		case "HEADER":
			cs.header = !hasVal || isTrue(val)
		case "DELIMITER":
			cs.delim = val
		case "NULL":
			cs.null = val
		case "QUOTE":
			cs.quote = val
		case "ESCAPE":
			cs.escape = val
		case "ENCODING":
			if !strings.EqualFold(val, "UTF8") && !strings.EqualFold(val, "UTF-8") {
				return fmt.Errorf("COPY encoding %s is not supported (UTF8 only)", val)
			}
		case "FREEZE", "OIDS":
		default:
			return fmt.Errorf("COPY option %s is not supported", name)
		}
		return nil
	}
	if isKw(i, "WITH") {
		i++
	}
	if isOp(i, "(") {
		i++
		for !isOp(i, ")") {
			if i >= len(toks) || toks[i].Kind == parser.TokEOF {
				return nil, true, errors.New("unterminated COPY option list")
			}
			name := toks[i].Text
			i++
			val, hasVal := "", false
			if !isOp(i, ",") && !isOp(i, ")") {
				v, err := value()
				if err != nil {
					return nil, true, err
				}
				val, hasVal = v, true
			}
			if err := setOpt(name, val, hasVal); err != nil {
				return nil, true, err
			}
			if isOp(i, ",") {
				i++
			}
		}
		i++
	} else {
		for i < len(toks) && toks[i].Kind != parser.TokEOF && !isOp(i, ";") {
			name := strings.ToUpper(toks[i].Text)
			i++
			switch name {
			case "CSV", "BINARY", "HEADER", "FREEZE":
				if err := setOpt(name, "", false); err != nil {
					return nil, true, err
				}
			case "DELIMITER", "NULL", "QUOTE", "ESCAPE", "ENCODING", "FORMAT":
				v, err := value()
				if err != nil {
					return nil, true, err
				}
				if err := setOpt(name, v, true); err != nil {
					return nil, true, err
				}
			default:
				return nil, true, fmt.Errorf("COPY option %s is not supported", name)
			}
		}
	}
	for i < len(toks) && isOp(i, ";") {
		i++
	}
	if i < len(toks) && toks[i].Kind != parser.TokEOF {
		return nil, true, fmt.Errorf("unexpected %q in COPY", toks[i].Text)
	}
	// PostgreSQL's defaults.
	if cs.delim == "" {
		cs.delim = "\t"
		if cs.format == "csv" {
			cs.delim = ","
		}
	}
	if cs.format == "csv" {
		if cs.quote == "" {
			cs.quote = `"`
		}
		if cs.escape == "" {
			cs.escape = cs.quote
		}
	} else if cs.null == "" {
		cs.null = `\N`
	}
	if len(cs.delim) != 1 || len(cs.quote) > 1 || len(cs.escape) > 1 {
		return nil, true, errors.New("COPY delimiter, quote and escape must be single one-byte characters")
	}
	if cs.header && cs.format != "csv" {
		return nil, true, errors.New("COPY HEADER is available only in CSV mode")
	}
	return cs, true, nil
}

func isTrue(v string) bool {
	switch strings.ToLower(v) {
	case "", "true", "on", "1", "yes", "match":
		return true
	}
	return false
}

// copyIn runs COPY ... FROM STDIN: the rows go through DuckDB's appender
// into a temporary all-VARCHAR staging table of the session, then one
// INSERT ... SELECT (checked by the guard like any statement: Update on the
// target) casts them into the target. All rows or none; no file is involved.
// errCheckOnly tells the guard that a checked statement was not run.
var errCheckOnly = errors.New("checked only")

func (c *conn) copyIn(ctx context.Context, cs *copyStmt) (*outcome, error) {
	sel := "SELECT * FROM " + cs.table + " LIMIT 0"
	if len(cs.columns) > 0 {
		sel = "SELECT " + strings.Join(cs.columns, ", ") + " FROM " + cs.table + " LIMIT 0"
	}
	// The target's columns are read after the guard's check of a write
	// to it (Update, what COPY FROM needs), so that a user who may not
	// write it learns nothing of it here.
	var shape *preparedShape
	err := c.sess.CheckThen(ctx, "DELETE FROM "+cs.table+" WHERE false", func() error {
		var err error
		shape, err = prepareShape(c.sess.Conn(), sel)
		return err
	})
	if err != nil {
		return nil, err
	}
	cols := shape.cols
	c.copySeq++
	stage := fmt.Sprintf("copy_stage_%d_%d", c.pid, c.copySeq)
	var defs []string
	for i := range cols {
		defs = append(defs, fmt.Sprintf("c%d VARCHAR", i+1))
	}
	if _, err := c.exec(ctx, "CREATE TEMP TABLE "+stage+" ("+strings.Join(defs, ", ")+")"); err != nil {
		return nil, err
	}
	defer c.exec(context.Background(), "DROP TABLE IF EXISTS temp.main."+stage)
	insert := copyInsert(cs, cols, "temp.main."+stage)
	// Check before the client sends anything.
	if g := c.srv.cfg.Guard; g != nil {
		st, err := parser.Parse(insert)
		if err != nil {
			return nil, err
		}
		if err := g.Check(ctx, c.sess, st, insert); err != nil {
			return nil, err
		}
		// Only a check: end what Check began (the INSERT runs later, checked again).
		g.After(ctx, c.sess, st, insert, errCheckOnly)
	}
	format := int16(0)
	if cs.format == "binary" {
		format = 1
	}
	colFormats := make([]uint16, len(cols))
	for i := range colFormats {
		colFormats[i] = uint16(format)
	}
	c.be.Send(&pgproto3.CopyInResponse{OverallFormat: byte(format), ColumnFormatCodes: colFormats})
	if err := c.be.Flush(); err != nil {
		return nil, errConnLost{err}
	}
	var convErr, lost error
	err = c.sess.Conn().Raw(func(dc any) error {
		dconn, ok := dc.(driver.Conn)
		if !ok {
			convErr = errors.New("internal error: not a DuckDB connection")
		}
		var app *duckdb.Appender
		if convErr == nil {
			app, convErr = duckdb.NewAppender(dconn, "temp", "main", stage)
		}
		vals := make([]driver.Value, len(cols))
		rows := 0
		sink := func(fields []*string) error {
			if len(fields) != len(cols) {
				return fmt.Errorf("COPY: row %d has %d fields, expected %d", rows+1, len(fields), len(cols))
			}
			for i, f := range fields {
				if f == nil {
					vals[i] = nil
				} else {
					vals[i] = *f
				}
			}
			rows++
			return app.AppendRow(vals...)
		}
		var conv copyConverter
		switch cs.format {
		case "csv":
			conv = &csvConv{sink: sink, delim: cs.delim[0], quote: cs.quote[0], escape: cs.escape[0], null: cs.null, header: cs.header}
		case "text":
			conv = &textConv{sink: sink, delim: cs.delim[0], null: cs.null}
		default:
			conv = &binaryConv{sink: sink, cols: cols, tm: c.tm}
		}
		var total int64
		for {
			msg, err := c.be.Receive()
			if err != nil {
				lost = errConnLost{err}
				break
			}
			done := false
			switch m := msg.(type) {
			case *pgproto3.CopyData:
				total += int64(len(m.Data))
				if convErr == nil && c.srv.cfg.MaxCopyBytes > 0 && total > c.srv.cfg.MaxCopyBytes {
					convErr = fmt.Errorf("COPY data exceeds the server's limit of %d bytes", c.srv.cfg.MaxCopyBytes)
				}
				if convErr == nil {
					convErr = conv.write(m.Data)
				}
			case *pgproto3.CopyDone:
				done = true
			case *pgproto3.CopyFail:
				if convErr == nil {
					convErr = fmt.Errorf("COPY from stdin failed: %s", m.Message)
				}
				done = true
			case *pgproto3.Flush, *pgproto3.Sync:
			default:
				if convErr == nil {
					convErr = fmt.Errorf("unexpected message %T during COPY", msg)
				}
				done = true
			}
			if done {
				break
			}
		}
		if convErr == nil && lost == nil {
			convErr = conv.close()
		}
		if app != nil {
			if err := app.Close(); err != nil && convErr == nil {
				convErr = err
			}
		}
		return nil
	})
	if lost != nil {
		return nil, lost
	}
	if err == nil {
		err = convErr
	}
	if err != nil {
		return nil, err
	}
	res, err := c.exec(ctx, insert)
	if err != nil {
		return nil, err
	}
	return &outcome{tag: "COPY " + strconv.FormatInt(countOf(res), 10)}, nil
}

// copyInsert builds the statement that moves staged rows into the target.
func copyInsert(cs *copyStmt, cols []column, stage string) string {
	var names, sels []string
	for i, col := range cols {
		v := fmt.Sprintf("c%d", i+1)
		switch col.OID {
		case oidBytea:
			// PostgreSQL's hex form \x0102; anything else is DuckDB's blob text.
			sels = append(sels, fmt.Sprintf(`CASE WHEN starts_with(%s, '\x') AND length(%s) %% 2 = 0 AND regexp_full_match(substr(%s, 3), '[0-9a-fA-F]*') THEN from_hex(substr(%s, 3)) ELSE CAST(%s AS BLOB) END`, v, v, v, v, v))
		default:
			sels = append(sels, v)
		}
		if len(cs.columns) > 0 {
			names = append(names, cs.columns[i])
		}
	}
	target := cs.table
	if len(names) > 0 {
		target += " (" + strings.Join(names, ", ") + ")"
	}
	return fmt.Sprintf("INSERT INTO %s SELECT %s FROM %s", target, strings.Join(sels, ", "), stage)
}

type copyConverter interface {
	write([]byte) error
	close() error
}

// rowSink receives one row; nil fields are NULL.
type rowSink func(fields []*string) error

func str(s string) *string { return &s }

// csvConv parses PostgreSQL's CSV COPY format: an unquoted field equal to
// the NULL string (default: empty) is NULL, a quoted one never is; inside
// quotes the escape character (default: the quote) escapes a quote or
// itself; a line "\." ends the data.
type csvConv struct {
	sink                 rowSink
	delim, quote, escape byte
	null                 string
	header               bool

	fields   []*string
	cur      []byte
	inQuotes bool
	quoted   bool
	pendEsc  bool // escape seen inside quotes (escape != quote)
	pendQ    bool // quote seen inside quotes when escape == quote
	started  bool // the current record has content
	rows     int
	ended    bool
}

func (p *csvConv) endField() {
	if !p.quoted && string(p.cur) == p.null {
		p.fields = append(p.fields, nil)
	} else {
		p.fields = append(p.fields, str(string(p.cur)))
	}
	p.cur, p.quoted = p.cur[:0], false
}

func (p *csvConv) endRecord() error {
	lastQuoted := p.quoted
	p.endField()
	fields := p.fields
	p.fields, p.started = nil, false
	if len(fields) == 1 && fields[0] != nil && *fields[0] == `\.` && !lastQuoted {
		p.ended = true
		return nil
	}
	p.rows++
	if p.header && p.rows == 1 {
		return nil
	}
	return p.sink(fields)
}

func (p *csvConv) write(b []byte) error {
	for _, ch := range b {
		if p.ended {
			return nil
		}
		if p.inQuotes {
			switch {
			case p.pendQ:
				p.pendQ = false
				if ch == p.quote {
					p.cur = append(p.cur, ch) // doubled quote
					continue
				}
				p.inQuotes = false // the quote closed the field; ch is handled below
			case p.pendEsc:
				p.pendEsc = false
				if ch == p.quote || ch == p.escape {
					p.cur = append(p.cur, ch)
				} else {
					p.cur = append(p.cur, p.escape, ch)
				}
				continue
			case ch == p.quote && p.escape == p.quote:
				p.pendQ = true
				continue
			case ch == p.escape:
				p.pendEsc = true
				continue
			case ch == p.quote:
				p.inQuotes = false
				continue
			default:
				p.cur = append(p.cur, ch)
				continue
			}
		}
		switch {
		case ch == p.delim:
			p.endField()
		case ch == '\n':
			if len(p.cur) > 0 && p.cur[len(p.cur)-1] == '\r' && !p.quoted {
				p.cur = p.cur[:len(p.cur)-1]
			}
			if err := p.endRecord(); err != nil {
				return err
			}
			continue
		case ch == p.quote && len(p.cur) == 0 && !p.quoted:
			p.inQuotes, p.quoted = true, true
		default:
			p.cur = append(p.cur, ch)
		}
		p.started = true
	}
	return nil
}

func (p *csvConv) close() error {
	if p.inQuotes && !p.pendQ {
		return errors.New("COPY CSV: unterminated quoted field")
	}
	if p.pendQ {
		p.inQuotes, p.pendQ = false, false
	}
	if p.started || len(p.cur) > 0 || len(p.fields) > 0 {
		return p.endRecord()
	}
	return nil
}

// textConv parses PostgreSQL's text COPY format (tab-separated, \N for
// NULL, backslash escapes, optional "\." end line).
type textConv struct {
	sink  rowSink
	delim byte
	null  string
	buf   []byte
	ended bool
}

func (t *textConv) write(b []byte) error {
	t.buf = append(t.buf, b...)
	for {
		i := bytes.IndexByte(t.buf, '\n')
		if i < 0 {
			return nil
		}
		if err := t.line(t.buf[:i]); err != nil {
			return err
		}
		t.buf = t.buf[i+1:]
	}
}

func (t *textConv) close() error {
	if len(t.buf) > 0 {
		if err := t.line(t.buf); err != nil {
			return err
		}
		t.buf = nil
	}
	return nil
}

func (t *textConv) line(line []byte) error {
	line = bytes.TrimSuffix(line, []byte{'\r'})
	if t.ended {
		return nil
	}
	if string(line) == `\.` {
		t.ended = true
		return nil
	}
	parts := bytes.Split(line, []byte{t.delim})
	fields := make([]*string, len(parts))
	for i, f := range parts {
		if string(f) == t.null {
			continue
		}
		v, err := unescapeText(f)
		if err != nil {
			return err
		}
		fields[i] = str(v)
	}
	return t.sink(fields)
}

// unescapeText decodes the backslash sequences of the text COPY format.
func unescapeText(f []byte) (string, error) {
	if bytes.IndexByte(f, '\\') < 0 {
		return string(f), nil
	}
	var b strings.Builder
	for i := 0; i < len(f); i++ {
		c := f[i]
		if c != '\\' || i+1 >= len(f) {
			b.WriteByte(c)
			continue
		}
		i++
		switch n := f[i]; n {
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'v':
			b.WriteByte('\v')
		case 'x':
			j := i + 1
			for j < len(f) && j < i+3 && isHex(f[j]) {
				j++
			}
			if j == i+1 {
				b.WriteByte('x')
				continue
			}
			v, _ := strconv.ParseUint(string(f[i+1:j]), 16, 8)
			b.WriteByte(byte(v))
			i = j - 1
		case '0', '1', '2', '3', '4', '5', '6', '7':
			j := i
			for j < len(f) && j < i+3 && f[j] >= '0' && f[j] <= '7' {
				j++
			}
			v, _ := strconv.ParseUint(string(f[i:j]), 8, 8)
			b.WriteByte(byte(v))
			i = j - 1
		default:
			b.WriteByte(n)
		}
	}
	return b.String(), nil
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// binaryConv parses PostgreSQL's binary COPY format, decoding each field
// with the target column's type into text DuckDB casts back.
type binaryConv struct {
	sink   rowSink
	cols   []column
	tm     *pgtype.Map
	buf    []byte
	header bool
	done   bool
}

var copySignature = []byte("PGCOPY\n\xff\r\n\x00")

func (b *binaryConv) write(p []byte) error {
	b.buf = append(b.buf, p...)
	for {
		n, err := b.step()
		if err != nil {
			return err
		}
		if n == 0 {
			return nil
		}
		b.buf = b.buf[n:]
	}
}

// step consumes one header or tuple from buf; 0 means "need more bytes".
func (b *binaryConv) step() (int, error) {
	buf := b.buf
	if b.done {
		return len(buf), nil
	}
	if !b.header {
		if len(buf) < 19 {
			return 0, nil
		}
		if !bytes.Equal(buf[:11], copySignature) {
			return 0, errors.New("COPY BINARY: bad file signature")
		}
		ext := int(binary.BigEndian.Uint32(buf[15:19]))
		if len(buf) < 19+ext {
			return 0, nil
		}
		b.header = true
		return 19 + ext, nil
	}
	if len(buf) < 2 {
		return 0, nil
	}
	nf := int(int16(binary.BigEndian.Uint16(buf)))
	if nf == -1 {
		b.done = true
		return 2, nil
	}
	if nf != len(b.cols) {
		return 0, fmt.Errorf("COPY BINARY: row has %d fields, table has %d columns", nf, len(b.cols))
	}
	pos := 2
	type field struct {
		data []byte
		null bool
	}
	raw := make([]field, nf)
	for i := 0; i < nf; i++ {
		if len(buf) < pos+4 {
			return 0, nil
		}
		l := int(int32(binary.BigEndian.Uint32(buf[pos:])))
		pos += 4
		if l < 0 {
			raw[i].null = true
			continue
		}
		if len(buf) < pos+l {
			return 0, nil
		}
		raw[i].data = buf[pos : pos+l]
		pos += l
	}
	fields := make([]*string, nf)
	for i, f := range raw {
		if f.null {
			continue
		}
		s, err := binaryFieldText(b.tm, b.cols[i].OID, f.data)
		if err != nil {
			return 0, fmt.Errorf("COPY BINARY column %s: %w", b.cols[i].Name, err)
		}
		fields[i] = str(s)
	}
	if err := b.sink(fields); err != nil {
		return 0, err
	}
	return pos, nil
}

func (b *binaryConv) close() error {
	if !b.done && (len(b.buf) > 0 || !b.header) {
		return errors.New("COPY BINARY: incomplete data")
	}
	return nil
}

// binaryFieldText decodes a binary value into text DuckDB casts back.
func binaryFieldText(tm *pgtype.Map, oid uint32, data []byte) (string, error) {
	switch oid {
	case oidText, oidVarchar, oidJSON, oidUnspecified:
		return string(data), nil
	case oidBytea:
		return `\x` + hex.EncodeToString(data), nil
	}
	var x any
	if err := tm.Scan(oid, pgtype.BinaryFormatCode, data, &x); err != nil {
		return "", err
	}
	switch y := x.(type) {
	case time.Time:
		switch oid {
		case oidDate:
			return y.Format("2006-01-02"), nil
		case oidTimestamp:
			return y.Format("2006-01-02 15:04:05.999999"), nil
		}
		return y.UTC().Format("2006-01-02 15:04:05.999999") + "+00", nil
	case pgtype.Numeric:
		return numericText(y), nil
	case [16]byte:
		return formatUUID(y[:]), nil
	case pgtype.Time:
		return time.Unix(0, 0).UTC().Add(time.Duration(y.Microseconds) * time.Microsecond).Format("15:04:05.999999"), nil
	case pgtype.Interval:
		return fmt.Sprintf("%d months %d days %d microseconds", y.Months, y.Days, y.Microseconds), nil
	case float32:
		return strconv.FormatFloat(float64(y), 'g', -1, 32), nil
	case float64:
		return strconv.FormatFloat(y, 'g', -1, 64), nil
	}
	return fmt.Sprint(x), nil
}

// copyOut runs COPY ... TO STDOUT. The rows are streamed as DuckDB
// produces them (copySink), as ordinary results are.
func (c *conn) copyOut(ctx context.Context, cs *copyStmt) (*outcome, error) {
	if cs.format == "binary" {
		return nil, errors.New("COPY TO STDOUT supports text and csv formats")
	}
	q := cs.query
	if q == "" {
		cols := "*"
		if len(cs.columns) > 0 {
			cols = strings.Join(cs.columns, ", ")
		}
		q = "SELECT " + cols + " FROM " + cs.table
	}
	sink := &copySink{c: c, cs: cs}
	if out, ok, err := c.compat(q); ok {
		if err != nil {
			return nil, err
		}
		return sink.whole(out)
	}
	res, err := c.execTo(ctx, q, sink)
	if err != nil {
		return nil, err
	}
	if !res.Streamed {
		return sink.whole(shape(q, res))
	}
	if err := sink.flush(); err != nil {
		return nil, err
	}
	c.be.Send(&pgproto3.CopyDone{})
	return &outcome{tag: fmt.Sprintf("COPY %d", res.RowCount)}, nil
}

// copySink writes a result as COPY data (a session.Sink).
type copySink struct {
	c       *conn
	cs      *copyStmt
	cols    []column
	line    bytes.Buffer
	pending int
}

// Start sends CopyOutResponse (and a CSV header) once the statement has
// its columns.
func (k *copySink) Start(res *session.Result) (bool, error) {
	k.begin(resultColumns(res))
	return true, nil
}

func (k *copySink) begin(cols []column) {
	k.cols = cols
	k.c.be.Send(&pgproto3.CopyOutResponse{OverallFormat: 0, ColumnFormatCodes: make([]uint16, len(cols))})
	if k.cs.header && k.cs.format == "csv" {
		k.line.Reset()
		for i, col := range cols {
			if i > 0 {
				k.line.WriteString(k.cs.delim)
			}
			k.line.WriteString(csvQuote(col.Name, k.cs))
		}
		k.line.WriteByte('\n')
		k.c.be.Send(&pgproto3.CopyData{Data: append([]byte(nil), k.line.Bytes()...)})
	}
}

// Row sends one row as a line, writing to the socket every flushBytes.
func (k *copySink) Row(row []any) error {
	cs := k.cs
	k.line.Reset()
	for i, v := range row {
		if i > 0 {
			k.line.WriteString(cs.delim)
		}
		if v == nil {
			k.line.WriteString(cs.null)
			continue
		}
		s, err := k.c.textOf(&k.cols[i], v)
		if err != nil {
			return err
		}
		if cs.format == "csv" {
			k.line.WriteString(csvQuote(s, cs))
		} else {
			k.line.WriteString(escapeText(s, cs.delim[0]))
		}
	}
	k.line.WriteByte('\n')
	k.c.be.Send(&pgproto3.CopyData{Data: append([]byte(nil), k.line.Bytes()...)})
	k.pending += k.line.Len()
	if k.pending >= flushBytes {
		return k.flush()
	}
	return nil
}

func (k *copySink) flush() error {
	k.pending = 0
	if err := k.c.be.Flush(); err != nil {
		return errConnLost{err}
	}
	return nil
}

// whole sends a result that was not streamed.
func (k *copySink) whole(out *outcome) (*outcome, error) {
	k.begin(out.cols)
	for _, row := range out.rows {
		if err := k.Row(row); err != nil {
			return nil, err
		}
	}
	c := k.c
	c.be.Send(&pgproto3.CopyDone{})
	return &outcome{tag: fmt.Sprintf("COPY %d", len(out.rows))}, nil
}

// textOf renders a value in PostgreSQL's text format for its column.
func (c *conn) textOf(col *column, v any) (string, error) {
	if b, ok := pgText(col, v, sessionLocation(c.params["TimeZone"])); ok {
		return string(b), nil
	}
	pv, err := col.pgValue(v)
	if err != nil {
		return "", err
	}
	b, err := c.tm.Encode(col.OID, pgtype.TextFormatCode, pv, nil)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

func csvQuote(s string, cs *copyStmt) string {
	if s == "" || strings.ContainsAny(s, cs.delim+cs.quote+"\r\n") || s == cs.null {
		return cs.quote + strings.ReplaceAll(s, cs.quote, cs.escape+cs.quote) + cs.quote
	}
	return s
}

func escapeText(s string, delim byte) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		default:
			if c == delim {
				b.WriteByte('\\')
			}
			b.WriteByte(c)
		}
	}
	return b.String()
}
