package pgserver

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"net"
	"sync/atomic"
	"time"
)

// This file decides who gets in and stays in: sockets still logging in are bounded
// (which also bounds concurrent authentications, hence password guessing),
// sessions are counted before they are admitted so the limit is never
// overshot, the last few session slots are kept for administrators, backend
// ids are random, failed cancel requests are logged and rate-limited, and
// a session of a dropped user ends.

// Defaults of Config's admission limits.
const (
	defaultMaxConnections      = 200
	defaultReservedConnections = 3
	defaultMaxPendingLogins    = 32
	defaultLoginTimeout        = 10 * time.Second
)

// Cancel requests: an address whose requests failed (unknown backend or
// wrong key) cancelFailLimit times within cancelWindow is ignored for the
// rest of the window.
const (
	cancelFailLimit = 10
	cancelWindow    = time.Minute
)

// stalledLogin is how long a socket logging in may wait on its client
// before, when the logins in progress are at their limit, it may be closed
// to make room for a new one (see evictStalledLocked).
const stalledLogin = time.Second

// pendingLogin is a socket logging in.
type pendingLogin struct {
	nc    net.Conn
	host  string
	since time.Time
	// reading is set while the login waits on the client (a Read blocks),
	// as opposed to the server's own work (SCRAM, the failed-login delay).
	reading atomic.Bool
}

// loginConn is a socket logging in: it marks its pendingLogin while a
// Read waits on the client.
type loginConn struct {
	net.Conn
	p *pendingLogin
}

func (c *loginConn) Read(b []byte) (int, error) {
	c.p.reading.Store(true)
	defer c.p.reading.Store(false)
	return c.Conn.Read(b)
}

// enterLogin counts a new socket toward the logins in progress; false
// means the limit is reached and the socket is to be refused.
func (s *Server) enterLogin(nc net.Conn) (*pendingLogin, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.pending) >= s.cfg.MaxPendingLogins && !s.evictStalledLocked() {
		return nil, false
	}
	p := &pendingLogin{nc: nc, host: hostOf(nc.RemoteAddr()), since: time.Now()}
	s.pending[nc] = p
	return p, true
}

// evictStalledLocked makes room for a new login when the limit is reached
// by sockets that only hold their slot (a client that connects and sends
// nothing, or stops half-way through its login): of the sockets waiting on
// their client for stalledLogin or longer, it closes the oldest one of the
// address that holds the most, so that one address cannot lock everyone
// out by keeping idle sockets open. Sockets in the server's own work
// (SCRAM, the delay after a wrong password) keep their slot, so guessing
// stays bounded. s.mu is held.
func (s *Server) evictStalledLocked() bool {
	now := time.Now()
	stalled := map[string]int{}
	for _, p := range s.pending {
		if p.reading.Load() && now.Sub(p.since) >= stalledLogin {
			stalled[p.host]++
		}
	}
	var victim *pendingLogin
	for _, p := range s.pending {
		n := stalled[p.host]
		if n == 0 || !p.reading.Load() || now.Sub(p.since) < stalledLogin {
			continue
		}
		if victim == nil || n > stalled[victim.host] || n == stalled[victim.host] && p.since.Before(victim.since) {
			victim = p
		}
	}
	if victim == nil {
		return false
	}
	delete(s.pending, victim.nc)
	victim.nc.Close()
	s.cfg.Logger.Printf("closed a connection from %s that had not logged in after %s, to make room for a new login (%d logins in progress)",
		victim.host, now.Sub(victim.since).Round(time.Millisecond), s.cfg.MaxPendingLogins)
	return true
}

// leaveLogin ends what enterLogin counted (once; an evicted socket is
// already gone).
func (s *Server) leaveLogin(nc net.Conn) {
	s.mu.Lock()
	delete(s.pending, nc)
	s.mu.Unlock()
}

// refuseLogin answers a socket over the login limit and closes it.
func (s *Server) refuseLogin(nc net.Conn) {
	defer nc.Close()
	s.cfg.Logger.Printf("refused a connection from %s: %d logins in progress", nc.RemoteAddr(), s.cfg.MaxPendingLogins)
	if msg, err := fatal("53300", "too many connections are logging in; try again").Encode(nil); err == nil {
		nc.SetWriteDeadline(time.Now().Add(time.Second))
		nc.Write(msg)
	}
}

// admit takes a session slot for an authenticated user. The last
// ReservedConnections slots are for administrators.
func (s *Server) admit(admin bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	limit := s.cfg.MaxConnections
	if !admin {
		limit -= s.cfg.ReservedConnections
	}
	if s.admitted >= limit {
		if s.admitted < s.cfg.MaxConnections {
			return pgErr("53300", "remaining connection slots are reserved for administrators")
		}
		return pgErr("53300", "too many connections")
	}
	s.admitted++
	return nil
}

// release frees a slot taken by admit.
func (s *Server) release() {
	s.mu.Lock()
	s.admitted--
	s.mu.Unlock()
}

// newBackendID picks a random, unused, non-zero backend id (with the 32-bit
// secret, a cancel request must guess 64 random bits). s.mu is held.
func (s *Server) newBackendID() uint32 {
	var b [4]byte
	for {
		if _, err := rand.Read(b[:]); err != nil {
			panic(fmt.Sprintf("crypto/rand: %v", err)) // never returns an error on supported systems
		}
		id := binary.BigEndian.Uint32(b[:]) & 0x7fffffff // positive: some clients read it as int32
		if _, used := s.conns[id]; id != 0 && !used {
			return id
		}
	}
}

// cancelThrottled reports whether cancel requests from host are being
// ignored after too many failures.
func (s *Server) cancelThrottled(host string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rollCancelWindow()
	return s.cancelFails[host] >= cancelFailLimit
}

// cancelFailed counts and logs a failed cancel request.
func (s *Server) cancelFailed(host string, pid uint32) {
	s.mu.Lock()
	s.rollCancelWindow()
	s.cancelFails[host]++
	n := s.cancelFails[host]
	s.mu.Unlock()
	switch {
	case n < cancelFailLimit:
		s.cfg.Logger.Printf("cancel request from %s for backend %d refused: no such backend or wrong key", host, pid)
	case n == cancelFailLimit:
		s.cfg.Logger.Printf("cancel request from %s for backend %d refused: no such backend or wrong key; ignoring cancel requests from %s for up to %s after %d failures", host, pid, host, cancelWindow, n)
	}
}

// rollCancelWindow starts a new window of failure counts. s.mu is held.
func (s *Server) rollCancelWindow() {
	if now := time.Now(); now.Sub(s.cancelSince) > cancelWindow || len(s.cancelFails) > 100000 {
		s.cancelFails = map[string]int{}
		s.cancelSince = now
	}
}

// loginValid ends a session whose user was dropped (or dropped and created
// again: another user of the same name) since it logged in.
func (c *conn) loginValid() error {
	sn, err := c.srv.cfg.Guard.Store().Snapshot(context.Background())
	if err != nil {
		return nil // the guard refuses the statement itself
	}
	if u := sn.User(c.user); u == nil || !u.Created.Equal(c.sess.UserCreated) {
		c.srv.cfg.Logger.Printf("connection %d: user %s was dropped; ending the session", c.pid, c.user)
		return pgErr("28000", fmt.Sprintf("user %s was dropped; the session ends", c.user))
	}
	return nil
}

func hostOf(a net.Addr) string {
	if a == nil {
		return "?"
	}
	if h, _, err := net.SplitHostPort(a.String()); err == nil {
		return h
	}
	return a.String()
}
