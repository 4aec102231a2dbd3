package edge

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/tgsim/tgsim/fakes/awsproto"
	"github.com/tgsim/tgsim/fakes/policy"
	"github.com/tgsim/tgsim/fakes/sigv4"
)

// Mode is how the edge applies IAM.
type Mode string

// Modes.
const (
	// ModeOff trusts the credential scope and treats every caller as root.
	ModeOff Mode = "off"
	// ModeSoft verifies and evaluates everything, logs and records what
	// would be denied, and lets it through.
	ModeSoft Mode = "soft"
	// ModeEnforce refuses bad signatures and denied requests, as AWS does.
	ModeEnforce Mode = "enforce"
)

// ParseMode reads a Mode name.
func ParseMode(s string) (Mode, error) {
	switch m := Mode(s); m {
	case ModeOff, ModeSoft, ModeEnforce:
		return m, nil
	}
	return "", fmt.Errorf("IAM mode %q: expected off, soft or enforce", s)
}

// Identity resolves credentials and policies; the IAM fake implements it.
type Identity interface {
	// Authenticate resolves an access key id to its secret and caller.
	Authenticate(accessKeyID string) (sigv4.Key, awsproto.Caller, bool)
	// Policies returns every policy that applies to the caller's requests.
	Policies(caller awsproto.Caller) (policy.Set, error)
}

// Decision is one authorization outcome, kept so a scenario (or a person)
// can see what was decided and why.
type Decision struct {
	Time      time.Time
	RequestID string
	Caller    string // ARN
	Service   string
	Operation string
	Action    string
	Resource  string
	Decision  policy.Decision
	DeniedBy  string
	Matched   []policy.Match
	// Enforced is false when the mode let a denial through (soft).
	Enforced bool
	Message  string
}

// DecisionLog keeps the most recent decisions.
type DecisionLog struct {
	mu   sync.Mutex
	buf  []Decision
	next int
	full bool
}

// NewDecisionLog returns a log that keeps the last n decisions.
func NewDecisionLog(n int) *DecisionLog { return &DecisionLog{buf: make([]Decision, n)} }

func (l *DecisionLog) add(d Decision) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf[l.next] = d
	l.next = (l.next + 1) % len(l.buf)
	if l.next == 0 {
		l.full = true
	}
}

// All returns the kept decisions, oldest first.
func (l *DecisionLog) All() []Decision {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.full {
		return append([]Decision(nil), l.buf[:l.next]...)
	}
	return append(append([]Decision(nil), l.buf[l.next:]...), l.buf[:l.next]...)
}

// authorizer answers authorization questions for one request; handlers
// reach it through awsproto.AuthorizerFrom (iam:PassRole).
type authorizer struct {
	e       *Edge
	r       *http.Request
	caller  awsproto.Caller
	set     *policy.Set // nil for root
	service string
	proto   string // error shape
	wire    string // fakes/sigv4 protocol, for codes and statuses
	region  string
	op      string
}

// Authorize implements awsproto.Authorizer.
func (a *authorizer) Authorize(ctx context.Context, action, resource string, extra map[string][]string) error {
	return a.check(ctx, action, resource, extra, nil)
}

// rootPolicy stands for the root user's implicit permission to do anything
// in its account, so that a resource-based policy's explicit deny still
// applies to root (AWS: a bucket policy can deny the account's root user).
var rootPolicy = func() policy.NamedPolicy {
	p, err := policy.Parse(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)
	if err != nil {
		panic(err)
	}
	return policy.NamedPolicy{ID: "root", Policy: p}
}()

// check evaluates the caller's policies together with the resource's own
// (resourcePolicies, such as a bucket policy). An anonymous caller is the
// principal "*" and only resource-based policies can allow it.
func (a *authorizer) check(ctx context.Context, action, resource string, extra map[string][]string, resourcePolicies []policy.NamedPolicy) error {
	var set policy.Set
	principal := &policy.Principal{Type: "AWS", ID: a.caller.ARN, Account: a.caller.Account}
	switch {
	case a.caller.Anonymous():
		// AWS: reference_policies_elements_principal, "Anonymous users":
		// Principal "*" is how a resource-based policy grants them.
		set.Resource = resourcePolicies
		principal = &policy.Principal{Type: "AWS", ID: "*"}
	case a.set == nil: // root: every action of its own account
		if len(resourcePolicies) == 0 {
			return nil
		}
		set = policy.Set{Identity: []policy.NamedPolicy{rootPolicy}, Resource: resourcePolicies}
	default:
		set = *a.set
		if len(resourcePolicies) > 0 {
			set.Resource = append(append([]policy.NamedPolicy(nil), set.Resource...), resourcePolicies...)
		}
	}
	req := &policy.Request{
		Action: action, Resource: resource,
		Principal: principal,
		Context:   a.e.globalContext(a.r, a.caller, a.region),
	}
	for k, v := range extra {
		req.Context.Set(k, v...)
	}
	res := policy.Evaluate(set, req, policy.Options{})
	callerName := a.caller.ARN
	if a.caller.Anonymous() {
		callerName = "anonymous"
	}
	d := Decision{
		Time: a.e.opts.Now(), RequestID: awsproto.RequestID(ctx), Caller: callerName, Service: a.service,
		Operation: a.op, Action: action, Resource: resource, Decision: res.Decision, DeniedBy: res.DeniedBy, Matched: res.Matched,
	}
	if res.Decision == policy.Allowed {
		a.e.counters.decision(d)
		if a.e.opts.Decisions != nil {
			a.e.opts.Decisions.add(d)
		}
		return nil
	}
	d.Message = denialMessage(a.caller, action, resource, res)
	if a.caller.Anonymous() {
		d.Message = "Access Denied" // AWS tells anonymous callers no more
	}
	d.Enforced = a.e.opts.Mode == ModeEnforce
	a.e.counters.decision(d)
	if a.e.opts.Decisions != nil {
		a.e.opts.Decisions.add(d)
	}
	a.e.log.InfoContext(ctx, "access denied", "caller", a.caller.ARN, "action", action, "resource", resource,
		"decision", string(res.Decision), "denied_by", res.DeniedBy, "enforced", d.Enforced, "request_id", d.RequestID)
	if !d.Enforced {
		return nil
	}
	// AWS JSON 1.1 services answer AccessDeniedException with 400, REST-JSON
	// ones with 403; Query and S3 spell it AccessDenied (403).
	code, status := "AccessDeniedException", http.StatusForbidden
	switch a.wire {
	case sigv4.ProtocolJSON:
		status = http.StatusBadRequest
	case sigv4.ProtocolQuery, sigv4.ProtocolS3:
		code = "AccessDenied"
	}
	if a.service == "iotdata" {
		// AWS IoT's HTTPS data plane tells a caller IAM refuses no more
		// than 403 ForbiddenException "Forbidden" (not in its model, but
		// what every SDK reports, e.g. aws-sdk-js-v3 issue 5562, boto3
		// issue 1447); the decision record keeps the explanation.
		code, status = "ForbiddenException", http.StatusForbidden
		return awsproto.NewError(status, code, "Forbidden")
	}
	return awsproto.NewError(status, code, "%s", d.Message)
}

// denialMessage is AWS's explanation of a denial. AWS: IAM User Guide,
// "Troubleshoot access denied error messages".
func denialMessage(c awsproto.Caller, action, resource string, res policy.Result) string {
	// AWS writes "User: ..." for users, roots and assumed-role sessions alike.
	base := fmt.Sprintf("User: %s is not authorized to perform: %s on resource: %s", c.ARN, action, resource)
	by := res.DeniedBy
	if by == "" {
		by = "identity-based policy"
	}
	if res.Decision == policy.ExplicitDeny {
		return base + " with an explicit deny in " + article(by) + " " + by
	}
	return base + " because no " + by + " allows the " + action + " action"
}

func article(s string) string {
	if s != "" && (s[0] == 'i' || s[0] == 'a' || s[0] == 'e' || s[0] == 'o' || s[0] == 'u') {
		return "an"
	}
	return "a"
}

// globalContext builds the global condition keys tgsim supplies.
// AWS: IAM User Guide, "AWS global condition context keys".
func (e *Edge) globalContext(r *http.Request, c awsproto.Caller, region string) policy.Context {
	ctx := policy.Context{}
	now := e.opts.Now().UTC()
	principalArn := c.ARN
	if c.Type == "AssumedRole" && c.RoleARN != "" {
		principalArn = c.RoleARN // aws:PrincipalArn is the role's ARN for a session
	}
	if !c.Anonymous() { // AWS: the principal keys are absent for anonymous requests
		ctx.Set("aws:PrincipalArn", principalArn)
		ctx.Set("aws:PrincipalAccount", c.Account)
		ctx.Set("aws:userid", c.UserID)
	}
	switch c.Type {
	case "Root":
		ctx.Set("aws:PrincipalType", "Account")
	case "User":
		ctx.Set("aws:PrincipalType", "User")
		ctx.Set("aws:username", c.Name)
	case "AssumedRole":
		ctx.Set("aws:PrincipalType", "AssumedRole")
	}
	for k, v := range c.Tags {
		ctx.Set("aws:PrincipalTag/"+k, v)
	}
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		ctx.Set("aws:SourceIp", host)
	}
	ctx.Set("aws:SecureTransport", strconv.FormatBool(r.TLS != nil))
	ctx.Set("aws:CurrentTime", now.Format(time.RFC3339))
	ctx.Set("aws:EpochTime", strconv.FormatInt(now.Unix(), 10))
	ctx.Set("aws:RequestedRegion", region)
	return ctx
}
