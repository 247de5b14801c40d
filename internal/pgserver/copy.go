package pgserver

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/modelsql/modelsql/internal/parser"
)

// COPY ... FROM STDIN and COPY ... TO STDOUT.
//
// FROM STDIN: the server checks that the user may write the table, receives
// the rows into a CSV file in its upload directory (text and binary COPY
// data are converted on the way), then runs
//
//	INSERT INTO t (cols) SELECT <casts> FROM read_csv('<file>', all VARCHAR)
//
// as the session's user. That statement, and only it, is permitted by the
// guard without its usual analysis (the guard checked Update on the table
// first). TO STDOUT runs the query as an ordinary statement and streams it.

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

// copyIn runs COPY ... FROM STDIN.
func (c *conn) copyIn(ctx context.Context, cs *copyStmt) (*outcome, error) {
	sel := "SELECT * FROM " + cs.table + " LIMIT 0"
	if len(cs.columns) > 0 {
		sel = "SELECT " + strings.Join(cs.columns, ", ") + " FROM " + cs.table + " LIMIT 0"
	}
	shape, err := prepareShape(c.sess.Conn(), sel)
	if err != nil {
		return nil, err
	}
	cols := shape.cols
	f, err := os.CreateTemp(c.srv.uploadDir, "copy-*.csv")
	if err != nil {
		return nil, fmt.Errorf("COPY: staging file: %w", err)
	}
	path := f.Name()
	defer os.Remove(path)
	defer f.Close()

	insert := c.copyInsert(cs, cols, path)
	if c.srv.cfg.Guard != nil {
		if err := c.srv.cfg.Guard.PermitCopy(ctx, c.sess, cs.table, insert); err != nil {
			return nil, err
		}
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
		return nil, err
	}
	w := bufio.NewWriterSize(f, 1<<16)
	var conv copyConverter
	switch cs.format {
	case "csv":
		conv = &csvPass{w: w}
	case "text":
		conv = &textConv{w: w, delim: cs.delim[0], null: cs.null, ncols: len(cols)}
	default:
		conv = &binaryConv{w: w, cols: cols, tm: c.tm}
	}
	var total int64
	var convErr error
	for {
		msg, err := c.be.Receive()
		if err != nil {
			return nil, errConnLost{err}
		}
		switch m := msg.(type) {
		case *pgproto3.CopyData:
			total += int64(len(m.Data))
			if convErr == nil && c.srv.cfg.MaxCopyBytes > 0 && total > c.srv.cfg.MaxCopyBytes {
				convErr = fmt.Errorf("COPY data exceeds the server's limit of %d bytes", c.srv.cfg.MaxCopyBytes)
			}
			if convErr == nil {
				convErr = conv.write(m.Data)
			}
			continue
		case *pgproto3.CopyDone:
		case *pgproto3.CopyFail:
			return nil, fmt.Errorf("COPY from stdin failed: %s", m.Message)
		case *pgproto3.Flush, *pgproto3.Sync:
			continue
		default:
			return nil, fmt.Errorf("unexpected message %T during COPY", msg)
		}
		break
	}
	if convErr == nil {
		convErr = conv.close()
	}
	if convErr != nil {
		return nil, convErr
	}
	if err := w.Flush(); err != nil {
		return nil, err
	}
	if err := f.Close(); err != nil {
		return nil, err
	}
	res, err := c.exec(ctx, insert)
	if err != nil {
		return nil, err
	}
	n := countOf(res)
	return &outcome{tag: "COPY " + strconv.FormatInt(n, 10)}, nil
}

// copyInsert builds the statement that loads the staged file.
func (c *conn) copyInsert(cs *copyStmt, cols []column, path string) string {
	var names, sels, types []string
	for i, col := range cols {
		v := fmt.Sprintf("c%d", i+1)
		types = append(types, quote(v)+": 'VARCHAR'")
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
	opts := []string{
		"columns = {" + strings.Join(types, ", ") + "}",
		"auto_detect = false",
		"allow_quoted_nulls = false",
		"parallel = false",
	}
	if cs.format == "csv" {
		opts = append(opts, "delim = "+quote(cs.delim), "quote = "+quote(cs.quote), "escape = "+quote(cs.escape),
			"header = "+strconv.FormatBool(cs.header), "nullstr = "+quote(cs.null))
	} else {
		// converted by textConv/binaryConv
		opts = append(opts, `delim = ','`, `quote = '"'`, `escape = '"'`, `header = false`, `nullstr = '\N'`)
	}
	return fmt.Sprintf("INSERT INTO %s SELECT %s FROM read_csv(%s, %s)", target, strings.Join(sels, ", "), quote(path), strings.Join(opts, ", "))
}

type copyConverter interface {
	write([]byte) error
	close() error
}

// csvPass stores CSV as sent.
type csvPass struct{ w *bufio.Writer }

func (p *csvPass) write(b []byte) error { _, err := p.w.Write(b); return err }
func (p *csvPass) close() error         { return nil }

// writeCSVField writes one field, always quoted, or \N for NULL.
func writeCSVField(w *bufio.Writer, s string, null bool) {
	if null {
		w.WriteString(`\N`)
		return
	}
	w.WriteByte('"')
	w.WriteString(strings.ReplaceAll(s, `"`, `""`))
	w.WriteByte('"')
}

// textConv converts PostgreSQL's text COPY format (tab-separated, \N for
// NULL, backslash escapes, optional "\." end line) into CSV.
type textConv struct {
	w     *bufio.Writer
	delim byte
	null  string
	ncols int
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
		line := t.buf[:i]
		if err := t.line(line); err != nil {
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
	fields := bytes.Split(line, []byte{t.delim})
	for i, f := range fields {
		if i > 0 {
			t.w.WriteByte(',')
		}
		if string(f) == t.null {
			writeCSVField(t.w, "", true)
			continue
		}
		v, err := unescapeText(f)
		if err != nil {
			return err
		}
		writeCSVField(t.w, v, false)
	}
	t.w.WriteByte('\n')
	return nil
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

// binaryConv converts PostgreSQL's binary COPY format into CSV, decoding
// each field with the target column's type.
type binaryConv struct {
	w      *bufio.Writer
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
	fields := make([]field, nf)
	for i := 0; i < nf; i++ {
		if len(buf) < pos+4 {
			return 0, nil
		}
		l := int(int32(binary.BigEndian.Uint32(buf[pos:])))
		pos += 4
		if l < 0 {
			fields[i].null = true
			continue
		}
		if len(buf) < pos+l {
			return 0, nil
		}
		fields[i].data = buf[pos : pos+l]
		pos += l
	}
	for i, f := range fields {
		if i > 0 {
			b.w.WriteByte(',')
		}
		if f.null {
			writeCSVField(b.w, "", true)
			continue
		}
		s, err := binaryFieldText(b.tm, b.cols[i].OID, f.data)
		if err != nil {
			return 0, fmt.Errorf("COPY BINARY column %s: %w", b.cols[i].Name, err)
		}
		writeCSVField(b.w, s, false)
	}
	b.w.WriteByte('\n')
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

// copyOut runs COPY ... TO STDOUT.
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
	out, err := c.run(ctx, q)
	if err != nil {
		return nil, err
	}
	format := byte(0)
	colFormats := make([]uint16, len(out.cols))
	c.be.Send(&pgproto3.CopyOutResponse{OverallFormat: format, ColumnFormatCodes: colFormats})
	var line bytes.Buffer
	if cs.header && cs.format == "csv" {
		for i, col := range out.cols {
			if i > 0 {
				line.WriteString(cs.delim)
			}
			line.WriteString(csvQuote(col.Name, cs))
		}
		line.WriteByte('\n')
		c.be.Send(&pgproto3.CopyData{Data: append([]byte(nil), line.Bytes()...)})
	}
	for n, row := range out.rows {
		line.Reset()
		for i, v := range row {
			if i > 0 {
				line.WriteString(cs.delim)
			}
			if v == nil {
				line.WriteString(cs.null)
				continue
			}
			s, err := c.textOf(&out.cols[i], v)
			if err != nil {
				return nil, err
			}
			if cs.format == "csv" {
				line.WriteString(csvQuote(s, cs))
			} else {
				line.WriteString(escapeText(s, cs.delim[0]))
			}
		}
		line.WriteByte('\n')
		c.be.Send(&pgproto3.CopyData{Data: append([]byte(nil), line.Bytes()...)})
		if n%1000 == 999 {
			if err := c.be.Flush(); err != nil {
				return nil, errConnLost{err}
			}
		}
	}
	c.be.Send(&pgproto3.CopyDone{})
	return &outcome{tag: fmt.Sprintf("COPY %d", len(out.rows))}, nil
}

// textOf renders a value in PostgreSQL's text format for its column.
func (c *conn) textOf(col *column, v any) (string, error) {
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
