package iam

import (
	"context"
	"time"
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
	TrustPolicy         string
	MaxSessionDuration  int
	PermissionsBoundary string
	Tags                []Tag
}

// Tag is a key-value pair attached to an IAM entity.
type Tag struct{ Key, Value string }

// Backend stores IAM entities of one account. Implementations are safe for
// concurrent use; every method applies completely or not at all and hands
// out copies. Users, access keys and policies join this interface later.
type Backend interface {
	// CreateRole stores r. A role with the same name in any letter case
	// exists: EntityAlreadyExists.
	CreateRole(ctx context.Context, r Role) (Role, error)
	// GetRole finds a role by name, ignoring case. NoSuchEntity if none.
	GetRole(ctx context.Context, name string) (Role, error)
	// ListRoles returns the roles whose path starts with pathPrefix, ordered
	// by name.
	ListRoles(ctx context.Context, pathPrefix string) ([]Role, error)
	// DeleteRole removes a role. NoSuchEntity if none.
	DeleteRole(ctx context.Context, name string) error
}
