// Package dirlock lets modelsql processes sharing a data directory know
// about each other. DuckDB lets one process at a time open the directory's
// databases and, when another holds them, only says so after a wait. Every
// modelsql command therefore first takes an advisory lock on
// <data>/modelsql.lock, which records who holds it (process id, command,
// the server's listen address), so that a second command can say at once
// "served by modelsql serve (process N) on HOST:PORT" instead of waiting.
//
// The lock is flock(2)-based: the kernel releases it when the holder exits,
// however it exits, so a stale file never blocks anyone.
package dirlock

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// FileName is the lock file inside a data directory.
const FileName = "modelsql.lock"

// Commands a holder may be running.
const (
	Serve  = "serve"  // modelsql serve: holds the directory until stopped
	Shell  = "shell"  // the interactive shell: holds it until the user quits
	Script = "script" // -c, -f or statements on stdin: holds it briefly
	User   = "user"   // modelsql user ...: holds it briefly
)

// Holder describes the process holding a data directory.
type Holder struct {
	PID     int       `json:"pid"`
	Command string    `json:"command"`
	Listen  string    `json:"listen,omitempty"` // the server's address, once it listens
	Since   time.Time `json:"since"`
}

// Lock is a held data directory.
type Lock struct {
	f      *os.File
	holder Holder
}

// BusyError says that another process holds the data directory.
type BusyError struct {
	Dir    string
	Holder Holder        // zero PID when the holder could not be read
	Waited time.Duration // how long Acquire waited (0: it did not)
}

func (e *BusyError) Error() string {
	who := "another modelsql process"
	if e.Holder.PID > 0 {
		who = fmt.Sprintf("modelsql process %d", e.Holder.PID)
	}
	switch {
	case e.Holder.Command == Serve && e.Holder.Listen != "":
		host, port := ConnectAddr(e.Holder.Listen)
		return fmt.Sprintf("data directory %s is served by `modelsql serve` (process %d) on %s: connect to it, e.g. psql \"host=%s port=%s dbname=default user=NAME\", or stop the server first",
			e.Dir, e.Holder.PID, e.Holder.Listen, host, port)
	case e.Holder.Command == Serve:
		return fmt.Sprintf("data directory %s is held by `modelsql serve` (process %d), which is starting; connect to it with psql once it listens, or stop it first", e.Dir, e.Holder.PID)
	case e.Holder.Command == Shell:
		return fmt.Sprintf("data directory %s is open in an interactive modelsql shell (%s); quit it (Ctrl-D) first", e.Dir, who)
	case e.Waited > 0:
		return fmt.Sprintf("data directory %s is still in use by %s (%s) after waiting %s", e.Dir, who, e.Holder.Command, e.Waited.Round(time.Second))
	}
	return fmt.Sprintf("data directory %s is in use by %s", e.Dir, who)
}

// ConnectAddr is the host and port a client on this machine dials to reach
// a server listening on listen (a wildcard host becomes loopback).
func ConnectAddr(listen string) (host, port string) {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return listen, ""
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
		if ip != nil && ip.To4() == nil {
			host = "::1"
		}
	}
	return host, port
}

// Options tune Acquire.
type Options struct {
	// Command is what this process runs (Serve, Shell, Script, User).
	Command string
	// Wait bounds the wait for a holder that will let go by itself (a
	// script, a user command). Servers and shells are reported at once.
	Wait time.Duration
	// Waiting, when set, is called once when Acquire starts waiting.
	Waiting func(Holder)
}

// Acquire takes the lock of dataDir (created, mode 0700, when missing). A
// *BusyError reports a holder that does not let go in time. When the lock
// file cannot be created for lack of permission, Acquire returns a nil
// Lock and no error: DuckDB's own lock still protects the files.
func Acquire(ctx context.Context, dataDir string, o Options) (*Lock, error) {
	abs, err := filepath.Abs(dataDir)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(abs, 0o700); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(abs, FileName), os.O_RDWR|os.O_CREATE, 0o600)
	if errors.Is(err, os.ErrPermission) || errors.Is(err, syscall.EROFS) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("lock data directory: %w", err)
	}
	start := time.Now()
	announced := false
	delay := 20 * time.Millisecond
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			break
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) {
			f.Close()
			return nil, fmt.Errorf("lock data directory: %w", err)
		}
		h := readHolder(f)
		waited := time.Since(start)
		if h.Command == Serve || h.Command == Shell || waited >= o.Wait {
			f.Close()
			if h.Command == Serve || h.Command == Shell {
				waited = 0
			}
			return nil, &BusyError{Dir: abs, Holder: h, Waited: waited}
		}
		if !announced && o.Waiting != nil {
			announced = true
			o.Waiting(h)
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, ctx.Err()
		case <-time.After(delay):
		}
		if delay < 200*time.Millisecond {
			delay *= 2
		}
	}
	l := &Lock{f: f, holder: Holder{PID: os.Getpid(), Command: o.Command, Since: time.Now().UTC().Truncate(time.Second)}}
	if err := l.write(); err != nil {
		l.Release()
		return nil, err
	}
	return l, nil
}

// readHolder reads the holder record, retrying briefly in case the holder
// is writing it at that moment.
func readHolder(f *os.File) Holder {
	for range 5 {
		b := make([]byte, 4096)
		n, _ := f.ReadAt(b, 0)
		var h Holder
		if n > 0 && json.Unmarshal(b[:n], &h) == nil {
			return h
		}
		time.Sleep(10 * time.Millisecond)
	}
	return Holder{}
}

// SetListen records the server's listen address for other processes.
func (l *Lock) SetListen(addr string) error {
	if l == nil {
		return nil
	}
	l.holder.Listen = addr
	return l.write()
}

func (l *Lock) write() error {
	b, err := json.Marshal(l.holder)
	if err != nil {
		return err
	}
	b = append(b, '\n')
	// Write over the old record, then cut what is left of a longer one, so
	// that a reader sees either record whole at every moment but the cut.
	if _, err := l.f.WriteAt(b, 0); err != nil {
		return fmt.Errorf("lock data directory: %w", err)
	}
	if err := l.f.Truncate(int64(len(b))); err != nil {
		return fmt.Errorf("lock data directory: %w", err)
	}
	return nil
}

// Release lets the directory go (exiting does too).
func (l *Lock) Release() {
	if l == nil || l.f == nil {
		return
	}
	l.f.Truncate(0)
	syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN)
	l.f.Close()
	l.f = nil
}

// String names the holder for messages: "process N (script)".
func (h Holder) String() string {
	if h.PID == 0 {
		return "another modelsql process"
	}
	return "modelsql process " + strconv.Itoa(h.PID) + " (" + h.Command + ")"
}
