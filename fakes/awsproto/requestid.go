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
	// Caller is the verified identity that signed the request; zero when
	// the request was anonymous (S3 only).
	Caller Caller
}

// Caller is the identity behind a request, as GetCallerIdentity reports it
// and as IAM policies see it.
type Caller struct {
	// Type is "Root", "User" or "AssumedRole".
	Type string
	// ARN: arn:aws:iam::ACCT:root, arn:aws:iam::ACCT:user/PATH/NAME or
	// arn:aws:sts::ACCT:assumed-role/ROLE/SESSION.
	ARN string
	// UserID: the account id for root, AIDA... for a user, AROA...:SESSION
	// for an assumed role (aws:userid).
	UserID  string
	Account string
	// Name is the user name or the role name (aws:username is set for users only).
	Name string
	// RoleARN is the role of an assumed-role session.
	RoleARN string
	// SessionName of an assumed-role session.
	SessionName string
	// AccessKeyID and SessionToken are the credentials the request was
	// signed with; services that act on the caller's behalf (Things Graph
	// deploying to Greengrass) reuse them, as AWS forward-access sessions do.
	AccessKeyID  string
	SessionToken string
	// Tags are the principal's tags (aws:PrincipalTag/KEY).
	Tags map[string]string
}

// Anonymous reports whether no identity signed the request.
func (c Caller) Anonymous() bool { return c.ARN == "" }

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
