package objstore

// This file serves object tables (package objtable): the full listing of a
// prefix, reads of one object (or a byte range of it) under the prefix, and
// presigned URLs. Model imports use Fetch instead.

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
)

// ObjectInfo is one listed object. Key is relative to the listed prefix.
type ObjectInfo struct {
	Key          string
	Size         int64
	Type         string // the store's object type (Normal, Multipart, Appendable), "" when not reported
	LastModified time.Time
	ETag         string // without quotes
	OwnerID      string // "" when not reported
	StorageClass string
}

// Prefix is a LOCATION read as a directory of objects: an object table's
// location. Every form of LOCATION but http(s) is one.
type Prefix struct {
	loc Location
}

// ParsePrefix parses an object table's LOCATION. The location is a
// directory whether or not it ends in "/".
func ParsePrefix(location string) (Prefix, error) {
	loc, err := ParseLocation(location)
	if err != nil {
		return Prefix{}, err
	}
	switch loc.Scheme {
	case SchemeHTTP, SchemeHTTPS:
		return Prefix{}, fmt.Errorf("location %q: an object table needs a location that can be listed (oss://, s3:// or a local directory), not http(s)", displayLocation(location))
	case SchemeFile:
		loc.Dir = true
	default:
		if loc.Key != "" && !strings.HasSuffix(loc.Key, "/") {
			loc.Key += "/"
		}
		loc.Dir = true
	}
	return Prefix{loc: loc}, nil
}

// String is the canonical location.
func (p Prefix) String() string { return p.loc.String() }

// Local reports whether the prefix is a local directory, and its path.
func (p Prefix) Local() (string, bool) { return p.loc.Path, p.loc.Scheme == SchemeFile }

// Remote reports whether the prefix is in an object store, and its
// endpoint (oss://) or "" (s3://).
func (p Prefix) Remote() bool { return p.loc.isRemote() }

// Endpoint is the OSS endpoint of an oss:// prefix ("" otherwise).
func (p Prefix) Endpoint() string { return p.loc.Endpoint }

// objectLoc is the location of key under the prefix.
func (p Prefix) objectLoc(key string) (Location, error) {
	if key == "" || strings.HasPrefix(key, "/") || strings.Contains(key, "//") || strings.Contains(key, "\x00") {
		return Location{}, fmt.Errorf("bad key %q", key)
	}
	for _, seg := range strings.Split(key, "/") {
		if seg == "." || seg == ".." {
			return Location{}, fmt.Errorf("bad key %q: no . or .. segments", key)
		}
	}
	if p.loc.Scheme == SchemeFile {
		return p.loc.withPath(filepath.Join(p.loc.Path, filepath.FromSlash(key))), nil
	}
	l := p.loc.withKey(p.loc.Key + key)
	l.Dir = false
	return l, nil
}

func (f *Fetcher) role(role string) string {
	if role == "" {
		return f.cfg.DefaultRole
	}
	return role
}

// List calls fn for every object under the prefix, sub-prefixes included
// (the store's pages are followed to the end), keys relative to the prefix.
// "Directory marker" objects (keys ending in "/") are skipped. Every error
// is an *Error naming the location and the role.
func (f *Fetcher) List(ctx context.Context, p Prefix, role string, fn func(ObjectInfo) error) error {
	if p.loc.Scheme == SchemeFile {
		return f.listLocal(p, fn)
	}
	role = f.role(role)
	return f.retryStale(role, func() error {
		mc, err := f.minioClient(ctx, p.loc, role)
		if err != nil {
			return err
		}
		lctx, cancel := context.WithCancel(ctx)
		defer cancel()
		for info := range mc.ListObjects(lctx, p.loc.Bucket, minio.ListObjectsOptions{Prefix: p.loc.Key, Recursive: true, WithMetadata: false}) {
			if info.Err != nil {
				return f.storeError(info.Err, p.loc, role, "listing")
			}
			key := strings.TrimPrefix(info.Key, p.loc.Key)
			if key == "" || strings.HasSuffix(key, "/") {
				continue
			}
			typ := "Normal"
			if strings.Contains(info.ETag, "-") {
				typ = "Multipart" // what OSS reports for multipart uploads
			}
			if err := fn(ObjectInfo{Key: key, Size: info.Size, Type: typ, LastModified: info.LastModified.UTC(),
				ETag: strings.Trim(info.ETag, `"`), OwnerID: info.Owner.ID, StorageClass: info.StorageClass}); err != nil {
				return err
			}
		}
		return ctx.Err()
	})
}

// retryStale runs op once more with fresh credentials when the store
// rejected cached temporary ones.
func (f *Fetcher) retryStale(role string, op func() error) error {
	err := op()
	var e *Error
	if err != nil && role != "" && errors.As(err, &e) && e.Kind == ErrAccessDenied && staleCredentialCodes[e.Code] && f.isTemporaryRole(role) {
		f.cache.invalidate(role)
		err = op()
	}
	return err
}

// localReal resolves a local location's symbolic links and checks the
// result against local.disabled, local.roots and --allow-dir.
func (f *Fetcher) localReal(loc Location) (string, error) {
	if f.cfg.Local.Disabled {
		return "", f.newError(ErrDisabled, loc.String(), "", "", "local locations are disabled (local.disabled)")
	}
	real, err := filepath.EvalSymlinks(loc.Path)
	if err != nil {
		return "", f.localError(err, loc)
	}
	if err := f.checkLocalRoots(real); err != nil {
		return "", f.newError(ErrAccessDenied, loc.String(), "", "", err.Error())
	}
	return real, nil
}

func (f *Fetcher) listLocal(p Prefix, fn func(ObjectInfo) error) error {
	real, err := f.localReal(p.loc)
	if err != nil {
		return err
	}
	return filepath.WalkDir(real, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return f.localError(err, p.loc)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return nil // removed while listing
		}
		rel, _ := filepath.Rel(real, path)
		return fn(ObjectInfo{Key: filepath.ToSlash(rel), Size: fi.Size(), Type: "Normal", LastModified: fi.ModTime().UTC()})
	})
}

// Read returns the bytes of key under the prefix: length bytes from offset
// (length < 0: to the end), at most limit bytes (ErrTooLarge beyond). A
// missing object is ErrNotFound. The returned Object holds its bytes' share
// of the memory budget until Release.
func (f *Fetcher) Read(ctx context.Context, p Prefix, role, key string, offset, length, limit int64) (Object, error) {
	loc, err := p.objectLoc(key)
	if err != nil {
		return Object{}, f.newError(ErrBadLocation, p.loc.String(), f.role(role), "", err.Error())
	}
	if offset < 0 {
		return Object{}, f.newError(ErrBadLocation, loc.String(), f.role(role), "", "offset must be >= 0")
	}
	if length == 0 {
		return Object{Location: loc.String(), Data: []byte{}}, nil
	}
	if loc.Scheme == SchemeFile {
		return f.readLocalRange(loc, offset, length, limit)
	}
	role = f.role(role)
	var obj Object
	err = f.retryStale(role, func() error {
		mc, err := f.minioClient(ctx, loc, role)
		if err != nil {
			return err
		}
		opts := minio.GetObjectOptions{}
		if offset > 0 || length > 0 {
			end := int64(0)
			if length > 0 {
				end = offset + length - 1
			}
			if err := opts.SetRange(offset, end); err != nil {
				return f.newError(ErrBadLocation, loc.String(), role, "", err.Error())
			}
		}
		body, info, _, err := minio.Core{Client: mc}.GetObject(ctx, loc.Bucket, loc.Key, opts)
		if err != nil {
			if minio.ToErrorResponse(err).Code == "InvalidRange" {
				obj = Object{Location: loc.String(), Data: []byte{}} // offset at or past the end
				return nil
			}
			return f.storeError(err, loc, role, "reading")
		}
		defer body.Close()
		if info.Size > limit {
			return f.newError(ErrTooLarge, loc.String(), role, "", fmt.Sprintf("%d bytes; the limit is %d bytes (modelsql.object.max_bytes); read a byte range with offset and length", info.Size, limit))
		}
		data, held, err := f.download(ctx, body, info.Size, limit)
		if err != nil {
			var tl *tooLargeError
			if errors.As(err, &tl) {
				return f.newError(ErrTooLarge, loc.String(), role, "", fmt.Sprintf("more than %d bytes (modelsql.object.max_bytes)", limit))
			}
			return f.storeError(err, loc, role, "reading")
		}
		obj = Object{Location: loc.String(), ETag: strings.Trim(info.ETag, `"`), LastModified: info.LastModified, Data: data, held: held}
		return nil
	})
	return obj, err
}

func (f *Fetcher) readLocalRange(loc Location, offset, length, limit int64) (Object, error) {
	real, err := f.localReal(loc)
	if err != nil {
		return Object{}, err
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
	n := fi.Size() - offset
	if n < 0 {
		n = 0
	}
	if length >= 0 && length < n {
		n = length
	}
	if n > limit {
		return Object{}, f.newError(ErrTooLarge, loc.String(), "", "", fmt.Sprintf("%d bytes; the limit is %d bytes (modelsql.object.max_bytes); read a byte range with offset and length", n, limit))
	}
	data := make([]byte, n)
	if _, err := file.ReadAt(data, offset); err != nil && n > 0 {
		return Object{}, f.localError(err, loc)
	}
	return Object{Location: loc.String(), LastModified: fi.ModTime(), Data: data}, nil
}

// MaxPresignTTL is the longest validity of a presigned URL (7 days, as in
// S3 SigV4 and MaxCompute).
const MaxPresignTTL = 7 * 24 * time.Hour

// Presign returns a URL that lets anyone holding it GET (download) or PUT
// (upload) key under the prefix for ttl. It is signed with AWS Signature
// Version 4 for every store, OSS included (its S3-compatible API accepts
// SigV4 presigned URLs); temporary credentials add their security token.
func (f *Fetcher) Presign(ctx context.Context, p Prefix, role, key, method string, ttl time.Duration) (string, error) {
	role = f.role(role)
	loc, err := p.objectLoc(key)
	if err != nil {
		return "", f.newError(ErrBadLocation, p.loc.String(), role, "", err.Error())
	}
	if !loc.isRemote() {
		return "", f.newError(ErrBadLocation, loc.String(), "", "", "signed URLs need an oss:// or s3:// location")
	}
	if ttl < time.Second || ttl > MaxPresignTTL {
		return "", f.newError(ErrBadLocation, loc.String(), role, "", "the URL's lifetime must be between 1 second and 7 days")
	}
	mc, err := f.minioClient(ctx, loc, role)
	if err != nil {
		return "", err
	}
	var u fmt.Stringer
	switch method {
	case http.MethodGet:
		u, err = mc.PresignedGetObject(ctx, loc.Bucket, loc.Key, ttl, nil)
	case http.MethodPut:
		u, err = mc.PresignedPutObject(ctx, loc.Bucket, loc.Key, ttl)
	default:
		return "", f.newError(ErrBadLocation, loc.String(), role, "", fmt.Sprintf("http method %q: use GET or PUT", method))
	}
	if err != nil {
		return "", f.storeError(err, loc, role, "signing")
	}
	return u.String(), nil
}

// HasRole reports whether storage.json defines role.
func (f *Fetcher) HasRole(role string) bool {
	_, ok := f.cfg.Roles[role]
	return ok
}
