package greengrass

import (
	"context"
	"time"
)

// Group is a Greengrass group: a name, tags and a pointer to its latest
// version. AWS: shape GroupInformation / GetGroupResponse.
type Group struct {
	ID               string
	Arn              string
	Name             string
	CreatedAt        time.Time
	UpdatedAt        time.Time
	LatestVersion    string
	LatestVersionArn string
	Tags             map[string]string
}

// GroupDefinition lists the definition versions a group version is made of.
// The JSON tags are the wire names. AWS: shape GroupVersion.
type GroupDefinition struct {
	ConnectorDefinitionVersionArn    string `json:"ConnectorDefinitionVersionArn,omitempty"`
	CoreDefinitionVersionArn         string `json:"CoreDefinitionVersionArn,omitempty"`
	DeviceDefinitionVersionArn       string `json:"DeviceDefinitionVersionArn,omitempty"`
	FunctionDefinitionVersionArn     string `json:"FunctionDefinitionVersionArn,omitempty"`
	LoggerDefinitionVersionArn       string `json:"LoggerDefinitionVersionArn,omitempty"`
	ResourceDefinitionVersionArn     string `json:"ResourceDefinitionVersionArn,omitempty"`
	SubscriptionDefinitionVersionArn string `json:"SubscriptionDefinitionVersionArn,omitempty"`
}

// refs returns each non-empty version ARN with the kind it must name.
func (d GroupDefinition) refs() []groupRef {
	all := []groupRef{
		{KindCores, d.CoreDefinitionVersionArn},
		{KindFunctions, d.FunctionDefinitionVersionArn},
		{KindResources, d.ResourceDefinitionVersionArn},
		{KindDevices, d.DeviceDefinitionVersionArn},
		{KindSubscriptions, d.SubscriptionDefinitionVersionArn},
		{KindConnectors, d.ConnectorDefinitionVersionArn},
		{KindLoggers, d.LoggerDefinitionVersionArn},
	}
	out := all[:0]
	for _, r := range all {
		if r.arn != "" {
			out = append(out, r)
		}
	}
	return out
}

type groupRef struct {
	kind Kind
	arn  string
}

// GroupVersion is one immutable version of a group.
type GroupVersion struct {
	GroupID    string
	Version    string
	Arn        string
	CreatedAt  time.Time
	Definition GroupDefinition
}

// Definition is a container of one kind (cores, devices, functions, ...)
// whose content lives in its versions. AWS: shape DefinitionInformation.
type Definition struct {
	Kind             Kind
	ID               string
	Arn              string
	Name             string
	CreatedAt        time.Time
	UpdatedAt        time.Time
	LatestVersion    string
	LatestVersionArn string
	Tags             map[string]string
}

// DefinitionVersion is one immutable version of a definition. Only the
// members of Content that belong to Kind are set.
type DefinitionVersion struct {
	Kind         Kind
	DefinitionID string
	Version      string
	Arn          string
	CreatedAt    time.Time
	Content      DefinitionContent
}

// DeploymentType is how a deployment treats the group.
// AWS: enum DeploymentType.
type DeploymentType string

// Deployment types.
const (
	NewDeployment        DeploymentType = "NewDeployment"
	Redeployment         DeploymentType = "Redeployment"
	ResetDeployment      DeploymentType = "ResetDeployment"
	ForceResetDeployment DeploymentType = "ForceResetDeployment"
)

func (t DeploymentType) valid() bool {
	switch t {
	case NewDeployment, Redeployment, ResetDeployment, ForceResetDeployment:
		return true
	}
	return false
}

func (t DeploymentType) isReset() bool { return t == ResetDeployment || t == ForceResetDeployment }

// DeploymentStatus is what GetDeploymentStatus reports. AWS documents the
// values Building, InProgress, Success and Failure.
type DeploymentStatus string

// Deployment statuses.
const (
	StatusBuilding   DeploymentStatus = "Building"
	StatusInProgress DeploymentStatus = "InProgress"
	StatusSuccess    DeploymentStatus = "Success"
	StatusFailure    DeploymentStatus = "Failure"
)

// ErrorDetail is one detailed reason a deployment failed.
// AWS: shape ErrorDetail.
type ErrorDetail struct {
	DetailedErrorCode    string `json:"DetailedErrorCode,omitempty"`
	DetailedErrorMessage string `json:"DetailedErrorMessage,omitempty"`
}

// Deployment is one deployment of a group version (or a reset of the group).
type Deployment struct {
	GroupID      string
	GroupArn     string
	DeploymentID string
	Arn          string
	Type         DeploymentType
	// GroupVersionID is empty for resets.
	GroupVersionID string
	CreatedAt      time.Time
	Status         DeploymentStatus
	UpdatedAt      time.Time
	ErrorMessage   string
	ErrorDetails   []ErrorDetail
}

// RoleAssociation is an IAM role attached to a group or to the account.
type RoleAssociation struct {
	RoleArn      string
	AssociatedAt time.Time
}

// Backend stores Greengrass state. Every method is safe for concurrent use,
// applies completely or not at all, and returns the AWS error a client would
// see (IdNotFoundException for a missing group or definition,
// VersionNotFoundException for a missing version). Values are copied in
// and out: callers may keep and modify what they pass or receive.
//
// IDs, ARNs and timestamps are chosen by the caller (the Service), so a
// Backend only stores and checks.
type Backend interface {
	// CreateGroup stores g and, when initial is non-nil, its first version
	// (whose references must exist, see CreateGroupVersion). It returns g as
	// stored, with LatestVersion set when a version was stored.
	CreateGroup(ctx context.Context, g Group, initial *GroupVersion) (Group, error)
	GetGroup(ctx context.Context, id string) (Group, error)
	// ListGroups returns every group in creation order.
	ListGroups(ctx context.Context) ([]Group, error)
	// UpdateGroup renames a group and sets its UpdatedAt to now.
	UpdateGroup(ctx context.Context, id, name string, now time.Time) (Group, error)
	// DeleteGroup removes a group with its versions, deployments and role.
	// A group whose latest deployment is not a reset is refused with
	// BadRequestException.
	DeleteGroup(ctx context.Context, id string) error

	// CreateGroupVersion stores v and makes it the group's latest version.
	// Every definition version ARN in v.Definition must name an existing
	// version of the right kind, else BadRequestException.
	CreateGroupVersion(ctx context.Context, v GroupVersion) (GroupVersion, error)
	GetGroupVersion(ctx context.Context, groupID, version string) (GroupVersion, error)
	// ListGroupVersions returns a group's versions in creation order.
	ListGroupVersions(ctx context.Context, groupID string) ([]GroupVersion, error)

	// CreateDefinition stores d and, when initial is non-nil, its first
	// version.
	CreateDefinition(ctx context.Context, d Definition, initial *DefinitionVersion) (Definition, error)
	GetDefinition(ctx context.Context, kind Kind, id string) (Definition, error)
	// ListDefinitions returns the definitions of one kind in creation order.
	ListDefinitions(ctx context.Context, kind Kind) ([]Definition, error)
	UpdateDefinition(ctx context.Context, kind Kind, id, name string, now time.Time) (Definition, error)
	// DeleteDefinition removes a definition and its versions. Group versions
	// that reference it are left as they are, as in AWS.
	DeleteDefinition(ctx context.Context, kind Kind, id string) error
	// CreateDefinitionVersion stores v and makes it the definition's latest.
	CreateDefinitionVersion(ctx context.Context, v DefinitionVersion) (DefinitionVersion, error)
	GetDefinitionVersion(ctx context.Context, kind Kind, id, version string) (DefinitionVersion, error)
	ListDefinitionVersions(ctx context.Context, kind Kind, id string) ([]DefinitionVersion, error)

	// CreateDeployment stores d. For NewDeployment the group version must
	// exist and have a core (MissingCoreException); for Redeployment,
	// redeployOf names an earlier deployment of the group whose version is
	// used when d.GroupVersionID is empty; ResetDeployment needs a group
	// whose latest deployment is not a reset (ForceResetDeployment does
	// not). A missing group or version is ResourceNotFoundException.
	CreateDeployment(ctx context.Context, d Deployment, redeployOf string) (Deployment, error)
	// GetDeployment returns one deployment of a group; a deployment that is
	// missing or belongs to another group is InvalidInputException.
	GetDeployment(ctx context.Context, groupID, deploymentID string) (Deployment, error)
	// ListDeployments returns a group's deployments, newest first. An
	// unknown group has none, as in AWS.
	ListDeployments(ctx context.Context, groupID string) ([]Deployment, error)
	// UpdateDeployment sets the status fields (Status, UpdatedAt,
	// ErrorMessage, ErrorDetails) of an existing deployment from d.
	UpdateDeployment(ctx context.Context, d Deployment) (Deployment, error)

	// AssociateRoleToGroup attaches a role to an existing group, replacing
	// any previous one.
	AssociateRoleToGroup(ctx context.Context, groupID string, r RoleAssociation) error
	// GetAssociatedRole returns a group's role; none is BadRequestException.
	GetAssociatedRole(ctx context.Context, groupID string) (RoleAssociation, error)
	DisassociateRoleFromGroup(ctx context.Context, groupID string) error
	// SetServiceRole attaches (r non-nil) or detaches (nil) the account's
	// Greengrass service role.
	SetServiceRole(ctx context.Context, r *RoleAssociation) error
	// ServiceRole returns the account's service role; none is
	// ResourceNotFoundException.
	ServiceRole(ctx context.Context) (RoleAssociation, error)

	// Tags returns the tags of the group or definition named by arn
	// (ResourceNotFoundException when there is none).
	Tags(ctx context.Context, arn string) (map[string]string, error)
	// TagResource merges tags into the resource's tags.
	TagResource(ctx context.Context, arn string, tags map[string]string) error
	// UntagResource removes the given keys.
	UntagResource(ctx context.Context, arn string, keys []string) error
}
