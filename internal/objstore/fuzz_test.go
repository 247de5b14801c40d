package objstore

import (
	"strings"
	"testing"
)

func FuzzParseLocation(f *testing.F) {
	for _, s := range []string{
		"oss://oss-cn-hangzhou.aliyuncs.com/bucket/model/",
		"oss://oss-cn-hangzhou-internal.aliyuncs.com/b-1/a/b/c.json",
		"oss://[::1]:9000/bucket/k",
		"s3://bucket/key with space/m.ubj",
		"s3://bucket",
		"file:///srv/models/m.json",
		"file://localhost/srv/%41/",
		"/abs/path/../x.model",
		"https://example.com/m.json?x=1#frag",
		"http://h:80/a/",
		"oss://a:/b/c",
		"s3://b/./x",
		"\x00",
		"file:///\xff",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		loc, err := ParseLocation(s)
		if err != nil {
			return
		}
		str := loc.String()
		if str == "" {
			t.Fatalf("ParseLocation(%q) = %+v with an empty String()", s, loc)
		}
		if len(str) > maxLocationLen {
			// The bound is on what users write; String() may escape a
			// long path (each '*' becomes %2A) past it.
			return
		}
		again, err := ParseLocation(str)
		if err != nil {
			t.Fatalf("String() %q of %q does not parse: %v", str, s, err)
		}
		if again != loc {
			t.Fatalf("round trip of %q: %+v != %+v", s, again, loc)
		}
		if loc.isRemote() && (loc.Bucket == "" || strings.HasPrefix(loc.Key, "/")) {
			t.Fatalf("bad remote location %+v", loc)
		}
	})
}

func FuzzParseConfig(f *testing.F) {
	f.Add([]byte(exampleConfig))
	f.Add([]byte(`{}`))
	f.Add([]byte(``))
	f.Add([]byte(`{"roles": {"r": {"type": "static", "access_key_id": "a", "access_key_secret": "b"}}, "default_role": "r"}`))
	f.Add([]byte(`{"oss": {"endpoints": {"[::1]:9000": {"url": "http://[::1]:9000"}}}}`))
	f.Add([]byte(`{"max_object_bytes": 1e99}`))
	f.Add([]byte(`{"local": {"roots": ["/", "relative"]}}`))
	f.Add([]byte("{\"s3\": {\"endpoint\": \"http://h\\u0000\"}}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseConfig(data, "fuzz.json")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "storage config fuzz.json: ") {
				t.Fatalf("error %q does not name the file", err)
			}
			return
		}
		if _, err := NewFetcher(c); err != nil {
			t.Fatalf("a parsed config is refused by NewFetcher: %v", err)
		}
	})
}
