package pgserver

import (
	"encoding/binary"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"
	_ "time/tzdata" // SET TIME ZONE names work without the system's zone files

	duckdb "github.com/duckdb/duckdb-go/v2"
)

// pgText renders the values whose text form pgtype writes differently from
// PostgreSQL (psycopg2, for one, misreads "…05Z" and nine fractional
// digits): timestamptz in the session's TimeZone with a "+00" offset, time
// and timestamp with at most six trimmed fractional digits, intervals as
// "1 year 2 mons 3 days 04:05:06.5", non-finite floats as NaN/Infinity.
// ok is false when pgtype's form is PostgreSQL's.
func pgText(col *column, v any, loc *time.Location) ([]byte, bool) {
	switch col.OID {
	case oidTimestamptz:
		if t, ok := v.(time.Time); ok {
			return []byte(formatTimestamptz(t, loc)), true
		}
	case oidTimestamp:
		if t, ok := v.(time.Time); ok {
			return []byte(formatTimestamp(t.UTC())), true
		}
	case oidTime:
		if t, ok := v.(time.Time); ok {
			return []byte(t.Format("15:04:05") + fracMicros(t.Nanosecond())), true
		}
	case oidInterval:
		if iv, ok := v.(duckdb.Interval); ok {
			return []byte(pgInterval(iv)), true
		}
	case oidFloat4, oidFloat8:
		var f float64
		switch x := v.(type) {
		case float64:
			f = x
		case float32:
			f = float64(x)
		default:
			return nil, false
		}
		switch {
		case math.IsNaN(f):
			return []byte("NaN"), true
		case math.IsInf(f, 1):
			return []byte("Infinity"), true
		case math.IsInf(f, -1):
			return []byte("-Infinity"), true
		}
	case oidTimetz:
		if t, ok := v.(time.Time); ok {
			return []byte(t.Format("15:04:05") + fracMicros(t.Nanosecond()) + pgOffset(t)), true
		}
	}
	return nil, false
}

// pgBinary encodes the values pgtype has no codec for: timetz (int64
// microseconds since midnight, int32 offset in seconds west of UTC).
func pgBinary(col *column, v any) ([]byte, bool) {
	if col.OID != oidTimetz {
		return nil, false
	}
	t, ok := v.(time.Time)
	if !ok {
		return nil, false
	}
	us := int64(t.Hour())*3600e6 + int64(t.Minute())*60e6 + int64(t.Second())*1e6 + int64(t.Nanosecond()/1000)
	_, off := t.Zone()
	b := binary.BigEndian.AppendUint64(nil, uint64(us))
	return binary.BigEndian.AppendUint32(b, uint32(int32(-off))), true
}

// fracMicros is ".ffffff" with trailing zeros trimmed ("" for whole seconds);
// PostgreSQL keeps microseconds.
func fracMicros(ns int) string {
	us := ns / 1000
	if us == 0 {
		return ""
	}
	return strings.TrimRight(fmt.Sprintf(".%06d", us), "0")
}

// pgOffset is a UTC offset as PostgreSQL prints it: +00, +05:30, -03.
func pgOffset(t time.Time) string {
	_, off := t.Zone()
	sign := "+"
	if off < 0 {
		sign, off = "-", -off
	}
	s := fmt.Sprintf("%s%02d", sign, off/3600)
	if m := off % 3600 / 60; m != 0 || off%60 != 0 {
		s += fmt.Sprintf(":%02d", m)
	}
	if sec := off % 60; sec != 0 {
		s += fmt.Sprintf(":%02d", sec)
	}
	return s
}

func formatTimestamp(t time.Time) string {
	y := t.Year()
	bc := ""
	if y <= 0 {
		t = t.AddDate(-2*y+1, 0, 0)
		bc = " BC"
	}
	return t.Format("2006-01-02 15:04:05") + fracMicros(t.Nanosecond()) + bc
}

func formatTimestamptz(t time.Time, loc *time.Location) string {
	t = t.In(loc)
	y := t.Year()
	if y <= 0 {
		return t.AddDate(-2*y+1, 0, 0).Format("2006-01-02 15:04:05") + fracMicros(t.Nanosecond()) + pgOffset(t) + " BC"
	}
	return t.Format("2006-01-02 15:04:05") + fracMicros(t.Nanosecond()) + pgOffset(t)
}

// pgInterval formats an interval in PostgreSQL's default IntervalStyle
// (postgres): "1 year 2 mons 3 days 04:05:06.5", "-1 days", "00:00:00".
func pgInterval(iv duckdb.Interval) string {
	var parts []string
	unit := func(n int64, one, many string) {
		if n == 0 {
			return
		}
		u := many
		if n == 1 || n == -1 {
			u = one
		}
		if n == -1 && one == "day" {
			u = many // PostgreSQL prints "-1 days"
		}
		parts = append(parts, strconv.FormatInt(n, 10)+" "+u)
	}
	unit(int64(iv.Months/12), "year", "years")
	unit(int64(iv.Months%12), "mon", "mons")
	unit(int64(iv.Days), "day", "days")
	us := iv.Micros
	if us != 0 || len(parts) == 0 {
		sign := ""
		if us < 0 {
			sign, us = "-", -us
		} else if len(parts) > 0 && (iv.Months < 0 || iv.Days < 0) {
			sign = "+"
		}
		clock := fmt.Sprintf("%s%02d:%02d:%02d", sign, us/3600e6, us/60e6%60, us/1e6%60)
		if frac := us % 1e6; frac != 0 {
			clock += strings.TrimRight(fmt.Sprintf(".%06d", frac), "0")
		}
		parts = append(parts, clock)
	}
	return strings.Join(parts, " ")
}

// zoneCache keeps loaded zones: rows are encoded one at a time.
var zoneCache sync.Map

// sessionLocation is the session's TimeZone setting as a location: a zone
// name (Europe/Paris, UTC) or a number of hours east of UTC, as SET TIME
// ZONE 2 gives; unknown names fall back to UTC.
func sessionLocation(tz string) *time.Location {
	tz = strings.Trim(strings.TrimSpace(tz), "'")
	if tz == "" || strings.EqualFold(tz, "UTC") || strings.EqualFold(tz, "GMT") || strings.EqualFold(tz, "Z") {
		return time.UTC
	}
	if loc, ok := zoneCache.Load(tz); ok {
		return loc.(*time.Location)
	}
	if loc, err := time.LoadLocation(tz); err == nil {
		zoneCache.Store(tz, loc)
		return loc
	}
	if h, err := strconv.ParseFloat(tz, 64); err == nil && h > -16 && h < 16 {
		return time.FixedZone(tz, int(h*3600))
	}
	return time.UTC
}
