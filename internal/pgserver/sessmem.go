package pgserver

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/dustin/go-humanize"

	"github.com/modelsql/modelsql/internal/membudget"
	"github.com/modelsql/modelsql/internal/session"
)

// What Go holds for one session is bounded by Config.SessionMemory: the
// rows of results the server keeps between messages (results of
// modelsql's own statements, results run at Describe, portals drained
// while another statement runs: see portal run.go) and incoming messages
// larger than bigMessage (a 64 MB query text). Results streamed to the
// client (ordinary SQL, COPY TO STDOUT, portals fetched with maxRows)
// are not held and do not count. Over the bound the statement fails with
// 53200 (out of memory); a message over it ends the connection (its bytes
// are never read). Messages over bigMessage are also reserved from the
// process-wide buffer budget (membudget.Default, --buffer-memory) while they
// are read and handled (statement texts textHandlingFactor times).

// DefaultSessionMemory is Config.SessionMemory's default.
const DefaultSessionMemory int64 = 256 << 20

// bigMessage is the body size from which an incoming message is reserved.
const bigMessage = 1 << 20

// textHandlingFactor is how much memory a statement text takes while it is
// handled, as a multiple of its size: lexing, rewriting and DuckDB's own
// parse copy it several times (measured: a 64 MB text peaked the server at
// 1.08 GiB, 17x). A Query or Parse message over bigMessage reserves this
// much from the process-wide budget, so that large texts wait for each
// other (or fail with 53200) instead of exhausting the machine together.
const textHandlingFactor = 16

// sessionMem counts the bytes of held results of one session (only the
// connection's goroutine uses it).
type sessionMem struct {
	limit int64
	used  int64
}

// errSessionMemory is the error of a result or message over the bound.
func errSessionMemory(limit int64, what string) error {
	return pgErr("53200", fmt.Sprintf("out of memory: %s would hold more than the session's %s (modelsql serve --session-memory); stream it (Execute without maxRows, or fetch it without running other statements in between) or bound it (LIMIT, aggregates)",
		what, humanize.IBytes(uint64(limit))))
}

func (m *sessionMem) grow(n int64, what string) error {
	if m.used+n > m.limit {
		return errSessionMemory(m.limit, what)
	}
	m.used += n
	return nil
}

func (m *sessionMem) release(n int64) {
	m.used = max(0, m.used-n)
}

// rowBytes estimates the Go memory of one row of values.
func rowBytes(vals []any) int64 {
	n := int64(24 + 16*len(vals))
	for _, v := range vals {
		n += valueBytes(v)
	}
	return n
}

func valueBytes(v any) int64 {
	switch t := v.(type) {
	case string:
		return int64(len(t))
	case []byte:
		return int64(len(t))
	case []any:
		return rowBytes(t)
	case map[string]any:
		n := int64(48)
		for k, x := range t {
			n += int64(len(k)) + 16 + valueBytes(x)
		}
		return n
	}
	return 8
}

// collector is a session.Sink that keeps a result's rows, counting them
// against the session's bound.
type collector struct {
	mem  *sessionMem
	text string
	res  *session.Result
	rows [][]any
	held int64
}

func (k *collector) Start(res *session.Result) (bool, error) {
	k.res = res
	return true, nil
}

func (k *collector) Row(vals []any) error {
	n := rowBytes(vals)
	if err := k.mem.grow(n, "this result"); err != nil {
		return err
	}
	k.held += n
	k.rows = append(k.rows, vals)
	return nil
}

// result is the collected result as Exec would return it.
func (k *collector) result(res *session.Result) *session.Result {
	if res == nil || !res.Streamed {
		return res
	}
	out := *res
	out.Streamed, out.Rows = false, k.rows
	return &out
}

// framer sits below the protocol decoder and sees each message's header
// before the decoder reads the body: a body over the session's bound ends
// the connection before it is read, and one over bigMessage is reserved
// from the process-wide buffer budget until the next message is read (the
// connection handles one message at a time). It never hands out bytes of
// two messages in one Read, so the decoder reads a header only when it is
// asked for the next message.
type framer struct {
	r      io.Reader
	typed  bool // past the startup message: type byte + length
	hdr    [8]byte
	hn     int    // header bytes read so far
	pend   []byte // header bytes not yet handed out
	left   int64  // body bytes of the current message not yet handed out
	limit  int64  // the session's bound (0: none yet: before login)
	budget *membudget.Budget
	held   *membudget.Reservation
}

// errMessageTooLarge ends a connection whose message exceeds its bound.
type errMessageTooLarge struct{ err error }

func (e errMessageTooLarge) Error() string { return e.err.Error() }
func (e errMessageTooLarge) Unwrap() error { return e.err }

func (f *framer) Read(b []byte) (int, error) {
	if len(f.pend) == 0 && f.left == 0 {
		if err := f.header(); err != nil {
			return 0, err
		}
	}
	if len(f.pend) > 0 {
		n := copy(b, f.pend)
		f.pend = f.pend[n:]
		return n, nil
	}
	if int64(len(b)) > f.left {
		b = b[:f.left]
	}
	n, err := f.r.Read(b)
	f.left -= int64(n)
	return n, err
}

// header reads the next message's header (kept across errors such as a
// read deadline).
func (f *framer) header() error {
	need := 5
	if !f.typed {
		need = 8 // length and request code
	}
	for f.hn < need {
		n, err := f.r.Read(f.hdr[f.hn:need])
		f.hn += n
		if err != nil && f.hn < need {
			return err
		}
	}
	f.hn = 0
	f.held.Release()
	f.held = nil
	if !f.typed {
		length := int64(binary.BigEndian.Uint32(f.hdr[0:4]))
		switch binary.BigEndian.Uint32(f.hdr[4:8]) {
		case 80877103, 80877104, 80877102: // SSLRequest, GSSENCRequest, CancelRequest
		default:
			f.typed = true // the startup message: typed messages follow
		}
		f.pend = f.hdr[:8]
		f.left = max(0, length-8)
		return nil
	}
	body := int64(int32(binary.BigEndian.Uint32(f.hdr[1:5]))) - 4
	f.pend = f.hdr[:5]
	f.left = max(0, body)
	if f.limit > 0 && body > f.limit {
		return errMessageTooLarge{errSessionMemory(f.limit, fmt.Sprintf("a message of %s", humanize.IBytes(uint64(body))))}
	}
	if f.budget != nil && body > bigMessage {
		need := body
		if t := f.hdr[0]; t == 'Q' || t == 'P' {
			need = body * textHandlingFactor
		}
		r, err := f.budget.Reserve(context.Background(), need)
		if err != nil {
			return errMessageTooLarge{pgErr("53200", "out of memory: "+err.Error())}
		}
		f.held = r
	}
	return nil
}

// close gives back what the framer holds.
func (f *framer) close() {
	f.held.Release()
	f.held = nil
}

// asMessageTooLarge finds a framer's refusal in a Receive error.
func asMessageTooLarge(err error) (error, bool) {
	var e errMessageTooLarge
	if errors.As(err, &e) {
		return e.err, true
	}
	return nil, false
}
