// Package dataset reads a query's result from DuckDB into dense float32
// columns for XGBoost (training, evaluation, explanation): the result is
// streamed chunk by chunk through DuckDB's C API and each vector is copied
// straight into its column, with no value boxed on the way.
package dataset

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"unsafe"

	bindings "github.com/duckdb/duckdb-go-bindings"
	duckdb "github.com/duckdb/duckdb-go/v2"
	"github.com/duckdb/duckdb-go/v2/mapping"
)

// Column is a column of the query: its name and DuckDB type.
type Column struct {
	Name string
	Type string // DuckDB's name, e.g. INTEGER, DECIMAL(10,2), VARCHAR
}

// LabelKind says how the label column is read.
type LabelKind int

// Label kinds.
const (
	NoLabel    LabelKind = iota
	NumLabel             // a number (regression): cast to FLOAT
	ClassLabel           // a class: an integer, BOOLEAN or string, coded 0..k-1
)

// Spec says which columns of the query are what.
type Spec struct {
	Label     string    // label column ("" for none)
	LabelKind LabelKind // how to read it
	Split     string    // BOOLEAN column: TRUE rows go to Eval ("" for none)
	// Classes, when set, fixes the class coding (evaluating a trained
	// classifier): a label outside it is an error.
	Classes []string
	// Features, when set, are the feature columns to read, in this order;
	// otherwise every column but the label and split column is one.
	Features []string
}

// Table is a query's rows as float32 columns.
type Table struct {
	Features []Column   // feature columns, in order
	Train    *Part      // rows not marked by the split column
	Eval     *Part      // rows marked by the split column (nil without one)
	Classes  []string   // class names, sorted (classifier labels)
	Labels   *LabelInfo // label column's name and type
}

// LabelInfo describes the label column.
type LabelInfo struct{ Column }

// Part is a set of rows: Columns[j][i] is row i, feature j (NaN for
// NULL), Labels[i] its label (a class code for classifiers) and, for
// numeric labels, Exact[i] the label as a float64.
type Part struct {
	NRows   int
	Columns [][]float32
	Labels  []float32
	Exact   []float64
}

// Numeric reports whether a DuckDB type can be a feature (NULL is missing).
func Numeric(typ string) bool {
	base, _, _ := strings.Cut(typ, "(")
	switch base {
	case "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT", "UINTEGER",
		"FLOAT", "DOUBLE", "DECIMAL", "BOOLEAN":
		return true
	}
	return false
}

// MaxComputeType names a feature type as a model INPUT declares it.
func MaxComputeType(typ string) string {
	switch typ {
	case "INTEGER":
		return "INT"
	case "UTINYINT":
		return "SMALLINT"
	case "USMALLINT":
		return "INT"
	case "UINTEGER":
		return "BIGINT"
	}
	return typ
}

// Describe returns the columns a query produces.
func Describe(ctx context.Context, conn *sql.Conn, query string) ([]Column, error) {
	rows, err := conn.QueryContext(ctx, "DESCRIBE "+query)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var cols []Column
	names, _ := rows.Columns()
	for rows.Next() {
		vals := make([]any, len(names))
		ptrs := make([]any, len(names))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		cols = append(cols, Column{Name: fmt.Sprint(vals[0]), Type: fmt.Sprint(vals[1])})
	}
	return cols, rows.Err()
}

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// Read runs query and reads its rows as spec says. evalFraction > 0 moves
// the last ceil(fraction × rows) rows (in the query's order) to Eval.
func Read(ctx context.Context, conn *sql.Conn, query string, spec Spec, evalFraction float64) (*Table, error) {
	cols, err := Describe(ctx, conn, query)
	if err != nil {
		return nil, err
	}
	byName := map[string]Column{}
	seen := map[string]bool{}
	for _, c := range cols {
		k := strings.ToLower(c.Name)
		if seen[k] {
			return nil, fmt.Errorf("the query returns two columns named %s; give them different names", c.Name)
		}
		seen[k] = true
		byName[k] = c
	}
	t := &Table{}
	find := func(name, role string) (Column, error) {
		c, ok := byName[strings.ToLower(name)]
		if !ok {
			names := make([]string, len(cols))
			for i, c := range cols {
				names[i] = c.Name
			}
			return c, fmt.Errorf("%s %s is not a column of the query (columns: %s)", role, name, strings.Join(names, ", "))
		}
		return c, nil
	}
	var selects []string
	if spec.Features != nil {
		for _, f := range spec.Features {
			c, err := find(f, "feature column")
			if err != nil {
				return nil, err
			}
			t.Features = append(t.Features, c)
		}
	} else {
		for _, c := range cols {
			if strings.EqualFold(c.Name, spec.Label) || strings.EqualFold(c.Name, spec.Split) {
				continue
			}
			t.Features = append(t.Features, c)
		}
	}
	for _, c := range t.Features {
		if !Numeric(c.Type) {
			return nil, fmt.Errorf("feature column %s has type %s; features must be numeric or BOOLEAN (cast or encode it, or leave it out of the query)", c.Name, c.Type)
		}
		selects = append(selects, "CAST("+quoteIdent(c.Name)+" AS FLOAT)")
	}
	if len(t.Features) == 0 {
		return nil, fmt.Errorf("the query has no feature columns")
	}
	labelText := false
	if spec.Label != "" {
		c, err := find(spec.Label, "label column")
		if err != nil {
			return nil, err
		}
		t.Labels = &LabelInfo{c}
		base, _, _ := strings.Cut(c.Type, "(")
		switch spec.LabelKind {
		case NumLabel:
			if !Numeric(c.Type) && base != "UBIGINT" && base != "HUGEINT" {
				return nil, fmt.Errorf("label column %s has type %s; a regressor's label must be numeric", c.Name, c.Type)
			}
			selects = append(selects, "CAST("+quoteIdent(c.Name)+" AS DOUBLE)")
		case ClassLabel:
			switch base {
			case "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT", "UINTEGER":
				selects = append(selects, "CAST("+quoteIdent(c.Name)+" AS BIGINT)")
			case "VARCHAR", "BOOLEAN":
				selects = append(selects, "CAST("+quoteIdent(c.Name)+" AS VARCHAR)")
				labelText = true
			default:
				return nil, fmt.Errorf("label column %s has type %s; a classifier's label must be an integer, BOOLEAN or string", c.Name, c.Type)
			}
		}
	}
	if spec.Split != "" {
		c, err := find(spec.Split, "DATA_SPLIT_COL")
		if err != nil {
			return nil, err
		}
		if c.Type != "BOOLEAN" {
			return nil, fmt.Errorf("DATA_SPLIT_COL %s has type %s; it must be BOOLEAN (TRUE marks evaluation rows)", c.Name, c.Type)
		}
		selects = append(selects, "coalesce("+quoteIdent(c.Name)+", false)")
	}
	q := "SELECT " + strings.Join(selects, ", ") + " FROM (" + query + ") AS __modelsql_data"
	r := &reader{nf: len(t.Features), label: spec.LabelKind, labelText: labelText, split: spec.Split != "", codes: map[string]int{}, intCodes: map[int64]int{}}
	if spec.Classes != nil {
		r.fixed = true
		for i, cl := range spec.Classes {
			r.codes[cl] = i
			if v, err := strconv.ParseInt(cl, 10, 64); err == nil {
				r.intCodes[v] = i
			}
		}
	}
	if err := stream(ctx, conn, q, r.chunk); err != nil {
		return nil, err
	}
	if r.err != nil {
		return nil, r.err
	}
	if spec.Label != "" && spec.LabelKind == ClassLabel {
		t.Classes = r.finishClasses(spec.Classes)
	}
	nTrain := r.train.n
	cut := nTrain
	if evalFraction > 0 && !r.split {
		cut = nTrain - int(math.Ceil(evalFraction*float64(nTrain)))
	}
	t.Train = r.train.part(r.nf, 0, cut)
	if r.split {
		t.Eval = r.eval.part(r.nf, 0, r.eval.n)
	} else if evalFraction > 0 {
		t.Eval = r.train.part(r.nf, cut, nTrain)
	}
	return t, nil
}

// rows collects columns of one part while reading.
type rows struct {
	n      int
	cols   [][]float32
	labels []float32
	exact  []float64
}

// part returns rows [from, to): the columns as read, sliced (not copied).
func (r *rows) part(nf, from, to int) *Part {
	p := &Part{NRows: to - from, Columns: make([][]float32, nf)}
	for j := 0; j < nf; j++ {
		if r.cols != nil {
			p.Columns[j] = r.cols[j][from:to:to]
		}
	}
	if r.labels != nil {
		p.Labels = r.labels[from:to:to]
	}
	if r.exact != nil {
		p.Exact = r.exact[from:to:to]
	}
	return p
}

type reader struct {
	nf        int
	label     LabelKind
	labelText bool
	split     bool
	train     rows
	eval      rows
	codes     map[string]int // class name -> provisional code (or fixed code)
	intCodes  map[int64]int
	names     []string // provisional code -> class name
	ints      []int64  // provisional code -> integer label
	fixed     bool
	err       error
	rowNo     int
}

// chunk appends one result chunk.
func (r *reader) chunk(n int, vec func(i int) (unsafe.Pointer, []uint64)) {
	if r.err != nil {
		return
	}
	var toEval []bool
	if r.split {
		col := r.nf
		if r.label != NoLabel {
			col++
		}
		data, _ := vec(col)
		b := unsafe.Slice((*bool)(data), n)
		toEval = b
	}
	for _, part := range []*rows{&r.train, &r.eval} {
		if part.cols == nil {
			part.cols = make([][]float32, r.nf)
		}
	}
	for j := 0; j < r.nf; j++ {
		data, valid := vec(j)
		src := unsafe.Slice((*float32)(data), n)
		for i := 0; i < n; i++ {
			v := src[i]
			if valid != nil && valid[i/64]&(1<<(i%64)) == 0 {
				v = float32(math.NaN())
			}
			if toEval != nil && toEval[i] {
				r.eval.cols[j] = append(r.eval.cols[j], v)
			} else {
				r.train.cols[j] = append(r.train.cols[j], v)
			}
		}
	}
	if r.label != NoLabel {
		data, valid := vec(r.nf)
		for i := 0; i < n; i++ {
			if valid != nil && valid[i/64]&(1<<(i%64)) == 0 {
				r.err = fmt.Errorf("the label is NULL in row %d; leave such rows out (WHERE label IS NOT NULL)", r.rowNo+i+1)
				return
			}
			part := &r.train
			if toEval != nil && toEval[i] {
				part = &r.eval
			}
			switch {
			case r.label == NumLabel:
				x := unsafe.Slice((*float64)(data), n)[i]
				part.labels = append(part.labels, float32(x))
				part.exact = append(part.exact, x)
			case r.labelText:
				s := duckString(unsafe.Add(data, 16*i))
				code, ok := r.codes[s]
				if !ok {
					if r.fixed {
						r.err = fmt.Errorf("label %q in row %d is not one of the model's classes", s, r.rowNo+i+1)
						return
					}
					code = len(r.names)
					r.codes[s] = code
					r.names = append(r.names, s)
				}
				part.labels = append(part.labels, float32(code))
			default:
				v := unsafe.Slice((*int64)(data), n)[i]
				code, ok := r.intCodes[v]
				if !ok {
					if r.fixed {
						r.err = fmt.Errorf("label %d in row %d is not one of the model's classes", v, r.rowNo+i+1)
						return
					}
					code = len(r.ints)
					r.intCodes[v] = code
					r.ints = append(r.ints, v)
				}
				part.labels = append(part.labels, float32(code))
			}
		}
	}
	for i := 0; i < n; i++ {
		if toEval != nil && toEval[i] {
			r.eval.n++
		} else {
			r.train.n++
		}
	}
	r.rowNo += n
}

// finishClasses sorts the classes (integers numerically, strings by
// bytes) and recodes the labels to their sorted positions.
func (r *reader) finishClasses(fixed []string) []string {
	if r.fixed {
		return fixed
	}
	k := len(r.names) + len(r.ints)
	order := make([]int, k)
	for i := range order {
		order[i] = i
	}
	var names []string
	if r.labelText {
		sort.Slice(order, func(a, b int) bool { return r.names[order[a]] < r.names[order[b]] })
		for _, o := range order {
			names = append(names, r.names[o])
		}
	} else {
		sort.Slice(order, func(a, b int) bool { return r.ints[order[a]] < r.ints[order[b]] })
		for _, o := range order {
			names = append(names, strconv.FormatInt(r.ints[o], 10))
		}
	}
	recode := make([]float32, k)
	for pos, o := range order {
		recode[o] = float32(pos)
	}
	for _, part := range []*rows{&r.train, &r.eval} {
		for i, l := range part.labels {
			part.labels[i] = recode[int(l)]
		}
	}
	return names
}

// duckString reads a duckdb_string_t: a length, then the bytes inline (up
// to 12) or a 4-byte prefix and a pointer.
func duckString(p unsafe.Pointer) string {
	n := *(*uint32)(p)
	if n <= 12 {
		return string(unsafe.Slice((*byte)(unsafe.Add(p, 4)), n))
	}
	ptr := *(*unsafe.Pointer)(unsafe.Add(p, 8))
	return string(unsafe.Slice((*byte)(ptr), n))
}

// connField locates duckdb-go's connection handle in *duckdb.Conn (an
// unexported field, as package functions does for data chunks).
var connFieldOffset, connFieldOK = func() (uintptr, bool) {
	f, ok := reflect.TypeFor[duckdb.Conn]().FieldByName("conn")
	if !ok || f.Type != reflect.TypeFor[mapping.Connection]() {
		return 0, false
	}
	return f.Offset, true
}()

// stream runs q on conn and calls fn with each result chunk's size and an
// accessor of its vectors (data and validity bitmap, nil when all valid).
func stream(ctx context.Context, conn *sql.Conn, q string, fn func(n int, vec func(i int) (unsafe.Pointer, []uint64))) error {
	if !connFieldOK {
		return fmt.Errorf("internal error: this duckdb-go version's connection layout is unknown")
	}
	return conn.Raw(func(dc any) error {
		c, ok := dc.(*duckdb.Conn)
		if !ok {
			return fmt.Errorf("internal error: not a DuckDB connection")
		}
		mc := *(*mapping.Connection)(unsafe.Add(unsafe.Pointer(c), connFieldOffset))
		var ps mapping.PreparedStatement
		if mapping.Prepare(mc, q, &ps) == mapping.StateError {
			err := mapping.PrepareError(ps)
			mapping.DestroyPrepare(&ps)
			return fmt.Errorf("%s", err)
		}
		defer mapping.DestroyPrepare(&ps)
		done := make(chan struct{})
		defer close(done)
		go func() {
			select {
			case <-ctx.Done():
				mapping.Interrupt(mc)
			case <-done:
			}
		}()
		var res mapping.Result
		if bindings.ExecutePreparedStreaming(ps, &res) == mapping.StateError {
			err := mapping.ResultError(&res)
			mapping.DestroyResult(&res)
			if ctx.Err() != nil {
				return fmt.Errorf("statement cancelled")
			}
			return fmt.Errorf("%s", err)
		}
		defer mapping.DestroyResult(&res)
		for {
			if ctx.Err() != nil {
				return fmt.Errorf("statement cancelled")
			}
			chunk := mapping.FetchChunk(res)
			if chunk.Ptr == nil {
				if e := mapping.ResultError(&res); e != "" {
					return fmt.Errorf("%s", e)
				}
				return nil
			}
			n := int(mapping.DataChunkGetSize(chunk))
			if n == 0 {
				mapping.DestroyDataChunk(&chunk)
				return nil
			}
			fn(n, func(i int) (unsafe.Pointer, []uint64) {
				v := mapping.DataChunkGetVector(chunk, mapping.IdxT(i))
				var valid []uint64
				if m := mapping.VectorGetValidity(v); m != nil {
					valid = unsafe.Slice((*uint64)(m), (n+63)/64)
				}
				return mapping.VectorGetData(v), valid
			})
			mapping.DestroyDataChunk(&chunk)
		}
	})
}
