package objstore

import (
	"strings"
	"testing"
)

func TestParseLocation(t *testing.T) {
	tests := []struct {
		in   string
		want Location
		str  string // canonical String(); "" means same as in
	}{
		{in: "oss://oss-cn-hangzhou.aliyuncs.com/bucket/model/",
			want: Location{Scheme: SchemeOSS, Endpoint: "oss-cn-hangzhou.aliyuncs.com", Bucket: "bucket", Key: "model/", Dir: true}},
		{in: "oss://oss-cn-shanghai-internal.aliyuncs.com/my-bucket/a/b/xgb.json",
			want: Location{Scheme: SchemeOSS, Endpoint: "oss-cn-shanghai-internal.aliyuncs.com", Bucket: "my-bucket", Key: "a/b/xgb.json"}},
		{in: "OSS://OSS-CN-Hangzhou.aliyuncs.com/bucket/m",
			want: Location{Scheme: SchemeOSS, Endpoint: "oss-cn-hangzhou.aliyuncs.com", Bucket: "bucket", Key: "m"},
			str:  "oss://oss-cn-hangzhou.aliyuncs.com/bucket/m"},
		{in: "oss://127.0.0.1:9000/bucket/m.ubj",
			want: Location{Scheme: SchemeOSS, Endpoint: "127.0.0.1:9000", Bucket: "bucket", Key: "m.ubj"}},
		{in: "oss://oss-cn-hangzhou.aliyuncs.com/bucket",
			want: Location{Scheme: SchemeOSS, Endpoint: "oss-cn-hangzhou.aliyuncs.com", Bucket: "bucket", Dir: true},
			str:  "oss://oss-cn-hangzhou.aliyuncs.com/bucket/"},
		{in: "oss://oss-cn-hangzhou.aliyuncs.com/bucket/",
			want: Location{Scheme: SchemeOSS, Endpoint: "oss-cn-hangzhou.aliyuncs.com", Bucket: "bucket", Dir: true}},
		{in: "s3://models.example/dir/v1/model",
			want: Location{Scheme: SchemeS3, Bucket: "models.example", Key: "dir/v1/model"}},
		{in: "s3://bkt/with space/and%20percent?q#f.json",
			want: Location{Scheme: SchemeS3, Bucket: "bkt", Key: "with space/and%20percent?q#f.json"}},
		{in: "s3://bkt/", want: Location{Scheme: SchemeS3, Bucket: "bkt", Dir: true}},
		{in: "file:///srv/models/m.json", want: Location{Scheme: SchemeFile, Path: "/srv/models/m.json"}},
		{in: "file://localhost/srv/models/", want: Location{Scheme: SchemeFile, Path: "/srv/models", Dir: true},
			str: "file:///srv/models/"},
		{in: "file:///srv/my%20models/m.json", want: Location{Scheme: SchemeFile, Path: "/srv/my models/m.json"},
			str: "file:///srv/my%20models/m.json"},
		{in: "/srv/models/../models/m.json", want: Location{Scheme: SchemeFile, Path: "/srv/models/m.json"},
			str: "file:///srv/models/m.json"},
		{in: "/srv/models/", want: Location{Scheme: SchemeFile, Path: "/srv/models", Dir: true}, str: "file:///srv/models/"},
		{in: "https://example.com/m.json?sig=1", want: Location{Scheme: SchemeHTTPS, URL: "https://example.com/m.json?sig=1"}},
		{in: "HTTP://example.com:8080/a/", want: Location{Scheme: SchemeHTTP, URL: "http://example.com:8080/a/", Dir: true},
			str: "http://example.com:8080/a/"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseLocation(tt.in)
			if err != nil {
				t.Fatalf("ParseLocation(%q): %v", tt.in, err)
			}
			if got != tt.want {
				t.Fatalf("ParseLocation(%q) = %+v, want %+v", tt.in, got, tt.want)
			}
			str := tt.str
			if str == "" {
				str = tt.in
			}
			if got.String() != str {
				t.Fatalf("String() = %q, want %q", got.String(), str)
			}
		})
	}
}

func TestParseLocationErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", "empty location"},
		{"models/m.json", "no scheme"},
		{"relative.json", "no scheme"},
		{"ftp://host/x", `unsupported scheme "ftp"`},
		{"oss://", "missing OSS endpoint"},
		{"oss:///bucket/key", "missing OSS endpoint"},
		{"oss://oss-cn-hangzhou.aliyuncs.com", "missing bucket"},
		{"oss://oss-cn-hangzhou.aliyuncs.com/", "missing bucket"},
		{"oss://bad_host!/bucket/k", "not a host name"},
		{"oss://host:99999999/bucket/k", "bad port"},
		{"oss://host:/bucket/k", "bad port"},
		{"oss://ep.aliyuncs.com/Bucket/k", "lower-case"},
		{"oss://ep.aliyuncs.com/ab/k", "3 to 63"},
		{"oss://ep.aliyuncs.com/-ab/k", "start and end"},
		{"oss://ep.aliyuncs.com/a..b/k", `".."`},
		{"s3://", "missing bucket"},
		{"s3://bucket/a/../b", `"." and ".."`},
		{"s3://bucket/a//b", "empty path segment"},
		{"s3://bucket/" + strings.Repeat("k", 1025), "longer than 1024"},
		{"file://remote/x", "must be local"},
		{"file:relative", "absolute path"},
		{"file:///x?y=1", "no query"},
		{"https:///nohost", "missing host"},
		{"https://user:pw@host/x", "user information"},
		{"s3://bucket/a\nb", "control character"},
		{"s3://bucket/\xff", "not valid UTF-8"},
		{strings.Repeat("a", 5000), "at most"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			_, err := ParseLocation(tt.in)
			if err == nil {
				t.Fatalf("ParseLocation(%q) succeeded, want error containing %q", tt.in, tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("ParseLocation(%q) error %q, want it to contain %q", tt.in, err, tt.want)
			}
			if strings.Contains(err.Error(), ":pw@") {
				t.Fatalf("error leaks the password: %v", err)
			}
		})
	}
}

func TestIsModelFileName(t *testing.T) {
	yes := []string{"model", "m.json", "M.JSON", "xgb.ubj", "a.model", "b.bin", "c.deprecated", "dir/x.json", "model.v2.json"}
	no := []string{"", "models", "model.txt", "readme.md", ".json", "._model.json", ".hidden.ubj", "model/", "json", "Model", "a.jsonl"}
	for _, n := range yes {
		if !IsModelFileName(n) {
			t.Errorf("IsModelFileName(%q) = false, want true", n)
		}
	}
	for _, n := range no {
		if IsModelFileName(n) {
			t.Errorf("IsModelFileName(%q) = true, want false", n)
		}
	}
}

func TestOSSRegion(t *testing.T) {
	tests := map[string]string{
		"oss-cn-hangzhou.aliyuncs.com":              "cn-hangzhou",
		"oss-cn-hangzhou-internal.aliyuncs.com":     "cn-hangzhou",
		"OSS-CN-SHANGHAI.aliyuncs.com":              "cn-shanghai",
		"s3.oss-ap-southeast-1.aliyuncs.com":        "ap-southeast-1",
		"s3.oss-eu-central-1-internal.aliyuncs.com": "eu-central-1",
		"oss-us-west-1.aliyuncs.com:443":            "us-west-1",
		"oss-accelerate.aliyuncs.com":               "",
		"oss-accelerate-overseas.aliyuncs.com":      "",
		"cn-hangzhou.oss-dls.aliyuncs.com":          "",
		"oss-cn-hangzhou.aliyuncs.com.evil.com":     "",
		"127.0.0.1:9000":                            "",
		"oss-.aliyuncs.com":                         "",
	}
	for ep, want := range tests {
		if got := OSSRegion(ep); got != want {
			t.Errorf("OSSRegion(%q) = %q, want %q", ep, got, want)
		}
	}
}
