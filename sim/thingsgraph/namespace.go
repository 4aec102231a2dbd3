package thingsgraph

import (
	"context"
	"fmt"
	"io/fs"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/tgsim/tgsim/sim/tdm"
)

// publicNamespaceName is the public namespace [DOC ug:iot-tg-whatis-namespace].
const publicNamespaceName = "aws"

// storedEntity is one entity of a namespace version.
type storedEntity struct {
	e       *tdm.Entity
	created time.Time
	canon   string // canonical text (tdm.PrintDefinition), to detect changes
	ns      string // URN namespace
	path    string // semantic type path
	name    string // last path segment
	refs    map[string]bool
}

func newStoredEntity(e *tdm.Entity, now time.Time) *storedEntity {
	se := &storedEntity{e: e, created: now, refs: map[string]bool{}}
	if e.Def != nil {
		se.canon = tdm.PrintDefinition(e.Def)
		for _, r := range referencedURNs(e.Def) {
			if k := tdm.Key(r); k != tdm.Key(e.ID) {
				se.refs[k] = true
			}
		}
	}
	if u, err := tdm.ParseURN(e.ID); err == nil {
		se.ns, se.path = u.Namespace, u.Path
		se.name = u.Path[strings.LastIndex(u.Path, "/")+1:]
	}
	return se
}

// snapshot is one version of a namespace. Snapshots are never changed once
// published: an upload builds a new one and swaps it in.
type snapshot struct {
	version  int64
	tracking int64 // the public namespace version this one tracks (account namespaces)
	entities map[string]*storedEntity
	idx      *entityIndex
}

func newSnapshot(version, tracking int64, entities map[string]*storedEntity) *snapshot {
	return &snapshot{version: version, tracking: tracking, entities: entities, idx: buildIndex(entities)}
}

func (n *snapshot) entity(key string) *tdm.Entity {
	if n == nil {
		return nil
	}
	if se := n.entities[key]; se != nil {
		return se.e
	}
	return nil
}

// namespace is a namespace with every version kept as a snapshot until the
// namespace is deleted [DOC ug:iot-tg-lifecycle, data-retention].
type namespace struct {
	name     string
	created  time.Time
	versions []*snapshot // ascending; the last is the latest
}

func (n *namespace) latest() *snapshot {
	if n == nil || len(n.versions) == 0 {
		return nil
	}
	return n.versions[len(n.versions)-1]
}

// at returns version v, or nil.
func (n *namespace) at(v int64) *snapshot {
	if n == nil {
		return nil
	}
	for _, s := range n.versions {
		if s.version == v {
			return s
		}
	}
	return nil
}

// primitiveTypes are the built-in data types [DOC ug:iot-tg-models-tdm-datatypes]
// preloaded as urn:tdm:aws:property:<Type> [INF spec §1.5].
var primitiveTypes = []string{"String", "Boolean", "Int8", "Int16", "Int32", "Int64", "UInt8", "UInt16",
	"UInt32", "UInt64", "Float32", "Float64", "Urn", "Arn", "Uri", "DateTime", "Date", "Duration", "Json"}

// publicTexts are the documents of the public namespace's first version:
// primitives plus the aws/examples models.
var publicTexts = sync.OnceValues(func() ([]string, error) {
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
	return texts, nil
})

// loadPublic builds the public namespace at version 1.
func loadPublic(now time.Time) (*namespace, error) {
	texts, err := publicTexts()
	if err != nil {
		return nil, err
	}
	entities := map[string]*storedEntity{}
	for i, text := range texts {
		set, err := parseEntities(text)
		if err != nil {
			return nil, fmt.Errorf("document %d: %w", i, err)
		}
		for _, e := range set.Entities {
			entities[tdm.Key(e.ID)] = newStoredEntity(e, now)
		}
	}
	return &namespace{name: publicNamespaceName, created: now, versions: []*snapshot{newSnapshot(1, 0, entities)}}, nil
}

func parseEntities(text string) (*tdm.Set, error) {
	doc, err := tdm.Parse(text)
	if err != nil {
		return nil, err
	}
	set, errs := tdm.ExtractSource(doc, text)
	if len(errs) > 0 {
		return nil, errs
	}
	return set, nil
}

// UpdatePublicNamespace applies a TDM document to the public namespace and
// publishes it as a new public version, which account namespaces pick up
// with syncWithPublicNamespace. Entities must be in aws or below it. It is
// for tests and scenarios: AWS maintained the public namespace itself.
func (s *Service) UpdatePublicNamespace(text string) (int64, error) {
	now := s.opts.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	v, err := s.updatePublicLocked(text, now)
	if err != nil {
		return 0, err
	}
	if s.db == nil {
		return v, nil
	}
	p := storedPublic{Text: text, At: now}
	s.publicLog = append(s.publicLog, p)
	if err := s.commitLocked(&change{public: &p}); err != nil {
		return 0, err
	}
	return v, nil
}

// updatePublicLocked applies UpdatePublicNamespace's text at now; also
// replays stored updates on load. s.mu held.
func (s *Service) updatePublicLocked(text string, now time.Time) (int64, error) {
	set, err := parseEntities(text)
	if err != nil {
		return 0, fmt.Errorf("public namespace: %w", err)
	}
	cur := s.public.latest()
	next := make(map[string]*storedEntity, len(cur.entities)+len(set.Entities))
	for k, v := range cur.entities {
		next[k] = v
	}
	for _, e := range set.Entities {
		u, err := tdm.ParseURN(e.ID)
		if err != nil || (u.Namespace != publicNamespaceName && !strings.HasPrefix(u.Namespace, publicNamespaceName+"/")) {
			return 0, fmt.Errorf("public namespace: %s is not in the aws namespace", e.ID)
		}
		next[tdm.Key(e.ID)] = newStoredEntity(e, now)
	}
	if errs := set.Check(func(k string) *tdm.Entity {
		if se := next[k]; se != nil {
			return se.e
		}
		return nil
	}); len(errs) > 0 {
		return 0, fmt.Errorf("public namespace: %w", errs)
	}
	snap := newSnapshot(cur.version+1, 0, next)
	s.public.versions = append(s.public.versions, snap)
	return snap.version, nil
}

// accountNamespaceName is REGION/ACCOUNT/default [DOC ug:iot-tg-whatis-namespace].
func accountNamespaceName(region, account string) string {
	return region + "/" + account + "/default"
}

// namespaceArn [INF spec §1.4]: arn:aws:iotthingsgraph:REGION:ACCOUNT:Namespace/default;
// the public namespace uses "aws" as its account, as AWS-managed IAM
// policies do.
func namespaceArn(region, account, leaf string) string {
	return fmt.Sprintf("arn:aws:iotthingsgraph:%s:%s:Namespace/%s", region, account, leaf)
}

// accountLocked returns the caller's namespace, or nil. s.mu held.
func (s *Service) accountLocked(ctx context.Context) *namespace {
	return s.accounts[accountNamespaceName(s.region(ctx), s.account(ctx))]
}

// snapshotLocked returns the caller's namespace at version v (latest when
// v is nil); member names the request member for errors. It returns nil,
// nil when the account has no namespace and no version was asked for.
// s.mu held.
func (s *Service) snapshotLocked(ctx context.Context, member string, v *int64) (*snapshot, error) {
	ns := s.accountLocked(ctx)
	if v == nil {
		return ns.latest(), nil
	}
	if ns == nil {
		return nil, invalidRequest("%s %d: the account has no namespace yet; upload entities first", member, *v)
	}
	snap := ns.at(*v)
	if snap == nil {
		return nil, invalidRequest("%s %d is not a version of namespace %s (versions 1 to %d)", member, *v, ns.name, ns.latest().version)
	}
	return snap, nil
}

// publicFor returns the public namespace version an account snapshot
// tracks; the latest without an account namespace. s.mu held.
func (s *Service) publicFor(acct *snapshot) *snapshot {
	if acct != nil {
		if p := s.public.at(acct.tracking); p != nil {
			return p
		}
	}
	return s.public.latest()
}

// entityResolverLocked finds namespace entities: the account snapshot,
// then the public version it tracks. s.mu held.
func (s *Service) entityResolverLocked(acct *snapshot) func(string) *tdm.Entity {
	pub := s.publicFor(acct)
	return func(key string) *tdm.Entity {
		if e := acct.entity(key); e != nil {
			return e
		}
		return pub.entity(key)
	}
}

// resolverLocked is entityResolverLocked plus the account's flows and
// systems (latest revisions), for checking templates and deployments.
// s.mu held.
func (s *Service) resolverLocked(acct *snapshot) func(string) *tdm.Entity {
	ents := s.entityResolverLocked(acct)
	return func(key string) *tdm.Entity {
		if e := ents(key); e != nil {
			return e
		}
		if t := s.flows[key]; t != nil {
			return t.latest().entity
		}
		if t := s.systems[key]; t != nil {
			return t.latest().entity
		}
		return nil
	}
}

type upload struct {
	id      string
	status  string
	reasons []string
	nsName  string
	nsVer   int64
	created time.Time
	nsArn   string
}

type uploadEntityDefinitionsInput struct {
	Document                  *definitionDocument `json:"document"`
	SyncWithPublicNamespace   bool                `json:"syncWithPublicNamespace"`
	DeprecateExistingEntities bool                `json:"deprecateExistingEntities"`
}

// UploadEntityDefinitions parses, validates and applies a TDM document to
// the account namespace. AWS: UploadEntityDefinitions, api-2.json iotthingsgraph.
//
// Versions [DOC ug:iot-tg-lifecycle; INF spec §1.2]: the first upload
// creates version 1, tracking the latest public version. A new version is
// made when an existing entity changes (canonical text differs), when
// syncWithPublicNamespace is true (tracking moves to the latest public
// version) and when deprecateExistingEntities is true (the new version
// starts empty). Otherwise (pure additions, identical re-uploads) the
// latest version is replaced by a snapshot with the additions, keeping its
// number.
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
		var errs tdm.ErrorList
		if set, errs = parseDocument(in.Document.Text); len(errs) > 0 {
			return nil, invalidRequest("document.text: %v", errs)
		}
	}
	region, account := s.region(ctx), s.account(ctx)
	nsName := accountNamespaceName(region, account)
	now := s.opts.Now()
	up := &upload{id: s.opts.NewID(), created: now, nsName: nsName, nsArn: namespaceArn(region, account, "default")}

	s.mu.Lock()
	defer s.mu.Unlock()
	ns := s.accounts[nsName]
	cur := ns.latest()
	entities := map[string]*storedEntity{}
	tracking := s.public.latest().version
	if cur != nil {
		tracking = cur.tracking
		if !in.DeprecateExistingEntities {
			for k, v := range cur.entities {
				entities[k] = v
			}
		}
	}
	if in.SyncWithPublicNamespace {
		tracking = s.public.latest().version
	}
	newVersion := cur == nil || in.DeprecateExistingEntities || in.SyncWithPublicNamespace
	var reasons []string
	if set != nil {
		for _, p := range uploadProblems(set, nsName) {
			reasons = append(reasons, p.Error())
		}
		if len(reasons) == 0 {
			for _, e := range set.Entities {
				key := tdm.Key(e.ID)
				se := newStoredEntity(e, now)
				if old := entities[key]; old != nil {
					if old.canon == se.canon {
						// Unchanged: keep the stored entity (and its createdAt).
						continue
					}
					newVersion = true
				}
				entities[key] = se
			}
			pub := s.public.at(tracking)
			for _, ce := range set.Check(func(k string) *tdm.Entity {
				if se := entities[k]; se != nil {
					return se.e
				}
				return pub.entity(k)
			}) {
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
		if err := s.commitLocked(&change{uploads: []string{up.id}}); err != nil {
			return nil, err
		}
		s.log.InfoContext(ctx, "upload failed", "upload_id", up.id, "problems", len(reasons))
		return map[string]string{"uploadId": up.id}, nil
	}
	if ns == nil {
		ns = &namespace{name: nsName, created: now}
		s.accounts[nsName] = ns
		delete(s.deletions, nsName)
	}
	if newVersion {
		var v int64 = 1
		if cur != nil {
			v = cur.version + 1
		}
		ns.versions = append(ns.versions, newSnapshot(v, tracking, entities))
	} else {
		ns.versions[len(ns.versions)-1] = newSnapshot(cur.version, tracking, entities)
	}
	up.status, up.nsVer = "SUCCEEDED", ns.latest().version
	s.uploads[up.id] = up
	if err := s.commitLocked(&change{nsLatest: []string{nsName}, uploads: []string{up.id}, deletions: []string{nsName}}); err != nil {
		return nil, err
	}
	s.log.InfoContext(ctx, "upload succeeded", "upload_id", up.id, "namespace_version", up.nsVer, "new_version", newVersion)
	return map[string]string{"uploadId": up.id}, nil
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
	if n := len([]rune(in.UploadID)); n > maxUploadIDLen {
		return nil, invalidRequest("uploadId has %d characters; the maximum is %d", n, maxUploadIDLen)
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

// DescribeNamespace describes the caller's namespace (latest version and
// the public version it tracks), or the public one when namespaceName is
// "aws". AWS: DescribeNamespace.
func (s *Service) DescribeNamespace(ctx context.Context, body []byte) (any, error) {
	var in struct {
		NamespaceName string `json:"namespaceName"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if err := validateNamespaceName(in.NamespaceName); err != nil {
		return nil, err
	}
	region, account := s.region(ctx), s.account(ctx)
	own := accountNamespaceName(region, account)
	s.mu.RLock()
	defer s.mu.RUnlock()
	switch in.NamespaceName {
	case publicNamespaceName:
		return map[string]any{"namespaceName": publicNamespaceName, "namespaceArn": namespaceArn(region, "aws", publicNamespaceName),
			"namespaceVersion": s.public.latest().version}, nil
	case "", own:
		ns := s.accounts[own]
		if ns == nil {
			return nil, notFound("namespace %s does not exist yet; UploadEntityDefinitions creates it", own)
		}
		latest := ns.latest()
		return map[string]any{"namespaceName": ns.name, "namespaceArn": namespaceArn(region, account, "default"),
			"namespaceVersion": latest.version, "trackingNamespaceName": publicNamespaceName, "trackingNamespaceVersion": latest.tracking}, nil
	}
	return nil, notFound("namespace %s not found; this account has %s, and the public namespace is %s", in.NamespaceName, own, publicNamespaceName)
}

// deletion is the outcome of the last DeleteNamespace.
type deletion struct {
	status, errorCode, errorMessage string
}

// DeleteNamespace deletes the caller's namespace, every version. Deletion
// is synchronous: GetNamespaceDeletionStatus is SUCCEEDED or FAILED at once.
// [INF spec §3.4] It fails (VALIDATION_FAILED, nothing deleted) while flows,
// systems or system instances still use the namespace's entities.
// AWS: DeleteNamespace.
func (s *Service) DeleteNamespace(ctx context.Context, body []byte) (any, error) {
	var in struct{}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	region, account := s.region(ctx), s.account(ctx)
	name := accountNamespaceName(region, account)
	s.mu.Lock()
	defer s.mu.Unlock()
	d := &deletion{status: "SUCCEEDED"}
	ch := &change{nsAll: []string{name}, deletions: []string{name}}
	if ns := s.accounts[name]; ns != nil {
		if users := s.namespaceUsersLocked(ns.latest()); len(users) > 0 {
			d = &deletion{status: "FAILED", errorCode: "VALIDATION_FAILED",
				errorMessage: fmt.Sprintf("entities of %s are still used by %s; delete those first", name, strings.Join(users, ", "))}
		} else {
			delete(s.accounts, name)
			// Associations to the namespace's devices go with it.
			for thing, m := range s.things {
				for typ, id := range m {
					if ns.latest().entities[tdm.Key(id)] != nil {
						delete(m, typ)
						ch.things = append(ch.things, thing)
					}
				}
				if len(m) == 0 {
					delete(s.things, thing)
				}
			}
		}
	}
	s.deletions[name] = d
	if err := s.commitLocked(ch); err != nil {
		return nil, err
	}
	s.log.InfoContext(ctx, "namespace deletion", "namespace", name, "status", d.status)
	return map[string]any{"namespaceArn": namespaceArn(region, account, "default"), "namespaceName": name}, nil
}

// namespaceUsersLocked lists the flows, systems and instances that use an
// entity of snap. s.mu held.
func (s *Service) namespaceUsersLocked(snap *snapshot) []string {
	if snap == nil {
		return nil
	}
	var users []string
	uses := func(d *tdm.Definition) bool {
		for _, r := range referencedURNs(d) {
			if snap.entities[tdm.Key(r)] != nil {
				return true
			}
		}
		return false
	}
	for _, k := range sortedKeys(s.flows) {
		if t := s.flows[k]; uses(t.latest().entity.Def) {
			users = append(users, "flow "+t.id)
		}
	}
	for _, k := range sortedKeys(s.systems) {
		if t := s.systems[k]; uses(t.latest().entity.Def) {
			users = append(users, "system "+t.id)
		}
	}
	for _, k := range sortedKeys(s.instances) {
		inst := s.instances[k]
		for _, dev := range inst.things {
			if snap.entities[tdm.Key(dev)] != nil {
				users = append(users, "system instance "+inst.id)
				break
			}
		}
	}
	sort.Strings(users)
	return users
}

// GetNamespaceDeletionStatus reports the last DeleteNamespace.
// AWS: GetNamespaceDeletionStatus.
func (s *Service) GetNamespaceDeletionStatus(ctx context.Context, body []byte) (any, error) {
	var in struct{}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	region, account := s.region(ctx), s.account(ctx)
	name := accountNamespaceName(region, account)
	s.mu.RLock()
	d := s.deletions[name]
	s.mu.RUnlock()
	if d == nil {
		return nil, invalidRequest("no deletion of namespace %s has been requested; call DeleteNamespace first", name)
	}
	out := map[string]any{"namespaceArn": namespaceArn(region, account, "default"), "namespaceName": name, "status": d.status}
	if d.errorCode != "" {
		out["errorCode"], out["errorMessage"] = d.errorCode, d.errorMessage
	}
	return out, nil
}
