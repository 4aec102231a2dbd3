package iot

import (
	"context"
	"maps"
	"slices"
	"sort"
	"sync"
	"time"
)

// Memory is the in-memory Backend.
type Memory struct {
	mu         sync.RWMutex
	things     map[string]*Thing
	certs      map[string]*Certificate
	principals map[string]map[string]bool // thing name → certificate ids
	types      map[string]*ThingType
	groups     map[string]*ThingGroup
	members    map[string]map[string]bool // group name → thing names
	policies   map[string]*Policy
	nextPolicy map[string]int                   // policy name → next version id
	attached   map[string]map[PolicyTarget]bool // policy name → targets
	rules      map[string]*TopicRule
}

var _ Backend = (*Memory)(nil)

// NewMemory returns an empty in-memory Backend.
func NewMemory() *Memory {
	return &Memory{
		things:     map[string]*Thing{},
		certs:      map[string]*Certificate{},
		principals: map[string]map[string]bool{},
		types:      map[string]*ThingType{},
		groups:     map[string]*ThingGroup{},
		members:    map[string]map[string]bool{},
		policies:   map[string]*Policy{},
		nextPolicy: map[string]int{},
		attached:   map[string]map[PolicyTarget]bool{},
		rules:      map[string]*TopicRule{},
	}
}

func copyThing(t *Thing) Thing {
	c := *t
	c.Attributes = maps.Clone(t.Attributes)
	if c.Attributes == nil {
		c.Attributes = map[string]string{}
	}
	return c
}

func checkAttributeLimit(typeName string, attrs map[string]string) error {
	limit := maxAttributesUntyped
	if typeName != "" {
		limit = maxAttributesTyped
	}
	if len(attrs) > limit {
		if typeName == "" {
			return invalidRequest("A thing without a thing type can have at most %d attributes; found %d.", limit, len(attrs))
		}
		return invalidRequest("A thing can have at most %d attributes; found %d.", limit, len(attrs))
	}
	return nil
}

// CreateThing implements Backend.
func (m *Memory) CreateThing(_ context.Context, t Thing) (Thing, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if old, ok := m.things[t.Name]; ok {
		// AWS: CreateThing — "If this call is made multiple times using the
		// same thing name and configuration, the call will succeed."
		if old.TypeName == t.TypeName && maps.Equal(old.Attributes, nonNil(t.Attributes)) {
			return copyThing(old), nil
		}
		return Thing{}, thingAlreadyExists(t.Name)
	}
	if err := m.checkTypeUsable(t.TypeName, true); err != nil {
		return Thing{}, err
	}
	if err := checkAttributeLimit(t.TypeName, t.Attributes); err != nil {
		return Thing{}, err
	}
	stored := copyThing(&t)
	stored.Version = 1
	m.things[t.Name] = &stored
	return copyThing(&stored), nil
}

func nonNil(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

// GetThing implements Backend.
func (m *Memory) GetThing(_ context.Context, name string) (Thing, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	t, ok := m.things[name]
	if !ok {
		return Thing{}, thingNotFound(name)
	}
	return copyThing(t), nil
}

// ListThings implements Backend.
func (m *Memory) ListThings(_ context.Context) ([]Thing, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := make([]Thing, 0, len(m.things))
	for _, name := range slices.Sorted(maps.Keys(m.things)) {
		out = append(out, copyThing(m.things[name]))
	}
	return out, nil
}

// UpdateThing implements Backend.
func (m *Memory) UpdateThing(_ context.Context, name string, u ThingUpdate) (Thing, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	t, ok := m.things[name]
	if !ok {
		return Thing{}, thingNotFound(name)
	}
	if u.ExpectedVersion != nil && *u.ExpectedVersion != t.Version {
		return Thing{}, versionConflict(name, *u.ExpectedVersion, t.Version)
	}
	next := copyThing(t)
	switch {
	case u.RemoveType:
		next.TypeName = ""
	case u.TypeName != "" && u.TypeName != t.TypeName:
		if err := m.checkTypeUsable(u.TypeName, false); err != nil {
			return Thing{}, err
		}
		next.TypeName = u.TypeName
	}
	if u.Attributes != nil {
		if !u.Merge {
			next.Attributes = map[string]string{}
		}
		for k, v := range u.Attributes {
			if v == "" {
				delete(next.Attributes, k)
			} else {
				next.Attributes[k] = v
			}
		}
	}
	if err := checkAttributeLimit(next.TypeName, next.Attributes); err != nil {
		return Thing{}, err
	}
	next.Version++
	m.things[name] = &next
	return copyThing(&next), nil
}

// DeleteThing implements Backend.
func (m *Memory) DeleteThing(_ context.Context, name string, expectedVersion *int64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	t, ok := m.things[name]
	if !ok {
		// AWS: DeleteThing — "Returns successfully with no error if the
		// deletion is successful or you specify a thing that doesn't exist."
		return nil
	}
	if expectedVersion != nil && *expectedVersion != t.Version {
		return versionConflict(name, *expectedVersion, t.Version)
	}
	if len(m.principals[name]) > 0 {
		return invalidRequest("Cannot delete. Thing %s is still attached to one or more principals", name)
	}
	delete(m.things, name)
	delete(m.principals, name)
	for _, things := range m.members {
		delete(things, name)
	}
	return nil
}

// PutCertificate implements Backend.
func (m *Memory) PutCertificate(_ context.Context, c Certificate) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.certs[c.ID]; ok {
		// AWS: RegisterCertificate — ResourceAlreadyExistsException.
		return alreadyExists("The certificate is already provisioned or registered")
	}
	m.certs[c.ID] = &c
	return nil
}

// GetCertificate implements Backend.
func (m *Memory) GetCertificate(_ context.Context, id string) (Certificate, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	c, ok := m.certs[id]
	if !ok {
		return Certificate{}, certificateNotFound(id)
	}
	return *c, nil
}

// ListCertificates implements Backend.
func (m *Memory) ListCertificates(_ context.Context) ([]Certificate, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := make([]Certificate, 0, len(m.certs))
	for _, c := range m.certs {
		out = append(out, *c)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].CreatedAt.Equal(out[j].CreatedAt) {
			return out[i].CreatedAt.Before(out[j].CreatedAt)
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}

// SetCertificateStatus implements Backend.
func (m *Memory) SetCertificateStatus(_ context.Context, id, status string, at time.Time) (Certificate, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.certs[id]
	if !ok {
		return Certificate{}, certificateNotFound(id)
	}
	if c.Status == StatusRevoked && status != StatusRevoked {
		return Certificate{}, certificateState("Certificate %s is REVOKED; its status cannot change to %s.", id, status)
	}
	next := *c
	next.Status = status
	next.ModifiedAt = at
	m.certs[id] = &next
	return next, nil
}

// AttachThingPrincipal implements Backend.
func (m *Memory) AttachThingPrincipal(_ context.Context, thing, certID string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.things[thing]; !ok {
		return thingNotFound(thing)
	}
	if _, ok := m.certs[certID]; !ok {
		return certificateNotFound(certID)
	}
	if m.principals[thing] == nil {
		m.principals[thing] = map[string]bool{}
	}
	m.principals[thing][certID] = true
	return nil
}

// DetachThingPrincipal implements Backend.
func (m *Memory) DetachThingPrincipal(_ context.Context, thing, certID string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.things[thing]; !ok {
		return thingNotFound(thing)
	}
	delete(m.principals[thing], certID)
	return nil
}

// ThingPrincipals implements Backend.
func (m *Memory) ThingPrincipals(_ context.Context, thing string) ([]string, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if _, ok := m.things[thing]; !ok {
		return nil, thingNotFound(thing)
	}
	return slices.Sorted(maps.Keys(m.principals[thing])), nil
}

// PrincipalThings implements Backend.
func (m *Memory) PrincipalThings(_ context.Context, certID string) ([]string, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if _, ok := m.certs[certID]; !ok {
		return nil, certificateNotFound(certID)
	}
	var out []string
	for thing, ids := range m.principals {
		if ids[certID] {
			out = append(out, thing)
		}
	}
	sort.Strings(out)
	return out, nil
}

// checkTypeUsable: a thing type must exist, and a deprecated one takes no
// new things. m.mu held.
func (m *Memory) checkTypeUsable(name string, creating bool) error {
	if name == "" {
		return nil
	}
	tt, ok := m.types[name]
	if !ok {
		return notFound("Thing Type %s does not exist", name)
	}
	if tt.Deprecated {
		if creating {
			return invalidRequest("Can not create new thing with deprecated thing type %s", name)
		}
		return invalidRequest("Can not update a thing to deprecated thing type %s", name)
	}
	return nil
}

// DeleteCertificate implements Backend.
func (m *Memory) DeleteCertificate(_ context.Context, id string, force bool) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.certs[id]
	if !ok {
		return certificateNotFound(id)
	}
	// AWS: DeleteCertificate — "A certificate cannot be deleted if it has a
	// policy or IoT thing attached to it or if its status is set to ACTIVE."
	if c.Status == StatusActive {
		return certificateState("Certificate must be deactivated (not ACTIVE) before deletion.")
	}
	for _, ids := range m.principals {
		if ids[id] {
			return deleteConflict("Things must be detached before deletion (arn: %s)", c.ARN)
		}
	}
	target := PolicyTarget{TargetCertificate, id}
	var policies []string
	for p, targets := range m.attached {
		if targets[target] {
			policies = append(policies, p)
		}
	}
	// AWS: ForceDelete — "Forces the deletion of a certificate if it is
	// inactive and is not attached to an IoT thing": policies are detached.
	if len(policies) > 0 && !force {
		return deleteConflict("Certificate policies must be detached before deletion (arn: %s)", c.ARN)
	}
	for _, p := range policies {
		delete(m.attached[p], target)
	}
	delete(m.certs, id)
	return nil
}
