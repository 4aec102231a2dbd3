// Package iot is the fake AWS IoT control plane: the thing registry (things,
// thing types, static thing groups), X.509 certificates issued or
// registered against a per-account CA, thing–principal attachments, IoT
// policies with versions and attachments, topic rules with a parsed SQL
// statement, and DescribeEndpoint. It speaks REST-JSON as the API model
// iot/2015-05-28 (models/apis/iot/2015-05-28/api-2.json in aws-sdk-go
// v1.55.8) describes: method + path routing, camelCase members, errors as
// {"message": ...} with the code in X-Amzn-ErrorType.
//
// Operations:
//   - Things: CreateThing, DescribeThing, ListThings, UpdateThing,
//     DeleteThing, AttachThingPrincipal, DetachThingPrincipal,
//     ListThingPrincipals, ListPrincipalThings.
//   - Thing types: CreateThingType, DescribeThingType, ListThingTypes,
//     DeprecateThingType, DeleteThingType.
//   - Static thing groups: CreateThingGroup, DescribeThingGroup,
//     ListThingGroups, UpdateThingGroup, DeleteThingGroup,
//     AddThingToThingGroup, RemoveThingFromThingGroup,
//     ListThingsInThingGroup, ListThingGroupsForThing.
//   - Certificates: CreateKeysAndCertificate, RegisterCertificate,
//     RegisterCertificateWithoutCA, DescribeCertificate, UpdateCertificate,
//     ListCertificates, DeleteCertificate.
//   - Policies: CreatePolicy, GetPolicy, ListPolicies, DeletePolicy,
//     CreatePolicyVersion, GetPolicyVersion, ListPolicyVersions,
//     SetDefaultPolicyVersion, DeletePolicyVersion, AttachPolicy,
//     DetachPolicy, ListAttachedPolicies, ListTargetsForPolicy.
//   - Topic rules: CreateTopicRule, GetTopicRule, ListTopicRules,
//     ReplaceTopicRule, DeleteTopicRule, EnableTopicRule, DisableTopicRule.
//   - DescribeEndpoint.
//
// Any other path is 404 UnknownOperationException. Describe maps every
// operation to its IAM action and resource (thing/NAME, thingtype/NAME,
// thinggroup/NAME, cert/ID, policy/NAME, rule/NAME) for the edge.
//
// Certificates are real: CreateKeysAndCertificate generates a key pair and
// an X.509 client certificate signed by a CA that the Service creates in New
// and keeps for its lifetime, or across restarts with a CAStore backend
// (CACertPEM), so an MQTT broker or a Greengrass
// core can verify devices against it (VerifyClientCertificate). The private
// key is returned once in the response and never stored or logged.
//
// Storage: the registry lives behind Backend. NewMemory (the default) keeps
// it in memory; OpenBolt keeps it in a bbolt file as well — things,
// certificates (PEM, status, dates; never a device private key), thing
// types, thing groups, thing–principal links, group memberships, policies
// with their versions and next version id, policy attachments and topic
// rules (the SQL, parsed again on load), one bucket per record type, JSON
// values. Each mutating call is validated against the in-memory copy and
// then written in one bbolt transaction, which bbolt fsyncs before the
// call returns; a failed write leaves file and memory unchanged. A process
// killed at any moment therefore reopens with every acknowledged call and
// no part of an unacknowledged one (no half-deleted group, no attachment
// without its certificate). Bolt also implements CAStore, so a Service
// built on a reopened file reuses the same CA (certificate and private
// key, stored in the file) and certificates issued before a restart still
// verify.
//
// For the data planes: VerifyClientCertificate (chain, registration,
// ACTIVE, attached things), PoliciesForCertificate (default documents of
// the policies on a certificate and on its things' groups and their
// ancestors) and TopicRules (rules with their parsed Query).
//
// Behaviour taken from AWS documentation rather than the model:
//   - CreateThing and CreateThingGroup are idempotent for an identical
//     request and answer ResourceAlreadyExistsException (409) for a
//     different one.
//   - DeleteThing and DeleteThingGroup of a missing resource succeed;
//     deleting a thing that still has principals is InvalidRequestException;
//     a group with child groups likewise.
//   - A thing has at most 3 attributes without a thing type, 50 with one.
//     An empty attribute value in UpdateThing removes the attribute.
//     ListThings by attribute finds a typed thing only by its type's
//     searchable attributes (at most 3).
//   - A thing type must exist for CreateThing/UpdateThing
//     (ResourceNotFoundException); a deprecated one takes no new things
//     (InvalidRequestException) and can be deleted once no thing uses it.
//   - Quotas: 10 groups per thing and 10 policies per target
//     (LimitExceededException, 410), group trees 7 deep, 5 versions per
//     policy (VersionsLimitExceededException), 10 actions per rule, policy
//     documents of 2048 non-space characters.
//   - DeleteCertificate: ACTIVE is CertificateStateException (406, the
//     model's status); attached things are DeleteConflictException;
//     attached policies too unless forceDelete, which detaches them.
//   - DeletePolicy: DeleteConflictException while attached or while
//     non-default versions exist; DeletePolicyVersion of the default version
//     is DeleteConflictException.
//   - Topic rules: a missing rule is UnauthorizedException (401) — the
//     model lists no ResourceNotFoundException for rule operations. Every
//     action (and errorAction) with a roleArn needs iam:PassRole on it with
//     iam:PassedToService iot.amazonaws.com, asked through
//     awsproto.AuthorizerFrom.
//   - Policy documents must be JSON with Version "2012-10-17" and Statement
//     entries with Effect, Action (iot:* forms; greengrass: also accepted)
//     and Resource; otherwise MalformedPolicyException.
//
// Topic rule SQL is parsed by a small recursive-descent parser (ParseSQL):
// SELECT <* | expr [AS alias], ...> FROM '<topic filter>' [WHERE cond]
// with literals, payload references (a.b, a[0], "quoted"), the functions
// listed in sqlFunctions (topic, clientid, principal, timestamp, newuuid,
// encode/decode base64, string and number functions), + - * / % ||,
// = <> != < <= > >=, AND, OR, NOT. A parse error is SqlParseException
// (400) with line:column. Query.Evaluate (sqleval.go) runs a statement
// against a message with AWS's Undefined semantics.
//
// The rules engine (engine.go, NewRulesEngine) runs the enabled rules
// against every message the data plane hands it, on one goroutine in
// arrival order: republish (with substitution templates; the action's
// role must trust iot.amazonaws.com and allow iot:Publish) and lambda
// (to functions the harness hosts, such as the Things Graph cloud
// runtime). Other action kinds fail as an action whose target does not
// exist fails in AWS, and a failed action runs the rule's errorAction
// with AWS's error message document.
//
// Deliberate differences:
//   - One registry serves every region; ARNs carry the region of the request
//     that created the resource (RequestInfo from the edge, else
//     Options.Region).
//   - DeleteThingType works as soon as the type is deprecated; AWS waits
//     five minutes after DeprecateThingType.
//   - Billing groups, dynamic thing groups, tags, CA registration
//     (RegisterCACertificate) and certificate transfer are not modelled:
//     billingGroupName is rejected with InvalidRequestException, tags are
//     accepted and dropped, and the account CA is the only registered CA
//     (RegisterCertificate with another caCertificatePem is
//     CertificateValidationException).
//   - A missing parentGroupName in CreateThingGroup is
//     InvalidRequestException (the model lists no ResourceNotFoundException
//     there).
//   - Principals and policy targets are certificate ARNs (and thing group
//     ARNs for policies) only, no Cognito identities.
//   - The SQL subset has the functions above; other AWS IoT SQL functions,
//     CASE, IN, nested SELECT and the differences between SQL versions are
//     not modelled (SqlParseException for what does not parse). ListTopicRules' topic filter keeps
//     rules whose FROM filter equals the topic or matches it.
//   - Keys are ECDSA P-256 by default (Options.KeyAlgorithm "RSA_2048" gives
//     AWS's RSA 2048); the issuer is the fake CA, not Amazon's.
//   - ResourceAlreadyExistsException carries only "message", not
//     resourceId/resourceArn (awsproto.WriteJSONError writes code+message).
//   - DescribeEndpoint answers Options.DataEndpoint (host:port) for every
//     data endpoint type; AWS answers a host name without port.
//   - No throttling; SigV4 and IAM run at the edge.
package iot
