package thingsgraph

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/tgsim/tgsim/sim/tdm"
)

// template is a stored flow or system template.
type template struct {
	id        string
	kind      tdm.Kind
	name      string
	text      string
	entity    *tdm.Entity
	revision  int64
	created   time.Time
	nsVersion int64
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

type createTemplateInput struct {
	Definition                 *definitionDocument `json:"definition"`
	CompatibleNamespaceVersion *int64              `json:"compatibleNamespaceVersion"`
}

// parseOne parses a definition document that must hold exactly one
// definition of the given kind.
func parseOne(doc *definitionDocument, kind tdm.Kind) (*tdm.Set, *tdm.Entity, error) {
	if err := doc.validate("definition"); err != nil {
		return nil, nil, err
	}
	parsed, err := tdm.Parse(doc.Text)
	if err != nil {
		return nil, nil, invalidRequest("definition.text: %v", err)
	}
	set, errs := tdm.ExtractSource(parsed, doc.Text)
	if len(errs) > 0 {
		return nil, nil, invalidRequest("definition.text: %v", errs)
	}
	var found *tdm.Entity
	for _, e := range set.Entities {
		if e.Kind != kind {
			return nil, nil, invalidRequest("definition.text: %s: %s is a %s; this document must hold exactly one %s", e.Pos, e.ID, e.Kind, kind)
		}
		if found != nil {
			return nil, nil, invalidRequest("definition.text: %s: a second %s (%s); this document must hold exactly one", e.Pos, kind, e.ID)
		}
		found = e
	}
	if found == nil {
		return nil, nil, invalidRequest("definition.text: no %s definition found", kind)
	}
	return set, found, nil
}

// createTemplate implements CreateFlowTemplate and CreateSystemTemplate.
func (s *Service) createTemplate(ctx context.Context, body []byte, kind tdm.Kind, store map[string]*template) (any, error) {
	var in createTemplateInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	set, ent, err := parseOne(in.Definition, kind)
	if err != nil {
		return nil, err
	}
	if err := s.checkOwnNamespace(ctx, ent); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	acct := s.accounts[accountNamespaceName(s.region(ctx), s.account(ctx))]
	if in.CompatibleNamespaceVersion != nil && (acct == nil || *in.CompatibleNamespaceVersion != acct.version) {
		return nil, invalidRequest("compatibleNamespaceVersion %d is not a version of the account namespace (latest: %d)", *in.CompatibleNamespaceVersion, nsVersion(acct))
	}
	key := tdm.Key(ent.ID)
	if store[key] != nil {
		return nil, alreadyExists("%s already exists", ent.ID)
	}
	if errs := set.Check(s.resolverLocked(acct)); len(errs) > 0 {
		return nil, invalidRequest("definition.text: %v", errs)
	}
	t := &template{id: ent.ID, kind: kind, name: ent.Name, text: in.Definition.Text, entity: ent, revision: 1, created: s.opts.Now(), nsVersion: nsVersion(acct)}
	store[key] = t
	s.log.InfoContext(ctx, "template created", "kind", kind, "id", ent.ID)
	return map[string]any{"summary": s.templateSummary(ctx, t)}, nil
}

func nsVersion(n *namespace) int64 {
	if n == nil {
		return 0
	}
	return n.version
}

func (s *Service) templateSummary(ctx context.Context, t *template) map[string]any {
	return map[string]any{"id": t.id, "arn": s.arn(ctx, t.id), "revisionNumber": t.revision, "createdAt": epoch(t.created)}
}

// checkOwnNamespace refuses flows, systems and deployments outside the
// caller's account namespace.
func (s *Service) checkOwnNamespace(ctx context.Context, e *tdm.Entity) error {
	u, err := tdm.ParseURN(e.ID)
	if err != nil {
		return invalidRequest("%s: %v", e.Pos, err)
	}
	ns := accountNamespaceName(s.region(ctx), s.account(ctx))
	if u.Namespace != ns && !strings.HasPrefix(u.Namespace, ns+"/") {
		return invalidRequest("%s: %s must be in the account namespace %s, not %q", e.Pos, e.ID, ns, u.Namespace)
	}
	return nil
}

// CreateFlowTemplate stores a flow. AWS: CreateFlowTemplate.
func (s *Service) CreateFlowTemplate(ctx context.Context, body []byte) (any, error) {
	return s.createTemplate(ctx, body, tdm.Kind("FLOW"), s.flows)
}

// CreateSystemTemplate stores a system. AWS: CreateSystemTemplate.
func (s *Service) CreateSystemTemplate(ctx context.Context, body []byte) (any, error) {
	return s.createTemplate(ctx, body, tdm.Kind("SYSTEM"), s.systems)
}
