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
// Implemented. IAM: users (Create/Get/List/Delete, Tag/Untag/ListUserTags),
// groups and membership, roles (Create/Get/List/Update/Delete,
// UpdateAssumeRolePolicy, tags), access keys (Create/List/Update/Delete,
// GetAccessKeyLastUsed), managed policies and their versions, attach,
// detach and list for users, groups and roles, ListEntitiesForPolicy,
// inline policies of users, groups and roles, permissions boundaries of
// users and roles, SimulatePrincipalPolicy and SimulateCustomPolicy.
// STS: GetCallerIdentity, AssumeRole, GetSessionToken. Other actions answer
// 400 InvalidAction "Could not find operation X for version V"; a request
// without Action answers 400 MissingAction.
//
// For the edge (auth.go): Authenticate maps an access key id to the secret
// that verifies its signature and the awsproto.Caller it proves; Policies
// returns the policy.Set that applies to a caller; RoleByARN finds a role
// and its parsed trust policy. Handlers read the caller from
// awsproto.RequestInfo; without one (a bare test server) the caller is the
// account's root user.
//
// Storage. Service keeps the account behind Backend: Memory (the default)
// or Bolt, a bbolt file opened with OpenBolt and closed with Close. Bolt
// holds the whole state in an embedded Memory that answers reads, and
// stores one JSON record per user (with its inline policies, attached
// policy ARNs and groups), group (with its members), role, access key,
// managed policy (with all its versions) and STS session, in one bucket
// per record type. Policy documents are stored as the text that was sent
// (trust, inline, version and session policies) and parsed again by
// fakes/policy when the file is opened; a document that no longer parses
// fails OpenBolt. Every mutation is one bbolt transaction, fsynced before
// the method returns, that writes every record the mutation changed
// (AddUserToGroup writes the user and the group together); if the write
// fails, the in-memory change is undone and the error returned. A process
// killed at any instant therefore reopens with each mutation either wholly
// applied or not at all. The file holds secrets — the secret access keys of
// users (the edge verifies signatures with them after a restart) and of
// temporary credentials with their session tokens — and is created with
// mode 0600. Reads may see a mutation a moment before its transaction
// commits (and, if the commit fails, a moment before it is undone).
//
// Behaviour taken from AWS documentation:
//   - Names of users, groups, roles and managed policies are unique and
//     found regardless of case. Inline policy names are exact.
//   - Every policy document is parsed by fakes/policy when stored; a
//     grammar error is MalformedPolicyDocument carrying the engine's
//     message. Trust and resource policies must name a Principal; identity
//     policies must not.
//   - Policy documents are answered URL-encoded, as IAM does.
//   - Quotas: 2 access keys per user, 10 groups per user, 10 managed
//     policies per entity, 5 versions per policy, 50 tags (LimitExceeded).
//   - Deleting a user, group, role or policy that still has what AWS asks
//     to remove first is DeleteConflict.
//   - AssumeRole follows single-account evaluation (see mayAssume): a
//     trust policy naming the caller grants on its own; one naming only the
//     account needs an identity policy allowing sts:AssumeRole too; an
//     explicit deny anywhere wins. Root cannot assume roles; role chaining
//     caps a session at one hour.
//   - Simulator statement positions follow AWS's reported columns.
//   - Member constraints (lengths, patterns, ranges) from the model are
//     ValidationError with AWS's "1 validation error detected" wording.
//   - Timestamps are ISO 8601 in UTC with second precision.
//
// Deliberate differences:
//   - Only AdministratorAccess is preloaded among AWS managed policies.
//   - Root access keys come from Options, not CreateAccessKey; the access
//     key operations need a UserName when the caller is root.
//   - GetAccessKeyLastUsed always reports a key as never used (N/A);
//     RoleLastUsed and PasswordLastUsed are never filled in. There are no
//     login profiles, MFA devices, instance profiles, OIDC/SAML providers.
//   - AssumeRole ignores SerialNumber/TokenCode, SourceIdentity and
//     TransitiveTagKeys; PackedPolicySize is an estimate. Temporary
//     credentials are never removed (expired ones are kept so the verifier
//     can say ExpiredToken): in memory they live until the process ends, in
//     a Bolt file for good.
//   - Simulations do not fill in EvalDecisionDetails, ResourceSpecificResults
//     or OrganizationsDecisionDetail, and ignore ResourceOwner and
//     ResourceHandlingOption. Input policies report SourcePolicyType
//     "IAM Policy", as AWS does although the model's enum lacks it.
//   - Some error messages AWS does not document are worded here (marked
//     "Divergence: wording" at the call site).
package iam
