// Package objstore reads model files named by a MaxCompute-style LOCATION
// (oss://, s3://, file://, absolute paths, http(s)://) with the credentials
// a ROLEARN maps to in the data directory's storage.json.
//
// See docs/storage.md for the configuration file and the rules.
package objstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/modelsql/modelsql/internal/membudget"
)

// Object is a fetched model file.
type Object struct {
	// Location is the canonical location of the object actually read: for
	// a directory LOCATION it names the one model file inside. For http(s)
	// it is the URL as given, query included (see RedactLocation).
	Location string
	// ETag is the store's entity tag (without quotes), "" when unknown
	// (local files).
	ETag string
	// LastModified is the object's modification time, if known.
	LastModified time.Time
	// Data holds the whole object.
	Data []byte

	// held is Data's share of the process-wide memory budget (downloads
	// only; local files are not counted).
	held *membudget.Reservation
}

// Release returns Data's share of the memory budget (membudget) once the
// caller is about done with it (Data stays valid; it just no longer counts).
// Calling it more than once, or on an Object that holds nothing, is
// harmless.
func (o *Object) Release() { o.held.Release() }

// Fetcher reads objects. It is safe for concurrent use.
type Fetcher struct {
	cfg       *Config
	transport http.RoundTripper
	client    *http.Client
	now       func() time.Time
	redact    *redactor
	cache     *credCache
	budget    *membudget.Budget // bounds the memory of downloads in flight

	mu        sync.Mutex
	providers map[string]credProvider

	httpLoc     *http.Client // http(s) locations: redirects stay on the server
	dirsLimited bool         // WithAllowedDirs
	allowDirs   []string     // symbolic links resolved
}

// Option configures a Fetcher.
type Option func(*Fetcher)

// WithTransport sets the HTTP transport used for object stores, STS and
// http(s) locations (tests point it at loopback servers).
func WithTransport(rt http.RoundTripper) Option { return func(f *Fetcher) { f.transport = rt } }

// WithBudget makes downloads reserve their buffers from b instead of
// membudget.Default.
func WithBudget(b *membudget.Budget) Option { return func(f *Fetcher) { f.budget = b } }

// WithClock sets the clock used for credential expiry.
func WithClock(now func() time.Time) Option { return func(f *Fetcher) { f.now = now } }

// NewFetcher builds a Fetcher from a configuration (nil means the empty
// configuration). The configuration is validated.
func NewFetcher(cfg *Config, opts ...Option) (*Fetcher, error) {
	if cfg == nil {
		cfg = &Config{}
	}
	if err := cfg.Validate(); err != nil {
		src := cfg.Source
		if src == "" {
			src = ConfigFileName
		}
		return nil, fmt.Errorf("storage config %s: %v", src, err)
	}
	f := &Fetcher{
		cfg:       cfg,
		now:       time.Now,
		providers: map[string]credProvider{},
		budget:    membudget.Default,
	}
	for _, o := range opts {
		o(f)
	}
	if f.transport == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.ResponseHeaderTimeout = 2 * time.Minute
		f.transport = t
	}
	f.client = &http.Client{Transport: f.transport}
	f.httpLoc = &http.Client{Transport: f.transport, CheckRedirect: sameServer}
	f.redact = newRedactor(cfg.secrets()...)
	f.cache = newCredCache(func() time.Time { return f.now() }, func(v credValue) {
		f.redact.add(v.SecretAccessKey, v.SessionToken)
	})
	return f, nil
}

// MaxObjectBytes is the size limit in force.
func (f *Fetcher) MaxObjectBytes() int64 { return f.cfg.maxBytes() }

// Fetch reads the model file named by location with the credentials of
// roleARN. For oss:// and s3:// an empty roleARN means the configuration's
// default_role (or anonymous access if there is none); roleARN is ignored
// for local and http(s) locations. A location naming a directory must hold
// exactly one model file (see IsModelFileName). Every error is an *Error.
func (f *Fetcher) Fetch(ctx context.Context, location, roleARN string) (Object, error) {
	loc, err := ParseLocation(location)
	if err != nil {
		shown := displayLocation(location)
		detail := strings.TrimPrefix(err.Error(), fmt.Sprintf("location %q: ", location))
		if shown != location {
			detail = "malformed location"
		}
		return Object{}, f.newError(ErrBadLocation, shown, "", "", detail)
	}
	switch loc.Scheme {
	case SchemeFile:
		return f.fetchLocal(loc)
	case SchemeHTTP, SchemeHTTPS:
		return f.fetchHTTP(ctx, loc)
	}
	role := roleARN
	if role == "" {
		role = f.cfg.DefaultRole
	}
	var obj Object
	for attempt := 0; ; attempt++ {
		obj, err = f.fetchRemote(ctx, loc, role)
		if err == nil || attempt > 0 || role == "" {
			break
		}
		// Temporary credentials the server no longer accepts: drop them
		// from the cache and try once more with fresh ones.
		if e, ok := err.(*Error); ok && e.Kind == ErrAccessDenied && staleCredentialCodes[e.Code] && f.isTemporaryRole(role) {
			f.cache.invalidate(role)
			continue
		}
		break
	}
	return obj, err
}

var staleCredentialCodes = map[string]bool{
	"ExpiredToken":         true,
	"InvalidAccessKeyId":   true,
	"InvalidToken":         true,
	"InvalidTokenId":       true,
	"TokenRefreshRequired": true,
	"SecurityTokenExpired": true,
}

func (f *Fetcher) isTemporaryRole(role string) bool {
	rc, ok := f.cfg.Roles[role]
	return ok && rc.Type != RoleStatic
}

// credentialsFor resolves a role to credentials ("" → anonymous).
func (f *Fetcher) credentialsFor(ctx context.Context, loc Location, role string) (credValue, error) {
	if role == "" {
		return credValue{}, nil
	}
	rc, ok := f.cfg.Roles[role]
	if !ok {
		src := f.cfg.Source
		if src == "" {
			src = ConfigFileName + " (none loaded)"
		}
		return credValue{}, f.newError(ErrUnknownRole, loc.String(), role, "", "the role is not defined in "+src)
	}
	p := f.provider(role, rc)
	v, err := f.cache.get(ctx, role, p)
	if err != nil {
		if te, ok := err.(*transportError); ok {
			return credValue{}, f.newError(ErrUnavailable, loc.String(), role, "", rc.Type+": cannot reach the STS endpoint: "+te.msg)
		}
		code := ""
		if se, ok := err.(*stsError); ok {
			code = se.code
		}
		return credValue{}, f.newError(ErrAssumeRole, loc.String(), role, code, rc.Type+": "+err.Error())
	}
	return v, nil
}

func (f *Fetcher) provider(role string, rc RoleConfig) credProvider {
	f.mu.Lock()
	defer f.mu.Unlock()
	if p := f.providers[role]; p != nil {
		return p
	}
	roleARN := rc.RoleARN
	if roleARN == "" {
		roleARN = role
	}
	session := rc.SessionName
	if session == "" {
		session = "modelsql"
	}
	var p credProvider
	switch rc.Type {
	case RoleStatic:
		p = staticProvider{credValue{AccessKeyID: rc.AccessKeyID, SecretAccessKey: rc.AccessKeySecret, SessionToken: rc.SessionToken}}
	case RoleAWSSTS:
		u, _ := parseServerURL(rc.Endpoint)
		region := rc.Region
		if region == "" {
			region = "us-east-1"
		}
		p = &awsSTSProvider{
			endpoint: u.Scheme + "://" + u.Host,
			client:   f.client,
			opts: credentials.STSAssumeRoleOptions{
				AccessKey:       rc.AccessKeyID,
				SecretKey:       rc.AccessKeySecret,
				Policy:          rc.Policy,
				Location:        region,
				DurationSeconds: rc.DurationSeconds,
				RoleARN:         roleARN,
				RoleSessionName: session,
				ExternalID:      rc.ExternalID,
			},
		}
	case RoleAliyunSTS:
		ep := DefaultAliyunSTSEndpoint
		if rc.Endpoint != "" {
			u, _ := parseServerURL(rc.Endpoint)
			ep = u.Scheme + "://" + u.Host
		}
		p = aliyunProvider{&aliyunSTS{
			endpoint:        ep,
			accessKeyID:     rc.AccessKeyID,
			accessKeySecret: rc.AccessKeySecret,
			securityToken:   rc.SessionToken,
			roleARN:         roleARN,
			sessionName:     session,
			durationSeconds: rc.DurationSeconds,
			policy:          rc.Policy,
			client:          f.client,
			now:             f.now,
		}}
	}
	f.providers[role] = p
	return p
}

// ossRegionRE matches [s3.]oss-<region>[-internal].aliyuncs.com.
var ossRegionRE = regexp.MustCompile(`^(?:s3\.)?oss-([a-z0-9]+(?:-[a-z0-9]+)*?)(?:-internal)?\.aliyuncs\.com$`)

// OSSRegion derives the region from an OSS endpoint such as
// "oss-cn-hangzhou-internal.aliyuncs.com" ("cn-hangzhou"); "" if the name
// does not have that form (accelerate endpoints have no region).
func OSSRegion(endpoint string) string {
	host := strings.ToLower(endpoint)
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	m := ossRegionRE.FindStringSubmatch(host)
	if m == nil || strings.HasPrefix(m[1], "accelerate") {
		return ""
	}
	return m[1]
}

// server says how to reach the store of a location.
type server struct {
	host      string // host[:port]
	secure    bool
	region    string
	pathStyle bool
}

func (f *Fetcher) serverFor(loc Location) (server, error) {
	switch loc.Scheme {
	case SchemeOSS:
		if ec, ok := f.lookupOSSEndpoint(loc.Endpoint); ok {
			s := server{host: loc.Endpoint, secure: !f.cfg.OSS.Insecure, pathStyle: ec.PathStyle}
			if ec.URL != "" {
				u, _ := parseServerURL(ec.URL)
				s.host, s.secure = u.Host, u.Scheme == "https"
			}
			s.region = ec.Region
			if s.region == "" {
				s.region = OSSRegion(loc.Endpoint)
			}
			if s.region == "" {
				s.region = "us-east-1"
			}
			return s, nil
		}
		host := loc.Endpoint
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
		if !strings.HasSuffix(host, ".aliyuncs.com") {
			return server{}, fmt.Errorf("%q is not an Alibaba Cloud OSS endpoint (*.aliyuncs.com); map it to a server under oss.endpoints in %s", loc.Endpoint, ConfigFileName)
		}
		region := OSSRegion(loc.Endpoint)
		if region == "" {
			return server{}, fmt.Errorf("cannot derive the region from OSS endpoint %q; use oss-<region>[-internal].aliyuncs.com or set its region under oss.endpoints in %s", loc.Endpoint, ConfigFileName)
		}
		return server{host: loc.Endpoint, secure: !f.cfg.OSS.Insecure, region: region}, nil
	case SchemeS3:
		ep := f.cfg.S3.Endpoint
		if ep == "" {
			ep = "https://s3.amazonaws.com"
		}
		u, err := parseServerURL(ep)
		if err != nil {
			return server{}, fmt.Errorf("s3.endpoint: %v", err)
		}
		region := f.cfg.S3.Region
		if region == "" {
			region = "us-east-1"
		}
		return server{host: u.Host, secure: u.Scheme == "https", region: region, pathStyle: f.cfg.S3.PathStyle}, nil
	}
	return server{}, fmt.Errorf("not an object store location")
}

func (f *Fetcher) lookupOSSEndpoint(ep string) (EndpointConfig, bool) {
	if ec, ok := f.cfg.OSS.Endpoints[ep]; ok {
		return ec, true
	}
	for k, ec := range f.cfg.OSS.Endpoints {
		if strings.EqualFold(k, ep) {
			return ec, true
		}
	}
	return EndpointConfig{}, false
}

func (f *Fetcher) fetchRemote(ctx context.Context, loc Location, role string) (Object, error) {
	mc, err := f.minioClient(ctx, loc, role)
	if err != nil {
		return Object{}, err
	}
	if !loc.Dir {
		obj, err := f.getObject(ctx, mc, loc, role)
		if err == nil {
			return obj, nil
		}
		if e, ok := err.(*Error); !ok || e.Kind != ErrNotFound || e.Code == "NoSuchBucket" {
			return Object{}, err
		}
		// No such object: the location may name a prefix ("directory").
	}
	prefix := loc.Key
	if prefix != "" && !strings.HasSuffix(prefix, "/") {
		prefix += "/"
	}
	entries, files, err := f.listPrefix(ctx, mc, loc, prefix, role)
	if err != nil {
		return Object{}, err
	}
	if len(entries) == 0 && !loc.Dir {
		return Object{}, f.newError(ErrNotFound, loc.String(), role, "NoSuchKey", "no such object, and no objects under "+loc.withKey(prefix).String())
	}
	key, err := f.pickModel(loc.withKey(prefix), role, entries, files)
	if err != nil {
		return Object{}, err
	}
	return f.getObject(ctx, mc, loc.withKey(key), role)
}

// minioClient is a client for loc's server signing with role's credentials
// (anonymous when role is ""). Errors are *Error.
func (f *Fetcher) minioClient(ctx context.Context, loc Location, role string) (*minio.Client, error) {
	srv, err := f.serverFor(loc)
	if err != nil {
		return nil, f.newError(ErrBadLocation, loc.String(), role, "", err.Error())
	}
	cv, err := f.credentialsFor(ctx, loc, role)
	if err != nil {
		return nil, err
	}
	var creds *credentials.Credentials
	if cv.anonymous() {
		creds = credentials.NewStatic("", "", "", credentials.SignatureAnonymous)
	} else {
		creds = credentials.NewStaticV4(cv.AccessKeyID, cv.SecretAccessKey, cv.SessionToken)
	}
	lookup := minio.BucketLookupDNS
	if srv.pathStyle {
		lookup = minio.BucketLookupPath
	}
	mc, err := minio.New(srv.host, &minio.Options{
		Creds:        creds,
		Secure:       srv.secure,
		Region:       srv.region,
		BucketLookup: lookup,
		Transport:    f.transport,
		MaxRetries:   3,
	})
	if err != nil {
		return nil, f.newError(ErrBadLocation, loc.String(), role, "", err.Error())
	}
	return mc, nil
}

// maxListEntries bounds a directory listing.
const maxListEntries = 10000

// listPrefix lists the direct children of prefix. entries are names
// relative to prefix (sub-prefixes end in "/"); files maps a name to its
// key for objects only.
func (f *Fetcher) listPrefix(ctx context.Context, mc *minio.Client, loc Location, prefix, role string) ([]string, map[string]string, error) {
	lctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var entries []string
	files := map[string]string{}
	for info := range mc.ListObjects(lctx, loc.Bucket, minio.ListObjectsOptions{Prefix: prefix, Recursive: false}) {
		if info.Err != nil {
			return nil, nil, f.storeError(info.Err, loc.withKey(prefix), role, "listing")
		}
		name := strings.TrimPrefix(info.Key, prefix)
		if name == "" {
			continue // the directory marker object itself
		}
		entries = append(entries, name)
		if !strings.HasSuffix(name, "/") {
			files[name] = info.Key
		}
		if len(entries) > maxListEntries {
			return nil, nil, f.newError(ErrNoModelFile, loc.withKey(prefix).String(), role, "", fmt.Sprintf("more than %d entries; name the model file in LOCATION", maxListEntries))
		}
	}
	sort.Strings(entries)
	return entries, files, nil
}

// pickModel applies the exactly-one-model-file rule to a listing.
func (f *Fetcher) pickModel(dir Location, role string, entries []string, files map[string]string) (string, error) {
	var models []string
	for _, name := range entries {
		if _, isFile := files[name]; isFile && IsModelFileName(name) {
			models = append(models, name)
		}
	}
	switch len(models) {
	case 1:
		return files[models[0]], nil
	case 0:
		found := "the directory is empty"
		if len(entries) > 0 {
			found = "found " + listNames(entries)
		}
		return "", f.newError(ErrNoModelFile, dir.String(), role, "",
			"expected exactly one file ending in .json, .ubj, .model, .bin or .deprecated, or named \"model\"; "+found)
	default:
		return "", f.newError(ErrSeveralModels, dir.String(), role, "",
			fmt.Sprintf("found %d model files: %s; keep exactly one, or name the file in LOCATION", len(models), listNames(models)))
	}
}

// listNames renders at most 20 names.
func listNames(names []string) string {
	const max = 20
	if len(names) <= max {
		return strings.Join(names, ", ")
	}
	return strings.Join(names[:max], ", ") + fmt.Sprintf(" and %d more", len(names)-max)
}

func (f *Fetcher) getObject(ctx context.Context, mc *minio.Client, loc Location, role string) (Object, error) {
	// One plain GET: its headers give the size (checked before reading the
	// body) and its error body gives the server's error code.
	body, info, _, err := minio.Core{Client: mc}.GetObject(ctx, loc.Bucket, loc.Key, minio.GetObjectOptions{})
	if err != nil {
		return Object{}, f.storeError(err, loc, role, "reading")
	}
	defer body.Close()
	limit := f.cfg.maxBytes()
	if info.Size > limit {
		return Object{}, f.newError(ErrTooLarge, loc.String(), role, "", fmt.Sprintf("%d bytes; the limit is %d (max_object_bytes)", info.Size, limit))
	}
	data, held, err := f.download(ctx, body, info.Size, limit)
	if err != nil {
		if e, ok := err.(*tooLargeError); ok {
			return Object{}, f.newError(ErrTooLarge, loc.String(), role, "", e.Error())
		}
		if e, ok := err.(*membudget.Error); ok {
			return Object{}, f.newError(budgetKind(e), loc.String(), role, "", "not downloaded: "+e.Error())
		}
		return Object{}, f.storeError(err, loc, role, "reading")
	}
	if info.Size >= 0 && int64(len(data)) != info.Size {
		held.Release()
		return Object{}, f.newError(ErrUnavailable, loc.String(), role, "", fmt.Sprintf("short read: got %d of %d bytes", len(data), info.Size))
	}
	return Object{
		Location:     loc.String(),
		ETag:         strings.Trim(info.ETag, `"`),
		LastModified: info.LastModified,
		Data:         data,
		held:         held,
	}, nil
}

type tooLargeError struct{ limit int64 }

func (e *tooLargeError) Error() string {
	return fmt.Sprintf("more than %d bytes (max_object_bytes)", e.limit)
}

// download is readLimited for a network body, its buffer reserved from the
// memory budget first (or, when its length is unknown, as it grows). The
// caller releases the reservation with the Object. Budget failures are
// *membudget.Error.
func (f *Fetcher) download(ctx context.Context, r io.Reader, size, limit int64) ([]byte, *membudget.Reservation, error) {
	if size < 0 || size > limit {
		data, held, err := f.budget.ReadAll(ctx, r, -1, limit)
		if errors.Is(err, membudget.ErrLimit) {
			err = &tooLargeError{limit}
		}
		return data, held, err
	}
	held, err := f.budget.Reserve(ctx, size)
	if err != nil {
		return nil, nil, err
	}
	data, err := readLimited(r, size, limit)
	if err != nil {
		held.Release()
		return nil, nil, err
	}
	return data, held, nil
}

// budgetKind classifies a budget failure: too large for the whole budget,
// or (waiting in vain) unavailable for now.
func budgetKind(e *membudget.Error) error {
	if e.Kind == membudget.ErrTooLarge {
		return ErrTooLarge
	}
	return ErrUnavailable
}

// readLimited reads r to the end, refusing more than limit bytes. size is
// the announced length (-1 if unknown): when it is known the result is read
// into a buffer of exactly that size, never a larger one.
func readLimited(r io.Reader, size, limit int64) ([]byte, error) {
	if size >= 0 && size <= limit {
		data := make([]byte, size)
		if _, err := io.ReadFull(r, data); err != nil {
			if err == io.ErrUnexpectedEOF || err == io.EOF {
				return nil, fmt.Errorf("short read: the body ended before the announced %d bytes", size)
			}
			return nil, err
		}
		// Anything past the announced length is an error too.
		var probe [1]byte
		n, err := io.ReadFull(r, probe[:])
		if n > 0 {
			if size == limit {
				return nil, &tooLargeError{limit}
			}
			return nil, fmt.Errorf("the body is longer than the announced %d bytes", size)
		}
		if err != nil && err != io.EOF {
			return nil, err
		}
		return data, nil
	}
	var buf bytes.Buffer
	n, err := buf.ReadFrom(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if n > limit {
		return nil, &tooLargeError{limit}
	}
	return buf.Bytes(), nil
}

// storeError classifies an error from minio-go.
func (f *Fetcher) storeError(err error, loc Location, role, op string) *Error {
	er := minio.ToErrorResponse(err)
	if er.Code == "" && er.StatusCode == 0 {
		if _, ok := err.(*tooLargeError); ok {
			return f.newError(ErrTooLarge, loc.String(), role, "", err.Error())
		}
		return f.newError(ErrUnavailable, loc.String(), role, "", op+" failed: "+describeTransportError(err))
	}
	detail := er.Message
	if detail == "" {
		detail = http.StatusText(er.StatusCode)
	}
	if er.Code != "" {
		detail = er.Code + ": " + detail
	}
	kind := ErrUnavailable
	switch {
	case er.Code == "NoSuchKey" || er.Code == "NoSuchBucket" || er.Code == "NotFound" || er.StatusCode == http.StatusNotFound:
		kind = ErrNotFound
	case er.Code == "AccessDenied" || er.Code == "AllAccessDisabled" || er.Code == "SignatureDoesNotMatch" ||
		staleCredentialCodes[er.Code] || er.StatusCode == http.StatusForbidden || er.StatusCode == http.StatusUnauthorized:
		kind = ErrAccessDenied
	}
	return f.newError(kind, loc.String(), role, er.Code, detail)
}

// fetchLocal reads a local file or the one model file of a local directory.
func (f *Fetcher) fetchLocal(loc Location) (Object, error) {
	if f.cfg.Local.Disabled {
		return Object{}, f.newError(ErrDisabled, loc.String(), "", "", "local locations are disabled (local.disabled in "+ConfigFileName+")")
	}
	// Outside the allowed directories even "does not exist" is not said.
	if f.dirsLimited && !InsideDirs(loc.Path, f.allowDirs) {
		return Object{}, f.newError(ErrAccessDenied, loc.String(), "", "", "outside the server's allowed directories (--allow-dir)")
	}
	real, err := filepath.EvalSymlinks(loc.Path)
	if err != nil {
		return Object{}, f.localError(err, loc)
	}
	if err := f.checkLocalRoots(real); err != nil {
		return Object{}, f.newError(ErrAccessDenied, loc.String(), "", "", err.Error())
	}
	fi, err := os.Stat(real)
	if err != nil {
		return Object{}, f.localError(err, loc)
	}
	if fi.IsDir() {
		ents, err := os.ReadDir(real)
		if err != nil {
			return Object{}, f.localError(err, loc)
		}
		var entries []string
		files := map[string]string{}
		for _, e := range ents {
			name := e.Name()
			full := filepath.Join(loc.Path, name)
			st, err := os.Stat(full) // follows symbolic links
			if err == nil && st.IsDir() {
				entries = append(entries, name+"/")
				continue
			}
			entries = append(entries, name)
			if err == nil && st.Mode().IsRegular() {
				files[name] = full
			}
		}
		dir := loc
		dir.Dir = true
		p, err := f.pickModel(dir, "", entries, files)
		if err != nil {
			return Object{}, err
		}
		return f.readLocalFile(loc.withPath(p))
	}
	if loc.Dir {
		return Object{}, f.newError(ErrNotFound, loc.String(), "", "", "not a directory")
	}
	return f.readLocalFile(loc)
}

func (f *Fetcher) checkLocalRoots(real string) error {
	if err := f.checkAllowedDirs(real); err != nil {
		return err
	}
	if len(f.cfg.Local.Roots) == 0 {
		return nil
	}
	for _, root := range f.cfg.Local.Roots {
		r, err := filepath.EvalSymlinks(root)
		if err != nil {
			r = filepath.Clean(root)
		}
		rel, err := filepath.Rel(r, real)
		if err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			return nil
		}
	}
	return fmt.Errorf("outside the directories allowed by local.roots in %s", ConfigFileName)
}

func (f *Fetcher) readLocalFile(loc Location) (Object, error) {
	real, err := filepath.EvalSymlinks(loc.Path)
	if err != nil {
		return Object{}, f.localError(err, loc)
	}
	if err := f.checkLocalRoots(real); err != nil {
		return Object{}, f.newError(ErrAccessDenied, loc.String(), "", "", err.Error())
	}
	// Refuse devices, FIFOs and sockets before opening (opening a FIFO
	// would block).
	if st, err := os.Stat(real); err != nil {
		return Object{}, f.localError(err, loc)
	} else if !st.Mode().IsRegular() {
		return Object{}, f.newError(ErrNotRegularFile, loc.String(), "", "", describeMode(st.Mode()))
	}
	file, err := os.Open(real)
	if err != nil {
		return Object{}, f.localError(err, loc)
	}
	defer file.Close()
	fi, err := file.Stat()
	if err != nil {
		return Object{}, f.localError(err, loc)
	}
	if !fi.Mode().IsRegular() {
		return Object{}, f.newError(ErrNotRegularFile, loc.String(), "", "", describeMode(fi.Mode()))
	}
	limit := f.cfg.maxBytes()
	if fi.Size() > limit {
		return Object{}, f.newError(ErrTooLarge, loc.String(), "", "", fmt.Sprintf("%d bytes; the limit is %d (max_object_bytes)", fi.Size(), limit))
	}
	data, err := readLimited(file, fi.Size(), limit)
	if err != nil {
		if e, ok := err.(*tooLargeError); ok {
			return Object{}, f.newError(ErrTooLarge, loc.String(), "", "", e.Error())
		}
		return Object{}, f.localError(err, loc)
	}
	return Object{Location: loc.String(), LastModified: fi.ModTime(), Data: data}, nil
}

func describeMode(m os.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&os.ModeNamedPipe != 0:
		return "a named pipe"
	case m&os.ModeSocket != 0:
		return "a socket"
	case m&os.ModeDevice != 0:
		return "a device"
	}
	return "not a regular file (" + m.Type().String() + ")"
}

func (f *Fetcher) localError(err error, loc Location) *Error {
	msg := err.Error()
	if pe, ok := err.(*os.PathError); ok {
		msg = pe.Err.Error()
	}
	switch {
	case os.IsNotExist(err):
		return f.newError(ErrNotFound, loc.String(), "", "", "no such file or directory")
	case os.IsPermission(err):
		return f.newError(ErrAccessDenied, loc.String(), "", "", msg)
	}
	return f.newError(ErrUnavailable, loc.String(), "", "", msg)
}

// RedactLocation returns a LOCATION fit for display and for metadata that
// others can read: the user information and query of an http(s) location
// (a presigned URL's signature) are hidden; other locations are returned
// unchanged.
func RedactLocation(s string) string { return displayLocation(s) }

// displayLocation hides the user information and query of an http(s)
// location for error messages.
func displayLocation(s string) string {
	l := strings.ToLower(s)
	if !strings.HasPrefix(l, "http://") && !strings.HasPrefix(l, "https://") {
		return s
	}
	u, err := url.Parse(s)
	if err != nil {
		return "http(s) location"
	}
	if u.User != nil {
		u.User = url.User("REDACTED")
	}
	return displayURL(u.String())
}

// displayURL hides the query of an http(s) URL (it may hold a presigned
// signature).
func displayURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "http(s) location"
	}
	if u.RawQuery != "" {
		u.RawQuery = ""
		return u.String() + "?[query hidden]"
	}
	return u.String()
}

func (f *Fetcher) fetchHTTP(ctx context.Context, loc Location) (Object, error) {
	shown := displayURL(loc.URL)
	if f.cfg.HTTP.Disabled {
		return Object{}, f.newError(ErrDisabled, shown, "", "", "http(s) locations are disabled (http.disabled in "+ConfigFileName+")")
	}
	if loc.Dir {
		return Object{}, f.newError(ErrBadLocation, shown, "", "", "an http(s) location must name a file: directories cannot be listed over http")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, loc.URL, nil)
	if err != nil {
		return Object{}, f.newError(ErrBadLocation, shown, "", "", "cannot build the request")
	}
	resp, err := f.httpLoc.Do(req)
	if err != nil {
		return Object{}, f.newError(ErrUnavailable, shown, "", "", locationTransportError(err))
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusOK:
	case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone:
		return Object{}, f.newError(ErrNotFound, shown, "", "", resp.Status)
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return Object{}, f.newError(ErrAccessDenied, shown, "", "", resp.Status)
	default:
		return Object{}, f.newError(ErrUnavailable, shown, "", "", resp.Status)
	}
	limit := f.cfg.maxBytes()
	if resp.ContentLength > limit {
		return Object{}, f.newError(ErrTooLarge, shown, "", "", fmt.Sprintf("%d bytes; the limit is %d (max_object_bytes)", resp.ContentLength, limit))
	}
	data, held, err := f.download(ctx, resp.Body, resp.ContentLength, limit)
	if err != nil {
		if e, ok := err.(*tooLargeError); ok {
			return Object{}, f.newError(ErrTooLarge, shown, "", "", e.Error())
		}
		if e, ok := err.(*membudget.Error); ok {
			return Object{}, f.newError(budgetKind(e), shown, "", "", "not downloaded: "+e.Error())
		}
		return Object{}, f.newError(ErrUnavailable, shown, "", "", "reading failed: "+describeTransportError(err))
	}
	var mod time.Time
	if lm := resp.Header.Get("Last-Modified"); lm != "" {
		mod, _ = http.ParseTime(lm)
	}
	return Object{
		Location:     loc.URL,
		ETag:         strings.TrimPrefix(strings.Trim(resp.Header.Get("ETag"), `"`), `W/"`),
		LastModified: mod,
		Data:         data,
		held:         held,
	}, nil
}

// sameServer follows redirects of an http(s) location only on the server
// the LOCATION names: whoever may name a server (the server's --allow-host)
// must not be led to another.
func sameServer(req *http.Request, via []*http.Request) error {
	if len(via) >= 10 {
		return fmt.Errorf("stopped after 10 redirects")
	}
	if !strings.EqualFold(req.URL.Scheme, via[0].URL.Scheme) || !strings.EqualFold(req.URL.Host, via[0].URL.Host) {
		return fmt.Errorf("redirect to another server not followed")
	}
	return nil
}

// locationTransportError describes a failed request of an http(s) location
// in one message whatever failed (refused, reset, closed, not HTTP, unknown
// host): the difference would tell a user who may name locations which
// ports of a host answer.
func locationTransportError(err error) string {
	if d := describeTransportError(err); d == "request canceled" || d == "request timed out" || strings.Contains(d, "redirect") {
		return d
	}
	return "no answer from the server (connection failed or closed)"
}
