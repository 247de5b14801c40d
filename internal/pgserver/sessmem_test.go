package pgserver

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/modelsql/modelsql/internal/membudget"
)

// decodeAll decodes messages the way a connection does (startup first)
// and renders them, with the error that ended the stream.
func decodeAll(r io.Reader) []string {
	be := pgproto3.NewBackend(r, io.Discard)
	be.SetMaxBodyLen(1 << 20)
	var out []string
	for started := false; !started; { // as Server.handle: SSL/GSS requests, then the startup message
		sm, err := be.ReceiveStartupMessage()
		if err != nil {
			return append(out, "startup error")
		}
		out = append(out, fmt.Sprintf("%T", sm))
		switch sm.(type) {
		case *pgproto3.CancelRequest:
			return out
		case *pgproto3.StartupMessage:
			started = true
		}
	}
	for i := 0; i < 1000; i++ {
		m, err := be.Receive()
		if err != nil {
			return append(out, "error")
		}
		b, _ := m.Encode(nil)
		out = append(out, fmt.Sprintf("%x", b))
	}
	return out
}

// The framer hands the decoder exactly the bytes it would read without
// it, message by message, whatever the input and however the socket
// splits it; only a message over the bound stops it.
func FuzzFramer(f *testing.F) {
	startup, _ := (&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersionNumber, Parameters: map[string]string{"user": "u"}}).Encode(nil)
	ssl, _ := (&pgproto3.SSLRequest{}).Encode(nil)
	f.Add(append(append(append([]byte(nil), ssl...), startup...), encodeMsgs(&pgproto3.Query{String: "SELECT 1"}, &pgproto3.Sync{})...))
	f.Add(append(append([]byte(nil), startup...), encodeMsgs(&pgproto3.Parse{Query: "SELECT $1"}, &pgproto3.Bind{Parameters: [][]byte{[]byte("x")}}, &pgproto3.Execute{MaxRows: 1})...))
	f.Add(append(append([]byte(nil), startup...), 'Q', 0, 0, 0, 2))
	f.Add(append(append([]byte(nil), startup...), 'Q', 0x7f, 0xff, 0xff, 0xff))
	f.Fuzz(func(t *testing.T, input []byte) {
		want := decodeAll(bytes.NewReader(input))
		got := decodeAll(iotest.OneByteReader(&framer{r: bytes.NewReader(input)}))
		if fmt.Sprint(want) != fmt.Sprint(got) {
			t.Fatalf("with the framer:\n%v\nwithout:\n%v", got, want)
		}
		got = decodeAll(&framer{r: iotest.HalfReader(bytes.NewReader(input))})
		if fmt.Sprint(want) != fmt.Sprint(got) {
			t.Fatalf("with the framer (half reads):\n%v\nwithout:\n%v", got, want)
		}
	})
}

// rowBytes counts what a row's values hold.
func TestRowBytes(t *testing.T) {
	small := rowBytes([]any{""})
	for _, tc := range []struct {
		row  []any
		more int64
	}{
		{[]any{"0123456789"}, 10},
		{[]any{[]byte("0123456789")}, 10},
		{[]any{[]any{"0123456789"}}, 10 + 24 + 16},
		{[]any{map[string]any{"k": "0123456789"}}, 10},
	} {
		if got := rowBytes(tc.row); got < small+tc.more {
			t.Errorf("%v: %d bytes, want at least %d", tc.row, got, small+tc.more)
		}
	}
}

// A large statement text reserves what handling it takes from the
// process-wide budget (textHandlingFactor times its size); one that could
// never fit is refused with 53200 before its body is read.
func TestLargeStatementTextReservesHandlingMemory(t *testing.T) {
	startup, _ := (&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersionNumber, Parameters: map[string]string{"user": "u"}}).Encode(nil)
	query := func(n int) []byte {
		return encodeMsgs(&pgproto3.Query{String: "SELECT '" + string(bytes.Repeat([]byte("x"), n)) + "'"})
	}
	budget := membudget.New(64 << 20)
	fr := &framer{r: bytes.NewReader(append(append([]byte(nil), startup...), query(2<<20)...)), budget: budget}
	be := pgproto3.NewBackend(fr, io.Discard)
	be.SetMaxBodyLen(16 << 20)
	if _, err := be.ReceiveStartupMessage(); err != nil {
		t.Fatal(err)
	}
	if _, err := be.Receive(); err != nil {
		t.Fatal(err)
	}
	if used := budget.Used(); used < textHandlingFactor*(2<<20) {
		t.Fatalf("a 2 MiB query holds %d bytes of the budget, want at least %d", used, textHandlingFactor*(2<<20))
	}
	fr.close()
	if budget.Used() != 0 {
		t.Fatalf("%d bytes still held after close", budget.Used())
	}

	fr = &framer{r: bytes.NewReader(append(append([]byte(nil), startup...), query(5<<20)...)), budget: budget}
	be = pgproto3.NewBackend(fr, io.Discard)
	be.SetMaxBodyLen(16 << 20)
	if _, err := be.ReceiveStartupMessage(); err != nil {
		t.Fatal(err)
	}
	_, err := be.Receive()
	var tooLarge errMessageTooLarge
	if !errors.As(err, &tooLarge) || !strings.Contains(tooLarge.Error(), "out of memory") {
		t.Fatalf("a 5 MiB query against a 64 MiB budget: %v", err)
	}
	if budget.Used() != 0 {
		t.Fatalf("%d bytes held after a refusal", budget.Used())
	}
}
