// Package objtable implements MaxCompute object tables: CREATE OBJECT
// TABLE over an object-store prefix, ALTER TABLE ... REFRESH METADATA,
// DROP and DESC of one, and the functions that read its objects
// (GET_DATA_FROM_OSS, GET_SIGNED_URL_FROM_OSS).
//
// An object table is an ordinary DuckDB table of the project's database,
// one row per object (Columns), which only a refresh writes: the refresh
// replaces its rows in one transaction, so a concurrent query sees the old
// listing or the new one. Its location, role and refresh state are kept in
// the system catalog (__modelsql.main.object_tables).
package objtable

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/modelsql/modelsql/internal/engine"
	"github.com/modelsql/modelsql/internal/migrate"
	"github.com/modelsql/modelsql/internal/objstore"
	"github.com/modelsql/modelsql/internal/parser"
)

// Columns are an object table's columns, in order, with their DuckDB types.
var Columns = [][2]string{
	{"key", "VARCHAR"},             // relative to the LOCATION prefix
	{"size", "BIGINT"},             // bytes
	{"type", "VARCHAR"},            // Normal, Multipart (OSS's object types)
	{"last_modified", "TIMESTAMP"}, // UTC
	{"etag", "VARCHAR"},
	{"owner_id", "VARCHAR"}, // NULL when the store does not report it
	{"storage_class", "VARCHAR"},
}

// PropRoleARN is the SERDEPROPERTIES key naming the role.
const PropRoleARN = "odps.properties.rolearn"

// Ref names an object table (lower case).
type Ref struct{ Project, Schema, Name string }

func (r Ref) String() string { return r.Project + "." + r.Schema + "." + r.Name }

func (r Ref) key() string { return strings.ToLower(r.String()) }

// Quoted is the DuckDB name of the table holding the rows.
func (r Ref) Quoted() string {
	return engine.QuoteIdent(r.Project) + "." + engine.QuoteIdent(r.Schema) + "." + engine.QuoteIdent(r.Name)
}

// Table is an object table's definition and refresh state.
type Table struct {
	Ref
	Location    string
	Role        string // "" means storage.json's default_role
	Properties  string // SERDEPROPERTIES as written, k=v, comma-separated
	Comment     string
	Owner       string
	Created     time.Time
	LastRefresh time.Time // zero before the first refresh
	Objects     int64
	Bytes       int64
	prefix      objstore.Prefix
}

// Fetcher gives the object-store client (built lazily from storage.json).
type Fetcher func() (*objstore.Fetcher, error)

// Manager runs the object-table statements of one warehouse. It keeps the
// definitions in memory (the warehouse holds the data directory alone), so
// that the SQL functions can find a table without a query.
type Manager struct {
	db      *sql.DB
	fetcher Fetcher

	mu      sync.RWMutex
	tables  map[string]*Table
	refresh sync.Map // key -> *sync.Mutex: one refresh of a table at a time
}

const sys = migrate.Catalog + ".main.object_tables"

// Open loads the object tables of the catalog.
func Open(ctx context.Context, db *sql.DB, fetcher Fetcher) (*Manager, error) {
	m := &Manager{db: db, fetcher: fetcher, tables: map[string]*Table{}}
	rows, err := db.QueryContext(ctx, `SELECT project, schema_name, name, location, role, properties, comment, owner,
		create_time, last_refresh, object_count, total_bytes FROM `+sys)
	if err != nil {
		return nil, fmt.Errorf("object tables: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		t := &Table{}
		var last sql.NullTime
		if err := rows.Scan(&t.Project, &t.Schema, &t.Name, &t.Location, &t.Role, &t.Properties, &t.Comment, &t.Owner,
			&t.Created, &last, &t.Objects, &t.Bytes); err != nil {
			return nil, err
		}
		t.LastRefresh = last.Time
		t.prefix, _ = objstore.ParsePrefix(t.Location) // checked when created
		m.tables[t.key()] = t
	}
	return m, rows.Err()
}

// Lookup returns the object table r, if there is one.
func (m *Manager) Lookup(r Ref) (*Table, bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	t, ok := m.tables[r.key()]
	if !ok {
		return nil, false
	}
	c := *t
	return &c, true
}

// Any reports whether any object table exists (statements skip the
// object-table checks otherwise).
func (m *Manager) Any() bool {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return len(m.tables) > 0
}

// Create runs CREATE OBJECT TABLE for the already resolved name r.
func (m *Manager) Create(ctx context.Context, r Ref, st *parser.CreateObjectTable, owner string) error {
	prefix, err := objstore.ParsePrefix(st.Location)
	if err != nil {
		return fmt.Errorf("CREATE OBJECT TABLE %s: %v", r, err)
	}
	role := ""
	var props []string
	seen := map[string]bool{}
	for _, p := range st.Properties {
		if seen[p.Key] {
			return fmt.Errorf("CREATE OBJECT TABLE %s: SERDEPROPERTIES gives %s twice", r, p.Key)
		}
		seen[p.Key] = true
		switch p.Key {
		case PropRoleARN:
			role = p.Value
		default:
			return fmt.Errorf("CREATE OBJECT TABLE %s: unknown SERDEPROPERTIES key %q (object tables take %s)", r, p.Key, PropRoleARN)
		}
		props = append(props, p.Key+"="+p.Value)
	}
	if role != "" {
		f, err := m.fetcher()
		if err != nil {
			return err
		}
		if !f.HasRole(role) {
			return fmt.Errorf("CREATE OBJECT TABLE %s: role %s is not defined in %s", r, role, objstore.ConfigFileName)
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.tables[r.key()]; ok {
		if st.IfNotExists {
			return nil
		}
		return fmt.Errorf("object table %s already exists", r)
	}
	var cols []string
	for _, c := range Columns {
		cols = append(cols, engine.QuoteIdent(c[0])+" "+c[1])
	}
	if _, err := m.db.ExecContext(ctx, "CREATE TABLE "+r.Quoted()+" ("+strings.Join(cols, ", ")+")"); err != nil {
		if strings.Contains(err.Error(), "already exists") {
			return fmt.Errorf("a table or view named %s already exists", r)
		}
		return fmt.Errorf("CREATE OBJECT TABLE %s: %v", r, cleanErr(err))
	}
	comment := ""
	if st.Comment != nil {
		comment = *st.Comment
	}
	t := &Table{Ref: r, Location: prefix.String(), Role: role, Properties: strings.Join(props, ","), Comment: comment,
		Owner: owner, Created: time.Now().UTC().Truncate(time.Microsecond), prefix: prefix}
	if _, err := m.db.ExecContext(ctx, `INSERT INTO `+sys+` (project, schema_name, name, location, role, properties, comment, owner, create_time)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, r.Project, r.Schema, r.Name, t.Location, role, t.Properties, comment, owner, t.Created); err != nil {
		m.db.ExecContext(context.WithoutCancel(ctx), "DROP TABLE IF EXISTS "+r.Quoted())
		return fmt.Errorf("CREATE OBJECT TABLE %s: %v", r, cleanErr(err))
	}
	m.tables[r.key()] = t
	return nil
}

// Drop removes an object table's definition and rows; the objects are
// not touched.
func (m *Manager) Drop(ctx context.Context, r Ref) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.tables[r.key()]; !ok {
		return fmt.Errorf("object table %s does not exist", r)
	}
	if _, err := m.db.ExecContext(ctx, `DELETE FROM `+sys+` WHERE project = ? AND schema_name = ? AND name = ?`, r.Project, r.Schema, r.Name); err != nil {
		return cleanErr(err)
	}
	delete(m.tables, r.key())
	if _, err := m.db.ExecContext(context.WithoutCancel(ctx), "DROP TABLE IF EXISTS "+r.Quoted()); err != nil {
		return cleanErr(err)
	}
	return nil
}

// insertBatch is how many rows one INSERT of a refresh carries.
const insertBatch = 500

// Refresh lists the table's prefix in full and replaces its rows with the
// listing in one transaction. A failed listing changes nothing. It
// returns the number of objects.
func (m *Manager) Refresh(ctx context.Context, r Ref) (int64, error) {
	t, ok := m.Lookup(r)
	if !ok {
		return 0, fmt.Errorf("%s is not an object table (REFRESH METADATA applies to object tables)", r)
	}
	mu, _ := m.refresh.LoadOrStore(r.key(), &sync.Mutex{})
	mu.(*sync.Mutex).Lock()
	defer mu.(*sync.Mutex).Unlock()
	f, err := m.fetcher()
	if err != nil {
		return 0, err
	}
	var objs []objstore.ObjectInfo
	var total int64
	if err := f.List(ctx, t.prefix, t.Role, func(o objstore.ObjectInfo) error {
		objs = append(objs, o)
		total += o.Size
		return nil
	}); err != nil {
		return 0, fmt.Errorf("REFRESH METADATA of %s failed, its rows are unchanged: %w", r, err)
	}
	sort.Slice(objs, func(i, j int) bool { return objs[i].Key < objs[j].Key })
	now := time.Now().UTC().Truncate(time.Microsecond)
	err = engine.InTx(ctx, m.db, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, "DELETE FROM "+r.Quoted()); err != nil {
			return err
		}
		for lo := 0; lo < len(objs); lo += insertBatch {
			hi := min(lo+insertBatch, len(objs))
			var b strings.Builder
			b.WriteString("INSERT INTO " + r.Quoted() + " VALUES ")
			args := make([]any, 0, (hi-lo)*len(Columns))
			for i, o := range objs[lo:hi] {
				if i > 0 {
					b.WriteString(", ")
				}
				b.WriteString("(?, ?, ?, ?, ?, ?, ?)")
				args = append(args, o.Key, o.Size, nullIfEmpty(o.Type), o.LastModified, nullIfEmpty(o.ETag), nullIfEmpty(o.OwnerID), nullIfEmpty(o.StorageClass))
			}
			if _, err := tx.ExecContext(ctx, b.String(), args...); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("REFRESH METADATA of %s failed, its rows are unchanged: %v", r, cleanErr(err))
	}
	if _, err := m.db.ExecContext(ctx, `UPDATE `+sys+` SET last_refresh = ?, object_count = ?, total_bytes = ?
		WHERE project = ? AND schema_name = ? AND name = ?`, now, len(objs), total, r.Project, r.Schema, r.Name); err != nil {
		return 0, fmt.Errorf("REFRESH METADATA of %s: the rows were replaced but the refresh time was not recorded: %v", r, cleanErr(err))
	}
	m.mu.Lock()
	if cur, ok := m.tables[r.key()]; ok {
		cur.LastRefresh, cur.Objects, cur.Bytes = now, int64(len(objs)), total
	}
	m.mu.Unlock()
	return int64(len(objs)), nil
}

func nullIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// Describe renders DESC [EXTENDED] of an object table as Section, Field,
// Value rows (the layout of DESC MODEL).
func (m *Manager) Describe(r Ref, extended bool) ([]string, [][]any, error) {
	t, ok := m.Lookup(r)
	if !ok {
		return nil, nil, fmt.Errorf("%s is not an object table", r)
	}
	var rows [][]any
	add := func(sec, f, v string) { rows = append(rows, []any{sec, f, v}) }
	add("Table", "TableName", t.Name)
	add("Table", "Project", t.Project)
	add("Table", "Schema", t.Schema)
	add("Table", "Owner", t.Owner)
	add("Table", "TableType", "OBJECT_TABLE")
	add("Table", "Location", objstore.RedactLocation(t.Location))
	role := t.Role
	if role == "" {
		role = "(default_role of storage.json)"
	}
	add("Table", "RoleArn", role)
	add("Table", "CreateTime", t.Created.Format("2006-01-02 15:04:05"))
	last := "never"
	if !t.LastRefresh.IsZero() {
		last = t.LastRefresh.Format("2006-01-02 15:04:05")
	}
	add("Table", "LastRefreshTime", last)
	add("Table", "ObjectCount", fmt.Sprint(t.Objects))
	add("Table", "Comment", t.Comment)
	if extended {
		add("Table", "TotalObjectBytes", fmt.Sprint(t.Bytes))
		add("Table", "SerdeProperties", t.Properties)
	}
	for i, c := range Columns {
		add("Columns", fmt.Sprintf("Column[%d]", i+1), c[0]+" "+mcType(c[1]))
	}
	return []string{"Section", "Field", "Value"}, rows, nil
}

func mcType(t string) string {
	switch t {
	case "VARCHAR":
		return "STRING"
	}
	return t
}

// ErrReadOnly refuses writes to an object table.
var ErrReadOnly = errors.New("object tables are read-only")

// cleanErr keeps DuckDB's message without the driver's prefix.
func cleanErr(err error) error {
	msg := err.Error()
	for _, p := range []string{"Catalog Error: ", "Binder Error: ", "Constraint Error: ", "TransactionContext Error: "} {
		if i := strings.Index(msg, p); i >= 0 {
			return errors.New(msg[i+len(p):])
		}
	}
	return err
}
