package llm

import (
	"context"
	"errors"
	"fmt"
)

// OptFallback names the version that answers a request this version still
// fails after its retries with a rate-limit, timeout, connection or 5xx
// error: 'model.version_or_alias' (the model part may be qualified). Only
// one hop: the fallback's own FALLBACK is not followed. modelsql's option;
// the SQL layer resolves and checks it (package session).
const OptFallback = "FALLBACK"

// WithFallback makes fb answer the requests c fails with a retryable
// error class, once.
func WithFallback(fb *Client) ClientOption { return func(c *Client) { c.fallback = fb } }

// Fallback returns the client's fallback, or nil.
func (c *Client) Fallback() *Client { return c.fallback }

// fallsBack reports whether a failed request goes to the fallback.
func (c *Client) fallsBack(ctx context.Context, err error) bool {
	return c.fallback != nil && ctx.Err() == nil && ClassOf(err).Retryable()
}

// fallbackFailed is the error of a request both versions failed: the
// fallback's, naming the primary's.
func (c *Client) fallbackFailed(primary, fb error) error {
	var e *Error
	if errors.As(fb, &e) {
		ce := *e
		ce.Message = excerpt(fmt.Sprintf("%s (after model %s version %s failed: %s)", e.Message, c.ep.Model, c.ep.Version, ClassOf(primary)))
		return &ce
	}
	return fb
}

// chat is chatOnce, then the fallback's chatOnce when it failed retryably.
func (c *Client) chat(ctx context.Context, op string, req ChatRequest) (ChatResult, error) {
	r, err := c.chatOnce(ctx, op, req)
	model, version := c.ep.Model, c.ep.Version
	if err != nil && c.fallsBack(ctx, err) {
		fb, fbErr := c.fallback.chatOnce(ctx, op, req)
		fb.Attempts += r.Attempts
		model, version = c.fallback.ep.Model, c.fallback.ep.Version
		info(ctx).fellBack(err, model, version)
		r, err = fb, fbErr
		if err != nil {
			err = c.fallbackFailed(err, fbErr)
		}
	}
	info(ctx).add(model, version, r.Attempts, r.PromptTokens, r.CompletionTokens)
	return r, err
}

// embeddings is embedOnce, then the fallback's when it failed retryably.
func (c *Client) embeddings(ctx context.Context, op string, req EmbedRequest) (EmbedResult, error) {
	r, err := c.embedOnce(ctx, op, req)
	model, version := c.ep.Model, c.ep.Version
	if err != nil && c.fallsBack(ctx, err) {
		fb, fbErr := c.fallback.embedOnce(ctx, op, req)
		fb.Attempts += r.Attempts
		model, version = c.fallback.ep.Model, c.fallback.ep.Version
		info(ctx).fellBack(err, model, version)
		r, err = fb, fbErr
		if err != nil {
			err = c.fallbackFailed(err, fbErr)
		}
	}
	info(ctx).add(model, version, r.Attempts, r.PromptTokens, 0)
	return r, err
}

// CallInfo is what answered one row's call, for provenance and for the
// failure records: WithCallInfo puts one in a context and the client fills
// it in.
type CallInfo struct {
	Model, Version                 string // who answered (the last request's version)
	Attempts                       int
	PromptTokens, CompletionTokens int
	FellBack                       bool
	PrimaryError                   error // why the fallback was asked
}

type callInfoKey struct{}

// WithCallInfo returns a context whose client calls fill in the returned
// CallInfo.
func WithCallInfo(ctx context.Context) (context.Context, *CallInfo) {
	ci := &CallInfo{}
	return context.WithValue(ctx, callInfoKey{}, ci), ci
}

// info returns the context's CallInfo, or nil (whose methods do nothing).
func info(ctx context.Context) *CallInfo {
	ci, _ := ctx.Value(callInfoKey{}).(*CallInfo)
	return ci
}

func (ci *CallInfo) add(model, version string, attempts, pt, ct int) {
	if ci == nil {
		return
	}
	ci.Model, ci.Version = model, version
	ci.Attempts += attempts
	ci.PromptTokens += pt
	ci.CompletionTokens += ct
}

func (ci *CallInfo) fellBack(primary error, model, version string) {
	if ci == nil {
		return
	}
	ci.FellBack, ci.PrimaryError = true, primary
	ci.Model, ci.Version = model, version
}
