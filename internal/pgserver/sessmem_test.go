package pgserver

import (
	"bytes"
	"fmt"
	"io"
	"testing"
	"testing/iotest"

	"github.com/jackc/pgx/v5/pgproto3"
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
