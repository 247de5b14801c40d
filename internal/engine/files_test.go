//go:build unix

package engine

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// modes lists the permission bits of the data directory, its projects
// directory and every file directly inside them.
func modes(t *testing.T, dir string) map[string]os.FileMode {
	t.Helper()
	out := map[string]os.FileMode{}
	for _, d := range []string{dir, filepath.Join(dir, "projects")} {
		st, err := os.Stat(d)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(dir, d)
		out[rel+"/"] = st.Mode().Perm()
		entries, _ := os.ReadDir(d)
		for _, e := range entries {
			if info, err := e.Info(); err == nil && info.Mode().IsRegular() {
				out[filepath.Join(rel, e.Name())] = info.Mode().Perm()
			}
		}
	}
	return out
}

func checkPrivate(t *testing.T, dir string, mustHave ...string) {
	t.Helper()
	got := modes(t, dir)
	for _, name := range mustHave {
		if _, ok := got[name]; !ok {
			t.Errorf("%s missing (have %v)", name, got)
		}
	}
	for name, m := range got {
		want := fileMode
		if strings.HasSuffix(name, "/") {
			want = dirMode
		}
		if m != want {
			t.Errorf("%s has mode %o, want %o", name, m, want)
		}
	}
}

// openWithProject opens (creating) a data directory with a project "sales".
func openWithProject(t *testing.T, dir string) *Engine {
	t.Helper()
	e, err := Open(context.Background(), dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.EnsureProject(context.Background(), "sales"); err != nil {
		t.Fatal(err)
	}
	return e
}

func TestNewDataDirectoryIsPrivate(t *testing.T) {
	old := syscall.Umask(0o022) // what a shell usually has
	defer syscall.Umask(old)
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "wh")
	e := openWithProject(t, dir)
	// Uncheckpointed writes: DuckDB keeps them in WAL files next to the databases.
	for _, q := range []string{
		"SET checkpoint_threshold = '1GB'",
		`CREATE TABLE sales."default".t AS SELECT range AS x FROM range(1000)`,
		`INSERT INTO ` + SystemCatalog + `.main.roles VALUES ('r', now())`,
	} {
		if _, err := e.DB.ExecContext(ctx, q); err != nil {
			t.Fatal(q, err)
		}
	}
	checkPrivate(t, dir, "./", "projects/", "system.duckdb", "system.duckdb.wal", "projects/sales.duckdb", "projects/sales.duckdb.wal")
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	checkPrivate(t, dir, "system.duckdb", "projects/sales.duckdb")
}

// A directory made by an earlier build (0755, files 0644) is tightened when opened.
func TestExistingDataDirectoryIsTightened(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "wh")
	openWithProject(t, dir).Close()
	for name, m := range map[string]os.FileMode{
		"": 0o755, "projects": 0o755, "system.duckdb": 0o644, "projects/sales.duckdb": 0o644,
		"secret.key": 0o644, "storage.json": 0o664,
	} {
		p := filepath.Join(dir, name)
		if _, err := os.Stat(p); err != nil {
			os.WriteFile(p, []byte("{}"), m)
		}
		if err := os.Chmod(p, m); err != nil {
			t.Fatal(err)
		}
	}
	e, err := Open(context.Background(), dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	checkPrivate(t, dir, "./", "projects/", "system.duckdb", "projects/sales.duckdb", "secret.key", "storage.json")
}
