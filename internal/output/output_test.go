package output

import (
	"bytes"
	"math"
	"testing"
	"time"
)

func TestFormats(t *testing.T) {
	cols := []string{"id", "name", "p"}
	rows := [][]any{
		{int64(1), "a,b", map[string]any{"label": "1", "probs": []any{float32(0.25), float32(0.75)}}},
		{int32(2), nil, []any{int64(1), nil}},
	}
	cases := map[string]string{
		Table: "+----+------+-----------------------------------+\n" +
			"| id | name | p                                 |\n" +
			"+----+------+-----------------------------------+\n" +
			"| 1  | a,b  | {\"label\":\"1\",\"probs\":[0.25,0.75]} |\n" +
			"| 2  | NULL | [1,null]                          |\n" +
			"+----+------+-----------------------------------+\n",
		CSV: "id,name,p\n1,\"a,b\",\"{\"\"label\"\":\"\"1\"\",\"\"probs\"\":[0.25,0.75]}\"\n2,,\"[1,null]\"\n",
		JSONL: "{\"id\":1,\"name\":\"a,b\",\"p\":{\"label\":\"1\",\"probs\":[0.25,0.75]}}\n" +
			"{\"id\":2,\"name\":null,\"p\":[1,null]}\n",
	}
	for f, want := range cases {
		var b bytes.Buffer
		if err := Write(&b, f, cols, rows); err != nil {
			t.Fatal(err)
		}
		if b.String() != want {
			t.Errorf("%s:\n%s\nwant\n%s", f, b.String(), want)
		}
	}
}

func TestScalars(t *testing.T) {
	cases := []struct {
		v        any
		text, js string
	}{
		{float32(20.03961), "20.03961", "20.03961"},
		{math.NaN(), "NaN", `"NaN"`},
		{true, "true", "true"},
		{[]byte{0xff, 0x00}, `\xff00`, `"\\xff00"`},
		{time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), "2026-01-02 03:04:05", `"2026-01-02 03:04:05"`},
		{time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC), "2026-01-02", `"2026-01-02"`},
		{"multi\nline", `multi\nline`, `"multi\nline"`},
	}
	for _, c := range cases {
		if got := Text(c.v); got != c.text {
			t.Errorf("Text(%v) = %q, want %q", c.v, got, c.text)
		}
		if got := JSON(c.v); got != c.js {
			t.Errorf("JSON(%v) = %q, want %q", c.v, got, c.js)
		}
	}
	if displayWidth("模型ab") != 6 {
		t.Error("CJK width")
	}
}
