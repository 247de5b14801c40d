package objstore

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestAliyunPercentEncode(t *testing.T) {
	tests := map[string]string{
		"":                     "",
		"AZaz09-_.~":           "AZaz09-_.~",
		"a b":                  "a%20b",
		"a+b":                  "a%2Bb",
		"a*b":                  "a%2Ab",
		"a/b":                  "a%2Fb",
		"a=b&c":                "a%3Db%26c",
		`{"x":1}`:              "%7B%22x%22%3A1%7D",
		"2016-02-23T12:46:24Z": "2016-02-23T12%3A46%3A24Z",
		"%":                    "%25",
		"é":                    "%C3%A9",
		"模型":                   "%E6%A8%A1%E5%9E%8B",
		"!'()":                 "%21%27%28%29",
	}
	for in, want := range tests {
		if got := aliyunPercentEncode(in); got != want {
			t.Errorf("aliyunPercentEncode(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestAliyunSignDocumentedExample checks the signer against the example in
// Alibaba Cloud's "signature method V2 for RPC APIs" documentation
// (ECS DescribeRegions, AccessKey secret "testsecret").
func TestAliyunSignDocumentedExample(t *testing.T) {
	params := map[string]string{
		"Timestamp":        "2016-02-23T12:46:24Z",
		"Format":           "XML",
		"AccessKeyId":      "testid",
		"Action":           "DescribeRegions",
		"SignatureMethod":  "HMAC-SHA1",
		"SignatureNonce":   "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf",
		"Version":          "2014-05-26",
		"SignatureVersion": "1.0",
	}
	wantSTS := "GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions%26Format%3DXML" +
		"%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf" +
		"%26SignatureVersion%3D1.0%26Timestamp%3D2016-02-23T12%253A46%253A24Z%26Version%3D2014-05-26"
	if got := aliyunStringToSign("GET", params); got != wantSTS {
		t.Fatalf("string to sign:\n got %s\nwant %s", got, wantSTS)
	}
	if got, want := aliyunSign("GET", params, "testsecret"), "OLeaidS1JvxuMvnyHOwuJ+uX5qY="; got != want {
		t.Fatalf("signature = %s, want %s", got, want)
	}
}

// TestAliyunAssumeRoleVector is a vector worked out by hand from the
// documented rules for an AssumeRole request whose values need escaping
// (a JSON policy with spaces, quotes, '*' and '/', an ARN with ':' and '/',
// a session name with '@'), and whose secret contains '/', '+' and '='
// (the HMAC key is the raw secret plus '&', never encoded). The expected
// signature was computed independently with
//
//	printf '%s' "$STRING_TO_SIGN" | openssl dgst -sha1 -hmac 'Sx9/Test+Secret=Key&' -binary | base64
func TestAliyunAssumeRoleVector(t *testing.T) {
	c := &aliyunSTS{
		endpoint:        "https://sts.aliyuncs.com",
		accessKeyID:     "LTAI5tTestKeyId",
		accessKeySecret: "Sx9/Test+Secret=Key",
		roleARN:         "acs:ram::1234567890123456:role/model-reader",
		sessionName:     "modelsql@test.run",
		durationSeconds: 3600,
		policy:          `{"Version": "1", "Statement": [{"Effect": "Allow", "Action": "oss:GetObject", "Resource": "acs:oss:*:*:models/*"}]}`,
		now:             func() time.Time { return time.Date(2026, 3, 1, 16, 30, 0, 0, time.FixedZone("CST", 8*3600)) },
		nonce:           func() string { return "8c6a1e2f-0b3d-4f5e-9a7c-1d2e3f4a5b6c" },
	}
	params := c.params()

	// Step 1: the canonicalised query string: names sorted, names and
	// values percent-encoded, joined with '=' and '&'.
	wantCanonical := "AccessKeyId=LTAI5tTestKeyId" +
		"&Action=AssumeRole" +
		"&DurationSeconds=3600" +
		"&Format=JSON" +
		"&Policy=%7B%22Version%22%3A%20%221%22%2C%20%22Statement%22%3A%20%5B%7B%22Effect%22%3A%20%22Allow%22%2C%20%22Action%22%3A%20%22oss%3AGetObject%22%2C%20%22Resource%22%3A%20%22acs%3Aoss%3A%2A%3A%2A%3Amodels%2F%2A%22%7D%5D%7D" +
		"&RoleArn=acs%3Aram%3A%3A1234567890123456%3Arole%2Fmodel-reader" +
		"&RoleSessionName=modelsql%40test.run" +
		"&SignatureMethod=HMAC-SHA1" +
		"&SignatureNonce=8c6a1e2f-0b3d-4f5e-9a7c-1d2e3f4a5b6c" +
		"&SignatureVersion=1.0" +
		"&Timestamp=2026-03-01T08%3A30%3A00Z" + // UTC, whatever the local zone
		"&Version=2015-04-01"
	if got := aliyunCanonicalQuery(params); got != wantCanonical {
		t.Fatalf("canonical query:\n got %s\nwant %s", got, wantCanonical)
	}

	// Step 2: GET&%2F&<the canonical string, percent-encoded once more>.
	wantSTS := "GET&%2F&AccessKeyId%3DLTAI5tTestKeyId%26Action%3DAssumeRole%26DurationSeconds%3D3600%26Format%3DJSON" +
		"%26Policy%3D%257B%2522Version%2522%253A%2520%25221%2522%252C%2520%2522Statement%2522%253A%2520%255B%257B%2522Effect%2522%253A%2520%2522Allow%2522%252C%2520%2522Action%2522%253A%2520%2522oss%253AGetObject%2522%252C%2520%2522Resource%2522%253A%2520%2522acs%253Aoss%253A%252A%253A%252A%253Amodels%252F%252A%2522%257D%255D%257D" +
		"%26RoleArn%3Dacs%253Aram%253A%253A1234567890123456%253Arole%252Fmodel-reader" +
		"%26RoleSessionName%3Dmodelsql%2540test.run" +
		"%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D8c6a1e2f-0b3d-4f5e-9a7c-1d2e3f4a5b6c%26SignatureVersion%3D1.0" +
		"%26Timestamp%3D2026-03-01T08%253A30%253A00Z%26Version%3D2015-04-01"
	if got := aliyunStringToSign("GET", params); got != wantSTS {
		t.Fatalf("string to sign:\n got %s\nwant %s", got, wantSTS)
	}

	// Step 3: base64(HMAC-SHA1(secret + "&", string to sign)).
	const wantSig = "4e4Tbxu1P4ObjZ+Uco3zcJBQvj0="
	if got := aliyunSign("GET", params, c.accessKeySecret); got != wantSig {
		t.Fatalf("signature = %s, want %s", got, wantSig)
	}

	// Step 4: the signature goes into the URL, itself percent-encoded.
	u := c.signedURL(params)
	if !strings.HasPrefix(u, "https://sts.aliyuncs.com/?AccessKeyId=LTAI5tTestKeyId&") ||
		!strings.HasSuffix(u, "&Signature=4e4Tbxu1P4ObjZ%2BUco3zcJBQvj0%3D") {
		t.Fatalf("signed URL = %s", u)
	}
	// And a standard URL parser reads back exactly the signed values.
	pu, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	q := pu.Query()
	for k, v := range params {
		if q.Get(k) != v {
			t.Errorf("URL parameter %s = %q, want %q", k, q.Get(k), v)
		}
	}
	if q.Get("Signature") != wantSig {
		t.Errorf("URL Signature = %q", q.Get("Signature"))
	}
}

// fakeAliyunSTS is an httptest server speaking Alibaba STS AssumeRole. It
// checks the signature with the given secret.
type fakeAliyunSTS struct {
	t        *testing.T
	secret   string
	calls    int
	lastQ    url.Values
	reply    func(q url.Values) (int, any)
	now      func() time.Time
	lifetime time.Duration
}

func (s *fakeAliyunSTS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.calls++
	q := r.URL.Query()
	s.lastQ = q
	w.Header().Set("Content-Type", "application/json")
	if r.Method != http.MethodGet || r.URL.Path != "/" {
		w.WriteHeader(http.StatusBadRequest)
		_ = json.NewEncoder(w).Encode(map[string]string{"Code": "BadRequest", "Message": "method or path"})
		return
	}
	params := map[string]string{}
	for k, v := range q {
		if len(v) != 1 {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		params[k] = v[0]
	}
	if want := aliyunSign(http.MethodGet, params, s.secret); q.Get("Signature") != want {
		w.WriteHeader(http.StatusBadRequest)
		_ = json.NewEncoder(w).Encode(map[string]string{"Code": "SignatureDoesNotMatch",
			"Message": "Specified signature is not matched with our calculation."})
		return
	}
	for k, v := range map[string]string{"Action": "AssumeRole", "Version": "2015-04-01", "Format": "JSON",
		"SignatureMethod": "HMAC-SHA1", "SignatureVersion": "1.0"} {
		if q.Get(k) != v {
			w.WriteHeader(http.StatusBadRequest)
			_ = json.NewEncoder(w).Encode(map[string]string{"Code": "MissingParameter", "Message": k})
			return
		}
	}
	if s.reply != nil {
		code, body := s.reply(q)
		w.WriteHeader(code)
		_ = json.NewEncoder(w).Encode(body)
		return
	}
	now := time.Now
	if s.now != nil {
		now = s.now
	}
	life := s.lifetime
	if life == 0 {
		life = time.Hour
	}
	_ = json.NewEncoder(w).Encode(map[string]any{
		"RequestId": "6894B13B-6D71-4EF5-88FA-F32781734A7F",
		"AssumedRoleUser": map[string]string{
			"Arn":           q.Get("RoleArn") + "/" + q.Get("RoleSessionName"),
			"AssumedRoleId": "34458433936495****:" + q.Get("RoleSessionName"),
		},
		"Credentials": map[string]string{
			"SecurityToken":   "CAIS-temporary-token-" + q.Get("SignatureNonce"),
			"AccessKeyId":     "STS.temporary-id",
			"AccessKeySecret": "temporary-secret-" + q.Get("SignatureNonce"),
			"Expiration":      now().Add(life).UTC().Format(time.RFC3339),
		},
	})
}

func TestAliyunAssumeRoleAgainstServer(t *testing.T) {
	fake := &fakeAliyunSTS{t: t, secret: "caller-secret-value"}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	c := &aliyunSTS{
		endpoint:        srv.URL,
		accessKeyID:     "LTAIcaller",
		accessKeySecret: "caller-secret-value",
		securityToken:   "caller-own-sts-token",
		roleARN:         "acs:ram::1234567890123456:role/model-reader",
		sessionName:     "modelsql",
		durationSeconds: 900,
		policy:          `{"Statement":[{"Action":"oss:GetObject","Effect":"Allow","Resource":"*"}],"Version":"1"}`,
		client:          srv.Client(),
	}
	v, err := c.assumeRole(context.Background())
	if err != nil {
		t.Fatalf("assumeRole: %v", err)
	}
	if v.AccessKeyID != "STS.temporary-id" || !strings.HasPrefix(v.SecretAccessKey, "temporary-secret-") ||
		!strings.HasPrefix(v.SessionToken, "CAIS-temporary-token-") {
		t.Fatalf("credentials = %+v", v)
	}
	if d := time.Until(v.Expiration); d < 59*time.Minute || d > 61*time.Minute {
		t.Fatalf("expiration %v is not an hour away", v.Expiration)
	}
	q := fake.lastQ
	for k, want := range map[string]string{
		"RoleArn": "acs:ram::1234567890123456:role/model-reader", "RoleSessionName": "modelsql",
		"DurationSeconds": "900", "SecurityToken": "caller-own-sts-token", "AccessKeyId": "LTAIcaller",
		"Policy": c.policy,
	} {
		if q.Get(k) != want {
			t.Errorf("request %s = %q, want %q", k, q.Get(k), want)
		}
	}
	if _, err := time.Parse("2006-01-02T15:04:05Z", q.Get("Timestamp")); err != nil {
		t.Errorf("Timestamp %q: %v", q.Get("Timestamp"), err)
	}
	nonce1 := q.Get("SignatureNonce")
	if _, err := c.assumeRole(context.Background()); err != nil {
		t.Fatal(err)
	}
	if fake.lastQ.Get("SignatureNonce") == nonce1 || nonce1 == "" {
		t.Errorf("SignatureNonce not unique: %q", nonce1)
	}

	// Wrong secret: the server refuses the signature.
	c.accessKeySecret = "wrong-secret-value"
	_, err = c.assumeRole(context.Background())
	var se *stsError
	if !errors.As(err, &se) || se.code != "SignatureDoesNotMatch" || se.status != http.StatusBadRequest {
		t.Fatalf("wrong secret: err = %v", err)
	}
	if strings.Contains(err.Error(), "wrong-secret-value") || strings.Contains(err.Error(), "caller-own-sts-token") {
		t.Fatalf("error leaks a secret: %v", err)
	}
}

func TestAliyunAssumeRoleBadResponses(t *testing.T) {
	tests := []struct {
		name  string
		code  int
		body  any
		want  string
		wantC string
	}{
		{"refused", 403, map[string]string{"Code": "NoPermission", "Message": "You are not authorized to do this action."}, "NoPermission", "NoPermission"},
		{"role missing", 404, map[string]string{"Code": "EntityNotExist.Role", "Message": "The role not exists."}, "EntityNotExist.Role", "EntityNotExist.Role"},
		{"no credentials", 200, map[string]string{"RequestId": "x"}, "no credentials", ""},
		{"bad expiration", 200, map[string]any{"Credentials": map[string]string{"AccessKeyId": "a", "AccessKeySecret": "b", "SecurityToken": "c", "Expiration": "tomorrow"}}, "bad Expiration", ""},
		{"not json", 200, "just a string", "not JSON", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := &fakeAliyunSTS{t: t, secret: "s3cr3t-value", reply: func(url.Values) (int, any) { return tt.code, tt.body }}
			srv := httptest.NewServer(fake)
			defer srv.Close()
			c := &aliyunSTS{endpoint: srv.URL, accessKeyID: "id", accessKeySecret: "s3cr3t-value", roleARN: "acs:ram::1:role/r", sessionName: "modelsql", client: srv.Client()}
			_, err := c.assumeRole(context.Background())
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.want)
			}
			var se *stsError
			if !errors.As(err, &se) || se.code != tt.wantC {
				t.Fatalf("err = %#v, want code %q", err, tt.wantC)
			}
		})
	}
}

func TestAliyunAssumeRoleUnreachable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	c := &aliyunSTS{endpoint: url, accessKeyID: "id", accessKeySecret: "sec-value", roleARN: "acs:ram::1:role/r", sessionName: "modelsql", securityToken: "tok-value"}
	_, err := c.assumeRole(context.Background())
	if err == nil {
		t.Fatal("want an error")
	}
	for _, leak := range []string{"Signature=", "tok-value", "sec-value", "AccessKeyId"} {
		if strings.Contains(err.Error(), leak) {
			t.Fatalf("error %q contains %q", err, leak)
		}
	}
}
