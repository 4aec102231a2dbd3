package policy

// This file is the engine's contract: the types and functions other packages
// (the IAM service, the edge, later the IoT data plane and S3 bucket
// policies) call. Implementations live in the other files of the package.

// Effect is a statement's Effect.
type Effect string

// Effects.
const (
	Allow Effect = "Allow"
	Deny  Effect = "Deny"
)

// Decision is the outcome of an evaluation, spelled as IAM's
// SimulatePrincipalPolicy reports it (EvalDecision).
type Decision string

// Decisions.
const (
	Allowed      Decision = "allowed"
	ExplicitDeny Decision = "explicitDeny"
	ImplicitDeny Decision = "implicitDeny"
)

// Principal is who makes a request, as resource-based policies (role trust
// policies, bucket policies) match it in Principal / NotPrincipal.
type Principal struct {
	// Type is "AWS", "Service", "Federated" or "CanonicalUser".
	Type string
	// ID is the ARN (AWS), the service principal (iotthingsgraph.amazonaws.com), ...
	ID string
	// Account is the principal's account id (an "AWS": "123456789012" or
	// "arn:aws:iam::123456789012:root" principal matches every principal of
	// the account).
	Account string
}

// Request is one authorization question.
type Request struct {
	Action    string // "iotthingsgraph:DeploySystemInstance"; matched case-insensitively
	Resource  string // an ARN, or "*"; matched case-sensitively
	Principal *Principal
	// Context holds condition keys and their values. Keys are matched
	// case-insensitively (store them through Context.Set); values are
	// strings as AWS passes them ("true", RFC 3339 dates, epoch seconds, IPs).
	Context Context
}

// Context is a set of condition keys, case-insensitive.
type Context map[string][]string

// Options makes the engine pluggable per service (AWS IoT policies use their
// own variables and resource forms).
type Options struct {
	// MatchResource reports whether a Resource/NotResource pattern (after
	// variable substitution) matches the request's resource. Nil means
	// IAM's rule: '*' and '?' wildcards, case-sensitive.
	MatchResource func(pattern, resource string) bool
}

// Match identifies one statement that took part in a decision.
type Match struct {
	PolicyID  string // the NamedPolicy's ID
	Statement int    // index in the policy's Statement list
	Sid       string
	Effect    Effect
	// Kind is the kind of policy the statement is in: KindIdentity,
	// KindResource, KindBoundary or KindSession.
	Kind string
}

// NamedPolicy is a parsed policy with the name it is reported under
// (a managed policy ARN, "user/bob/inline/AllowTG", "role trust policy", ...).
type NamedPolicy struct {
	ID     string
	Policy *Policy
}

// Set is every policy that applies to one request, as IAM combines them for
// a request within one account.
type Set struct {
	Identity []NamedPolicy // the principal's identity-based policies
	Resource []NamedPolicy // resource-based policies of the target resource
	// Boundary, when non-nil, is the permissions boundary: it only limits.
	Boundary *NamedPolicy
	// SessionPolicies, when non-nil, limit an assumed-role session.
	SessionPolicies []NamedPolicy
}

// Policy kinds, as Result.DeniedBy and Match.Kind spell them.
const (
	KindIdentity = "identity-based policy"
	KindResource = "resource-based policy"
	KindBoundary = "permissions boundary"
	KindSession  = "session policy"
)

// Result is a decision and the statements that decided it: the matching
// Deny statements for explicitDeny, the matching Allow statements for
// allowed, none for implicitDeny.
type Result struct {
	Decision Decision
	Matched  []Match
	// DeniedBy says which kind of policy caused a deny, for AWS's message
	// ("... because no identity-based policy allows ...", "... with an
	// explicit deny in an identity-based policy", "... because no
	// permissions boundary allows ...").
	DeniedBy string // "identity-based policy", "resource-based policy", "permissions boundary", "session policy"
	// MissingContextValues lists condition keys a matching statement needed
	// that the request did not supply (SimulatePrincipalPolicy reports them).
	MissingContextValues []string
	// Err, when non-nil, is why a statement could not be evaluated (an
	// unparsable date, number, IP address or base64 value in the request
	// context, say). The engine fails closed: with Err set the decision is
	// never Allowed (explicitDeny if some Deny matched regardless,
	// otherwise implicitDeny with DeniedBy naming the kind of policy that
	// held the statement).
	Err error
}
