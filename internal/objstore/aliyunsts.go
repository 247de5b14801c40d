package objstore

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

// DefaultAliyunSTSEndpoint is used when an aliyun_sts role names no endpoint.
const DefaultAliyunSTSEndpoint = "https://sts.aliyuncs.com"

// aliyunPercentEncode encodes s as Alibaba Cloud's RPC signature rules
// require: bytes of A–Z, a–z, 0–9, '-', '_', '.', '~' stay as they are; every
// other byte of the UTF-8 encoding becomes %XY with upper-case hex (so a
// space is %20, '*' is %2A and '~' is not encoded).
func aliyunPercentEncode(s string) string {
	const hexdig = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s) + len(s)/2)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexdig[c>>4])
		b.WriteByte(hexdig[c&15])
	}
	return b.String()
}

// aliyunCanonicalQuery sorts the parameters by name (byte order) and joins
// the encoded name=value pairs with '&'. The Signature parameter is never
// part of it.
func aliyunCanonicalQuery(params map[string]string) string {
	keys := make([]string, 0, len(params))
	for k := range params {
		if k == "Signature" {
			continue
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = aliyunPercentEncode(k) + "=" + aliyunPercentEncode(params[k])
	}
	return strings.Join(parts, "&")
}

// aliyunStringToSign is METHOD & percentEncode("/") & percentEncode(query).
func aliyunStringToSign(method string, params map[string]string) string {
	return method + "&" + aliyunPercentEncode("/") + "&" + aliyunPercentEncode(aliyunCanonicalQuery(params))
}

// aliyunSign returns the base64 HMAC-SHA1 of the string to sign, keyed with
// the AccessKey secret followed by '&'.
func aliyunSign(method string, params map[string]string, secret string) string {
	mac := hmac.New(sha1.New, []byte(secret+"&"))
	mac.Write([]byte(aliyunStringToSign(method, params)))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// aliyunSTS is a minimal client for Alibaba Cloud STS AssumeRole (RPC
// style, API version 2015-04-01, signature method HMAC-SHA1 1.0).
type aliyunSTS struct {
	endpoint        string // https://sts.aliyuncs.com
	accessKeyID     string
	accessKeySecret string
	securityToken   string // caller's own STS token, if any
	roleARN         string
	sessionName     string
	durationSeconds int
	policy          string
	client          *http.Client
	now             func() time.Time
	nonce           func() string
}

// aliyunAssumeRoleResponse is the JSON body of a successful AssumeRole.
type aliyunAssumeRoleResponse struct {
	RequestID   string `json:"RequestId"`
	Credentials struct {
		AccessKeyID     string `json:"AccessKeyId"`
		AccessKeySecret string `json:"AccessKeySecret"`
		SecurityToken   string `json:"SecurityToken"`
		Expiration      string `json:"Expiration"`
	} `json:"Credentials"`
	AssumedRoleUser struct {
		Arn           string `json:"Arn"`
		AssumedRoleID string `json:"AssumedRoleId"`
	} `json:"AssumedRoleUser"`
}

// aliyunErrorResponse is the JSON body of a refused request.
type aliyunErrorResponse struct {
	RequestID string `json:"RequestId"`
	Code      string `json:"Code"`
	Message   string `json:"Message"`
}

// stsError is a refusal from an STS server, with its code.
type stsError struct {
	status  int
	code    string
	message string
}

func (e *stsError) Error() string {
	var parts []string
	if e.status != 0 {
		parts = append(parts, "HTTP "+strconv.Itoa(e.status))
	}
	if e.code != "" {
		parts = append(parts, e.code)
	}
	s := strings.Join(parts, " ")
	if e.message != "" {
		if s != "" {
			s += ": "
		}
		s += e.message
	}
	return s
}

func randomNonce() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return strconv.FormatInt(time.Now().UnixNano(), 36)
	}
	return hex.EncodeToString(b[:])
}

// params returns the full, unsigned parameter set of the request.
func (c *aliyunSTS) params() map[string]string {
	now := time.Now
	if c.now != nil {
		now = c.now
	}
	nonce := randomNonce
	if c.nonce != nil {
		nonce = c.nonce
	}
	p := map[string]string{
		"Action":           "AssumeRole",
		"Version":          "2015-04-01",
		"Format":           "JSON",
		"AccessKeyId":      c.accessKeyID,
		"SignatureMethod":  "HMAC-SHA1",
		"SignatureVersion": "1.0",
		"SignatureNonce":   nonce(),
		"Timestamp":        now().UTC().Format("2006-01-02T15:04:05Z"),
		"RoleArn":          c.roleARN,
		"RoleSessionName":  c.sessionName,
	}
	if c.durationSeconds > 0 {
		p["DurationSeconds"] = strconv.Itoa(c.durationSeconds)
	}
	if c.policy != "" {
		p["Policy"] = c.policy
	}
	if c.securityToken != "" {
		p["SecurityToken"] = c.securityToken
	}
	return p
}

// signedURL builds the GET URL with the Signature appended.
func (c *aliyunSTS) signedURL(params map[string]string) string {
	sig := aliyunSign(http.MethodGet, params, c.accessKeySecret)
	return strings.TrimRight(c.endpoint, "/") + "/?" + aliyunCanonicalQuery(params) + "&Signature=" + aliyunPercentEncode(sig)
}

// assumeRole calls AssumeRole and returns the temporary credentials. Its
// errors never contain the request URL (which carries the signature and,
// for a temporary caller, its token).
func (c *aliyunSTS) assumeRole(ctx context.Context) (credValue, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.signedURL(c.params()), nil)
	if err != nil {
		return credValue{}, fmt.Errorf("building the STS request failed")
	}
	req.Header.Set("Accept", "application/json")
	client := c.client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return credValue{}, &transportError{msg: describeTransportError(err)}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return credValue{}, &transportError{msg: "reading the STS response failed"}
	}
	if resp.StatusCode != http.StatusOK {
		var er aliyunErrorResponse
		_ = json.Unmarshal(body, &er)
		return credValue{}, &stsError{status: resp.StatusCode, code: er.Code, message: er.Message}
	}
	var ok aliyunAssumeRoleResponse
	if err := json.Unmarshal(body, &ok); err != nil {
		return credValue{}, &stsError{status: resp.StatusCode, message: "malformed AssumeRole response (not JSON)"}
	}
	cr := ok.Credentials
	if cr.AccessKeyID == "" || cr.AccessKeySecret == "" || cr.SecurityToken == "" {
		return credValue{}, &stsError{status: resp.StatusCode, message: "AssumeRole response has no credentials"}
	}
	exp, err := time.Parse(time.RFC3339, cr.Expiration)
	if err != nil {
		return credValue{}, &stsError{status: resp.StatusCode, message: "AssumeRole response has a bad Expiration"}
	}
	return credValue{
		AccessKeyID:     cr.AccessKeyID,
		SecretAccessKey: cr.AccessKeySecret,
		SessionToken:    cr.SecurityToken,
		Expiration:      exp,
	}, nil
}
