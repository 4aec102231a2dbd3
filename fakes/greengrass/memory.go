package greengrass

import (
	"context"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"
)

// Memory is the in-memory Backend. The zero value is not usable; call
// NewMemory.
type Memory struct {
	mu          sync.RWMutex
	groups      map[string]*groupRec
	groupOrder  []string
	defs        map[Kind]map[string]*defRec
	defOrder    map[Kind][]string
	serviceRole *RoleAssociation
	// connectivity by thing name.
	connectivity map[string]ThingConnectivity
}

type groupRec struct {
	g        Group
	versions []GroupVersion
	// deployments in creation order.
	deployments []Deployment
	role        *RoleAssociation
	// cas newest first.
	cas        []GroupCA
	certExpiry time.Duration
}

type defRec struct {
	d        Definition
	versions []DefinitionVersion
}

var (
	_ Backend                     = (*Memory)(nil)
	_ ConnectivityBackend         = (*Memory)(nil)
	_ CertificateAuthorityBackend = (*Memory)(nil)
)

// NewMemory returns an empty in-memory Backend.
func NewMemory() *Memory {
	m := &Memory{groups: map[string]*groupRec{}, defs: map[Kind]map[string]*defRec{}, defOrder: map[Kind][]string{}, connectivity: map[string]ThingConnectivity{}}
	for _, k := range Kinds {
		m.defs[k] = map[string]*defRec{}
	}
	return m
}

func copyGroup(g Group) Group {
	g.Tags = maps.Clone(g.Tags)
	return g
}

func copyDef(d Definition) Definition {
	d.Tags = maps.Clone(d.Tags)
	return d
}

func copyDefVersion(v DefinitionVersion) DefinitionVersion {
	v.Content = v.Content.clone()
	return v
}

func copyDeployment(d Deployment) Deployment {
	d.ErrorDetails = slices.Clone(d.ErrorDetails)
	return d
}

// group returns the record of id or IdNotFoundException. m.mu held.
func (m *Memory) group(id string) (*groupRec, error) {
	rec, ok := m.groups[id]
	if !ok {
		// AWS: "That Group Definition does not exist."
		return nil, idNotFound("That Group Definition does not exist.")
	}
	return rec, nil
}

// def returns the record of kind/id or IdNotFoundException. m.mu held.
func (m *Memory) def(kind Kind, id string) (*defRec, error) {
	if !kind.valid() {
		return nil, badRequest("unknown definition kind %q", kind)
	}
	rec, ok := m.defs[kind][id]
	if !ok {
		return nil, idNotFound("That %s does not exist.", kindInfos[kind].title)
	}
	return rec, nil
}

// checkRefs checks that every definition version a group version names
// exists. m.mu held. AWS: "The group is invalid or corrupted.
// (ErrorDetails: [Cores definition reference does not exist, ...])".
func (m *Memory) checkRefs(d GroupDefinition) error {
	var problems []string
	for _, ref := range d.refs() {
		if !m.versionExists(ref.kind, ref.arn) {
			problems = append(problems, kindInfos[ref.kind].op+"s definition reference does not exist: "+ref.arn)
		}
	}
	if len(problems) > 0 {
		return badRequest("The group is invalid or corrupted. (ErrorDetails: [%s])", strings.Join(problems, ", "))
	}
	return nil
}

// versionExists reports whether arn is the ARN of a stored version of kind.
// m.mu held.
func (m *Memory) versionExists(kind Kind, arn string) bool {
	_, defID, version, ok := splitDefinitionVersionArn(arn)
	if !ok {
		return false
	}
	rec, found := m.defs[kind][defID]
	if !found {
		return false
	}
	for _, v := range rec.versions {
		if v.Version == version {
			return v.Arn == arn
		}
	}
	return false
}

// CreateGroup implements Backend.
func (m *Memory) CreateGroup(_ context.Context, g Group, initial *GroupVersion) (Group, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, dup := m.groups[g.ID]; dup {
		return Group{}, badRequest("group %s already exists", g.ID)
	}
	rec := &groupRec{g: copyGroup(g)}
	if initial != nil {
		if err := m.checkRefs(initial.Definition); err != nil {
			return Group{}, err
		}
		rec.versions = append(rec.versions, *initial)
		rec.g.LatestVersion, rec.g.LatestVersionArn = initial.Version, initial.Arn
	}
	m.groups[g.ID] = rec
	m.groupOrder = append(m.groupOrder, g.ID)
	return copyGroup(rec.g), nil
}

// GetGroup implements Backend.
func (m *Memory) GetGroup(_ context.Context, id string) (Group, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	rec, err := m.group(id)
	if err != nil {
		return Group{}, err
	}
	return copyGroup(rec.g), nil
}

// ListGroups implements Backend.
func (m *Memory) ListGroups(context.Context) ([]Group, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := make([]Group, 0, len(m.groupOrder))
	for _, id := range m.groupOrder {
		out = append(out, copyGroup(m.groups[id].g))
	}
	return out, nil
}

// UpdateGroup implements Backend.
func (m *Memory) UpdateGroup(_ context.Context, id, name string, now time.Time) (Group, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	rec, err := m.group(id)
	if err != nil {
		return Group{}, err
	}
	rec.g.Name, rec.g.UpdatedAt = name, now
	return copyGroup(rec.g), nil
}

// DeleteGroup implements Backend.
func (m *Memory) DeleteGroup(_ context.Context, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	rec, err := m.group(id)
	if err != nil {
		return err
	}
	// [INF] AWS asks for a reset before a deployed group can be deleted
	// (console: "reset deployments" first).
	if n := len(rec.deployments); n > 0 && !rec.deployments[n-1].Type.isReset() {
		return badRequest("Group %s is deployed. Reset its deployments (ResetDeployments) before deleting it.", id)
	}
	delete(m.groups, id)
	m.groupOrder = slices.DeleteFunc(m.groupOrder, func(s string) bool { return s == id })
	return nil
}

// CreateGroupVersion implements Backend.
func (m *Memory) CreateGroupVersion(_ context.Context, v GroupVersion) (GroupVersion, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	rec, err := m.group(v.GroupID)
	if err != nil {
		return GroupVersion{}, err
	}
	if err := m.checkRefs(v.Definition); err != nil {
		return GroupVersion{}, err
	}
	rec.versions = append(rec.versions, v)
	rec.g.LatestVersion, rec.g.LatestVersionArn = v.Version, v.Arn
	rec.g.UpdatedAt = v.CreatedAt
	return v, nil
}

// GetGroupVersion implements Backend.
func (m *Memory) GetGroupVersion(_ context.Context, groupID, version string) (GroupVersion, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	rec, err := m.group(groupID)
	if err != nil {
		return GroupVersion{}, err
	}
	for _, v := range rec.versions {
		if v.Version == version {
			return v, nil
		}
	}
	return GroupVersion{}, versionNotFound("Version %s of Group Definition %s does not exist.", version, groupID)
}

// ListGroupVersions implements Backend.
func (m *Memory) ListGroupVersions(_ context.Context, groupID string) ([]GroupVersion, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	rec, err := m.group(groupID)
	if err != nil {
		return nil, err
	}
	return slices.Clone(rec.versions), nil
}

// CreateDefinition implements Backend.
func (m *Memory) CreateDefinition(_ context.Context, d Definition, initial *DefinitionVersion) (Definition, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !d.Kind.valid() {
		return Definition{}, badRequest("unknown definition kind %q", d.Kind)
	}
	if _, dup := m.defs[d.Kind][d.ID]; dup {
		return Definition{}, badRequest("definition %s already exists", d.ID)
	}
	rec := &defRec{d: copyDef(d)}
	if initial != nil {
		rec.versions = append(rec.versions, copyDefVersion(*initial))
		rec.d.LatestVersion, rec.d.LatestVersionArn = initial.Version, initial.Arn
	}
	m.defs[d.Kind][d.ID] = rec
	m.defOrder[d.Kind] = append(m.defOrder[d.Kind], d.ID)
	return copyDef(rec.d), nil
}

// GetDefinition implements Backend.
func (m *Memory) GetDefinition(_ context.Context, kind Kind, id string) (Definition, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	rec, err := m.def(kind, id)
	if err != nil {
		return Definition{}, err
	}
	return copyDef(rec.d), nil
}

// ListDefinitions implements Backend.
func (m *Memory) ListDefinitions(_ context.Context, kind Kind) ([]Definition, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if !kind.valid() {
		return nil, badRequest("unknown definition kind %q", kind)
	}
	out := make([]Definition, 0, len(m.defOrder[kind]))
	for _, id := range m.defOrder[kind] {
		out = append(out, copyDef(m.defs[kind][id].d))
	}
	return out, nil
}

// UpdateDefinition implements Backend.
func (m *Memory) UpdateDefinition(_ context.Context, kind Kind, id, name string, now time.Time) (Definition, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	rec, err := m.def(kind, id)
	if err != nil {
		return Definition{}, err
	}
	rec.d.Name, rec.d.UpdatedAt = name, now
	return copyDef(rec.d), nil
}

// DeleteDefinition implements Backend.
func (m *Memory) DeleteDefinition(_ context.Context, kind Kind, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, err := m.def(kind, id); err != nil {
		return err
	}
	delete(m.defs[kind], id)
	m.defOrder[kind] = slices.DeleteFunc(m.defOrder[kind], func(s string) bool { return s == id })
	return nil
}

// CreateDefinitionVersion implements Backend.
func (m *Memory) CreateDefinitionVersion(_ context.Context, v DefinitionVersion) (DefinitionVersion, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	rec, err := m.def(v.Kind, v.DefinitionID)
	if err != nil {
		return DefinitionVersion{}, err
	}
	v = copyDefVersion(v)
	rec.versions = append(rec.versions, v)
	rec.d.LatestVersion, rec.d.LatestVersionArn = v.Version, v.Arn
	rec.d.UpdatedAt = v.CreatedAt
	return copyDefVersion(v), nil
}

// GetDefinitionVersion implements Backend.
func (m *Memory) GetDefinitionVersion(_ context.Context, kind Kind, id, version string) (DefinitionVersion, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	rec, err := m.def(kind, id)
	if err != nil {
		return DefinitionVersion{}, err
	}
	for _, v := range rec.versions {
		if v.Version == version {
			return copyDefVersion(v), nil
		}
	}
	return DefinitionVersion{}, versionNotFound("Version %s of %s %s does not exist.", version, kindInfos[kind].title, id)
}

// ListDefinitionVersions implements Backend.
func (m *Memory) ListDefinitionVersions(_ context.Context, kind Kind, id string) ([]DefinitionVersion, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	rec, err := m.def(kind, id)
	if err != nil {
		return nil, err
	}
	out := make([]DefinitionVersion, len(rec.versions))
	for i, v := range rec.versions {
		out[i] = copyDefVersion(v)
	}
	return out, nil
}

// CreateDeployment implements Backend.
func (m *Memory) CreateDeployment(_ context.Context, d Deployment, redeployOf string) (Deployment, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	rec, ok := m.groups[d.GroupID]
	if !ok {
		return Deployment{}, resourceNotFound("That Group Definition does not exist.")
	}
	switch d.Type {
	case NewDeployment, Redeployment:
		if d.Type == Redeployment {
			i := slices.IndexFunc(rec.deployments, func(p Deployment) bool { return p.DeploymentID == redeployOf })
			if i < 0 {
				return Deployment{}, invalidInput("Deployment ID '%s' is invalid.", redeployOf)
			}
			if d.GroupVersionID == "" {
				d.GroupVersionID = rec.deployments[i].GroupVersionID
			}
		}
		if d.GroupVersionID == "" {
			return Deployment{}, invalidInput("Your request is missing the following required parameter(s): {GroupVersionId}.")
		}
		i := slices.IndexFunc(rec.versions, func(v GroupVersion) bool { return v.Version == d.GroupVersionID })
		if i < 0 {
			return Deployment{}, resourceNotFound("Version %s of Group Definition %s does not exist.", d.GroupVersionID, d.GroupID)
		}
		if rec.versions[i].Definition.CoreDefinitionVersionArn == "" {
			return Deployment{}, missingCore()
		}
	case ResetDeployment:
		if n := len(rec.deployments); n == 0 || rec.deployments[n-1].Type.isReset() {
			return Deployment{}, resourceNotFound("Group id: %s has not been deployed or has already been reset.", d.GroupID)
		}
		d.GroupVersionID = ""
	case ForceResetDeployment:
		d.GroupVersionID = ""
	default:
		return Deployment{}, invalidInput("That deployment type is not valid.")
	}
	d = copyDeployment(d)
	rec.deployments = append(rec.deployments, d)
	return copyDeployment(d), nil
}

// GetDeployment implements Backend.
func (m *Memory) GetDeployment(_ context.Context, groupID, deploymentID string) (Deployment, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if rec, ok := m.groups[groupID]; ok {
		for _, d := range rec.deployments {
			if d.DeploymentID == deploymentID {
				return copyDeployment(d), nil
			}
		}
	}
	return Deployment{}, invalidInput("Deployment '%s' does not exist.", deploymentID)
}

// ListDeployments implements Backend.
func (m *Memory) ListDeployments(_ context.Context, groupID string) ([]Deployment, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	rec, ok := m.groups[groupID]
	if !ok {
		return nil, nil
	}
	out := make([]Deployment, 0, len(rec.deployments))
	for i := len(rec.deployments) - 1; i >= 0; i-- {
		out = append(out, copyDeployment(rec.deployments[i]))
	}
	return out, nil
}

// UpdateDeployment implements Backend.
func (m *Memory) UpdateDeployment(_ context.Context, d Deployment) (Deployment, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if rec, ok := m.groups[d.GroupID]; ok {
		for i := range rec.deployments {
			p := &rec.deployments[i]
			if p.DeploymentID == d.DeploymentID {
				p.Status, p.UpdatedAt, p.ErrorMessage = d.Status, d.UpdatedAt, d.ErrorMessage
				p.ErrorDetails = slices.Clone(d.ErrorDetails)
				return copyDeployment(*p), nil
			}
		}
	}
	return Deployment{}, invalidInput("Deployment '%s' does not exist.", d.DeploymentID)
}

// AssociateRoleToGroup implements Backend.
func (m *Memory) AssociateRoleToGroup(_ context.Context, groupID string, r RoleAssociation) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	rec, err := m.group(groupID)
	if err != nil {
		return err
	}
	rec.role = &r
	return nil
}

// GetAssociatedRole implements Backend.
func (m *Memory) GetAssociatedRole(_ context.Context, groupID string) (RoleAssociation, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	rec, err := m.group(groupID)
	if err != nil {
		return RoleAssociation{}, err
	}
	if rec.role == nil {
		return RoleAssociation{}, badRequest("You need to attach an IAM role to this deployment group.")
	}
	return *rec.role, nil
}

// DisassociateRoleFromGroup implements Backend.
func (m *Memory) DisassociateRoleFromGroup(_ context.Context, groupID string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	rec, err := m.group(groupID)
	if err != nil {
		return err
	}
	rec.role = nil
	return nil
}

// SetServiceRole implements Backend.
func (m *Memory) SetServiceRole(_ context.Context, r *RoleAssociation) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if r != nil {
		c := *r
		r = &c
	}
	m.serviceRole = r
	return nil
}

// ServiceRole implements Backend.
func (m *Memory) ServiceRole(context.Context) (RoleAssociation, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.serviceRole == nil {
		return RoleAssociation{}, resourceNotFound("No service role is associated with this account.")
	}
	return *m.serviceRole, nil
}

// tagsOf finds the tag map of the group or definition named arn. m.mu held.
func (m *Memory) tagsOf(arn string) (*map[string]string, error) {
	for _, rec := range m.groups {
		if rec.g.Arn == arn {
			return &rec.g.Tags, nil
		}
	}
	for _, byID := range m.defs {
		for _, rec := range byID {
			if rec.d.Arn == arn {
				return &rec.d.Tags, nil
			}
		}
	}
	return nil, resourceNotFound("Resource %s does not exist.", arn)
}

// Tags implements Backend.
func (m *Memory) Tags(_ context.Context, arn string) (map[string]string, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	t, err := m.tagsOf(arn)
	if err != nil {
		return nil, err
	}
	return maps.Clone(*t), nil
}

// TagResource implements Backend.
func (m *Memory) TagResource(_ context.Context, arn string, tags map[string]string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	t, err := m.tagsOf(arn)
	if err != nil {
		return err
	}
	if *t == nil {
		*t = map[string]string{}
	}
	maps.Copy(*t, tags)
	return nil
}

// UntagResource implements Backend.
func (m *Memory) UntagResource(_ context.Context, arn string, keys []string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	t, err := m.tagsOf(arn)
	if err != nil {
		return err
	}
	for _, k := range keys {
		delete(*t, k)
	}
	return nil
}

func copyGroupCA(ca GroupCA) GroupCA {
	ca.CertificatePEM = slices.Clone(ca.CertificatePEM)
	ca.PrivateKeyDER = slices.Clone(ca.PrivateKeyDER)
	return ca
}

func copyGroupCAs(cas []GroupCA) []GroupCA {
	out := make([]GroupCA, len(cas))
	for i, ca := range cas {
		out[i] = copyGroupCA(ca)
	}
	return out
}

// AddGroupCA implements CertificateAuthorityBackend.
func (m *Memory) AddGroupCA(_ context.Context, ca GroupCA, ifNone bool) ([]GroupCA, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	rec, err := m.group(ca.GroupID)
	if err != nil {
		return nil, err
	}
	if !ifNone || len(rec.cas) == 0 {
		rec.cas = append([]GroupCA{copyGroupCA(ca)}, rec.cas...)
	}
	return copyGroupCAs(rec.cas), nil
}

// GroupCAs implements CertificateAuthorityBackend.
func (m *Memory) GroupCAs(_ context.Context, groupID string) ([]GroupCA, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	rec, err := m.group(groupID)
	if err != nil {
		return nil, err
	}
	return copyGroupCAs(rec.cas), nil
}

// SetCertificateExpiry implements CertificateAuthorityBackend.
func (m *Memory) SetCertificateExpiry(_ context.Context, groupID string, d time.Duration) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	rec, err := m.group(groupID)
	if err != nil {
		return err
	}
	rec.certExpiry = d
	return nil
}

// CertificateExpiry implements CertificateAuthorityBackend.
func (m *Memory) CertificateExpiry(_ context.Context, groupID string) (time.Duration, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	rec, err := m.group(groupID)
	if err != nil {
		return 0, err
	}
	return rec.certExpiry, nil
}

// PutConnectivity implements ConnectivityBackend.
func (m *Memory) PutConnectivity(_ context.Context, c ThingConnectivity) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	c.Info = slices.Clone(c.Info)
	m.connectivity[c.ThingName] = c
	return nil
}

// Connectivity implements ConnectivityBackend.
func (m *Memory) Connectivity(_ context.Context, thingName string) (ThingConnectivity, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	c, ok := m.connectivity[thingName]
	if !ok {
		return ThingConnectivity{ThingName: thingName}, nil
	}
	c.Info = slices.Clone(c.Info)
	return c, nil
}
