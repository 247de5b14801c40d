package e2e

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// serve's connection limits: the administrators' reserve, the logins in
// progress and their timeout; bad combinations are refused.
func TestServerConnectionLimits(t *testing.T) {
	data := t.TempDir()
	addUser(t, data, "admin", "admin-pw", true)
	addUser(t, data, "bob", "bob-pw", false)
	for _, bad := range [][]string{{"--max-connections", "3", "--reserved-connections", "3"}, {"--max-pending-logins", "0"}, {"--login-timeout", "0s"}} {
		r := run(t, "", append([]string{"serve", "--data", data, "--listen", "127.0.0.1:0"}, bad...)...)
		if r.code != 2 || !strings.Contains(r.stderr, "--reserved-connections") {
			t.Errorf("serve %v: %d %s", bad, r.code, r.stderr)
		}
	}
	if r := run(t, "", "serve", "--data", data, "--listen", "127.0.0.1:0", "--login-timeout", "1s"); r.code != 2 || !strings.Contains(r.stderr, "--auth-fail-delay") {
		t.Errorf("serve with a login timeout within the failure delay: %d %s", r.code, r.stderr)
	}
	s := serve(t, data, "--max-connections", "2", "--reserved-connections", "1", "--max-pending-logins", "2", "--login-timeout", "1s", "--auth-fail-delay", "200ms")
	ctx := context.Background()
	bob, err := pgx.Connect(ctx, s.url("bob", "bob-pw", "default"))
	if err != nil {
		t.Fatal(err)
	}
	defer bob.Close(ctx)
	if _, err := pgx.Connect(ctx, s.url("bob", "bob-pw", "default")); err == nil || !strings.Contains(err.Error(), "reserved for administrators") {
		t.Fatalf("second bob: %v", err)
	}
	admin, err := pgx.Connect(ctx, s.url("admin", "admin-pw", "default"))
	if err != nil {
		t.Fatalf("admin in the reserve: %v", err)
	}
	admin.Close(ctx)

	// Two idle sockets fill the logins in progress; they are closed after
	// the login timeout, and logins work again.
	for i := 0; i < 2; i++ {
		nc, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", s.port))
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
	}
	time.Sleep(200 * time.Millisecond)
	if _, err := pgx.Connect(ctx, s.url("admin", "admin-pw", "default")); err == nil || !strings.Contains(err.Error(), "53300") {
		t.Fatalf("login with the logins in progress full: %v\n%s", err, s.log())
	}
	time.Sleep(1500 * time.Millisecond)
	admin, err = pgx.Connect(ctx, s.url("admin", "admin-pw", "default"))
	if err != nil {
		t.Fatalf("after the login timeout: %v", err)
	}
	admin.Close(ctx)
}
