package access

import (
	"strings"
	"testing"
)

// FuzzNames: the parsers of names users write (a table name given to a
// table function, an --allow-host pattern) never panic, and a split name
// joins back to the parts it was made of.
func FuzzNames(f *testing.F) {
	for _, s := range []string{"t", "s.t", `"a.b".c`, `"x""y"`, "a.b.c.d", ".", `""`, "*.example.com:443", "[::1]:80", "*"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if parts, ok := splitQualified(s); ok {
			if len(parts) == 0 || len(parts) > 3 {
				t.Fatalf("splitQualified(%q) = %q", s, parts)
			}
			var quoted []string
			for _, p := range parts {
				quoted = append(quoted, `"`+strings.ReplaceAll(p, `"`, `""`)+`"`)
			}
			again, ok := splitQualified(strings.Join(quoted, "."))
			if !ok || strings.Join(again, "\x00") != strings.Join(parts, "\x00") {
				t.Fatalf("splitQualified(%q) = %q, requoted gives %q", s, parts, again)
			}
		}
		if p, err := ParseHostPattern(s); err == nil {
			p.matches("example.com", "443")
			_ = p.String()
		}
	})
}

func TestSplitQualified(t *testing.T) {
	for _, c := range []struct {
		in   string
		want string // parts joined by "|", "" when refused
	}{
		{"secret", "secret"},
		{"s.t", "s|t"},
		{"c.s.t", "c|s|t"},
		{`"a.b".t`, "a.b|t"},
		{`"say ""hi"""`, `say "hi"`},
		{"a.b.c.d", ""},
		{"a..b", ""},
		{`"unterminated`, ""},
		{"", ""},
	} {
		parts, ok := splitQualified(c.in)
		got := ""
		if ok {
			got = strings.Join(parts, "|")
		}
		if got != c.want {
			t.Errorf("splitQualified(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
