package awsproto

import (
	"context"
	"net/http"

	"github.com/tgsim/tgsim/fakes/policy"
)

// Call is what IAM needs to know about one request: the action, the
// resources it touches and the service-specific condition keys, as the AWS
// Service Authorization Reference lists them for the operation.
type Call struct {
	// Operation is the API operation name (CreateFlowTemplate, GetObject).
	Operation string
	// Action is "service:Action"; some operations need several (S3
	// CopyObject reads one object and writes another), listed in Extra.
	Action string
	// Resources are the ARNs the action applies to; "*" when the action
	// supports no resource type.
	Resources []string
	// Context holds service-specific condition keys (aws:RequestTag/...,
	// s3:x-amz-server-side-encryption, ...). The edge adds the global keys.
	Context map[string][]string
	// Extra lists further action/resource pairs that must also be allowed.
	Extra []Call
	// ResourcePolicies are the resource-based policies of the resource (an
	// S3 bucket policy); the edge evaluates them with the caller's
	// identity-based policies, and alone for anonymous callers.
	ResourcePolicies []policy.NamedPolicy
	// NoAuthorization marks operations any authenticated caller may call
	// (sts:GetCallerIdentity needs no permission).
	NoAuthorization bool
	// SelfAuthorized marks operations whose handler evaluates policies
	// itself (sts:AssumeRole combines the role's trust policy with the
	// caller's identity policies).
	SelfAuthorized bool
}

// Describer is implemented by every service behind the edge: it maps a
// request to its Call without changing anything. It may read the body but
// must leave r.Body readable again.
type Describer interface {
	Describe(r *http.Request) (Call, error)
}

// Authorizer answers authorization questions a handler asks while serving
// a request, such as iam:PassRole when a role ARN is handed to a service.
type Authorizer interface {
	// Authorize returns nil when the request's caller may perform action on
	// resource with the given extra condition keys, else the AWS-shaped
	// AccessDenied error for the caller's protocol.
	Authorize(ctx context.Context, action, resource string, context map[string][]string) error
}

type authorizerKey struct{}

// WithAuthorizer stores an Authorizer in ctx.
func WithAuthorizer(ctx context.Context, a Authorizer) context.Context {
	return context.WithValue(ctx, authorizerKey{}, a)
}

// AuthorizerFrom returns the request's Authorizer; without one (IAM off, or
// a handler used alone in a test) everything is allowed.
func AuthorizerFrom(ctx context.Context) Authorizer {
	if a, ok := ctx.Value(authorizerKey{}).(Authorizer); ok {
		return a
	}
	return allowAll{}
}

type allowAll struct{}

func (allowAll) Authorize(context.Context, string, string, map[string][]string) error { return nil }

// Credentials are the caller's signing credentials, for services that act
// on the caller's behalf (Things Graph deploying with the caller's
// permissions). They never leave the process.
type Credentials struct {
	AccessKeyID, SecretAccessKey, SessionToken string
}

type credentialsKey struct{}

// WithCallerCredentials stores the caller's credentials in ctx.
func WithCallerCredentials(ctx context.Context, c Credentials) context.Context {
	return context.WithValue(ctx, credentialsKey{}, c)
}

// CallerCredentials returns the caller's credentials, if the edge verified them.
func CallerCredentials(ctx context.Context) (Credentials, bool) {
	c, ok := ctx.Value(credentialsKey{}).(Credentials)
	return c, ok
}
