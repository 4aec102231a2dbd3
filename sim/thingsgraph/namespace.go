package thingsgraph

import (
	"context"
	"fmt"
	"io/fs"
	"strings"
	"time"

	"github.com/tgsim/tgsim/sim/tdm"
)

// namespace is one TDM namespace at its latest version.
type namespace struct {
	name     string
	version  int64
	entities map[string]*tdm.Entity // Key(id) → entity
	created  time.Time
}

func (n *namespace) clone() *namespace {
	c := &namespace{name: n.name, version: n.version, created: n.created, entities: make(map[string]*tdm.Entity, len(n.entities))}
	for k, v := range n.entities {
		c.entities[k] = v
	}
	return c
}

// primitiveTypes are the built-in data types [DOC ug:iot-tg-models-tdm-datatypes]
// preloaded as urn:tdm:aws:property:<Type> [INF spec §1.5].
var primitiveTypes = []string{"String", "Boolean", "Int8", "Int16", "Int32", "Int64", "UInt8", "UInt16",
	"UInt32", "UInt64", "Float32", "Float64", "Urn", "Arn", "Uri", "DateTime", "Date", "Duration", "Json"}

// loadPublic builds the public namespace: primitives plus aws/examples.
func loadPublic(now time.Time) (*namespace, error) {
	ns := &namespace{name: "aws", version: 1, entities: map[string]*tdm.Entity{}, created: now}
	var b strings.Builder
	b.WriteString("{\n")
	for _, t := range primitiveTypes {
		fmt.Fprintf(&b, "type %s @propertyType(id: \"urn:tdm:aws:property:%s\", dataType: %s) {ignore:void}\n", t, t, strings.ToUpper(t))
	}
	b.WriteString("}\n")
	texts := []string{b.String()}
	files, err := fs.Glob(publicFS, "public/*.graphql")
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		data, err := publicFS.ReadFile(f)
		if err != nil {
			return nil, err
		}
		texts = append(texts, string(data))
	}
	for i, text := range texts {
		doc, err := tdm.Parse(text)
		if err != nil {
			return nil, fmt.Errorf("document %d: %w", i, err)
		}
		set, errs := tdm.ExtractSource(doc, text)
		if len(errs) > 0 {
			return nil, fmt.Errorf("document %d: %w", i, errs)
		}
		for _, e := range set.Entities {
			ns.entities[tdm.Key(e.ID)] = e
		}
	}
	return ns, nil
}

// accountNamespaceName is REGION/ACCOUNT/default [DOC ug:iot-tg-whatis-namespace].
func accountNamespaceName(region, account string) string {
	return region + "/" + account + "/default"
}

// resolver finds an entity in the account namespace (if any) or the public
// one. s.mu held (read).
func (s *Service) resolverLocked(acct *namespace) func(string) *tdm.Entity {
	return func(key string) *tdm.Entity {
		if acct != nil {
			if e := acct.entities[key]; e != nil {
				return e
			}
		}
		if e := s.public.entities[key]; e != nil {
			return e
		}
		if t := s.flows[key]; t != nil {
			return t.entity
		}
		if t := s.systems[key]; t != nil {
			return t.entity
		}
		return nil
	}
}

type upload struct {
	id       string
	status   string
	reasons  []string
	nsName   string
	nsVer    int64
	created  time.Time
	nsArn    string
	finished bool
}

type uploadEntityDefinitionsInput struct {
	Document                  *definitionDocument `json:"document"`
	SyncWithPublicNamespace   bool                `json:"syncWithPublicNamespace"`
	DeprecateExistingEntities bool                `json:"deprecateExistingEntities"`
}

// namespaceEntityKinds may be uploaded; flows, systems and deployments have
// their own operations [API UploadEntityDefinitions].
var namespaceEntityKinds = map[tdm.Kind]bool{
	tdm.Kind("PROPERTY"): true, tdm.Kind("ENUM"): true, tdm.Kind("STATE"): true, tdm.Kind("EVENT"): true,
	tdm.Kind("ACTION"): true, tdm.Kind("CAPABILITY"): true, tdm.Kind("DEVICE_MODEL"): true,
	tdm.Kind("DEVICE"): true, tdm.Kind("SERVICE"): true, tdm.Kind("MAPPING"): true,
}

// UploadEntityDefinitions parses, validates and applies a TDM document to
// the account namespace. AWS: UploadEntityDefinitions, api-2.json iotthingsgraph.
func (s *Service) UploadEntityDefinitions(ctx context.Context, body []byte) (any, error) {
	var in uploadEntityDefinitionsInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if in.Document == nil && !in.SyncWithPublicNamespace && !in.DeprecateExistingEntities {
		return nil, invalidRequest("document is required unless syncWithPublicNamespace or deprecateExistingEntities is true")
	}
	var set *tdm.Set
	if in.Document != nil {
		if err := in.Document.validate("document"); err != nil {
			return nil, err
		}
		doc, err := tdm.Parse(in.Document.Text)
		if err != nil {
			return nil, invalidRequest("document.text: %v", err)
		}
		var errs tdm.ErrorList
		set, errs = tdm.ExtractSource(doc, in.Document.Text)
		if len(errs) > 0 {
			return nil, invalidRequest("document.text: %v", errs)
		}
	}
	region, account := s.region(ctx), s.account(ctx)
	nsName := accountNamespaceName(region, account)
	now := s.opts.Now()
	up := &upload{id: s.opts.NewID(), created: now, nsName: nsName,
		nsArn: fmt.Sprintf("arn:aws:iotthingsgraph:%s:%s:Namespace/default", region, account)}

	s.mu.Lock()
	defer s.mu.Unlock()
	cur := s.accounts[nsName]
	var next *namespace
	if cur == nil || in.DeprecateExistingEntities {
		next = &namespace{name: nsName, entities: map[string]*tdm.Entity{}, created: now}
		if cur != nil {
			next.version = cur.version
		}
	} else {
		next = cur.clone()
	}
	changed := cur == nil || in.DeprecateExistingEntities || in.SyncWithPublicNamespace
	var reasons []string
	if set != nil {
		for _, e := range set.Entities {
			if !namespaceEntityKinds[e.Kind] {
				reasons = append(reasons, fmt.Sprintf("%s: %s: a %s cannot be uploaded as an entity; use Create%sTemplate or CreateSystemInstance", e.Pos, e.ID, e.Kind, kindOp(e.Kind)))
				continue
			}
			u, err := tdm.ParseURN(e.ID)
			if err != nil {
				reasons = append(reasons, fmt.Sprintf("%s: %v", e.Pos, err))
				continue
			}
			if u.Namespace != nsName && !strings.HasPrefix(u.Namespace, nsName+"/") {
				reasons = append(reasons, fmt.Sprintf("%s: %s: entities must be created in the account namespace %s, not %q", e.Pos, e.ID, nsName, u.Namespace))
				continue
			}
			key := tdm.Key(e.ID)
			if old := next.entities[key]; old != nil && old.Text != e.Text {
				changed = true
			}
			next.entities[key] = e
		}
		if len(reasons) == 0 {
			for _, ce := range set.Check(s.resolverLocked(next)) {
				reasons = append(reasons, ce.Error())
			}
		}
	}
	if len(reasons) > 0 {
		up.status, up.reasons = "FAILED", reasons
		if cur != nil {
			up.nsVer = cur.version
		}
		s.uploads[up.id] = up
		s.log.InfoContext(ctx, "upload failed", "upload_id", up.id, "problems", len(reasons))
		return map[string]string{"uploadId": up.id}, nil
	}
	if changed {
		next.version++
	}
	s.accounts[nsName] = next
	up.status, up.nsVer = "SUCCEEDED", next.version
	s.uploads[up.id] = up
	s.log.InfoContext(ctx, "upload succeeded", "upload_id", up.id, "namespace_version", next.version)
	return map[string]string{"uploadId": up.id}, nil
}

func kindOp(k tdm.Kind) string {
	switch k {
	case "FLOW":
		return "Flow"
	case "SYSTEM":
		return "System"
	}
	return "System"
}

// GetUploadStatus reports an upload. AWS: GetUploadStatus.
func (s *Service) GetUploadStatus(_ context.Context, body []byte) (any, error) {
	var in struct {
		UploadID string `json:"uploadId"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if in.UploadID == "" {
		return nil, invalidRequest("uploadId is required")
	}
	if len(in.UploadID) > 40 {
		return nil, invalidRequest("uploadId has %d characters; the maximum is 40", len(in.UploadID))
	}
	s.mu.RLock()
	up := s.uploads[in.UploadID]
	s.mu.RUnlock()
	if up == nil {
		return nil, notFound("upload %s not found", in.UploadID)
	}
	out := map[string]any{"uploadId": up.id, "uploadStatus": up.status, "createdDate": epoch(up.created),
		"namespaceArn": up.nsArn, "namespaceName": up.nsName}
	if up.nsVer > 0 {
		out["namespaceVersion"] = up.nsVer
	}
	if len(up.reasons) > 0 {
		out["failureReason"] = up.reasons
	}
	return out, nil
}
