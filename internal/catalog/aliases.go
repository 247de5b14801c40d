package catalog

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
)

// An alias is a second name of one version of a model (champion,
// challenger, ...). It is accepted wherever a version name is and is
// resolved when a statement is planned, so moving it never changes a
// running statement. Aliases live in model_aliases (package migrate).

// ValidateAliasName checks an alias name: the version-name rules, and not
// default_version.
func ValidateAliasName(name string) error {
	if err := ValidateObjectName("alias", name); err != nil {
		return err
	}
	if strings.EqualFold(name, "default_version") {
		return fmt.Errorf("alias name %q is reserved: DEFAULT_VERSION refers to the model's default version", name)
	}
	return nil
}

// SetAlias points alias at version (a version name or another alias),
// creating the alias or moving it from another version in one transaction.
func (c *Catalog) SetAlias(ctx context.Context, ref Ref, version, alias string) error {
	if IsPublicProject(ref.Project) {
		return errPublicReadOnly("alter")
	}
	if err := ValidateAliasName(alias); err != nil {
		return err
	}
	k := ref.key()
	a := strings.ToLower(alias)
	err := c.tx(ctx, func(tx *sql.Tx) error {
		if _, err := getModel(ctx, tx, k); err != nil {
			return err
		}
		if name, err := versionName(ctx, tx, k, a); err == nil {
			return fmt.Errorf("alias %s cannot be set: model %s has a version named %s; an alias cannot take a version's name", alias, ref, name)
		} else if !errors.Is(err, ErrNotFound) {
			return err
		}
		target, err := resolveName(ctx, tx, k, version)
		if errors.Is(err, ErrNotFound) {
			return fmt.Errorf("version %s of model %s does not exist", version, ref)
		}
		if err != nil {
			return err
		}
		now := time.Now().UTC()
		res, err := tx.ExecContext(ctx, `UPDATE `+sys+`.main.model_aliases SET version=?, display_name=?, modify_time=? WHERE project=? AND schema_name=? AND model=? AND name=?`,
			strings.ToLower(target), alias, now, k.Project, k.Schema, k.Name, a)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			if _, err := tx.ExecContext(ctx, `INSERT INTO `+sys+`.main.model_aliases VALUES (?,?,?,?,?,?,?,?)`,
				k.Project, k.Schema, k.Name, a, alias, strings.ToLower(target), now, now); err != nil {
				return err
			}
		}
		return touchModel(ctx, tx, k)
	})
	if errors.Is(err, ErrNotFound) {
		return fmt.Errorf("model %s does not exist", ref)
	}
	if err != nil && isConflict(err) {
		return fmt.Errorf("alias %s of model %s was changed by another statement at the same time; try again", alias, ref)
	}
	return err
}

// UnsetAlias removes an alias. With ifExists a missing alias is not an error.
func (c *Catalog) UnsetAlias(ctx context.Context, ref Ref, alias string, ifExists bool) (removed bool, err error) {
	if IsPublicProject(ref.Project) {
		return false, errPublicReadOnly("alter")
	}
	k := ref.key()
	err = c.tx(ctx, func(tx *sql.Tx) error {
		if _, err := getModel(ctx, tx, k); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM `+sys+`.main.model_aliases WHERE project=? AND schema_name=? AND model=? AND name=?`,
			k.Project, k.Schema, k.Name, strings.ToLower(alias))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			if ifExists {
				return nil
			}
			return fmt.Errorf("alias %s of model %s does not exist", alias, ref)
		}
		removed = true
		return touchModel(ctx, tx, k)
	})
	if errors.Is(err, ErrNotFound) {
		return false, fmt.Errorf("model %s does not exist", ref)
	}
	return removed, err
}

// versionName returns the display name of the version whose key is v.
func versionName(ctx context.Context, q queryer, k Ref, v string) (string, error) {
	var name string
	err := q.QueryRowContext(ctx, `SELECT display_name FROM `+sys+`.main.versions WHERE project=? AND schema_name=? AND model=? AND name=?`,
		k.Project, k.Schema, k.Name, strings.ToLower(v)).Scan(&name)
	if errors.Is(err, sql.ErrNoRows) {
		return "", ErrNotFound
	}
	return name, err
}

// resolveName returns the display name of the version that name (a version
// name or an alias) stands for, or ErrNotFound.
func resolveName(ctx context.Context, q queryer, k Ref, name string) (string, error) {
	v, err := versionName(ctx, q, k, name)
	if !errors.Is(err, ErrNotFound) {
		return v, err
	}
	var target string
	err = q.QueryRowContext(ctx, `SELECT version FROM `+sys+`.main.model_aliases WHERE project=? AND schema_name=? AND model=? AND name=?`,
		k.Project, k.Schema, k.Name, strings.ToLower(name)).Scan(&target)
	if errors.Is(err, sql.ErrNoRows) {
		return "", ErrNotFound
	}
	if err != nil {
		return "", err
	}
	return versionName(ctx, q, k, target)
}

// aliasDisplay returns the display name of alias a, or ErrNotFound.
func aliasDisplay(ctx context.Context, q queryer, k Ref, a string) (string, error) {
	var name string
	err := q.QueryRowContext(ctx, `SELECT display_name FROM `+sys+`.main.model_aliases WHERE project=? AND schema_name=? AND model=? AND name=?`,
		k.Project, k.Schema, k.Name, strings.ToLower(a)).Scan(&name)
	if errors.Is(err, sql.ErrNoRows) {
		return "", ErrNotFound
	}
	return name, err
}

// aliasesOf returns the aliases of version v (its key), sorted.
func aliasesOf(ctx context.Context, q rowsQueryer, k Ref, v string) ([]string, error) {
	all, err := modelAliases(ctx, q, k)
	if err != nil {
		return nil, err
	}
	return all[strings.ToLower(v)], nil
}

type rowsQueryer interface {
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
}

// modelAliases maps each aliased version's key to its aliases, sorted.
func modelAliases(ctx context.Context, q rowsQueryer, k Ref) (map[string][]string, error) {
	rows, err := q.QueryContext(ctx, `SELECT version, display_name FROM `+sys+`.main.model_aliases WHERE project=? AND schema_name=? AND model=? ORDER BY name`,
		k.Project, k.Schema, k.Name)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string][]string{}
	for rows.Next() {
		var v, a string
		if err := rows.Scan(&v, &a); err != nil {
			return nil, err
		}
		out[v] = append(out[v], a)
	}
	for _, as := range out {
		sort.Slice(as, func(i, j int) bool { return strings.ToLower(as[i]) < strings.ToLower(as[j]) })
	}
	return out, rows.Err()
}
