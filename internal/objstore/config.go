package objstore

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// ConfigFileName is the name of the storage configuration file inside the
// data directory. docs/storage.md documents its format.
const ConfigFileName = "storage.json"

// DefaultMaxObjectBytes is the largest model file Fetch reads unless the
// configuration says otherwise (2 GiB).
const DefaultMaxObjectBytes int64 = 2 << 30

// maxConfigFileBytes bounds the configuration file itself.
const maxConfigFileBytes = 4 << 20

// Role types.
const (
	RoleStatic    = "static"     // fixed access key id / secret (and token)
	RoleAWSSTS    = "aws_sts"    // AWS-style STS AssumeRole (AWS, MinIO)
	RoleAliyunSTS = "aliyun_sts" // Alibaba Cloud STS AssumeRole (RPC, 2015-04-01)
)

// Config is the storage configuration: where s3:// and oss:// locations are
// served, which credentials each ROLEARN maps to, and limits.
type Config struct {
	// MaxObjectBytes is the largest object Fetch reads; 0 means
	// DefaultMaxObjectBytes.
	MaxObjectBytes int64 `json:"max_object_bytes,omitempty"`
	// DefaultRole is used for oss:// and s3:// locations given without a
	// ROLEARN. Empty means such reads are anonymous.
	DefaultRole string `json:"default_role,omitempty"`
	// Local controls file:// locations and absolute paths.
	Local LocalConfig `json:"local"`
	// HTTP controls http:// and https:// locations.
	HTTP HTTPConfig `json:"http"`
	// S3 says where s3:// locations are served.
	S3 S3Config `json:"s3"`
	// OSS controls oss:// locations.
	OSS OSSConfig `json:"oss"`
	// Roles maps a ROLEARN string to the credentials it stands for.
	Roles map[string]RoleConfig `json:"roles,omitempty"`

	// Source is the file the configuration was read from ("" if none).
	Source string `json:"-"`
}

// LocalConfig controls local files.
type LocalConfig struct {
	// Disabled refuses file:// locations and absolute paths.
	Disabled bool `json:"disabled,omitempty"`
	// Roots, when non-empty, restricts local reads to files under one of
	// these absolute directories (after resolving symbolic links).
	Roots []string `json:"roots,omitempty"`
}

// HTTPConfig controls http(s) locations.
type HTTPConfig struct {
	// Disabled refuses http:// and https:// locations.
	Disabled bool `json:"disabled,omitempty"`
}

// S3Config says where s3://<bucket>/<key> locations are served.
type S3Config struct {
	// Endpoint is the server's URL, e.g. "https://s3.us-west-2.amazonaws.com"
	// or "http://127.0.0.1:9000"; the scheme selects TLS ("https" when
	// omitted). Empty means "https://s3.amazonaws.com".
	Endpoint string `json:"endpoint,omitempty"`
	// Region used for signing; empty means "us-east-1".
	Region string `json:"region,omitempty"`
	// PathStyle selects path-style bucket addressing (MinIO and most
	// self-hosted servers) instead of virtual-hosted style.
	PathStyle bool `json:"path_style,omitempty"`
}

// OSSConfig controls oss://<endpoint>/<bucket>/<key> locations.
type OSSConfig struct {
	// Insecure uses plain http to real OSS endpoints (never recommended).
	Insecure bool `json:"insecure,omitempty"`
	// Endpoints maps an endpoint as written in a LOCATION (host[:port],
	// case-insensitive) to the server that actually serves it. Endpoints
	// not listed must be Alibaba Cloud OSS endpoints (*.aliyuncs.com).
	Endpoints map[string]EndpointConfig `json:"endpoints,omitempty"`
}

// EndpointConfig redirects one OSS endpoint.
type EndpointConfig struct {
	// URL of the S3-compatible server, e.g. "http://127.0.0.1:9000". The
	// scheme selects TLS. Empty keeps the endpoint itself (an entry may
	// only set the region of an endpoint whose name does not carry one).
	URL string `json:"url,omitempty"`
	// Region for signing; empty derives it from the endpoint name
	// (oss-<region>[-internal].aliyuncs.com), else "us-east-1".
	Region string `json:"region,omitempty"`
	// PathStyle selects path-style addressing (MinIO on loopback). Real
	// OSS only accepts virtual-hosted style.
	PathStyle bool `json:"path_style,omitempty"`
}

// RoleConfig is what one ROLEARN maps to.
type RoleConfig struct {
	// Type is "static", "aws_sts" or "aliyun_sts".
	Type string `json:"type"`

	// AccessKeyID and AccessKeySecret are the static keys ("static"), or
	// the keys of the caller of AssumeRole ("aws_sts", "aliyun_sts").
	AccessKeyID     string `json:"access_key_id"`
	AccessKeySecret string `json:"access_key_secret"`
	// SessionToken goes with temporary static keys, or with a caller that
	// itself uses temporary keys (Alibaba STS only; MinIO refuses it).
	SessionToken string `json:"session_token,omitempty"`

	// Endpoint is the STS endpoint URL: for "aws_sts" e.g.
	// "http://127.0.0.1:9000" (MinIO) or "https://sts.amazonaws.com";
	// for "aliyun_sts" it defaults to "https://sts.aliyuncs.com".
	Endpoint string `json:"endpoint,omitempty"`
	// Region for signing AWS STS requests (default "us-east-1").
	Region string `json:"region,omitempty"`
	// RoleARN sent to STS; defaults to the role's key in "roles".
	RoleARN string `json:"role_arn,omitempty"`
	// SessionName is the RoleSessionName (default "modelsql").
	SessionName string `json:"session_name,omitempty"`
	// DurationSeconds asks for a credential lifetime (0: server default;
	// Alibaba accepts 900–43200, AWS and MinIO 900–43200).
	DurationSeconds int `json:"duration_seconds,omitempty"`
	// Policy is an optional JSON session policy that narrows the role.
	Policy string `json:"policy,omitempty"`
	// ExternalID is passed to AWS STS (aws_sts only).
	ExternalID string `json:"external_id,omitempty"`
}

// LoadConfig reads <dataDir>/storage.json. A missing file is an empty
// configuration; a malformed one is an error naming the file.
func LoadConfig(dataDir string) (*Config, error) {
	name := filepath.Join(dataDir, ConfigFileName)
	f, err := os.Open(name)
	if errors.Is(err, fs.ErrNotExist) {
		return &Config{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("storage config %s: %w", name, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxConfigFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("storage config %s: %w", name, err)
	}
	if len(data) > maxConfigFileBytes {
		return nil, fmt.Errorf("storage config %s: file is larger than %d bytes", name, maxConfigFileBytes)
	}
	return ParseConfig(data, name)
}

// ParseConfig parses a configuration document; name is used in error
// messages. It never panics.
func ParseConfig(data []byte, name string) (*Config, error) {
	if name == "" {
		name = ConfigFileName
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return &Config{Source: name}, nil
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var c Config
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("storage config %s: %s", name, describeJSONError(data, err))
	}
	if dec.More() {
		return nil, fmt.Errorf("storage config %s: unexpected data after the JSON object", name)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("storage config %s: unexpected data after the JSON object", name)
	}
	c.Source = name
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("storage config %s: %v", name, err)
	}
	return &c, nil
}

// describeJSONError turns a decoding error into a message with a line
// number. It never quotes the document's values (they may be secrets).
func describeJSONError(data []byte, err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("line %d: invalid JSON: %v", lineOf(data, se.Offset), se)
	case errors.As(err, &te):
		field := te.Field
		if field == "" {
			field = "document"
		}
		return fmt.Sprintf("line %d: %s must be %s, not %s", lineOf(data, te.Offset), field, jsonKind(te.Type.Kind().String()), te.Value)
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
		return "truncated JSON document"
	}
	msg := err.Error()
	// "json: unknown field \"x\"" quotes a key, never a value.
	return strings.TrimPrefix(msg, "json: ")
}

func jsonKind(k string) string {
	switch k {
	case "string":
		return "a string"
	case "int", "int64":
		return "an integer"
	case "bool":
		return "true or false"
	case "map", "struct":
		return "an object"
	case "slice":
		return "an array"
	}
	return k
}

func lineOf(data []byte, off int64) int {
	if off < 0 {
		off = 0
	}
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	return 1 + bytes.Count(data[:off], []byte{'\n'})
}

var sessionNameRE = regexp.MustCompile(`^[a-zA-Z0-9.@_-]{2,64}$`)

// Validate checks the configuration for mistakes that would otherwise only
// show up at the first Fetch. Messages never contain secrets.
func (c *Config) Validate() error {
	if c.MaxObjectBytes < 0 {
		return fmt.Errorf("max_object_bytes must not be negative")
	}
	if c.DefaultRole != "" {
		if _, ok := c.Roles[c.DefaultRole]; !ok {
			return fmt.Errorf("default_role %q is not defined in roles", c.DefaultRole)
		}
	}
	for _, r := range c.Local.Roots {
		if !filepath.IsAbs(r) {
			return fmt.Errorf("local.roots: %q is not an absolute path", r)
		}
	}
	if c.S3.Endpoint != "" {
		if _, err := parseServerURL(c.S3.Endpoint); err != nil {
			return fmt.Errorf("s3.endpoint: %v", err)
		}
	}
	for _, ep := range sortedKeys(c.OSS.Endpoints) {
		e := c.OSS.Endpoints[ep]
		if err := checkEndpoint(ep); err != nil {
			return fmt.Errorf("oss.endpoints: %v", err)
		}
		if e.URL == "" {
			continue
		}
		if _, err := parseServerURL(e.URL); err != nil {
			return fmt.Errorf("oss.endpoints[%q].url: %v", ep, err)
		}
	}
	for _, arn := range sortedKeys(c.Roles) {
		if err := c.Roles[arn].validate(); err != nil {
			return fmt.Errorf("roles[%q]: %v", arn, err)
		}
		if strings.TrimSpace(arn) == "" {
			return fmt.Errorf("roles: empty role name")
		}
	}
	return nil
}

func (r RoleConfig) validate() error {
	switch r.Type {
	case RoleStatic, RoleAWSSTS, RoleAliyunSTS:
	case "":
		return fmt.Errorf("type is required (%q, %q or %q)", RoleStatic, RoleAWSSTS, RoleAliyunSTS)
	default:
		return fmt.Errorf("unknown type %q (want %q, %q or %q)", r.Type, RoleStatic, RoleAWSSTS, RoleAliyunSTS)
	}
	if r.AccessKeyID == "" || r.AccessKeySecret == "" {
		return fmt.Errorf("access_key_id and access_key_secret are required")
	}
	if r.DurationSeconds < 0 || r.DurationSeconds > 129600 {
		return fmt.Errorf("duration_seconds out of range")
	}
	if r.SessionName != "" && !sessionNameRE.MatchString(r.SessionName) {
		return fmt.Errorf("session_name must be 2–64 characters of letters, digits, '.', '@', '-' and '_'")
	}
	if r.Policy != "" && !json.Valid([]byte(r.Policy)) {
		return fmt.Errorf("policy is not valid JSON")
	}
	switch r.Type {
	case RoleStatic:
		if r.Endpoint != "" || r.RoleARN != "" || r.DurationSeconds != 0 || r.Policy != "" || r.SessionName != "" || r.ExternalID != "" {
			return fmt.Errorf("a static role takes only access_key_id, access_key_secret and session_token")
		}
	case RoleAWSSTS:
		if r.Endpoint == "" {
			return fmt.Errorf("endpoint is required for aws_sts")
		}
		if _, err := parseServerURL(r.Endpoint); err != nil {
			return fmt.Errorf("endpoint: %v", err)
		}
		if r.SessionToken != "" {
			return fmt.Errorf("session_token is not supported for aws_sts callers")
		}
	case RoleAliyunSTS:
		if r.Endpoint != "" {
			if _, err := parseServerURL(r.Endpoint); err != nil {
				return fmt.Errorf("endpoint: %v", err)
			}
		}
		if r.ExternalID != "" {
			return fmt.Errorf("external_id is not supported for aliyun_sts")
		}
	}
	return nil
}

// parseServerURL accepts "http(s)://host[:port]" (a bare host means https).
func parseServerURL(s string) (*url.URL, error) {
	if !strings.Contains(s, "://") {
		s = "https://" + s
	}
	u, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("bad URL")
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("URL scheme must be http or https")
	}
	if u.Host == "" {
		return nil, fmt.Errorf("URL has no host")
	}
	if u.User != nil {
		return nil, fmt.Errorf("URL must not contain user information")
	}
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("URL must be scheme://host[:port] with no path")
	}
	if err := checkEndpoint(u.Host); err != nil {
		return nil, err
	}
	return u, nil
}

func (c *Config) maxBytes() int64 {
	if c.MaxObjectBytes > 0 {
		return c.MaxObjectBytes
	}
	return DefaultMaxObjectBytes
}

// secrets lists every secret in the configuration, for redaction.
func (c *Config) secrets() []string {
	var out []string
	for _, r := range c.Roles {
		out = append(out, r.AccessKeySecret, r.SessionToken)
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
