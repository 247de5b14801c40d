package objstore

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// exampleConfig is the documented example of docs/storage.md.
const exampleConfig = `{
  "max_object_bytes": 536870912,
  "default_role": "acs:ram::1234567890123456:role/aliyunodpsdefaultrole",
  "local": {"roots": ["/srv/modelsql/models"]},
  "http": {"disabled": true},
  "s3": {"endpoint": "http://127.0.0.1:9000", "region": "us-east-1", "path_style": true},
  "oss": {
    "endpoints": {
      "oss-cn-hangzhou.aliyuncs.com": {"url": "http://127.0.0.1:9000", "region": "cn-hangzhou", "path_style": true},
      "oss-accelerate.aliyuncs.com": {"region": "cn-hangzhou"}
    }
  },
  "roles": {
    "acs:ram::1234567890123456:role/aliyunodpsdefaultrole": {
      "type": "aliyun_sts",
      "endpoint": "https://sts.cn-hangzhou.aliyuncs.com",
      "access_key_id": "LTAI5tExampleCallerId",
      "access_key_secret": "example-caller-secret",
      "session_name": "modelsql",
      "duration_seconds": 3600
    },
    "arn:minio:iam:::role/models-reader": {
      "type": "aws_sts",
      "endpoint": "http://127.0.0.1:9000",
      "access_key_id": "modelsql-caller",
      "access_key_secret": "modelsql-caller-secret",
      "policy": "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":[\"s3:GetObject\",\"s3:ListBucket\"],\"Resource\":[\"arn:aws:s3:::models\",\"arn:aws:s3:::models/*\"]}]}"
    },
    "acs:ram::1234567890123456:role/static-reader": {
      "type": "static",
      "access_key_id": "AKIDEXAMPLE",
      "access_key_secret": "static-example-secret"
    }
  }
}`

func TestLoadConfigMissingIsEmpty(t *testing.T) {
	dir := t.TempDir()
	c, err := LoadConfig(dir)
	if err != nil {
		t.Fatalf("LoadConfig: %v", err)
	}
	if c.DefaultRole != "" || len(c.Roles) != 0 || c.maxBytes() != DefaultMaxObjectBytes {
		t.Fatalf("config = %+v, want empty", c)
	}
	c, err = LoadConfig(filepath.Join(dir, "no", "such", "dir"))
	if err != nil || c == nil {
		t.Fatalf("LoadConfig(missing dir) = %v, %v", c, err)
	}
}

func TestLoadConfigExample(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, ConfigFileName), []byte(exampleConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := LoadConfig(dir)
	if err != nil {
		t.Fatalf("LoadConfig: %v", err)
	}
	if c.Source != filepath.Join(dir, ConfigFileName) {
		t.Errorf("Source = %q", c.Source)
	}
	if c.maxBytes() != 512<<20 || !c.HTTP.Disabled || len(c.Local.Roots) != 1 || !c.S3.PathStyle {
		t.Errorf("config = %+v", c)
	}
	r := c.Roles["arn:minio:iam:::role/models-reader"]
	if r.Type != RoleAWSSTS || r.AccessKeyID != "modelsql-caller" || !strings.Contains(r.Policy, "s3:GetObject") {
		t.Errorf("aws role = %+v", r)
	}
	if ec := c.OSS.Endpoints["oss-cn-hangzhou.aliyuncs.com"]; ec.URL != "http://127.0.0.1:9000" || ec.Region != "cn-hangzhou" {
		t.Errorf("endpoint = %+v", ec)
	}
	if _, err := NewFetcher(c); err != nil {
		t.Fatalf("NewFetcher: %v", err)
	}
}

func TestParseConfigErrors(t *testing.T) {
	const secret = "do-not-print-this-secret"
	tests := []struct{ name, doc, want string }{
		{"syntax", "{\n  \"roles\": {\n    \"r\": {\"type\": \"static\",, }\n  }\n}", "line 3: invalid JSON"},
		{"truncated", `{"roles": {"r": {"type": "static"`, "truncated JSON"},
		{"not an object", `[1, 2]`, "must be an object"},
		{"wrong type", "{\n\"max_object_bytes\": \"big\"}", "line 2: max_object_bytes must be an integer, not string"},
		{"wrong nested type", `{"roles": {"r": {"type": "static", "access_key_id": 5, "access_key_secret": "` + secret + `"}}}`, "access_key_id must be a string, not number"},
		{"unknown field", `{"rolez": {}}`, `unknown field "rolez"`},
		{"unknown role field", `{"roles": {"r": {"type": "static", "secret": "` + secret + `"}}}`, `unknown field "secret"`},
		{"trailing data", `{} {}`, "unexpected data after the JSON object"},
		{"negative max", `{"max_object_bytes": -1}`, "must not be negative"},
		{"undefined default role", `{"default_role": "acs:ram::1:role/x"}`, `default_role "acs:ram::1:role/x" is not defined`},
		{"relative root", `{"local": {"roots": ["models"]}}`, "not an absolute path"},
		{"bad s3 endpoint", `{"s3": {"endpoint": "ftp://host"}}`, "s3.endpoint: URL scheme must be http or https"},
		{"s3 endpoint with path", `{"s3": {"endpoint": "http://host/x"}}`, "no path"},
		{"bad oss endpoint key", `{"oss": {"endpoints": {"bad host": {"url": "http://h"}}}}`, "not a host name"},
		{"bad oss url", `{"oss": {"endpoints": {"oss-cn-hangzhou.aliyuncs.com": {"url": "http://"}}}}`, "no host"},
		{"role without type", `{"roles": {"r": {"access_key_id": "a", "access_key_secret": "` + secret + `"}}}`, `roles["r"]: type is required`},
		{"role bad type", `{"roles": {"r": {"type": "magic", "access_key_id": "a", "access_key_secret": "` + secret + `"}}}`, `unknown type "magic"`},
		{"role no keys", `{"roles": {"r": {"type": "static", "access_key_id": "a"}}}`, "access_key_id and access_key_secret are required"},
		{"static with endpoint", `{"roles": {"r": {"type": "static", "access_key_id": "a", "access_key_secret": "` + secret + `", "endpoint": "http://h"}}}`, "a static role takes only"},
		{"aws without endpoint", `{"roles": {"r": {"type": "aws_sts", "access_key_id": "a", "access_key_secret": "` + secret + `"}}}`, "endpoint is required"},
		{"aws caller token", `{"roles": {"r": {"type": "aws_sts", "endpoint": "http://h", "access_key_id": "a", "access_key_secret": "` + secret + `", "session_token": "` + secret + `"}}}`, "session_token is not supported"},
		{"bad session name", `{"roles": {"r": {"type": "aliyun_sts", "access_key_id": "a", "access_key_secret": "` + secret + `", "session_name": "a b"}}}`, "session_name must be"},
		{"bad policy", `{"roles": {"r": {"type": "aliyun_sts", "access_key_id": "a", "access_key_secret": "` + secret + `", "policy": "{nope"}}}`, "policy is not valid JSON"},
		{"bad duration", `{"roles": {"r": {"type": "aliyun_sts", "access_key_id": "a", "access_key_secret": "` + secret + `", "duration_seconds": -5}}}`, "duration_seconds out of range"},
		{"empty role name", `{"roles": {" ": {"type": "static", "access_key_id": "a", "access_key_secret": "` + secret + `"}}}`, "empty role name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseConfig([]byte(tt.doc), "/data/storage.json")
			if err == nil {
				t.Fatalf("ParseConfig succeeded, want error containing %q", tt.want)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "storage config /data/storage.json: ") {
				t.Errorf("error %q does not name the file", msg)
			}
			if !strings.Contains(msg, tt.want) {
				t.Errorf("error %q, want it to contain %q", msg, tt.want)
			}
			if strings.Contains(msg, secret) {
				t.Errorf("error %q contains the secret", msg)
			}
		})
	}
}

func TestLoadConfigMalformedFileNamed(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, ConfigFileName)
	if err := os.WriteFile(name, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := LoadConfig(dir)
	if err == nil || !strings.Contains(err.Error(), name) {
		t.Fatalf("LoadConfig error = %v, want it to name %s", err, name)
	}
	// A directory where the file should be.
	dir2 := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir2, ConfigFileName), 0o755); err != nil {
		t.Fatal(err)
	}
	_, err = LoadConfig(dir2)
	if err == nil || !strings.Contains(err.Error(), filepath.Join(dir2, ConfigFileName)) {
		t.Fatalf("LoadConfig error = %v, want it to name the file", err)
	}
	// Empty file: empty configuration.
	if err := os.WriteFile(name, []byte("  \n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if c, err := LoadConfig(dir); err != nil || len(c.Roles) != 0 {
		t.Fatalf("empty file: %v, %v", c, err)
	}
}

func TestNewFetcherValidates(t *testing.T) {
	_, err := NewFetcher(&Config{DefaultRole: "nope"})
	if err == nil || !strings.Contains(err.Error(), "default_role") {
		t.Fatalf("NewFetcher = %v", err)
	}
	if f, err := NewFetcher(nil); err != nil || f.MaxObjectBytes() != DefaultMaxObjectBytes {
		t.Fatalf("NewFetcher(nil) = %v, %v", f, err)
	}
}

// TestDocExamplesParse keeps the JSON examples of docs/storage.md valid.
func TestDocExamplesParse(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "storage.md"))
	if err != nil {
		t.Skipf("docs/storage.md not found: %v", err)
	}
	blocks := strings.Split(string(doc), "```json\n")
	if len(blocks) < 4 {
		t.Fatalf("found %d JSON examples in docs/storage.md, want at least 3", len(blocks)-1)
	}
	for i, b := range blocks[1:] {
		end := strings.Index(b, "```")
		if end < 0 {
			t.Fatalf("example %d is not closed", i+1)
		}
		c, err := ParseConfig([]byte(b[:end]), fmt.Sprintf("docs example %d", i+1))
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		if _, err := NewFetcher(c); err != nil {
			t.Errorf("example %d: %v", i+1, err)
		}
	}
}
