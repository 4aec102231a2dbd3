package iot

import (
	"context"
	"time"
)

// Thing is a registry entry. Attributes is never nil in values a Backend
// returns.
type Thing struct {
	Name       string
	ID         string
	ARN        string
	TypeName   string
	Attributes map[string]string
	// Version starts at 1 and grows by one with every UpdateThing.
	Version int64
}

// ThingUpdate is what UpdateThing changes. Nil/zero members leave the thing
// as it is.
type ThingUpdate struct {
	// TypeName, when non-empty, sets the thing type.
	TypeName string
	// RemoveType clears the thing type.
	RemoveType bool
	// Attributes, when non-nil, replaces the attributes (Merge false) or is
	// merged into them (Merge true). An empty value removes the attribute.
	Attributes map[string]string
	Merge      bool
	// ExpectedVersion, when non-nil, must equal the thing's version.
	ExpectedVersion *int64
}

// Certificate statuses (CertificateStatus in the model).
const (
	StatusActive   = "ACTIVE"
	StatusInactive = "INACTIVE"
	StatusRevoked  = "REVOKED"
)

// Certificate is an issued device certificate. The private key is never
// part of it.
type Certificate struct {
	ID           string // hex SHA-256 of the DER
	ARN          string
	PEM          string
	Status       string
	OwnedBy      string
	GenerationID string
	CreatedAt    time.Time
	ModifiedAt   time.Time
	NotBefore    time.Time
	NotAfter     time.Time
	// Mode is the certificateMode: "DEFAULT", or "SNI_ONLY" for a
	// certificate registered without a CA.
	Mode string
}

// ThingType is a registered thing type. SearchableAttributes is never nil
// in values a Backend returns.
type ThingType struct {
	Name                 string
	ID                   string
	ARN                  string
	Description          string
	SearchableAttributes []string
	Deprecated           bool
	DeprecatedAt         time.Time
	CreatedAt            time.Time
}

// ThingGroup is a static thing group. Attributes is never nil in values a
// Backend returns.
type ThingGroup struct {
	Name        string
	ID          string
	ARN         string
	Parent      string // "" for a root group
	Description string
	Attributes  map[string]string
	// Version starts at 1 and grows by one with every UpdateThingGroup.
	Version   int64
	CreatedAt time.Time
}

// ThingGroupUpdate is what UpdateThingGroup changes.
type ThingGroupUpdate struct {
	// Description, when non-nil, replaces the description.
	Description *string
	// Attributes, when non-nil, replaces the attributes (Merge false) or is
	// merged into them (Merge true). An empty value removes the attribute.
	Attributes map[string]string
	Merge      bool
	// ExpectedVersion, when non-nil, must equal the group's version.
	ExpectedVersion *int64
}

// Policy is an AWS IoT policy with its versions, oldest first.
type Policy struct {
	Name           string
	ARN            string
	DefaultVersion string
	GenerationID   string
	CreatedAt      time.Time
	ModifiedAt     time.Time
	Versions       []PolicyVersion
}

// Document returns the default version's document.
func (p Policy) Document() string {
	for _, v := range p.Versions {
		if v.ID == p.DefaultVersion {
			return v.Document
		}
	}
	return ""
}

// PolicyVersion is one version of a policy. IDs are "1", "2", ... and are
// never reused within a policy.
type PolicyVersion struct {
	ID        string
	Document  string
	CreatedAt time.Time
}

// PolicyTarget names what a policy is attached to: Kind "cert" with a
// certificate id, or "thinggroup" with a group name.
type PolicyTarget struct {
	Kind string
	ID   string
}

// Policy target kinds.
const (
	TargetCertificate = "cert"
	TargetThingGroup  = "thinggroup"
)

// TopicRule is a stored topic rule. Query is the parsed SQL; Backends store
// it as given (it is immutable).
type TopicRule struct {
	Name        string
	ARN         string
	SQL         string
	Query       *Query
	Description string
	Actions     []RuleAction
	ErrorAction *RuleAction
	Disabled    bool
	SQLVersion  string
	CreatedAt   time.Time
}

// RuleAction is one rule action: Kind is its member name in the model's
// Action shape ("republish", "lambda", "s3", ...), Params its JSON object.
type RuleAction struct {
	Kind   string
	Params []byte
}

// Backend stores the registry. Implementations are safe for concurrent use;
// every method applies completely or not at all, and values are copies.
type Backend interface {
	// CreateThing stores t (Version 1). If a thing of that name exists with
	// the same type and attributes it returns the stored thing and no
	// error; otherwise ResourceAlreadyExistsException.
	CreateThing(ctx context.Context, t Thing) (Thing, error)
	// GetThing returns ResourceNotFoundException for a missing thing.
	GetThing(ctx context.Context, name string) (Thing, error)
	// ListThings returns every thing, ordered by name.
	ListThings(ctx context.Context) ([]Thing, error)
	// UpdateThing applies u and bumps the version. ResourceNotFoundException,
	// VersionConflictException, or InvalidRequestException when the result
	// breaks the attribute limit.
	UpdateThing(ctx context.Context, name string, u ThingUpdate) (Thing, error)
	// DeleteThing removes a thing. A missing thing is not an error;
	// a version mismatch is VersionConflictException and attached principals
	// InvalidRequestException.
	DeleteThing(ctx context.Context, name string, expectedVersion *int64) error

	// PutCertificate stores a new certificate;
	// ResourceAlreadyExistsException when its ID is taken.
	PutCertificate(ctx context.Context, c Certificate) error
	// DeleteCertificate removes a certificate. ResourceNotFoundException;
	// CertificateStateException when it is ACTIVE; DeleteConflictException
	// when things are attached, or policies are and force is false (with
	// force, the policies are detached).
	DeleteCertificate(ctx context.Context, id string, force bool) error
	// GetCertificate returns ResourceNotFoundException for an unknown id.
	GetCertificate(ctx context.Context, id string) (Certificate, error)
	// ListCertificates returns every certificate, oldest first (ties by id).
	ListCertificates(ctx context.Context) ([]Certificate, error)
	// SetCertificateStatus changes the status (and ModifiedAt to at).
	// ResourceNotFoundException; CertificateStateException when the
	// certificate is REVOKED.
	SetCertificateStatus(ctx context.Context, id, status string, at time.Time) (Certificate, error)

	// AttachThingPrincipal links a certificate (by id) to a thing; attaching
	// twice is not an error. ResourceNotFoundException for either missing.
	AttachThingPrincipal(ctx context.Context, thing, certID string) error
	// DetachThingPrincipal unlinks them; detaching what is not attached is
	// not an error. ResourceNotFoundException for a missing thing.
	DetachThingPrincipal(ctx context.Context, thing, certID string) error
	// ThingPrincipals returns the certificate ids attached to a thing, sorted.
	ThingPrincipals(ctx context.Context, thing string) ([]string, error)
	// PrincipalThings returns the thing names a certificate is attached to,
	// sorted. ResourceNotFoundException for an unknown certificate.
	PrincipalThings(ctx context.Context, certID string) ([]string, error)

	// CreateThingType stores a new thing type; ResourceAlreadyExistsException
	// when the name is taken.
	CreateThingType(ctx context.Context, t ThingType) (ThingType, error)
	// GetThingType returns ResourceNotFoundException for a missing type.
	GetThingType(ctx context.Context, name string) (ThingType, error)
	// ListThingTypes returns every thing type, ordered by name.
	ListThingTypes(ctx context.Context) ([]ThingType, error)
	// DeprecateThingType marks a type deprecated at at (or undeprecates it
	// when undo). ResourceNotFoundException.
	DeprecateThingType(ctx context.Context, name string, undo bool, at time.Time) error
	// DeleteThingType removes a deprecated type that no thing uses.
	// ResourceNotFoundException; InvalidRequestException when it is not
	// deprecated or still in use.
	DeleteThingType(ctx context.Context, name string) error

	// CreateThingGroup stores a new group (Version 1). An identical group of
	// that name is returned as is; a different one is
	// ResourceAlreadyExistsException. A missing parent or too deep a tree
	// is InvalidRequestException.
	CreateThingGroup(ctx context.Context, g ThingGroup) (ThingGroup, error)
	// GetThingGroup returns ResourceNotFoundException for a missing group.
	GetThingGroup(ctx context.Context, name string) (ThingGroup, error)
	// ListThingGroups returns every group, ordered by name.
	ListThingGroups(ctx context.Context) ([]ThingGroup, error)
	// UpdateThingGroup applies u and bumps the version.
	// ResourceNotFoundException, VersionConflictException.
	UpdateThingGroup(ctx context.Context, name string, u ThingGroupUpdate) (ThingGroup, error)
	// DeleteThingGroup removes a group, its memberships and its policy
	// attachments. A missing group is not an error; a version mismatch is
	// VersionConflictException; child groups InvalidRequestException.
	DeleteThingGroup(ctx context.Context, name string, expectedVersion *int64) error
	// AddThingToThingGroup adds a thing to a group; adding twice is not an
	// error. ResourceNotFoundException for either missing;
	// LimitExceededException past 10 groups per thing.
	AddThingToThingGroup(ctx context.Context, group, thing string) error
	// RemoveThingFromThingGroup removes a thing from a group; removing a
	// non-member is not an error. ResourceNotFoundException for either
	// missing.
	RemoveThingFromThingGroup(ctx context.Context, group, thing string) error
	// ThingsInThingGroup returns the things directly in a group, sorted.
	// ResourceNotFoundException.
	ThingsInThingGroup(ctx context.Context, group string) ([]string, error)
	// ThingGroupsForThing returns the groups a thing is directly in,
	// sorted. ResourceNotFoundException.
	ThingGroupsForThing(ctx context.Context, thing string) ([]string, error)

	// CreatePolicy stores a policy whose Versions hold exactly its first
	// version. ResourceAlreadyExistsException when the name is taken.
	CreatePolicy(ctx context.Context, p Policy) (Policy, error)
	// GetPolicy returns ResourceNotFoundException for a missing policy.
	GetPolicy(ctx context.Context, name string) (Policy, error)
	// ListPolicies returns every policy, ordered by name.
	ListPolicies(ctx context.Context) ([]Policy, error)
	// DeletePolicy removes a policy. ResourceNotFoundException;
	// DeleteConflictException when it is attached or has non-default
	// versions.
	DeletePolicy(ctx context.Context, name string) error
	// CreatePolicyVersion adds a version (and makes it the default when
	// setDefault). ResourceNotFoundException; VersionsLimitExceededException
	// when the policy already has five versions.
	CreatePolicyVersion(ctx context.Context, name, document string, setDefault bool, at time.Time) (PolicyVersion, error)
	// SetDefaultPolicyVersion makes a version the default.
	// ResourceNotFoundException for a missing policy or version.
	SetDefaultPolicyVersion(ctx context.Context, name, versionID string, at time.Time) error
	// DeletePolicyVersion removes a non-default version.
	// ResourceNotFoundException; DeleteConflictException for the default.
	DeletePolicyVersion(ctx context.Context, name, versionID string) error
	// AttachPolicy attaches a policy to a target; attaching twice is not an
	// error. ResourceNotFoundException for a missing policy or target;
	// LimitExceededException past 10 policies per target.
	AttachPolicy(ctx context.Context, name string, target PolicyTarget) error
	// DetachPolicy detaches it; detaching what is not attached is not an
	// error. ResourceNotFoundException for a missing policy.
	DetachPolicy(ctx context.Context, name string, target PolicyTarget) error
	// PolicyTargets returns the ARNs of a policy's targets, sorted.
	// ResourceNotFoundException.
	PolicyTargets(ctx context.Context, name string) ([]string, error)
	// AttachedPolicies returns the names of the policies attached to a
	// target, sorted. ResourceNotFoundException for a missing target.
	AttachedPolicies(ctx context.Context, target PolicyTarget) ([]string, error)

	// PutTopicRule stores a rule. With replace false a taken name is
	// ResourceAlreadyExistsException; with replace true a missing one is
	// UnauthorizedException (AWS's answer) and CreatedAt is kept.
	PutTopicRule(ctx context.Context, r TopicRule, replace bool) error
	// GetTopicRule returns UnauthorizedException for a missing rule.
	GetTopicRule(ctx context.Context, name string) (TopicRule, error)
	// ListTopicRules returns every rule, ordered by name.
	ListTopicRules(ctx context.Context) ([]TopicRule, error)
	// DeleteTopicRule removes a rule; UnauthorizedException when missing.
	DeleteTopicRule(ctx context.Context, name string) error
	// SetTopicRuleDisabled enables or disables a rule;
	// UnauthorizedException when missing.
	SetTopicRuleDisabled(ctx context.Context, name string, disabled bool) error
}

// Attribute limits. AWS: IoT developer guide, "Thing types": things with a
// thing type can have up to 50 attributes, things without one up to three.
const (
	maxAttributesUntyped = 3
	maxAttributesTyped   = 50
	// AWS: IoT quotas — 3 searchable attributes per thing type, 10 groups
	// per thing, a group hierarchy at most 7 deep, 5 versions per policy,
	// 10 policies per target.
	maxSearchableAttributes = 3
	maxGroupsPerThing       = 10
	maxGroupDepth           = 7
	maxPolicyVersions       = 5
	maxPoliciesPerTarget    = 10
)
