package iot

import (
	"context"
	"maps"
	"slices"
	"time"
)

func copyThingType(t *ThingType) ThingType {
	c := *t
	c.SearchableAttributes = append([]string{}, t.SearchableAttributes...)
	return c
}

// CreateThingType implements Backend.
func (m *Memory) CreateThingType(_ context.Context, t ThingType) (ThingType, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.types[t.Name]; ok {
		return ThingType{}, alreadyExists("Thing Type %s already exists", t.Name)
	}
	stored := copyThingType(&t)
	m.types[t.Name] = &stored
	return copyThingType(&stored), nil
}

// GetThingType implements Backend.
func (m *Memory) GetThingType(_ context.Context, name string) (ThingType, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	t, ok := m.types[name]
	if !ok {
		return ThingType{}, notFound("Thing Type %s does not exist", name)
	}
	return copyThingType(t), nil
}

// ListThingTypes implements Backend.
func (m *Memory) ListThingTypes(_ context.Context) ([]ThingType, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := make([]ThingType, 0, len(m.types))
	for _, name := range slices.Sorted(maps.Keys(m.types)) {
		out = append(out, copyThingType(m.types[name]))
	}
	return out, nil
}

// DeprecateThingType implements Backend.
func (m *Memory) DeprecateThingType(_ context.Context, name string, undo bool, at time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	t, ok := m.types[name]
	if !ok {
		return notFound("Thing Type %s does not exist", name)
	}
	next := copyThingType(t)
	next.Deprecated = !undo
	next.DeprecatedAt = time.Time{}
	if !undo {
		next.DeprecatedAt = at
	}
	m.types[name] = &next
	return nil
}

// DeleteThingType implements Backend.
func (m *Memory) DeleteThingType(_ context.Context, name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	t, ok := m.types[name]
	if !ok {
		return notFound("Thing Type %s does not exist", name)
	}
	// AWS: DeleteThingType — deprecate first, and no thing may use it.
	// Divergence: AWS also waits five minutes after deprecation; here the
	// type can be deleted as soon as it is deprecated.
	if !t.Deprecated {
		return invalidRequest("Thing Type %s must be deprecated before it can be deleted", name)
	}
	for _, th := range m.things {
		if th.TypeName == name {
			return invalidRequest("Can not delete thing type %s with things associated with it", name)
		}
	}
	delete(m.types, name)
	return nil
}

func copyGroup(g *ThingGroup) ThingGroup {
	c := *g
	c.Attributes = maps.Clone(g.Attributes)
	if c.Attributes == nil {
		c.Attributes = map[string]string{}
	}
	return c
}

func groupNotFound(name string) error {
	return notFound("Thing Group %s does not exist", name)
}

// CreateThingGroup implements Backend.
func (m *Memory) CreateThingGroup(_ context.Context, g ThingGroup) (ThingGroup, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if old, ok := m.groups[g.Name]; ok {
		// AWS: CreateThingGroup — "If the ThingGroup that you create has the
		// exact same attributes as an existing ThingGroup, you will get a
		// 200 success response."
		if old.Parent == g.Parent && old.Description == g.Description && maps.Equal(old.Attributes, nonNil(g.Attributes)) {
			return copyGroup(old), nil
		}
		return ThingGroup{}, alreadyExists("Thing Group %s already exists with different tags or properties", g.Name)
	}
	if g.Parent != "" {
		if _, ok := m.groups[g.Parent]; !ok {
			// AWS: CreateThingGroup lists no ResourceNotFoundException.
			return ThingGroup{}, invalidRequest("Parent thing group %s does not exist", g.Parent)
		}
		if depth := len(m.ancestors(g.Parent)) + 2; depth > maxGroupDepth {
			return ThingGroup{}, invalidRequest("Thing Group %s would be at depth %d; the maximum hierarchy depth is %d", g.Name, depth, maxGroupDepth)
		}
	}
	stored := copyGroup(&g)
	stored.Version = 1
	m.groups[g.Name] = &stored
	return copyGroup(&stored), nil
}

// ancestors returns the parent chain of a group, parent first. m.mu held.
func (m *Memory) ancestors(name string) []string {
	var out []string
	for g := m.groups[name]; g != nil && g.Parent != ""; g = m.groups[g.Parent] {
		out = append(out, g.Parent)
	}
	return out
}

// GetThingGroup implements Backend.
func (m *Memory) GetThingGroup(_ context.Context, name string) (ThingGroup, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	g, ok := m.groups[name]
	if !ok {
		return ThingGroup{}, groupNotFound(name)
	}
	return copyGroup(g), nil
}

// ListThingGroups implements Backend.
func (m *Memory) ListThingGroups(_ context.Context) ([]ThingGroup, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := make([]ThingGroup, 0, len(m.groups))
	for _, name := range slices.Sorted(maps.Keys(m.groups)) {
		out = append(out, copyGroup(m.groups[name]))
	}
	return out, nil
}

// UpdateThingGroup implements Backend.
func (m *Memory) UpdateThingGroup(_ context.Context, name string, u ThingGroupUpdate) (ThingGroup, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	g, ok := m.groups[name]
	if !ok {
		return ThingGroup{}, groupNotFound(name)
	}
	if u.ExpectedVersion != nil && *u.ExpectedVersion != g.Version {
		return ThingGroup{}, groupVersionConflict(name, *u.ExpectedVersion, g.Version)
	}
	next := copyGroup(g)
	if u.Description != nil {
		next.Description = *u.Description
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
	next.Version++
	m.groups[name] = &next
	return copyGroup(&next), nil
}

// DeleteThingGroup implements Backend.
func (m *Memory) DeleteThingGroup(_ context.Context, name string, expectedVersion *int64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	g, ok := m.groups[name]
	if !ok {
		// AWS: DeleteThingGroup lists no ResourceNotFoundException; deleting
		// a missing group succeeds.
		return nil
	}
	if expectedVersion != nil && *expectedVersion != g.Version {
		return groupVersionConflict(name, *expectedVersion, g.Version)
	}
	for _, other := range m.groups {
		if other.Parent == name {
			return invalidRequest("Cannot delete thing group : %s when there are still child groups attached to it", name)
		}
	}
	delete(m.groups, name)
	delete(m.members, name)
	target := PolicyTarget{TargetThingGroup, name}
	for _, targets := range m.attached {
		delete(targets, target)
	}
	return nil
}

// AddThingToThingGroup implements Backend.
func (m *Memory) AddThingToThingGroup(_ context.Context, group, thing string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.groups[group]; !ok {
		return groupNotFound(group)
	}
	if _, ok := m.things[thing]; !ok {
		return thingNotFound(thing)
	}
	if m.members[group][thing] {
		return nil
	}
	n := 0
	for _, things := range m.members {
		if things[thing] {
			n++
		}
	}
	if n >= maxGroupsPerThing {
		return limitExceeded("Thing %s is already in %d thing groups, the maximum", thing, maxGroupsPerThing)
	}
	if m.members[group] == nil {
		m.members[group] = map[string]bool{}
	}
	m.members[group][thing] = true
	return nil
}

// RemoveThingFromThingGroup implements Backend.
func (m *Memory) RemoveThingFromThingGroup(_ context.Context, group, thing string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.groups[group]; !ok {
		return groupNotFound(group)
	}
	if _, ok := m.things[thing]; !ok {
		return thingNotFound(thing)
	}
	delete(m.members[group], thing)
	return nil
}

// ThingsInThingGroup implements Backend.
func (m *Memory) ThingsInThingGroup(_ context.Context, group string) ([]string, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if _, ok := m.groups[group]; !ok {
		return nil, groupNotFound(group)
	}
	return slices.Sorted(maps.Keys(m.members[group])), nil
}

// ThingGroupsForThing implements Backend.
func (m *Memory) ThingGroupsForThing(_ context.Context, thing string) ([]string, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if _, ok := m.things[thing]; !ok {
		return nil, thingNotFound(thing)
	}
	var out []string
	for g, things := range m.members {
		if things[thing] {
			out = append(out, g)
		}
	}
	slices.Sort(out)
	return out, nil
}
