package iam

import (
	"context"
	"slices"
	"sort"
	"strings"
	"sync"
)

// Memory is the in-memory Backend.
type Memory struct {
	mu    sync.RWMutex
	roles map[string]Role // lower-cased name → role
}

var _ Backend = (*Memory)(nil)

// NewMemory returns an empty in-memory Backend.
func NewMemory() *Memory { return &Memory{roles: map[string]Role{}} }

func copyRole(r Role) Role {
	r.Tags = slices.Clone(r.Tags)
	return r
}

// CreateRole implements Backend.
func (m *Memory) CreateRole(_ context.Context, r Role) (Role, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	key := strings.ToLower(r.Name)
	if _, ok := m.roles[key]; ok {
		// AWS: IAM user guide, "IAM identifiers": role names are not
		// distinguished by case.
		return Role{}, roleExists(r.Name)
	}
	m.roles[key] = copyRole(r)
	return copyRole(r), nil
}

// GetRole implements Backend.
func (m *Memory) GetRole(_ context.Context, name string) (Role, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	r, ok := m.roles[strings.ToLower(name)]
	if !ok {
		return Role{}, noSuchRole(name)
	}
	return copyRole(r), nil
}

// ListRoles implements Backend.
func (m *Memory) ListRoles(_ context.Context, pathPrefix string) ([]Role, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	var out []Role
	for _, r := range m.roles {
		if strings.HasPrefix(r.Path, pathPrefix) {
			out = append(out, copyRole(r))
		}
	}
	sort.Slice(out, func(i, j int) bool { return strings.ToLower(out[i].Name) < strings.ToLower(out[j].Name) })
	return out, nil
}

// DeleteRole implements Backend.
func (m *Memory) DeleteRole(_ context.Context, name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	key := strings.ToLower(name)
	if _, ok := m.roles[key]; !ok {
		return noSuchRole(name)
	}
	delete(m.roles, key)
	return nil
}
