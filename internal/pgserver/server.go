// Package pgserver serves a modelsql warehouse over the PostgreSQL wire
// protocol (version 3): simple and extended query, COPY FROM STDIN / TO
// STDOUT, cancel requests, TLS, and SCRAM-SHA-256 authentication against the
// users of package access. Each connection is one session.Session.
package pgserver

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/modelsql/modelsql/internal/access"
	"github.com/modelsql/modelsql/internal/catalog"
	"github.com/modelsql/modelsql/internal/membudget"
	"github.com/modelsql/modelsql/internal/session"
)

// ServerVersion is the PostgreSQL version the server claims (clients use
// it to pick features; the SQL dialect is DuckDB's).
const (
	ServerVersion    = "15.0"
	ServerVersionNum = "150000"
)

// Config configures a Server.
type Config struct {
	Warehouse *session.Warehouse
	Guard     *access.Guard
	// TLS enables SSLRequest; nil answers 'N' (plain connections only).
	TLS *tls.Config
	// MaxCopyBytes bounds one COPY FROM STDIN (0: no limit).
	MaxCopyBytes int64
	// AuthFailDelay is the minimum time before a failed login is answered
	// (default 1s).
	AuthFailDelay time.Duration
	// MaxConnections bounds concurrent sessions (default 200), counted
	// before a session is admitted.
	MaxConnections int
	// ReservedConnections of MaxConnections are for administrators only
	// (0: the default of 3; negative: none).
	ReservedConnections int
	// MaxPendingLogins bounds the sockets that have not authenticated yet
	// (cancel requests included), hence concurrent authentications
	// (default 32); more are refused at once.
	MaxPendingLogins int
	// LoginTimeout is how long a socket may take to log in (default 10s).
	LoginTimeout time.Duration
	// SessionMemory bounds what Go holds for one session: kept results and
	// incoming messages (sessmem.go; default DefaultSessionMemory).
	SessionMemory int64
	Logger        *log.Logger
}

// Server is a running PostgreSQL-protocol server.
type Server struct {
	cfg     Config
	fakeKey []byte

	mu    sync.Mutex
	conns map[uint32]*conn
	raw   map[net.Conn]bool
	// admission (admission.go)
	pending     map[net.Conn]*pendingLogin // sockets logging in
	admitted    int                        // session slots taken
	cancelFails map[string]int
	cancelSince time.Time
	closing     atomic.Bool
	ln          net.Listener
	wg          sync.WaitGroup
	sessMu      sync.Mutex
	stmtCtx     context.Context
	stopStmt    context.CancelFunc
}

// New returns a server.
func New(cfg Config) (*Server, error) {
	if cfg.Warehouse == nil || cfg.Guard == nil {
		return nil, errors.New("pgserver: Warehouse and Guard are required")
	}
	if cfg.AuthFailDelay == 0 {
		cfg.AuthFailDelay = time.Second
	}
	if cfg.MaxConnections == 0 {
		cfg.MaxConnections = defaultMaxConnections
	}
	switch {
	case cfg.ReservedConnections == 0:
		cfg.ReservedConnections = min(defaultReservedConnections, cfg.MaxConnections-1)
	case cfg.ReservedConnections < 0:
		cfg.ReservedConnections = 0
	}
	if cfg.ReservedConnections >= cfg.MaxConnections {
		return nil, fmt.Errorf("pgserver: %d reserved connections leave none of %d for other users", cfg.ReservedConnections, cfg.MaxConnections)
	}
	if cfg.MaxPendingLogins == 0 {
		cfg.MaxPendingLogins = defaultMaxPendingLogins
	}
	if cfg.SessionMemory <= 0 {
		cfg.SessionMemory = DefaultSessionMemory
	}
	if cfg.LoginTimeout == 0 {
		cfg.LoginTimeout = defaultLoginTimeout
	}
	if cfg.Logger == nil {
		cfg.Logger = log.New(os.Stderr, "", log.LstdFlags)
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Server{cfg: cfg, fakeKey: key, conns: map[uint32]*conn{}, raw: map[net.Conn]bool{}, pending: map[net.Conn]*pendingLogin{},
		cancelFails: map[string]int{}, stmtCtx: ctx, stopStmt: cancel}, nil
}

// Serve accepts connections until Shutdown.
func (s *Server) Serve(ln net.Listener) error {
	s.mu.Lock()
	s.ln = ln
	s.mu.Unlock()
	for {
		nc, err := ln.Accept()
		if err != nil {
			if s.closing.Load() {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return err
		}
		login, ok := s.enterLogin(nc)
		if !ok {
			s.wg.Add(1)
			go func() { defer s.wg.Done(); s.refuseLogin(nc) }()
			continue
		}
		s.mu.Lock()
		s.raw[nc] = true
		s.mu.Unlock()
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			loggingIn := true
			defer func() {
				if loggingIn {
					s.leaveLogin(nc)
				}
				s.mu.Lock()
				delete(s.raw, nc)
				s.mu.Unlock()
				nc.Close()
			}()
			s.handle(&loginConn{Conn: nc, p: login}, func() { loggingIn = false; s.leaveLogin(nc) })
		}()
	}
}

// Shutdown stops accepting connections, lets running statements finish for
// up to grace, then cancels them, and waits for every connection to close.
// Idle connections are told the server is shutting down (57P01).
func (s *Server) Shutdown(grace time.Duration) {
	if s.closing.Swap(true) {
		return
	}
	s.mu.Lock()
	if s.ln != nil {
		s.ln.Close()
	}
	// Wake every connection blocked on a read; a busy one notices after
	// its statement.
	for nc := range s.raw {
		nc.SetReadDeadline(time.Now())
	}
	s.mu.Unlock()
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
		return
	case <-time.After(grace):
	}
	s.cfg.Logger.Printf("shutdown: cancelling statements still running after %s", grace)
	s.stopStmt()
	select {
	case <-done:
		return
	case <-time.After(10 * time.Second):
	}
	s.mu.Lock()
	for nc := range s.raw {
		nc.Close()
	}
	s.mu.Unlock()
	<-done
}

// Addr returns the listening address.
func (s *Server) Addr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln == nil {
		return nil
	}
	return s.ln.Addr()
}

// handle serves one socket; loggedIn is called once it has authenticated
// (it then no longer counts toward MaxPendingLogins).
func (s *Server) handle(nc net.Conn, loggedIn func()) {
	// A panic ends this connection, never the process (nc is the current
	// transport: TLS once negotiated).
	defer func() {
		if r := recover(); r != nil {
			s.survive(r, nc)
		}
	}()
	rd := &peekReader{r: nc}
	fr := &framer{r: rd}
	defer func() { fr.close() }()
	be := pgproto3.NewBackend(fr, nc)
	be.SetMaxBodyLen(64 << 10)                         // until authenticated
	nc.SetDeadline(time.Now().Add(s.cfg.LoginTimeout)) // startup and authentication
	var startup *pgproto3.StartupMessage
	tlsDone := false
	for startup == nil {
		msg, err := be.ReceiveStartupMessage()
		if err != nil {
			return
		}
		switch m := msg.(type) {
		case *pgproto3.SSLRequest:
			if s.cfg.TLS == nil || tlsDone {
				if _, err := nc.Write([]byte{'N'}); err != nil {
					return
				}
				continue
			}
			if _, err := nc.Write([]byte{'S'}); err != nil {
				return
			}
			tc := tls.Server(nc, s.cfg.TLS)
			if err := tc.Handshake(); err != nil {
				s.cfg.Logger.Printf("TLS handshake with %s failed: %v", nc.RemoteAddr(), err)
				return
			}
			nc = tc
			rd = &peekReader{r: tc}
			fr = &framer{r: rd}
			be = pgproto3.NewBackend(fr, tc)
			be.SetMaxBodyLen(64 << 10)
			tlsDone = true
		case *pgproto3.GSSEncRequest:
			if _, err := nc.Write([]byte{'N'}); err != nil {
				return
			}
		case *pgproto3.CancelRequest:
			s.cancelRequest(nc.RemoteAddr(), m.ProcessID, m.SecretKey)
			return
		case *pgproto3.StartupMessage:
			startup = m
		}
	}
	if s.closing.Load() {
		be.Send(fatal("57P03", "the database system is shutting down"))
		be.Flush()
		return
	}
	c, err := s.startup(nc, be, startup, loggedIn)
	if err != nil || c == nil {
		return
	}
	c.rd = rd
	fr.limit, fr.budget = s.cfg.SessionMemory, membudget.Default
	be.SetMaxBodyLen(1 << 30)
	nc.SetDeadline(time.Time{})
	if s.closing.Load() {
		nc.SetReadDeadline(time.Now())
	}
	defer s.endConn(c)
	err = c.loop(s.stmtCtx)
	if s.closing.Load() {
		c.be.Send(fatal("57P01", "terminating connection due to administrator command"))
		c.be.Flush()
	} else if err != nil {
		var lost errConnLost
		if !errors.As(err, &lost) {
			code := "08P01"
			var pe *pgError
			if errors.As(err, &pe) {
				code = pe.code
			}
			c.be.Send(fatal(code, err.Error()))
			c.be.Flush()
		}
	}
}

// survive handles a panic in a connection's goroutine: it logs what and
// where (not the values involved, which may hold a client's secrets) and
// tells the client; the caller's deferred clean-up has ended the session.
func (s *Server) survive(r any, nc net.Conn) {
	what := fmt.Sprintf("%T", r)
	if re, ok := r.(runtime.Error); ok {
		what = re.Error() // the runtime's own text: no client data
	}
	s.cfg.Logger.Printf("connection from %s: internal error (%s) at %s; connection closed", nc.RemoteAddr(), what, panicSite())
	if msg, err := fatal("XX000", "internal error; the connection is closed").Encode(nil); err == nil {
		nc.SetWriteDeadline(time.Now().Add(time.Second))
		nc.Write(msg)
	}
}

// panicSite names the functions a panic came through, innermost first,
// leaving out the runtime's.
func panicSite() string {
	pcs := make([]uintptr, 32)
	n := runtime.Callers(4, pcs) // from the panic: past Callers, panicSite, survive and the deferred call
	frames := runtime.CallersFrames(pcs[:n])
	var sites []string
	for len(sites) < 6 {
		f, more := frames.Next()
		if !strings.HasPrefix(f.Function, "runtime.") {
			sites = append(sites, fmt.Sprintf("%s (%s:%d)", f.Function, filepath.Base(f.File), f.Line))
		}
		if !more {
			break
		}
	}
	return strings.Join(sites, " < ")
}

// startup authenticates the user (then calls loggedIn) and opens the
// session.
func (s *Server) startup(nc net.Conn, be *pgproto3.Backend, m *pgproto3.StartupMessage, loggedIn func()) (*conn, error) {
	user := strings.ToLower(strings.TrimSpace(m.Parameters["user"]))
	if user == "" {
		be.Send(fatal("28000", "no user name given"))
		be.Flush()
		return nil, errors.New("no user")
	}
	var unrecognised []string
	for k := range m.Parameters {
		if strings.HasPrefix(k, "_pq_.") {
			unrecognised = append(unrecognised, k)
		}
	}
	if m.ProtocolVersion != pgproto3.ProtocolVersionNumber || len(unrecognised) > 0 {
		be.Send(&pgproto3.NegotiateProtocolVersion{NewestMinorProtocol: 0, UnrecognizedOptions: unrecognised})
	}
	u, err := s.authenticate(nc, be, user)
	if err != nil {
		return nil, err
	}
	loggedIn()
	// The database name selects the project. As in PostgreSQL it defaults
	// to the user name; that, and "postgres", fall back to the project
	// "default" when no project of that name exists.
	db := strings.ToLower(strings.TrimSpace(m.Parameters["database"]))
	if db == "" {
		db = user
	}
	w := s.cfg.Warehouse
	if !w.Engine.HasProject(db) && !catalog.IsPublicProject(db) && (db == user || db == "postgres") {
		db = "default"
	}
	if !w.Engine.HasProject(db) {
		// DuckDB cannot open new files while serving (see access.LockDown).
		be.Send(fatal("3D000", fmt.Sprintf("project %q does not exist (projects are created offline: modelsql --data DIR --project %s -c 'SELECT 1')", db, db)))
		be.Flush()
		return nil, errors.New("no project")
	}
	if err := s.admit(u.Admin); err != nil {
		s.cfg.Logger.Printf("login of user %s from %s refused: %v", u.Name, nc.RemoteAddr(), err)
		be.Send(fatal("53300", err.Error()))
		be.Flush()
		return nil, err
	}
	sess, err := s.newSession(session.SessionOptions{
		User: u.Name, Admin: u.Admin, UserCreated: u.Created, Project: db, Guard: s.cfg.Guard,
	})
	if err != nil {
		s.release()
		be.Send(fatal("3D000", err.Error()))
		be.Flush()
		return nil, err
	}
	c := s.newConn(nc, be, sess, u.Name, u.Admin)
	if v := m.Parameters["application_name"]; v != "" {
		c.params["application_name"] = v
	}
	s.mu.Lock()
	c.pid = s.newBackendID()
	s.conns[c.pid] = c
	s.mu.Unlock()

	be.Send(&pgproto3.AuthenticationOk{})
	for name, v := range c.params {
		if reportedSettings[name] {
			be.Send(&pgproto3.ParameterStatus{Name: name, Value: v})
		}
	}
	be.Send(&pgproto3.BackendKeyData{ProcessID: c.pid, SecretKey: c.secret})
	if err := c.ready(); err != nil {
		s.endConn(c)
		return nil, err
	}
	s.cfg.Logger.Printf("connection %d: user %s, project %s, from %s", c.pid, u.Name, db, nc.RemoteAddr())
	return c, nil
}

// newConn makes the connection state of a session.
func (s *Server) newConn(nc net.Conn, be *pgproto3.Backend, sess *session.Session, user string, admin bool) *conn {
	secret := make([]byte, 4)
	rand.Read(secret)
	c := &conn{srv: s, nc: nc, be: be, sess: sess, user: user, secret: secret, tm: pgtype.NewMap(),
		stmts: map[string]*prepared{}, portals: map[string]*portal{}, tx: 'I', mem: sessionMem{limit: s.cfg.SessionMemory}}
	c.params = s.defaultSettings(user, admin)
	sess.Warnings = noticeWriter{c}
	sess.Notices = noticeWriter{c}
	return c
}

// noticeWriter sends the session's warnings and notices (lines "WARNING:
// message", "NOTICE: message") to the client as NoticeResponse messages. The session writes them while a
// statement runs, on the connection's goroutine.
type noticeWriter struct{ c *conn }

func (w noticeWriter) Write(p []byte) (int, error) {
	for _, line := range strings.Split(strings.TrimRight(string(p), "\n"), "\n") {
		severity, code := "WARNING", "01000"
		msg, ok := strings.CutPrefix(line, "WARNING: ")
		if !ok {
			severity, code = "NOTICE", "00000"
			msg, ok = strings.CutPrefix(line, "NOTICE: ")
		}
		if !ok || msg == "" {
			continue
		}
		w.c.be.Send(&pgproto3.NoticeResponse{Severity: severity, SeverityUnlocalized: severity, Code: code, Message: msg})
	}
	return len(p), nil
}

// newSession opens a session. Sessions are opened one at a time (a new
// session registers DuckDB functions, which conflicts with a concurrent
// registration), with a few retries for conflicts with other catalog writes.
func (s *Server) newSession(o session.SessionOptions) (*session.Session, error) {
	s.sessMu.Lock()
	defer s.sessMu.Unlock()
	var err error
	for attempt := 0; attempt < 5; attempt++ {
		var sess *session.Session
		sess, err = s.cfg.Warehouse.NewSession(context.Background(), o)
		if err == nil {
			return sess, nil
		}
		if !strings.Contains(err.Error(), "UDF") && !strings.Contains(err.Error(), "onflict") {
			return nil, err
		}
		time.Sleep(time.Duration(attempt+1) * 20 * time.Millisecond)
	}
	return nil, err
}

func (s *Server) endConn(c *conn) {
	c.dropPortals() // a portal run's statement holds the session's connection
	s.mu.Lock()
	if s.conns[c.pid] == c {
		delete(s.conns, c.pid)
	}
	s.mu.Unlock()
	s.release()
	c.closeCursors() // a streaming cursor's statement holds the session
	s.cfg.Guard.Forget(c.sess)
	c.sess.Close()
}

// authenticate runs SCRAM-SHA-256. Unknown users go through the same
// exchange (with a stable fake salt) and fail the same way; every failure
// is answered no sooner than AuthFailDelay after the login began and is
// logged with the user name and address (never the password).
func (s *Server) authenticate(nc net.Conn, be *pgproto3.Backend, user string) (*access.User, error) {
	start := time.Now()
	sn, err := s.cfg.Guard.Store().Snapshot(context.Background())
	if err != nil {
		be.Send(fatal("XX000", "user store unavailable"))
		be.Flush()
		return nil, err
	}
	u := sn.User(user)
	var x *access.ServerExchange
	if u != nil {
		v, err := access.ParseVerifier(u.Verifier)
		if err != nil {
			u = nil
		} else {
			x = access.NewServerExchange(v)
		}
	}
	if x == nil {
		x = access.NewFakeExchange(s.fakeKey, user)
	}
	fail := func(reason string) (*access.User, error) {
		s.cfg.Logger.Printf("login failed for user %q from %s: %s", user, nc.RemoteAddr(), reason)
		if d := s.cfg.AuthFailDelay - time.Since(start); d > 0 {
			time.Sleep(d)
		}
		be.Send(fatal("28P01", fmt.Sprintf("password authentication failed for user %q", user)))
		be.Flush()
		return nil, errors.New("authentication failed")
	}
	be.Send(&pgproto3.AuthenticationSASL{AuthMechanisms: []string{access.Mechanism}})
	if err := be.Flush(); err != nil {
		return nil, err
	}
	if err := be.SetAuthType(pgproto3.AuthTypeSASL); err != nil {
		return nil, err
	}
	msg, err := be.Receive()
	if err != nil {
		s.cfg.Logger.Printf("login for user %q from %s abandoned before a password was sent", user, nc.RemoteAddr())
		return nil, err
	}
	init, ok := msg.(*pgproto3.SASLInitialResponse)
	if !ok {
		return fail(fmt.Sprintf("expected a SASL response, got %T", msg))
	}
	if init.AuthMechanism != access.Mechanism {
		return fail("unsupported SASL mechanism " + init.AuthMechanism)
	}
	first, err := x.First(init.Data)
	if err != nil {
		return fail(err.Error())
	}
	be.Send(&pgproto3.AuthenticationSASLContinue{Data: first})
	if err := be.Flush(); err != nil {
		return nil, err
	}
	if err := be.SetAuthType(pgproto3.AuthTypeSASLContinue); err != nil {
		return nil, err
	}
	msg, err = be.Receive()
	if err != nil {
		return nil, err
	}
	resp, ok := msg.(*pgproto3.SASLResponse)
	if !ok {
		return fail(fmt.Sprintf("expected a SASL response, got %T", msg))
	}
	final, err := x.Final(resp.Data)
	if err != nil {
		if u == nil {
			return fail("no such user")
		}
		return fail(err.Error())
	}
	be.Send(&pgproto3.AuthenticationSASLFinal{Data: final})
	return u, nil
}

// cancelRequest cancels the statement running on a connection, if the
// secret matches. Failures are logged and, past a limit, ignored for a
// while (admission.go).
func (s *Server) cancelRequest(from net.Addr, pid uint32, secret []byte) {
	host := hostOf(from)
	if s.cancelThrottled(host) {
		return
	}
	s.mu.Lock()
	c := s.conns[pid]
	s.mu.Unlock()
	if c == nil || subtle.ConstantTimeCompare(c.secret, secret) != 1 {
		s.cancelFailed(host, pid)
		return
	}
	s.cfg.Logger.Printf("connection %d: cancel request", pid)
	c.cancel()
}

// Sessions returns the number of open sessions.
func (s *Server) Sessions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

// peekReader sits between the connection and the protocol decoder so that,
// while a statement runs, the server can notice a client that went away
// (a read returning EOF) and cancel its statement, without losing a byte of
// what the client may have sent meanwhile.
type peekReader struct {
	r   io.Reader
	buf []byte
}

func (p *peekReader) Read(b []byte) (int, error) {
	if len(p.buf) > 0 {
		n := copy(b, p.buf)
		p.buf = p.buf[n:]
		return n, nil
	}
	return p.r.Read(b)
}

// peek blocks until one byte arrives (kept for Read) or the read fails.
func (p *peekReader) peek() error {
	if len(p.buf) > 0 {
		return nil
	}
	var one [1]byte
	n, err := p.r.Read(one[:])
	if n > 0 {
		p.buf = append(p.buf, one[0])
		return nil
	}
	return err
}
