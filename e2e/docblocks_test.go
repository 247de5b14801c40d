package e2e

// The extractor of the doc tests (docs_test.go): it reads a Markdown page
// and returns its fenced blocks and hidden doctest steps, in page order.
// The conventions are described in docs/doctests.md.

import (
	"regexp"
	"strings"
	"testing"

	"github.com/modelsql/modelsql/internal/parser"
)

// docBlock is one fenced block of a page, or one hidden step written as an
// HTML comment `<!-- doctest: LANG ... -->`.
type docBlock struct {
	line   int    // line of the opening fence (1-based)
	lang   string // first word of the info string: sql, sh, json, ...
	text   string
	hidden bool // from an HTML comment: a setup step the reader does not see

	noRun        string // `no-run: why` in the info string
	knownFailure string // `known-failure: why`: fails today, expected to pass after a named fix
	psql         bool   // `psql`: run through psql against the page's server
	user, pass   string // `user=NAME password=PW` with psql: log in as NAME instead
	writeTo      string // `<!-- doctest: file PATH -->` before the fence: the block is written there
}

// parseDoc splits a Markdown page into its blocks.
func parseDoc(src string) []docBlock {
	lines := strings.Split(src, "\n")
	var blocks []docBlock
	pendingFile := ""
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		trimmed := strings.TrimSpace(l)
		if strings.HasPrefix(trimmed, "<!-- doctest:") {
			head := strings.TrimSpace(strings.TrimPrefix(trimmed, "<!-- doctest:"))
			if strings.HasSuffix(head, "-->") { // one line: a directive
				f := strings.Fields(strings.TrimSuffix(head, "-->"))
				if len(f) == 2 && f[0] == "file" {
					pendingFile = f[1]
				}
				continue
			}
			b := docBlock{line: i + 1, hidden: true}
			parseInfo(&b, head)
			var body []string
			for i++; i < len(lines) && strings.TrimSpace(lines[i]) != "-->"; i++ {
				body = append(body, lines[i])
			}
			b.text = strings.Join(body, "\n")
			blocks = append(blocks, b)
			continue
		}
		if !strings.HasPrefix(trimmed, "```") {
			continue
		}
		indent := l[:len(l)-len(strings.TrimLeft(l, " "))]
		b := docBlock{line: i + 1}
		parseInfo(&b, strings.TrimSpace(strings.TrimPrefix(trimmed, "```")))
		b.writeTo, pendingFile = pendingFile, ""
		var body []string
		for i++; i < len(lines) && strings.TrimSpace(lines[i]) != "```"; i++ {
			body = append(body, strings.TrimPrefix(lines[i], indent))
		}
		b.text = strings.Join(body, "\n")
		blocks = append(blocks, b)
	}
	return blocks
}

// parseInfo reads a fence's info string: `sql`, `sql psql`,
// `sql no-run: needs a real PAI-EAS service`, `sh known-failure: issue 20 item 18`.
func parseInfo(b *docBlock, info string) {
	lang, rest, _ := strings.Cut(info, " ")
	b.lang = lang
	for rest = strings.TrimSpace(rest); rest != ""; {
		switch {
		case strings.HasPrefix(rest, "no-run:"):
			b.noRun = strings.TrimSpace(strings.TrimPrefix(rest, "no-run:"))
			return
		case strings.HasPrefix(rest, "known-failure:"):
			b.knownFailure = strings.TrimSpace(strings.TrimPrefix(rest, "known-failure:"))
			return
		}
		word, tail, _ := strings.Cut(rest, " ")
		switch {
		case word == "psql":
			b.psql = true
		case strings.HasPrefix(word, "user="):
			b.user = strings.TrimPrefix(word, "user=")
		case strings.HasPrefix(word, "password="):
			b.pass = strings.TrimPrefix(word, "password=")
		}
		rest = strings.TrimSpace(tail)
	}
}

// sqlStep is one statement of a SQL block with the output the page shows
// for it: the `-->` lines after it (empty when the page shows none).
type sqlStep struct {
	line   int // line within the block (1-based)
	stmt   string
	expect []string
}

// expectRE finds an expected-output comment: `-->` on its own line, or
// after a statement's `;`.
var expectRE = regexp.MustCompile(`^(.*;)?\s*-->\s?(.*)$`)

// sqlSteps splits a SQL block into statements and attaches to each the
// `-->` lines that follow it.
func sqlSteps(text string) ([]sqlStep, error) {
	var clean strings.Builder
	type mark struct {
		offset int
		text   string
	}
	var marks []mark
	for _, l := range strings.Split(text, "\n") {
		if m := expectRE.FindStringSubmatch(l); m != nil && (m[1] != "" || strings.HasPrefix(strings.TrimSpace(l), "-->")) {
			clean.WriteString(m[1])
			marks = append(marks, mark{clean.Len(), strings.TrimRight(m[2], " ")})
			clean.WriteString("\n")
			continue
		}
		clean.WriteString(l)
		clean.WriteString("\n")
	}
	pieces, err := parser.Split(clean.String())
	if err != nil {
		return nil, err
	}
	steps := make([]sqlStep, len(pieces))
	for i, p := range pieces {
		steps[i] = sqlStep{line: p.Pos.Line, stmt: p.Text}
	}
	for _, m := range marks {
		for i := len(pieces) - 1; i >= 0; i-- {
			if pieces[i].Offset < m.offset {
				steps[i].expect = append(steps[i].expect, m.text)
				break
			}
		}
	}
	return steps, nil
}

// matchLines compares actual output lines with the page's: equal, or a
// page line ending in `...` matches every line it is a prefix of.
func matchLines(want, got []string) bool {
	if len(want) != len(got) {
		return false
	}
	for i := range want {
		if p, ok := strings.CutSuffix(want[i], "..."); ok {
			if p == "" || !strings.HasPrefix(got[i], p) { // a bare "..." would show nothing
				return false
			}
		} else if want[i] != got[i] {
			return false
		}
	}
	return true
}

func TestParseDoc(t *testing.T) {
	page := "text\n```sql no-run: needs a real PAI-EAS service\nSELECT 1;\n```\n" +
		"<!-- doctest: sql\nCREATE TABLE t(x INT);\n-->\n" +
		"<!-- doctest: file modelsql-data/public_models.json -->\n```json\n{}\n```\n" +
		"  ```sh known-failure: issue 20 item 18\n  modelsql --data d user list\n  ```\n```sql psql user=bob password=pw\nSHOW GRANTS;\n```\n"
	b := parseDoc(page)
	if len(b) != 5 {
		t.Fatalf("got %d blocks: %+v", len(b), b)
	}
	if b[0].lang != "sql" || b[0].noRun != "needs a real PAI-EAS service" || b[0].text != "SELECT 1;" || b[0].line != 2 {
		t.Errorf("block 0: %+v", b[0])
	}
	if !b[1].hidden || b[1].lang != "sql" || b[1].text != "CREATE TABLE t(x INT);" {
		t.Errorf("block 1: %+v", b[1])
	}
	if b[2].writeTo != "modelsql-data/public_models.json" || b[2].lang != "json" {
		t.Errorf("block 2: %+v", b[2])
	}
	if b[3].knownFailure != "issue 20 item 18" || b[3].text != "modelsql --data d user list" {
		t.Errorf("block 3: %+v", b[3])
	}
	if !b[4].psql || b[4].writeTo != "" || b[4].user != "bob" || b[4].pass != "pw" {
		t.Errorf("block 4: %+v", b[4])
	}
}

func TestSQLSteps(t *testing.T) {
	steps, err := sqlSteps("CREATE TABLE t(x INT);\nSELECT 'a;b';  --> a;b\nSELECT 1\nUNION ALL SELECT 2;\n--> 1\n-->   2  \n-- a comment\nSELECT x FROM nowhere;\n--> ERROR: Catalog Error...")
	if err != nil {
		t.Fatal(err)
	}
	want := []sqlStep{
		{1, "CREATE TABLE t(x INT)", nil},
		{2, "SELECT 'a;b'", []string{"a;b"}},
		{3, "SELECT 1\nUNION ALL SELECT 2", []string{"1", "  2"}},
		{8, "SELECT x FROM nowhere", []string{"ERROR: Catalog Error..."}},
	}
	if len(steps) != len(want) {
		t.Fatalf("got %+v", steps)
	}
	for i := range want {
		if steps[i].line != want[i].line || steps[i].stmt != want[i].stmt || strings.Join(steps[i].expect, "|") != strings.Join(want[i].expect, "|") {
			t.Errorf("step %d: got %+v, want %+v", i, steps[i], want[i])
		}
	}
	if !matchLines([]string{"ab..."}, []string{"abc"}) || matchLines([]string{"ab"}, []string{"abc"}) || matchLines([]string{"..."}, []string{"abc"}) {
		t.Error("matchLines")
	}
}
