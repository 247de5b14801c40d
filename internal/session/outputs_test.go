package session

import (
	"strings"
	"testing"
)

func TestSQLStringLiteral(t *testing.T) {
	for _, c := range []struct {
		in, want string
		ok       bool
	}{
		{`'{"output_schema": "INT"}'`, `{"output_schema": "INT"}`, true},
		{` 'it''s' `, `it's`, true},
		{`''`, ``, true},
		{`'a' || 'b'`, ``, false},
		{`col`, ``, false},
		{`'unterminated`, ``, false},
		{`'`, ``, false},
	} {
		got, ok := sqlStringLiteral(c.in)
		if ok != c.ok || got != c.want {
			t.Errorf("sqlStringLiteral(%q) = %q, %v; want %q, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

func TestSplitFallback(t *testing.T) {
	for _, c := range []struct {
		in, model, version, err string
	}{
		{"backup.champion", "backup", "champion", ""},
		{"p.s.backup.v1", "p.s.backup", "v1", ""},
		{"backup", "", "", "must be 'model.version'"},
		{"backup.", "", "", "must be 'model.version'"},
		{".v1", "", "", "must be 'model.version'"},
	} {
		n, v, err := splitFallback(c.in)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%q: %v", c.in, err)
			}
			continue
		}
		if err != nil || strings.Join(n.Parts, ".") != c.model || v != c.version {
			t.Errorf("%q: %v %q %v", c.in, n.Parts, v, err)
		}
	}
}
