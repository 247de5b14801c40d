package objstore

import (
	"fmt"
	"net"
	"net/url"
	"path"
	"path/filepath"
	"strconv"
	"strings"
)

// Scheme names the kind of store a Location points into.
type Scheme string

// The schemes a LOCATION may use.
const (
	SchemeOSS   Scheme = "oss"   // oss://<endpoint>/<bucket>/<key>
	SchemeS3    Scheme = "s3"    // s3://<bucket>/<key>
	SchemeFile  Scheme = "file"  // file:///abs/path or /abs/path
	SchemeHTTP  Scheme = "http"  // http://host/path
	SchemeHTTPS Scheme = "https" // https://host/path
)

// Location is a parsed LOCATION string.
type Location struct {
	Scheme Scheme
	// Endpoint is the OSS endpoint (host[:port], lower case) of an oss://
	// location, for example "oss-cn-hangzhou-internal.aliyuncs.com".
	Endpoint string
	// Bucket and Key locate an object of an oss:// or s3:// location. Key
	// has no leading slash; it is empty for the root of a bucket. Keys are
	// taken literally: no percent-decoding is done.
	Bucket string
	Key    string
	// Path is the cleaned absolute local path of a file:// location.
	Path string
	// URL is the URL of an http(s):// location.
	URL string
	// Dir is true when the location ends in "/" (or names a bucket root):
	// it names a directory that must hold exactly one model file.
	Dir bool
}

// maxLocationLen bounds the LOCATION string; S3 keys are at most 1024 bytes.
const maxLocationLen = 4096

// ParseLocation parses a LOCATION string. It accepts
//
//	oss://<endpoint>/<bucket>/<key>
//	s3://<bucket>/<key>
//	file:///<absolute path>   (also file://localhost/<path>)
//	/<absolute path>
//	http://... and https://...
//
// Scheme names are case-insensitive. A trailing "/" marks a directory.
func ParseLocation(s string) (Location, error) {
	if s == "" {
		return Location{}, fmt.Errorf("empty location")
	}
	if len(s) > maxLocationLen {
		return Location{}, fmt.Errorf("location is %d bytes long; at most %d are allowed", len(s), maxLocationLen)
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return Location{}, fmt.Errorf("location %q contains a control character", s)
		}
		if r == '\uFFFD' {
			// Either a literal U+FFFD or invalid UTF-8; reject both.
			return Location{}, fmt.Errorf("location %q is not valid UTF-8", s)
		}
	}
	if strings.HasPrefix(s, "/") {
		return parseLocalPath(s, s)
	}
	i := strings.Index(s, "://")
	if i <= 0 {
		return Location{}, fmt.Errorf("location %q has no scheme; use oss://, s3://, file://, http(s):// or an absolute path", s)
	}
	scheme := Scheme(strings.ToLower(s[:i]))
	rest := s[i+3:]
	switch scheme {
	case SchemeOSS:
		ep, after, ok := strings.Cut(rest, "/")
		if ep == "" {
			return Location{}, fmt.Errorf("location %q: missing OSS endpoint (oss://<endpoint>/<bucket>/<path>)", s)
		}
		if err := checkEndpoint(ep); err != nil {
			return Location{}, fmt.Errorf("location %q: %v", s, err)
		}
		if !ok || after == "" {
			return Location{}, fmt.Errorf("location %q: missing bucket (oss://<endpoint>/<bucket>/<path>)", s)
		}
		loc, err := parseBucketKey(s, after)
		if err != nil {
			return Location{}, err
		}
		loc.Scheme = SchemeOSS
		loc.Endpoint = strings.ToLower(ep)
		return loc, nil
	case SchemeS3:
		if rest == "" {
			return Location{}, fmt.Errorf("location %q: missing bucket (s3://<bucket>/<path>)", s)
		}
		loc, err := parseBucketKey(s, rest)
		if err != nil {
			return Location{}, err
		}
		loc.Scheme = SchemeS3
		return loc, nil
	case SchemeFile:
		u, err := url.Parse(s)
		if err != nil {
			return Location{}, fmt.Errorf("location %q: %v", s, err)
		}
		if u.Host != "" && !strings.EqualFold(u.Host, "localhost") {
			return Location{}, fmt.Errorf("location %q: file locations must be local (file:///path)", s)
		}
		if u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" {
			return Location{}, fmt.Errorf("location %q: a file location takes no query or fragment", s)
		}
		if !strings.HasPrefix(u.Path, "/") {
			return Location{}, fmt.Errorf("location %q: file locations need an absolute path", s)
		}
		dirMark := strings.HasSuffix(u.Path, "/")
		loc, err := parseLocalPath(s, u.Path)
		if err != nil {
			return Location{}, err
		}
		loc.Dir = loc.Dir || dirMark
		return loc, nil
	case SchemeHTTP, SchemeHTTPS:
		u, err := url.Parse(s)
		if err != nil {
			return Location{}, fmt.Errorf("location %q: %v", s, err)
		}
		if u.Host == "" {
			return Location{}, fmt.Errorf("location %q: missing host", s)
		}
		if u.User != nil {
			return Location{}, fmt.Errorf("location %q: user information in http(s) locations is not supported", redactURLUser(u))
		}
		u.Scheme = string(scheme)
		u.Fragment = ""
		return Location{Scheme: scheme, URL: u.String(), Dir: strings.HasSuffix(u.Path, "/")}, nil
	default:
		return Location{}, fmt.Errorf("location %q: unsupported scheme %q; use oss://, s3://, file://, http(s):// or an absolute path", s, string(scheme))
	}
}

func redactURLUser(u *url.URL) string {
	c := *u
	c.User = url.User("redacted")
	return c.String()
}

func parseLocalPath(orig, p string) (Location, error) {
	if !filepath.IsAbs(p) && !strings.HasPrefix(p, "/") {
		return Location{}, fmt.Errorf("location %q: local paths must be absolute", orig)
	}
	if strings.ContainsRune(p, 0) {
		return Location{}, fmt.Errorf("location %q contains a NUL byte", orig)
	}
	clean := filepath.Clean(filepath.FromSlash(p))
	// "/x/", "/x/." and "/x/.." name directories, and so does "/".
	dir := strings.HasSuffix(p, "/") || strings.HasSuffix(p, "/.") || strings.HasSuffix(p, "/..") || clean == string(filepath.Separator)
	return Location{Scheme: SchemeFile, Path: clean, Dir: dir}, nil
}

// parseBucketKey splits "<bucket>/<key>" and validates both.
func parseBucketKey(orig, s string) (Location, error) {
	bucket, key, _ := strings.Cut(s, "/")
	if err := checkBucket(bucket); err != nil {
		return Location{}, fmt.Errorf("location %q: %v", orig, err)
	}
	if len(key) > 1024 {
		return Location{}, fmt.Errorf("location %q: object key is longer than 1024 bytes", orig)
	}
	if key != "" {
		for _, seg := range strings.Split(strings.TrimSuffix(key, "/"), "/") {
			if seg == "." || seg == ".." {
				return Location{}, fmt.Errorf("location %q: path segments \".\" and \"..\" are not allowed", orig)
			}
			if seg == "" {
				return Location{}, fmt.Errorf("location %q: empty path segment (\"//\")", orig)
			}
		}
	}
	return Location{Bucket: bucket, Key: key, Dir: key == "" || strings.HasSuffix(key, "/")}, nil
}

// checkBucket applies the bucket naming rules shared by S3 and OSS: 3–63
// characters of lower-case letters, digits, '-' and '.', starting and
// ending with a letter or digit.
func checkBucket(b string) error {
	if b == "" {
		return fmt.Errorf("missing bucket name")
	}
	if len(b) < 3 || len(b) > 63 {
		return fmt.Errorf("bucket name %q must be 3 to 63 characters long", b)
	}
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case c == '-' || c == '.':
			if i == 0 || i == len(b)-1 {
				return fmt.Errorf("bucket name %q must start and end with a letter or digit", b)
			}
		default:
			return fmt.Errorf("bucket name %q may only contain lower-case letters, digits, '-' and '.'", b)
		}
	}
	if strings.Contains(b, "..") {
		return fmt.Errorf("bucket name %q must not contain \"..\"", b)
	}
	return nil
}

// checkEndpoint validates a host[:port] endpoint; IPv6 hosts are bracketed.
func checkEndpoint(ep string) error {
	if len(ep) > 255 {
		return fmt.Errorf("endpoint is too long")
	}
	host := ep
	if strings.HasPrefix(ep, "[") || strings.Contains(ep, ":") {
		h, port, err := net.SplitHostPort(ep)
		if err != nil {
			if strings.HasPrefix(ep, "[") && strings.HasSuffix(ep, "]") {
				h, port = ep[1:len(ep)-1], "0"
			} else {
				return fmt.Errorf("endpoint %q is not host[:port]", ep)
			}
		}
		if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 || port == "" || port[0] == '+' || port[0] == '-' {
			return fmt.Errorf("endpoint %q has a bad port", ep)
		}
		if strings.HasPrefix(ep, "[") {
			if ip := net.ParseIP(h); ip == nil || ip.To4() != nil {
				return fmt.Errorf("endpoint %q has a bad IPv6 address", ep)
			}
			return nil
		}
		host = h
	}
	if host == "" {
		return fmt.Errorf("endpoint %q has no host", ep)
	}
	for i := 0; i < len(host); i++ {
		c := host[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '.':
		default:
			return fmt.Errorf("endpoint %q is not a host name", ep)
		}
	}
	return nil
}

// String renders the location in canonical form.
func (l Location) String() string {
	switch l.Scheme {
	case SchemeOSS:
		return "oss://" + l.Endpoint + "/" + l.Bucket + "/" + l.Key
	case SchemeS3:
		return "s3://" + l.Bucket + "/" + l.Key
	case SchemeFile:
		p := filepath.ToSlash(l.Path)
		if l.Dir && !strings.HasSuffix(p, "/") {
			p += "/"
		}
		u := url.URL{Scheme: "file", Path: p}
		return "file://" + u.EscapedPath()
	case SchemeHTTP, SchemeHTTPS:
		return l.URL
	}
	return ""
}

// isRemote reports whether the location is read from an object store with a
// role (oss:// or s3://).
func (l Location) isRemote() bool { return l.Scheme == SchemeOSS || l.Scheme == SchemeS3 }

// withKey returns a copy of an object-store location naming key.
func (l Location) withKey(key string) Location {
	l.Key = key
	l.Dir = strings.HasSuffix(key, "/") || key == ""
	return l
}

// withPath returns a copy of a local location naming p.
func (l Location) withPath(p string) Location {
	l.Path = p
	l.Dir = false
	return l
}

// modelExtensions are the file extensions of XGBoost model files.
var modelExtensions = []string{".json", ".ubj", ".model", ".bin", ".deprecated"}

// IsModelFileName reports whether a file name (the last path element) looks
// like an XGBoost model file: it ends in .json, .ubj, .model, .bin or
// .deprecated (any case), or is exactly "model". Names starting with '.'
// (hidden files, macOS "._" forks) never count.
func IsModelFileName(name string) bool {
	name = filepath.ToSlash(name)
	if strings.HasSuffix(name, "/") {
		return false
	}
	name = path.Base(name)
	if name == "" || name == "." || name == "/" || strings.HasPrefix(name, ".") {
		return false
	}
	if name == "model" {
		return true
	}
	ext := strings.ToLower(path.Ext(name))
	for _, e := range modelExtensions {
		if ext == e {
			return true
		}
	}
	return false
}
