package awsproto

import (
	"context"
	"crypto/rand"
	"fmt"
	"net/http"
)

type ctxKey int

const (
	requestIDKey ctxKey = iota
	requestInfoKey
)

// NewRequestID returns a random request ID in AWS's UUID form.
func NewRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// WithRequestID stores id in ctx.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey, id)
}

// RequestID returns the request ID stored in ctx, or a new one.
func RequestID(ctx context.Context) string {
	if id, ok := ctx.Value(requestIDKey).(string); ok {
		return id
	}
	return NewRequestID()
}

// RequestInfo is what the edge learned about a request before a handler runs.
type RequestInfo struct {
	Scope     Scope
	AccountID string
	// Region is the request's region, defaulted when the request named none.
	Region string
}

// WithRequestInfo stores info in ctx.
func WithRequestInfo(ctx context.Context, info RequestInfo) context.Context {
	return context.WithValue(ctx, requestInfoKey, info)
}

// RequestInfoFrom returns the RequestInfo stored in ctx.
func RequestInfoFrom(ctx context.Context) (RequestInfo, bool) {
	info, ok := ctx.Value(requestInfoKey).(RequestInfo)
	return info, ok
}

// SetRequestIDHeaders writes both spellings AWS services use.
func SetRequestIDHeaders(h http.Header, id string) {
	h.Set("X-Amzn-Requestid", id)
	h.Set("X-Amz-Request-Id", id)
}
