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

	// PutCertificate stores a new certificate; its ID must be new.
	PutCertificate(ctx context.Context, c Certificate) error
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
}

// Attribute limits. AWS: IoT developer guide, "Thing types": things with a
// thing type can have up to 50 attributes, things without one up to three.
const (
	maxAttributesUntyped = 3
	maxAttributesTyped   = 50
)
