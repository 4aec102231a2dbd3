package iam

import (
	"context"
	"time"

	"github.com/tgsim/tgsim/fakes/policy"
)

// Kind names the IAM entities that hold policies.
type Kind string

// Entity kinds. The strings are the SourcePolicyType values
// SimulatePrincipalPolicy reports for their inline policies.
const (
	KindUser  Kind = "user"
	KindGroup Kind = "group"
	KindRole  Kind = "role"
)

// Role is an IAM role.
type Role struct {
	Path        string
	Name        string
	ID          string // "AROA" + 17 characters
	ARN         string
	CreatedAt   time.Time
	Description string
	// TrustPolicy is the AssumeRolePolicyDocument as sent (not URL-encoded).
	TrustPolicy string
	// Trust is TrustPolicy parsed. Parsed policies are immutable and shared.
	Trust               *policy.Policy
	MaxSessionDuration  int
	PermissionsBoundary string // a managed policy ARN, or ""
	Tags                []Tag
}

// User is an IAM user.
type User struct {
	Path                string
	Name                string
	ID                  string // "AIDA" + 17 characters
	ARN                 string
	CreatedAt           time.Time
	PermissionsBoundary string // a managed policy ARN, or ""
	Tags                []Tag
}

// Group is an IAM group.
type Group struct {
	Path      string
	Name      string
	ID        string // "AGPA" + 17 characters
	ARN       string
	CreatedAt time.Time
}

// Tag is a key-value pair attached to an IAM entity.
type Tag struct{ Key, Value string }

// Access key statuses (statusType).
const (
	StatusActive   = "Active"
	StatusInactive = "Inactive"
)

// AccessKey is a user's long-term credential.
type AccessKey struct {
	ID        string // "AKIA" + 16 characters
	Secret    string
	UserName  string
	Status    string // StatusActive or StatusInactive
	CreatedAt time.Time
}

// ManagedPolicy is a customer or AWS managed policy.
type ManagedPolicy struct {
	ARN         string
	Name        string
	ID          string // "ANPA" + 17 characters
	Path        string
	Description string
	CreatedAt   time.Time
	UpdatedAt   time.Time
	// AWSManaged policies live under arn:aws:iam::aws:policy/ and cannot be
	// changed by the account.
	AWSManaged     bool
	DefaultVersion string
	// Versions in creation order.
	Versions []PolicyVersion
	// NextVersion numbers the next version; ids are never reused.
	NextVersion int
	Tags        []Tag
	// AttachmentCount and BoundaryCount are filled in on read.
	AttachmentCount int
	BoundaryCount   int
}

// PolicyVersion is one version of a managed policy.
type PolicyVersion struct {
	ID        string // "v1", "v2", ...
	Document  string // as sent, not URL-encoded
	Parsed    *policy.Policy
	CreatedAt time.Time
}

// Default returns the default version.
func (p ManagedPolicy) Default() PolicyVersion {
	for _, v := range p.Versions {
		if v.ID == p.DefaultVersion {
			return v
		}
	}
	return PolicyVersion{}
}

// InlinePolicy is a policy embedded in one user, group or role.
type InlinePolicy struct {
	Name     string
	Document string // as sent, not URL-encoded
	Parsed   *policy.Policy
}

// EntityRef names an entity a managed policy is attached to.
type EntityRef struct {
	Kind Kind
	Name string
	ID   string
	Path string
}

// Session is a set of temporary credentials issued by STS.
type Session struct {
	AccessKeyID     string // "ASIA" + 16 characters
	SecretAccessKey string
	SessionToken    string
	Expires         time.Time
	// For AssumeRole sessions: the role and the session name.
	RoleName, RoleARN, RoleID, SessionName string
	// For GetSessionToken sessions: the user.
	UserName string
	// Policies are the session policies (the Policy parameter and the
	// PolicyArns); nil when none were passed.
	Policies []policy.NamedPolicy
	// PolicyDocuments are the texts Policies were parsed from, in the same
	// order (what a persistent Backend stores and parses again).
	PolicyDocuments []string
	Tags            []Tag
}

// GrantSource is one policy that applies to an entity, with where it
// comes from.
type GrantSource struct {
	// Kind and Entity own the policy: the user itself, one of its groups,
	// or the role.
	Kind   Kind
	Entity string
	// Inline policies have Name and no ARN; managed ones have both.
	Name       string
	ARN        string
	AWSManaged bool
	Document   string
	Parsed     *policy.Policy
}

// Grants is a consistent snapshot of every identity policy of a user
// (with its groups'), a group or a role, and its permissions boundary.
type Grants struct {
	Policies []GrantSource
	Boundary *GrantSource
}

// Backend stores the IAM entities of one account. Implementations are safe
// for concurrent use; every method applies completely or not at all and
// hands out copies. Names of users, groups, roles and managed policies are
// unique and found regardless of case; inline policy names are exact.
type Backend interface {
	// CreateRole stores r. A role with the same name in any letter case
	// exists: EntityAlreadyExists.
	CreateRole(ctx context.Context, r Role) (Role, error)
	// GetRole finds a role by name. NoSuchEntity if none.
	GetRole(ctx context.Context, name string) (Role, error)
	// ListRoles returns the roles whose path starts with pathPrefix, ordered
	// by name.
	ListRoles(ctx context.Context, pathPrefix string) ([]Role, error)
	// DeleteRole removes a role. NoSuchEntity if none; DeleteConflict while
	// it has inline or attached policies.
	DeleteRole(ctx context.Context, name string) error
	// UpdateRole applies fn to the stored role and stores the result.
	// fn must not change the name or id. NoSuchEntity if none.
	UpdateRole(ctx context.Context, name string, fn func(*Role) error) (Role, error)

	// CreateUser stores u. EntityAlreadyExists if the name is taken;
	// NoSuchEntity if its permissions boundary policy does not exist.
	CreateUser(ctx context.Context, u User) (User, error)
	// GetUser finds a user by name. NoSuchEntity if none.
	GetUser(ctx context.Context, name string) (User, error)
	// ListUsers returns the users whose path starts with pathPrefix,
	// ordered by name.
	ListUsers(ctx context.Context, pathPrefix string) ([]User, error)
	// DeleteUser removes a user. NoSuchEntity if none; DeleteConflict while
	// it has access keys, inline or attached policies, or groups.
	DeleteUser(ctx context.Context, name string) error
	// UpdateUser applies fn to the stored user. NoSuchEntity if none.
	UpdateUser(ctx context.Context, name string, fn func(*User) error) (User, error)

	// CreateGroup stores g. EntityAlreadyExists if the name is taken.
	CreateGroup(ctx context.Context, g Group) (Group, error)
	// GetGroup finds a group and its members (ordered by name).
	// NoSuchEntity if none.
	GetGroup(ctx context.Context, name string) (Group, []User, error)
	// ListGroups returns the groups whose path starts with pathPrefix,
	// ordered by name.
	ListGroups(ctx context.Context, pathPrefix string) ([]Group, error)
	// DeleteGroup removes a group. NoSuchEntity if none; DeleteConflict
	// while it has members, inline or attached policies.
	DeleteGroup(ctx context.Context, name string) error
	// AddUserToGroup makes user a member (again: no change). NoSuchEntity
	// if either is missing; LimitExceeded past 10 groups per user.
	AddUserToGroup(ctx context.Context, group, user string) error
	// RemoveUserFromGroup ends a membership. NoSuchEntity if either is
	// missing or the user is not a member.
	RemoveUserFromGroup(ctx context.Context, group, user string) error
	// ListGroupsForUser returns a user's groups ordered by name.
	// NoSuchEntity if the user is missing.
	ListGroupsForUser(ctx context.Context, user string) ([]Group, error)

	// CreateAccessKey stores k for its user. NoSuchEntity if the user is
	// missing; LimitExceeded if the user has 2 keys already.
	CreateAccessKey(ctx context.Context, k AccessKey) (AccessKey, error)
	// GetAccessKey finds a key by id (exact). NoSuchEntity if none.
	GetAccessKey(ctx context.Context, id string) (AccessKey, error)
	// ListAccessKeys returns a user's keys in creation order. NoSuchEntity
	// if the user is missing.
	ListAccessKeys(ctx context.Context, user string) ([]AccessKey, error)
	// UpdateAccessKey sets a key's status. NoSuchEntity if the user or the
	// user's key is missing.
	UpdateAccessKey(ctx context.Context, user, id, status string) error
	// DeleteAccessKey removes a key. NoSuchEntity as UpdateAccessKey.
	DeleteAccessKey(ctx context.Context, user, id string) error

	// CreatePolicy stores p with its first version. EntityAlreadyExists if
	// a policy of that name exists.
	CreatePolicy(ctx context.Context, p ManagedPolicy) (ManagedPolicy, error)
	// GetPolicy finds a policy by ARN. NoSuchEntity if none.
	GetPolicy(ctx context.Context, arn string) (ManagedPolicy, error)
	// ListPolicies returns every managed policy ordered by name.
	ListPolicies(ctx context.Context) ([]ManagedPolicy, error)
	// DeletePolicy removes a policy. NoSuchEntity if none; DeleteConflict
	// while attached, used as a boundary, or with non-default versions.
	DeletePolicy(ctx context.Context, arn string) error
	// CreatePolicyVersion adds a version (its id is assigned) and makes it
	// the default when setDefault. NoSuchEntity if the policy is missing;
	// LimitExceeded at 5 versions.
	CreatePolicyVersion(ctx context.Context, arn string, v PolicyVersion, setDefault bool) (PolicyVersion, error)
	// GetPolicyVersion finds one version. NoSuchEntity if either is missing.
	GetPolicyVersion(ctx context.Context, arn, id string) (PolicyVersion, error)
	// SetDefaultPolicyVersion makes a version the default. NoSuchEntity if
	// either is missing.
	SetDefaultPolicyVersion(ctx context.Context, arn, id string) error
	// DeletePolicyVersion removes a version. NoSuchEntity if either is
	// missing; DeleteConflict for the default version.
	DeletePolicyVersion(ctx context.Context, arn, id string) error

	// AttachPolicy attaches a managed policy to an entity (again: no
	// change). NoSuchEntity if either is missing; LimitExceeded past 10.
	AttachPolicy(ctx context.Context, kind Kind, entity, arn string) error
	// DetachPolicy detaches it. NoSuchEntity if either is missing or the
	// policy is not attached.
	DetachPolicy(ctx context.Context, kind Kind, entity, arn string) error
	// ListAttachedPolicies returns the policies attached to an entity in
	// attachment order. NoSuchEntity if the entity is missing.
	ListAttachedPolicies(ctx context.Context, kind Kind, entity string) ([]ManagedPolicy, error)
	// ListEntitiesForPolicy returns what a policy is attached to (boundary
	// false) or is the permissions boundary of (boundary true), ordered by
	// kind then name. NoSuchEntity if the policy is missing.
	ListEntitiesForPolicy(ctx context.Context, arn string, boundary bool) ([]EntityRef, error)
	// SetPermissionsBoundary sets (arn != "") or removes (arn == "") the
	// boundary of a user or role. NoSuchEntity if either is missing.
	SetPermissionsBoundary(ctx context.Context, kind Kind, entity, arn string) error

	// PutInlinePolicy adds or replaces an inline policy. NoSuchEntity if the
	// entity is missing.
	PutInlinePolicy(ctx context.Context, kind Kind, entity string, p InlinePolicy) error
	// GetInlinePolicy finds one. NoSuchEntity if either is missing.
	GetInlinePolicy(ctx context.Context, kind Kind, entity, name string) (InlinePolicy, error)
	// ListInlinePolicies returns the names, sorted. NoSuchEntity if the
	// entity is missing.
	ListInlinePolicies(ctx context.Context, kind Kind, entity string) ([]string, error)
	// DeleteInlinePolicy removes one. NoSuchEntity if either is missing.
	DeleteInlinePolicy(ctx context.Context, kind Kind, entity, name string) error

	// Grants returns the identity policies and boundary of a user (with its
	// groups' policies), group or role, read at one instant. NoSuchEntity
	// if the entity is missing.
	Grants(ctx context.Context, kind Kind, entity string) (Grants, error)

	// CreateSession stores temporary credentials.
	CreateSession(ctx context.Context, s Session) error
	// GetSession finds temporary credentials by access key id. NoSuchEntity
	// if none (expired sessions are still found).
	GetSession(ctx context.Context, accessKeyID string) (Session, error)
}
