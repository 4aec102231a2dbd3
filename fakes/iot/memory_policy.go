package iot

import (
	"context"
	"maps"
	"slices"
	"strconv"
	"time"
)

func copyPolicy(p *Policy) Policy {
	c := *p
	c.Versions = slices.Clone(p.Versions)
	return c
}

func policyNotFound(name string) error {
	return notFound("Policy not found: %s", name)
}

// CreatePolicy implements Backend.
func (m *Memory) CreatePolicy(_ context.Context, p Policy) (Policy, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.policies[p.Name]; ok {
		return Policy{}, alreadyExists("Policy cannot be created - name already exists (name=%s)", p.Name)
	}
	stored := copyPolicy(&p)
	m.policies[p.Name] = &stored
	m.nextPolicy[p.Name] = len(p.Versions) + 1
	return copyPolicy(&stored), nil
}

// GetPolicy implements Backend.
func (m *Memory) GetPolicy(_ context.Context, name string) (Policy, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	p, ok := m.policies[name]
	if !ok {
		return Policy{}, policyNotFound(name)
	}
	return copyPolicy(p), nil
}

// ListPolicies implements Backend.
func (m *Memory) ListPolicies(_ context.Context) ([]Policy, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := make([]Policy, 0, len(m.policies))
	for _, name := range slices.Sorted(maps.Keys(m.policies)) {
		out = append(out, copyPolicy(m.policies[name]))
	}
	return out, nil
}

// DeletePolicy implements Backend.
func (m *Memory) DeletePolicy(_ context.Context, name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	p, ok := m.policies[name]
	if !ok {
		return policyNotFound(name)
	}
	// AWS: DeletePolicy — "A policy cannot be deleted if it has non-default
	// versions or it is attached to any certificate."
	if len(m.attached[name]) > 0 {
		return deleteConflict("The policy cannot be deleted as the policy is attached to one or more principals (name=%s)", name)
	}
	if len(p.Versions) > 1 {
		return deleteConflict("Cannot delete the policy because it has one or more policy versions attached to it (name=%s)", name)
	}
	delete(m.policies, name)
	delete(m.nextPolicy, name)
	delete(m.attached, name)
	return nil
}

// CreatePolicyVersion implements Backend.
func (m *Memory) CreatePolicyVersion(_ context.Context, name, document string, setDefault bool, at time.Time) (PolicyVersion, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	p, ok := m.policies[name]
	if !ok {
		return PolicyVersion{}, policyNotFound(name)
	}
	if len(p.Versions) >= maxPolicyVersions {
		return PolicyVersion{}, versionsLimitExceeded(name)
	}
	v := PolicyVersion{ID: strconv.Itoa(m.nextPolicy[name]), Document: document, CreatedAt: at}
	next := copyPolicy(p)
	next.Versions = append(next.Versions, v)
	if setDefault {
		next.DefaultVersion = v.ID
	}
	next.ModifiedAt = at
	m.policies[name] = &next
	m.nextPolicy[name]++
	return v, nil
}

func policyVersionNotFound(name, id string) error {
	return notFound("Policy version %s of policy %s not found", id, name)
}

// SetDefaultPolicyVersion implements Backend.
func (m *Memory) SetDefaultPolicyVersion(_ context.Context, name, versionID string, at time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	p, ok := m.policies[name]
	if !ok {
		return policyNotFound(name)
	}
	if !slices.ContainsFunc(p.Versions, func(v PolicyVersion) bool { return v.ID == versionID }) {
		return policyVersionNotFound(name, versionID)
	}
	next := copyPolicy(p)
	next.DefaultVersion = versionID
	next.ModifiedAt = at
	m.policies[name] = &next
	return nil
}

// DeletePolicyVersion implements Backend.
func (m *Memory) DeletePolicyVersion(_ context.Context, name, versionID string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	p, ok := m.policies[name]
	if !ok {
		return policyNotFound(name)
	}
	i := slices.IndexFunc(p.Versions, func(v PolicyVersion) bool { return v.ID == versionID })
	if i < 0 {
		return policyVersionNotFound(name, versionID)
	}
	// AWS: DeletePolicyVersion — "You cannot delete the default version of
	// a policy using this action."
	if p.DefaultVersion == versionID {
		return deleteConflict("Cannot delete the default version of a policy (name=%s, version=%s)", name, versionID)
	}
	next := copyPolicy(p)
	next.Versions = slices.Delete(next.Versions, i, i+1)
	m.policies[name] = &next
	return nil
}

// targetExists reports whether a policy target is there. m.mu held.
func (m *Memory) targetExists(t PolicyTarget) error {
	switch t.Kind {
	case TargetCertificate:
		if _, ok := m.certs[t.ID]; !ok {
			return certificateNotFound(t.ID)
		}
	case TargetThingGroup:
		if _, ok := m.groups[t.ID]; !ok {
			return groupNotFound(t.ID)
		}
	default:
		return invalidRequest("Invalid policy target kind %q", t.Kind)
	}
	return nil
}

// AttachPolicy implements Backend.
func (m *Memory) AttachPolicy(_ context.Context, name string, target PolicyTarget) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.policies[name]; !ok {
		return policyNotFound(name)
	}
	if err := m.targetExists(target); err != nil {
		return err
	}
	if m.attached[name][target] {
		return nil
	}
	n := 0
	for _, targets := range m.attached {
		if targets[target] {
			n++
		}
	}
	if n >= maxPoliciesPerTarget {
		return limitExceeded("The target already has %d policies attached, the maximum", maxPoliciesPerTarget)
	}
	if m.attached[name] == nil {
		m.attached[name] = map[PolicyTarget]bool{}
	}
	m.attached[name][target] = true
	return nil
}

// DetachPolicy implements Backend.
func (m *Memory) DetachPolicy(_ context.Context, name string, target PolicyTarget) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.policies[name]; !ok {
		return policyNotFound(name)
	}
	delete(m.attached[name], target)
	return nil
}

// PolicyTargets implements Backend.
func (m *Memory) PolicyTargets(_ context.Context, name string) ([]string, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if _, ok := m.policies[name]; !ok {
		return nil, policyNotFound(name)
	}
	var out []string
	for t := range m.attached[name] {
		switch t.Kind {
		case TargetCertificate:
			out = append(out, m.certs[t.ID].ARN)
		case TargetThingGroup:
			out = append(out, m.groups[t.ID].ARN)
		}
	}
	slices.Sort(out)
	return out, nil
}

// AttachedPolicies implements Backend.
func (m *Memory) AttachedPolicies(_ context.Context, target PolicyTarget) ([]string, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if err := m.targetExists(target); err != nil {
		return nil, err
	}
	var out []string
	for p, targets := range m.attached {
		if targets[target] {
			out = append(out, p)
		}
	}
	slices.Sort(out)
	return out, nil
}

func copyRule(r *TopicRule) TopicRule {
	c := *r
	c.Actions = make([]RuleAction, len(r.Actions))
	for i, a := range r.Actions {
		c.Actions[i] = RuleAction{a.Kind, slices.Clone(a.Params)}
	}
	if r.ErrorAction != nil {
		c.ErrorAction = &RuleAction{r.ErrorAction.Kind, slices.Clone(r.ErrorAction.Params)}
	}
	return c
}

// PutTopicRule implements Backend.
func (m *Memory) PutTopicRule(_ context.Context, r TopicRule, replace bool) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	old, ok := m.rules[r.Name]
	switch {
	case !replace && ok:
		return alreadyExists("Rule with name %s already exists", r.Name)
	case replace && !ok:
		return ruleNotFound(r.Name)
	case replace:
		r.CreatedAt = old.CreatedAt
	}
	stored := copyRule(&r)
	m.rules[r.Name] = &stored
	return nil
}

// GetTopicRule implements Backend.
func (m *Memory) GetTopicRule(_ context.Context, name string) (TopicRule, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	r, ok := m.rules[name]
	if !ok {
		return TopicRule{}, ruleNotFound(name)
	}
	return copyRule(r), nil
}

// ListTopicRules implements Backend.
func (m *Memory) ListTopicRules(_ context.Context) ([]TopicRule, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := make([]TopicRule, 0, len(m.rules))
	for _, name := range slices.Sorted(maps.Keys(m.rules)) {
		out = append(out, copyRule(m.rules[name]))
	}
	return out, nil
}

// DeleteTopicRule implements Backend.
func (m *Memory) DeleteTopicRule(_ context.Context, name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.rules[name]; !ok {
		return ruleNotFound(name)
	}
	delete(m.rules, name)
	return nil
}

// SetTopicRuleDisabled implements Backend.
func (m *Memory) SetTopicRuleDisabled(_ context.Context, name string, disabled bool) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.rules[name]
	if !ok {
		return ruleNotFound(name)
	}
	next := copyRule(r)
	next.Disabled = disabled
	m.rules[name] = &next
	return nil
}
