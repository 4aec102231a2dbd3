package iot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"go.etcd.io/bbolt"
)

// Bolt is the on-disk Backend: a bbolt file mirrored by an in-memory
// Memory. OpenBolt loads every record into the Memory, which answers reads
// and validates mutations; a mutation that the Memory accepts is written in
// one bbolt transaction (fsynced on commit) before the method returns. If
// the write fails, the Memory is reloaded from the file, so it never holds
// state the file does not.
type Bolt struct {
	// mu: mutations hold it exclusively from the Memory call to the commit,
	// so no reader sees a change that is not yet durable.
	mu     sync.RWMutex
	db     *bbolt.DB
	m      *Memory
	broken error // set when a failed write could not be undone
}

var (
	_ Backend = (*Bolt)(nil)
	_ CAStore = (*Bolt)(nil)
)

// Buckets, one per record type. Keys are the natural ids; link records
// (principals, members, attached) have JSON-array keys and empty values.
var (
	bucketThings     = []byte("things")
	bucketCerts      = []byte("certificates")
	bucketPrincipals = []byte("thing_principals") // [thing, certID]
	bucketTypes      = []byte("thing_types")
	bucketGroups     = []byte("thing_groups")
	bucketMembers    = []byte("group_members") // [group, thing]
	bucketPolicies   = []byte("policies")
	bucketAttached   = []byte("policy_targets") // [policy, kind, id]
	bucketRules      = []byte("topic_rules")
	bucketMeta       = []byte("meta") // "ca_cert", "ca_key"

	allBuckets = [][]byte{bucketThings, bucketCerts, bucketPrincipals, bucketTypes, bucketGroups, bucketMembers, bucketPolicies, bucketAttached, bucketRules, bucketMeta}
)

// storedPolicy is a policy record: the policy and its next version id.
type storedPolicy struct {
	Policy
	Next int
}

// storedRule is a topic rule record. Query is not stored: it is parsed
// again from SQL on load.
// storedAction is a RuleAction with its params byte for byte (RuleAction's
// own MarshalJSON writes the API's union shape).
type storedAction struct {
	Kind   string
	Params []byte
}

func storeActions(as []RuleAction) []storedAction {
	if as == nil {
		return nil
	}
	out := make([]storedAction, len(as))
	for i, a := range as {
		out[i] = storedAction(a)
	}
	return out
}

func loadActions(as []storedAction) []RuleAction {
	if as == nil {
		return nil
	}
	out := make([]RuleAction, len(as))
	for i, a := range as {
		out[i] = RuleAction(a)
	}
	return out
}

type storedRule struct {
	Name        string
	ARN         string
	SQL         string
	Description string
	Actions     []storedAction
	ErrorAction *storedAction
	Disabled    bool
	SQLVersion  string
	CreatedAt   time.Time
}

// OpenBolt opens (creating it if needed) the bbolt file at path and loads
// its records. The file is locked while open; a second OpenBolt of it waits
// a second and fails. Close releases it.
func OpenBolt(path string) (*Bolt, error) {
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: time.Second})
	if err != nil {
		return nil, fmt.Errorf("iot: opening %s: %w", path, err)
	}
	err = db.Update(func(tx *bbolt.Tx) error {
		for _, name := range allBuckets {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("iot: initialising %s: %w", path, err)
	}
	m, err := loadMemory(db)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("iot: loading %s: %w", path, err)
	}
	return &Bolt{db: db, m: m}, nil
}

// Close closes the file. The Bolt is unusable afterwards.
func (b *Bolt) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.db.Close()
}

func linkKey(parts ...string) []byte {
	k, _ := json.Marshal(parts)
	return k
}

// linkPrefix is the key prefix of every link whose first parts are parts.
func linkPrefix(parts ...string) []byte {
	k := linkKey(parts...)
	return append(k[:len(k)-1], ',')
}

func decodeLink(k []byte, n int) ([]string, error) {
	var parts []string
	if err := json.Unmarshal(k, &parts); err != nil || len(parts) != n {
		return nil, fmt.Errorf("bad link key %q", k)
	}
	return parts, nil
}

// loadMemory reads every record into a new Memory.
func loadMemory(db *bbolt.DB) (*Memory, error) {
	m := NewMemory()
	err := db.View(func(tx *bbolt.Tx) error {
		if err := tx.Bucket(bucketThings).ForEach(func(k, v []byte) error {
			var t Thing
			if err := json.Unmarshal(v, &t); err != nil {
				return fmt.Errorf("thing %q: %w", k, err)
			}
			t.Attributes = nonNil(t.Attributes)
			m.things[t.Name] = &t
			return nil
		}); err != nil {
			return err
		}
		if err := tx.Bucket(bucketCerts).ForEach(func(k, v []byte) error {
			var c Certificate
			if err := json.Unmarshal(v, &c); err != nil {
				return fmt.Errorf("certificate %q: %w", k, err)
			}
			m.certs[c.ID] = &c
			return nil
		}); err != nil {
			return err
		}
		if err := tx.Bucket(bucketPrincipals).ForEach(func(k, _ []byte) error {
			p, err := decodeLink(k, 2)
			if err != nil {
				return err
			}
			if m.principals[p[0]] == nil {
				m.principals[p[0]] = map[string]bool{}
			}
			m.principals[p[0]][p[1]] = true
			return nil
		}); err != nil {
			return err
		}
		if err := tx.Bucket(bucketTypes).ForEach(func(k, v []byte) error {
			var t ThingType
			if err := json.Unmarshal(v, &t); err != nil {
				return fmt.Errorf("thing type %q: %w", k, err)
			}
			if t.SearchableAttributes == nil {
				t.SearchableAttributes = []string{}
			}
			m.types[t.Name] = &t
			return nil
		}); err != nil {
			return err
		}
		if err := tx.Bucket(bucketGroups).ForEach(func(k, v []byte) error {
			var g ThingGroup
			if err := json.Unmarshal(v, &g); err != nil {
				return fmt.Errorf("thing group %q: %w", k, err)
			}
			g.Attributes = nonNil(g.Attributes)
			m.groups[g.Name] = &g
			return nil
		}); err != nil {
			return err
		}
		if err := tx.Bucket(bucketMembers).ForEach(func(k, _ []byte) error {
			p, err := decodeLink(k, 2)
			if err != nil {
				return err
			}
			if m.members[p[0]] == nil {
				m.members[p[0]] = map[string]bool{}
			}
			m.members[p[0]][p[1]] = true
			return nil
		}); err != nil {
			return err
		}
		if err := tx.Bucket(bucketPolicies).ForEach(func(k, v []byte) error {
			var p storedPolicy
			if err := json.Unmarshal(v, &p); err != nil {
				return fmt.Errorf("policy %q: %w", k, err)
			}
			m.policies[p.Name] = &p.Policy
			m.nextPolicy[p.Name] = p.Next
			return nil
		}); err != nil {
			return err
		}
		if err := tx.Bucket(bucketAttached).ForEach(func(k, _ []byte) error {
			p, err := decodeLink(k, 3)
			if err != nil {
				return err
			}
			if m.attached[p[0]] == nil {
				m.attached[p[0]] = map[PolicyTarget]bool{}
			}
			m.attached[p[0]][PolicyTarget{p[1], p[2]}] = true
			return nil
		}); err != nil {
			return err
		}
		return tx.Bucket(bucketRules).ForEach(func(k, v []byte) error {
			var s storedRule
			if err := json.Unmarshal(v, &s); err != nil {
				return fmt.Errorf("topic rule %q: %w", k, err)
			}
			q, err := ParseSQL(s.SQL)
			if err != nil {
				return fmt.Errorf("topic rule %q: %w", k, err)
			}
			m.rules[s.Name] = &TopicRule{
				Name: s.Name, ARN: s.ARN, SQL: s.SQL, Query: q, Description: s.Description,
				Actions: loadActions(s.Actions), Disabled: s.Disabled,
				SQLVersion: s.SQLVersion, CreatedAt: s.CreatedAt,
			}
			if s.ErrorAction != nil {
				m.rules[s.Name].ErrorAction = &RuleAction{s.ErrorAction.Kind, s.ErrorAction.Params}
			}
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

// mutate runs apply against the Memory and, if it succeeds, write in one
// bbolt transaction. When the transaction fails the Memory is reloaded
// from the file (which the failed transaction left untouched).
func (b *Bolt) mutate(apply func(m *Memory) error, write func(tx *bbolt.Tx, m *Memory) error) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.broken != nil {
		return b.broken
	}
	if err := apply(b.m); err != nil {
		return err
	}
	werr := b.db.Update(func(tx *bbolt.Tx) error { return write(tx, b.m) })
	if werr == nil {
		return nil
	}
	werr = fmt.Errorf("iot: writing to %s: %w", b.db.Path(), werr)
	m, lerr := loadMemory(b.db)
	if lerr != nil {
		b.broken = fmt.Errorf("iot: store unusable after a failed write: %w", errors.Join(werr, lerr))
		return b.broken
	}
	b.m = m
	return werr
}

// The write helpers read the current record from m (m.mu is not needed:
// b.mu is held exclusively, and Memory methods only run under it).

func putJSON(tx *bbolt.Tx, bucket []byte, key string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return tx.Bucket(bucket).Put([]byte(key), data)
}

func writeThing(tx *bbolt.Tx, m *Memory, name string) error {
	if t, ok := m.things[name]; ok {
		return putJSON(tx, bucketThings, name, t)
	}
	return tx.Bucket(bucketThings).Delete([]byte(name))
}

func writeCert(tx *bbolt.Tx, m *Memory, id string) error {
	if c, ok := m.certs[id]; ok {
		return putJSON(tx, bucketCerts, id, c)
	}
	return tx.Bucket(bucketCerts).Delete([]byte(id))
}

func writeType(tx *bbolt.Tx, m *Memory, name string) error {
	if t, ok := m.types[name]; ok {
		return putJSON(tx, bucketTypes, name, t)
	}
	return tx.Bucket(bucketTypes).Delete([]byte(name))
}

func writeGroup(tx *bbolt.Tx, m *Memory, name string) error {
	if g, ok := m.groups[name]; ok {
		return putJSON(tx, bucketGroups, name, g)
	}
	return tx.Bucket(bucketGroups).Delete([]byte(name))
}

func writePolicy(tx *bbolt.Tx, m *Memory, name string) error {
	if p, ok := m.policies[name]; ok {
		return putJSON(tx, bucketPolicies, name, storedPolicy{*p, m.nextPolicy[name]})
	}
	return tx.Bucket(bucketPolicies).Delete([]byte(name))
}

func writeRule(tx *bbolt.Tx, m *Memory, name string) error {
	r, ok := m.rules[name]
	if !ok {
		return tx.Bucket(bucketRules).Delete([]byte(name))
	}
	s := storedRule{
		Name: r.Name, ARN: r.ARN, SQL: r.SQL, Description: r.Description,
		Actions: storeActions(r.Actions), Disabled: r.Disabled,
		SQLVersion: r.SQLVersion, CreatedAt: r.CreatedAt,
	}
	if r.ErrorAction != nil {
		s.ErrorAction = &storedAction{r.ErrorAction.Kind, r.ErrorAction.Params}
	}
	return putJSON(tx, bucketRules, name, s)
}

// writeLink stores or removes one link record.
func writeLink(tx *bbolt.Tx, bucket []byte, present bool, parts ...string) error {
	if present {
		return tx.Bucket(bucket).Put(linkKey(parts...), []byte{})
	}
	return tx.Bucket(bucket).Delete(linkKey(parts...))
}

// deletePrefix removes every link record whose first parts are parts.
func deletePrefix(tx *bbolt.Tx, bucket []byte, parts ...string) error {
	prefix := linkPrefix(parts...)
	c := tx.Bucket(bucket).Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Seek(prefix) {
		if err := c.Delete(); err != nil {
			return err
		}
	}
	return nil
}

// CreateThing implements Backend.
func (b *Bolt) CreateThing(ctx context.Context, t Thing) (out Thing, err error) {
	err = b.mutate(func(m *Memory) (err error) {
		out, err = m.CreateThing(ctx, t)
		return err
	}, func(tx *bbolt.Tx, m *Memory) error { return writeThing(tx, m, t.Name) })
	return out, err
}

// GetThing implements Backend.
func (b *Bolt) GetThing(ctx context.Context, name string) (Thing, error) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return b.m.GetThing(ctx, name)
}

// ListThings implements Backend.
func (b *Bolt) ListThings(ctx context.Context) ([]Thing, error) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return b.m.ListThings(ctx)
}

// UpdateThing implements Backend.
func (b *Bolt) UpdateThing(ctx context.Context, name string, u ThingUpdate) (out Thing, err error) {
	err = b.mutate(func(m *Memory) (err error) {
		out, err = m.UpdateThing(ctx, name, u)
		return err
	}, func(tx *bbolt.Tx, m *Memory) error { return writeThing(tx, m, name) })
	return out, err
}

// DeleteThing implements Backend.
func (b *Bolt) DeleteThing(ctx context.Context, name string, expectedVersion *int64) error {
	var groups []string
	return b.mutate(func(m *Memory) error {
		for g, things := range m.members {
			if things[name] {
				groups = append(groups, g)
			}
		}
		return m.DeleteThing(ctx, name, expectedVersion)
	}, func(tx *bbolt.Tx, m *Memory) error {
		if err := writeThing(tx, m, name); err != nil {
			return err
		}
		if err := deletePrefix(tx, bucketPrincipals, name); err != nil {
			return err
		}
		for _, g := range groups {
			if err := writeLink(tx, bucketMembers, false, g, name); err != nil {
				return err
			}
		}
		return nil
	})
}

// PutCertificate implements Backend.
func (b *Bolt) PutCertificate(ctx context.Context, c Certificate) error {
	return b.mutate(func(m *Memory) error { return m.PutCertificate(ctx, c) },
		func(tx *bbolt.Tx, m *Memory) error { return writeCert(tx, m, c.ID) })
}

// DeleteCertificate implements Backend.
func (b *Bolt) DeleteCertificate(ctx context.Context, id string, force bool) error {
	target := PolicyTarget{TargetCertificate, id}
	var policies []string
	return b.mutate(func(m *Memory) error {
		for p, targets := range m.attached {
			if targets[target] {
				policies = append(policies, p)
			}
		}
		return m.DeleteCertificate(ctx, id, force)
	}, func(tx *bbolt.Tx, m *Memory) error {
		if err := writeCert(tx, m, id); err != nil {
			return err
		}
		for _, p := range policies {
			if err := writeLink(tx, bucketAttached, false, p, target.Kind, target.ID); err != nil {
				return err
			}
		}
		return nil
	})
}

// GetCertificate implements Backend.
func (b *Bolt) GetCertificate(ctx context.Context, id string) (Certificate, error) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return b.m.GetCertificate(ctx, id)
}

// ListCertificates implements Backend.
func (b *Bolt) ListCertificates(ctx context.Context) ([]Certificate, error) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return b.m.ListCertificates(ctx)
}

// SetCertificateStatus implements Backend.
func (b *Bolt) SetCertificateStatus(ctx context.Context, id, status string, at time.Time) (out Certificate, err error) {
	err = b.mutate(func(m *Memory) (err error) {
		out, err = m.SetCertificateStatus(ctx, id, status, at)
		return err
	}, func(tx *bbolt.Tx, m *Memory) error { return writeCert(tx, m, id) })
	return out, err
}

// AttachThingPrincipal implements Backend.
func (b *Bolt) AttachThingPrincipal(ctx context.Context, thing, certID string) error {
	return b.mutate(func(m *Memory) error { return m.AttachThingPrincipal(ctx, thing, certID) },
		func(tx *bbolt.Tx, m *Memory) error {
			return writeLink(tx, bucketPrincipals, m.principals[thing][certID], thing, certID)
		})
}

// DetachThingPrincipal implements Backend.
func (b *Bolt) DetachThingPrincipal(ctx context.Context, thing, certID string) error {
	return b.mutate(func(m *Memory) error { return m.DetachThingPrincipal(ctx, thing, certID) },
		func(tx *bbolt.Tx, m *Memory) error {
			return writeLink(tx, bucketPrincipals, m.principals[thing][certID], thing, certID)
		})
}

// ThingPrincipals implements Backend.
func (b *Bolt) ThingPrincipals(ctx context.Context, thing string) ([]string, error) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return b.m.ThingPrincipals(ctx, thing)
}

// PrincipalThings implements Backend.
func (b *Bolt) PrincipalThings(ctx context.Context, certID string) ([]string, error) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return b.m.PrincipalThings(ctx, certID)
}

// CreateThingType implements Backend.
func (b *Bolt) CreateThingType(ctx context.Context, t ThingType) (out ThingType, err error) {
	err = b.mutate(func(m *Memory) (err error) {
		out, err = m.CreateThingType(ctx, t)
		return err
	}, func(tx *bbolt.Tx, m *Memory) error { return writeType(tx, m, t.Name) })
	return out, err
}

// GetThingType implements Backend.
func (b *Bolt) GetThingType(ctx context.Context, name string) (ThingType, error) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return b.m.GetThingType(ctx, name)
}

// ListThingTypes implements Backend.
func (b *Bolt) ListThingTypes(ctx context.Context) ([]ThingType, error) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return b.m.ListThingTypes(ctx)
}

// DeprecateThingType implements Backend.
func (b *Bolt) DeprecateThingType(ctx context.Context, name string, undo bool, at time.Time) error {
	return b.mutate(func(m *Memory) error { return m.DeprecateThingType(ctx, name, undo, at) },
		func(tx *bbolt.Tx, m *Memory) error { return writeType(tx, m, name) })
}

// DeleteThingType implements Backend.
func (b *Bolt) DeleteThingType(ctx context.Context, name string) error {
	return b.mutate(func(m *Memory) error { return m.DeleteThingType(ctx, name) },
		func(tx *bbolt.Tx, m *Memory) error { return writeType(tx, m, name) })
}

// CreateThingGroup implements Backend.
func (b *Bolt) CreateThingGroup(ctx context.Context, g ThingGroup) (out ThingGroup, err error) {
	err = b.mutate(func(m *Memory) (err error) {
		out, err = m.CreateThingGroup(ctx, g)
		return err
	}, func(tx *bbolt.Tx, m *Memory) error { return writeGroup(tx, m, g.Name) })
	return out, err
}

// GetThingGroup implements Backend.
func (b *Bolt) GetThingGroup(ctx context.Context, name string) (ThingGroup, error) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return b.m.GetThingGroup(ctx, name)
}

// ListThingGroups implements Backend.
func (b *Bolt) ListThingGroups(ctx context.Context) ([]ThingGroup, error) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return b.m.ListThingGroups(ctx)
}

// UpdateThingGroup implements Backend.
func (b *Bolt) UpdateThingGroup(ctx context.Context, name string, u ThingGroupUpdate) (out ThingGroup, err error) {
	err = b.mutate(func(m *Memory) (err error) {
		out, err = m.UpdateThingGroup(ctx, name, u)
		return err
	}, func(tx *bbolt.Tx, m *Memory) error { return writeGroup(tx, m, name) })
	return out, err
}

// DeleteThingGroup implements Backend.
func (b *Bolt) DeleteThingGroup(ctx context.Context, name string, expectedVersion *int64) error {
	target := PolicyTarget{TargetThingGroup, name}
	var policies []string
	return b.mutate(func(m *Memory) error {
		for p, targets := range m.attached {
			if targets[target] {
				policies = append(policies, p)
			}
		}
		return m.DeleteThingGroup(ctx, name, expectedVersion)
	}, func(tx *bbolt.Tx, m *Memory) error {
		if err := writeGroup(tx, m, name); err != nil {
			return err
		}
		if err := deletePrefix(tx, bucketMembers, name); err != nil {
			return err
		}
		for _, p := range policies {
			if err := writeLink(tx, bucketAttached, false, p, target.Kind, target.ID); err != nil {
				return err
			}
		}
		return nil
	})
}

// AddThingToThingGroup implements Backend.
func (b *Bolt) AddThingToThingGroup(ctx context.Context, group, thing string) error {
	return b.mutate(func(m *Memory) error { return m.AddThingToThingGroup(ctx, group, thing) },
		func(tx *bbolt.Tx, m *Memory) error {
			return writeLink(tx, bucketMembers, m.members[group][thing], group, thing)
		})
}

// RemoveThingFromThingGroup implements Backend.
func (b *Bolt) RemoveThingFromThingGroup(ctx context.Context, group, thing string) error {
	return b.mutate(func(m *Memory) error { return m.RemoveThingFromThingGroup(ctx, group, thing) },
		func(tx *bbolt.Tx, m *Memory) error {
			return writeLink(tx, bucketMembers, m.members[group][thing], group, thing)
		})
}

// ThingsInThingGroup implements Backend.
func (b *Bolt) ThingsInThingGroup(ctx context.Context, group string) ([]string, error) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return b.m.ThingsInThingGroup(ctx, group)
}

// ThingGroupsForThing implements Backend.
func (b *Bolt) ThingGroupsForThing(ctx context.Context, thing string) ([]string, error) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return b.m.ThingGroupsForThing(ctx, thing)
}

// CreatePolicy implements Backend.
func (b *Bolt) CreatePolicy(ctx context.Context, p Policy) (out Policy, err error) {
	err = b.mutate(func(m *Memory) (err error) {
		out, err = m.CreatePolicy(ctx, p)
		return err
	}, func(tx *bbolt.Tx, m *Memory) error { return writePolicy(tx, m, p.Name) })
	return out, err
}

// GetPolicy implements Backend.
func (b *Bolt) GetPolicy(ctx context.Context, name string) (Policy, error) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return b.m.GetPolicy(ctx, name)
}

// ListPolicies implements Backend.
func (b *Bolt) ListPolicies(ctx context.Context) ([]Policy, error) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return b.m.ListPolicies(ctx)
}

// DeletePolicy implements Backend.
func (b *Bolt) DeletePolicy(ctx context.Context, name string) error {
	return b.mutate(func(m *Memory) error { return m.DeletePolicy(ctx, name) },
		func(tx *bbolt.Tx, m *Memory) error {
			if err := writePolicy(tx, m, name); err != nil {
				return err
			}
			return deletePrefix(tx, bucketAttached, name)
		})
}

// CreatePolicyVersion implements Backend.
func (b *Bolt) CreatePolicyVersion(ctx context.Context, name, document string, setDefault bool, at time.Time) (out PolicyVersion, err error) {
	err = b.mutate(func(m *Memory) (err error) {
		out, err = m.CreatePolicyVersion(ctx, name, document, setDefault, at)
		return err
	}, func(tx *bbolt.Tx, m *Memory) error { return writePolicy(tx, m, name) })
	return out, err
}

// SetDefaultPolicyVersion implements Backend.
func (b *Bolt) SetDefaultPolicyVersion(ctx context.Context, name, versionID string, at time.Time) error {
	return b.mutate(func(m *Memory) error { return m.SetDefaultPolicyVersion(ctx, name, versionID, at) },
		func(tx *bbolt.Tx, m *Memory) error { return writePolicy(tx, m, name) })
}

// DeletePolicyVersion implements Backend.
func (b *Bolt) DeletePolicyVersion(ctx context.Context, name, versionID string) error {
	return b.mutate(func(m *Memory) error { return m.DeletePolicyVersion(ctx, name, versionID) },
		func(tx *bbolt.Tx, m *Memory) error { return writePolicy(tx, m, name) })
}

// AttachPolicy implements Backend.
func (b *Bolt) AttachPolicy(ctx context.Context, name string, target PolicyTarget) error {
	return b.mutate(func(m *Memory) error { return m.AttachPolicy(ctx, name, target) },
		func(tx *bbolt.Tx, m *Memory) error {
			return writeLink(tx, bucketAttached, m.attached[name][target], name, target.Kind, target.ID)
		})
}

// DetachPolicy implements Backend.
func (b *Bolt) DetachPolicy(ctx context.Context, name string, target PolicyTarget) error {
	return b.mutate(func(m *Memory) error { return m.DetachPolicy(ctx, name, target) },
		func(tx *bbolt.Tx, m *Memory) error {
			return writeLink(tx, bucketAttached, m.attached[name][target], name, target.Kind, target.ID)
		})
}

// PolicyTargets implements Backend.
func (b *Bolt) PolicyTargets(ctx context.Context, name string) ([]string, error) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return b.m.PolicyTargets(ctx, name)
}

// AttachedPolicies implements Backend.
func (b *Bolt) AttachedPolicies(ctx context.Context, target PolicyTarget) ([]string, error) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return b.m.AttachedPolicies(ctx, target)
}

// PutTopicRule implements Backend.
func (b *Bolt) PutTopicRule(ctx context.Context, r TopicRule, replace bool) error {
	return b.mutate(func(m *Memory) error { return m.PutTopicRule(ctx, r, replace) },
		func(tx *bbolt.Tx, m *Memory) error { return writeRule(tx, m, r.Name) })
}

// GetTopicRule implements Backend.
func (b *Bolt) GetTopicRule(ctx context.Context, name string) (TopicRule, error) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return b.m.GetTopicRule(ctx, name)
}

// ListTopicRules implements Backend.
func (b *Bolt) ListTopicRules(ctx context.Context) ([]TopicRule, error) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return b.m.ListTopicRules(ctx)
}

// DeleteTopicRule implements Backend.
func (b *Bolt) DeleteTopicRule(ctx context.Context, name string) error {
	return b.mutate(func(m *Memory) error { return m.DeleteTopicRule(ctx, name) },
		func(tx *bbolt.Tx, m *Memory) error { return writeRule(tx, m, name) })
}

// SetTopicRuleDisabled implements Backend.
func (b *Bolt) SetTopicRuleDisabled(ctx context.Context, name string, disabled bool) error {
	return b.mutate(func(m *Memory) error { return m.SetTopicRuleDisabled(ctx, name, disabled) },
		func(tx *bbolt.Tx, m *Memory) error { return writeRule(tx, m, name) })
}

// LoadCA implements CAStore.
func (b *Bolt) LoadCA(_ context.Context) (certPEM, keyPEM []byte, err error) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	err = b.db.View(func(tx *bbolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		certPEM = slices.Clone(meta.Get([]byte("ca_cert")))
		keyPEM = slices.Clone(meta.Get([]byte("ca_key")))
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	if certPEM == nil || keyPEM == nil {
		return nil, nil, nil
	}
	return certPEM, keyPEM, nil
}

// SaveCA implements CAStore. Both PEMs are written in one transaction.
func (b *Bolt) SaveCA(_ context.Context, certPEM, keyPEM []byte) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.db.Update(func(tx *bbolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		if err := meta.Put([]byte("ca_cert"), certPEM); err != nil {
			return err
		}
		return meta.Put([]byte("ca_key"), keyPEM)
	})
}
