package e2e

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http/httptest"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/modelsql/modelsql/internal/fakellm"
)

// server is one `modelsql serve` process.
type server struct {
	t      *testing.T
	data   string
	port   int
	cmd    *exec.Cmd
	mu     sync.Mutex
	logs   bytes.Buffer
	exited chan error
}

func (s *server) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.logs.Write(p)
}

func (s *server) log() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.logs.String()
}

func freePort(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// addUser creates a user with the CLI (password on stdin).
func addUser(t *testing.T, data, name, pw string, admin bool) {
	t.Helper()
	args := []string{"user", "add", name, "--data", data}
	if admin {
		args = []string{"user", "add", "--admin", name, "--data", data}
	}
	r := run(t, pw+"\n", args...)
	if r.code != 0 {
		t.Fatalf("user add %s: %s", name, r.stderr)
	}
}

// serve starts the server on data and waits until it accepts connections.
func serve(t *testing.T, data string, extra ...string) *server {
	t.Helper()
	s := &server{t: t, data: data, port: freePort(t), exited: make(chan error, 1)}
	args := append([]string{"serve", "--data", data, "--listen", fmt.Sprintf("127.0.0.1:%d", s.port), "--threads", "2"}, extra...)
	s.cmd = exec.Command(bin, args...)
	s.cmd.Stdout, s.cmd.Stderr = s, s
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { s.exited <- s.cmd.Wait() }()
	deadline := time.Now().Add(60 * time.Second)
	for {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", s.port))
		if err == nil {
			c.Close()
			break
		}
		select {
		case err := <-s.exited:
			t.Fatalf("serve exited: %v\n%s", err, s.log())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("server did not start:\n%s", s.log())
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Cleanup(func() { s.stop() })
	return s
}

// stop sends SIGTERM and waits for the process.
func (s *server) stop() error {
	if s.cmd.ProcessState != nil {
		return nil
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-s.exited:
		s.exited <- err
		return err
	case <-time.After(60 * time.Second):
		s.cmd.Process.Kill()
		return fmt.Errorf("server did not stop")
	}
}

func (s *server) url(user, pw, db string) string {
	return fmt.Sprintf("postgres://%s:%s@127.0.0.1:%d/%s?sslmode=disable", user, pw, s.port, db)
}

type psqlResult struct {
	out, err string
	code     int
}

// psql runs psql with the given connection settings; extraEnv may add
// PGSSLMODE and the like.
func (s *server) psql(t *testing.T, user, pw, db string, extraEnv []string, args ...string) psqlResult {
	t.Helper()
	cmd := exec.Command("psql", append([]string{"-X", "-v", "ON_ERROR_STOP=1"}, args...)...)
	cmd.Env = append(os.Environ(), "PGHOST=127.0.0.1", fmt.Sprintf("PGPORT=%d", s.port), "PGUSER="+user,
		"PGPASSWORD="+pw, "PGDATABASE="+db, "PGSSLMODE=disable", "PGCONNECT_TIMEOUT=20")
	cmd.Env = append(cmd.Env, extraEnv...)
	out, errOut, code := runCommand(t, cmd)
	return psqlResult{out, errOut, code}
}

func requirePsql(t *testing.T) {
	if _, err := exec.LookPath("psql"); err != nil {
		if os.Getenv("MODELSQL_REQUIRE_TOOLS") != "" {
			t.Fatal("psql is not installed (scripts/deps.d/30-server.sh installs it)")
		}
		t.Skip("psql is not installed")
	}
}

func requirePsycopg2(t *testing.T) {
	if err := exec.Command("/usr/bin/python3", "-c", "import psycopg2").Run(); err != nil {
		if os.Getenv("MODELSQL_REQUIRE_TOOLS") != "" {
			t.Fatal("psycopg2 is not installed (scripts/deps.d/30-server.sh installs it)")
		}
		t.Skip("psycopg2 is not installed")
	}
}

func osUserName() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return strings.ToLower(u.Username)
	}
	return "modelsql"
}

func TestServeNeedsAUser(t *testing.T) {
	r := run(t, "", "serve", "--data", t.TempDir(), "--listen", "127.0.0.1:0")
	if r.code != 1 || !strings.Contains(r.stderr, "modelsql user add --admin NAME") {
		t.Fatalf("serve without users: %d %s", r.code, r.stderr)
	}
}

func TestServeBufferMemoryFlag(t *testing.T) {
	for _, bad := range []string{"lots", "1MiB"} {
		r := run(t, "", "serve", "--data", t.TempDir(), "--listen", "127.0.0.1:0", "--buffer-memory", bad)
		if r.code != 2 || !strings.Contains(r.stderr, "--buffer-memory") {
			t.Fatalf("--buffer-memory %s: %d %s", bad, r.code, r.stderr)
		}
	}
	// A valid size gets past the flag (to the missing-user check).
	r := run(t, "", "serve", "--data", t.TempDir(), "--listen", "127.0.0.1:0", "--buffer-memory", "512MiB")
	if r.code != 1 || !strings.Contains(r.stderr, "modelsql user add") {
		t.Fatalf("--buffer-memory 512MiB: %d %s", r.code, r.stderr)
	}
}

func TestServerPsql(t *testing.T) {
	requirePsql(t)
	data := t.TempDir()
	addUser(t, data, "admin", "s3cret-admin", true)
	s := serve(t, data)
	r := s.psql(t, "admin", "s3cret-admin", "default", nil, "-A", "-t", "-c", "SELECT 40 + 2", "-c", "SELECT version()")
	if r.code != 0 || !strings.HasPrefix(r.out, "42\nPostgreSQL 15.0") {
		t.Fatalf("psql: %d %q %s", r.code, r.out, r.err)
	}
	// A wrong password, an unknown user: refused after the delay, logged without the password.
	for _, u := range []string{"admin", "mallory"} {
		start := time.Now()
		r = s.psql(t, u, "not-the-password", "default", nil, "-c", "SELECT 1")
		if r.code == 0 || !strings.Contains(r.err, `password authentication failed for user "`+u+`"`) {
			t.Errorf("wrong password for %s: %d %s", u, r.code, r.err)
		}
		if d := time.Since(start); d < time.Second {
			t.Errorf("failed login answered after %s", d)
		}
	}
	if l := s.log(); !strings.Contains(l, `login failed for user "mallory"`) || strings.Contains(l, "not-the-password") || strings.Contains(l, "s3cret-admin") {
		t.Errorf("server log:\n%s", l)
	}
	// Users over SQL; several statements in one query string; \copy both ways.
	csvFile := filepath.Join(t.TempDir(), "in.csv")
	os.WriteFile(csvFile, []byte("id,name\n1,\"one, with comma\"\n2,\n3,\"\"\n"), 0o644)
	outFile := filepath.Join(t.TempDir(), "out.csv")
	r = s.psql(t, "admin", "s3cret-admin", "default", nil, "-A", "-t",
		"-c", "CREATE USER bob PASSWORD 'bob''s pw'; CREATE TABLE people (id INTEGER, name VARCHAR)",
		"-c", `\copy people FROM '`+csvFile+`' WITH (FORMAT csv, HEADER true)`,
		"-c", "SELECT count(*), count(name), count(*) FILTER (WHERE name = '') FROM people",
		"-c", `\copy (SELECT * FROM people ORDER BY id) TO '`+outFile+`' WITH (FORMAT csv)`)
	if r.code != 0 || !strings.Contains(r.out, "COPY 3\n3|2|1\n") {
		t.Fatalf("psql session: %d %q %s", r.code, r.out, r.err)
	}
	if b, _ := os.ReadFile(outFile); string(b) != "1,\"one, with comma\"\n2,\n3,\"\"\n" {
		t.Errorf("\\copy out: %q", b)
	}
	// bob is refused, with the privilege and the object named, until granted.
	r = s.psql(t, "bob", "bob's pw", "default", nil, "-c", "SELECT * FROM people")
	if r.code == 0 || !strings.Contains(r.err, "permission denied: user bob lacks Select on table default.default.people") {
		t.Errorf("bob without Select: %d %s", r.code, r.err)
	}
	r = s.psql(t, "bob", "bob's pw", "default", nil, "-c", `\copy people FROM '`+csvFile+`' WITH (FORMAT csv, HEADER true)`)
	if r.code == 0 || !strings.Contains(r.err, "lacks Update on table default.default.people") {
		t.Errorf("bob's \\copy without Update: %d %s", r.code, r.err)
	}
	s.psql(t, "admin", "s3cret-admin", "default", nil, "-c", "GRANT Select, Update ON TABLE people TO USER bob")
	r = s.psql(t, "bob", "bob's pw", "default", nil, "-A", "-t", "-c", `\copy people FROM '`+csvFile+`' WITH (FORMAT csv, HEADER true)`, "-c", "SELECT count(*) FROM people")
	if r.code != 0 || !strings.HasSuffix(r.out, "6\n") {
		t.Errorf("bob with Select, Update: %d %q %s", r.code, r.out, r.err)
	}
	// Cancel: psql sends a cancel request on SIGINT.
	cmd := exec.Command("psql", "-X", "-c", "SELECT count(*) FROM range(1000000000000000)")
	cmd.Env = append(os.Environ(), "PGHOST=127.0.0.1", fmt.Sprintf("PGPORT=%d", s.port), "PGUSER=admin", "PGPASSWORD=s3cret-admin", "PGDATABASE=default", "PGSSLMODE=disable")
	var errb bytes.Buffer
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1500 * time.Millisecond)
	start := time.Now()
	cmd.Process.Signal(os.Interrupt)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
		if !strings.Contains(errb.String(), "canceling statement due to user request") {
			t.Errorf("psql after cancel: %s", errb.String())
		}
		if d := time.Since(start); d > 15*time.Second {
			t.Errorf("cancel took %s", d)
		}
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatal("cancel had no effect")
	}
}

func writeSelfSigned(t *testing.T, dir string) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "server.crt"), filepath.Join(dir, "server.key")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600)
	return certFile, keyFile
}

func TestServerTLS(t *testing.T) {
	requirePsql(t)
	data := t.TempDir()
	addUser(t, data, "admin", "pw", true)
	cert, key := writeSelfSigned(t, t.TempDir())
	s := serve(t, data, "--tls-cert", cert, "--tls-key", key)
	r := s.psql(t, "admin", "pw", "default", []string{"PGSSLMODE=verify-ca", "PGSSLROOTCERT=" + cert}, "-c", `\conninfo`, "-A", "-t", "-c", "SELECT 1")
	if r.code != 0 || !strings.Contains(r.out, "SSL connection (protocol: TLSv1.3") || !strings.HasSuffix(r.out, "1\n") {
		t.Fatalf("psql over TLS: %d %q %s", r.code, r.out, r.err)
	}
	// pgx too.
	ctx := context.Background()
	c, err := pgx.Connect(ctx, fmt.Sprintf("postgres://admin:pw@127.0.0.1:%d/default?sslmode=require", s.port))
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := c.QueryRow(ctx, "SELECT $1::INTEGER + 1", 41).Scan(&n); err != nil || n != 42 {
		t.Errorf("pgx over TLS: %d %v", n, err)
	}
	c.Close(ctx)
}

// normalize hides what legitimately differs between two runs: times.
var timeRE = regexp.MustCompile(`\d{4}-\d\d-\d\d \d\d:\d\d:\d\d`)

func normalize(s string) string {
	s = timeRE.ReplaceAllString(s, "<time>")
	return strings.TrimSpace(strings.ReplaceAll(s, "\r\n", "\n"))
}

// TestServerModelStatementsMatchEmbedded runs the documented model
// statements embedded (modelsql -c) and over the wire (psql), and compares.
func TestServerModelStatementsMatchEmbedded(t *testing.T) {
	requirePsql(t)
	owner := osUserName() // embedded mode's user is the OS user; the server's admin gets the same name
	setupStmts := []string{
		importStmt("iris", "v1"),
		"ALTER MODEL iris ADD VERSION v2 INPUT(f1 DOUBLE, f2 DOUBLE, f3 DOUBLE, f4 DOUBLE) OPTIONS(LOCATION='file://" + irisModel() + "') COMMENT 'second'",
		"ALTER MODEL iris SET DEFAULT_VERSION v2",
		"CREATE MODEL rm WITH VERSION v1 OPTIONS(" + remoteOpts + ") COMMENT 'remote'",
		"CREATE MODEL gone WITH VERSION v1 OPTIONS(" + remoteOpts + ")",
		"DROP MODEL gone",
		"ALTER MODEL iris DROP VERSION v1",
	}
	queries := []string{
		"SHOW MODELS",
		"SHOW MODELS LIKE 'ir%'",
		"SHOW VERSIONS FOR MODEL iris",
		"DESC MODEL iris",
		"DESC MODEL rm",
		"SELECT p.label, round(p.probs[1], 6) AS p0 FROM (SELECT ML_PREDICT(iris, DEFAULT_VERSION, 5.1, 3.5, 1.4, 0.2) AS p)",
		"SELECT ML_PREDICT(iris, v2, 6.7, 3.0, 5.2, 2.3).label AS label",
	}
	embedded := t.TempDir()
	sql(t, embedded, setupStmts...)
	var want []string
	for _, q := range queries {
		r := run(t, "", "--data", embedded, "--format", "csv", "-c", q)
		if r.code != 0 {
			t.Fatalf("embedded %s: %s", q, r.stderr)
		}
		want = append(want, normalize(r.stdout))
	}

	data := t.TempDir()
	addUser(t, data, owner, "pw", true)
	s := serve(t, data, "--allow-dir", filepath.Dir(irisModel())) // the model files
	for _, st := range setupStmts {
		if r := s.psql(t, owner, "pw", "default", nil, "-c", st); r.code != 0 {
			t.Fatalf("over the wire %s: %s", st, r.err)
		}
	}
	for i, q := range queries {
		r := s.psql(t, owner, "pw", "default", nil, "--csv", "-c", q)
		if r.code != 0 {
			t.Fatalf("over the wire %s: %s", q, r.err)
		}
		got := normalize(r.out)
		// psql prints booleans as t/f.
		got = strings.NewReplacer(",t,", ",true,", ",f,", ",false,").Replace(got)
		if got != want[i] {
			t.Errorf("%s:\nembedded:\n%s\nserver:\n%s", q, want[i], got)
		}
	}
	// The ML_PREDICT struct reaches clients as JSON text.
	r := s.psql(t, owner, "pw", "default", nil, "-A", "-t", "-c", "SELECT ML_PREDICT(iris, DEFAULT_VERSION, 5.1, 3.5, 1.4, 0.2)")
	var p struct {
		Label string    `json:"label"`
		Probs []float64 `json:"probs"`
	}
	if err := json.Unmarshal([]byte(strings.TrimSpace(r.out)), &p); err != nil || p.Label == "" || len(p.Probs) != 3 {
		t.Errorf("ML_PREDICT as JSON: %q %v", r.out, err)
	}
}

const psycopgScript = `
import json, sys, threading, time, datetime, decimal
import psycopg2, psycopg2.errors, psycopg2.extensions

port = int(sys.argv[1]); cert = sys.argv[2]; tls_port = int(sys.argv[3])
out = {}
def dsn(user, pw, port=port, **kw):
    d = dict(host="127.0.0.1", port=port, user=user, password=pw, dbname="default", sslmode="disable")
    d.update(kw)
    return d

try:
    psycopg2.connect(**dsn("admin", "wrong"))
    out["wrong_password"] = "connected"
except psycopg2.OperationalError as e:
    out["wrong_password"] = str(e).strip().splitlines()[-1]

conn = psycopg2.connect(**dsn("admin", "py-pw"))
conn.autocommit = True
cur = conn.cursor()
cur.execute("CREATE TABLE py (id INTEGER, name VARCHAR, score DOUBLE, day DATE, amount DECIMAL(10,2))")
rows = [(1, "O'Brien; DROP TABLE py; --", 1.5, datetime.date(2024, 2, 29), decimal.Decimal("12.34")),
        (2, None, None, None, None)]
cur.executemany("INSERT INTO py VALUES (%s, %s, %s, %s, %s)", rows)
cur.execute("SELECT id, name, score, day, amount FROM py WHERE id = %s", (1,))
r = cur.fetchone()
out["row"] = [r[0], r[1], r[2], r[3].isoformat(), str(r[4])]
cur.execute("SELECT count(*) FROM py WHERE name IS NULL")
out["nulls"] = cur.fetchone()[0]

import io
cur.copy_expert("COPY py (id, name) FROM STDIN WITH (FORMAT csv)", io.StringIO('10,"a,b"\n11,x\n'))
cur.copy_from(io.StringIO("12\ttabbed\\tvalue\n13\t\\N\n"), "py", columns=("id", "name"))
buf = io.StringIO()
cur.copy_expert("COPY (SELECT id, name FROM py WHERE id >= 10 ORDER BY id) TO STDOUT WITH (FORMAT csv)", buf)
out["copy_out"] = buf.getvalue()

cur.execute("SHOW MODELS")
out["show_models_columns"] = [d[0] for d in cur.description]

# Cancel a long query from another thread.
def cancel_later():
    time.sleep(1.0)
    conn.cancel()
threading.Thread(target=cancel_later).start()
t0 = time.time()
try:
    cur.execute("SELECT count(*) FROM range(1000000000000000)")
    out["cancel"] = "finished"
except psycopg2.errors.QueryCanceled as e:
    out["cancel"] = "canceled"
out["cancel_seconds"] = time.time() - t0
cur.execute("SELECT 1")
out["after_cancel"] = cur.fetchone()[0]

# Transactions (psycopg2's default: BEGIN implicitly).
conn.autocommit = False
cur.execute("INSERT INTO py (id) VALUES (100)")
conn.rollback()
cur.execute("SELECT count(*) FROM py WHERE id = 100")
out["rolled_back"] = cur.fetchone()[0]
conn.rollback()

tconn = psycopg2.connect(**dsn("admin", "py-pw", port=tls_port, sslmode="verify-ca", sslrootcert=cert))
tcur = tconn.cursor()
tcur.execute("SELECT %s::VARCHAR", ("tls",))
out["tls"] = tcur.fetchone()[0]
out["tls_ssl_in_use"] = tconn.info.ssl_in_use
print(json.dumps(out))
`

func TestServerPsycopg2(t *testing.T) {
	requirePsycopg2(t)
	data := t.TempDir()
	addUser(t, data, "admin", "py-pw", true)
	s := serve(t, data)
	tlsData := t.TempDir()
	addUser(t, tlsData, "admin", "py-pw", true)
	cert, key := writeSelfSigned(t, t.TempDir())
	ts := serve(t, tlsData, "--tls-cert", cert, "--tls-key", key)
	script := filepath.Join(t.TempDir(), "client.py")
	os.WriteFile(script, []byte(psycopgScript), 0o644)
	cmd := exec.Command("/usr/bin/python3", script, fmt.Sprint(s.port), cert, fmt.Sprint(ts.port))
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("psycopg2 client: %v\n%s\nserver:\n%s", err, errb.String(), s.log())
	}
	var got map[string]any
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("client output %q: %v", out.String(), err)
	}
	check := func(key string, want any) {
		if fmt.Sprint(got[key]) != fmt.Sprint(want) {
			t.Errorf("%s = %v, want %v", key, got[key], want)
		}
	}
	if w, _ := got["wrong_password"].(string); !strings.HasSuffix(w, `FATAL:  password authentication failed for user "admin"`) {
		t.Errorf("wrong password: %q", w)
	}
	check("row", []any{1, "O'Brien; DROP TABLE py; --", 1.5, "2024-02-29", "12.34"})
	check("nulls", 1)
	check("copy_out", "10,\"a,b\"\n11,x\n12,tabbed\tvalue\n13,\n")
	check("show_models_columns", []any{"ModelName", "Owner", "SourceType", "ModelType", "DefaultVersion", "CreateTime", "LastModifiedTime", "Comment"})
	check("cancel", "canceled")
	check("after_cancel", 1)
	check("rolled_back", 0)
	check("tls", "tls")
	check("tls_ssl_in_use", true)
	if sec, _ := got["cancel_seconds"].(float64); sec > 15 {
		t.Errorf("cancel took %.1fs", sec)
	}
}

const jdbcClient = `import java.sql.*;
import java.math.BigDecimal;
import java.io.StringReader;
import java.io.StringWriter;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyManager;

public class Client {
    public static void main(String[] a) throws Exception {
        String url = "jdbc:postgresql://127.0.0.1:" + a[0] + "/default";
        StringBuilder out = new StringBuilder();
        try {
            DriverManager.getConnection(url, "admin", "wrong");
            out.append("wrong_password=connected\n");
        } catch (SQLException e) {
            out.append("wrong_password=" + e.getSQLState() + "\n");
        }
        try (Connection c = DriverManager.getConnection(url, "admin", a[1])) {
            try (Statement s = c.createStatement()) {
                s.execute("CREATE TABLE j (id INTEGER, name VARCHAR, amount DECIMAL(10,2), ts_at TIMESTAMP, raw BLOB, ok BOOLEAN)");
            }
            try (PreparedStatement p = c.prepareStatement("INSERT INTO j VALUES (?, ?, ?, ?, ?, ?)")) {
                for (int i = 0; i < 7; i++) { // past prepareThreshold: server-side prepared, binary
                    p.setInt(1, i);
                    p.setString(2, "it's #" + i);
                    p.setBigDecimal(3, new BigDecimal("12.34"));
                    p.setTimestamp(4, Timestamp.valueOf("2024-03-04 05:06:07.5"));
                    p.setBytes(5, new byte[]{0, 1, (byte) 0xff});
                    p.setBoolean(6, i % 2 == 0);
                    out.append("insert_count=" + p.executeUpdate() + "\n");
                }
            }
            try (PreparedStatement p = c.prepareStatement("SELECT id, name, amount, ts_at, raw, ok FROM j WHERE id = ? AND name LIKE ?")) {
                p.setInt(1, 3);
                p.setString(2, "it%");
                try (ResultSet r = p.executeQuery()) {
                    r.next();
                    byte[] raw = r.getBytes(5);
                    out.append("row=" + r.getInt(1) + "|" + r.getString(2) + "|" + r.getBigDecimal(3) + "|" + r.getTimestamp(4) + "|" + raw.length + ":" + (raw[2] & 0xff) + "|" + r.getBoolean(6) + "\n");
                    out.append("types=" + r.getMetaData().getColumnTypeName(1) + "," + r.getMetaData().getColumnTypeName(3) + "," + r.getMetaData().getColumnTypeName(5) + "\n");
                }
            }
            c.setAutoCommit(false);
            try (Statement s = c.createStatement()) {
                s.executeUpdate("INSERT INTO j (id) VALUES (100)");
                c.rollback();
                try (ResultSet r = s.executeQuery("SELECT count(*) FROM j WHERE id = 100")) {
                    r.next();
                    out.append("rolled_back=" + r.getLong(1) + "\n");
                }
                c.commit();
            }
            c.setAutoCommit(true);
            CopyManager cm = ((PGConnection) c.unwrap(PGConnection.class)).getCopyAPI();
            long n = cm.copyIn("COPY j (id, name) FROM STDIN WITH (FORMAT csv)", new StringReader("50,\"x,y\"\n51,z\n"));
            out.append("copy_in=" + n + "\n");
            StringWriter w = new StringWriter();
            cm.copyOut("COPY (SELECT id, name FROM j WHERE id >= 50 ORDER BY id) TO STDOUT WITH (FORMAT csv)", w);
            out.append("copy_out=" + w.toString().replace("\n", "\\n") + "\n");
            try (Statement s = c.createStatement()) {
                try (ResultSet r = s.executeQuery("SHOW MODELS")) {
                    out.append("show_models_cols=" + r.getMetaData().getColumnCount() + "\n");
                }
                Thread t = new Thread(() -> { try { Thread.sleep(1000); s.cancel(); } catch (Exception e) {} });
                t.start();
                long t0 = System.currentTimeMillis();
                try {
                    s.executeQuery("SELECT count(*) FROM range(1000000000000000)");
                    out.append("cancel=finished\n");
                } catch (SQLException e) {
                    out.append("cancel=" + e.getSQLState() + "\n");
                }
                out.append("cancel_ms=" + (System.currentTimeMillis() - t0) + "\n");
                try (ResultSet r = s.executeQuery("SELECT 1")) { r.next(); out.append("after_cancel=" + r.getInt(1) + "\n"); }
            }
        }
        System.out.print(out);
    }
}
`

const jdbcJar = "/usr/share/java/postgresql.jar"

// TestServerJDBC drives the server with the PostgreSQL JDBC driver:
// passwords, server-side prepared statements past prepareThreshold (binary
// parameters), transactions, CopyManager both ways, Statement.cancel.
func TestServerJDBC(t *testing.T) {
	_, errJava := exec.LookPath("java")
	_, errJar := os.Stat(jdbcJar)
	if errJava != nil || errJar != nil {
		if os.Getenv("MODELSQL_REQUIRE_TOOLS") != "" {
			t.Fatal("java or the PostgreSQL JDBC driver is missing (scripts/deps.d/30-server.sh installs them)")
		}
		t.Skip("java or the PostgreSQL JDBC driver is missing")
	}
	data := t.TempDir()
	addUser(t, data, "admin", "jdbc-pw", true)
	s := serve(t, data)
	dir := t.TempDir()
	src := filepath.Join(dir, "Client.java")
	os.WriteFile(src, []byte(jdbcClient), 0o644)
	cmd := exec.Command("java", "-cp", jdbcJar, src, fmt.Sprint(s.port), "jdbc-pw")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("JDBC client: %v\n%s\nserver:\n%s", err, errb.String(), s.log())
	}
	want := []string{
		"wrong_password=28P01",
		"row=3|it's #3|12.34|2024-03-04 05:06:07.5|3:255|false",
		"types=int4,numeric,bytea",
		"rolled_back=0",
		"copy_in=2",
		`copy_out=50,"x,y"\n51,z\n`,
		"show_models_cols=8",
		"cancel=57014",
		"after_cancel=1",
	}
	for _, w := range want {
		if !strings.Contains(out.String(), w+"\n") {
			t.Errorf("JDBC output lacks %q:\n%s", w, out.String())
		}
	}
	if n := strings.Count(out.String(), "insert_count=1\n"); n != 7 {
		t.Errorf("%d single-row inserts acknowledged, want 7:\n%s", n, out.String())
	}
}

// TestServerSigterm: SIGTERM lets a running statement finish and commit;
// nothing committed is lost across the restart.
func TestServerSigterm(t *testing.T) {
	ctx := context.Background()
	data := t.TempDir()
	addUser(t, data, "admin", "pw", true)
	s := serve(t, data, "--shutdown-grace", "60s")
	c, err := pgx.Connect(ctx, s.url("admin", "pw", "default"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Exec(ctx, "CREATE TABLE kept AS SELECT range AS i FROM range(1000)"); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := c.Exec(ctx, "CREATE TABLE slow AS SELECT sum(i % 7) AS n FROM range(1000000000) t(i)")
		done <- err
	}()
	time.Sleep(300 * time.Millisecond)
	select {
	case err := <-done:
		t.Fatalf("the slow statement ended before SIGTERM (%v): make it slower", err)
	default:
	}
	if err := s.stop(); err != nil {
		t.Fatalf("server exit: %v\n%s", err, s.log())
	}
	if err := <-done; err != nil {
		t.Errorf("statement running at SIGTERM: %v", err)
	}
	if !strings.Contains(s.log(), "shutting down") || !strings.Contains(s.log(), "stopped") {
		t.Errorf("log:\n%s", s.log())
	}
	rows := csvRows(t, data, "SELECT (SELECT count(*) FROM kept), (SELECT n FROM slow)")
	if len(rows) != 1 || rows[0][0] != "1000" || rows[0][1] != "2999999997" {
		t.Errorf("after restart: %v", rows)
	}
}

// TestServerSlowAIDoesNotBlockOthers: a session waiting on a slow model
// endpoint does not hold up other sessions.
func TestServerSlowAIDoesNotBlockOthers(t *testing.T) {
	ctx := context.Background()
	llm := fakellm.NewServer(fakellm.Options{Latency: 3 * time.Second})
	hs := httptest.NewServer(llm)
	defer hs.Close()
	data := t.TempDir()
	addUser(t, data, "admin", "pw", true)
	s := serve(t, data)
	slow, err := pgx.Connect(ctx, s.url("admin", "pw", "default"))
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close(ctx)
	if _, err := slow.Exec(ctx, fmt.Sprintf(`CREATE MODEL gen WITH VERSION v1 OPTIONS(MODEL_SOURCE_TYPE='REMOTE', MODEL_TYPE='LLM',
		TASKS='text-generation', PAI_EAS_MODEL_NAME='m', PAI_EAS_SERVICE_NAME='s', ENDPOINT='%s', APIKEY='k', PAI_EAS_SYNC_MODE='true')`, hs.URL)); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	start := time.Now()
	go func() {
		var out string
		done <- slow.QueryRow(ctx, "SELECT AI_GENERATE(gen, v1, 'take your time')").Scan(&out)
	}()
	time.Sleep(300 * time.Millisecond)
	other, err := pgx.Connect(ctx, s.url("admin", "pw", "default"))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close(ctx)
	for i := 0; i < 5; i++ {
		t0 := time.Now()
		var n int
		if _, err := other.Exec(ctx, "CREATE TABLE IF NOT EXISTS busy (i INTEGER)"); err != nil {
			t.Fatal(err)
		}
		if err := other.QueryRow(ctx, "SELECT count(*) FROM busy").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if d := time.Since(t0); d > time.Second {
			t.Errorf("a statement of another session took %s while AI_GENERATE waited", d)
		}
	}
	select {
	case <-done:
		t.Errorf("AI_GENERATE finished after %s, before the other session's statements", time.Since(start))
	default:
	}
	if err := <-done; err != nil {
		t.Errorf("AI_GENERATE: %v", err)
	}
}

// rssKB reads a process's resident set (and peak) from /proc.
func rssKB(pid int) (cur, peak int64) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		var v int64
		if strings.HasPrefix(line, "VmRSS:") {
			fmt.Sscanf(strings.TrimPrefix(line, "VmRSS:"), "%d", &v)
			cur = v
		} else if strings.HasPrefix(line, "VmHWM:") {
			fmt.Sscanf(strings.TrimPrefix(line, "VmHWM:"), "%d", &v)
			peak = v
		}
	}
	return cur, peak
}

// TestBenchServer is `make bench-server`: 32 concurrent pgx clients, each
// signed in as one of four non-administrator users (so every statement goes
// through the privilege checks), run a fixed mix of statements against
// `modelsql serve` on loopback: model DDL (CREATE MODEL, ADD VERSION, SET
// DEFAULT_VERSION, DROP MODEL), SHOW MODELS, DESC MODEL, ML_PREDICT over
// 1,000 rows, AI_GENERATE against the test LLM server (20 ms per request),
// parameterised queries and INSERTs. It reports statements/s, latencies per
// kind, errors and the server's memory, and checks that no write was lost.
// Write-write conflicts between concurrent transactions are expected
// (DuckDB's optimistic concurrency): they are counted and retried.
func TestBenchServer(t *testing.T) {
	if os.Getenv("MODELSQL_BENCH_SERVER") == "" {
		t.Skip("benchmark; run with make bench-server")
	}
	const clients, perClient = 32, 60
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()

	llm := fakellm.NewServer(fakellm.Options{Latency: 20 * time.Millisecond})
	hs := httptest.NewServer(llm)
	defer hs.Close()
	remote := fmt.Sprintf(`OPTIONS(MODEL_SOURCE_TYPE='REMOTE', MODEL_TYPE='LLM', TASKS='text-generation',
		PAI_EAS_MODEL_NAME='m', PAI_EAS_SERVICE_NAME='s', ENDPOINT='%s', APIKEY='k', PAI_EAS_SYNC_MODE='true')`, hs.URL)

	data := t.TempDir()
	addUser(t, data, "admin", "admin-pw", true)
	s := serve(t, data, "--shutdown-grace", "30s", "--allow-dir", filepath.Dir(irisModel()))
	admin, err := pgx.Connect(ctx, s.url("admin", "admin-pw", "default"))
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		"CREATE TABLE facts AS SELECT i AS id, 4.0 + (i % 40) / 10.0 AS f1, 2.0 + (i % 25) / 10.0 AS f2, 1.0 + (i % 60) / 10.0 AS f3, (i % 25) / 10.0 AS f4 FROM range(100000) t(i)",
		"CREATE TABLE events (client INTEGER, seq INTEGER, note VARCHAR)",
		importStmt("iris", "v1"),
		"CREATE MODEL gen WITH VERSION v1 " + remote,
		"CREATE ROLE bench",
		"GRANT Select ON TABLE facts TO ROLE bench",
		"GRANT Select, Update ON TABLE events TO ROLE bench",
		"GRANT Execute ON MODEL iris TO ROLE bench",
		"GRANT Execute ON MODEL gen TO ROLE bench",
		"GRANT Describe ON MODEL iris TO ROLE bench",
		"GRANT CreateModel, List ON PROJECT default TO ROLE bench",
	} {
		if _, err := admin.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	for u := 0; u < 4; u++ {
		for _, q := range []string{fmt.Sprintf("CREATE USER u%d PASSWORD 'pw%d'", u, u), fmt.Sprintf("GRANT ROLE bench TO USER u%d", u)} {
			if _, err := admin.Exec(ctx, q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
	}
	admin.Close(ctx)

	type stat struct {
		n         int
		durations []time.Duration
	}
	var (
		mu        sync.Mutex
		stats     = map[string]*stat{}
		errs      = map[string]int{}
		conflicts int
		inserts   int
		peakRSS   int64
	)
	record := func(kind string, d time.Duration, err error) {
		mu.Lock()
		defer mu.Unlock()
		st := stats[kind]
		if st == nil {
			st = &stat{}
			stats[kind] = st
		}
		st.n++
		st.durations = append(st.durations, d)
		if err != nil {
			errs[kind+": "+strings.SplitN(err.Error(), "\n", 2)[0]]++
		}
	}
	stopSampling := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		for {
			cur, _ := rssKB(s.cmd.Process.Pid)
			mu.Lock()
			peakRSS = max(peakRSS, cur)
			mu.Unlock()
			select {
			case <-stopSampling:
				return
			case <-time.After(200 * time.Millisecond):
			}
		}
	}()
	_, rssBefore := rssKB(s.cmd.Process.Pid)

	// isConflict: DuckDB's optimistic concurrency control refused a
	// concurrent write; the statement changed nothing and is retried.
	isConflict := func(err error) bool {
		return err != nil && (strings.Contains(err.Error(), "onflict") || strings.Contains(err.Error(), "TransactionContext"))
	}
	start := time.Now()
	var wg sync.WaitGroup
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			u := c % 4
			conn, err := pgx.Connect(ctx, s.url(fmt.Sprintf("u%d", u), fmt.Sprintf("pw%d", u), "default"))
			if err != nil {
				record("connect", 0, err)
				return
			}
			defer conn.Close(ctx)
			exec := func(kind, q string, args ...any) {
				for attempt := 0; ; attempt++ {
					t0 := time.Now()
					rows, err := conn.Query(ctx, q, args...)
					if err == nil {
						for rows.Next() {
						}
						rows.Close()
						err = rows.Err()
					}
					if isConflict(err) && attempt < 5 {
						mu.Lock()
						conflicts++
						mu.Unlock()
						time.Sleep(time.Duration(attempt+1) * 10 * time.Millisecond)
						continue
					}
					record(kind, time.Since(t0), err)
					if err == nil && kind == "insert" {
						mu.Lock()
						inserts++
						mu.Unlock()
					}
					return
				}
			}
			model := fmt.Sprintf("m_%d", c)
			for j := 0; j < perClient; j++ {
				switch j % 12 {
				case 0:
					exec("create model", "CREATE MODEL "+model+" WITH VERSION v1 "+remote)
				case 1:
					exec("alter model", "ALTER MODEL "+model+" ADD VERSION v2 "+remote)
				case 2:
					exec("alter model", "ALTER MODEL "+model+" SET DEFAULT_VERSION v2")
				case 3:
					exec("show models", "SHOW MODELS")
				case 4:
					exec("desc model", "DESC MODEL iris")
				case 5:
					exec("ml_predict", "SELECT count(*), avg(p.probs[1]) FROM (SELECT ML_PREDICT(iris, DEFAULT_VERSION, f1, f2, f3, f4) AS p FROM facts WHERE id % 100 = $1)", j%100)
				case 6:
					exec("ai_generate", "SELECT AI_GENERATE(gen, v1, 'client ' || $1::VARCHAR || ' prompt ' || i) FROM range(4) t(i)", fmt.Sprint(c*1000+j))
				case 7, 9:
					exec("insert", "INSERT INTO events VALUES ($1, $2, $3)", c, j, fmt.Sprintf("client %d says %q", c, "hi"))
				case 8:
					exec("query", "SELECT count(*), sum(f1) FROM facts WHERE f2 > $1 AND id < $2", 2.5, 50000)
				case 10:
					exec("drop model", "DROP MODEL "+model)
				case 11:
					exec("query", "SELECT client, count(*) FROM events GROUP BY client ORDER BY client")
				}
			}
		}(c)
	}
	wg.Wait()
	elapsed := time.Since(start)
	close(stopSampling)
	<-sampled
	cur, hwm := rssKB(s.cmd.Process.Pid)

	total := 0
	fmt.Printf("server bench: %d clients x %d statements, %s\n", clients, perClient, elapsed.Round(time.Millisecond))
	var kinds []string
	for k := range stats {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		st := stats[k]
		total += st.n
		sort.Slice(st.durations, func(i, j int) bool { return st.durations[i] < st.durations[j] })
		p := func(q float64) time.Duration { return st.durations[int(q*float64(len(st.durations)-1))] }
		fmt.Printf("  %-12s n=%4d p50=%7.1fms p95=%7.1fms max=%7.1fms\n", k, st.n,
			float64(p(0.5).Microseconds())/1000, float64(p(0.95).Microseconds())/1000, float64(p(1).Microseconds())/1000)
	}
	fmt.Printf("statements=%d elapsed=%.2fs statements/s=%.1f conflicts_retried=%d errors=%d\n", total, elapsed.Seconds(), float64(total)/elapsed.Seconds(), conflicts, len(errs))
	fmt.Printf("server RSS: before=%d MiB peak_sampled=%d MiB end=%d MiB high_water=%d MiB; LLM requests=%d\n",
		rssBefore/1024, peakRSS/1024, cur/1024, hwm/1024, llm.Stats().Requests)
	for e, n := range errs {
		t.Errorf("%d× %s", n, e)
	}
	if total != clients*perClient {
		t.Errorf("%d statements ran, want %d", total, clients*perClient)
	}
	// No lost writes.
	check, err := pgx.Connect(context.Background(), s.url("admin", "admin-pw", "default"))
	if err != nil {
		t.Fatal(err)
	}
	defer check.Close(context.Background())
	var events, models int
	check.QueryRow(context.Background(), "SELECT count(*) FROM events").Scan(&events)
	if events != inserts || events != clients*perClient/6 {
		t.Errorf("events: %d rows, %d inserts acknowledged, want %d", events, inserts, clients*perClient/6)
	}
	rows, err := check.Query(context.Background(), "SHOW MODELS")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		models++
	}
	rows.Close()
	if models != 2 {
		t.Errorf("%d models left, want 2 (iris, gen)", models)
	}
	if hwm > 4<<20 {
		t.Errorf("server peak RSS %d MiB", hwm/1024)
	}
}
