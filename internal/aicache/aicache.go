// Package aicache keeps the answers of AI requests in the warehouse, so that
// no request is paid for twice: the persistent result cache shared by every
// session, connection and process restart (one table of the system catalog,
// created by package migrate), and the de-duplication of identical requests
// within one statement (Flights).
//
// An entry's key is the SHA-256 of the model version's internal id and the
// request's body identity (aisched.BodyID): a version dropped and created
// again under the same name has a new id, so it never matches old answers.
//
// Answers are written as they arrive by one writer goroutine, in the
// system catalog and outside the user's statement transaction (DuckDB lets
// one transaction write one attached database only): a statement that
// fails, is cancelled or whose process is killed keeps the answers it got.
// Until the writer has written an entry, lookups find it in memory.
package aicache

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"database/sql/driver"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"sync"
	"time"

	duckdb "github.com/duckdb/duckdb-go/v2"
)

// Table is the cache's table in the system catalog; StatsTable holds the
// hit and miss counts per model version.
const (
	Table      = "__modelsql.main.ai_cache"
	StatsTable = "__modelsql.main.ai_cache_stats"
	versions   = "__modelsql.main.versions"
)

// groupCommitDelay is how long the writer waits after the first new entry
// for others to write with it; answers are on disk at most this much later.
const groupCommitDelay = 250 * time.Millisecond

// DefaultMaxBytes bounds the cache when no bound is configured.
const DefaultMaxBytes = 1 << 30

// Mode is the session's modelsql.ai.cache setting.
type Mode int

const (
	// Auto reuses answers except those of requests that set temperature above 0.
	Auto Mode = iota
	// On reuses every answer.
	On
	// Off neither reads nor writes the cache.
	Off
)

// ParseMode reads a modelsql.ai.cache value ("" is Auto).
func ParseMode(s string) (Mode, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "auto":
		return Auto, nil
	case "on":
		return On, nil
	case "off":
		return Off, nil
	}
	return Auto, fmt.Errorf("modelsql.ai.cache must be 'auto', 'on' or 'off', got %q", s)
}

// Uses tells whether a request is read from and written to the cache:
// sampled requests (temperature above 0) only under On.
func (m Mode) Uses(sampled bool) bool {
	switch m {
	case On:
		return true
	case Auto:
		return !sampled
	}
	return false
}

// Sampled tells whether model parameters ask for sampling (temperature > 0).
func Sampled(temperature json.RawMessage) bool {
	if len(temperature) == 0 {
		return false
	}
	var t float64
	if err := json.Unmarshal(temperature, &t); err != nil {
		return true // not a number: do not assume it is deterministic
	}
	return t > 0
}

// Key identifies an answer: a model version's id and a request body.
type Key [32]byte

// KeyOf is the cache key of a request body (aisched.BodyID) of a version.
func KeyOf(versionID string, body [32]byte) Key {
	h := sha256.New()
	var n [8]byte
	binary.LittleEndian.PutUint64(n[:], uint64(len(versionID)))
	h.Write(n[:])
	h.Write([]byte(versionID))
	h.Write(body[:])
	var k Key
	h.Sum(k[:0])
	return k
}

// Entry is one answer to store.
type Entry struct {
	Key                      Key
	VersionID                string
	Model, Version, Function string // for CLEAR and for people reading the table
	Value                    any    // string, float64 or []float32
	kind                     string
	data                     []byte
}

// Encode gives a value's stored form. Values are a text, a number or an
// embedding.
func Encode(v any) (kind string, data []byte, err error) {
	switch x := v.(type) {
	case string:
		return "text", []byte(x), nil
	case float64:
		return "number", binary.LittleEndian.AppendUint64(nil, math.Float64bits(x)), nil
	case []float32:
		out := make([]byte, 0, 4*len(x))
		for _, f := range x {
			out = binary.LittleEndian.AppendUint32(out, math.Float32bits(f))
		}
		return "embedding", out, nil
	case []any: // an embedding as DuckDB's FLOAT[] value
		fs := make([]float32, len(x))
		for i, e := range x {
			f, ok := e.(float32)
			if !ok {
				return "", nil, fmt.Errorf("aicache: cannot store a list of %T", e)
			}
			fs[i] = f
		}
		return Encode(fs)
	}
	return "", nil, fmt.Errorf("aicache: cannot store a %T", v)
}

// Decode reverses Encode.
func Decode(kind string, data []byte) (any, error) {
	switch kind {
	case "text":
		return string(data), nil
	case "number":
		if len(data) != 8 {
			return nil, fmt.Errorf("aicache: corrupt number entry")
		}
		return math.Float64frombits(binary.LittleEndian.Uint64(data)), nil
	case "embedding":
		if len(data)%4 != 0 {
			return nil, fmt.Errorf("aicache: corrupt embedding entry")
		}
		out := make([]float32, len(data)/4)
		for i := range out {
			out[i] = math.Float32frombits(binary.LittleEndian.Uint32(data[4*i:]))
		}
		return out, nil
	}
	return nil, fmt.Errorf("aicache: unknown entry kind %q", kind)
}

// Store is the persistent cache of one data directory. Its methods are
// safe for concurrent use.
type Store struct {
	db       *sql.DB
	maxBytes int64

	mu      sync.Mutex
	pending map[Key]*Entry // queued or being written
	queue   []*Entry
	touched map[Key]bool
	counts  map[[2]string]*[2]int64 // model, version → hits, misses
	waiters []chan struct{}         // Flush calls waiting for the next write
	wake    chan struct{}
	stop    chan struct{}
	stopped chan struct{}
	total   int64 // bytes stored (an upper estimate between evictions)
	lastErr error

	writeMu sync.Mutex // one writer of the table at a time (writer, Clear, Prune)
	conn    *sql.Conn  // the writer's connection, holding its staging table
}

// Open starts the cache on a database holding the system catalog, bounded
// to maxBytes of stored answers (0: DefaultMaxBytes). It drops entries of
// versions that no longer exist (dropped while the cache could not).
func Open(ctx context.Context, db *sql.DB, maxBytes int64) (*Store, error) {
	if maxBytes <= 0 {
		maxBytes = DefaultMaxBytes
	}
	s := &Store{db: db, maxBytes: maxBytes, pending: map[Key]*Entry{}, touched: map[Key]bool{},
		counts: map[[2]string]*[2]int64{}, wake: make(chan struct{}, 1), stop: make(chan struct{}), stopped: make(chan struct{})}
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	// New entries are appended (DuckDB's appender: far less CPU than
	// INSERT statements) to a temporary table of the writer's connection,
	// then moved into the cache by one INSERT OR IGNORE.
	if _, err := conn.ExecContext(ctx, `CREATE TEMP TABLE ai_cache_staging AS SELECT * FROM `+Table+` LIMIT 0`); err != nil {
		conn.Close()
		return nil, fmt.Errorf("prepare the AI result cache: %w", err)
	}
	s.conn = conn
	go s.writer()
	if err := s.Prune(ctx); err != nil { // also reads the stored size
		s.Close()
		return nil, err
	}
	return s, nil
}

// MaxBytes is the bound of the stored answers.
func (s *Store) MaxBytes() int64 { return s.maxBytes }

// Get returns the stored answers of keys (missing keys are absent). Found
// entries count as used now, for the least-recently-used order.
func (s *Store) Get(ctx context.Context, keys []Key) (map[Key]any, error) {
	return s.get(ctx, keys, true)
}

// Peek is Get without marking the entries used (EXPLAIN COST).
func (s *Store) Peek(ctx context.Context, keys []Key) (map[Key]any, error) {
	return s.get(ctx, keys, false)
}

func (s *Store) get(ctx context.Context, keys []Key, touch bool) (map[Key]any, error) {
	out := map[Key]any{}
	var ask []any
	s.mu.Lock()
	for _, k := range keys {
		if e := s.pending[k]; e != nil {
			out[k] = e.Value
		} else {
			ask = append(ask, bytesOf(k))
		}
	}
	s.mu.Unlock()
	const chunk = 512
	for lo := 0; lo < len(ask); lo += chunk {
		part := ask[lo:min(lo+chunk, len(ask))]
		q := `SELECT key, kind, value FROM ` + Table + ` WHERE key IN (?` + strings.Repeat(",?", len(part)-1) + `)`
		rows, err := s.db.QueryContext(ctx, q, part...)
		if err != nil {
			return out, fmt.Errorf("read the AI result cache: %w", err)
		}
		for rows.Next() {
			var kb, data []byte
			var kind string
			if err := rows.Scan(&kb, &kind, &data); err != nil {
				rows.Close()
				return out, err
			}
			v, err := Decode(kind, data)
			if err != nil || len(kb) != len(Key{}) {
				continue // an unreadable entry is a miss; it is replaced
			}
			out[Key(kb)] = v
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return out, err
		}
	}
	if len(out) > 0 && touch {
		s.mu.Lock()
		for k := range out {
			s.touched[k] = true
		}
		s.mu.Unlock()
	}
	return out, nil
}

// Put stores an answer. It returns at once; the writer writes it soon
// (Flush waits for it).
func (s *Store) Put(e Entry) error {
	kind, data, err := Encode(e.Value)
	if err != nil {
		return err
	}
	e.kind, e.data = kind, data
	s.mu.Lock()
	if s.pending[e.Key] == nil {
		s.pending[e.Key] = &e
		s.queue = append(s.queue, &e)
	}
	s.mu.Unlock()
	s.poke()
	return nil
}

// Count adds cache hits and misses of a model version.
func (s *Store) Count(model, version string, hits, misses int) {
	if hits == 0 && misses == 0 {
		return
	}
	s.mu.Lock()
	c := s.counts[[2]string{model, version}]
	if c == nil {
		c = new([2]int64)
		s.counts[[2]string{model, version}] = c
	}
	c[0] += int64(hits)
	c[1] += int64(misses)
	s.mu.Unlock()
	s.poke()
}

func (s *Store) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Flush waits until everything put or counted so far is written, and
// returns the writer's last error.
func (s *Store) Flush(ctx context.Context) error {
	ch := make(chan struct{})
	s.mu.Lock()
	s.waiters = append(s.waiters, ch)
	s.mu.Unlock()
	s.poke()
	select {
	case <-ch:
	case <-s.stopped:
	case <-ctx.Done():
		return ctx.Err()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastErr
}

// Close writes what is queued and stops the writer.
func (s *Store) Close() error {
	select {
	case <-s.stop:
	default:
		close(s.stop)
	}
	<-s.stopped
	s.conn.Close()
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastErr
}

// writer writes queued entries, touches and counts, all that accumulated
// while it wrote the previous batch in one transaction (group commit).
func (s *Store) writer() {
	defer close(s.stopped)
	for {
		stopping := false
		select {
		case <-s.wake:
			// Gather what arrives meanwhile into one transaction: a commit
			// per answer would cost more CPU than the requests themselves.
			select {
			case <-time.After(groupCommitDelay):
			case <-s.stop:
				stopping = true
			}
		case <-s.stop:
			stopping = true
		}
		s.mu.Lock()
		queue, touched, counts, waiters := s.queue, s.touched, s.counts, s.waiters
		s.queue, s.touched, s.counts, s.waiters = nil, map[Key]bool{}, map[[2]string]*[2]int64{}, nil
		s.mu.Unlock()
		err := s.write(queue, touched, counts)
		s.mu.Lock()
		for _, e := range queue {
			if s.pending[e.Key] == e {
				delete(s.pending, e.Key)
			}
		}
		if err != nil {
			s.lastErr = err
		}
		s.mu.Unlock()
		for _, w := range waiters {
			close(w)
		}
		if stopping {
			return
		}
	}
}

func (s *Store) write(queue []*Entry, touched map[Key]bool, counts map[[2]string]*[2]int64) error {
	if len(queue) == 0 && len(touched) == 0 && len(counts) == 0 {
		return nil
	}
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	ctx := context.Background()
	now := time.Now().UTC()
	added, err := s.insert(ctx, queue, now)
	if err != nil {
		return err
	}
	if len(touched) == 0 && len(counts) == 0 && s.total+added <= s.maxBytes {
		s.total += added
		return nil
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var keys []any
	for k := range touched {
		keys = append(keys, bytesOf(k))
	}
	for lo := 0; lo < len(keys); lo += 512 {
		part := keys[lo:min(lo+512, len(keys))]
		q := `UPDATE ` + Table + ` SET last_used = ? WHERE key IN (?` + strings.Repeat(",?", len(part)-1) + `)`
		if _, err := tx.ExecContext(ctx, q, append([]any{now}, part...)...); err != nil {
			return fmt.Errorf("write the AI result cache: %w", err)
		}
	}
	for mv, c := range counts {
		if _, err := tx.ExecContext(ctx, `INSERT INTO `+StatsTable+` VALUES (?, ?, ?, ?)
			ON CONFLICT (model, version) DO UPDATE SET hits = hits + excluded.hits, misses = misses + excluded.misses`,
			mv[0], mv[1], c[0], c[1]); err != nil {
			return fmt.Errorf("write the AI cache counts: %w", err)
		}
	}
	if s.total+added > s.maxBytes {
		// Least recently used out: keep the newest entries that fit.
		if _, err := tx.ExecContext(ctx, `DELETE FROM `+Table+` WHERE key IN (
			SELECT key FROM (SELECT key, sum(bytes) OVER (ORDER BY last_used DESC, create_time DESC, key) AS upto FROM `+Table+`)
			WHERE upto > ?)`, s.maxBytes); err != nil {
			return fmt.Errorf("evict from the AI result cache: %w", err)
		}
		var total int64
		if err := tx.QueryRowContext(ctx, `SELECT coalesce(sum(bytes), 0) FROM `+Table).Scan(&total); err != nil {
			return err
		}
		if err := tx.Commit(); err != nil {
			return err
		}
		s.total = total
		return nil
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	s.total += added
	return nil
}

// Clear removes stored answers: all (model ""), a model's (version ""), or
// one version's (model and version as stored: project.schema.name and the
// version's name). It returns how many entries went.
func (s *Store) Clear(ctx context.Context, model, version string) (int64, error) {
	if err := s.Flush(ctx); err != nil {
		return 0, err
	}
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	q, args := `DELETE FROM `+Table, []any{}
	switch {
	case model != "" && version != "":
		q, args = q+` WHERE model = ? AND version = ?`, []any{model, version}
	case model != "":
		q, args = q+` WHERE model = ?`, []any{model}
	}
	return s.deleteAndRecount(ctx, q, args...)
}

// Prune removes the entries of versions that no longer exist (dropped
// versions and versions of dropped models).
func (s *Store) Prune(ctx context.Context) error {
	if err := s.Flush(ctx); err != nil {
		return err
	}
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	_, err := s.deleteAndRecount(ctx, `DELETE FROM `+Table+` WHERE version_id NOT IN (SELECT id FROM `+versions+` WHERE id IS NOT NULL)`)
	return err
}

func (s *Store) deleteAndRecount(ctx context.Context, q string, args ...any) (int64, error) {
	res, err := s.db.ExecContext(ctx, q, args...)
	if err != nil {
		return 0, fmt.Errorf("clear the AI result cache: %w", err)
	}
	n, _ := res.RowsAffected()
	var total int64
	if err := s.db.QueryRowContext(ctx, `SELECT coalesce(sum(bytes), 0) FROM `+Table).Scan(&total); err != nil {
		return n, err
	}
	s.mu.Lock()
	s.total = total
	s.mu.Unlock()
	return n, nil
}

// bytesOf copies a key into its own slice: cgo refuses a slice into memory
// that holds Go pointers (an Entry).
func bytesOf(k Key) []byte { return append([]byte(nil), k[:]...) }

// insert moves queue into the cache through the staging table and returns
// the bytes added.
func (s *Store) insert(ctx context.Context, queue []*Entry, now time.Time) (int64, error) {
	if len(queue) == 0 {
		return 0, nil
	}
	var added int64
	err := s.conn.Raw(func(dc any) error {
		c, ok := dc.(driver.Conn)
		if !ok {
			return fmt.Errorf("aicache: unexpected driver connection %T", dc)
		}
		a, err := duckdb.NewAppender(c, "temp", "main", "ai_cache_staging")
		if err != nil {
			return err
		}
		for _, e := range queue {
			n := int64(len(e.data) + len(e.Model) + len(e.Version) + len(e.Function) + len(e.VersionID) + 64)
			added += n
			if err := a.AppendRow(bytesOf(e.Key), e.VersionID, e.Model, e.Version, e.Function, e.kind, e.data, n, now, now); err != nil {
				a.Close()
				return err
			}
		}
		return a.Close()
	})
	if err == nil {
		_, err = s.conn.ExecContext(ctx, `INSERT OR IGNORE INTO `+Table+` SELECT * FROM ai_cache_staging`)
	}
	if _, derr := s.conn.ExecContext(ctx, `DELETE FROM ai_cache_staging`); err == nil {
		err = derr
	}
	if err != nil {
		return 0, fmt.Errorf("write the AI result cache: %w", err)
	}
	return added, nil
}
