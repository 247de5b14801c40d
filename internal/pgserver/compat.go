package pgserver

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/modelsql/modelsql/internal/parser"
)

// PostgreSQL session settings that drivers set or read. The server keeps
// them per connection and answers for them; they never reach DuckDB (whose
// TimeZone, for one, is server-wide). TimeZone decides how timestamptz
// values are printed (pgtext.go).
var pgSettings = map[string]string{
	"application_name":                    "application_name",
	"client_encoding":                     "client_encoding",
	"datestyle":                           "DateStyle",
	"intervalstyle":                       "IntervalStyle",
	"timezone":                            "TimeZone",
	"extra_float_digits":                  "extra_float_digits",
	"statement_timeout":                   "statement_timeout",
	"lock_timeout":                        "lock_timeout",
	"idle_in_transaction_session_timeout": "idle_in_transaction_session_timeout",
	"idle_session_timeout":                "idle_session_timeout",
	"standard_conforming_strings":         "standard_conforming_strings",
	"client_min_messages":                 "client_min_messages",
	"bytea_output":                        "bytea_output",
	"jit":                                 "jit",
	"default_transaction_isolation":       "default_transaction_isolation",
	"transaction_isolation":               "transaction_isolation",
	"default_transaction_read_only":       "default_transaction_read_only",
	"transaction_read_only":               "transaction_read_only",
	"synchronous_commit":                  "synchronous_commit",
	"geqo":                                "geqo",
	"server_version":                      "server_version",
	"server_version_num":                  "server_version_num",
	"server_encoding":                     "server_encoding",
	"integer_datetimes":                   "integer_datetimes",
	"max_identifier_length":               "max_identifier_length",
	"is_superuser":                        "is_superuser",
	"session_authorization":               "session_authorization",
	"lc_messages":                         "lc_messages",
	"lc_monetary":                         "lc_monetary",
	"lc_numeric":                          "lc_numeric",
	"lc_time":                             "lc_time",
}

// readOnlySettings cannot be SET.
var readOnlySettings = map[string]bool{
	"server_version": true, "server_version_num": true, "server_encoding": true, "integer_datetimes": true,
	"max_identifier_length": true, "is_superuser": true, "session_authorization": true,
}

// reportedSettings are announced with ParameterStatus when they change.
var reportedSettings = map[string]bool{
	"application_name": true, "client_encoding": true, "DateStyle": true, "IntervalStyle": true,
	"TimeZone": true, "standard_conforming_strings": true, "is_superuser": true,
	"session_authorization": true, "server_version": true, "server_encoding": true, "integer_datetimes": true,
}

func (s *Server) defaultSettings(user string, admin bool) map[string]string {
	su := "off"
	if admin {
		su = "on"
	}
	return map[string]string{
		"application_name":              "",
		"client_encoding":               "UTF8",
		"DateStyle":                     "ISO, MDY",
		"IntervalStyle":                 "postgres",
		"TimeZone":                      "UTC",
		"extra_float_digits":            "1",
		"statement_timeout":             "0",
		"lock_timeout":                  "0",
		"standard_conforming_strings":   "on",
		"client_min_messages":           "notice",
		"bytea_output":                  "hex",
		"default_transaction_isolation": "repeatable read",
		"transaction_isolation":         "repeatable read",
		"default_transaction_read_only": "off",
		"transaction_read_only":         "off",
		"server_version":                ServerVersion,
		"server_version_num":            ServerVersionNum,
		"server_encoding":               "UTF8",
		"integer_datetimes":             "on",
		"max_identifier_length":         "63",
		"is_superuser":                  su,
		"session_authorization":         user,
	}
}

// compat answers PostgreSQL-specific statements: SET/RESET/SHOW of the
// settings above, SELECT version(), DISCARD and DEALLOCATE. ok is false for
// anything else.
func (c *conn) compat(text string) (*outcome, bool, error) {
	toks, err := parser.Tokenize(text, false)
	if err != nil || len(toks) == 0 {
		return nil, false, nil
	}
	for len(toks) > 0 && toks[len(toks)-1].Kind == parser.TokOp && toks[len(toks)-1].Text == ";" {
		toks = toks[:len(toks)-1]
	}
	word := func(i int) string {
		if i < len(toks) && toks[i].Kind == parser.TokIdent {
			return strings.ToUpper(toks[i].Text)
		}
		return ""
	}
	switch word(0) {
	case "SET":
		i := 1
		if w := word(i); w == "SESSION" || w == "LOCAL" {
			if word(i+1) == "CHARACTERISTICS" || word(i+1) == "AUTHORIZATION" {
				if word(i+1) == "AUTHORIZATION" {
					return nil, true, pgErr("42501", "SET SESSION AUTHORIZATION is not supported")
				}
				return &outcome{tag: "SET"}, true, nil
			}
			i++
		}
		if word(i) == "TRANSACTION" {
			return &outcome{tag: "SET"}, true, nil
		}
		var name string
		switch {
		case word(i) == "TIME" && word(i+1) == "ZONE":
			name, i = "TimeZone", i+2
		case word(i) == "NAMES":
			name, i = "client_encoding", i+1
		default:
			if i >= len(toks) || toks[i].Kind != parser.TokIdent {
				return nil, false, nil
			}
			canon, ok := pgSettings[strings.ToLower(toks[i].Text)]
			if !ok || i+1 >= len(toks) || !(word(i+1) == "TO" || toks[i+1].Kind == parser.TokOp && toks[i+1].Text == "=") {
				return nil, false, nil
			}
			name, i = canon, i+2
		}
		if readOnlySettings[strings.ToLower(name)] {
			return nil, true, pgErr("55P02", "parameter \""+name+"\" cannot be changed")
		}
		var vals []string
		for ; i < len(toks); i++ {
			if toks[i].Kind == parser.TokOp && toks[i].Text == "," {
				continue
			}
			vals = append(vals, toks[i].Value)
		}
		val := strings.Join(vals, ", ")
		if strings.EqualFold(val, "DEFAULT") || strings.EqualFold(val, "LOCAL") {
			val = c.srv.defaultSettings(c.user, false)[name]
		}
		if name == "client_encoding" {
			switch strings.ToUpper(strings.ReplaceAll(val, "-", "")) {
			case "UTF8", "UNICODE":
				val = "UTF8"
			default:
				return nil, true, pgErr("22023", "client_encoding "+val+" is not supported: modelsql speaks UTF8 only")
			}
		}
		c.params[name] = val
		if reportedSettings[name] {
			c.be.Send(&pgproto3.ParameterStatus{Name: name, Value: val})
		}
		return &outcome{tag: "SET"}, true, nil
	case "RESET":
		if word(1) == "ALL" {
			return &outcome{tag: "RESET"}, true, nil
		}
		if canon, ok := pgSettings[strings.ToLower(word(1))]; ok && len(toks) == 2 {
			c.params[canon] = c.srv.defaultSettings(c.user, false)[canon]
			return &outcome{tag: "RESET"}, true, nil
		}
	case "SHOW":
		name := ""
		switch {
		case word(1) == "TRANSACTION" && word(2) == "ISOLATION" && word(3) == "LEVEL" && len(toks) == 4:
			name = "transaction_isolation"
		case word(1) == "TIME" && word(2) == "ZONE" && len(toks) == 3:
			name = "TimeZone"
		case len(toks) == 2 && strings.EqualFold(toks[1].Value, "search_path"):
			// DuckDB reads SHOW x as "describe table x".
			res, err := c.exec(context.Background(), "SELECT current_setting('search_path')")
			if err != nil {
				return nil, true, err
			}
			return c.oneText("search_path", fmt.Sprint(res.Rows[0][0])), true, nil
		case len(toks) == 2:
			canon, ok := pgSettings[strings.ToLower(toks[1].Value)]
			if !ok {
				return nil, false, nil
			}
			name = canon
		default:
			return nil, false, nil
		}
		return c.oneText(strings.ToLower(name), c.params[name]), true, nil
	case "SELECT":
		if isVersionQuery(toks) {
			return c.oneText("version", "PostgreSQL "+ServerVersion+" (modelsql; DuckDB engine)"), true, nil
		}
	case "DISCARD":
		return &outcome{tag: "DISCARD " + word(1)}, true, nil
	case "DEALLOCATE":
		i := 1
		if word(i) == "PREPARE" {
			i++
		}
		if word(i) == "ALL" {
			for k := range c.stmts {
				delete(c.stmts, k)
			}
		} else if i < len(toks) {
			delete(c.stmts, toks[i].Value)
		}
		return &outcome{tag: "DEALLOCATE"}, true, nil
	}
	return nil, false, nil
}

// isVersionQuery matches SELECT [pg_catalog.]version().
func isVersionQuery(toks []parser.Token) bool {
	var parts []string
	for _, t := range toks[1:] {
		parts = append(parts, strings.ToLower(t.Text))
	}
	s := strings.Join(parts, "")
	return s == "version()" || s == "pg_catalog.version()"
}

func (c *conn) oneText(name, value string) *outcome {
	return &outcome{cols: []column{newColumn(name, "VARCHAR")}, rows: [][]any{{value}}, hasRows: true, tag: "SHOW"}
}

// compatColumns describes the compat statements that return rows.
func compatColumns(text string) ([]column, bool) {
	toks, err := parser.Tokenize(text, false)
	if err != nil || len(toks) < 2 {
		return nil, false
	}
	for len(toks) > 0 && toks[len(toks)-1].Kind == parser.TokOp && toks[len(toks)-1].Text == ";" {
		toks = toks[:len(toks)-1]
	}
	first := strings.ToUpper(toks[0].Text)
	if first == "SELECT" && isVersionQuery(toks) {
		return []column{newColumn("version", "VARCHAR")}, true
	}
	if first != "SHOW" {
		return nil, false
	}
	switch {
	case len(toks) == 2 && strings.EqualFold(toks[1].Value, "search_path"):
		return []column{newColumn("search_path", "VARCHAR")}, true
	case len(toks) == 2:
		if canon, ok := pgSettings[strings.ToLower(toks[1].Value)]; ok {
			return []column{newColumn(strings.ToLower(canon), "VARCHAR")}, true
		}
	case len(toks) == 4 && strings.EqualFold(toks[1].Text, "TRANSACTION"):
		return []column{newColumn("transaction_isolation", "VARCHAR")}, true
	case len(toks) == 3 && strings.EqualFold(toks[1].Text, "TIME"):
		return []column{newColumn("timezone", "VARCHAR")}, true
	}
	return nil, false
}
