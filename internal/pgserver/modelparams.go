package pgserver

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/modelsql/modelsql/internal/access"
	"github.com/modelsql/modelsql/internal/parser"
	"github.com/modelsql/modelsql/internal/session"
)

// Parameters of modelsql's own statements (SHOW MODELS, SHOW VERSIONS,
// DESC MODEL, SHOW GRANTS and the model DDL) are bound by substituting
// their values into the text. A value stands where the statement takes a
// string (OPTIONS, COMMENT, LIKE, VERSION) as a string literal, and where
// it takes a name (after MODEL, USER, FOR, IN or a '.') as a back-quoted
// identifier (MaxCompute's quoting; "..." is a string there): PostgreSQL has no parameters in names, but a model's name is
// what a client most often has as a value (DESC MODEL $1).

// nameWords are the words after which a model statement takes a name.
var nameWords = map[string]bool{"MODEL": true, "USER": true, "FOR": true, "IN": true, "ROLE": true}

// modelNameParams reports which parameters ($n, 1-based index n-1) of a
// model statement stand in a name's place.
func modelNameParams(text string, n int) []bool {
	out := make([]bool, n)
	toks, err := parser.Tokenize(text, true)
	if err != nil {
		return out
	}
	for i, t := range toks {
		if t.Kind != parser.TokParam || i == 0 {
			continue
		}
		k, err := strconv.Atoi(strings.TrimPrefix(t.Text, "$"))
		if err != nil || k < 1 || k > n {
			continue
		}
		prev := toks[i-1]
		if (prev.Kind == parser.TokIdent && nameWords[strings.ToUpper(prev.Text)]) || (prev.Kind == parser.TokOp && prev.Text == ".") {
			out[k-1] = true
		}
	}
	return out
}

// modelRowsColumns are the result columns of modelsql's statements that
// return rows, known without running them (the session builds these
// results with fixed columns): what Describe answers for such a statement
// whose parameters are not bound yet.
func modelRowsColumns(text string) ([]column, bool) {
	var names []string
	kws := parser.LeadingWords(text, 2)
	if len(kws) < 2 {
		return nil, false
	}
	switch {
	case kws[0] == "SHOW" && kws[1] == "MODELS":
		names = session.ShowModelsColumns
	case kws[0] == "SHOW" && kws[1] == "VERSIONS":
		names = session.ShowVersionsColumns
	case (kws[0] == "DESC" || kws[0] == "DESCRIBE") && kws[1] == "MODEL":
		names = session.DescModelColumns
	case kws[0] == "SHOW" && kws[1] == "GRANTS":
		names = access.ShowGrantsColumns
	default:
		return nil, false
	}
	cols := make([]column, len(names))
	for i, n := range names {
		typ := "VARCHAR"
		if n == "IsDefault" {
			typ = "BOOLEAN"
		}
		cols[i] = newColumn(n, typ)
	}
	return cols, true
}

// modelIdent renders a parameter that stands for a name as a quoted
// identifier (a back-quote in it doubled).
func modelIdent(tm *pgtype.Map, oid uint32, format int16, v []byte) (string, error) {
	if v == nil {
		return "", fmt.Errorf("a name cannot be NULL")
	}
	lit, err := modelLiteral(tm, oid, format, v)
	if err != nil {
		return "", err
	}
	// modelLiteral quoted the value as a string; unquote and requote.
	s := strings.ReplaceAll(lit[1:len(lit)-1], "''", "'")
	if s == "" {
		return "", fmt.Errorf("a name cannot be empty")
	}
	return "`" + strings.ReplaceAll(s, "`", "``") + "`", nil
}
