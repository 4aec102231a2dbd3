package iam

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// Quotas. AWS: IAM user guide, "IAM and AWS STS quotas".
const (
	maxAccessKeysPerUser   = 2
	maxGroupsPerUser       = 10
	maxAttachedPerEntity   = 10
	maxVersionsPerPolicy   = 5
	maxTagsPerEntity       = 50
	defaultRoleSessionSecs = 3600
)

// holder is what users, groups and roles share: inline and attached
// policies.
type holder struct {
	inline   map[string]InlinePolicy // exact name → policy
	attached []string                // managed policy ARNs, attachment order
}

func newHolder() holder { return holder{inline: map[string]InlinePolicy{}} }

type userRec struct {
	User
	holder
	groups []string // lower-cased group names
}

type groupRec struct {
	Group
	holder
	members []string // lower-cased user names
}

type roleRec struct {
	Role
	holder
}

// Memory is the in-memory Backend.
type Memory struct {
	mu       sync.RWMutex
	roles    map[string]*roleRec  // lower-cased name
	users    map[string]*userRec  // lower-cased name
	groups   map[string]*groupRec // lower-cased name
	keys     map[string]AccessKey // id
	policies map[string]*ManagedPolicy
	sessions map[string]Session // access key id
}

var _ Backend = (*Memory)(nil)

// NewMemory returns an empty in-memory Backend.
func NewMemory() *Memory {
	return &Memory{
		roles: map[string]*roleRec{}, users: map[string]*userRec{}, groups: map[string]*groupRec{},
		keys: map[string]AccessKey{}, policies: map[string]*ManagedPolicy{}, sessions: map[string]Session{},
	}
}

func copyRole(r Role) Role {
	r.Tags = slices.Clone(r.Tags)
	return r
}

func copyUser(u User) User {
	u.Tags = slices.Clone(u.Tags)
	return u
}

func byName[T any](name func(T) string) func(a, b T) int {
	return func(a, b T) int { return cmp.Compare(strings.ToLower(name(a)), strings.ToLower(name(b))) }
}

// policyOut copies p and counts its attachments. m.mu held.
func (m *Memory) policyOut(p *ManagedPolicy) ManagedPolicy {
	out := *p
	out.Versions = slices.Clone(p.Versions)
	out.Tags = slices.Clone(p.Tags)
	out.AttachmentCount, out.BoundaryCount = 0, 0
	count := func(h holder) {
		if slices.Contains(h.attached, p.ARN) {
			out.AttachmentCount++
		}
	}
	for _, u := range m.users {
		count(u.holder)
		if u.PermissionsBoundary == p.ARN {
			out.BoundaryCount++
		}
	}
	for _, g := range m.groups {
		count(g.holder)
	}
	for _, r := range m.roles {
		count(r.holder)
		if r.PermissionsBoundary == p.ARN {
			out.BoundaryCount++
		}
	}
	return out
}

// holderOf finds an entity's policies. m.mu held.
func (m *Memory) holderOf(kind Kind, name string) (*holder, error) {
	key := strings.ToLower(name)
	switch kind {
	case KindUser:
		if u, ok := m.users[key]; ok {
			return &u.holder, nil
		}
	case KindGroup:
		if g, ok := m.groups[key]; ok {
			return &g.holder, nil
		}
	case KindRole:
		if r, ok := m.roles[key]; ok {
			return &r.holder, nil
		}
	}
	return nil, noSuchKind(kind, name)
}

// holderConflict is the DeleteConflict for an entity that still has
// policies. AWS: DeleteUser/DeleteGroup/DeleteRole, "you must first
// delete/detach ...".
func holderConflict(h holder) error {
	if len(h.inline) > 0 {
		return deleteConflict("Cannot delete entity, must delete policies first.")
	}
	if len(h.attached) > 0 {
		return deleteConflict("Cannot delete entity, must detach all policies first.")
	}
	return nil
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
	if r.PermissionsBoundary != "" && m.policies[r.PermissionsBoundary] == nil {
		return Role{}, noSuchPolicy(r.PermissionsBoundary)
	}
	m.roles[key] = &roleRec{Role: copyRole(r), holder: newHolder()}
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
	return copyRole(r.Role), nil
}

// ListRoles implements Backend.
func (m *Memory) ListRoles(_ context.Context, pathPrefix string) ([]Role, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	var out []Role
	for _, r := range m.roles {
		if strings.HasPrefix(r.Path, pathPrefix) {
			out = append(out, copyRole(r.Role))
		}
	}
	slices.SortFunc(out, byName(func(r Role) string { return r.Name }))
	return out, nil
}

// DeleteRole implements Backend.
func (m *Memory) DeleteRole(_ context.Context, name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	key := strings.ToLower(name)
	r, ok := m.roles[key]
	if !ok {
		return noSuchRole(name)
	}
	if err := holderConflict(r.holder); err != nil {
		return err
	}
	delete(m.roles, key)
	return nil
}

// UpdateRole implements Backend.
func (m *Memory) UpdateRole(_ context.Context, name string, fn func(*Role) error) (Role, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.roles[strings.ToLower(name)]
	if !ok {
		return Role{}, noSuchRole(name)
	}
	next := copyRole(r.Role)
	if err := fn(&next); err != nil {
		return Role{}, err
	}
	r.Role = copyRole(next)
	return next, nil
}

// CreateUser implements Backend.
func (m *Memory) CreateUser(_ context.Context, u User) (User, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	key := strings.ToLower(u.Name)
	if _, ok := m.users[key]; ok {
		return User{}, entityExists("User with name %s already exists.", u.Name)
	}
	if u.PermissionsBoundary != "" && m.policies[u.PermissionsBoundary] == nil {
		return User{}, noSuchPolicy(u.PermissionsBoundary)
	}
	m.users[key] = &userRec{User: copyUser(u), holder: newHolder()}
	return copyUser(u), nil
}

// GetUser implements Backend.
func (m *Memory) GetUser(_ context.Context, name string) (User, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	u, ok := m.users[strings.ToLower(name)]
	if !ok {
		return User{}, noSuchUser(name)
	}
	return copyUser(u.User), nil
}

// ListUsers implements Backend.
func (m *Memory) ListUsers(_ context.Context, pathPrefix string) ([]User, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	var out []User
	for _, u := range m.users {
		if strings.HasPrefix(u.Path, pathPrefix) {
			out = append(out, copyUser(u.User))
		}
	}
	slices.SortFunc(out, byName(func(u User) string { return u.Name }))
	return out, nil
}

// DeleteUser implements Backend.
func (m *Memory) DeleteUser(_ context.Context, name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	key := strings.ToLower(name)
	u, ok := m.users[key]
	if !ok {
		return noSuchUser(name)
	}
	// AWS: DeleteUser — "you must delete the items attached to the user
	// manually": access keys, policies, group memberships.
	for _, k := range m.keys {
		if strings.EqualFold(k.UserName, name) {
			return deleteConflict("Cannot delete entity, must delete access keys first.")
		}
	}
	if err := holderConflict(u.holder); err != nil {
		return err
	}
	if len(u.groups) > 0 {
		return deleteConflict("Cannot delete entity, must remove user from all groups first.")
	}
	delete(m.users, key)
	return nil
}

// UpdateUser implements Backend.
func (m *Memory) UpdateUser(_ context.Context, name string, fn func(*User) error) (User, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	u, ok := m.users[strings.ToLower(name)]
	if !ok {
		return User{}, noSuchUser(name)
	}
	next := copyUser(u.User)
	if err := fn(&next); err != nil {
		return User{}, err
	}
	u.User = copyUser(next)
	return next, nil
}

// CreateGroup implements Backend.
func (m *Memory) CreateGroup(_ context.Context, g Group) (Group, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	key := strings.ToLower(g.Name)
	if _, ok := m.groups[key]; ok {
		return Group{}, entityExists("Group with name %s already exists.", g.Name)
	}
	m.groups[key] = &groupRec{Group: g, holder: newHolder()}
	return g, nil
}

// GetGroup implements Backend.
func (m *Memory) GetGroup(_ context.Context, name string) (Group, []User, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	g, ok := m.groups[strings.ToLower(name)]
	if !ok {
		return Group{}, nil, noSuchGroup(name)
	}
	users := []User{}
	for _, key := range g.members {
		users = append(users, copyUser(m.users[key].User))
	}
	slices.SortFunc(users, byName(func(u User) string { return u.Name }))
	return g.Group, users, nil
}

// ListGroups implements Backend.
func (m *Memory) ListGroups(_ context.Context, pathPrefix string) ([]Group, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	var out []Group
	for _, g := range m.groups {
		if strings.HasPrefix(g.Path, pathPrefix) {
			out = append(out, g.Group)
		}
	}
	slices.SortFunc(out, byName(func(g Group) string { return g.Name }))
	return out, nil
}

// DeleteGroup implements Backend.
func (m *Memory) DeleteGroup(_ context.Context, name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	key := strings.ToLower(name)
	g, ok := m.groups[key]
	if !ok {
		return noSuchGroup(name)
	}
	if len(g.members) > 0 {
		return deleteConflict("Cannot delete entity, must remove users from group first.")
	}
	if err := holderConflict(g.holder); err != nil {
		return err
	}
	delete(m.groups, key)
	return nil
}

// AddUserToGroup implements Backend.
func (m *Memory) AddUserToGroup(_ context.Context, group, user string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	gk, uk := strings.ToLower(group), strings.ToLower(user)
	g, ok := m.groups[gk]
	if !ok {
		return noSuchGroup(group)
	}
	u, ok := m.users[uk]
	if !ok {
		return noSuchUser(user)
	}
	if slices.Contains(u.groups, gk) {
		return nil
	}
	if len(u.groups) >= maxGroupsPerUser {
		return limitExceeded("Cannot exceed quota for GroupsPerUser: %d", maxGroupsPerUser)
	}
	u.groups = append(u.groups, gk)
	g.members = append(g.members, uk)
	return nil
}

// RemoveUserFromGroup implements Backend.
func (m *Memory) RemoveUserFromGroup(_ context.Context, group, user string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	gk, uk := strings.ToLower(group), strings.ToLower(user)
	g, ok := m.groups[gk]
	if !ok {
		return noSuchGroup(group)
	}
	u, ok := m.users[uk]
	if !ok {
		return noSuchUser(user)
	}
	if !slices.Contains(u.groups, gk) {
		return noSuchEntity("User %s is not in group %s.", user, group)
	}
	u.groups = slices.DeleteFunc(u.groups, func(s string) bool { return s == gk })
	g.members = slices.DeleteFunc(g.members, func(s string) bool { return s == uk })
	return nil
}

// ListGroupsForUser implements Backend.
func (m *Memory) ListGroupsForUser(_ context.Context, user string) ([]Group, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	u, ok := m.users[strings.ToLower(user)]
	if !ok {
		return nil, noSuchUser(user)
	}
	out := []Group{}
	for _, gk := range u.groups {
		out = append(out, m.groups[gk].Group)
	}
	slices.SortFunc(out, byName(func(g Group) string { return g.Name }))
	return out, nil
}

// userKeys returns a user's keys in creation order. m.mu held.
func (m *Memory) userKeys(user string) []AccessKey {
	var out []AccessKey
	for _, k := range m.keys {
		if strings.EqualFold(k.UserName, user) {
			out = append(out, k)
		}
	}
	slices.SortFunc(out, func(a, b AccessKey) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.ID, b.ID))
	})
	return out
}

// CreateAccessKey implements Backend.
func (m *Memory) CreateAccessKey(_ context.Context, k AccessKey) (AccessKey, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	u, ok := m.users[strings.ToLower(k.UserName)]
	if !ok {
		return AccessKey{}, noSuchUser(k.UserName)
	}
	if len(m.userKeys(k.UserName)) >= maxAccessKeysPerUser {
		return AccessKey{}, limitExceeded("Cannot exceed quota for AccessKeysPerUser: %d", maxAccessKeysPerUser)
	}
	if _, dup := m.keys[k.ID]; dup {
		return AccessKey{}, fmt.Errorf("access key id %s generated twice", k.ID)
	}
	k.UserName = u.Name
	m.keys[k.ID] = k
	return k, nil
}

// GetAccessKey implements Backend.
func (m *Memory) GetAccessKey(_ context.Context, id string) (AccessKey, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	k, ok := m.keys[id]
	if !ok {
		return AccessKey{}, noSuchKey(id)
	}
	return k, nil
}

func noSuchKey(id string) error {
	return noSuchEntity("The Access Key with id %s cannot be found.", id)
}

// ListAccessKeys implements Backend.
func (m *Memory) ListAccessKeys(_ context.Context, user string) ([]AccessKey, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if _, ok := m.users[strings.ToLower(user)]; !ok {
		return nil, noSuchUser(user)
	}
	return m.userKeys(user), nil
}

// usersKey finds a key of user. m.mu held.
func (m *Memory) usersKey(user, id string) (AccessKey, error) {
	if _, ok := m.users[strings.ToLower(user)]; !ok {
		return AccessKey{}, noSuchUser(user)
	}
	k, ok := m.keys[id]
	if !ok || !strings.EqualFold(k.UserName, user) {
		return AccessKey{}, noSuchKey(id)
	}
	return k, nil
}

// UpdateAccessKey implements Backend.
func (m *Memory) UpdateAccessKey(_ context.Context, user, id, status string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	k, err := m.usersKey(user, id)
	if err != nil {
		return err
	}
	k.Status = status
	m.keys[id] = k
	return nil
}

// DeleteAccessKey implements Backend.
func (m *Memory) DeleteAccessKey(_ context.Context, user, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, err := m.usersKey(user, id); err != nil {
		return err
	}
	delete(m.keys, id)
	return nil
}

// CreatePolicy implements Backend.
func (m *Memory) CreatePolicy(_ context.Context, p ManagedPolicy) (ManagedPolicy, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, q := range m.policies {
		// AWS: CreatePolicy — a name is unique in the account whatever
		// the path.
		if q.AWSManaged == p.AWSManaged && strings.EqualFold(q.Name, p.Name) {
			return ManagedPolicy{}, entityExists("A policy called %s already exists. Duplicate names are not allowed.", p.Name)
		}
	}
	if len(p.Versions) != 1 {
		return ManagedPolicy{}, fmt.Errorf("CreatePolicy %s: %d versions, want 1", p.Name, len(p.Versions))
	}
	p.Versions = slices.Clone(p.Versions)
	p.Tags = slices.Clone(p.Tags)
	p.Versions[0].ID = "v1"
	p.DefaultVersion, p.NextVersion = "v1", 2
	m.policies[p.ARN] = &p
	return m.policyOut(&p), nil
}

// policy finds a managed policy. m.mu held.
func (m *Memory) policy(arn string) (*ManagedPolicy, error) {
	p, ok := m.policies[arn]
	if !ok {
		return nil, noSuchEntity("Policy %s was not found.", arn)
	}
	return p, nil
}

// GetPolicy implements Backend.
func (m *Memory) GetPolicy(_ context.Context, arn string) (ManagedPolicy, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	p, err := m.policy(arn)
	if err != nil {
		return ManagedPolicy{}, err
	}
	return m.policyOut(p), nil
}

// ListPolicies implements Backend.
func (m *Memory) ListPolicies(_ context.Context) ([]ManagedPolicy, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := make([]ManagedPolicy, 0, len(m.policies))
	for _, p := range m.policies {
		out = append(out, m.policyOut(p))
	}
	slices.SortFunc(out, func(a, b ManagedPolicy) int {
		return cmp.Or(cmp.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)), cmp.Compare(a.ARN, b.ARN))
	})
	return out, nil
}

// DeletePolicy implements Backend.
func (m *Memory) DeletePolicy(_ context.Context, arn string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	p, err := m.policy(arn)
	if err != nil {
		return err
	}
	out := m.policyOut(p)
	// AWS: DeletePolicy — detach it from every entity, remove it as a
	// boundary, and delete every version but the default first.
	switch {
	case out.AttachmentCount > 0:
		return deleteConflict("Cannot delete a policy attached to entities.")
	case out.BoundaryCount > 0:
		return deleteConflict("Cannot delete a policy used as a permissions boundary.")
	case len(p.Versions) > 1:
		return deleteConflict("This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy.")
	}
	delete(m.policies, arn)
	return nil
}

// CreatePolicyVersion implements Backend.
func (m *Memory) CreatePolicyVersion(_ context.Context, arn string, v PolicyVersion, setDefault bool) (PolicyVersion, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	p, err := m.policy(arn)
	if err != nil {
		return PolicyVersion{}, err
	}
	if len(p.Versions) >= maxVersionsPerPolicy {
		// AWS: CreatePolicyVersion — "A managed policy can have up to five
		// versions."
		return PolicyVersion{}, limitExceeded("A managed policy can have up to %d versions. Before you create a new version, you must delete an existing version.", maxVersionsPerPolicy)
	}
	v.ID = "v" + strconv.Itoa(p.NextVersion)
	p.NextVersion++
	p.Versions = append(p.Versions, v)
	p.UpdatedAt = v.CreatedAt
	if setDefault {
		p.DefaultVersion = v.ID
	}
	return v, nil
}

// GetPolicyVersion implements Backend.
func (m *Memory) GetPolicyVersion(_ context.Context, arn, id string) (PolicyVersion, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	p, err := m.policy(arn)
	if err != nil {
		return PolicyVersion{}, err
	}
	i := versionIndex(p, id)
	if i < 0 {
		return PolicyVersion{}, noSuchVersion(arn, id)
	}
	return p.Versions[i], nil
}

func versionIndex(p *ManagedPolicy, id string) int {
	return slices.IndexFunc(p.Versions, func(v PolicyVersion) bool { return v.ID == id })
}

func noSuchVersion(arn, id string) error {
	return noSuchEntity("Policy %s version %s does not exist or is not attachable.", arn, id)
}

// SetDefaultPolicyVersion implements Backend.
func (m *Memory) SetDefaultPolicyVersion(_ context.Context, arn, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	p, err := m.policy(arn)
	if err != nil {
		return err
	}
	if versionIndex(p, id) < 0 {
		return noSuchVersion(arn, id)
	}
	p.DefaultVersion = id
	return nil
}

// DeletePolicyVersion implements Backend.
func (m *Memory) DeletePolicyVersion(_ context.Context, arn, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	p, err := m.policy(arn)
	if err != nil {
		return err
	}
	i := versionIndex(p, id)
	if i < 0 {
		return noSuchVersion(arn, id)
	}
	if p.DefaultVersion == id {
		return deleteConflict("Cannot delete the default version of a policy.")
	}
	p.Versions = slices.Delete(p.Versions, i, i+1)
	return nil
}

// AttachPolicy implements Backend.
func (m *Memory) AttachPolicy(_ context.Context, kind Kind, entity, arn string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	h, err := m.holderOf(kind, entity)
	if err != nil {
		return err
	}
	if m.policies[arn] == nil {
		return noSuchPolicy(arn)
	}
	if slices.Contains(h.attached, arn) {
		return nil
	}
	if len(h.attached) >= maxAttachedPerEntity {
		return limitExceeded("Cannot exceed quota for PoliciesPer%s: %d", quotaName(kind), maxAttachedPerEntity)
	}
	h.attached = append(h.attached, arn)
	return nil
}

func quotaName(kind Kind) string {
	switch kind {
	case KindUser:
		return "User"
	case KindGroup:
		return "Group"
	}
	return "Role"
}

// DetachPolicy implements Backend.
func (m *Memory) DetachPolicy(_ context.Context, kind Kind, entity, arn string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	h, err := m.holderOf(kind, entity)
	if err != nil {
		return err
	}
	i := slices.Index(h.attached, arn)
	if i < 0 {
		return noSuchEntity("Policy %s was not found.", arn)
	}
	h.attached = slices.Delete(h.attached, i, i+1)
	return nil
}

// ListAttachedPolicies implements Backend.
func (m *Memory) ListAttachedPolicies(_ context.Context, kind Kind, entity string) ([]ManagedPolicy, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	h, err := m.holderOf(kind, entity)
	if err != nil {
		return nil, err
	}
	out := []ManagedPolicy{}
	for _, arn := range h.attached {
		out = append(out, m.policyOut(m.policies[arn]))
	}
	return out, nil
}

// ListEntitiesForPolicy implements Backend.
func (m *Memory) ListEntitiesForPolicy(_ context.Context, arn string, boundary bool) ([]EntityRef, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if _, err := m.policy(arn); err != nil {
		return nil, err
	}
	var out []EntityRef
	uses := func(h holder, pb string) bool {
		if boundary {
			return pb == arn
		}
		return slices.Contains(h.attached, arn)
	}
	for _, u := range m.users {
		if uses(u.holder, u.PermissionsBoundary) {
			out = append(out, EntityRef{KindUser, u.Name, u.ID, u.Path})
		}
	}
	for _, g := range m.groups {
		if uses(g.holder, "") {
			out = append(out, EntityRef{KindGroup, g.Name, g.ID, g.Path})
		}
	}
	for _, r := range m.roles {
		if uses(r.holder, r.PermissionsBoundary) {
			out = append(out, EntityRef{KindRole, r.Name, r.ID, r.Path})
		}
	}
	slices.SortFunc(out, func(a, b EntityRef) int {
		return cmp.Or(cmp.Compare(a.Kind, b.Kind), cmp.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)))
	})
	return out, nil
}

// SetPermissionsBoundary implements Backend.
func (m *Memory) SetPermissionsBoundary(_ context.Context, kind Kind, entity, arn string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if arn != "" && m.policies[arn] == nil {
		return noSuchPolicy(arn)
	}
	key := strings.ToLower(entity)
	switch kind {
	case KindUser:
		if u, ok := m.users[key]; ok {
			u.PermissionsBoundary = arn
			return nil
		}
	case KindRole:
		if r, ok := m.roles[key]; ok {
			r.PermissionsBoundary = arn
			return nil
		}
	default:
		return fmt.Errorf("permissions boundary on a %s", kind)
	}
	return noSuchKind(kind, entity)
}

// PutInlinePolicy implements Backend.
func (m *Memory) PutInlinePolicy(_ context.Context, kind Kind, entity string, p InlinePolicy) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	h, err := m.holderOf(kind, entity)
	if err != nil {
		return err
	}
	h.inline[p.Name] = p
	return nil
}

func noSuchInline(kind Kind, name string) error {
	return noSuchEntity("The %s policy with name %s cannot be found.", kind, name)
}

// GetInlinePolicy implements Backend.
func (m *Memory) GetInlinePolicy(_ context.Context, kind Kind, entity, name string) (InlinePolicy, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	h, err := m.holderOf(kind, entity)
	if err != nil {
		return InlinePolicy{}, err
	}
	p, ok := h.inline[name]
	if !ok {
		return InlinePolicy{}, noSuchInline(kind, name)
	}
	return p, nil
}

// ListInlinePolicies implements Backend.
func (m *Memory) ListInlinePolicies(_ context.Context, kind Kind, entity string) ([]string, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	h, err := m.holderOf(kind, entity)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(h.inline))
	for n := range h.inline {
		names = append(names, n)
	}
	slices.Sort(names)
	return names, nil
}

// DeleteInlinePolicy implements Backend.
func (m *Memory) DeleteInlinePolicy(_ context.Context, kind Kind, entity, name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	h, err := m.holderOf(kind, entity)
	if err != nil {
		return err
	}
	if _, ok := h.inline[name]; !ok {
		return noSuchInline(kind, name)
	}
	delete(h.inline, name)
	return nil
}

// grantsOf appends an entity's inline then attached policies. m.mu held.
func (m *Memory) grantsOf(out []GrantSource, kind Kind, name string, h holder) []GrantSource {
	names := make([]string, 0, len(h.inline))
	for n := range h.inline {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		p := h.inline[n]
		out = append(out, GrantSource{Kind: kind, Entity: name, Name: n, Document: p.Document, Parsed: p.Parsed})
	}
	for _, arn := range h.attached {
		out = append(out, m.managedGrant(kind, name, arn))
	}
	return out
}

// managedGrant is a managed policy's default version. m.mu held.
func (m *Memory) managedGrant(kind Kind, entity, arn string) GrantSource {
	p := m.policies[arn]
	v := p.Default()
	return GrantSource{Kind: kind, Entity: entity, Name: p.Name, ARN: arn, AWSManaged: p.AWSManaged, Document: v.Document, Parsed: v.Parsed}
}

// Grants implements Backend.
func (m *Memory) Grants(_ context.Context, kind Kind, entity string) (Grants, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	var g Grants
	boundary := ""
	key := strings.ToLower(entity)
	switch kind {
	case KindUser:
		u, ok := m.users[key]
		if !ok {
			return Grants{}, noSuchUser(entity)
		}
		g.Policies = m.grantsOf(g.Policies, KindUser, u.Name, u.holder)
		groups := slices.Clone(u.groups)
		slices.Sort(groups)
		for _, gk := range groups {
			gr := m.groups[gk]
			g.Policies = m.grantsOf(g.Policies, KindGroup, gr.Name, gr.holder)
		}
		boundary = u.PermissionsBoundary
		entity = u.Name
	case KindGroup:
		gr, ok := m.groups[key]
		if !ok {
			return Grants{}, noSuchGroup(entity)
		}
		g.Policies = m.grantsOf(g.Policies, KindGroup, gr.Name, gr.holder)
	case KindRole:
		r, ok := m.roles[key]
		if !ok {
			return Grants{}, noSuchRole(entity)
		}
		g.Policies = m.grantsOf(g.Policies, KindRole, r.Name, r.holder)
		boundary = r.PermissionsBoundary
		entity = r.Name
	}
	if boundary != "" && m.policies[boundary] != nil {
		b := m.managedGrant(kind, entity, boundary)
		g.Boundary = &b
	}
	return g, nil
}

// CreateSession implements Backend.
func (m *Memory) CreateSession(_ context.Context, s Session) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, dup := m.sessions[s.AccessKeyID]; dup {
		return fmt.Errorf("session key id %s generated twice", s.AccessKeyID)
	}
	s.Policies = slices.Clone(s.Policies)
	s.PolicyDocuments = slices.Clone(s.PolicyDocuments)
	s.Tags = slices.Clone(s.Tags)
	m.sessions[s.AccessKeyID] = s
	return nil
}

// GetSession implements Backend.
func (m *Memory) GetSession(_ context.Context, id string) (Session, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	s, ok := m.sessions[id]
	if !ok {
		return Session{}, noSuchEntity("The security token included in the request is invalid.")
	}
	s.Policies = slices.Clone(s.Policies)
	s.PolicyDocuments = slices.Clone(s.PolicyDocuments)
	s.Tags = slices.Clone(s.Tags)
	return s, nil
}
