package objstore

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/minio/minio-go/v7/pkg/credentials"
)

// credValue is a set of S3/OSS credentials. A zero Expiration means the
// credentials do not expire.
type credValue struct {
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string
	Expiration      time.Time
}

func (v credValue) anonymous() bool { return v.AccessKeyID == "" && v.SecretAccessKey == "" }

// transportError is a network failure reduced to text without URLs.
type transportError struct{ msg string }

func (e *transportError) Error() string { return e.msg }

// describeTransportError describes a failed HTTP exchange without the URL
// (which may carry a signature or token in its query).
func describeTransportError(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	switch {
	case errors.Is(err, context.Canceled):
		return "request canceled"
	case errors.Is(err, context.DeadlineExceeded):
		return "request timed out"
	}
	var ne *net.OpError
	if errors.As(err, &ne) {
		if ne.Err != nil {
			return ne.Op + ": " + ne.Err.Error()
		}
		return ne.Op + " failed"
	}
	var de *net.DNSError
	if errors.As(err, &de) {
		return "cannot resolve " + de.Name
	}
	return err.Error()
}

// credProvider fetches credentials for one role.
type credProvider interface {
	retrieve(ctx context.Context) (credValue, error)
}

type staticProvider struct{ v credValue }

func (p staticProvider) retrieve(context.Context) (credValue, error) { return p.v, nil }

// awsSTSProvider asks an AWS-style STS (AWS, MinIO) through minio-go.
type awsSTSProvider struct {
	endpoint string
	opts     credentials.STSAssumeRoleOptions
	client   *http.Client
}

func (p *awsSTSProvider) retrieve(ctx context.Context) (credValue, error) {
	sts := &credentials.STSAssumeRole{Client: p.client, STSEndpoint: p.endpoint, Options: p.opts}
	v, err := sts.RetrieveWithCredContext(&credentials.CredContext{Client: p.client, Context: ctx})
	if err != nil {
		var er credentials.ErrorResponse
		if errors.As(err, &er) {
			return credValue{}, &stsError{status: 0, code: er.STSError.Code, message: er.STSError.Message}
		}
		return credValue{}, &transportError{msg: describeTransportError(err)}
	}
	if v.AccessKeyID == "" || v.SecretAccessKey == "" {
		return credValue{}, &stsError{message: "AssumeRole response has no credentials"}
	}
	return credValue{
		AccessKeyID:     v.AccessKeyID,
		SecretAccessKey: v.SecretAccessKey,
		SessionToken:    v.SessionToken,
		Expiration:      v.Expiration,
	}, nil
}

type aliyunProvider struct{ c *aliyunSTS }

func (p aliyunProvider) retrieve(ctx context.Context) (credValue, error) { return p.c.assumeRole(ctx) }

// refreshMargin is how long before Expiration cached credentials are
// replaced: five minutes, or a quarter of their lifetime if that is less.
func refreshMargin(lifetime time.Duration) time.Duration {
	m := 5 * time.Minute
	if q := lifetime / 4; q < m {
		m = q
	}
	if m < 0 {
		m = 0
	}
	return m
}

// credCache keeps temporary credentials per role until shortly before they
// expire. Concurrent callers for the same role share one STS request.
type credCache struct {
	now     func() time.Time
	onFetch func(credValue) // registers new secrets for redaction

	mu      sync.Mutex
	entries map[string]*cacheEntry
}

type cacheEntry struct {
	sem       chan struct{} // a one-slot lock, held while fetching
	v         credValue
	refreshAt time.Time // zero: never fetched
}

// lock takes the entry's lock, giving up when ctx ends.
func (e *cacheEntry) lock(ctx context.Context) error {
	select {
	case e.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return &transportError{msg: describeTransportError(ctx.Err())}
	}
}

func (e *cacheEntry) unlock() { <-e.sem }

func newCredCache(now func() time.Time, onFetch func(credValue)) *credCache {
	return &credCache{now: now, onFetch: onFetch, entries: map[string]*cacheEntry{}}
}

func (c *credCache) entry(role string) *cacheEntry {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.entries[role]
	if e == nil {
		e = &cacheEntry{sem: make(chan struct{}, 1)}
		c.entries[role] = e
	}
	return e
}

// get returns cached credentials for role, fetching them with p when none
// are cached or they are about to expire.
func (c *credCache) get(ctx context.Context, role string, p credProvider) (credValue, error) {
	e := c.entry(role)
	if err := e.lock(ctx); err != nil {
		return credValue{}, err
	}
	defer e.unlock()
	now := c.now()
	if !e.refreshAt.IsZero() && now.Before(e.refreshAt) {
		return e.v, nil
	}
	v, err := p.retrieve(ctx)
	if err != nil {
		return credValue{}, err
	}
	if c.onFetch != nil {
		c.onFetch(v)
	}
	e.v = v
	if v.Expiration.IsZero() {
		// Not temporary: keep until invalidated.
		e.refreshAt = now.Add(100 * 365 * 24 * time.Hour)
	} else {
		e.refreshAt = v.Expiration.Add(-refreshMargin(v.Expiration.Sub(now)))
	}
	return v, nil
}

// invalidate drops the cached credentials of role.
func (c *credCache) invalidate(role string) {
	e := c.entry(role)
	e.sem <- struct{}{}
	e.refreshAt = time.Time{}
	e.v = credValue{}
	e.unlock()
}
