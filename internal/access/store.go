package access

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"

	"github.com/modelsql/modelsql/internal/engine"
)

const sys = engine.SystemCatalog

// Store keeps users, roles, grants and table owners in the system database.
//
// Reads go through a snapshot of all of it, reloaded whenever this process
// has changed anything since (a generation counter). Only one process can
// hold a data directory, so the counter sees every change: a REVOKE is in
// force for the very next statement of every session.
type Store struct {
	db  *sql.DB
	gen atomic.Int64

	mu   sync.Mutex
	snap *Snapshot
}

// User is one login.
type User struct {
	Name     string
	Admin    bool
	Verifier string
	Created  time.Time
}

// Grant is one stored privilege.
type Grant struct {
	PrincipalKind string // USER or ROLE
	Principal     string
	ObjectKind    string // PROJECT, TABLE, MODEL
	Object        string // lower-case: project, or project.schema.name
	Privilege     string // canonical spelling
	Grantor       string
}

// Snapshot is a consistent view of the store.
type Snapshot struct {
	gen     int64
	Users   map[string]*User
	Roles   map[string]bool
	members map[string][]string // user → roles
	Grants  []Grant
	held    map[heldKey]bool
	owners  map[string]string // table object → owner
}

type heldKey struct{ principalKind, principal, objectKind, object, privilege string }

// OpenStore returns the store of an open engine's database (whose tables
// package migrate created).
func OpenStore(ctx context.Context, db *sql.DB) (*Store, error) {
	s := &Store{db: db}
	s.gen.Store(1)
	return s, nil
}

// normName is how user and role names are compared: case-insensitively.
func normName(n string) string { return strings.ToLower(strings.TrimSpace(n)) }

// ValidPrincipalName reports whether a user or role name is acceptable:
// 1–128 bytes of printable characters without spaces.
func ValidPrincipalName(n string) error {
	if n == "" || len(n) > 128 {
		return fmt.Errorf("invalid name %q: 1 to 128 characters", n)
	}
	for _, r := range n {
		if !unicode.IsPrint(r) || unicode.IsSpace(r) {
			return fmt.Errorf("invalid name %q: no spaces or control characters", n)
		}
	}
	return nil
}

func (s *Store) changed() { s.gen.Add(1) }

// Snapshot returns the current state, reloading it if anything changed.
func (s *Store) Snapshot(ctx context.Context) (*Snapshot, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.gen.Load()
	if s.snap != nil && s.snap.gen == g {
		return s.snap, nil
	}
	sn, err := s.load(ctx)
	if err != nil {
		return nil, err
	}
	sn.gen = g
	s.snap = sn
	return sn, nil
}

func (s *Store) load(ctx context.Context) (*Snapshot, error) {
	sn := &Snapshot{Users: map[string]*User{}, Roles: map[string]bool{}, members: map[string][]string{}, held: map[heldKey]bool{}, owners: map[string]string{}}
	rows, err := s.db.QueryContext(ctx, `SELECT name, admin, verifier, create_time FROM `+sys+`.main.users`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		u := &User{}
		if err := rows.Scan(&u.Name, &u.Admin, &u.Verifier, &u.Created); err != nil {
			rows.Close()
			return nil, err
		}
		sn.Users[u.Name] = u
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if err := scanAll(ctx, s.db, `SELECT name FROM `+sys+`.main.roles`, func(r *sql.Rows) error {
		var n string
		err := r.Scan(&n)
		sn.Roles[n] = true
		return err
	}); err != nil {
		return nil, err
	}
	if err := scanAll(ctx, s.db, `SELECT role, user_name FROM `+sys+`.main.role_members ORDER BY role`, func(r *sql.Rows) error {
		var role, user string
		err := r.Scan(&role, &user)
		sn.members[user] = append(sn.members[user], role)
		return err
	}); err != nil {
		return nil, err
	}
	if err := scanAll(ctx, s.db, `SELECT principal_kind, principal, object_kind, object, privilege, grantor FROM `+sys+`.main.grants
		ORDER BY principal_kind, principal, object_kind, object, privilege`, func(r *sql.Rows) error {
		var g Grant
		err := r.Scan(&g.PrincipalKind, &g.Principal, &g.ObjectKind, &g.Object, &g.Privilege, &g.Grantor)
		sn.Grants = append(sn.Grants, g)
		sn.held[heldKey{g.PrincipalKind, g.Principal, g.ObjectKind, g.Object, g.Privilege}] = true
		return err
	}); err != nil {
		return nil, err
	}
	if err := scanAll(ctx, s.db, `SELECT object, owner FROM `+sys+`.main.table_owners`, func(r *sql.Rows) error {
		var o, w string
		err := r.Scan(&o, &w)
		sn.owners[o] = w
		return err
	}); err != nil {
		return nil, err
	}
	return sn, nil
}

func scanAll(ctx context.Context, db *sql.DB, q string, fn func(*sql.Rows) error) error {
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// User returns a user by name (any case), or nil.
func (sn *Snapshot) User(name string) *User { return sn.Users[normName(name)] }

// RolesOf lists a user's roles.
func (sn *Snapshot) RolesOf(user string) []string { return sn.members[normName(user)] }

// Holds reports whether a user holds a privilege on an object through a
// direct grant or a role, counting All. Ownership and administrators are the
// guard's business.
func (sn *Snapshot) Holds(user, kind, object, priv string) bool {
	user = normName(user)
	for _, p := range []string{priv, PrivAll} {
		if sn.held[heldKey{"USER", user, kind, object, p}] {
			return true
		}
		for _, r := range sn.members[user] {
			if sn.held[heldKey{"ROLE", r, kind, object, p}] {
				return true
			}
		}
	}
	return false
}

// HoldsAny reports whether the user holds any privilege on the object.
func (sn *Snapshot) HoldsAny(user, kind, object string) bool {
	for _, p := range privileges[kind] {
		if sn.Holds(user, kind, object, p) {
			return true
		}
	}
	return false
}

// TableOwner returns the recorded owner of a table or view ("" if none).
func (sn *Snapshot) TableOwner(object string) string { return sn.owners[object] }

// AdminCount counts administrators.
func (sn *Snapshot) AdminCount() int {
	n := 0
	for _, u := range sn.Users {
		if u.Admin {
			n++
		}
	}
	return n
}

// ErrNoUser is returned for an unknown user.
var ErrNoUser = errors.New("no such user")

// AddUser creates a user with a password.
func (s *Store) AddUser(ctx context.Context, name, password string, admin bool) error {
	if err := ValidPrincipalName(name); err != nil {
		return err
	}
	if password == "" {
		return errors.New("the password must not be empty")
	}
	v, err := NewVerifier(password)
	if err != nil {
		return err
	}
	defer s.changed()
	_, err = s.db.ExecContext(ctx, `INSERT INTO `+sys+`.main.users VALUES (?, ?, ?, ?)`, normName(name), admin, v.String(), time.Now().UTC())
	if err != nil && isConstraint(err) {
		return fmt.Errorf("user %s already exists", normName(name))
	}
	return err
}

// SetPassword replaces a user's verifier.
func (s *Store) SetPassword(ctx context.Context, name, password string) error {
	if password == "" {
		return errors.New("the password must not be empty")
	}
	v, err := NewVerifier(password)
	if err != nil {
		return err
	}
	defer s.changed()
	res, err := s.db.ExecContext(ctx, `UPDATE `+sys+`.main.users SET verifier = ? WHERE name = ?`, v.String(), normName(name))
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("user %s does not exist", normName(name))
	}
	return nil
}

// SetAdmin grants or removes the administrator flag.
func (s *Store) SetAdmin(ctx context.Context, name string, admin bool) error {
	defer s.changed()
	res, err := s.db.ExecContext(ctx, `UPDATE `+sys+`.main.users SET admin = ? WHERE name = ?`, admin, normName(name))
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("user %s does not exist", normName(name))
	}
	return nil
}

// DropUser removes a user, its role memberships and its grants. Objects it
// owns keep the owner's name.
func (s *Store) DropUser(ctx context.Context, name string) (bool, error) {
	name = normName(name)
	var dropped bool
	defer s.changed()
	err := s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM `+sys+`.main.users WHERE name = ?`, name)
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		dropped = n > 0
		if _, err := tx.ExecContext(ctx, `DELETE FROM `+sys+`.main.role_members WHERE user_name = ?`, name); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM `+sys+`.main.grants WHERE principal_kind = 'USER' AND principal = ?`, name)
		return err
	})
	return dropped, err
}

// CreateRole creates a role.
func (s *Store) CreateRole(ctx context.Context, name string) error {
	if err := ValidPrincipalName(name); err != nil {
		return err
	}
	defer s.changed()
	_, err := s.db.ExecContext(ctx, `INSERT INTO `+sys+`.main.roles VALUES (?, ?)`, normName(name), time.Now().UTC())
	if err != nil && isConstraint(err) {
		return fmt.Errorf("role %s already exists", normName(name))
	}
	return err
}

// DropRole removes a role, its members and its grants.
func (s *Store) DropRole(ctx context.Context, name string) (bool, error) {
	name = normName(name)
	var dropped bool
	defer s.changed()
	err := s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM `+sys+`.main.roles WHERE name = ?`, name)
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		dropped = n > 0
		if _, err := tx.ExecContext(ctx, `DELETE FROM `+sys+`.main.role_members WHERE role = ?`, name); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM `+sys+`.main.grants WHERE principal_kind = 'ROLE' AND principal = ?`, name)
		return err
	})
	return dropped, err
}

// GrantRole makes a user a member of a role (idempotent).
func (s *Store) GrantRole(ctx context.Context, role, user string) error {
	defer s.changed()
	_, err := s.db.ExecContext(ctx, `INSERT INTO `+sys+`.main.role_members VALUES (?, ?) ON CONFLICT DO NOTHING`, normName(role), normName(user))
	return err
}

// RevokeRole removes a membership.
func (s *Store) RevokeRole(ctx context.Context, role, user string) error {
	defer s.changed()
	_, err := s.db.ExecContext(ctx, `DELETE FROM `+sys+`.main.role_members WHERE role = ? AND user_name = ?`, normName(role), normName(user))
	return err
}

// AddGrants stores privileges (idempotent).
func (s *Store) AddGrants(ctx context.Context, gs []Grant) error {
	defer s.changed()
	now := time.Now().UTC()
	return s.tx(ctx, func(tx *sql.Tx) error {
		for _, g := range gs {
			if _, err := tx.ExecContext(ctx, `INSERT INTO `+sys+`.main.grants VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
				g.PrincipalKind, normName(g.Principal), g.ObjectKind, g.Object, g.Privilege, g.Grantor, now); err != nil {
				return err
			}
		}
		return nil
	})
}

// RemoveGrants deletes privileges. Revoking All removes every privilege of
// the principal on the object.
func (s *Store) RemoveGrants(ctx context.Context, gs []Grant) error {
	defer s.changed()
	return s.tx(ctx, func(tx *sql.Tx) error {
		for _, g := range gs {
			q := `DELETE FROM ` + sys + `.main.grants WHERE principal_kind = ? AND principal = ? AND object_kind = ? AND object = ?`
			args := []any{g.PrincipalKind, normName(g.Principal), g.ObjectKind, g.Object}
			if g.Privilege != PrivAll {
				q += ` AND privilege = ?`
				args = append(args, g.Privilege)
			}
			if _, err := tx.ExecContext(ctx, q, args...); err != nil {
				return err
			}
		}
		return nil
	})
}

// SetTableOwner records the owner of a new table or view. Grants left from
// an earlier object of the same name are removed: a new object starts clean.
func (s *Store) SetTableOwner(ctx context.Context, object, owner string) error {
	defer s.changed()
	return s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM `+sys+`.main.grants WHERE object_kind = 'TABLE' AND object = ?`, object); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO `+sys+`.main.table_owners VALUES (?, ?, ?)`, object, normName(owner), time.Now().UTC())
		return err
	})
}

// ForgetObject removes the owner record and all grants of a dropped table
// or model.
func (s *Store) ForgetObject(ctx context.Context, kind, object string) error {
	var n int64
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if kind == KindTable {
			res, err := tx.ExecContext(ctx, `DELETE FROM `+sys+`.main.table_owners WHERE object = ?`, object)
			if err != nil {
				return err
			}
			k, _ := res.RowsAffected()
			n += k
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM `+sys+`.main.grants WHERE object_kind = ? AND object = ?`, kind, object)
		if err != nil {
			return err
		}
		k, _ := res.RowsAffected()
		n += k
		return nil
	})
	if n > 0 || err != nil {
		s.changed() // only a real change invalidates every session's snapshot
	}
	return err
}

// RenameTable moves the owner record and grants of a renamed table.
func (s *Store) RenameTable(ctx context.Context, from, to string) error {
	defer s.changed()
	return s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM `+sys+`.main.grants WHERE object_kind = 'TABLE' AND object = ?`, to); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE `+sys+`.main.grants SET object = ? WHERE object_kind = 'TABLE' AND object = ?`, to, from); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM `+sys+`.main.table_owners WHERE object = ?`, to); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE `+sys+`.main.table_owners SET object = ? WHERE object = ?`, to, from)
		return err
	})
}

// UserNames lists users, sorted.
func (sn *Snapshot) UserNames() []string {
	var out []string
	for n := range sn.Users {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

func (s *Store) tx(ctx context.Context, fn func(*sql.Tx) error) error {
	return engine.InTx(ctx, s.db, fn)
}

func isConstraint(err error) bool {
	return err != nil && (strings.Contains(err.Error(), "Constraint Error") || strings.Contains(err.Error(), "Duplicate key"))
}
