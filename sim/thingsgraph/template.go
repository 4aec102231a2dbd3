package thingsgraph

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/tgsim/tgsim/sim/tdm"
)

// maxRevisions is how many revisions of a flow or system are kept [API
// GetFlowTemplateRevisions: the last 100].
const maxRevisions = 100

// template is a stored flow or system template.
type template struct {
	id         string
	kind       tdm.Kind
	name       string
	created    time.Time
	deprecated bool
	revisions  []*revision // ascending, at most maxRevisions; the last is the latest
}

// revision is one revision of a template.
type revision struct {
	number    int64
	text      string
	entity    *tdm.Entity
	set       *tdm.Set
	created   time.Time
	nsVersion int64
	nsName    string // the account namespace it was parsed for
}

func (t *template) latest() *revision { return t.revisions[len(t.revisions)-1] }

func (t *template) revision(n int64) *revision {
	for _, r := range t.revisions {
		if r.number == n {
			return r
		}
	}
	return nil
}

// arn builds the ARN the API returns: the namespace leaf, the metatype as
// written and the name joined with '#' [DOC ug:iot-tg-gs-thing-sample-deploy-cli].
func (s *Service) arn(ctx context.Context, urn string) string {
	u, err := tdm.ParseURN(urn)
	if err != nil {
		return ""
	}
	leaf := u.Namespace
	if i := strings.LastIndex(leaf, "/"); i >= 0 {
		leaf = leaf[i+1:]
	}
	return fmt.Sprintf("arn:aws:iotthingsgraph:%s:%s:%s#%s#%s", s.region(ctx), s.account(ctx), leaf, capitalize(u.Metatype), u.Path)
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// templateOps bundles what differs between flows and systems.
type templateOps struct {
	kind  tdm.Kind
	noun  string // "flow" or "system"
	store map[string]*template
}

// change is the store change of template key.
func (o templateOps) change(key string) *change {
	if o.kind == tdm.KindFlow {
		return &change{flows: []string{key}}
	}
	return &change{systems: []string{key}}
}

func (s *Service) flowOps() templateOps {
	return templateOps{kind: tdm.KindFlow, noun: "flow", store: s.flows}
}

func (s *Service) systemOps() templateOps {
	return templateOps{kind: tdm.KindSystem, noun: "system", store: s.systems}
}

type templateInput struct {
	ID                         string              `json:"id"`
	Definition                 *definitionDocument `json:"definition"`
	CompatibleNamespaceVersion *int64              `json:"compatibleNamespaceVersion"`
}

// newRevisionLocked parses and validates a definition against the account
// namespace (latest or compatibleNamespaceVersion). s.mu held.
func (s *Service) newRevisionLocked(ctx context.Context, in *templateInput, ops templateOps) (*revision, error) {
	set, ent, err := parseOne(in.Definition, ops.kind, accountNamespaceName(s.region(ctx), s.account(ctx)))
	if err != nil {
		return nil, err
	}
	snap, err := s.snapshotLocked(ctx, "compatibleNamespaceVersion", in.CompatibleNamespaceVersion)
	if err != nil {
		return nil, err
	}
	if errs := set.Check(s.resolverLocked(snap)); len(errs) > 0 {
		return nil, invalidRequest("definition.text: %v", errs)
	}
	var ver int64
	if snap != nil {
		ver = snap.version
	}
	return &revision{text: in.Definition.Text, entity: ent, set: set, created: s.opts.Now(), nsVersion: ver,
		nsName: accountNamespaceName(s.region(ctx), s.account(ctx))}, nil
}

// createTemplate implements CreateFlowTemplate and CreateSystemTemplate.
func (s *Service) createTemplate(ctx context.Context, body []byte, ops templateOps) (any, error) {
	var in templateInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rev, err := s.newRevisionLocked(ctx, &in, ops)
	if err != nil {
		return nil, err
	}
	key := tdm.Key(rev.entity.ID)
	if ops.store[key] != nil {
		return nil, alreadyExists("%s %s already exists", ops.noun, rev.entity.ID)
	}
	if ops.kind == tdm.KindFlow && s.opts.MaxFlowTemplates > 0 && len(ops.store) >= s.opts.MaxFlowTemplates {
		return nil, limitExceeded("the account has %d flows; the configured limit is %d", len(ops.store), s.opts.MaxFlowTemplates)
	}
	rev.number = 1
	t := &template{id: rev.entity.ID, kind: ops.kind, name: rev.entity.Name, created: rev.created, revisions: []*revision{rev}}
	ops.store[key] = t
	if err := s.commitLocked(ops.change(key)); err != nil {
		return nil, err
	}
	s.log.InfoContext(ctx, "template created", "kind", ops.kind, "id", t.id)
	return map[string]any{"summary": s.templateSummary(ctx, t, rev)}, nil
}

// updateTemplate implements UpdateFlowTemplate and UpdateSystemTemplate: a
// new revision of the latest; the last 100 are kept.
func (s *Service) updateTemplate(ctx context.Context, body []byte, ops templateOps) (any, error) {
	var in templateInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if err := validateURN("id", in.ID); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t := ops.store[tdm.Key(in.ID)]
	if t == nil {
		return nil, notFound("%s %s not found", ops.noun, in.ID)
	}
	if t.deprecated {
		// [INF] A deprecated template is marked for deletion; only its
		// existing revisions can be read.
		return nil, invalidRequest("%s %s is deprecated and cannot be updated; create a new one", ops.noun, t.id)
	}
	rev, err := s.newRevisionLocked(ctx, &in, ops)
	if err != nil {
		return nil, err
	}
	if !tdm.SameURN(rev.entity.ID, t.id) {
		return nil, invalidRequest("definition.text: %s: the definition's id differs from id %s; copy the %s to a new id with Create instead", rev.entity.Pos, in.ID, ops.noun)
	}
	rev.number = t.latest().number + 1
	t.revisions = append(t.revisions, rev)
	if len(t.revisions) > maxRevisions {
		t.revisions = append([]*revision(nil), t.revisions[len(t.revisions)-maxRevisions:]...)
	}
	if err := s.commitLocked(ops.change(tdm.Key(in.ID))); err != nil {
		return nil, err
	}
	s.log.InfoContext(ctx, "template updated", "kind", ops.kind, "id", t.id, "revision", rev.number)
	return map[string]any{"summary": s.templateSummary(ctx, t, rev)}, nil
}

func (s *Service) templateSummary(ctx context.Context, t *template, r *revision) map[string]any {
	return map[string]any{"id": t.id, "arn": s.arn(ctx, t.id), "revisionNumber": r.number, "createdAt": epoch(r.created)}
}

// getTemplate implements GetFlowTemplate and GetSystemTemplate.
func (s *Service) getTemplate(ctx context.Context, body []byte, ops templateOps) (any, error) {
	var in struct {
		ID             string `json:"id"`
		RevisionNumber *int64 `json:"revisionNumber"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if err := validateURN("id", in.ID); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	t := ops.store[tdm.Key(in.ID)]
	if t == nil {
		return nil, notFound("%s %s not found", ops.noun, in.ID)
	}
	r := t.latest()
	if in.RevisionNumber != nil {
		if r = t.revision(*in.RevisionNumber); r == nil {
			return nil, notFound("%s %s has no revision %d (kept: %d to %d)", ops.noun, t.id, *in.RevisionNumber, t.revisions[0].number, t.latest().number)
		}
	}
	return map[string]any{"description": map[string]any{
		"summary": s.templateSummary(ctx, t, r), "definition": definitionDocument{Language: "GRAPHQL", Text: r.text},
		"validatedNamespaceVersion": r.nsVersion,
	}}, nil
}

// getTemplateRevisions implements Get*TemplateRevisions: newest first [INF].
func (s *Service) getTemplateRevisions(ctx context.Context, body []byte, ops templateOps) (any, error) {
	var in struct {
		ID         string  `json:"id"`
		NextToken  *string `json:"nextToken"`
		MaxResults *int64  `json:"maxResults"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if err := validateURN("id", in.ID); err != nil {
		return nil, err
	}
	q := newPageQuery("Get"+capitalize(ops.noun)+"TemplateRevisions", tdm.Key(in.ID))
	s.mu.RLock()
	defer s.mu.RUnlock()
	t := ops.store[tdm.Key(in.ID)]
	if t == nil {
		return nil, notFound("%s %s not found", ops.noun, in.ID)
	}
	from, to, next, err := q.page(len(t.revisions), in.NextToken, in.MaxResults)
	if err != nil {
		return nil, err
	}
	out := make([]map[string]any, 0, to-from)
	for i := from; i < to; i++ {
		out = append(out, s.templateSummary(ctx, t, t.revisions[len(t.revisions)-1-i]))
	}
	return pageOut(map[string]any{"summaries": out}, next), nil
}

// deprecateTemplate marks a template for deletion: it can no longer be
// deployed or updated; running deployments continue [API; DOC].
func (s *Service) deprecateTemplate(ctx context.Context, body []byte, ops templateOps) (any, error) {
	id, err := requiredID(body)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t := ops.store[tdm.Key(id)]
	if t == nil {
		return nil, notFound("%s %s not found", ops.noun, id)
	}
	t.deprecated = true
	if err := s.commitLocked(ops.change(tdm.Key(id))); err != nil {
		return nil, err
	}
	s.log.InfoContext(ctx, "template deprecated", "kind", ops.kind, "id", t.id)
	return struct{}{}, nil
}

// deleteTemplate deletes a deprecated template. [DOC ug:iot-tg-lifecycle]
// a flow or system must be deprecated first: otherwise
// ResourceInUseException. [INF spec §3.4] Systems or instances that still
// refer to it do not prevent deletion; they fail to deploy afterwards.
// The model lists no ResourceNotFoundException for the delete operations,
// so an unknown id is InvalidRequestException.
func (s *Service) deleteTemplate(ctx context.Context, body []byte, ops templateOps) (any, error) {
	id, err := requiredID(body)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	key := tdm.Key(id)
	t := ops.store[key]
	if t == nil {
		return nil, invalidRequest("%s %s does not exist", ops.noun, id)
	}
	if !t.deprecated {
		return nil, inUse("%s %s is not deprecated; call Deprecate%sTemplate first", ops.noun, t.id, capitalize(ops.noun))
	}
	delete(ops.store, key)
	if err := s.commitLocked(ops.change(key)); err != nil {
		return nil, err
	}
	s.log.InfoContext(ctx, "template deleted", "kind", ops.kind, "id", t.id)
	return struct{}{}, nil
}

type templateFilter struct {
	Name  string   `json:"name"`
	Value []string `json:"value"`
}

// searchTemplates implements SearchFlowTemplates (filter DEVICE_MODEL_ID:
// flows with a step on that device model) and SearchSystemTemplates (filter
// FLOW_TEMPLATE_ID: systems with that flow). Filters AND, values OR
// [INF spec §8]; deprecated templates are included; ordered by id.
func (s *Service) searchTemplates(ctx context.Context, body []byte, ops templateOps, filterName string) (any, error) {
	var in struct {
		Filters    []templateFilter `json:"filters"`
		NextToken  *string          `json:"nextToken"`
		MaxResults *int64           `json:"maxResults"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	for i, f := range in.Filters {
		if f.Name != filterName {
			return nil, invalidRequest("filters[%d].name %q is not %s", i, f.Name, filterName)
		}
		if f.Value == nil {
			return nil, invalidRequest("filters[%d].value is required", i)
		}
		for j, v := range f.Value {
			if err := checkURN("filters["+itoa(i)+"].value["+itoa(j)+"]", v); err != nil {
				return nil, err
			}
		}
	}
	q := newPageQuery("Search"+capitalize(ops.noun)+"Templates", in.Filters)
	s.mu.RLock()
	defer s.mu.RUnlock()
	var found []*template
	for _, k := range sortedKeys(ops.store) {
		t := ops.store[k]
		uses := templateUses(t.latest())
		ok := true
		for _, f := range in.Filters {
			any := false
			for _, v := range f.Value {
				any = any || uses[tdm.Key(v)]
			}
			ok = ok && any
		}
		if ok {
			found = append(found, t)
		}
	}
	from, to, next, err := q.page(len(found), in.NextToken, in.MaxResults)
	if err != nil {
		return nil, err
	}
	out := make([]map[string]any, 0, to-from)
	for _, t := range found[from:to] {
		out = append(out, s.templateSummary(ctx, t, t.latest()))
	}
	return pageOut(map[string]any{"summaries": out}, next), nil
}

// templateUses returns the keys of the device models a flow's steps use,
// or of the flows a system holds.
func templateUses(r *revision) map[string]bool {
	uses := map[string]bool{}
	for _, f := range r.set.Flows {
		for _, st := range f.Steps {
			if st.Activity.DeviceModel != "" {
				uses[tdm.Key(st.Activity.DeviceModel)] = true
			}
		}
	}
	for _, sys := range r.set.Systems {
		for _, w := range sys.Workflows {
			uses[tdm.Key(w.ID)] = true
		}
	}
	return uses
}

// requiredID decodes {"id": ...} and checks it.
func requiredID(body []byte) (string, error) {
	var in struct {
		ID string `json:"id"`
	}
	if err := decode(body, &in); err != nil {
		return "", err
	}
	return in.ID, validateURN("id", in.ID)
}

// CreateFlowTemplate stores a flow. AWS: CreateFlowTemplate.
func (s *Service) CreateFlowTemplate(ctx context.Context, body []byte) (any, error) {
	return s.createTemplate(ctx, body, s.flowOps())
}

// CreateSystemTemplate stores a system. AWS: CreateSystemTemplate.
func (s *Service) CreateSystemTemplate(ctx context.Context, body []byte) (any, error) {
	return s.createTemplate(ctx, body, s.systemOps())
}

// UpdateFlowTemplate revises a flow. AWS: UpdateFlowTemplate.
func (s *Service) UpdateFlowTemplate(ctx context.Context, body []byte) (any, error) {
	return s.updateTemplate(ctx, body, s.flowOps())
}

// UpdateSystemTemplate revises a system. AWS: UpdateSystemTemplate.
func (s *Service) UpdateSystemTemplate(ctx context.Context, body []byte) (any, error) {
	return s.updateTemplate(ctx, body, s.systemOps())
}

// GetFlowTemplate describes a flow. AWS: GetFlowTemplate.
func (s *Service) GetFlowTemplate(ctx context.Context, body []byte) (any, error) {
	return s.getTemplate(ctx, body, s.flowOps())
}

// GetSystemTemplate describes a system. AWS: GetSystemTemplate.
func (s *Service) GetSystemTemplate(ctx context.Context, body []byte) (any, error) {
	return s.getTemplate(ctx, body, s.systemOps())
}

// GetFlowTemplateRevisions lists a flow's revisions. AWS: GetFlowTemplateRevisions.
func (s *Service) GetFlowTemplateRevisions(ctx context.Context, body []byte) (any, error) {
	return s.getTemplateRevisions(ctx, body, s.flowOps())
}

// GetSystemTemplateRevisions lists a system's revisions. AWS: GetSystemTemplateRevisions.
func (s *Service) GetSystemTemplateRevisions(ctx context.Context, body []byte) (any, error) {
	return s.getTemplateRevisions(ctx, body, s.systemOps())
}

// DeprecateFlowTemplate deprecates a flow. AWS: DeprecateFlowTemplate.
func (s *Service) DeprecateFlowTemplate(ctx context.Context, body []byte) (any, error) {
	return s.deprecateTemplate(ctx, body, s.flowOps())
}

// DeprecateSystemTemplate deprecates a system. AWS: DeprecateSystemTemplate.
func (s *Service) DeprecateSystemTemplate(ctx context.Context, body []byte) (any, error) {
	return s.deprecateTemplate(ctx, body, s.systemOps())
}

// DeleteFlowTemplate deletes a deprecated flow. AWS: DeleteFlowTemplate.
func (s *Service) DeleteFlowTemplate(ctx context.Context, body []byte) (any, error) {
	return s.deleteTemplate(ctx, body, s.flowOps())
}

// DeleteSystemTemplate deletes a deprecated system. AWS: DeleteSystemTemplate.
func (s *Service) DeleteSystemTemplate(ctx context.Context, body []byte) (any, error) {
	return s.deleteTemplate(ctx, body, s.systemOps())
}

// SearchFlowTemplates searches flows. AWS: SearchFlowTemplates.
func (s *Service) SearchFlowTemplates(ctx context.Context, body []byte) (any, error) {
	return s.searchTemplates(ctx, body, s.flowOps(), "DEVICE_MODEL_ID")
}

// SearchSystemTemplates searches systems. AWS: SearchSystemTemplates.
func (s *Service) SearchSystemTemplates(ctx context.Context, body []byte) (any, error) {
	return s.searchTemplates(ctx, body, s.systemOps(), "FLOW_TEMPLATE_ID")
}
