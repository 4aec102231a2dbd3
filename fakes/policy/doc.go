// Package policy is tgsim's IAM policy engine: it parses policy documents
// and decides requests against them, offline, the way AWS IAM does for a
// request within one account.
//
// # What is implemented
//
// Parse reads a JSON policy (identity-based, resource-based, permissions
// boundary or session policy: the grammar is the same) and compiles it once:
// action patterns for case-insensitive matching, wildcard patterns, CIDR
// blocks, dates, numbers, base64 and ARN patterns of condition values, and
// policy variables. A *Policy is immutable and safe for concurrent use.
// Errors are *SyntaxError values naming the element (a path such as
// "Statement[1].Condition.StringLike") and the line and column, for IAM's
// MalformedPolicyDocument.
//
// Evaluate decides a Request against a Set (identity-based, resource-based,
// permissions boundary, session policies) and reports which statements
// decided it, which kind of policy denied, the condition keys a matching
// statement needed and did not get (SimulatePrincipalPolicy's
// MissingContextValues), and any evaluation error.
//
// MatchWildcard is the '*' / '?' matcher. It keeps one backtrack point, so
// it is O(len(pattern)·len(value)) at worst, never exponential; compiled
// patterns use faster paths (exact, prefix, '*'-separated literals).
//
// # AWS documentation followed (IAM User Guide)
//
//   - reference_policies_elements_* (Version, Id, Statement, Sid, Effect,
//     Principal, NotPrincipal, Action, NotAction, Resource, NotResource,
//     Condition) and reference_policies_grammar: the document grammar.
//   - reference_policies_elements_condition_operators: every operator
//     family, "...IfExists", missing-key behaviour, Null.
//   - reference_policies_condition-single-vs-multi-valued-context-keys:
//     ForAnyValue / ForAllValues, including a missing key.
//   - reference_policies_variables: "${key}", defaults, "${*}" "${?}" "${$}",
//     variables with no value, Version 2012-10-17 only.
//   - reference_policies_evaluation-logic and
//     reference_policies_evaluation-logic_policy-eval-basics ("Policy
//     evaluation for requests within a single account"): explicit deny,
//     identity OR resource-based allow.
//   - access_policies_boundaries ("Permissions boundaries for IAM
//     entities") and access_policies ("Session policies"): boundaries and
//     session policies limit, except for resource-based grants to the exact
//     user or session ARN.
//
// The line implementing each rule cites its page as "// AWS: page, quote".
//
// # Readings of the documentation (where it left a choice)
//
//   - Permissions boundaries vs resource-based policies. The boundary page
//     says both that a boundary's implicit deny "does not limit the
//     permissions granted to an IAM user by a resource-based policy" and
//     that it "does limit the permissions granted to the ARN of the
//     underlying ... IAM user" (for sessions). tgsim reads it as: a
//     resource-based Allow whose Principal names the caller's exact IAM user
//     ARN, assumed-role session ARN or federated-user ARN is not limited by
//     a boundary nor by session policies; one that matches through a role
//     ARN, an account, "*" or NotPrincipal is limited like an
//     identity-based Allow.
//   - Role principals: a role ARN in Principal matches the role and every
//     session of it (arn:aws:sts::ACCT:assumed-role/NAME/SESSION). Session
//     ARNs carry no role path, so account, partition and role name decide.
//   - Fail closed (tgsim's rule, not AWS's): a condition that cannot be
//     evaluated (unparsable request value, or a policy value that becomes
//     unparsable after variable substitution) makes its statement neither
//     allow nor deny, and the whole result implicitDeny (never Allowed),
//     with Result.Err set and DeniedBy naming the kind of policy that held
//     the statement. An explicit Deny elsewhere still wins (explicitDeny).
//   - Unresolved variables: a Resource entry or condition value holding a
//     variable with no value (absent or multivalued key, no default)
//     matches nothing; so a negated operator over such a value is true,
//     as for any non-matching value. In NotResource, where matching nothing
//     would widen the statement, the statement does not apply at all.
//   - Substituted variable values and defaults are literal text: a context
//     value "*" does not become a wildcard.
//   - ArnEquals and ArnLike behave alike (both take wildcards, segment by
//     segment, case-sensitively), as the current operator page says; the
//     AWS .NET SDK's older text calls ArnLike case-insensitive.
//   - A condition key with several request values under a plain (non-set)
//     operator matches when any value does; a negated operator is then true
//     only when no value matches.
//   - DeniedBy when several kinds hold a matching Deny: the first of
//     identity-based, resource-based, boundary, session. For an implicit
//     deny: "identity-based policy" when nothing allowed, else the first
//     limiting kind that did not allow (boundary, then session policy).
//   - Result.Matched for an allow lists every matching Allow statement of
//     every kind, boundary and session policies included.
//   - Set.SessionPolicies non-nil but empty is a session with no
//     permissions (as GetFederationToken without a policy).
//   - MissingContextValues: keys (and value variables) of conditions of
//     statements whose action, principal and resource matched, absent from
//     the context, including under ...IfExists; Null's keys are never
//     missing.
//   - BinaryEquals: the request context carries binary values base64
//     encoded (Context values are strings); both sides are decoded and
//     compared byte for byte.
//   - Dates: RFC 3339 / ISO 8601 extended forms (with or without seconds,
//     fraction or zone; a bare date), the basic form 20060102T150405Z, and
//     integer epoch seconds. A digits-only value is always epoch seconds.
//
// # Divergences (deliberately stricter or simpler than AWS)
//
//   - Condition values of typed operators (Numeric, Date, Bool, Null,
//     BinaryEquals, IpAddress, Arn) are validated at Parse: a value that
//     cannot be parsed is a SyntaxError, where AWS may accept the document
//     and never match. ARN values must have six colon-separated parts (or
//     be "*").
//   - Duplicate JSON keys, duplicate condition operators and condition keys
//     that differ only in case are SyntaxErrors; JSON decoders keep the last.
//   - Element and operator names are case-sensitive ("Effect", "Allow",
//     "StringEquals"); condition key names are case-insensitive.
//   - Sid is not restricted to IAM's alphanumerics (other services allow
//     more); only emptiness and uniqueness are checked.
//   - Resource must be "*" or start with "arn:". Principal values of type
//     "AWS" must be "*", a 12-digit account or an ARN with an account;
//     partial wildcards in Principal are rejected, as AWS documents.
//   - An unterminated "${" in a 2012-10-17 policy is a SyntaxError.
//   - A statement without Resource/NotResource is accepted only when it has
//     a Principal (trust policies); which Principal rules apply to which
//     kind of policy is the calling service's decision (HasPrincipal).
//   - Principal is matched wherever a statement has one, whatever the kind
//     of policy. In a resource-based policy, a statement without Principal
//     allows nobody but its Deny applies to everybody (fail closed).
//   - Not modelled: SCPs and RCPs, cross-account evaluation, the root
//     user's implicit full access, VPC endpoint policies, ACLs.
package policy
