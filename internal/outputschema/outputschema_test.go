package outputschema

import (
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	for _, c := range []struct{ in, want, err string }{
		{"varchar", "VARCHAR", ""},
		{"STRING", "VARCHAR", ""},
		{"int", "INTEGER", ""},
		{"BOOLEAN", "BOOLEAN", ""},
		{"decimal(10, 2)", "DECIMAL(10,2)", ""},
		{"DECIMAL", "DECIMAL(18,3)", ""},
		{"VARCHAR[]", "VARCHAR[]", ""},
		{"INTEGER[][]", "INTEGER[][]", ""},
		{"STRUCT(name VARCHAR, price DOUBLE, tags VARCHAR[])", `STRUCT("name" VARCHAR, "price" DOUBLE, "tags" VARCHAR[])`, ""},
		{`struct("first name" text, "a""b" struct(x int)[])`, `STRUCT("first name" VARCHAR, "a""b" STRUCT("x" INTEGER)[])`, ""},
		{"", "", "expected a type"},
		{"BLOB", "", "not supported"},
		{"MAP(VARCHAR, INT)", "", "not supported"},
		{"INT[3]", "", "fixed-size arrays"},
		{"STRUCT(a INT, A INT)", "", "given twice"},
		{"STRUCT(a INT", "", "expected ',' or ')'"},
		{"STRUCT()", "", "expected a field name"},
		{"DECIMAL(40,2)", "", "1 <= p <= 38"},
		{"DECIMAL(5,6)", "", "s <= p"},
		{"VARCHAR extra", "", "unexpected"},
		{"UUID", "", "unknown or unsupported type UUID"},
		{strings.Repeat("STRUCT(a ", 20) + "INT" + strings.Repeat(")", 20), "", "nested more than"},
		{strings.Repeat("x", MaxLen+1), "", "at most"},
	} {
		got, err := Parse(c.in)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("Parse(%.40q) = %v, %v; want error %q", c.in, got, err, c.err)
			}
			continue
		}
		if err != nil || got.String() != c.want {
			t.Errorf("Parse(%q) = %v, %v; want %s", c.in, got, err, c.want)
		}
	}
}

func TestSchemaAndStructure(t *testing.T) {
	ty, _ := Parse("STRUCT(name VARCHAR, price DOUBLE, tags VARCHAR[], d DATE)")
	if got := string(ty.JSONSchema()); got != `{"type":"object","properties":{"name":{"type":"string"},"price":{"type":"number"},"tags":{"type":"array","items":{"type":"string"}},"d":{"type":"string","format":"date"}},"required":["name","price","tags","d"],"additionalProperties":false}` {
		t.Errorf("struct schema: %s", got)
	}
	if got := ty.Structure(); got != `{"name":"VARCHAR","price":"DOUBLE","tags":["VARCHAR"],"d":"DATE"}` {
		t.Errorf("structure: %s", got)
	}
	it, _ := Parse("INTEGER")
	if got := string(it.JSONSchema()); got != `{"type":"object","properties":{"value":{"type":"integer"}},"required":["value"],"additionalProperties":false}` {
		t.Errorf("scalar schema is wrapped: %s", got)
	}
	if got := it.Structure(); got != `"INTEGER"` {
		t.Errorf("scalar structure: %s", got)
	}
}

func TestCheck(t *testing.T) {
	for _, c := range []struct{ typ, answer, want, err string }{
		{"INTEGER", `{"value": 42}`, `42`, ""},
		{"INTEGER", `42`, `42`, ""},
		{"INTEGER", `42.0`, `42`, ""},
		{"INTEGER", `42.5`, ``, "must be an integer"},
		{"TINYINT", `300`, ``, "fits TINYINT"},
		{"BIGINT", `9223372036854775808`, ``, "fits BIGINT"},
		{"INTEGER", `"42"`, ``, "must be an integer"},
		{"BOOLEAN", "```json\n{\"value\": true}\n```", `true`, ""},
		{"BOOLEAN", `yes`, ``, "not JSON"},
		{"VARCHAR", `{"value": "a<b"}`, `"a<b"`, ""},
		{"VARCHAR", `{"value": 3}`, ``, "$ must be a string"},
		{"VARCHAR", `{"other": "x"}`, ``, `{"value": ...}`},
		{"DOUBLE", `{"value": null}`, `null`, ""},
		{"DOUBLE", `1e400`, ``, "in the range of DOUBLE"},
		{"FLOAT", `1e39`, ``, "in the range of FLOAT"},
		{"FLOAT", `-2.5e3`, `-2.5e3`, ""},
		{"DECIMAL(5,2)", `123.456`, `123.46`, ""},
		{"DECIMAL(5,2)", `1234`, ``, "at most 3 digits"},
		{"DATE", `"2024-02-29"`, `"2024-02-29"`, ""},
		{"DATE", `"2023-02-29"`, ``, "YYYY-MM-DD"},
		{"TIMESTAMP", `"2024-01-02T03:04:05Z"`, `"2024-01-02 03:04:05"`, ""},
		{"VARCHAR[]", `["a", "b"]`, `["a","b"]`, ""},
		{"VARCHAR[]", `{"value": ["a", 1]}`, ``, "$[1] must be a string"},
		{"STRUCT(name VARCHAR, price DOUBLE, tags VARCHAR[])", `{"Name": "x", "price": 1.5, "tags": ["a"], "extra": 1}`, `{"name":"x","price":1.5,"tags":["a"]}`, ""},
		{"STRUCT(name VARCHAR, price DOUBLE)", `{"name": "x"}`, ``, `$ lacks the field "price"`},
		{"STRUCT(name VARCHAR, price DOUBLE)", `{"name": "x", "price": "cheap"}`, ``, `$.price must be a number`},
		{"STRUCT(a STRUCT(b INT[]))", `{"a": {"b": [1, "x"]}}`, ``, `$.a.b[1] must be an integer`},
		{"STRUCT(a INT)", `[1]`, ``, "must be an object"},
		{"INTEGER", `1 2`, ``, "more than one JSON value"},
	} {
		ty, err := Parse(c.typ)
		if err != nil {
			t.Fatal(err)
		}
		got, err := ty.Check(c.answer)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s: Check(%q) = %q, %v; want error %q", c.typ, c.answer, got, err, c.err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("%s: Check(%q) = %q, %v; want %s", c.typ, c.answer, got, err, c.want)
		}
	}
}

func FuzzParseAndCheck(f *testing.F) {
	f.Add("STRUCT(a INT, b VARCHAR[])", `{"a": 1, "b": ["x"]}`)
	f.Add("DECIMAL(5,2)[]", `[1.5, null]`)
	f.Add(`STRUCT("x""y" DATE)`, `{"x\"y": "2024-01-01"}`)
	f.Fuzz(func(t *testing.T, typ, answer string) {
		ty, err := Parse(typ)
		if err != nil {
			return
		}
		// A parsed type re-parses to itself.
		again, err := Parse(ty.String())
		if err != nil || again.String() != ty.String() {
			t.Fatalf("%q -> %q -> %v %v", typ, ty.String(), again, err)
		}
		_ = ty.JSONSchema()
		_ = ty.Structure()
		if out, err := ty.Check(answer); err == nil {
			// A checked answer checks again to itself.
			if again, err := ty.Check(out); err != nil || again != out {
				t.Fatalf("%s: %q -> %q -> %q %v", ty, answer, out, again, err)
			}
		}
	})
}
