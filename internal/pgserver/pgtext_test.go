package pgserver

import (
	"testing"
	"time"

	duckdb "github.com/duckdb/duckdb-go/v2"
)

// Expected forms are PostgreSQL 15's (psql -At of the same values); the
// e2e test TestPgCatalogValuesMatchPostgres compares with a live server.
func TestPgText(t *testing.T) {
	paris, _ := time.LoadLocation("Europe/Paris")
	kolkata := sessionLocation("Asia/Kolkata")
	ts := time.Date(2024, 1, 2, 3, 4, 5, 123456789, time.UTC)
	cases := []struct {
		typ  string
		v    any
		loc  *time.Location
		want string
	}{
		{"TIMESTAMP WITH TIME ZONE", ts, time.UTC, "2024-01-02 03:04:05.123456+00"},
		{"TIMESTAMP WITH TIME ZONE", ts.Truncate(time.Second), paris, "2024-01-02 04:04:05+01"},
		{"TIMESTAMP WITH TIME ZONE", ts.Truncate(time.Second), kolkata, "2024-01-02 08:34:05+05:30"},
		{"TIMESTAMP", time.Date(2024, 1, 2, 3, 4, 5, 500000000, time.UTC), time.UTC, "2024-01-02 03:04:05.5"},
		{"TIMESTAMP_NS", ts, time.UTC, "2024-01-02 03:04:05.123456"},
		{"TIME", time.Date(1970, 1, 1, 3, 4, 5, 250000000, time.UTC), time.UTC, "03:04:05.25"},
		{"TIME WITH TIME ZONE", time.Date(1970, 1, 1, 3, 4, 5, 0, time.FixedZone("", 7200)), time.UTC, "03:04:05+02"},
		{"INTERVAL", duckdb.Interval{Months: 14, Days: 3, Micros: 14706500000}, time.UTC, "1 year 2 mons 3 days 04:05:06.5"},
		{"INTERVAL", duckdb.Interval{Days: -1}, time.UTC, "-1 days"},
		{"INTERVAL", duckdb.Interval{Micros: 5400e6}, time.UTC, "01:30:00"},
		{"INTERVAL", duckdb.Interval{}, time.UTC, "00:00:00"},
		{"INTERVAL", duckdb.Interval{Days: -2, Micros: 3600e6}, time.UTC, "-2 days +01:00:00"},
		{"DOUBLE", posInf(), time.UTC, "Infinity"},
		{"FLOAT", float32(negInf()), time.UTC, "-Infinity"},
	}
	for _, c := range cases {
		col := newColumn("x", c.typ)
		got, ok := pgText(&col, c.v, c.loc)
		if !ok || string(got) != c.want {
			t.Errorf("%s %v: got %q (%v), want %q", c.typ, c.v, got, ok, c.want)
		}
	}
	if got := sessionLocation("nowhere/nothing"); got != time.UTC {
		t.Errorf("unknown zone: %v", got)
	}
	if _, off := time.Date(2024, 1, 1, 0, 0, 0, 0, sessionLocation("2")).Zone(); off != 7200 {
		t.Errorf("SET TIME ZONE 2: offset %d", off)
	}
}

func posInf() float64 { var z float64; return 1 / z }
func negInf() float64 { return -posInf() }
