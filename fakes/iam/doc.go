// Package iam is the fake AWS Identity and Access Management and AWS
// Security Token Service: two Query-protocol APIs (form-encoded Action and
// Version parameters in a POST body or GET query, XML answers) served from
// one package because they share the account's identities.
//
// Models followed (aws-sdk-go v1.55.8 models/apis): iam/2010-05-08
// (namespace https://iam.amazonaws.com/doc/2010-05-08/) and sts/2011-06-15
// (https://sts.amazonaws.com/doc/2011-06-15/). Service.IAM and Service.STS
// return the two handlers; the edge routes credential-scope service "iam"
// and "sts" to them. Service itself routes by the SigV4 credential scope
// too, so a single test server serves both clients.
//
// Implemented: STS GetCallerIdentity; IAM CreateRole, GetRole, ListRoles,
// DeleteRole, GetUser (the caller only). Other actions answer 400
// InvalidAction "Could not find operation X for version V"; a request
// without Action answers 400 MissingAction.
//
// Behaviour taken from AWS documentation:
//   - Role names are unique regardless of case, and found regardless of case.
//   - Policy documents are answered URL-encoded, as IAM does; a trust policy
//     that is not a JSON object is MalformedPolicyDocument.
//   - Member constraints (lengths, patterns, ranges) from the model are
//     ValidationError with AWS's "1 validation error detected" wording.
//   - Timestamps are ISO 8601 in UTC with second precision.
//
// Deliberate differences (for now):
//   - Every caller is the account's root user: credentials are not checked
//     and there are no users, access keys or policies yet. GetUser with a
//     UserName answers NoSuchEntity. SigV4 verification and the policy
//     engine come later (see Backend; identity.go is the seam).
//   - Trust policies are checked to be JSON objects, not against the IAM
//     policy grammar; PermissionsBoundary ARNs are stored unchecked.
//   - RoleLastUsed is never filled in.
package iam
