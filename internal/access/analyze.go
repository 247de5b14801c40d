package access

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	duckdb "github.com/duckdb/duckdb-go/v2"

	"github.com/modelsql/modelsql/internal/engine"
	"github.com/modelsql/modelsql/internal/parser"
)

// This file finds the objects an ordinary (DuckDB) statement reads and
// writes, from DuckDB's own parse and plan of it, on the session's own
// connection (so that names resolve exactly as they will when it runs):
//
//   - prepare it, for the statement type and to make sure it is one statement;
//   - json_serialize_plan: the bound, optimised logical plan, in which every
//     table scan, insert/update/delete target, created, dropped or altered
//     object is fully qualified (views are expanded to what they read);
//   - json_serialize_sql (SELECT only): the parse tree, for DESCRIBE targets
//     and table-function arguments, and as the fallback when a plan cannot
//     be serialised (some table functions, e.g. read_csv, do not support it).
//
// A statement whose objects cannot be determined this way is refused for
// non-administrators.

// tableRef is a table or view as DuckDB resolved it.
type tableRef struct{ Catalog, Schema, Name string }

func (t tableRef) key() string {
	return strings.ToLower(t.Catalog + "." + t.Schema + "." + t.Name)
}

func (t tableRef) quoted() string {
	var parts []string
	for _, p := range []string{t.Catalog, t.Schema, t.Name} {
		if p != "" {
			parts = append(parts, engine.QuoteIdent(p))
		}
	}
	return strings.Join(parts, ".")
}

// analysis is what one statement does to tables.
type analysis struct {
	stmtType  duckdb.StmtType
	reads     []tableRef // Select
	writes    []tableRef // Update (insert, update, delete)
	describes []tableRef // Describe
	alters    []tableRef // Alter
	drops     []tableRef // Drop
	creates   []tableRef // CreateTable on the project; the creator becomes owner
	replaces  []tableRef // CREATE OR REPLACE: Drop on an existing object
	renames   [][2]tableRef
	files     []string // paths read by table functions or replacement scans
	// refuse is set when the statement is reserved to administrators (the
	// text says what it is).
	refuse string
	// createdNew lists the creates that did not exist before the statement
	// (filled by the guard), so that After records only new owners.
	createdNew []tableRef
	// dmlTarget is the target of an UPDATE or DELETE, whose own scan is
	// covered by Update.
	dmlTarget *tableRef
}

func (a *analysis) deny(format string, args ...any) {
	if a.refuse == "" {
		a.refuse = fmt.Sprintf(format, args...)
	}
}

// errMulti refuses a text holding several statements.
var errMulti = errors.New("send one statement at a time")

// statementType prepares text on conn and returns DuckDB's statement type.
func statementType(conn *sql.Conn, text string) (duckdb.StmtType, error) {
	var typ duckdb.StmtType
	err := engine.Prepare(conn, text, func(s *duckdb.Stmt) error {
		var err error
		typ, err = s.StatementType()
		return err
	})
	if err != nil && strings.Contains(err.Error(), "multi-statement") {
		return typ, errMulti
	}
	return typ, err
}

// serializeError is DuckDB's answer when it cannot serialise a statement.
type serializeError struct {
	Type, Subtype, Message string
}

func (e *serializeError) Error() string { return e.Message }

// unsupported reports whether the error means "this cannot be serialised"
// rather than "this statement is wrong".
func (e *serializeError) unsupported() bool {
	m := strings.ToLower(e.Message)
	return e.Type == "not implemented" || strings.Contains(m, "serializ") || strings.Contains(m, "not implemented")
}

func (e *serializeError) missing() bool {
	return e.Subtype == "MISSING_ENTRY"
}

func serialize(ctx context.Context, conn *sql.Conn, fn, text string) (map[string]any, error) {
	var out string
	if err := conn.QueryRowContext(ctx, "SELECT CAST("+fn+"(CAST(? AS VARCHAR)) AS VARCHAR)", text).Scan(&out); err != nil {
		return nil, err
	}
	dec := json.NewDecoder(strings.NewReader(out))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("internal error: %s output: %w", fn, err)
	}
	if b, _ := m["error"].(bool); b {
		e := &serializeError{}
		e.Type, _ = m["error_type"].(string)
		e.Subtype, _ = m["error_subtype"].(string)
		e.Message, _ = m["error_message"].(string)
		return nil, e
	}
	return m, nil
}

func str(m map[string]any, k string) string {
	s, _ := m[k].(string)
	return s
}

func obj(m map[string]any, k string) map[string]any {
	o, _ := m[k].(map[string]any)
	return o
}

// analyzer runs the analysis of one statement.
type analyzer struct {
	ctx   context.Context
	conn  *sql.Conn
	a     *analysis
	depth int
	// treePlanOnly counts table functions of the parse tree that only the
	// plan can check (those taking a table name, those showing definitions).
	treePlanOnly int
}

// analyzeText analyses one statement (already rewritten for DuckDB).
func analyzeText(ctx context.Context, conn *sql.Conn, text string, depth int) (*analysis, error) {
	// DuckDB acts on these while preparing them, before any check could
	// run: EXPORT DATABASE creates its directory, IMPORT DATABASE and
	// PRAGMA import_database read and expand the exported SQL files. They
	// are reserved to administrators anyway, so decide by the first word.
	if w := firstWord(text); w == "EXPORT" || w == "IMPORT" || w == "PRAGMA" {
		a := &analysis{}
		a.deny("%s", w)
		return a, nil
	}
	// CREATE/DROP SECRET: preparing one starts DuckDB's secret manager,
	// which fails under the lock-down and then stays broken for every
	// session ("Secret Storage with name 'memory' already registered").
	if w := secretStatement(text); w != "" {
		a := &analysis{}
		a.deny("%s", w)
		return a, nil
	}
	typ, err := statementType(conn, text)
	if err != nil {
		return nil, err
	}
	z := &analyzer{ctx: ctx, conn: conn, a: &analysis{stmtType: typ}, depth: depth}
	switch typ {
	case duckdb.STATEMENT_TYPE_TRANSACTION:
		return z.a, nil
	case duckdb.STATEMENT_TYPE_SELECT:
		if firstWord(text) == "PRAGMA" {
			z.a.deny("PRAGMA")
			return z.a, nil
		}
		return z.a, z.selectStatement(text)
	case duckdb.STATEMENT_TYPE_EXPLAIN:
		inner, ok := explainTarget(text)
		if !ok || depth > 0 {
			z.a.deny("this form of EXPLAIN")
			return z.a, nil
		}
		in, err := analyzeText(ctx, conn, inner, depth+1)
		if err != nil {
			return nil, err
		}
		in.stmtType = typ
		return in, nil
	case duckdb.STATEMENT_TYPE_INSERT, duckdb.STATEMENT_TYPE_UPDATE, duckdb.STATEMENT_TYPE_DELETE,
		duckdb.STATEMENT_TYPE_CREATE, duckdb.STATEMENT_TYPE_DROP, duckdb.STATEMENT_TYPE_ALTER,
		duckdb.STATEMENT_TYPE_SET:
		return z.a, z.planned(text)
	case duckdb.STATEMENT_TYPE_COPY:
		z.a.deny("COPY with a server-side file (use COPY ... FROM STDIN / TO STDOUT, e.g. psql's \\copy)")
		return z.a, nil
	}
	z.a.deny("%s", stmtTypeName(typ))
	return z.a, nil
}

// planned analyses a statement from its serialised plan.
func (z *analyzer) planned(text string) error {
	p, err := serialize(z.ctx, z.conn, "json_serialize_plan", text)
	if err != nil {
		var se *serializeError
		if errors.As(err, &se) && se.unsupported() {
			z.a.deny("a statement whose objects cannot be determined (%s)", se.Message)
			return nil
		}
		return err
	}
	z.walkPlan(p)
	z.checkDefinitions(p)
	return nil
}

func (z *analyzer) selectStatement(text string) error {
	tree, err := serialize(z.ctx, z.conn, "json_serialize_sql", text)
	if err != nil {
		var se *serializeError
		if errors.As(err, &se) {
			z.a.deny("a statement whose objects cannot be determined (%s)", se.Message)
			return nil
		}
		return err
	}
	var baseRefs []tableRef
	var describeRefs []tableRef
	z.walkSQL(tree, &baseRefs, &describeRefs)
	for _, r := range describeRefs {
		if t, ok := z.resolveObject(r); ok {
			z.a.describes = append(z.a.describes, t)
		}
	}
	p, err := serialize(z.ctx, z.conn, "json_serialize_plan", text)
	if err == nil {
		z.walkPlan(p)
		z.checkDefinitions(p)
		return nil
	}
	var se *serializeError
	if !errors.As(err, &se) || !se.unsupported() {
		return err
	}
	if z.treePlanOnly > 0 {
		z.a.deny("a table function taking a table name, or showing definitions, in a statement whose objects cannot be determined")
		return nil
	}
	// The plan cannot be serialised: resolve each table the parse tree
	// names on its own (a name that resolves to nothing is a CTE, or the
	// statement fails anyway).
	for _, r := range baseRefs {
		rp, err := serialize(z.ctx, z.conn, "json_serialize_plan", "SELECT * FROM "+r.quoted())
		if err != nil {
			if errors.As(err, &se) && se.missing() {
				continue
			}
			if r.Catalog == "" && r.Schema == "" && looksLikePath(r.Name) {
				z.a.files = append(z.a.files, r.Name)
				continue
			}
			z.a.deny("a statement whose objects cannot be determined (%s)", err.Error())
			return nil
		}
		z.walkPlan(rp)
		z.checkDefinitions(rp) // all columns of information_schema & co.
	}
	return nil
}

func looksLikePath(s string) bool {
	return strings.ContainsAny(s, "/\\") || strings.Contains(s, "://") || filepath.Ext(s) != ""
}

// resolveObject finds the table or view a (possibly partial) name means,
// through DuckDB's binder (the plan of DROP ... IF EXISTS names it fully
// without running anything).
func (z *analyzer) resolveObject(r tableRef) (tableRef, bool) {
	p, err := serialize(z.ctx, z.conn, "json_serialize_plan", "DROP TABLE IF EXISTS "+r.quoted())
	if err != nil {
		return r, false
	}
	plans, _ := p["plans"].([]any)
	if len(plans) != 1 {
		return r, false
	}
	info := obj(plans[0].(map[string]any), "info")
	if info == nil || str(info, "catalog") == "" {
		return r, false
	}
	return tableRef{str(info, "catalog"), str(info, "schema"), str(info, "name")}, true
}

// walkSQL walks a json_serialize_sql tree: table functions are checked,
// base tables collected, DESCRIBE targets collected separately.
func (z *analyzer) walkSQL(v any, base, describes *[]tableRef) {
	switch x := v.(type) {
	case []any:
		for _, e := range x {
			z.walkSQL(e, base, describes)
		}
	case map[string]any:
		switch str(x, "type") {
		case "BASE_TABLE":
			*base = append(*base, tableRef{str(x, "catalog_name"), str(x, "schema_name"), str(x, "table_name")})
			return
		case "TABLE_FUNCTION":
			if fn := obj(x, "function"); fn != nil {
				z.tableFunctionCall(fn)
			}
		case "SHOW_REF":
			switch str(x, "show_type") {
			case "DESCRIBE":
				if q := x["query"]; q != nil {
					var inner []tableRef
					z.walkSQL(q, &inner, describes)
					*describes = append(*describes, inner...)
				}
				return
			case "SUMMARY":
				// reads its query: walked below
			default:
				// SHOW TABLES, SHOW DATABASES...: catalog metadata
				return
			}
		}
		for _, e := range x {
			z.walkSQL(e, base, describes)
		}
	}
}

// tableFunctionCall checks a table function written in the statement.
func (z *analyzer) tableFunctionCall(fn map[string]any) {
	name := strings.ToLower(str(fn, "function_name"))
	if str(fn, "schema") != "" || str(fn, "catalog") != "" {
		z.a.deny("qualified table function %s", name)
		return
	}
	switch {
	case tableArgFunctions[name] != "" || definitionColumns[name] != nil:
		// Checked in the plan, where DuckDB has computed the name and
		// the columns used are known.
		z.treePlanOnly++
	case fileFunctions[name]:
		children, _ := fn["children"].([]any)
		if len(children) == 0 {
			z.a.deny("table function %s without a path", name)
			return
		}
		paths, ok := constantStrings(children[0])
		if !ok || len(paths) == 0 {
			z.a.deny("table function %s with a path that is not a constant", name)
			return
		}
		z.a.files = append(z.a.files, paths...)
	case safeTableFunction(name):
	default:
		z.a.deny("table function %s", name)
	}
}

// constantStrings returns the strings of a constant string or list of
// constant strings in a parse tree.
func constantStrings(v any) ([]string, bool) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, false
	}
	switch str(m, "class") {
	case "CONSTANT":
		return valueStrings(m["value"])
	case "FUNCTION":
		n := strings.ToLower(str(m, "function_name"))
		if n != "list_value" && n != "array_value" {
			return nil, false
		}
		children, _ := m["children"].([]any)
		var out []string
		for _, c := range children {
			s, ok := constantStrings(c)
			if !ok {
				return nil, false
			}
			out = append(out, s...)
		}
		return out, true
	}
	return nil, false
}

// valueStrings returns the strings in a serialised DuckDB Value (a VARCHAR
// or a LIST of VARCHAR).
func valueStrings(v any) ([]string, bool) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, false
	}
	if b, _ := m["is_null"].(bool); b {
		return nil, false
	}
	switch x := m["value"].(type) {
	case string:
		return []string{x}, true
	case map[string]any:
		children, _ := x["children"].([]any)
		var out []string
		for _, c := range children {
			s, ok := valueStrings(c)
			if !ok {
				return nil, false
			}
			out = append(out, s...)
		}
		return out, true
	}
	return nil, false
}

// walkPlan walks a json_serialize_plan tree.
func (z *analyzer) walkPlan(v any) {
	switch x := v.(type) {
	case []any:
		for _, e := range x {
			z.walkPlan(e)
		}
	case map[string]any:
		if t := str(x, "type"); strings.HasPrefix(t, "LOGICAL_") {
			if !z.operator(t, x) {
				return
			}
		}
		for k, e := range x {
			if k == "info" || k == "table_info" {
				continue
			}
			z.walkPlan(e)
		}
	}
}

// operator handles one plan operator; false stops the walk below it.
func (z *analyzer) operator(t string, m map[string]any) bool {
	a := z.a
	switch t {
	case "LOGICAL_GET":
		fd := obj(m, "function_data")
		if fd != nil && str(fd, "table") != "" {
			ref := tableRef{str(fd, "catalog"), str(fd, "schema"), str(fd, "table")}
			if b, _ := fd["is_create_index"].(bool); b {
				a.alters = append(a.alters, ref)
				return true
			}
			if a.dmlTarget != nil && ref.key() == a.dmlTarget.key() {
				return true
			}
			a.reads = append(a.reads, ref)
			return true
		}
		name := strings.ToLower(str(m, "name"))
		switch {
		case name == "seq_scan":
			a.deny("a table scan that cannot be resolved")
		case fileFunctions[name] || replacementReaders[name]:
			params, _ := m["parameters"].([]any)
			if len(params) == 0 {
				a.deny("table function %s without a path", name)
				break
			}
			paths, ok := valueStrings(params[0])
			if !ok || len(paths) == 0 {
				a.deny("table function %s with a path that is not a constant", name)
				break
			}
			a.files = append(a.files, paths...)
		case tableArgFunctions[name] != "":
			z.tableArgument(name, m)
		case safeTableFunction(name):
		default:
			a.deny("table function %s", name)
		}
	case "LOGICAL_INSERT":
		if ti := obj(m, "table_info"); ti != nil {
			a.writes = append(a.writes, tableRef{str(ti, "catalog"), str(ti, "schema"), str(ti, "table")})
		} else {
			a.deny("an INSERT whose target cannot be determined")
		}
	case "LOGICAL_UPDATE", "LOGICAL_DELETE":
		ti := obj(m, "table_info")
		if ti == nil {
			a.deny("a statement whose target cannot be determined")
			break
		}
		ref := tableRef{str(ti, "catalog"), str(ti, "schema"), str(ti, "table")}
		a.writes = append(a.writes, ref)
		if rc, _ := m["return_chunk"].(bool); rc {
			a.reads = append(a.reads, ref) // RETURNING shows the rows
		} else {
			a.dmlTarget = &ref
		}
	case "LOGICAL_CREATE_TABLE":
		info := obj(m, "info")
		if info == nil {
			a.deny("CREATE TABLE whose target cannot be determined")
			break
		}
		if tmp, _ := info["temporary"].(bool); tmp {
			break
		}
		ref := tableRef{str(info, "catalog"), str(info, "schema"), str(info, "table")}
		a.creates = append(a.creates, ref)
		if str(info, "on_conflict") == "REPLACE_ON_CONFLICT" {
			a.replaces = append(a.replaces, ref)
		}
	case "LOGICAL_CREATE_VIEW":
		info := obj(m, "info")
		if info == nil {
			a.deny("CREATE VIEW whose target cannot be determined")
			break
		}
		if tmp, _ := info["temporary"].(bool); tmp {
			break
		}
		ref := tableRef{str(info, "catalog"), str(info, "schema"), str(info, "view_name")}
		a.creates = append(a.creates, ref)
		if str(info, "on_conflict") == "REPLACE_ON_CONFLICT" {
			a.replaces = append(a.replaces, ref)
		}
	case "LOGICAL_CREATE_INDEX":
		// The index's table is the GET below it (is_create_index).
	case "LOGICAL_DROP":
		info := obj(m, "info")
		if info == nil {
			a.deny("DROP")
			break
		}
		kind := str(info, "type")
		if kind != "TABLE_ENTRY" && kind != "VIEW_ENTRY" {
			a.deny("DROP %s", strings.TrimSuffix(kind, "_ENTRY"))
			break
		}
		if c, _ := info["cascade"].(bool); c {
			a.deny("DROP ... CASCADE")
			break
		}
		if str(info, "catalog") == "" {
			break // does not exist: DROP ... IF EXISTS does nothing
		}
		a.drops = append(a.drops, tableRef{str(info, "catalog"), str(info, "schema"), str(info, "name")})
	case "LOGICAL_ALTER":
		info := obj(m, "info")
		if info == nil {
			a.deny("ALTER")
			break
		}
		ref := tableRef{str(info, "catalog"), str(info, "schema"), str(info, "name")}
		switch str(info, "type") {
		case "ALTER_TABLE":
			at := str(info, "alter_table_type")
			if !alterTableTypes[at] {
				a.deny("ALTER TABLE (%s)", at)
				break
			}
			a.alters = append(a.alters, ref)
			if at == "RENAME_TABLE" {
				a.renames = append(a.renames, [2]tableRef{ref, {ref.Catalog, ref.Schema, str(info, "new_table_name")}})
			}
		case "ALTER_VIEW":
			if str(info, "alter_view_type") != "RENAME_VIEW" {
				a.deny("ALTER VIEW (%s)", str(info, "alter_view_type"))
				break
			}
			a.alters = append(a.alters, ref)
			a.renames = append(a.renames, [2]tableRef{ref, {ref.Catalog, ref.Schema, str(info, "new_view_name")}})
		default:
			a.deny("ALTER %s", strings.TrimPrefix(str(info, "type"), "ALTER_"))
		}
	case "LOGICAL_SET", "LOGICAL_RESET":
		name := strings.ToLower(str(m, "name"))
		children, _ := m["children"].([]any)
		if !sessionSettings[name] || len(children) > 0 || str(m, "scope") == "GLOBAL" {
			a.deny("SET %s (it changes the server's configuration)", name)
		}
		return false
	case "LOGICAL_TRANSACTION":
	case "LOGICAL_COPY_TO_FILE":
		a.deny("COPY ... TO a file")
	case "LOGICAL_ATTACH", "LOGICAL_DETACH", "LOGICAL_PRAGMA", "LOGICAL_EXPORT", "LOGICAL_VACUUM",
		"LOGICAL_LOAD", "LOGICAL_SIMPLE", "LOGICAL_COPY_DATABASE", "LOGICAL_CREATE_SECRET":
		a.deny("%s", strings.TrimPrefix(t, "LOGICAL_"))
	default:
		if strings.HasPrefix(t, "LOGICAL_CREATE") {
			a.deny("CREATE %s", strings.TrimPrefix(t, "LOGICAL_CREATE_"))
		}
	}
	return true
}

// tableArgument checks a table function that reads a table named by its
// argument (pragma_storage_info('t') shows column statistics) as a read of
// that table, named as DuckDB computed it for the plan.
func (z *analyzer) tableArgument(name string, m map[string]any) {
	params, _ := m["parameters"].([]any)
	var names []string
	ok := len(params) > 0
	if ok {
		names, ok = valueStrings(params[0])
	}
	if !ok || len(names) != 1 {
		z.a.deny("table function %s with a table name that is not a constant", name)
		return
	}
	parts, ok := splitQualified(names[0])
	if !ok {
		z.a.deny("table function %s of %q, which names no table", name, names[0])
		return
	}
	var want tableRef
	switch len(parts) {
	case 1:
		want = tableRef{Name: parts[0]}
	case 2:
		want = tableRef{Schema: parts[0], Name: parts[1]}
	case 3:
		want = tableRef{parts[0], parts[1], parts[2]}
	}
	ref, ok := z.resolveObject(want)
	if !ok {
		z.a.deny("table function %s of %q, which names no table or view", name, names[0])
		return
	}
	if tableArgFunctions[name] == PrivDescribe {
		z.a.describes = append(z.a.describes, ref)
	} else {
		z.a.reads = append(z.a.reads, ref)
	}
}

// splitQualified splits a qualified name as DuckDB's QualifiedName::Parse
// does: dots separate, double quotes quote ("" is a quote), at most three
// parts.
func splitQualified(s string) ([]string, bool) {
	var parts []string
	var cur strings.Builder
	quoted, wasQuoted := false, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quoted && c == '"' && i+1 < len(s) && s[i+1] == '"':
			cur.WriteByte('"')
			i++
		case c == '"':
			quoted = !quoted
			wasQuoted = true
		case !quoted && c == '.':
			if cur.Len() == 0 && !wasQuoted {
				return nil, false
			}
			parts = append(parts, cur.String())
			cur.Reset()
			wasQuoted = false
		default:
			cur.WriteByte(c)
		}
	}
	if quoted || (cur.Len() == 0 && !wasQuoted) {
		return nil, false
	}
	parts = append(parts, cur.String())
	if len(parts) > 3 {
		return nil, false
	}
	return parts, true
}

// tableArgFunctions read the table their first argument names: the
// privilege they need on it.
var tableArgFunctions = map[string]string{
	"pragma_storage_info": PrivSelect,   // column statistics: min and max values
	"duckdb_table_sample": PrivSelect,   // rows
	"pragma_table_info":   PrivDescribe, // columns with DEFAULT expressions
	"pragma_show":         PrivDescribe,
}

// explainTarget returns the statement after EXPLAIN [ANALYZE] [(options)].
func explainTarget(text string) (string, bool) {
	toks, err := parser.Tokenize(text, false)
	if err != nil || len(toks) < 2 || !strings.EqualFold(toks[0].Text, "EXPLAIN") {
		return "", false
	}
	i := 1
	if strings.EqualFold(toks[i].Text, "ANALYZE") || strings.EqualFold(toks[i].Text, "ANALYSE") {
		i++
	}
	if i < len(toks) && toks[i].Kind == parser.TokOp && toks[i].Text == "(" {
		depth := 0
		for ; i < len(toks); i++ {
			if toks[i].Kind == parser.TokOp && toks[i].Text == "(" {
				depth++
			} else if toks[i].Kind == parser.TokOp && toks[i].Text == ")" {
				depth--
				if depth == 0 {
					i++
					break
				}
			}
		}
	}
	if i >= len(toks) || toks[i].Kind == parser.TokEOF {
		return "", false
	}
	return text[toks[i].Off:], true
}

// secretStatement is "CREATE SECRET" or "DROP SECRET" for those
// statements (OR REPLACE, PERSISTENT, TEMPORARY, IF [NOT] EXISTS allowed
// before SECRET), else "".
func secretStatement(text string) string {
	ws := parser.LeadingWords(text, 6)
	if len(ws) == 0 || (ws[0] != "CREATE" && ws[0] != "DROP") {
		return ""
	}
	for _, w := range ws[1:] {
		switch w {
		case "SECRET":
			return ws[0] + " SECRET"
		case "OR", "REPLACE", "PERSISTENT", "TEMPORARY", "TEMP", "IF", "NOT", "EXISTS":
			continue
		}
		return ""
	}
	return ""
}

func firstWord(text string) string {
	toks, err := parser.Tokenize(text, false)
	if err != nil || len(toks) == 0 {
		return ""
	}
	return strings.ToUpper(toks[0].Text)
}

func stmtTypeName(t duckdb.StmtType) string {
	switch t {
	case duckdb.STATEMENT_TYPE_PREPARE:
		return "PREPARE"
	case duckdb.STATEMENT_TYPE_EXECUTE:
		return "EXECUTE"
	case duckdb.STATEMENT_TYPE_ANALYZE:
		return "ANALYZE"
	case duckdb.STATEMENT_TYPE_VARIABLE_SET:
		return "SET VARIABLE"
	case duckdb.STATEMENT_TYPE_CREATE_FUNC:
		return "CREATE FUNCTION"
	case duckdb.STATEMENT_TYPE_EXPORT:
		return "EXPORT"
	case duckdb.STATEMENT_TYPE_PRAGMA:
		return "PRAGMA"
	case duckdb.STATEMENT_TYPE_VACUUM:
		return "VACUUM"
	case duckdb.STATEMENT_TYPE_CALL:
		return "CALL/CHECKPOINT"
	case duckdb.STATEMENT_TYPE_LOAD:
		return "INSTALL/LOAD"
	case duckdb.STATEMENT_TYPE_ATTACH:
		return "ATTACH"
	case duckdb.STATEMENT_TYPE_DETACH:
		return "DETACH"
	case duckdb.STATEMENT_TYPE_EXTENSION:
		return "extension"
	}
	return fmt.Sprintf("type-%d", int(t))
}

// fileFunctions read files named by their first argument.
var fileFunctions = map[string]bool{
	"read_csv": true, "read_csv_auto": true, "sniff_csv": true,
	"read_parquet": true, "parquet_scan": true, "parquet_metadata": true, "parquet_schema": true,
	"parquet_file_metadata": true, "parquet_kv_metadata": true, "parquet_bloom_probe": true,
	"read_json": true, "read_json_auto": true, "read_json_objects": true, "read_json_objects_auto": true,
	"read_ndjson": true, "read_ndjson_auto": true, "read_ndjson_objects": true,
	"read_text": true, "read_blob": true, "glob": true,
}

// replacementReaders are the plan names of scans DuckDB substitutes for a
// file name written as a table.
var replacementReaders = map[string]bool{"read_csv_auto": true, "parquet_scan": true, "read_json_auto": true}

// safeTable lists table functions that read no files and no tables (catalog
// metadata, generators, JSON helpers).
var safeTable = map[string]bool{
	"range": true, "generate_series": true, "unnest": true, "json_each": true, "json_tree": true,
	"repeat": true, "repeat_row": true, "test_all_types": true, "test_vector_types": true,
	"pragma_version": true, "pragma_platform": true, "pragma_table_info": true, "pragma_show": true,
	"pragma_storage_info": true, "pragma_database_size": true, "pragma_user_agent": true,
	"pragma_collations": true, "pragma_metadata_info": true,
	"pg_timezone_names": true, "icu_calendar_names": true, "sql_auto_complete": true,
	"tpch_queries": true, "tpch_answers": true, "tpcds_queries": true, "tpcds_answers": true,
}

// unsafeDuckDB are duckdb_* functions that are not plain catalog metadata.
var unsafeDuckDB = map[string]bool{"duckdb_secrets": true, "duckdb_logs": true, "duckdb_log_contexts": true, "duckdb_secret_types": true}

func safeTableFunction(name string) bool {
	if strings.HasPrefix(name, "duckdb_") {
		return !unsafeDuckDB[name]
	}
	return safeTable[name]
}

// sessionSettings are the DuckDB settings a non-administrator may SET: they
// belong to the connection and only change name resolution.
var sessionSettings = map[string]bool{"search_path": true, "schema": true}

// alterTableTypes are the ALTER TABLE forms covered by the Alter privilege.
var alterTableTypes = map[string]bool{
	"RENAME_COLUMN": true, "RENAME_TABLE": true, "ADD_COLUMN": true, "REMOVE_COLUMN": true,
	"ALTER_COLUMN_TYPE": true, "SET_DEFAULT": true, "SET_NOT_NULL": true, "DROP_NOT_NULL": true,
	"ADD_CONSTRAINT": true, "SET_SORTED_BY": true, "SET_PARTITIONED_BY": true,
}
