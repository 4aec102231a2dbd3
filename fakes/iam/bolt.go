package iam

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"go.etcd.io/bbolt"

	"github.com/tgsim/tgsim/fakes/policy"
)

// Bolt is the Backend that keeps the account on disk in a bbolt file. An
// embedded Memory holds the whole state and answers every read; each
// mutation is applied to it, then the records it changed are written in
// one bbolt transaction (fsynced on commit) before the method returns. If
// that write fails the Memory change is undone, so memory never holds what
// the file does not.
type Bolt struct {
	mu  sync.Mutex // serializes mutations, so one write follows one change
	mem *Memory
	db  *bbolt.DB
}

var _ Backend = (*Bolt)(nil)

// Buckets, one per record type. Keys are the Memory map keys: lower-cased
// names for users, groups and roles, ids for access keys and sessions,
// ARNs for managed policies.
const (
	bucketMeta     = "meta"
	bucketUsers    = "users"
	bucketGroups   = "groups"
	bucketRoles    = "roles"
	bucketKeys     = "accesskeys"
	bucketPolicies = "policies"
	bucketSessions = "sessions"

	boltFormat = "1"
)

var boltBuckets = []string{bucketUsers, bucketGroups, bucketRoles, bucketKeys, bucketPolicies, bucketSessions}

// On-disk records. Parsed policies are never written: the document text
// is, and it is parsed again when the file is opened.
type (
	inlineDisk struct{ Name, Document string }
	holderDisk struct {
		Inline   []inlineDisk `json:",omitempty"`
		Attached []string     `json:",omitempty"`
	}
	userDisk struct {
		User   User
		Holder holderDisk
		Groups []string `json:",omitempty"`
	}
	groupDisk struct {
		Group   Group
		Holder  holderDisk
		Members []string `json:",omitempty"`
	}
	roleDisk struct {
		Role   Role // Trust nil
		Holder holderDisk
	}
	sessionDisk struct {
		Session Session // Policies nil; PolicyDocuments hold the texts
		IDs     []string
	}
)

// OpenBolt opens the bbolt file at path, creating it (mode 0600: it holds
// secret access keys) if missing, and loads every record. It fails after a
// second if another process holds the file.
func OpenBolt(path string) (*Bolt, error) {
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: time.Second})
	if err != nil {
		return nil, fmt.Errorf("iam: open %s: %w", path, err)
	}
	b := &Bolt{mem: NewMemory(), db: db}
	err = db.Update(func(tx *bbolt.Tx) error {
		meta, err := tx.CreateBucketIfNotExists([]byte(bucketMeta))
		if err != nil {
			return err
		}
		switch f := meta.Get([]byte("format")); {
		case f == nil:
			if err := meta.Put([]byte("format"), []byte(boltFormat)); err != nil {
				return err
			}
		case string(f) != boltFormat:
			return fmt.Errorf("format %q, want %q", f, boltFormat)
		}
		for _, name := range boltBuckets {
			if _, err := tx.CreateBucketIfNotExists([]byte(name)); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil {
		err = db.View(b.load)
	}
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("iam: open %s: %w", path, err)
	}
	return b, nil
}

// Close closes the file. Mutations after Close fail and change nothing.
func (b *Bolt) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.db.Close()
}

// load fills b.mem from the file.
func (b *Bolt) load(tx *bbolt.Tx) error {
	m := b.mem
	each := func(bucket string, fn func(k, v []byte) error) error {
		return tx.Bucket([]byte(bucket)).ForEach(func(k, v []byte) error {
			if err := fn(k, v); err != nil {
				return fmt.Errorf("%s %q: %w", bucket, k, err)
			}
			return nil
		})
	}
	if err := each(bucketUsers, func(k, v []byte) error {
		var d userDisk
		if err := json.Unmarshal(v, &d); err != nil {
			return err
		}
		h, err := d.Holder.holder()
		m.users[string(k)] = &userRec{User: d.User, holder: h, groups: d.Groups}
		return err
	}); err != nil {
		return err
	}
	if err := each(bucketGroups, func(k, v []byte) error {
		var d groupDisk
		if err := json.Unmarshal(v, &d); err != nil {
			return err
		}
		h, err := d.Holder.holder()
		m.groups[string(k)] = &groupRec{Group: d.Group, holder: h, members: d.Members}
		return err
	}); err != nil {
		return err
	}
	if err := each(bucketRoles, func(k, v []byte) error {
		var d roleDisk
		if err := json.Unmarshal(v, &d); err != nil {
			return err
		}
		var err error
		if d.Role.Trust, err = policy.Parse(d.Role.TrustPolicy); err != nil {
			return fmt.Errorf("trust policy: %w", err)
		}
		h, err := d.Holder.holder()
		m.roles[string(k)] = &roleRec{Role: d.Role, holder: h}
		return err
	}); err != nil {
		return err
	}
	if err := each(bucketKeys, func(k, v []byte) error {
		var d AccessKey
		if err := json.Unmarshal(v, &d); err != nil {
			return err
		}
		m.keys[string(k)] = d
		return nil
	}); err != nil {
		return err
	}
	if err := each(bucketPolicies, func(k, v []byte) error {
		var d ManagedPolicy
		if err := json.Unmarshal(v, &d); err != nil {
			return err
		}
		for i := range d.Versions {
			var err error
			if d.Versions[i].Parsed, err = policy.Parse(d.Versions[i].Document); err != nil {
				return fmt.Errorf("version %s: %w", d.Versions[i].ID, err)
			}
		}
		m.policies[string(k)] = &d
		return nil
	}); err != nil {
		return err
	}
	return each(bucketSessions, func(k, v []byte) error {
		var d sessionDisk
		if err := json.Unmarshal(v, &d); err != nil {
			return err
		}
		s := d.Session
		if len(d.IDs) != len(s.PolicyDocuments) {
			return fmt.Errorf("%d policy ids, %d documents", len(d.IDs), len(s.PolicyDocuments))
		}
		for i, doc := range s.PolicyDocuments {
			p, err := policy.Parse(doc)
			if err != nil {
				return fmt.Errorf("session policy %s: %w", d.IDs[i], err)
			}
			s.Policies = append(s.Policies, policy.NamedPolicy{ID: d.IDs[i], Policy: p})
		}
		m.sessions[string(k)] = s
		return nil
	})
}

func (d holderDisk) holder() (holder, error) {
	h := holder{inline: make(map[string]InlinePolicy, len(d.Inline)), attached: d.Attached}
	for _, p := range d.Inline {
		parsed, err := policy.Parse(p.Document)
		if err != nil {
			return h, fmt.Errorf("inline policy %s: %w", p.Name, err)
		}
		h.inline[p.Name] = InlinePolicy{Name: p.Name, Document: p.Document, Parsed: parsed}
	}
	return h, nil
}

func diskHolder(h holder) holderDisk {
	d := holderDisk{Attached: h.attached}
	for _, name := range slices.Sorted(maps.Keys(h.inline)) {
		d.Inline = append(d.Inline, inlineDisk{Name: name, Document: h.inline[name].Document})
	}
	return d
}

// ref names one record: a bucket and a key in it.
type ref struct{ bucket, key string }

func entityRef(kind Kind, name string) ref {
	key := strings.ToLower(name)
	switch kind {
	case KindUser:
		return ref{bucketUsers, key}
	case KindGroup:
		return ref{bucketGroups, key}
	case KindRole:
		return ref{bucketRoles, key}
	}
	return ref{} // not a record; the mutation fails
}

func copyHolder(h holder) holder {
	return holder{inline: maps.Clone(h.inline), attached: slices.Clone(h.attached)}
}

// snapshot deep-copies the record r names, or returns nil when it does
// not exist.
func (m *Memory) snapshot(r ref) any {
	m.mu.RLock()
	defer m.mu.RUnlock()
	switch r.bucket {
	case bucketUsers:
		if u, ok := m.users[r.key]; ok {
			return &userRec{User: copyUser(u.User), holder: copyHolder(u.holder), groups: slices.Clone(u.groups)}
		}
	case bucketGroups:
		if g, ok := m.groups[r.key]; ok {
			return &groupRec{Group: g.Group, holder: copyHolder(g.holder), members: slices.Clone(g.members)}
		}
	case bucketRoles:
		if x, ok := m.roles[r.key]; ok {
			return &roleRec{Role: copyRole(x.Role), holder: copyHolder(x.holder)}
		}
	case bucketKeys:
		if k, ok := m.keys[r.key]; ok {
			return &k
		}
	case bucketPolicies:
		if p, ok := m.policies[r.key]; ok {
			c := *p
			c.Versions, c.Tags = slices.Clone(p.Versions), slices.Clone(p.Tags)
			return &c
		}
	case bucketSessions:
		if s, ok := m.sessions[r.key]; ok {
			s.Policies, s.PolicyDocuments, s.Tags = slices.Clone(s.Policies), slices.Clone(s.PolicyDocuments), slices.Clone(s.Tags)
			return &s
		}
	}
	return nil
}

// restore puts back a record as snapshot returned it (nil: absent).
func (m *Memory) restore(r ref, snap any) {
	m.mu.Lock()
	defer m.mu.Unlock()
	switch r.bucket {
	case bucketUsers:
		delete(m.users, r.key)
		if v, ok := snap.(*userRec); ok {
			m.users[r.key] = v
		}
	case bucketGroups:
		delete(m.groups, r.key)
		if v, ok := snap.(*groupRec); ok {
			m.groups[r.key] = v
		}
	case bucketRoles:
		delete(m.roles, r.key)
		if v, ok := snap.(*roleRec); ok {
			m.roles[r.key] = v
		}
	case bucketKeys:
		delete(m.keys, r.key)
		if v, ok := snap.(*AccessKey); ok {
			m.keys[r.key] = *v
		}
	case bucketPolicies:
		delete(m.policies, r.key)
		if v, ok := snap.(*ManagedPolicy); ok {
			m.policies[r.key] = v
		}
	case bucketSessions:
		delete(m.sessions, r.key)
		if v, ok := snap.(*Session); ok {
			m.sessions[r.key] = *v
		}
	}
}

// encode is the stored form of a snapshot.
func encode(snap any) ([]byte, error) {
	var v any
	switch x := snap.(type) {
	case *userRec:
		v = userDisk{User: x.User, Holder: diskHolder(x.holder), Groups: x.groups}
	case *groupRec:
		v = groupDisk{Group: x.Group, Holder: diskHolder(x.holder), Members: x.members}
	case *roleRec:
		r := x.Role
		r.Trust = nil
		v = roleDisk{Role: r, Holder: diskHolder(x.holder)}
	case *AccessKey:
		v = x
	case *ManagedPolicy:
		p := *x
		p.Versions = slices.Clone(p.Versions)
		for i := range p.Versions {
			p.Versions[i].Parsed = nil
		}
		v = p
	case *Session:
		s := *x
		if len(s.PolicyDocuments) != len(s.Policies) {
			return nil, errors.New("session policies without their documents cannot be stored")
		}
		d := sessionDisk{Session: s}
		d.Session.Policies = nil
		for _, p := range s.Policies {
			d.IDs = append(d.IDs, p.ID)
		}
		v = d
	default:
		return nil, fmt.Errorf("no record type for %T", snap)
	}
	return json.Marshal(v)
}

// mutate runs fn (a Memory mutation) and writes the records refs name in
// one transaction. A failed write undoes fn's change.
func (b *Bolt) mutate(fn func() error, refs ...ref) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	refs = slices.DeleteFunc(refs, func(r ref) bool { return r.bucket == "" })
	before := make([]any, len(refs))
	for i, r := range refs {
		before[i] = b.mem.snapshot(r)
	}
	if err := fn(); err != nil {
		return err
	}
	err := b.db.Update(func(tx *bbolt.Tx) error {
		for _, r := range refs {
			bk := tx.Bucket([]byte(r.bucket))
			snap := b.mem.snapshot(r)
			if snap == nil {
				if err := bk.Delete([]byte(r.key)); err != nil {
					return err
				}
				continue
			}
			data, err := encode(snap)
			if err != nil {
				return err
			}
			if err := bk.Put([]byte(r.key), data); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		for i, r := range refs {
			b.mem.restore(r, before[i])
		}
		return fmt.Errorf("iam: store: %w", err)
	}
	return nil
}

// Mutations.

// CreateRole implements Backend.
func (b *Bolt) CreateRole(ctx context.Context, r Role) (out Role, err error) {
	err = b.mutate(func() (err error) { out, err = b.mem.CreateRole(ctx, r); return }, entityRef(KindRole, r.Name))
	return out, err
}

// DeleteRole implements Backend.
func (b *Bolt) DeleteRole(ctx context.Context, name string) error {
	return b.mutate(func() error { return b.mem.DeleteRole(ctx, name) }, entityRef(KindRole, name))
}

// UpdateRole implements Backend.
func (b *Bolt) UpdateRole(ctx context.Context, name string, fn func(*Role) error) (out Role, err error) {
	err = b.mutate(func() (err error) { out, err = b.mem.UpdateRole(ctx, name, fn); return }, entityRef(KindRole, name))
	return out, err
}

// CreateUser implements Backend.
func (b *Bolt) CreateUser(ctx context.Context, u User) (out User, err error) {
	err = b.mutate(func() (err error) { out, err = b.mem.CreateUser(ctx, u); return }, entityRef(KindUser, u.Name))
	return out, err
}

// DeleteUser implements Backend.
func (b *Bolt) DeleteUser(ctx context.Context, name string) error {
	return b.mutate(func() error { return b.mem.DeleteUser(ctx, name) }, entityRef(KindUser, name))
}

// UpdateUser implements Backend.
func (b *Bolt) UpdateUser(ctx context.Context, name string, fn func(*User) error) (out User, err error) {
	err = b.mutate(func() (err error) { out, err = b.mem.UpdateUser(ctx, name, fn); return }, entityRef(KindUser, name))
	return out, err
}

// CreateGroup implements Backend.
func (b *Bolt) CreateGroup(ctx context.Context, g Group) (out Group, err error) {
	err = b.mutate(func() (err error) { out, err = b.mem.CreateGroup(ctx, g); return }, entityRef(KindGroup, g.Name))
	return out, err
}

// DeleteGroup implements Backend.
func (b *Bolt) DeleteGroup(ctx context.Context, name string) error {
	return b.mutate(func() error { return b.mem.DeleteGroup(ctx, name) }, entityRef(KindGroup, name))
}

// AddUserToGroup implements Backend.
func (b *Bolt) AddUserToGroup(ctx context.Context, group, user string) error {
	return b.mutate(func() error { return b.mem.AddUserToGroup(ctx, group, user) },
		entityRef(KindGroup, group), entityRef(KindUser, user))
}

// RemoveUserFromGroup implements Backend.
func (b *Bolt) RemoveUserFromGroup(ctx context.Context, group, user string) error {
	return b.mutate(func() error { return b.mem.RemoveUserFromGroup(ctx, group, user) },
		entityRef(KindGroup, group), entityRef(KindUser, user))
}

// CreateAccessKey implements Backend.
func (b *Bolt) CreateAccessKey(ctx context.Context, k AccessKey) (out AccessKey, err error) {
	err = b.mutate(func() (err error) { out, err = b.mem.CreateAccessKey(ctx, k); return }, ref{bucketKeys, k.ID})
	return out, err
}

// UpdateAccessKey implements Backend.
func (b *Bolt) UpdateAccessKey(ctx context.Context, user, id, status string) error {
	return b.mutate(func() error { return b.mem.UpdateAccessKey(ctx, user, id, status) }, ref{bucketKeys, id})
}

// DeleteAccessKey implements Backend.
func (b *Bolt) DeleteAccessKey(ctx context.Context, user, id string) error {
	return b.mutate(func() error { return b.mem.DeleteAccessKey(ctx, user, id) }, ref{bucketKeys, id})
}

// CreatePolicy implements Backend.
func (b *Bolt) CreatePolicy(ctx context.Context, p ManagedPolicy) (out ManagedPolicy, err error) {
	err = b.mutate(func() (err error) { out, err = b.mem.CreatePolicy(ctx, p); return }, ref{bucketPolicies, p.ARN})
	return out, err
}

// DeletePolicy implements Backend.
func (b *Bolt) DeletePolicy(ctx context.Context, arn string) error {
	return b.mutate(func() error { return b.mem.DeletePolicy(ctx, arn) }, ref{bucketPolicies, arn})
}

// CreatePolicyVersion implements Backend.
func (b *Bolt) CreatePolicyVersion(ctx context.Context, arn string, v PolicyVersion, setDefault bool) (out PolicyVersion, err error) {
	err = b.mutate(func() (err error) { out, err = b.mem.CreatePolicyVersion(ctx, arn, v, setDefault); return }, ref{bucketPolicies, arn})
	return out, err
}

// SetDefaultPolicyVersion implements Backend.
func (b *Bolt) SetDefaultPolicyVersion(ctx context.Context, arn, id string) error {
	return b.mutate(func() error { return b.mem.SetDefaultPolicyVersion(ctx, arn, id) }, ref{bucketPolicies, arn})
}

// DeletePolicyVersion implements Backend.
func (b *Bolt) DeletePolicyVersion(ctx context.Context, arn, id string) error {
	return b.mutate(func() error { return b.mem.DeletePolicyVersion(ctx, arn, id) }, ref{bucketPolicies, arn})
}

// AttachPolicy implements Backend.
func (b *Bolt) AttachPolicy(ctx context.Context, kind Kind, entity, arn string) error {
	return b.mutate(func() error { return b.mem.AttachPolicy(ctx, kind, entity, arn) }, entityRef(kind, entity))
}

// DetachPolicy implements Backend.
func (b *Bolt) DetachPolicy(ctx context.Context, kind Kind, entity, arn string) error {
	return b.mutate(func() error { return b.mem.DetachPolicy(ctx, kind, entity, arn) }, entityRef(kind, entity))
}

// SetPermissionsBoundary implements Backend.
func (b *Bolt) SetPermissionsBoundary(ctx context.Context, kind Kind, entity, arn string) error {
	return b.mutate(func() error { return b.mem.SetPermissionsBoundary(ctx, kind, entity, arn) }, entityRef(kind, entity))
}

// PutInlinePolicy implements Backend.
func (b *Bolt) PutInlinePolicy(ctx context.Context, kind Kind, entity string, p InlinePolicy) error {
	return b.mutate(func() error { return b.mem.PutInlinePolicy(ctx, kind, entity, p) }, entityRef(kind, entity))
}

// DeleteInlinePolicy implements Backend.
func (b *Bolt) DeleteInlinePolicy(ctx context.Context, kind Kind, entity, name string) error {
	return b.mutate(func() error { return b.mem.DeleteInlinePolicy(ctx, kind, entity, name) }, entityRef(kind, entity))
}

// CreateSession implements Backend. Each session policy must come with its
// document (Session.PolicyDocuments).
func (b *Bolt) CreateSession(ctx context.Context, s Session) error {
	if len(s.PolicyDocuments) != len(s.Policies) {
		return fmt.Errorf("iam: session %s: %d policies, %d documents", s.AccessKeyID, len(s.Policies), len(s.PolicyDocuments))
	}
	return b.mutate(func() error { return b.mem.CreateSession(ctx, s) }, ref{bucketSessions, s.AccessKeyID})
}

// Reads.

// GetRole implements Backend.
func (b *Bolt) GetRole(ctx context.Context, name string) (Role, error) {
	return b.mem.GetRole(ctx, name)
}

// ListRoles implements Backend.
func (b *Bolt) ListRoles(ctx context.Context, pathPrefix string) ([]Role, error) {
	return b.mem.ListRoles(ctx, pathPrefix)
}

// GetUser implements Backend.
func (b *Bolt) GetUser(ctx context.Context, name string) (User, error) {
	return b.mem.GetUser(ctx, name)
}

// ListUsers implements Backend.
func (b *Bolt) ListUsers(ctx context.Context, pathPrefix string) ([]User, error) {
	return b.mem.ListUsers(ctx, pathPrefix)
}

// GetGroup implements Backend.
func (b *Bolt) GetGroup(ctx context.Context, name string) (Group, []User, error) {
	return b.mem.GetGroup(ctx, name)
}

// ListGroups implements Backend.
func (b *Bolt) ListGroups(ctx context.Context, pathPrefix string) ([]Group, error) {
	return b.mem.ListGroups(ctx, pathPrefix)
}

// ListGroupsForUser implements Backend.
func (b *Bolt) ListGroupsForUser(ctx context.Context, user string) ([]Group, error) {
	return b.mem.ListGroupsForUser(ctx, user)
}

// GetAccessKey implements Backend.
func (b *Bolt) GetAccessKey(ctx context.Context, id string) (AccessKey, error) {
	return b.mem.GetAccessKey(ctx, id)
}

// ListAccessKeys implements Backend.
func (b *Bolt) ListAccessKeys(ctx context.Context, user string) ([]AccessKey, error) {
	return b.mem.ListAccessKeys(ctx, user)
}

// GetPolicy implements Backend.
func (b *Bolt) GetPolicy(ctx context.Context, arn string) (ManagedPolicy, error) {
	return b.mem.GetPolicy(ctx, arn)
}

// ListPolicies implements Backend.
func (b *Bolt) ListPolicies(ctx context.Context) ([]ManagedPolicy, error) {
	return b.mem.ListPolicies(ctx)
}

// GetPolicyVersion implements Backend.
func (b *Bolt) GetPolicyVersion(ctx context.Context, arn, id string) (PolicyVersion, error) {
	return b.mem.GetPolicyVersion(ctx, arn, id)
}

// ListAttachedPolicies implements Backend.
func (b *Bolt) ListAttachedPolicies(ctx context.Context, kind Kind, entity string) ([]ManagedPolicy, error) {
	return b.mem.ListAttachedPolicies(ctx, kind, entity)
}

// ListEntitiesForPolicy implements Backend.
func (b *Bolt) ListEntitiesForPolicy(ctx context.Context, arn string, boundary bool) ([]EntityRef, error) {
	return b.mem.ListEntitiesForPolicy(ctx, arn, boundary)
}

// GetInlinePolicy implements Backend.
func (b *Bolt) GetInlinePolicy(ctx context.Context, kind Kind, entity, name string) (InlinePolicy, error) {
	return b.mem.GetInlinePolicy(ctx, kind, entity, name)
}

// ListInlinePolicies implements Backend.
func (b *Bolt) ListInlinePolicies(ctx context.Context, kind Kind, entity string) ([]string, error) {
	return b.mem.ListInlinePolicies(ctx, kind, entity)
}

// Grants implements Backend.
func (b *Bolt) Grants(ctx context.Context, kind Kind, entity string) (Grants, error) {
	return b.mem.Grants(ctx, kind, entity)
}

// GetSession implements Backend.
func (b *Bolt) GetSession(ctx context.Context, accessKeyID string) (Session, error) {
	return b.mem.GetSession(ctx, accessKeyID)
}
