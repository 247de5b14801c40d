package aiprogress

import (
	"database/sql"
	"strings"
	"testing"
	"time"

	_ "github.com/duckdb/duckdb-go/v2"
)

func TestRegistryListsRunningStatementsOfAUser(t *testing.T) {
	r := New()
	n := int64(0)
	a := r.Start("q1", "alice", time.Now().Add(-2*time.Second), func() Counts { n++; return Counts{Rows: n, RowsTotal: -1} })
	b := r.Start("q2", "bob", time.Now(), func() Counts { return Counts{Rows: 5, RowsTotal: 10} })
	tests := []struct {
		user string
		want []string
	}{
		{"", []string{"q1", "q2"}},
		{"alice", []string{"q1"}},
		{"bob", []string{"q2"}},
		{"carol", nil},
	}
	for _, tc := range tests {
		var got []string
		for _, row := range r.List(tc.user) {
			got = append(got, row.QueryID)
		}
		if strings.Join(got, ",") != strings.Join(tc.want, ",") {
			t.Errorf("List(%q) = %v, want %v", tc.user, got, tc.want)
		}
	}
	// Counts are read each time: they grow while the statement runs.
	first, second := r.List("alice")[0].Rows, r.List("alice")[0].Rows
	if second <= first {
		t.Errorf("rows did not grow between reads: %d then %d", first, second)
	}
	last := a.End()
	if last.QueryID != "q1" || last.Elapsed < 2*time.Second {
		t.Errorf("final row = %+v", last)
	}
	if got := r.List(""); len(got) != 1 || got[0].QueryID != "q2" {
		t.Errorf("after end: %+v", got)
	}
	b.End()
	if got := r.List(""); len(got) != 0 {
		t.Errorf("after both ended: %+v", got)
	}
}

func TestETA(t *testing.T) {
	tests := []struct {
		c       Counts
		elapsed time.Duration
		want    time.Duration
	}{
		{Counts{Rows: 10, RowsTotal: 40}, 2 * time.Second, 6 * time.Second},
		{Counts{Rows: 40, RowsTotal: 40}, 2 * time.Second, 0},
		{Counts{Rows: 0, RowsTotal: 40}, 2 * time.Second, -1},
		{Counts{Rows: 10, RowsTotal: -1}, 2 * time.Second, -1},
	}
	for _, tc := range tests {
		if got := eta(tc.c, tc.elapsed); got != tc.want {
			t.Errorf("eta(%+v, %v) = %v, want %v", tc.c, tc.elapsed, got, tc.want)
		}
	}
}

func TestSQLRunsInDuckDB(t *testing.T) {
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, rows := range [][]Row{
		nil,
		{{QueryID: "q'1", User: `o'brien"x`, Counts: Counts{Rows: 3, RowsTotal: -1, Requests: 2, InFlight: 1, CacheHits: 1, Tokens: 30, Errors: 0}, Elapsed: 1500 * time.Millisecond, ETA: -1},
			{QueryID: "q2", User: "bob", Counts: Counts{Rows: 1, RowsTotal: 4}, Elapsed: time.Second, ETA: 3 * time.Second}},
	} {
		res, err := db.Query("SELECT query_id, user_name, rows_done, rows_total, in_flight, tokens, elapsed_s, eta_s FROM " + SQL(rows))
		if err != nil {
			t.Fatalf("%v\n%s", err, SQL(rows))
		}
		n := 0
		for res.Next() {
			var id, user string
			var done, inFlight, tokens int64
			var total sql.NullInt64
			var el float64
			var eta sql.NullFloat64
			if err := res.Scan(&id, &user, &done, &total, &inFlight, &tokens, &el, &eta); err != nil {
				t.Fatal(err)
			}
			want := rows[n]
			if id != want.QueryID || user != want.User || done != want.Rows || inFlight != want.InFlight || tokens != want.Tokens ||
				total.Valid != (want.RowsTotal >= 0) || eta.Valid != (want.ETA >= 0) || el != want.Elapsed.Seconds() {
				t.Errorf("row %d = %s %s %d %v %d %d %v %v, want %+v", n, id, user, done, total, inFlight, tokens, el, eta, want)
			}
			n++
		}
		res.Close()
		if n != len(rows) {
			t.Errorf("got %d rows, want %d", n, len(rows))
		}
	}
}

func TestSummaryAndBar(t *testing.T) {
	r := Row{QueryID: "q", Counts: Counts{Rows: 40, RowsTotal: -1, Requests: 38, InFlight: 2, CacheHits: 2, Tokens: 400, Errors: 1}, Elapsed: 2500 * time.Millisecond, ETA: -1}
	if got, want := r.Summary(), "AI calls: 40 rows, 38 requests, 2 cache hits, 400 tokens, 1 errors in 2.5s"; got != want {
		t.Errorf("Summary = %q, want %q", got, want)
	}
	if got := r.Bar(); !strings.Contains(got, "40 rows") || !strings.Contains(got, "2 in flight") || strings.Contains(got, "left") {
		t.Errorf("Bar = %q", got)
	}
	r.RowsTotal, r.ETA = 80, 2*time.Second
	if got := r.Bar(); !strings.Contains(got, "40 of 80 rows") || !strings.Contains(got, "about 2s left") {
		t.Errorf("Bar = %q", got)
	}
}
