package iam_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"go.etcd.io/bbolt"

	"github.com/tgsim/tgsim/fakes/awsproto"
	"github.com/tgsim/tgsim/fakes/iam"
	"github.com/tgsim/tgsim/fakes/policy"
)

const (
	allowDoc = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`
	denyDoc  = `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:*","Resource":"*"}]}`
	trustDoc = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}`
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func mustParse(tb testing.TB, doc string) *policy.Policy {
	tb.Helper()
	p, err := policy.Parse(doc)
	if err != nil {
		tb.Fatalf("Parse: %v", err)
	}
	return p
}

func codeOf(err error) string {
	if ae := awsproto.AsError(err); ae != nil {
		return ae.Code
	}
	if err != nil {
		return "other: " + err.Error()
	}
	return ""
}

func policyARN(name string) string { return "arn:aws:iam::" + account + ":policy/" + name }

func newManaged(tb testing.TB, name string) iam.ManagedPolicy {
	return iam.ManagedPolicy{
		ARN: policyARN(name), Name: name, ID: "ANPA" + name, Path: "/", CreatedAt: t0, UpdatedAt: t0,
		Versions: []iam.PolicyVersion{{Document: allowDoc, Parsed: mustParse(tb, allowDoc), CreatedAt: t0}},
	}
}

func newRole(tb testing.TB, name string) iam.Role {
	return iam.Role{
		Path: "/", Name: name, ID: "AROA" + name, ARN: "arn:aws:iam::" + account + ":role/" + name, CreatedAt: t0,
		TrustPolicy: trustDoc, Trust: mustParse(tb, trustDoc), MaxSessionDuration: 3600, Tags: []iam.Tag{{Key: "k", Value: "v"}},
	}
}

func newUser(name string) iam.User {
	return iam.User{Path: "/", Name: name, ID: "AIDA" + name, ARN: "arn:aws:iam::" + account + ":user/" + name, CreatedAt: t0}
}

// ignoreParsed leaves parsed policies out of comparisons: they are
// compared through their documents.
var ignoreParsed = cmp.Options{
	cmpopts.IgnoreFields(iam.Role{}, "Trust"),
	cmpopts.IgnoreFields(iam.PolicyVersion{}, "Parsed"),
	cmpopts.IgnoreFields(iam.InlinePolicy{}, "Parsed"),
	cmpopts.IgnoreFields(iam.GrantSource{}, "Parsed"),
	cmpopts.IgnoreFields(iam.Session{}, "Policies"),
}

func openBolt(tb testing.TB, path string) *iam.Bolt {
	tb.Helper()
	b, err := iam.OpenBolt(path)
	if err != nil {
		tb.Fatalf("OpenBolt: %v", err)
	}
	tb.Cleanup(func() { _ = b.Close() })
	return b
}

func TestBackendMemory(t *testing.T) {
	runBackendSuite(t, func(t *testing.T) iam.Backend { return iam.NewMemory() })
}

func TestBackendBolt(t *testing.T) {
	runBackendSuite(t, func(t *testing.T) iam.Backend { return openBolt(t, filepath.Join(t.TempDir(), "iam.db")) })
}

// runBackendSuite exercises every Backend method through the interface.
func runBackendSuite(t *testing.T, newBackend func(t *testing.T) iam.Backend) {
	ctx := context.Background()
	must := func(t *testing.T, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	wantCode := func(t *testing.T, err error, code string) {
		t.Helper()
		if got := codeOf(err); got != code {
			t.Fatalf("error %q, want %s", got, code)
		}
	}

	t.Run("roles", func(t *testing.T) {
		b := newBackend(t)
		r, err := b.CreateRole(ctx, newRole(t, "Admin"))
		must(t, err)
		if r.Name != "Admin" || r.Trust == nil {
			t.Fatalf("CreateRole = %+v", r)
		}
		_, err = b.CreateRole(ctx, newRole(t, "ADMIN"))
		wantCode(t, err, "EntityAlreadyExists")
		bad := newRole(t, "Bounded")
		bad.PermissionsBoundary = policyARN("nope")
		_, err = b.CreateRole(ctx, bad)
		wantCode(t, err, "NoSuchEntity")
		sub := newRole(t, "Sub")
		sub.Path = "/x/"
		_, err = b.CreateRole(ctx, sub)
		must(t, err)
		got, err := b.GetRole(ctx, "admin")
		must(t, err)
		if diff := cmp.Diff(newRole(t, "Admin"), got, ignoreParsed); diff != "" {
			t.Fatalf("GetRole (-want +got):\n%s", diff)
		}
		_, err = b.GetRole(ctx, "none")
		wantCode(t, err, "NoSuchEntity")
		list, err := b.ListRoles(ctx, "/x/")
		must(t, err)
		if len(list) != 1 || list[0].Name != "Sub" {
			t.Fatalf("ListRoles(/x/) = %v", list)
		}
		up, err := b.UpdateRole(ctx, "Admin", func(r *iam.Role) error { r.Description = "d"; return nil })
		must(t, err)
		if up.Description != "d" {
			t.Fatalf("UpdateRole = %+v", up)
		}
		_, err = b.UpdateRole(ctx, "Admin", func(r *iam.Role) error { r.Description = "x"; return fmt.Errorf("refused") })
		if err == nil {
			t.Fatal("UpdateRole: fn error not returned")
		}
		if got, _ := b.GetRole(ctx, "Admin"); got.Description != "d" {
			t.Fatalf("failed UpdateRole changed the role: %q", got.Description)
		}
		must(t, b.PutInlinePolicy(ctx, iam.KindRole, "Admin", iam.InlinePolicy{Name: "p", Document: allowDoc, Parsed: mustParse(t, allowDoc)}))
		wantCode(t, b.DeleteRole(ctx, "Admin"), "DeleteConflict")
		must(t, b.DeleteInlinePolicy(ctx, iam.KindRole, "Admin", "p"))
		must(t, b.DeleteRole(ctx, "Admin"))
		wantCode(t, b.DeleteRole(ctx, "Admin"), "NoSuchEntity")
		_, err = b.UpdateRole(ctx, "Admin", func(*iam.Role) error { return nil })
		wantCode(t, err, "NoSuchEntity")
	})

	t.Run("users and groups", func(t *testing.T) {
		b := newBackend(t)
		_, err := b.CreateUser(ctx, newUser("alice"))
		must(t, err)
		_, err = b.CreateUser(ctx, newUser("Alice"))
		wantCode(t, err, "EntityAlreadyExists")
		_, err = b.CreateUser(ctx, newUser("bob"))
		must(t, err)
		users, err := b.ListUsers(ctx, "/")
		must(t, err)
		if len(users) != 2 || users[0].Name != "alice" {
			t.Fatalf("ListUsers = %v", users)
		}
		u, err := b.UpdateUser(ctx, "ALICE", func(u *iam.User) error { u.Tags = []iam.Tag{{Key: "a", Value: "b"}}; return nil })
		must(t, err)
		if len(u.Tags) != 1 {
			t.Fatalf("UpdateUser = %+v", u)
		}
		got, err := b.GetUser(ctx, "alice")
		must(t, err)
		if len(got.Tags) != 1 {
			t.Fatalf("GetUser = %+v", got)
		}
		_, err = b.GetUser(ctx, "carol")
		wantCode(t, err, "NoSuchEntity")

		_, err = b.CreateGroup(ctx, iam.Group{Path: "/", Name: "devs", ID: "AGPAdevs", CreatedAt: t0})
		must(t, err)
		_, err = b.CreateGroup(ctx, iam.Group{Path: "/", Name: "DEVS"})
		wantCode(t, err, "EntityAlreadyExists")
		must(t, b.AddUserToGroup(ctx, "devs", "alice"))
		must(t, b.AddUserToGroup(ctx, "devs", "alice"))
		wantCode(t, b.AddUserToGroup(ctx, "devs", "carol"), "NoSuchEntity")
		wantCode(t, b.AddUserToGroup(ctx, "ops", "alice"), "NoSuchEntity")
		g, members, err := b.GetGroup(ctx, "Devs")
		must(t, err)
		if g.Name != "devs" || len(members) != 1 || members[0].Name != "alice" {
			t.Fatalf("GetGroup = %v %v", g, members)
		}
		groups, err := b.ListGroups(ctx, "/")
		must(t, err)
		if len(groups) != 1 {
			t.Fatalf("ListGroups = %v", groups)
		}
		groups, err = b.ListGroupsForUser(ctx, "alice")
		must(t, err)
		if len(groups) != 1 || groups[0].Name != "devs" {
			t.Fatalf("ListGroupsForUser = %v", groups)
		}
		_, err = b.ListGroupsForUser(ctx, "carol")
		wantCode(t, err, "NoSuchEntity")
		wantCode(t, b.DeleteUser(ctx, "alice"), "DeleteConflict")
		wantCode(t, b.DeleteGroup(ctx, "devs"), "DeleteConflict")
		wantCode(t, b.RemoveUserFromGroup(ctx, "devs", "bob"), "NoSuchEntity")
		must(t, b.RemoveUserFromGroup(ctx, "devs", "alice"))
		must(t, b.DeleteGroup(ctx, "devs"))
		wantCode(t, b.DeleteGroup(ctx, "devs"), "NoSuchEntity")
		_, _, err = b.GetGroup(ctx, "devs")
		wantCode(t, err, "NoSuchEntity")
		for i := range 10 {
			name := fmt.Sprintf("g%d", i)
			_, err := b.CreateGroup(ctx, iam.Group{Path: "/", Name: name})
			must(t, err)
			must(t, b.AddUserToGroup(ctx, name, "bob"))
		}
		_, err = b.CreateGroup(ctx, iam.Group{Path: "/", Name: "g10"})
		must(t, err)
		wantCode(t, b.AddUserToGroup(ctx, "g10", "bob"), "LimitExceeded")
		must(t, b.DeleteUser(ctx, "alice"))
		wantCode(t, b.DeleteUser(ctx, "alice"), "NoSuchEntity")
		_, err = b.UpdateUser(ctx, "alice", func(*iam.User) error { return nil })
		wantCode(t, err, "NoSuchEntity")
	})

	t.Run("access keys", func(t *testing.T) {
		b := newBackend(t)
		_, err := b.CreateAccessKey(ctx, iam.AccessKey{ID: "AKIA1", Secret: "s1", UserName: "alice", Status: iam.StatusActive, CreatedAt: t0})
		wantCode(t, err, "NoSuchEntity")
		_, err = b.CreateUser(ctx, newUser("alice"))
		must(t, err)
		for i := 1; i <= 2; i++ {
			k, err := b.CreateAccessKey(ctx, iam.AccessKey{ID: fmt.Sprint("AKIA", i), Secret: fmt.Sprint("s", i), UserName: "ALICE", Status: iam.StatusActive, CreatedAt: t0.Add(time.Duration(i) * time.Second)})
			must(t, err)
			if k.UserName != "alice" {
				t.Fatalf("CreateAccessKey user %q", k.UserName)
			}
		}
		_, err = b.CreateAccessKey(ctx, iam.AccessKey{ID: "AKIA3", UserName: "alice", CreatedAt: t0})
		wantCode(t, err, "LimitExceeded")
		keys, err := b.ListAccessKeys(ctx, "alice")
		must(t, err)
		if len(keys) != 2 || keys[0].ID != "AKIA1" {
			t.Fatalf("ListAccessKeys = %v", keys)
		}
		_, err = b.ListAccessKeys(ctx, "bob")
		wantCode(t, err, "NoSuchEntity")
		must(t, b.UpdateAccessKey(ctx, "alice", "AKIA1", iam.StatusInactive))
		wantCode(t, b.UpdateAccessKey(ctx, "alice", "AKIA9", iam.StatusInactive), "NoSuchEntity")
		k, err := b.GetAccessKey(ctx, "AKIA1")
		must(t, err)
		if k.Status != iam.StatusInactive || k.Secret != "s1" {
			t.Fatalf("GetAccessKey = %+v", k)
		}
		wantCode(t, b.DeleteUser(ctx, "alice"), "DeleteConflict")
		must(t, b.DeleteAccessKey(ctx, "alice", "AKIA1"))
		wantCode(t, b.DeleteAccessKey(ctx, "alice", "AKIA1"), "NoSuchEntity")
		_, err = b.GetAccessKey(ctx, "AKIA1")
		wantCode(t, err, "NoSuchEntity")
	})

	t.Run("managed policies", func(t *testing.T) {
		b := newBackend(t)
		arn := policyARN("read")
		p, err := b.CreatePolicy(ctx, newManaged(t, "read"))
		must(t, err)
		if p.DefaultVersion != "v1" || p.Versions[0].ID != "v1" {
			t.Fatalf("CreatePolicy = %+v", p)
		}
		_, err = b.CreatePolicy(ctx, newManaged(t, "READ"))
		wantCode(t, err, "EntityAlreadyExists")
		for i := 2; i <= 5; i++ {
			v, err := b.CreatePolicyVersion(ctx, arn, iam.PolicyVersion{Document: denyDoc, Parsed: mustParse(t, denyDoc), CreatedAt: t0}, i == 3)
			must(t, err)
			if v.ID != fmt.Sprint("v", i) {
				t.Fatalf("CreatePolicyVersion id %s", v.ID)
			}
		}
		_, err = b.CreatePolicyVersion(ctx, arn, iam.PolicyVersion{Document: denyDoc}, false)
		wantCode(t, err, "LimitExceeded")
		_, err = b.CreatePolicyVersion(ctx, policyARN("none"), iam.PolicyVersion{Document: denyDoc}, false)
		wantCode(t, err, "NoSuchEntity")
		v, err := b.GetPolicyVersion(ctx, arn, "v2")
		must(t, err)
		if v.Document != denyDoc || v.Parsed == nil {
			t.Fatalf("GetPolicyVersion = %+v", v)
		}
		_, err = b.GetPolicyVersion(ctx, arn, "v9")
		wantCode(t, err, "NoSuchEntity")
		got, err := b.GetPolicy(ctx, arn)
		must(t, err)
		if got.DefaultVersion != "v3" || len(got.Versions) != 5 {
			t.Fatalf("GetPolicy = %+v", got)
		}
		wantCode(t, b.SetDefaultPolicyVersion(ctx, arn, "v9"), "NoSuchEntity")
		must(t, b.SetDefaultPolicyVersion(ctx, arn, "v1"))
		wantCode(t, b.DeletePolicyVersion(ctx, arn, "v1"), "DeleteConflict")
		wantCode(t, b.DeletePolicy(ctx, arn), "DeleteConflict")
		for _, id := range []string{"v2", "v3", "v4", "v5"} {
			must(t, b.DeletePolicyVersion(ctx, arn, id))
		}
		wantCode(t, b.DeletePolicyVersion(ctx, arn, "v5"), "NoSuchEntity")
		v6, err := b.CreatePolicyVersion(ctx, arn, iam.PolicyVersion{Document: denyDoc, Parsed: mustParse(t, denyDoc), CreatedAt: t0}, false)
		must(t, err)
		if v6.ID != "v6" {
			t.Fatalf("version id reused: %s", v6.ID)
		}
		must(t, b.DeletePolicyVersion(ctx, arn, "v6"))
		_, err = b.CreatePolicy(ctx, newManaged(t, "another"))
		must(t, err)
		list, err := b.ListPolicies(ctx)
		must(t, err)
		if len(list) != 2 || list[0].Name != "another" {
			t.Fatalf("ListPolicies = %v", list)
		}
		must(t, b.DeletePolicy(ctx, arn))
		wantCode(t, b.DeletePolicy(ctx, arn), "NoSuchEntity")
		_, err = b.GetPolicy(ctx, arn)
		wantCode(t, err, "NoSuchEntity")
	})

	t.Run("attachments, boundaries, inline, grants", func(t *testing.T) {
		b := newBackend(t)
		arn, bnd := policyARN("read"), policyARN("boundary")
		_, err := b.CreatePolicy(ctx, newManaged(t, "read"))
		must(t, err)
		_, err = b.CreatePolicy(ctx, newManaged(t, "boundary"))
		must(t, err)
		_, err = b.CreateUser(ctx, newUser("alice"))
		must(t, err)
		_, err = b.CreateGroup(ctx, iam.Group{Path: "/", Name: "devs", ID: "AGPAdevs"})
		must(t, err)
		_, err = b.CreateRole(ctx, newRole(t, "r"))
		must(t, err)
		must(t, b.AddUserToGroup(ctx, "devs", "alice"))
		for _, k := range []iam.Kind{iam.KindUser, iam.KindGroup, iam.KindRole} {
			name := map[iam.Kind]string{iam.KindUser: "alice", iam.KindGroup: "devs", iam.KindRole: "r"}[k]
			must(t, b.AttachPolicy(ctx, k, name, arn))
			must(t, b.AttachPolicy(ctx, k, name, arn))
			att, err := b.ListAttachedPolicies(ctx, k, name)
			must(t, err)
			if len(att) != 1 || att[0].ARN != arn {
				t.Fatalf("ListAttachedPolicies(%s) = %v", k, att)
			}
			must(t, b.PutInlinePolicy(ctx, k, name, iam.InlinePolicy{Name: "in-" + name, Document: allowDoc, Parsed: mustParse(t, allowDoc)}))
			ip, err := b.GetInlinePolicy(ctx, k, name, "in-"+name)
			must(t, err)
			if ip.Document != allowDoc {
				t.Fatalf("GetInlinePolicy = %+v", ip)
			}
			_, err = b.GetInlinePolicy(ctx, k, name, "IN-"+name)
			wantCode(t, err, "NoSuchEntity")
			names, err := b.ListInlinePolicies(ctx, k, name)
			must(t, err)
			if len(names) != 1 {
				t.Fatalf("ListInlinePolicies = %v", names)
			}
		}
		wantCode(t, b.AttachPolicy(ctx, iam.KindUser, "bob", arn), "NoSuchEntity")
		wantCode(t, b.AttachPolicy(ctx, iam.KindUser, "alice", policyARN("none")), "NoSuchEntity")
		_, err = b.ListAttachedPolicies(ctx, iam.KindRole, "none")
		wantCode(t, err, "NoSuchEntity")
		must(t, b.SetPermissionsBoundary(ctx, iam.KindUser, "alice", bnd))
		must(t, b.SetPermissionsBoundary(ctx, iam.KindRole, "r", bnd))
		wantCode(t, b.SetPermissionsBoundary(ctx, iam.KindUser, "alice", policyARN("none")), "NoSuchEntity")
		wantCode(t, b.SetPermissionsBoundary(ctx, iam.KindUser, "bob", bnd), "NoSuchEntity")
		ents, err := b.ListEntitiesForPolicy(ctx, arn, false)
		must(t, err)
		if len(ents) != 3 {
			t.Fatalf("ListEntitiesForPolicy = %v", ents)
		}
		ents, err = b.ListEntitiesForPolicy(ctx, bnd, true)
		must(t, err)
		if len(ents) != 2 {
			t.Fatalf("ListEntitiesForPolicy(boundary) = %v", ents)
		}
		_, err = b.ListEntitiesForPolicy(ctx, policyARN("none"), false)
		wantCode(t, err, "NoSuchEntity")
		p, err := b.GetPolicy(ctx, arn)
		must(t, err)
		if p.AttachmentCount != 3 {
			t.Fatalf("AttachmentCount = %d", p.AttachmentCount)
		}
		g, err := b.Grants(ctx, iam.KindUser, "ALICE")
		must(t, err)
		// alice inline, alice attached, devs inline, devs attached.
		if len(g.Policies) != 4 || g.Boundary == nil || g.Boundary.ARN != bnd || g.Policies[2].Entity != "devs" {
			t.Fatalf("Grants(user) = %+v", g)
		}
		g, err = b.Grants(ctx, iam.KindRole, "r")
		must(t, err)
		if len(g.Policies) != 2 || g.Boundary == nil {
			t.Fatalf("Grants(role) = %+v", g)
		}
		_, err = b.Grants(ctx, iam.KindGroup, "none")
		wantCode(t, err, "NoSuchEntity")
		wantCode(t, b.DeletePolicy(ctx, arn), "DeleteConflict")
		must(t, b.DetachPolicy(ctx, iam.KindRole, "r", arn))
		wantCode(t, b.DetachPolicy(ctx, iam.KindRole, "r", arn), "NoSuchEntity")
		must(t, b.SetPermissionsBoundary(ctx, iam.KindRole, "r", ""))
		wantCode(t, b.DeleteInlinePolicy(ctx, iam.KindRole, "r", "nope"), "NoSuchEntity")
		must(t, b.DeleteInlinePolicy(ctx, iam.KindRole, "r", "in-r"))
		names, err := b.ListInlinePolicies(ctx, iam.KindRole, "r")
		must(t, err)
		if len(names) != 0 {
			t.Fatalf("ListInlinePolicies after delete = %v", names)
		}
		for i := range 10 {
			_, err := b.CreatePolicy(ctx, newManaged(t, fmt.Sprint("p", i)))
			must(t, err)
			if i < 9 {
				must(t, b.AttachPolicy(ctx, iam.KindGroup, "devs", policyARN(fmt.Sprint("p", i))))
			}
		}
		wantCode(t, b.AttachPolicy(ctx, iam.KindGroup, "devs", policyARN("p9")), "LimitExceeded")
	})

	t.Run("sessions", func(t *testing.T) {
		b := newBackend(t)
		s := iam.Session{
			AccessKeyID: "ASIA1", SecretAccessKey: "sec", SessionToken: "tok", Expires: t0.Add(time.Hour),
			RoleName: "r", RoleARN: "arn:aws:iam::123456789012:role/r", RoleID: "AROAr", SessionName: "s",
			Policies:        []policy.NamedPolicy{{ID: "session policy", Policy: mustParse(t, allowDoc)}},
			PolicyDocuments: []string{allowDoc},
			Tags:            []iam.Tag{{Key: "a", Value: "b"}},
		}
		must(t, b.CreateSession(ctx, s))
		if err := b.CreateSession(ctx, s); err == nil {
			t.Fatal("CreateSession with a duplicate id succeeded")
		}
		got, err := b.GetSession(ctx, "ASIA1")
		must(t, err)
		if diff := cmp.Diff(s, got, ignoreParsed); diff != "" {
			t.Fatalf("GetSession (-want +got):\n%s", diff)
		}
		if len(got.Policies) != 1 || got.Policies[0].Policy == nil {
			t.Fatalf("GetSession policies = %+v", got.Policies)
		}
		_, err = b.GetSession(ctx, "ASIA2")
		wantCode(t, err, "NoSuchEntity")
	})
}

// state reads every record of a backend through the interface.
type state struct {
	Users    []iam.User
	Groups   map[string][]iam.User
	UserGrps map[string][]iam.Group
	Roles    []iam.Role
	Keys     map[string][]iam.AccessKey
	Policies []iam.ManagedPolicy
	Grants   map[string]iam.Grants
	Sessions map[string]iam.Session
}

func readState(t *testing.T, b iam.Backend, sessionIDs []string) state {
	t.Helper()
	ctx := context.Background()
	s := state{Groups: map[string][]iam.User{}, UserGrps: map[string][]iam.Group{}, Keys: map[string][]iam.AccessKey{}, Grants: map[string]iam.Grants{}, Sessions: map[string]iam.Session{}}
	var err error
	s.Users, _ = b.ListUsers(ctx, "/")
	for _, u := range s.Users {
		s.Keys[u.Name], err = b.ListAccessKeys(ctx, u.Name)
		if err != nil {
			t.Fatal(err)
		}
		s.UserGrps[u.Name], _ = b.ListGroupsForUser(ctx, u.Name)
		s.Grants["user/"+u.Name], _ = b.Grants(ctx, iam.KindUser, u.Name)
	}
	groups, _ := b.ListGroups(ctx, "/")
	for _, g := range groups {
		_, s.Groups[g.Name], _ = b.GetGroup(ctx, g.Name)
		s.Grants["group/"+g.Name], _ = b.Grants(ctx, iam.KindGroup, g.Name)
	}
	s.Roles, _ = b.ListRoles(ctx, "/")
	for _, r := range s.Roles {
		s.Grants["role/"+r.Name], _ = b.Grants(ctx, iam.KindRole, r.Name)
	}
	s.Policies, _ = b.ListPolicies(ctx)
	for _, id := range sessionIDs {
		s.Sessions[id], _ = b.GetSession(ctx, id)
	}
	return s
}

// populate makes one of everything, with updates and deletions.
func populate(t *testing.T, b iam.Backend) []string {
	t.Helper()
	ctx := context.Background()
	check := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	_, err := b.CreatePolicy(ctx, newManaged(t, "read"))
	check(err)
	_, err = b.CreatePolicyVersion(ctx, policyARN("read"), iam.PolicyVersion{Document: denyDoc, Parsed: mustParse(t, denyDoc), CreatedAt: t0}, true)
	check(err)
	_, err = b.CreatePolicy(ctx, newManaged(t, "gone"))
	check(err)
	check(b.DeletePolicy(ctx, policyARN("gone")))
	for _, n := range []string{"Alice", "bob", "carol"} {
		_, err = b.CreateUser(ctx, newUser(n))
		check(err)
		_, err = b.CreateAccessKey(ctx, iam.AccessKey{ID: "AKIA" + n, Secret: "secret-" + n, UserName: n, Status: iam.StatusActive, CreatedAt: t0})
		check(err)
		check(b.PutInlinePolicy(ctx, iam.KindUser, n, iam.InlinePolicy{Name: "inline", Document: allowDoc, Parsed: mustParse(t, allowDoc)}))
	}
	check(b.UpdateAccessKey(ctx, "bob", "AKIAbob", iam.StatusInactive))
	check(b.DeleteAccessKey(ctx, "carol", "AKIAcarol"))
	check(b.DeleteInlinePolicy(ctx, iam.KindUser, "carol", "inline"))
	check(b.DeleteUser(ctx, "carol"))
	_, err = b.UpdateUser(ctx, "alice", func(u *iam.User) error { u.Tags = []iam.Tag{{Key: "team", Value: "x"}}; return nil })
	check(err)
	check(b.SetPermissionsBoundary(ctx, iam.KindUser, "alice", policyARN("read")))
	_, err = b.CreateGroup(ctx, iam.Group{Path: "/", Name: "devs", ID: "AGPAdevs", CreatedAt: t0})
	check(err)
	check(b.AddUserToGroup(ctx, "devs", "alice"))
	check(b.AddUserToGroup(ctx, "devs", "bob"))
	check(b.RemoveUserFromGroup(ctx, "devs", "bob"))
	check(b.AttachPolicy(ctx, iam.KindGroup, "devs", policyARN("read")))
	_, err = b.CreateRole(ctx, newRole(t, "deployer"))
	check(err)
	_, err = b.UpdateRole(ctx, "deployer", func(r *iam.Role) error { r.Description = "deploys"; return nil })
	check(err)
	check(b.AttachPolicy(ctx, iam.KindRole, "deployer", policyARN("read")))
	check(b.PutInlinePolicy(ctx, iam.KindRole, "deployer", iam.InlinePolicy{Name: "x", Document: denyDoc, Parsed: mustParse(t, denyDoc)}))
	check(b.CreateSession(ctx, iam.Session{
		AccessKeyID: "ASIA1", SecretAccessKey: "s", SessionToken: "t", Expires: t0.Add(time.Hour),
		RoleName: "deployer", SessionName: "n",
		Policies:        []policy.NamedPolicy{{ID: "session policy", Policy: mustParse(t, allowDoc)}, {ID: policyARN("read"), Policy: mustParse(t, denyDoc)}},
		PolicyDocuments: []string{allowDoc, denyDoc},
	}))
	check(b.CreateSession(ctx, iam.Session{AccessKeyID: "ASIA2", SecretAccessKey: "s2", SessionToken: "t2", Expires: t0, UserName: "alice"}))
	return []string{"ASIA1", "ASIA2"}
}

func TestBoltReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "iam.db")
	b, err := iam.OpenBolt(path)
	if err != nil {
		t.Fatal(err)
	}
	ids := populate(t, b)
	want := readState(t, b, ids)
	// The same operations on a Memory give the same state.
	mem := iam.NewMemory()
	populate(t, mem)
	if diff := cmp.Diff(readState(t, mem, ids), want, ignoreParsed); diff != "" {
		t.Fatalf("Bolt and Memory differ (-memory +bolt):\n%s", diff)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("file mode %v, %v; want 0600", fi.Mode(), err)
	}
	b2 := openBolt(t, path)
	got := readState(t, b2, ids)
	if diff := cmp.Diff(want, got, ignoreParsed); diff != "" {
		t.Fatalf("after reopen (-want +got):\n%s", diff)
	}
	// Parsed policies are there again.
	for k, g := range got.Grants {
		for _, p := range g.Policies {
			if p.Parsed == nil {
				t.Fatalf("%s: policy %s not parsed", k, p.Name)
			}
		}
	}
	r, _ := b2.GetRole(context.Background(), "deployer")
	s, _ := b2.GetSession(context.Background(), "ASIA1")
	if r.Trust == nil || len(s.Policies) != 2 || s.Policies[1].Policy == nil || s.Policies[1].ID != policyARN("read") {
		t.Fatalf("trust %v, session policies %+v", r.Trust, s.Policies)
	}
	// The reopened store goes on working.
	if err := b2.DeleteAccessKey(context.Background(), "bob", "AKIAbob"); err != nil {
		t.Fatal(err)
	}
}

// dump reads every key and value of the file.
func dump(t *testing.T, path string) map[string]string {
	t.Helper()
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: time.Second, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	out := map[string]string{}
	err = db.View(func(tx *bbolt.Tx) error {
		return tx.ForEach(func(name []byte, bk *bbolt.Bucket) error {
			return bk.ForEach(func(k, v []byte) error {
				out[string(name)+"/"+string(k)] = string(v)
				return nil
			})
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestBoltFailedMutationWritesNothing(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "iam.db")
	b, err := iam.OpenBolt(path)
	if err != nil {
		t.Fatal(err)
	}
	ids := populate(t, b)
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	before := dump(t, path)
	b = openBolt(t, path)
	failures := []error{
		b.DeleteUser(ctx, "alice"), // has an access key
		b.AddUserToGroup(ctx, "devs", "nobody"),
		b.DeletePolicyVersion(ctx, policyARN("read"), "v2"), // the default
		b.DeletePolicy(ctx, policyARN("read")),
		b.AttachPolicy(ctx, iam.KindRole, "deployer", policyARN("none")),
		b.DeleteInlinePolicy(ctx, iam.KindUser, "bob", "none"),
		b.SetPermissionsBoundary(ctx, iam.KindGroup, "devs", policyARN("read")),
		b.CreateSession(ctx, iam.Session{AccessKeyID: "ASIA1"}),
		b.CreateSession(ctx, iam.Session{AccessKeyID: "ASIA9", Policies: []policy.NamedPolicy{{ID: "x", Policy: mustParse(t, allowDoc)}}}),
	}
	_, err = b.CreateUser(ctx, newUser("ALICE"))
	failures = append(failures, err)
	_, err = b.UpdateRole(ctx, "deployer", func(r *iam.Role) error { r.Description = "changed"; return fmt.Errorf("no") })
	failures = append(failures, err)
	_, err = b.CreateAccessKey(ctx, iam.AccessKey{ID: "AKIAx", UserName: "nobody"})
	failures = append(failures, err)
	for i, err := range failures {
		if err == nil {
			t.Errorf("mutation %d succeeded", i)
		}
	}
	want := readState(t, b, ids)
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(before, dump(t, path)); diff != "" {
		t.Fatalf("failed mutations wrote (-before +after):\n%s", diff)
	}
	if diff := cmp.Diff(want, readState(t, openBolt(t, path), ids), ignoreParsed); diff != "" {
		t.Fatalf("state after reopen (-want +got):\n%s", diff)
	}
}

// TestBoltWriteFailureRollsBack: when the file cannot be written (here:
// closed), the mutation fails and memory keeps the state before it.
func TestBoltWriteFailureRollsBack(t *testing.T) {
	ctx := context.Background()
	b, err := iam.OpenBolt(filepath.Join(t.TempDir(), "iam.db"))
	if err != nil {
		t.Fatal(err)
	}
	ids := populate(t, b)
	want := readState(t, b, ids)
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	errs := []error{
		b.AddUserToGroup(ctx, "devs", "bob"),
		b.DeleteAccessKey(ctx, "bob", "AKIAbob"),
		b.SetDefaultPolicyVersion(ctx, policyARN("read"), "v1"),
		b.DetachPolicy(ctx, iam.KindRole, "deployer", policyARN("read")),
		b.PutInlinePolicy(ctx, iam.KindGroup, "devs", iam.InlinePolicy{Name: "n", Document: allowDoc, Parsed: mustParse(t, allowDoc)}),
		b.CreateSession(ctx, iam.Session{AccessKeyID: "ASIA3"}),
	}
	_, err = b.CreateUser(ctx, newUser("dave"))
	errs = append(errs, err)
	_, err = b.UpdateRole(ctx, "deployer", func(r *iam.Role) error { r.Description = "changed"; return nil })
	errs = append(errs, err)
	for i, err := range errs {
		if err == nil {
			t.Errorf("mutation %d on a closed file succeeded", i)
		}
	}
	if diff := cmp.Diff(want, readState(t, b, ids), ignoreParsed); diff != "" {
		t.Fatalf("memory changed (-want +got):\n%s", diff)
	}
	if _, err := b.GetSession(ctx, "ASIA3"); codeOf(err) != "NoSuchEntity" {
		t.Fatalf("session of a failed write is there: %v", err)
	}
}

// TestBoltService: a Service on a reopened file authenticates the access
// keys and temporary credentials stored before.
func TestBoltService(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "iam.db")
	b, err := iam.OpenBolt(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := iam.New(iam.Options{AccountID: account, Backend: b}); err != nil {
		t.Fatal(err)
	}
	populate(t, b)
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	b = openBolt(t, path)
	svc, err := iam.New(iam.Options{AccountID: account, Backend: b})
	if err != nil {
		t.Fatalf("New on a reopened file: %v", err)
	}
	key, caller, ok := svc.Authenticate("AKIAAlice")
	if !ok || key.SecretAccessKey != "secret-Alice" || caller.Name != "Alice" {
		t.Fatalf("Authenticate(AKIAAlice) = %+v %+v %v", key, caller, ok)
	}
	if _, err := b.GetPolicy(ctx, "arn:aws:iam::aws:policy/AdministratorAccess"); err != nil {
		t.Fatalf("seeded AWS managed policy: %v", err)
	}
	set, err := svc.Policies(caller)
	if err != nil || len(set.Identity) != 2 || set.Boundary == nil {
		t.Fatalf("Policies(Alice) = %+v, %v", set, err)
	}
}

// BenchmarkBoltReopen opens a file holding 1,000 users, each with an
// access key and an inline policy, 100 managed policies with 3 versions
// each, and 100 roles.
func BenchmarkBoltReopen(b *testing.B) {
	ctx := context.Background()
	path := filepath.Join(b.TempDir(), "iam.db")
	st, err := iam.OpenBolt(path)
	if err != nil {
		b.Fatal(err)
	}
	// Filled through the Bolt: one fsynced transaction per mutation.
	for i := range 100 {
		p := newManaged(b, fmt.Sprintf("policy%03d", i))
		if _, err := st.CreatePolicy(ctx, p); err != nil {
			b.Fatal(err)
		}
		for range 2 {
			if _, err := st.CreatePolicyVersion(ctx, p.ARN, iam.PolicyVersion{Document: denyDoc, Parsed: mustParse(b, denyDoc), CreatedAt: t0}, true); err != nil {
				b.Fatal(err)
			}
		}
	}
	for i := range 100 {
		if _, err := st.CreateRole(ctx, newRole(b, fmt.Sprintf("role%03d", i))); err != nil {
			b.Fatal(err)
		}
	}
	for i := range 1000 {
		name := fmt.Sprintf("user%04d", i)
		if _, err := st.CreateUser(ctx, newUser(name)); err != nil {
			b.Fatal(err)
		}
		if _, err := st.CreateAccessKey(ctx, iam.AccessKey{ID: fmt.Sprintf("AKIA%016d", i), Secret: "secret", UserName: name, Status: iam.StatusActive, CreatedAt: t0}); err != nil {
			b.Fatal(err)
		}
		if err := st.PutInlinePolicy(ctx, iam.KindUser, name, iam.InlinePolicy{Name: "inline", Document: allowDoc, Parsed: mustParse(b, allowDoc)}); err != nil {
			b.Fatal(err)
		}
	}
	if err := st.Close(); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		st, err := iam.OpenBolt(path)
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if err := st.Close(); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	if fi, err := os.Stat(path); err == nil {
		b.ReportMetric(float64(fi.Size())/1024, "KiB-file")
	}
}

// TestBoltAssumeRoleSession: the session AssumeRole stores carries the
// text of its session policies, so a Bolt can keep it across a reopen.
func TestBoltAssumeRoleSession(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	id, secret := e.userWithKey(t, "bob")
	_, bobSTS := e.clients(id, secret, "")
	flowARN := e.role(t, "Flow", trustFor("arn:aws:iam::123456789012:user/bob"))
	sessionDoc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iotthingsgraph:Get*","Resource":"*"}]}`
	out, err := bobSTS.AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn: aws.String(flowARN), RoleSessionName: aws.String("limited"), Policy: aws.String(sessionDoc),
		PolicyArns: []ststypes.PolicyDescriptorType{{Arn: aws.String("arn:aws:iam::aws:policy/AdministratorAccess")}},
	})
	if err != nil {
		t.Fatalf("AssumeRole: %v", err)
	}
	sess, err := e.svc.Backend().GetSession(ctx, aws.ToString(out.Credentials.AccessKeyId))
	if err != nil {
		t.Fatal(err)
	}
	if len(sess.PolicyDocuments) != 2 || sess.PolicyDocuments[0] != sessionDoc {
		t.Fatalf("session policy documents = %q", sess.PolicyDocuments)
	}
	path := filepath.Join(t.TempDir(), "iam.db")
	b, err := iam.OpenBolt(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.CreateSession(ctx, sess); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	got, err := openBolt(t, path).GetSession(ctx, sess.AccessKeyID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(sess, got, ignoreParsed); diff != "" {
		t.Fatalf("session after reopen (-want +got):\n%s", diff)
	}
	for i, p := range got.Policies {
		if p.ID != sess.Policies[i].ID || p.Policy == nil {
			t.Fatalf("session policy %d = %+v", i, p)
		}
	}
}

// TestBoltKill: a process killed (SIGKILL) while mutating reopens with
// every mutation wholly applied or not at all.
func TestBoltKill(t *testing.T) {
	if path := os.Getenv("IAM_BOLT_KILL_CHILD"); path != "" {
		killChild(path)
		return
	}
	if testing.Short() {
		t.Skip("spawns a child process")
	}
	path := filepath.Join(t.TempDir(), "iam.db")
	for round := range 3 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestBoltKill$")
		cmd.Env = append(os.Environ(), "IAM_BOLT_KILL_CHILD="+path)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(300+100*round) * time.Millisecond)
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		b, err := iam.OpenBolt(path)
		if err != nil {
			t.Fatalf("round %d: reopen: %v", round, err)
		}
		ctx := context.Background()
		users, _ := b.ListUsers(ctx, "/")
		groups, _ := b.ListGroups(ctx, "/")
		for _, g := range groups {
			_, members, err := b.GetGroup(ctx, g.Name)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range members {
				mine, _ := b.ListGroupsForUser(ctx, m.Name)
				if len(mine) != 1 || mine[0].Name != g.Name {
					t.Fatalf("round %d: %s member of %s, its groups %v", round, m.Name, g.Name, mine)
				}
			}
		}
		for _, u := range users {
			keys, _ := b.ListAccessKeys(ctx, u.Name)
			if n, _ := b.ListInlinePolicies(ctx, iam.KindUser, u.Name); len(keys) > 0 && len(n) == 0 {
				t.Fatalf("round %d: %s has a key but not the inline policy put before it", round, u.Name)
			}
		}
		t.Logf("round %d: %d users, %d groups", round, len(users), len(groups))
		if err := b.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// killChild mutates the file at path until it is killed.
func killChild(path string) {
	b, err := iam.OpenBolt(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	ctx := context.Background()
	p, _ := policy.Parse(allowDoc)
	for i := 0; ; i++ {
		suffix := fmt.Sprintf("%d-%d", os.Getpid(), i)
		user, group := "u"+suffix, "g"+suffix
		if _, err := b.CreateUser(ctx, newUser(user)); err != nil {
			panic(err)
		}
		if _, err := b.CreateGroup(ctx, iam.Group{Path: "/", Name: group}); err != nil {
			panic(err)
		}
		if err := b.AddUserToGroup(ctx, group, user); err != nil {
			panic(err)
		}
		if err := b.PutInlinePolicy(ctx, iam.KindUser, user, iam.InlinePolicy{Name: "p", Document: allowDoc, Parsed: p}); err != nil {
			panic(err)
		}
		if _, err := b.CreateAccessKey(ctx, iam.AccessKey{ID: "AKIA" + suffix, Secret: "s", UserName: user, Status: iam.StatusActive}); err != nil {
			panic(err)
		}
	}
}
