package session

import (
	"fmt"

	"github.com/modelsql/modelsql/internal/parser"
)

// unsupported is the error for a statement this session cannot run. Users,
// roles and privileges only exist for `modelsql serve` (whose guard runs
// them); an embedded session is the data directory's owner, so the
// statements are refused with a pointer to where they work.
func unsupported(st parser.Statement, text string) error {
	var what string
	switch st.(type) {
	case *parser.CreateUser:
		what = "CREATE USER"
	case *parser.AlterUser:
		what = "ALTER USER"
	case *parser.DropUser:
		what = "DROP USER"
	case *parser.CreateRole:
		what = "CREATE ROLE"
	case *parser.DropRole:
		what = "DROP ROLE"
	case *parser.Grant, *parser.GrantRole:
		what = "GRANT"
	case *parser.Revoke, *parser.RevokeRole:
		what = "REVOKE"
	case *parser.ShowGrants:
		what = "SHOW GRANTS"
	default:
		return fmt.Errorf("statement not supported in this mode: %s", firstWords(text))
	}
	return fmt.Errorf("%s is a server statement: users, roles and privileges apply to clients of `modelsql serve`, "+
		"so run it there as an administrator (e.g. psql -h 127.0.0.1 -p 5433 -U admin default); "+
		"while no server runs, `modelsql user add|passwd|del|list --data DIR` manages users", what)
}
