package greengrass

import (
	"bytes"
	"cmp"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Bolt is the on-disk Backend: an in-memory Memory that answers every read
// and does every check, backed by a bbolt file. Each mutation that Memory
// accepts is written, with every record it changed, in one bbolt
// transaction that is fsynced before the method returns; when that write
// fails the in-memory state is reloaded from the file, so memory never
// holds what the disk does not. Open one with OpenBolt; Close releases the
// file.
//
// Layout (values JSON): bucket "groups" maps a group ID to the group with
// its role, certificate expiry and creation sequence; "groupVersions",
// "deployments" and "groupCAs" map groupID NUL index (big-endian, in
// creation order, oldest CA first) to one record; "definitions" maps
// kind NUL id to a definition and its sequence; "definitionVersions" maps
// kind NUL id NUL index to a version; "connectivity" maps a thing name to
// its connectivity information; "account" holds the service role.
type Bolt struct {
	// mu orders mutations (Lock) against reads (RLock): a reader never
	// sees a mutation before it is on disk.
	mu  sync.RWMutex
	db  *bolt.DB
	mem *Memory
	// groupSeq and defSeq are the creation sequence of each stored group
	// and definition (key kind NUL id); nextSeq is the next one to give.
	groupSeq map[string]uint64
	defSeq   map[string]uint64
	nextSeq  uint64
	// broken is set when a failed write could not be undone in memory;
	// every later mutation returns it.
	broken error
	closed bool
}

var (
	_ Backend                     = (*Bolt)(nil)
	_ ConnectivityBackend         = (*Bolt)(nil)
	_ CertificateAuthorityBackend = (*Bolt)(nil)
)

// ErrBoltClosed is returned by the methods of a closed Bolt.
var ErrBoltClosed = errors.New("greengrass: bolt backend is closed")

// Bucket names.
var (
	bktGroups        = []byte("groups")
	bktGroupVersions = []byte("groupVersions")
	bktDeployments   = []byte("deployments")
	bktGroupCAs      = []byte("groupCAs")
	bktDefs          = []byte("definitions")
	bktDefVersions   = []byte("definitionVersions")
	bktConnectivity  = []byte("connectivity")
	bktAccount       = []byte("account")
	allBuckets       = [][]byte{bktGroups, bktGroupVersions, bktDeployments, bktGroupCAs, bktDefs, bktDefVersions, bktConnectivity, bktAccount}
	keyServiceRole   = []byte("serviceRole")
)

// boltGroup is the stored form of a group's own fields.
type boltGroup struct {
	Seq        uint64
	Group      Group
	Role       *RoleAssociation `json:",omitempty"`
	CertExpiry time.Duration    `json:",omitempty"`
}

// boltDef is the stored form of a definition.
type boltDef struct {
	Seq        uint64
	Definition Definition
}

// OpenBolt opens the bbolt file at path, creating it when missing, and
// loads every record into memory. It fails after one second when another
// process holds the file.
func OpenBolt(path string) (*Bolt, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		return nil, fmt.Errorf("greengrass: open %s: %w", path, err)
	}
	if err := db.Update(func(tx *bolt.Tx) error {
		for _, name := range allBuckets {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		db.Close()
		return nil, fmt.Errorf("greengrass: init %s: %w", path, err)
	}
	b := &Bolt{db: db, mem: NewMemory()}
	if err := b.load(); err != nil {
		db.Close()
		return nil, fmt.Errorf("greengrass: load %s: %w", path, err)
	}
	return b, nil
}

// Close closes the file. Later calls return ErrBoltClosed.
func (b *Bolt) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil
	}
	b.closed = true
	return b.db.Close()
}

// Path returns the file's path.
func (b *Bolt) Path() string { return b.db.Path() }

func seqKey(parts ...string) []byte {
	var buf bytes.Buffer
	for i, p := range parts {
		if i > 0 {
			buf.WriteByte(0)
		}
		buf.WriteString(p)
	}
	return buf.Bytes()
}

// idxKey is prefix NUL index, the index big-endian so keys sort in
// creation order.
func idxKey(prefix []byte, i int) []byte {
	k := make([]byte, 0, len(prefix)+9)
	k = append(k, prefix...)
	k = append(k, 0)
	return binary.BigEndian.AppendUint64(k, uint64(i))
}

// splitIdxKey splits what idxKey joined.
func splitIdxKey(k []byte) (prefix []byte, ok bool) {
	if len(k) < 9 || k[len(k)-9] != 0 {
		return nil, false
	}
	return k[:len(k)-9], true
}

func defKey(kind Kind, id string) []byte { return seqKey(string(kind), id) }

// load replaces the in-memory state with the file's. b.mu held or b not
// yet shared.
func (b *Bolt) load() error {
	fresh := NewMemory()
	groupSeq, defSeq := map[string]uint64{}, map[string]uint64{}
	var maxSeq uint64
	err := b.db.View(func(tx *bolt.Tx) error {
		type ordered struct {
			seq uint64
			id  string
		}
		var groups []ordered
		if err := tx.Bucket(bktGroups).ForEach(func(k, v []byte) error {
			var g boltGroup
			if err := json.Unmarshal(v, &g); err != nil {
				return fmt.Errorf("group %q: %w", k, err)
			}
			id := string(k)
			fresh.groups[id] = &groupRec{g: g.Group, role: g.Role, certExpiry: g.CertExpiry}
			groupSeq[id] = g.Seq
			maxSeq = max(maxSeq, g.Seq)
			groups = append(groups, ordered{g.Seq, id})
			return nil
		}); err != nil {
			return err
		}
		slices.SortFunc(groups, func(a, b ordered) int { return cmp.Compare(a.seq, b.seq) })
		for _, g := range groups {
			fresh.groupOrder = append(fresh.groupOrder, g.id)
		}
		groupOf := func(k []byte) (*groupRec, error) {
			p, ok := splitIdxKey(k)
			if !ok {
				return nil, fmt.Errorf("malformed key %q", k)
			}
			rec, ok := fresh.groups[string(p)]
			if !ok {
				return nil, fmt.Errorf("record %q of a missing group", k)
			}
			return rec, nil
		}
		if err := tx.Bucket(bktGroupVersions).ForEach(func(k, v []byte) error {
			rec, err := groupOf(k)
			if err != nil {
				return err
			}
			var gv GroupVersion
			if err := json.Unmarshal(v, &gv); err != nil {
				return fmt.Errorf("group version %q: %w", k, err)
			}
			rec.versions = append(rec.versions, gv)
			return nil
		}); err != nil {
			return err
		}
		if err := tx.Bucket(bktDeployments).ForEach(func(k, v []byte) error {
			rec, err := groupOf(k)
			if err != nil {
				return err
			}
			var d Deployment
			if err := json.Unmarshal(v, &d); err != nil {
				return fmt.Errorf("deployment %q: %w", k, err)
			}
			rec.deployments = append(rec.deployments, d)
			return nil
		}); err != nil {
			return err
		}
		if err := tx.Bucket(bktGroupCAs).ForEach(func(k, v []byte) error {
			rec, err := groupOf(k)
			if err != nil {
				return err
			}
			var ca GroupCA
			if err := json.Unmarshal(v, &ca); err != nil {
				return fmt.Errorf("group CA %q: %w", k, err)
			}
			// Stored oldest first, kept newest first.
			rec.cas = append([]GroupCA{ca}, rec.cas...)
			return nil
		}); err != nil {
			return err
		}

		defOrder := map[Kind][]ordered{}
		if err := tx.Bucket(bktDefs).ForEach(func(k, v []byte) error {
			var d boltDef
			if err := json.Unmarshal(v, &d); err != nil {
				return fmt.Errorf("definition %q: %w", k, err)
			}
			if !d.Definition.Kind.valid() {
				return fmt.Errorf("definition %q: unknown kind %q", k, d.Definition.Kind)
			}
			fresh.defs[d.Definition.Kind][d.Definition.ID] = &defRec{d: d.Definition}
			defSeq[string(k)] = d.Seq
			maxSeq = max(maxSeq, d.Seq)
			defOrder[d.Definition.Kind] = append(defOrder[d.Definition.Kind], ordered{d.Seq, d.Definition.ID})
			return nil
		}); err != nil {
			return err
		}
		for kind, ds := range defOrder {
			slices.SortFunc(ds, func(a, b ordered) int { return cmp.Compare(a.seq, b.seq) })
			for _, d := range ds {
				fresh.defOrder[kind] = append(fresh.defOrder[kind], d.id)
			}
		}
		if err := tx.Bucket(bktDefVersions).ForEach(func(k, v []byte) error {
			var dv DefinitionVersion
			if err := json.Unmarshal(v, &dv); err != nil {
				return fmt.Errorf("definition version %q: %w", k, err)
			}
			p, ok := splitIdxKey(k)
			kind, id, found := bytes.Cut(p, []byte{0})
			if !ok || !found {
				return fmt.Errorf("malformed key %q", k)
			}
			rec, ok := fresh.defs[Kind(kind)][string(id)]
			if !ok {
				return fmt.Errorf("definition version %q of a missing definition", k)
			}
			rec.versions = append(rec.versions, dv)
			return nil
		}); err != nil {
			return err
		}

		if err := tx.Bucket(bktConnectivity).ForEach(func(k, v []byte) error {
			var c ThingConnectivity
			if err := json.Unmarshal(v, &c); err != nil {
				return fmt.Errorf("connectivity %q: %w", k, err)
			}
			fresh.connectivity[string(k)] = c
			return nil
		}); err != nil {
			return err
		}
		if v := tx.Bucket(bktAccount).Get(keyServiceRole); v != nil {
			var r RoleAssociation
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("service role: %w", err)
			}
			fresh.serviceRole = &r
		}
		return nil
	})
	if err != nil {
		return err
	}
	b.mem.replaceWith(fresh)
	b.groupSeq, b.defSeq, b.nextSeq = groupSeq, defSeq, maxSeq+1
	return nil
}

// replaceWith moves o's state into m (o is not used afterwards).
func (m *Memory) replaceWith(o *Memory) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.groups, m.groupOrder = o.groups, o.groupOrder
	m.defs, m.defOrder = o.defs, o.defOrder
	m.serviceRole, m.connectivity = o.serviceRole, o.connectivity
}

// boltOp is one change to the file.
type boltOp struct {
	bucket []byte
	key    []byte
	// val nil deletes key; with prefix set it deletes every key that
	// starts with key.
	val    []byte
	prefix bool
}

// changes collects the records a mutation touched, read back from memory.
type changes struct {
	b   *Bolt
	ops []boltOp
	err error
}

func (c *changes) put(bucket, key []byte, v any) {
	if c.err != nil {
		return
	}
	data, err := json.Marshal(v)
	if err != nil {
		c.err = err
		return
	}
	c.ops = append(c.ops, boltOp{bucket: bucket, key: key, val: data})
}

func (c *changes) del(bucket, key []byte) {
	c.ops = append(c.ops, boltOp{bucket: bucket, key: key})
}

func (c *changes) delPrefix(bucket, prefix []byte) {
	c.ops = append(c.ops, boltOp{bucket: bucket, key: append(slices.Clip(prefix), 0), prefix: true})
}

// group writes group id's own fields. m.mu held.
func (c *changes) group(id string) {
	rec := c.b.mem.groups[id]
	seq, ok := c.b.groupSeq[id]
	if !ok {
		seq = c.b.nextSeq
		c.b.nextSeq++
		c.b.groupSeq[id] = seq
	}
	c.put(bktGroups, []byte(id), boltGroup{Seq: seq, Group: rec.g, Role: rec.role, CertExpiry: rec.certExpiry})
}

// def writes definition kind/id's own fields. m.mu held.
func (c *changes) def(kind Kind, id string) {
	rec := c.b.mem.defs[kind][id]
	k := defKey(kind, id)
	seq, ok := c.b.defSeq[string(k)]
	if !ok {
		seq = c.b.nextSeq
		c.b.nextSeq++
		c.b.defSeq[string(k)] = seq
	}
	c.put(bktDefs, k, boltDef{Seq: seq, Definition: rec.d})
}

// mutate runs apply (a Memory method) and, when it succeeds, record under
// the memory's read lock to collect the records to write, then writes
// them in one transaction. A failed write reloads memory from the file.
func (b *Bolt) mutate(apply func() error, record func(c *changes)) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return ErrBoltClosed
	}
	if b.broken != nil {
		return b.broken
	}
	if err := apply(); err != nil {
		return err
	}
	c := &changes{b: b}
	b.mem.mu.RLock()
	record(c)
	b.mem.mu.RUnlock()
	err := c.err
	if err == nil {
		err = b.db.Update(func(tx *bolt.Tx) error { return applyOps(tx, c.ops) })
	}
	if err == nil {
		return nil
	}
	// Undo: the file holds the state before apply (bbolt rolled the
	// transaction back); so will memory and the sequences.
	if lerr := b.load(); lerr != nil {
		b.broken = fmt.Errorf("greengrass: bolt backend unusable: write failed (%v) and reload failed (%w)", err, lerr)
	}
	return fmt.Errorf("greengrass: persist: %w", err)
}

// boltTestHook, when set, runs inside every write transaction; its error
// aborts the transaction. For tests only.
var boltTestHook func() error

func applyOps(tx *bolt.Tx, ops []boltOp) error {
	for _, op := range ops {
		bk := tx.Bucket(op.bucket)
		switch {
		case op.prefix:
			cur := bk.Cursor()
			for k, _ := cur.Seek(op.key); k != nil && bytes.HasPrefix(k, op.key); k, _ = cur.Seek(op.key) {
				if err := cur.Delete(); err != nil {
					return err
				}
			}
		case op.val == nil:
			if err := bk.Delete(op.key); err != nil {
				return err
			}
		default:
			if err := bk.Put(op.key, op.val); err != nil {
				return err
			}
		}
	}
	if boltTestHook != nil {
		return boltTestHook()
	}
	return nil
}

// view runs a read under b's read lock.
func (b *Bolt) view() func() {
	b.mu.RLock()
	return b.mu.RUnlock
}

// CreateGroup implements Backend.
func (b *Bolt) CreateGroup(ctx context.Context, g Group, initial *GroupVersion) (out Group, err error) {
	err = b.mutate(func() error {
		out, err = b.mem.CreateGroup(ctx, g, initial)
		return err
	}, func(c *changes) {
		rec := c.b.mem.groups[g.ID]
		c.group(g.ID)
		for i, v := range rec.versions {
			c.put(bktGroupVersions, idxKey([]byte(g.ID), i), v)
		}
	})
	return out, err
}

// GetGroup implements Backend.
func (b *Bolt) GetGroup(ctx context.Context, id string) (Group, error) {
	defer b.view()()
	return b.mem.GetGroup(ctx, id)
}

// ListGroups implements Backend.
func (b *Bolt) ListGroups(ctx context.Context) ([]Group, error) {
	defer b.view()()
	return b.mem.ListGroups(ctx)
}

// UpdateGroup implements Backend.
func (b *Bolt) UpdateGroup(ctx context.Context, id, name string, now time.Time) (out Group, err error) {
	err = b.mutate(func() error {
		out, err = b.mem.UpdateGroup(ctx, id, name, now)
		return err
	}, func(c *changes) { c.group(id) })
	return out, err
}

// DeleteGroup implements Backend.
func (b *Bolt) DeleteGroup(ctx context.Context, id string) error {
	return b.mutate(func() error {
		return b.mem.DeleteGroup(ctx, id)
	}, func(c *changes) {
		c.del(bktGroups, []byte(id))
		c.delPrefix(bktGroupVersions, []byte(id))
		c.delPrefix(bktDeployments, []byte(id))
		c.delPrefix(bktGroupCAs, []byte(id))
		delete(c.b.groupSeq, id)
	})
}

// CreateGroupVersion implements Backend. The version and the group's new
// latest version are one transaction.
func (b *Bolt) CreateGroupVersion(ctx context.Context, v GroupVersion) (out GroupVersion, err error) {
	err = b.mutate(func() error {
		out, err = b.mem.CreateGroupVersion(ctx, v)
		return err
	}, func(c *changes) {
		rec := c.b.mem.groups[v.GroupID]
		i := len(rec.versions) - 1
		c.put(bktGroupVersions, idxKey([]byte(v.GroupID), i), rec.versions[i])
		c.group(v.GroupID)
	})
	return out, err
}

// GetGroupVersion implements Backend.
func (b *Bolt) GetGroupVersion(ctx context.Context, groupID, version string) (GroupVersion, error) {
	defer b.view()()
	return b.mem.GetGroupVersion(ctx, groupID, version)
}

// ListGroupVersions implements Backend.
func (b *Bolt) ListGroupVersions(ctx context.Context, groupID string) ([]GroupVersion, error) {
	defer b.view()()
	return b.mem.ListGroupVersions(ctx, groupID)
}

// CreateDefinition implements Backend.
func (b *Bolt) CreateDefinition(ctx context.Context, d Definition, initial *DefinitionVersion) (out Definition, err error) {
	err = b.mutate(func() error {
		out, err = b.mem.CreateDefinition(ctx, d, initial)
		return err
	}, func(c *changes) {
		rec := c.b.mem.defs[d.Kind][d.ID]
		k := defKey(d.Kind, d.ID)
		c.def(d.Kind, d.ID)
		for i, v := range rec.versions {
			c.put(bktDefVersions, idxKey(k, i), v)
		}
	})
	return out, err
}

// GetDefinition implements Backend.
func (b *Bolt) GetDefinition(ctx context.Context, kind Kind, id string) (Definition, error) {
	defer b.view()()
	return b.mem.GetDefinition(ctx, kind, id)
}

// ListDefinitions implements Backend.
func (b *Bolt) ListDefinitions(ctx context.Context, kind Kind) ([]Definition, error) {
	defer b.view()()
	return b.mem.ListDefinitions(ctx, kind)
}

// UpdateDefinition implements Backend.
func (b *Bolt) UpdateDefinition(ctx context.Context, kind Kind, id, name string, now time.Time) (out Definition, err error) {
	err = b.mutate(func() error {
		out, err = b.mem.UpdateDefinition(ctx, kind, id, name, now)
		return err
	}, func(c *changes) { c.def(kind, id) })
	return out, err
}

// DeleteDefinition implements Backend.
func (b *Bolt) DeleteDefinition(ctx context.Context, kind Kind, id string) error {
	return b.mutate(func() error {
		return b.mem.DeleteDefinition(ctx, kind, id)
	}, func(c *changes) {
		k := defKey(kind, id)
		c.del(bktDefs, k)
		c.delPrefix(bktDefVersions, k)
		delete(c.b.defSeq, string(k))
	})
}

// CreateDefinitionVersion implements Backend.
func (b *Bolt) CreateDefinitionVersion(ctx context.Context, v DefinitionVersion) (out DefinitionVersion, err error) {
	err = b.mutate(func() error {
		out, err = b.mem.CreateDefinitionVersion(ctx, v)
		return err
	}, func(c *changes) {
		rec := c.b.mem.defs[v.Kind][v.DefinitionID]
		i := len(rec.versions) - 1
		c.put(bktDefVersions, idxKey(defKey(v.Kind, v.DefinitionID), i), rec.versions[i])
		c.def(v.Kind, v.DefinitionID)
	})
	return out, err
}

// GetDefinitionVersion implements Backend.
func (b *Bolt) GetDefinitionVersion(ctx context.Context, kind Kind, id, version string) (DefinitionVersion, error) {
	defer b.view()()
	return b.mem.GetDefinitionVersion(ctx, kind, id, version)
}

// ListDefinitionVersions implements Backend.
func (b *Bolt) ListDefinitionVersions(ctx context.Context, kind Kind, id string) ([]DefinitionVersion, error) {
	defer b.view()()
	return b.mem.ListDefinitionVersions(ctx, kind, id)
}

// CreateDeployment implements Backend. The deployment is one transaction.
func (b *Bolt) CreateDeployment(ctx context.Context, d Deployment, redeployOf string) (out Deployment, err error) {
	err = b.mutate(func() error {
		out, err = b.mem.CreateDeployment(ctx, d, redeployOf)
		return err
	}, func(c *changes) {
		rec := c.b.mem.groups[d.GroupID]
		i := len(rec.deployments) - 1
		c.put(bktDeployments, idxKey([]byte(d.GroupID), i), rec.deployments[i])
	})
	return out, err
}

// GetDeployment implements Backend.
func (b *Bolt) GetDeployment(ctx context.Context, groupID, deploymentID string) (Deployment, error) {
	defer b.view()()
	return b.mem.GetDeployment(ctx, groupID, deploymentID)
}

// ListDeployments implements Backend.
func (b *Bolt) ListDeployments(ctx context.Context, groupID string) ([]Deployment, error) {
	defer b.view()()
	return b.mem.ListDeployments(ctx, groupID)
}

// UpdateDeployment implements Backend.
func (b *Bolt) UpdateDeployment(ctx context.Context, d Deployment) (out Deployment, err error) {
	err = b.mutate(func() error {
		out, err = b.mem.UpdateDeployment(ctx, d)
		return err
	}, func(c *changes) {
		rec := c.b.mem.groups[d.GroupID]
		i := slices.IndexFunc(rec.deployments, func(p Deployment) bool { return p.DeploymentID == d.DeploymentID })
		c.put(bktDeployments, idxKey([]byte(d.GroupID), i), rec.deployments[i])
	})
	return out, err
}

// AssociateRoleToGroup implements Backend.
func (b *Bolt) AssociateRoleToGroup(ctx context.Context, groupID string, r RoleAssociation) error {
	return b.mutate(func() error {
		return b.mem.AssociateRoleToGroup(ctx, groupID, r)
	}, func(c *changes) { c.group(groupID) })
}

// GetAssociatedRole implements Backend.
func (b *Bolt) GetAssociatedRole(ctx context.Context, groupID string) (RoleAssociation, error) {
	defer b.view()()
	return b.mem.GetAssociatedRole(ctx, groupID)
}

// DisassociateRoleFromGroup implements Backend.
func (b *Bolt) DisassociateRoleFromGroup(ctx context.Context, groupID string) error {
	return b.mutate(func() error {
		return b.mem.DisassociateRoleFromGroup(ctx, groupID)
	}, func(c *changes) { c.group(groupID) })
}

// SetServiceRole implements Backend.
func (b *Bolt) SetServiceRole(ctx context.Context, r *RoleAssociation) error {
	return b.mutate(func() error {
		return b.mem.SetServiceRole(ctx, r)
	}, func(c *changes) {
		if r := c.b.mem.serviceRole; r != nil {
			c.put(bktAccount, keyServiceRole, r)
		} else {
			c.del(bktAccount, keyServiceRole)
		}
	})
}

// ServiceRole implements Backend.
func (b *Bolt) ServiceRole(ctx context.Context) (RoleAssociation, error) {
	defer b.view()()
	return b.mem.ServiceRole(ctx)
}

// Tags implements Backend.
func (b *Bolt) Tags(ctx context.Context, arn string) (map[string]string, error) {
	defer b.view()()
	return b.mem.Tags(ctx, arn)
}

// tagged writes the group or definition named arn. m.mu held.
func (c *changes) tagged(arn string) {
	for id, rec := range c.b.mem.groups {
		if rec.g.Arn == arn {
			c.group(id)
			return
		}
	}
	for kind, byID := range c.b.mem.defs {
		for id, rec := range byID {
			if rec.d.Arn == arn {
				c.def(kind, id)
				return
			}
		}
	}
}

// TagResource implements Backend.
func (b *Bolt) TagResource(ctx context.Context, arn string, tags map[string]string) error {
	return b.mutate(func() error {
		return b.mem.TagResource(ctx, arn, tags)
	}, func(c *changes) { c.tagged(arn) })
}

// UntagResource implements Backend.
func (b *Bolt) UntagResource(ctx context.Context, arn string, keys []string) error {
	return b.mutate(func() error {
		return b.mem.UntagResource(ctx, arn, keys)
	}, func(c *changes) { c.tagged(arn) })
}

// AddGroupCA implements CertificateAuthorityBackend. The CA and its
// private key are stored in the file.
func (b *Bolt) AddGroupCA(ctx context.Context, ca GroupCA, ifNone bool) (out []GroupCA, err error) {
	err = b.mutate(func() error {
		out, err = b.mem.AddGroupCA(ctx, ca, ifNone)
		return err
	}, func(c *changes) {
		cas := c.b.mem.groups[ca.GroupID].cas
		if len(cas) == 0 || cas[0].ID != ca.ID {
			return // ifNone and the group had a CA: nothing stored.
		}
		c.put(bktGroupCAs, idxKey([]byte(ca.GroupID), len(cas)-1), cas[0])
	})
	return out, err
}

// GroupCAs implements CertificateAuthorityBackend.
func (b *Bolt) GroupCAs(ctx context.Context, groupID string) ([]GroupCA, error) {
	defer b.view()()
	return b.mem.GroupCAs(ctx, groupID)
}

// SetCertificateExpiry implements CertificateAuthorityBackend.
func (b *Bolt) SetCertificateExpiry(ctx context.Context, groupID string, d time.Duration) error {
	return b.mutate(func() error {
		return b.mem.SetCertificateExpiry(ctx, groupID, d)
	}, func(c *changes) { c.group(groupID) })
}

// CertificateExpiry implements CertificateAuthorityBackend.
func (b *Bolt) CertificateExpiry(ctx context.Context, groupID string) (time.Duration, error) {
	defer b.view()()
	return b.mem.CertificateExpiry(ctx, groupID)
}

// PutConnectivity implements ConnectivityBackend.
func (b *Bolt) PutConnectivity(ctx context.Context, tc ThingConnectivity) error {
	return b.mutate(func() error {
		return b.mem.PutConnectivity(ctx, tc)
	}, func(c *changes) {
		c.put(bktConnectivity, []byte(tc.ThingName), c.b.mem.connectivity[tc.ThingName])
	})
}

// Connectivity implements ConnectivityBackend.
func (b *Bolt) Connectivity(ctx context.Context, thingName string) (ThingConnectivity, error) {
	defer b.view()()
	return b.mem.Connectivity(ctx, thingName)
}
