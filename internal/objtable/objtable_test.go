package objtable

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/modelsql/modelsql/internal/engine"
	"github.com/modelsql/modelsql/internal/objstore"
	"github.com/modelsql/modelsql/internal/parser"
)

func open(t *testing.T) (*engine.Engine, *Manager) {
	t.Helper()
	ctx := context.Background()
	eng, err := engine.Open(ctx, t.TempDir(), engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close() })
	if err := eng.EnsureProject(ctx, "default"); err != nil {
		t.Fatal(err)
	}
	f, err := objstore.NewFetcher(nil)
	if err != nil {
		t.Fatal(err)
	}
	m, err := Open(ctx, eng.DB, func() (*objstore.Fetcher, error) { return f, nil })
	if err != nil {
		t.Fatal(err)
	}
	return eng, m
}

func writeFiles(t *testing.T, dir string, from, to int) {
	t.Helper()
	for i := from; i < to; i++ {
		p := filepath.Join(dir, fmt.Sprintf("d%02d", i%50), fmt.Sprintf("f%06d.bin", i))
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte{byte(i)}, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func count(t *testing.T, db *sql.DB, r Ref) int {
	t.Helper()
	var n int
	if err := db.QueryRow("SELECT count(*) FROM " + r.Quoted()).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// A query running while a refresh replaces the rows sees the old listing or
// the new one, never a mix; a reopened manager keeps the definition.
func TestRefreshIsAtomic(t *testing.T) {
	ctx := context.Background()
	eng, m := open(t)
	dir := t.TempDir()
	writeFiles(t, dir, 0, 3000)
	r := Ref{Project: "default", Schema: "default", Name: "files"}
	st, err := parser.Parse("CREATE OBJECT TABLE files LOCATION '" + dir + "/'")
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Create(ctx, r, st.(*parser.CreateObjectTable), "tester"); err != nil {
		t.Fatal(err)
	}
	if n := count(t, eng.DB, r); n != 0 {
		t.Fatalf("before the first refresh: %d rows", n)
	}
	if n, err := m.Refresh(ctx, r); err != nil || n != 3000 {
		t.Fatalf("refresh: %d %v", n, err)
	}
	writeFiles(t, dir, 3000, 6000)
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	seen := map[int]int{}
	go func() {
		defer wg.Done()
		for {
			select {
			case <-done:
				return
			default:
			}
			var n, distinct int
			// Two aggregates of one snapshot: both must agree with one listing.
			if err := eng.DB.QueryRow("SELECT count(*), count(DISTINCT key) FROM "+r.Quoted()).Scan(&n, &distinct); err != nil {
				t.Error(err)
				return
			}
			if n != distinct {
				t.Errorf("duplicate keys: %d rows, %d keys", n, distinct)
			}
			seen[n]++
		}
	}()
	if n, err := m.Refresh(ctx, r); err != nil || n != 6000 {
		t.Fatalf("refresh: %d %v", n, err)
	}
	close(done)
	wg.Wait()
	for n := range seen {
		if n != 3000 && n != 6000 {
			t.Fatalf("a query saw %d rows (listings: %v)", n, seen)
		}
	}
	if count(t, eng.DB, r) != 6000 {
		t.Fatal("new listing not visible")
	}
	// A failed refresh changes nothing.
	os.RemoveAll(dir)
	if _, err := m.Refresh(ctx, r); err == nil {
		t.Fatal("refresh of a removed directory succeeded")
	}
	if count(t, eng.DB, r) != 6000 {
		t.Fatal("a failed refresh changed the rows")
	}
	m2, err := Open(ctx, eng.DB, m.fetcher)
	if err != nil {
		t.Fatal(err)
	}
	if tb, ok := m2.Lookup(r); !ok || tb.Objects != 6000 || tb.LastRefresh.IsZero() || tb.Owner != "tester" {
		t.Fatalf("reopened: %+v %v", tb, ok)
	}
	if err := m2.Drop(ctx, r); err != nil {
		t.Fatal(err)
	}
	if _, ok := m2.Lookup(r); ok || m2.Any() {
		t.Fatal("dropped table still known")
	}
}

// 100,000 objects: the listing is inserted in batches in one transaction.
func TestRefresh100k(t *testing.T) {
	if testing.Short() {
		t.Skip("100,000 files")
	}
	ctx := context.Background()
	eng, m := open(t)
	dir := t.TempDir()
	writeFiles(t, dir, 0, 100000)
	r := Ref{Project: "default", Schema: "default", Name: "many"}
	st, _ := parser.Parse("CREATE OBJECT TABLE many LOCATION 'file://" + dir + "'")
	if err := m.Create(ctx, r, st.(*parser.CreateObjectTable), "tester"); err != nil {
		t.Fatal(err)
	}
	if n, err := m.Refresh(ctx, r); err != nil || n != 100000 {
		t.Fatalf("refresh: %d %v", n, err)
	}
	var n, keys int
	var sum int64
	if err := eng.DB.QueryRow("SELECT count(*), count(DISTINCT key), sum(size) FROM "+r.Quoted()).Scan(&n, &keys, &sum); err != nil || n != 100000 || keys != n || sum != 100000 {
		t.Fatalf("%d rows, %d keys, %d bytes: %v", n, keys, sum, err)
	}
}
