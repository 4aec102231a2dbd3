package thingsgraph

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/tgsim/tgsim/fakes/awsproto"
	"github.com/tgsim/tgsim/sim/tdm"
)

// Storage (Options.DataFile): the service's state in a bbolt file, one
// record per entity, JSON. Document texts are stored, not parsed
// structures: loading re-parses them with the code the operations use.
//
// Buckets: "meta" (format version, public namespace creation time);
// "public" (seq → an UpdatePublicNamespace text, replayed on load);
// "namespaces" (name → namespace); "nsVersions" (name NUL version → one
// snapshot: tracking version and entity texts with createdAt); "uploads";
// "deletions" (namespace name → last DeleteNamespace outcome); "things"
// (thing → entity type → entity id); "templates" (flow|system NUL key →
// template with its kept revisions); "instances" (key → instance with tags);
// "executions" (instance key NUL execution id → execution with messages).

// storeFormatVersion is the layout version in bucket meta.
const storeFormatVersion = "1"

var (
	bktMeta       = []byte("meta")
	bktPublic     = []byte("public")
	bktNamespaces = []byte("namespaces")
	bktNsVersions = []byte("nsVersions")
	bktUploads    = []byte("uploads")
	bktDeletions  = []byte("deletions")
	bktThings     = []byte("things")
	bktTemplates  = []byte("templates")
	bktInstances  = []byte("instances")
	bktExecutions = []byte("executions")
	storeBuckets  = [][]byte{bktMeta, bktPublic, bktNamespaces, bktNsVersions, bktUploads, bktDeletions, bktThings, bktTemplates, bktInstances, bktExecutions}

	keyFormat        = []byte("formatVersion")
	keyPublicCreated = []byte("publicCreated")
)

// storeTestHook, when set, runs inside every write transaction; its error
// aborts it. Tests only.
var storeTestHook func() error

type storedPublic struct {
	Text string
	At   time.Time
}

type storedNamespace struct {
	Name    string
	Created time.Time
}

type storedEntityRec struct {
	Text    string
	Created time.Time
}

type storedSnapshot struct {
	Version  int64
	Tracking int64
	Entities []storedEntityRec // sorted by key
}

type storedUpload struct {
	ID, Status, NsName, NsArn string
	Reasons                   []string `json:",omitempty"`
	NsVer                     int64
	Created                   time.Time
}

type storedDeletion struct {
	Status, ErrorCode, ErrorMessage string
}

type storedRevision struct {
	Number    int64
	Text      string
	NsName    string
	Created   time.Time
	NsVersion int64
}

type storedTemplate struct {
	ID         string
	Kind       tdm.Kind
	Name       string
	Created    time.Time
	Deprecated bool
	Revisions  []storedRevision
}

type storedInstance struct {
	ID, Name, Text, NsName                      string
	Target, GroupName, Bucket, FlowRoleArn      string
	Metrics                                     *metricsConfiguration `json:",omitempty"`
	Tags                                        map[string]string
	Status                                      string
	Created, Updated                            time.Time
	NsVersion                                   int64
	Deps                                        []dependencyRevision
	GGGroupID, GGGroupVersionID, GGDeploymentID string
	ArtifactURL, LastError                      string
	Things                                      map[string]string
	SystemID                                    string
	SystemFlowsByRoles                          map[string]string
	// CloudArtifact is a CLOUD deployment's encoded flow configuration,
	// kept so a restarted tgsim starts its cloud runtime again.
	CloudArtifact  []byte `json:",omitempty"`
	CloudGroupName string `json:",omitempty"`
}

type storedMessage struct {
	ID, EventType, Payload string
	TS                     time.Time
}

type storedExecution struct {
	ID, InstanceID, FlowID, Status string
	Created, Updated               time.Time
	Messages                       []storedMessage
}

// change names the records a mutation touched; commitLocked writes them
// as they now are in memory (absent ones are deleted).
type change struct {
	public    *storedPublic
	nsAll     []string // namespace names: every version rewritten
	nsLatest  []string // namespace names: the record and latest version
	uploads   []string
	deletions []string
	things    []string
	flows     []string // template keys
	systems   []string
	instances []string    // instance keys
	execs     [][2]string // instance key, execution id
	dropExecs []string    // instance keys: every execution deleted
}

func joinKey(parts ...string) []byte { return []byte(strings.Join(parts, "\x00")) }

func versionKey(ns string, v int64) []byte {
	k := append([]byte(ns), 0)
	return binary.BigEndian.AppendUint64(k, uint64(v))
}

// openStore opens (creating) the file and its buckets.
func openStore(path string) (*bolt.DB, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		if errors.Is(err, bolt.ErrTimeout) {
			return nil, fmt.Errorf("thingsgraph: open %s: file is locked by another process (waited 1s): %w", path, err)
		}
		return nil, fmt.Errorf("thingsgraph: open %s: %w", path, err)
	}
	// An existing, initialized file is only read: opening never writes.
	ready := false
	err = db.View(func(tx *bolt.Tx) error {
		for _, name := range storeBuckets {
			if tx.Bucket(name) == nil {
				return nil
			}
		}
		if v := tx.Bucket(bktMeta).Get(keyFormat); v != nil && string(v) != storeFormatVersion {
			return fmt.Errorf("format version %q, this tgsim reads %q", v, storeFormatVersion)
		}
		ready = tx.Bucket(bktMeta).Get(keyFormat) != nil
		return nil
	})
	if err == nil && !ready {
		err = db.Update(initStore)
	}
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("thingsgraph: init %s: %w", path, err)
	}
	return db, nil
}

// initStore creates the buckets and the format version.
func initStore(tx *bolt.Tx) error {
	for _, name := range storeBuckets {
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
			return err
		}
	}
	meta := tx.Bucket(bktMeta)
	switch v := meta.Get(keyFormat); {
	case v == nil:
		if err := meta.Put(keyFormat, []byte(storeFormatVersion)); err != nil {
			return err
		}
	case string(v) != storeFormatVersion:
		return fmt.Errorf("format version %q, this tgsim reads %q", v, storeFormatVersion)
	}
	return nil
}

// Close closes the data file, if any. Mutations after Close fail.
func (s *Service) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.db == nil || s.dbClosed {
		return nil
	}
	s.dbClosed = true
	return s.db.Close()
}

// commitLocked writes c in one fsynced transaction. On failure memory is
// reloaded from the file (which bbolt left as before) and the error is an
// InternalFailureException. s.mu held (write).
func (s *Service) commitLocked(c *change) error {
	if s.db == nil {
		return nil
	}
	if s.dbClosed {
		return awsproto.NewError(http.StatusInternalServerError, codeInternalFailure, "thingsgraph: the data file is closed")
	}
	if s.broken != nil {
		return s.broken
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		if err := s.writeChange(tx, c); err != nil {
			return err
		}
		if storeTestHook != nil {
			return storeTestHook()
		}
		return nil
	})
	if err == nil {
		return nil
	}
	if c.public != nil && len(s.publicLog) > 0 {
		s.publicLog = s.publicLog[:len(s.publicLog)-1]
	}
	if lerr := s.loadLocked(); lerr != nil {
		s.broken = awsproto.NewError(http.StatusInternalServerError, codeInternalFailure,
			"thingsgraph: data file unusable: write failed (%v) and reload failed (%v)", err, lerr)
	}
	s.log.Error("persist failed", "error", err)
	return awsproto.NewError(http.StatusInternalServerError, codeInternalFailure, "thingsgraph: persist: %v", err)
}

// commitLogged is commitLocked for paths that cannot answer an error.
func (s *Service) commitLogged(c *change) {
	if err := s.commitLocked(c); err != nil {
		s.log.Error("persist failed", "error", err)
	}
}

func putJSON(b *bolt.Bucket, k []byte, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put(k, data)
}

func deletePrefix(b *bolt.Bucket, prefix []byte) error {
	c := b.Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Seek(prefix) {
		if err := c.Delete(); err != nil {
			return err
		}
	}
	return nil
}

func snapshotRec(snap *snapshot) storedSnapshot {
	out := storedSnapshot{Version: snap.version, Tracking: snap.tracking}
	for _, k := range sortedKeys(snap.entities) {
		se := snap.entities[k]
		out.Entities = append(out.Entities, storedEntityRec{Text: se.e.Text, Created: se.created})
	}
	return out
}

func templateRec(t *template) storedTemplate {
	out := storedTemplate{ID: t.id, Kind: t.kind, Name: t.name, Created: t.created, Deprecated: t.deprecated}
	for _, r := range t.revisions {
		out.Revisions = append(out.Revisions, storedRevision{Number: r.number, Text: r.text, NsName: r.nsName, Created: r.created, NsVersion: r.nsVersion})
	}
	return out
}

func instanceRec(in *instance) storedInstance {
	return storedInstance{ID: in.id, Name: in.name, Text: in.text, NsName: in.nsName, Target: in.target, GroupName: in.groupName,
		Bucket: in.bucket, FlowRoleArn: in.flowRoleArn, Metrics: in.metrics, Tags: in.tags, Status: in.status,
		Created: in.created, Updated: in.updated, NsVersion: in.nsVersion, Deps: in.deps, GGGroupID: in.ggGroupID,
		GGGroupVersionID: in.ggGroupVersionID, GGDeploymentID: in.ggDeploymentID, ArtifactURL: in.artifactURL,
		LastError: in.lastError, Things: in.things, SystemID: in.systemID, SystemFlowsByRoles: in.systemFlowsByRoles,
		CloudArtifact: in.cloudArtifact, CloudGroupName: in.cloudGroup}
}

func executionRec(x *execution) storedExecution {
	out := storedExecution{ID: x.id, InstanceID: x.instanceID, FlowID: x.flowID, Status: x.status, Created: x.created, Updated: x.updated}
	for _, m := range x.messages {
		out.Messages = append(out.Messages, storedMessage{ID: m.id, EventType: m.eventType, Payload: m.payload, TS: m.ts})
	}
	return out
}

// writeChange puts what c names as memory now holds it. s.mu held.
func (s *Service) writeChange(tx *bolt.Tx, c *change) error {
	if c.public != nil {
		b := tx.Bucket(bktPublic)
		seq, err := b.NextSequence()
		if err != nil {
			return err
		}
		if err := putJSON(b, binary.BigEndian.AppendUint64(nil, seq), c.public); err != nil {
			return err
		}
	}
	nsB, verB := tx.Bucket(bktNamespaces), tx.Bucket(bktNsVersions)
	for _, name := range c.nsAll {
		if err := deletePrefix(verB, append([]byte(name), 0)); err != nil {
			return err
		}
		ns := s.accounts[name]
		if ns == nil {
			if err := nsB.Delete([]byte(name)); err != nil {
				return err
			}
			continue
		}
		if err := putJSON(nsB, []byte(name), storedNamespace{Name: ns.name, Created: ns.created}); err != nil {
			return err
		}
		for _, snap := range ns.versions {
			if err := putJSON(verB, versionKey(name, snap.version), snapshotRec(snap)); err != nil {
				return err
			}
		}
	}
	for _, name := range c.nsLatest {
		ns := s.accounts[name]
		if ns == nil {
			continue
		}
		if err := putJSON(nsB, []byte(name), storedNamespace{Name: ns.name, Created: ns.created}); err != nil {
			return err
		}
		snap := ns.latest()
		if err := putJSON(verB, versionKey(name, snap.version), snapshotRec(snap)); err != nil {
			return err
		}
	}
	type rec struct {
		bkt []byte
		key []byte
		val any // nil deletes
	}
	var recs []rec
	for _, id := range c.uploads {
		var v any
		if up := s.uploads[id]; up != nil {
			v = storedUpload{ID: up.id, Status: up.status, NsName: up.nsName, NsArn: up.nsArn, Reasons: up.reasons, NsVer: up.nsVer, Created: up.created}
		}
		recs = append(recs, rec{bktUploads, []byte(id), v})
	}
	for _, name := range c.deletions {
		var v any
		if d := s.deletions[name]; d != nil {
			v = storedDeletion{Status: d.status, ErrorCode: d.errorCode, ErrorMessage: d.errorMessage}
		}
		recs = append(recs, rec{bktDeletions, []byte(name), v})
	}
	for _, name := range c.things {
		var v any
		if m := s.things[name]; len(m) > 0 {
			v = m
		}
		recs = append(recs, rec{bktThings, []byte(name), v})
	}
	for _, k := range c.flows {
		var v any
		if t := s.flows[k]; t != nil {
			v = templateRec(t)
		}
		recs = append(recs, rec{bktTemplates, joinKey("flow", k), v})
	}
	for _, k := range c.systems {
		var v any
		if t := s.systems[k]; t != nil {
			v = templateRec(t)
		}
		recs = append(recs, rec{bktTemplates, joinKey("system", k), v})
	}
	for _, k := range c.instances {
		var v any
		if in := s.instances[k]; in != nil {
			v = instanceRec(in)
		}
		recs = append(recs, rec{bktInstances, []byte(k), v})
	}
	for _, kx := range c.execs {
		var v any
		if x := s.execByID[kx[1]]; x != nil && x.instanceKey == kx[0] {
			v = executionRec(x)
		}
		recs = append(recs, rec{bktExecutions, joinKey(kx[0], kx[1]), v})
	}
	for _, r := range recs {
		b := tx.Bucket(r.bkt)
		var err error
		if r.val == nil {
			err = b.Delete(r.key)
		} else {
			err = putJSON(b, r.key, r.val)
		}
		if err != nil {
			return err
		}
	}
	for _, k := range c.dropExecs {
		if err := deletePrefix(tx.Bucket(bktExecutions), append([]byte(k), 0)); err != nil {
			return err
		}
	}
	return nil
}

// loadLocked replaces the in-memory state with the file's, re-parsing
// every stored document. Nothing calls AWS. s.mu held or s not shared.
func (s *Service) loadLocked() error {
	var pubCreated time.Time
	var pubLog []storedPublic
	accounts := map[string]*namespace{}
	uploads := map[string]*upload{}
	deletions := map[string]*deletion{}
	things := map[string]map[string]string{}
	flows, systems := map[string]*template{}, map[string]*template{}
	instances := map[string]*instance{}
	execByID := map[string]*execution{}
	execsByInstance := map[string][]*execution{}

	err := s.db.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bktMeta).Get(keyPublicCreated); v != nil {
			if err := pubCreated.UnmarshalText(v); err != nil {
				return fmt.Errorf("public namespace time: %w", err)
			}
		}
		if err := tx.Bucket(bktPublic).ForEach(func(k, v []byte) error {
			var p storedPublic
			if err := json.Unmarshal(v, &p); err != nil {
				return fmt.Errorf("public update %x: %w", k, err)
			}
			pubLog = append(pubLog, p)
			return nil
		}); err != nil {
			return err
		}
		if err := tx.Bucket(bktNamespaces).ForEach(func(k, v []byte) error {
			var n storedNamespace
			if err := json.Unmarshal(v, &n); err != nil {
				return fmt.Errorf("namespace %q: %w", k, err)
			}
			accounts[string(k)] = &namespace{name: n.Name, created: n.Created}
			return nil
		}); err != nil {
			return err
		}
		// Keys sort by namespace then big-endian version: ascending.
		if err := tx.Bucket(bktNsVersions).ForEach(func(k, v []byte) error {
			name, _, ok := bytes.Cut(k, []byte{0})
			ns := accounts[string(name)]
			if !ok || ns == nil {
				return fmt.Errorf("namespace version %q of a missing namespace", k)
			}
			var rec storedSnapshot
			if err := json.Unmarshal(v, &rec); err != nil {
				return fmt.Errorf("namespace version %q: %w", k, err)
			}
			snap, err := snapshotFromRec(rec)
			if err != nil {
				return fmt.Errorf("namespace %s version %d: %w", name, rec.Version, err)
			}
			ns.versions = append(ns.versions, snap)
			return nil
		}); err != nil {
			return err
		}
		for name, ns := range accounts {
			if len(ns.versions) == 0 {
				return fmt.Errorf("namespace %s has no version", name)
			}
		}
		if err := tx.Bucket(bktUploads).ForEach(func(k, v []byte) error {
			var u storedUpload
			if err := json.Unmarshal(v, &u); err != nil {
				return fmt.Errorf("upload %q: %w", k, err)
			}
			uploads[u.ID] = &upload{id: u.ID, status: u.Status, reasons: u.Reasons, nsName: u.NsName, nsVer: u.NsVer, created: u.Created, nsArn: u.NsArn}
			return nil
		}); err != nil {
			return err
		}
		if err := tx.Bucket(bktDeletions).ForEach(func(k, v []byte) error {
			var d storedDeletion
			if err := json.Unmarshal(v, &d); err != nil {
				return fmt.Errorf("deletion %q: %w", k, err)
			}
			deletions[string(k)] = &deletion{status: d.Status, errorCode: d.ErrorCode, errorMessage: d.ErrorMessage}
			return nil
		}); err != nil {
			return err
		}
		if err := tx.Bucket(bktThings).ForEach(func(k, v []byte) error {
			var m map[string]string
			if err := json.Unmarshal(v, &m); err != nil {
				return fmt.Errorf("thing %q: %w", k, err)
			}
			things[string(k)] = m
			return nil
		}); err != nil {
			return err
		}
		if err := tx.Bucket(bktTemplates).ForEach(func(k, v []byte) error {
			kind, key, ok := bytes.Cut(k, []byte{0})
			var rec storedTemplate
			if err := json.Unmarshal(v, &rec); err != nil || !ok {
				return fmt.Errorf("template %q: malformed (%v)", k, err)
			}
			t, err := templateFromRec(rec)
			if err != nil {
				return fmt.Errorf("template %s: %w", rec.ID, err)
			}
			switch string(kind) {
			case "flow":
				flows[string(key)] = t
			case "system":
				systems[string(key)] = t
			default:
				return fmt.Errorf("template %q: unknown kind", k)
			}
			return nil
		}); err != nil {
			return err
		}
		if err := tx.Bucket(bktInstances).ForEach(func(k, v []byte) error {
			var rec storedInstance
			if err := json.Unmarshal(v, &rec); err != nil {
				return fmt.Errorf("system instance %q: %w", k, err)
			}
			inst, err := instanceFromRec(rec)
			if err != nil {
				return fmt.Errorf("system instance %s: %w", rec.ID, err)
			}
			instances[string(k)] = inst
			return nil
		}); err != nil {
			return err
		}
		return tx.Bucket(bktExecutions).ForEach(func(k, v []byte) error {
			ik, _, ok := bytes.Cut(k, []byte{0})
			if !ok || instances[string(ik)] == nil {
				return fmt.Errorf("execution %q of a missing system instance", k)
			}
			var rec storedExecution
			if err := json.Unmarshal(v, &rec); err != nil {
				return fmt.Errorf("execution %q: %w", k, err)
			}
			x := &execution{id: rec.ID, instanceKey: string(ik), instanceID: rec.InstanceID, flowID: rec.FlowID, status: rec.Status,
				created: rec.Created, updated: rec.Updated, seen: map[string]bool{}}
			for _, m := range rec.Messages {
				x.messages = append(x.messages, execMessage{id: m.ID, eventType: m.EventType, payload: m.Payload, ts: m.TS})
				x.seen[m.ID] = true
			}
			execByID[x.id] = x
			execsByInstance[x.instanceKey] = append(execsByInstance[x.instanceKey], x)
			return nil
		})
	})
	if err != nil {
		return err
	}
	for _, list := range execsByInstance {
		sort.SliceStable(list, func(i, j int) bool { return list[i].created.Before(list[j].created) })
	}
	if pubCreated.IsZero() {
		// A new file: record when the public namespace was built.
		pubCreated = s.public.versions[0].entities[sortedKeys(s.public.versions[0].entities)[0]].created
		data, _ := pubCreated.MarshalText()
		if err := s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bktMeta).Put(keyPublicCreated, data) }); err != nil {
			return err
		}
	}
	pub, err := loadPublic(pubCreated)
	if err != nil {
		return err
	}
	s.public = pub
	for i, p := range pubLog {
		if _, err := s.updatePublicLocked(p.Text, p.At); err != nil {
			return fmt.Errorf("public update %d: %w", i+1, err)
		}
	}
	s.publicLog = pubLog
	s.accounts, s.uploads, s.deletions, s.things = accounts, uploads, deletions, things
	s.flows, s.systems, s.instances = flows, systems, instances
	s.execByID, s.execsByInstance = execByID, execsByInstance
	return nil
}

func snapshotFromRec(rec storedSnapshot) (*snapshot, error) {
	entities := map[string]*storedEntity{}
	if len(rec.Entities) > 0 {
		var b strings.Builder
		b.WriteString("{\n")
		for _, e := range rec.Entities {
			b.WriteString(e.Text)
			b.WriteString("\n")
		}
		b.WriteString("}")
		set, errs := parseDocument(b.String())
		if len(errs) > 0 {
			return nil, errs
		}
		if len(set.Entities) != len(rec.Entities) {
			return nil, fmt.Errorf("%d entity texts parse to %d entities", len(rec.Entities), len(set.Entities))
		}
		for i, e := range set.Entities {
			entities[tdm.Key(e.ID)] = newStoredEntity(e, rec.Entities[i].Created)
		}
	}
	return newSnapshot(rec.Version, rec.Tracking, entities), nil
}

func templateFromRec(rec storedTemplate) (*template, error) {
	t := &template{id: rec.ID, kind: rec.Kind, name: rec.Name, created: rec.Created, deprecated: rec.Deprecated}
	for _, r := range rec.Revisions {
		set, ent, err := parseOne(&definitionDocument{Language: "GRAPHQL", Text: r.Text}, rec.Kind, r.NsName)
		if err != nil {
			return nil, fmt.Errorf("revision %d: %w", r.Number, err)
		}
		t.revisions = append(t.revisions, &revision{number: r.Number, text: r.Text, entity: ent, set: set, created: r.Created, nsVersion: r.NsVersion, nsName: r.NsName})
	}
	if len(t.revisions) == 0 {
		return nil, errors.New("no revision")
	}
	return t, nil
}

func instanceFromRec(rec storedInstance) (*instance, error) {
	set, ent, err := parseOne(&definitionDocument{Language: "GRAPHQL", Text: rec.Text}, tdm.KindDeployment, rec.NsName)
	if err != nil {
		return nil, err
	}
	if rec.Tags == nil {
		rec.Tags = map[string]string{}
	}
	return &instance{id: rec.ID, name: rec.Name, text: rec.Text, nsName: rec.NsName, deployment: set.Deployments[tdm.Key(ent.ID)],
		target: rec.Target, groupName: rec.GroupName, bucket: rec.Bucket, flowRoleArn: rec.FlowRoleArn, metrics: rec.Metrics,
		tags: rec.Tags, status: rec.Status, created: rec.Created, updated: rec.Updated, nsVersion: rec.NsVersion, deps: rec.Deps,
		ggGroupID: rec.GGGroupID, ggGroupVersionID: rec.GGGroupVersionID, ggDeploymentID: rec.GGDeploymentID,
		artifactURL: rec.ArtifactURL, lastError: rec.LastError, things: rec.Things, systemID: rec.SystemID,
		systemFlowsByRoles: rec.SystemFlowsByRoles, cloudArtifact: rec.CloudArtifact, cloudGroup: rec.CloudGroupName}, nil
}
