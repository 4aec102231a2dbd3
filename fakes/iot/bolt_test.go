package iot

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.etcd.io/bbolt"

	"github.com/tgsim/tgsim/fakes/awsproto"
)

func newBoltBackend(t testing.TB) Backend {
	t.Helper()
	b, err := OpenBolt(filepath.Join(t.TempDir(), "iot.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

func TestBackendMemory(t *testing.T) {
	runBackendSuite(t, func(testing.TB) Backend { return NewMemory() })
}

func TestBackendBolt(t *testing.T) {
	runBackendSuite(t, newBoltBackend)
}

// wantCode fails unless err is an AWS error with the given code.
func wantCode(t *testing.T, what string, err error, code string) {
	t.Helper()
	var ae *awsproto.Error
	if !errors.As(err, &ae) || ae.Code != code {
		t.Errorf("%s: err = %v, want %s", what, err, code)
	}
}

func must(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func ptr[T any](v T) *T { return &v }

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// runBackendSuite checks every Backend method through the interface.
func runBackendSuite(t *testing.T, newBackend func(testing.TB) Backend) {
	ctx := context.Background()

	t.Run("Things", func(t *testing.T) {
		b := newBackend(t)
		th, err := b.CreateThing(ctx, Thing{Name: "t1", ID: "id1", ARN: "arn:t1", Attributes: map[string]string{"a": "1"}})
		must(t, "CreateThing", err)
		if th.Version != 1 {
			t.Errorf("Version = %d, want 1", th.Version)
		}
		again, err := b.CreateThing(ctx, Thing{Name: "t1", ID: "other", Attributes: map[string]string{"a": "1"}})
		if err != nil || again.ID != "id1" {
			t.Errorf("identical CreateThing = %+v, %v; want the stored thing", again, err)
		}
		_, err = b.CreateThing(ctx, Thing{Name: "t1", Attributes: map[string]string{"a": "2"}})
		wantCode(t, "different CreateThing", err, codeResourceAlreadyExists)
		_, err = b.CreateThing(ctx, Thing{Name: "t2", TypeName: "nope"})
		wantCode(t, "CreateThing missing type", err, codeResourceNotFound)
		_, err = b.CreateThing(ctx, Thing{Name: "t2", Attributes: map[string]string{"a": "1", "b": "2", "c": "3", "d": "4"}})
		wantCode(t, "CreateThing 4 attributes", err, codeInvalidRequest)
		_, err = b.CreateThing(ctx, Thing{Name: "t0"})
		must(t, "CreateThing t0", err)

		got, err := b.GetThing(ctx, "t0")
		if err != nil || got.Attributes == nil || got.Version != 1 {
			t.Errorf("GetThing(t0) = %+v, %v", got, err)
		}
		_, err = b.GetThing(ctx, "missing")
		wantCode(t, "GetThing missing", err, codeResourceNotFound)
		list, err := b.ListThings(ctx)
		must(t, "ListThings", err)
		if len(list) != 2 || list[0].Name != "t0" || list[1].Name != "t1" {
			t.Errorf("ListThings = %+v", list)
		}

		up, err := b.UpdateThing(ctx, "t1", ThingUpdate{Attributes: map[string]string{"b": "2", "a": ""}, Merge: true, ExpectedVersion: ptr[int64](1)})
		if err != nil || up.Version != 2 || !cmp.Equal(up.Attributes, map[string]string{"b": "2"}) {
			t.Errorf("UpdateThing merge = %+v, %v", up, err)
		}
		up, err = b.UpdateThing(ctx, "t1", ThingUpdate{Attributes: map[string]string{"c": "3"}})
		if err != nil || up.Version != 3 || !cmp.Equal(up.Attributes, map[string]string{"c": "3"}) {
			t.Errorf("UpdateThing replace = %+v, %v", up, err)
		}
		_, err = b.UpdateThing(ctx, "t1", ThingUpdate{ExpectedVersion: ptr[int64](1)})
		wantCode(t, "UpdateThing stale version", err, codeVersionConflict)
		_, err = b.UpdateThing(ctx, "missing", ThingUpdate{})
		wantCode(t, "UpdateThing missing", err, codeResourceNotFound)
		_, err = b.UpdateThing(ctx, "t1", ThingUpdate{Attributes: map[string]string{"x": "1", "y": "2", "z": "3"}, Merge: true})
		wantCode(t, "UpdateThing past the limit", err, codeInvalidRequest)
		if got, _ := b.GetThing(ctx, "t1"); got.Version != 3 {
			t.Errorf("failed updates changed the thing: %+v", got)
		}

		err = b.DeleteThing(ctx, "t1", ptr[int64](1))
		wantCode(t, "DeleteThing stale version", err, codeVersionConflict)
		must(t, "DeleteThing", b.DeleteThing(ctx, "t1", ptr[int64](3)))
		must(t, "DeleteThing missing", b.DeleteThing(ctx, "t1", nil))
		_, err = b.GetThing(ctx, "t1")
		wantCode(t, "GetThing deleted", err, codeResourceNotFound)
	})

	t.Run("ThingTypes", func(t *testing.T) {
		b := newBackend(t)
		tt, err := b.CreateThingType(ctx, ThingType{Name: "sensor", ARN: "arn:sensor", SearchableAttributes: []string{"x"}, CreatedAt: t0})
		if err != nil || tt.Name != "sensor" {
			t.Fatalf("CreateThingType = %+v, %v", tt, err)
		}
		_, err = b.CreateThingType(ctx, ThingType{Name: "sensor"})
		wantCode(t, "CreateThingType taken", err, codeResourceAlreadyExists)
		_, err = b.CreateThingType(ctx, ThingType{Name: "lamp"})
		must(t, "CreateThingType lamp", err)
		got, err := b.GetThingType(ctx, "lamp")
		if err != nil || got.SearchableAttributes == nil {
			t.Errorf("GetThingType = %+v, %v (SearchableAttributes must not be nil)", got, err)
		}
		_, err = b.GetThingType(ctx, "missing")
		wantCode(t, "GetThingType missing", err, codeResourceNotFound)
		list, err := b.ListThingTypes(ctx)
		if err != nil || len(list) != 2 || list[0].Name != "lamp" {
			t.Errorf("ListThingTypes = %+v, %v", list, err)
		}

		// A typed thing can hold more than three attributes.
		_, err = b.CreateThing(ctx, Thing{Name: "s1", TypeName: "sensor", Attributes: map[string]string{"a": "1", "b": "2", "c": "3", "d": "4"}})
		must(t, "CreateThing typed", err)
		_, err = b.UpdateThing(ctx, "s1", ThingUpdate{RemoveType: true})
		wantCode(t, "UpdateThing untyped with 4 attributes", err, codeInvalidRequest)
		_, err = b.CreateThing(ctx, Thing{Name: "l1"})
		must(t, "CreateThing l1", err)
		up, err := b.UpdateThing(ctx, "l1", ThingUpdate{TypeName: "lamp"})
		if err != nil || up.TypeName != "lamp" {
			t.Errorf("UpdateThing set type = %+v, %v", up, err)
		}
		_, err = b.UpdateThing(ctx, "l1", ThingUpdate{TypeName: "missing"})
		wantCode(t, "UpdateThing missing type", err, codeResourceNotFound)

		err = b.DeleteThingType(ctx, "sensor")
		wantCode(t, "DeleteThingType not deprecated", err, codeInvalidRequest)
		must(t, "DeprecateThingType", b.DeprecateThingType(ctx, "sensor", false, t0))
		got, _ = b.GetThingType(ctx, "sensor")
		if !got.Deprecated || !got.DeprecatedAt.Equal(t0) {
			t.Errorf("deprecated type = %+v", got)
		}
		_, err = b.CreateThing(ctx, Thing{Name: "s2", TypeName: "sensor"})
		wantCode(t, "CreateThing deprecated type", err, codeInvalidRequest)
		_, err = b.UpdateThing(ctx, "l1", ThingUpdate{TypeName: "sensor"})
		wantCode(t, "UpdateThing to deprecated type", err, codeInvalidRequest)
		err = b.DeleteThingType(ctx, "sensor")
		wantCode(t, "DeleteThingType in use", err, codeInvalidRequest)
		err = b.DeprecateThingType(ctx, "missing", false, t0)
		wantCode(t, "DeprecateThingType missing", err, codeResourceNotFound)
		must(t, "undeprecate", b.DeprecateThingType(ctx, "sensor", true, t0))
		if got, _ := b.GetThingType(ctx, "sensor"); got.Deprecated || !got.DeprecatedAt.IsZero() {
			t.Errorf("undeprecated type = %+v", got)
		}
		must(t, "DeprecateThingType", b.DeprecateThingType(ctx, "sensor", false, t0))
		must(t, "DeleteThing s1", b.DeleteThing(ctx, "s1", nil))
		must(t, "DeleteThingType", b.DeleteThingType(ctx, "sensor"))
		err = b.DeleteThingType(ctx, "sensor")
		wantCode(t, "DeleteThingType again", err, codeResourceNotFound)
	})

	t.Run("Certificates", func(t *testing.T) {
		b := newBackend(t)
		c1 := Certificate{ID: "c1", ARN: "arn:cert/c1", PEM: "pem1", Status: StatusActive, CreatedAt: t0.Add(time.Second), ModifiedAt: t0, NotBefore: t0, NotAfter: notAfter, Mode: "DEFAULT"}
		c2 := Certificate{ID: "c2", ARN: "arn:cert/c2", Status: StatusInactive, CreatedAt: t0}
		must(t, "PutCertificate c1", b.PutCertificate(ctx, c1))
		must(t, "PutCertificate c2", b.PutCertificate(ctx, c2))
		wantCode(t, "PutCertificate taken", b.PutCertificate(ctx, c1), codeResourceAlreadyExists)
		got, err := b.GetCertificate(ctx, "c1")
		if err != nil || !cmp.Equal(got, c1) {
			t.Errorf("GetCertificate = %+v, %v; want %+v", got, err, c1)
		}
		_, err = b.GetCertificate(ctx, "missing")
		wantCode(t, "GetCertificate missing", err, codeResourceNotFound)
		list, err := b.ListCertificates(ctx)
		if err != nil || len(list) != 2 || list[0].ID != "c2" {
			t.Errorf("ListCertificates = %+v, %v; want oldest first", list, err)
		}

		at := t0.Add(time.Hour)
		got, err = b.SetCertificateStatus(ctx, "c1", StatusInactive, at)
		if err != nil || got.Status != StatusInactive || !got.ModifiedAt.Equal(at) {
			t.Errorf("SetCertificateStatus = %+v, %v", got, err)
		}
		_, err = b.SetCertificateStatus(ctx, "missing", StatusActive, at)
		wantCode(t, "SetCertificateStatus missing", err, codeResourceNotFound)
		_, err = b.SetCertificateStatus(ctx, "c2", StatusRevoked, at)
		must(t, "revoke", err)
		_, err = b.SetCertificateStatus(ctx, "c2", StatusActive, at)
		wantCode(t, "SetCertificateStatus revoked", err, codeCertificateState)

		must(t, "PutCertificate c3", b.PutCertificate(ctx, Certificate{ID: "c3", Status: StatusActive}))
		wantCode(t, "DeleteCertificate active", b.DeleteCertificate(ctx, "c3", false), codeCertificateState)
		wantCode(t, "DeleteCertificate missing", b.DeleteCertificate(ctx, "missing", false), codeResourceNotFound)

		// Things block deletion; policies do unless forced.
		_, err = b.CreateThing(ctx, Thing{Name: "dev"})
		must(t, "CreateThing", err)
		must(t, "AttachThingPrincipal", b.AttachThingPrincipal(ctx, "dev", "c1"))
		wantCode(t, "DeleteCertificate with thing", b.DeleteCertificate(ctx, "c1", true), codeDeleteConflict)
		must(t, "DetachThingPrincipal", b.DetachThingPrincipal(ctx, "dev", "c1"))
		_, err = b.CreatePolicy(ctx, Policy{Name: "p", DefaultVersion: "1", Versions: []PolicyVersion{{ID: "1", Document: "{}"}}})
		must(t, "CreatePolicy", err)
		must(t, "AttachPolicy", b.AttachPolicy(ctx, "p", PolicyTarget{TargetCertificate, "c1"}))
		wantCode(t, "DeleteCertificate with policy", b.DeleteCertificate(ctx, "c1", false), codeDeleteConflict)
		must(t, "DeleteCertificate forced", b.DeleteCertificate(ctx, "c1", true))
		if targets, err := b.PolicyTargets(ctx, "p"); err != nil || len(targets) != 0 {
			t.Errorf("PolicyTargets after forced delete = %v, %v", targets, err)
		}
		_, err = b.GetCertificate(ctx, "c1")
		wantCode(t, "GetCertificate deleted", err, codeResourceNotFound)
		must(t, "DeleteCertificate revoked", b.DeleteCertificate(ctx, "c2", false))
	})

	t.Run("Principals", func(t *testing.T) {
		b := newBackend(t)
		for _, n := range []string{"b", "a"} {
			_, err := b.CreateThing(ctx, Thing{Name: n})
			must(t, "CreateThing", err)
		}
		for _, id := range []string{"y", "x"} {
			must(t, "PutCertificate", b.PutCertificate(ctx, Certificate{ID: id, ARN: "arn:cert/" + id, Status: StatusActive}))
		}
		wantCode(t, "attach missing thing", b.AttachThingPrincipal(ctx, "zz", "x"), codeResourceNotFound)
		wantCode(t, "attach missing cert", b.AttachThingPrincipal(ctx, "a", "zz"), codeResourceNotFound)
		for _, p := range [][2]string{{"a", "y"}, {"a", "x"}, {"a", "x"}, {"b", "x"}} {
			must(t, "AttachThingPrincipal", b.AttachThingPrincipal(ctx, p[0], p[1]))
		}
		ids, err := b.ThingPrincipals(ctx, "a")
		if err != nil || !cmp.Equal(ids, []string{"x", "y"}) {
			t.Errorf("ThingPrincipals(a) = %v, %v", ids, err)
		}
		_, err = b.ThingPrincipals(ctx, "zz")
		wantCode(t, "ThingPrincipals missing", err, codeResourceNotFound)
		things, err := b.PrincipalThings(ctx, "x")
		if err != nil || !cmp.Equal(things, []string{"a", "b"}) {
			t.Errorf("PrincipalThings(x) = %v, %v", things, err)
		}
		_, err = b.PrincipalThings(ctx, "zz")
		wantCode(t, "PrincipalThings missing", err, codeResourceNotFound)
		wantCode(t, "DeleteThing attached", b.DeleteThing(ctx, "b", nil), codeInvalidRequest)
		must(t, "DetachThingPrincipal", b.DetachThingPrincipal(ctx, "b", "x"))
		must(t, "DetachThingPrincipal again", b.DetachThingPrincipal(ctx, "b", "x"))
		wantCode(t, "detach missing thing", b.DetachThingPrincipal(ctx, "zz", "x"), codeResourceNotFound)
		must(t, "DeleteThing b", b.DeleteThing(ctx, "b", nil))
		if things, _ := b.PrincipalThings(ctx, "x"); !cmp.Equal(things, []string{"a"}) {
			t.Errorf("PrincipalThings(x) = %v, want [a]", things)
		}
	})

	t.Run("ThingGroups", func(t *testing.T) {
		b := newBackend(t)
		g, err := b.CreateThingGroup(ctx, ThingGroup{Name: "root", ARN: "arn:g/root", Description: "d", CreatedAt: t0})
		if err != nil || g.Version != 1 || g.Attributes == nil {
			t.Fatalf("CreateThingGroup = %+v, %v", g, err)
		}
		_, err = b.CreateThingGroup(ctx, ThingGroup{Name: "root", Description: "d"})
		must(t, "identical CreateThingGroup", err)
		_, err = b.CreateThingGroup(ctx, ThingGroup{Name: "root", Description: "other"})
		wantCode(t, "different CreateThingGroup", err, codeResourceAlreadyExists)
		_, err = b.CreateThingGroup(ctx, ThingGroup{Name: "orphan", Parent: "missing"})
		wantCode(t, "CreateThingGroup missing parent", err, codeInvalidRequest)
		parent := "root"
		for i := 2; i <= maxGroupDepth; i++ {
			name := fmt.Sprintf("level%d", i)
			_, err := b.CreateThingGroup(ctx, ThingGroup{Name: name, Parent: parent})
			must(t, "CreateThingGroup "+name, err)
			parent = name
		}
		_, err = b.CreateThingGroup(ctx, ThingGroup{Name: "too-deep", Parent: parent})
		wantCode(t, "CreateThingGroup too deep", err, codeInvalidRequest)
		got, err := b.GetThingGroup(ctx, "level2")
		if err != nil || got.Parent != "root" {
			t.Errorf("GetThingGroup = %+v, %v", got, err)
		}
		_, err = b.GetThingGroup(ctx, "missing")
		wantCode(t, "GetThingGroup missing", err, codeResourceNotFound)
		list, err := b.ListThingGroups(ctx)
		if err != nil || len(list) != maxGroupDepth || list[0].Name != "level2" {
			t.Errorf("ListThingGroups = %+v, %v", list, err)
		}

		up, err := b.UpdateThingGroup(ctx, "root", ThingGroupUpdate{Description: ptr("new"), Attributes: map[string]string{"k": "v"}, ExpectedVersion: ptr[int64](1)})
		if err != nil || up.Version != 2 || up.Description != "new" || up.Attributes["k"] != "v" {
			t.Errorf("UpdateThingGroup = %+v, %v", up, err)
		}
		up, err = b.UpdateThingGroup(ctx, "root", ThingGroupUpdate{Attributes: map[string]string{"k": "", "j": "w"}, Merge: true})
		if err != nil || up.Version != 3 || !cmp.Equal(up.Attributes, map[string]string{"j": "w"}) {
			t.Errorf("UpdateThingGroup merge = %+v, %v", up, err)
		}
		_, err = b.UpdateThingGroup(ctx, "root", ThingGroupUpdate{ExpectedVersion: ptr[int64](1)})
		wantCode(t, "UpdateThingGroup stale", err, codeVersionConflict)
		_, err = b.UpdateThingGroup(ctx, "missing", ThingGroupUpdate{})
		wantCode(t, "UpdateThingGroup missing", err, codeResourceNotFound)

		_, err = b.CreateThing(ctx, Thing{Name: "dev"})
		must(t, "CreateThing", err)
		wantCode(t, "add to missing group", b.AddThingToThingGroup(ctx, "missing", "dev"), codeResourceNotFound)
		wantCode(t, "add missing thing", b.AddThingToThingGroup(ctx, "root", "missing"), codeResourceNotFound)
		must(t, "AddThingToThingGroup", b.AddThingToThingGroup(ctx, "root", "dev"))
		must(t, "AddThingToThingGroup twice", b.AddThingToThingGroup(ctx, "root", "dev"))
		must(t, "AddThingToThingGroup level2", b.AddThingToThingGroup(ctx, "level2", "dev"))
		things, err := b.ThingsInThingGroup(ctx, "root")
		if err != nil || !cmp.Equal(things, []string{"dev"}) {
			t.Errorf("ThingsInThingGroup = %v, %v", things, err)
		}
		_, err = b.ThingsInThingGroup(ctx, "missing")
		wantCode(t, "ThingsInThingGroup missing", err, codeResourceNotFound)
		groups, err := b.ThingGroupsForThing(ctx, "dev")
		if err != nil || !cmp.Equal(groups, []string{"level2", "root"}) {
			t.Errorf("ThingGroupsForThing = %v, %v", groups, err)
		}
		_, err = b.ThingGroupsForThing(ctx, "missing")
		wantCode(t, "ThingGroupsForThing missing", err, codeResourceNotFound)
		must(t, "RemoveThingFromThingGroup", b.RemoveThingFromThingGroup(ctx, "level2", "dev"))
		must(t, "RemoveThingFromThingGroup again", b.RemoveThingFromThingGroup(ctx, "level2", "dev"))
		wantCode(t, "remove from missing group", b.RemoveThingFromThingGroup(ctx, "missing", "dev"), codeResourceNotFound)
		wantCode(t, "remove missing thing", b.RemoveThingFromThingGroup(ctx, "root", "missing"), codeResourceNotFound)

		// Ten groups per thing.
		for i := range maxGroupsPerThing - 1 {
			name := fmt.Sprintf("flat%d", i)
			_, err := b.CreateThingGroup(ctx, ThingGroup{Name: name})
			must(t, "CreateThingGroup", err)
			must(t, "AddThingToThingGroup", b.AddThingToThingGroup(ctx, name, "dev"))
		}
		wantCode(t, "eleventh group", b.AddThingToThingGroup(ctx, "level3", "dev"), codeLimitExceeded)

		// Deleting a thing drops its memberships.
		_, err = b.CreateThing(ctx, Thing{Name: "gone"})
		must(t, "CreateThing gone", err)
		must(t, "AddThingToThingGroup gone", b.AddThingToThingGroup(ctx, "root", "gone"))
		must(t, "DeleteThing gone", b.DeleteThing(ctx, "gone", nil))
		if things, _ := b.ThingsInThingGroup(ctx, "root"); !cmp.Equal(things, []string{"dev"}) {
			t.Errorf("ThingsInThingGroup after DeleteThing = %v", things)
		}

		wantCode(t, "DeleteThingGroup with children", b.DeleteThingGroup(ctx, "root", nil), codeInvalidRequest)
		wantCode(t, "DeleteThingGroup stale", b.DeleteThingGroup(ctx, "flat0", ptr[int64](7)), codeVersionConflict)
		_, err = b.CreatePolicy(ctx, Policy{Name: "p", DefaultVersion: "1", Versions: []PolicyVersion{{ID: "1"}}})
		must(t, "CreatePolicy", err)
		must(t, "AttachPolicy", b.AttachPolicy(ctx, "p", PolicyTarget{TargetThingGroup, "flat0"}))
		must(t, "DeleteThingGroup", b.DeleteThingGroup(ctx, "flat0", ptr[int64](1)))
		must(t, "DeleteThingGroup missing", b.DeleteThingGroup(ctx, "flat0", nil))
		if targets, _ := b.PolicyTargets(ctx, "p"); len(targets) != 0 {
			t.Errorf("PolicyTargets after DeleteThingGroup = %v", targets)
		}
		if groups, _ := b.ThingGroupsForThing(ctx, "dev"); len(groups) != maxGroupsPerThing-1 {
			t.Errorf("ThingGroupsForThing after DeleteThingGroup = %v", groups)
		}
	})

	t.Run("Policies", func(t *testing.T) {
		b := newBackend(t)
		p, err := b.CreatePolicy(ctx, Policy{Name: "p", ARN: "arn:p", DefaultVersion: "1", GenerationID: "g", CreatedAt: t0, ModifiedAt: t0,
			Versions: []PolicyVersion{{ID: "1", Document: "doc1", CreatedAt: t0}}})
		if err != nil || p.Document() != "doc1" {
			t.Fatalf("CreatePolicy = %+v, %v", p, err)
		}
		_, err = b.CreatePolicy(ctx, Policy{Name: "p"})
		wantCode(t, "CreatePolicy taken", err, codeResourceAlreadyExists)
		_, err = b.CreatePolicy(ctx, Policy{Name: "a", DefaultVersion: "1", Versions: []PolicyVersion{{ID: "1"}}})
		must(t, "CreatePolicy a", err)
		_, err = b.GetPolicy(ctx, "missing")
		wantCode(t, "GetPolicy missing", err, codeResourceNotFound)
		list, err := b.ListPolicies(ctx)
		if err != nil || len(list) != 2 || list[0].Name != "a" {
			t.Errorf("ListPolicies = %+v, %v", list, err)
		}

		at := t0.Add(time.Minute)
		v, err := b.CreatePolicyVersion(ctx, "p", "doc2", true, at)
		if err != nil || v.ID != "2" {
			t.Errorf("CreatePolicyVersion = %+v, %v", v, err)
		}
		if got, _ := b.GetPolicy(ctx, "p"); got.DefaultVersion != "2" || !got.ModifiedAt.Equal(at) {
			t.Errorf("after CreatePolicyVersion(setDefault) = %+v", got)
		}
		_, err = b.CreatePolicyVersion(ctx, "missing", "d", false, at)
		wantCode(t, "CreatePolicyVersion missing", err, codeResourceNotFound)
		for i := 3; i <= maxPolicyVersions; i++ {
			_, err := b.CreatePolicyVersion(ctx, "p", fmt.Sprintf("doc%d", i), false, at)
			must(t, "CreatePolicyVersion", err)
		}
		_, err = b.CreatePolicyVersion(ctx, "p", "doc6", false, at)
		wantCode(t, "sixth version", err, codeVersionsLimitExceeded)

		must(t, "SetDefaultPolicyVersion", b.SetDefaultPolicyVersion(ctx, "p", "3", at))
		wantCode(t, "SetDefaultPolicyVersion missing version", b.SetDefaultPolicyVersion(ctx, "p", "9", at), codeResourceNotFound)
		wantCode(t, "SetDefaultPolicyVersion missing policy", b.SetDefaultPolicyVersion(ctx, "missing", "1", at), codeResourceNotFound)
		wantCode(t, "DeletePolicyVersion default", b.DeletePolicyVersion(ctx, "p", "3"), codeDeleteConflict)
		wantCode(t, "DeletePolicyVersion missing", b.DeletePolicyVersion(ctx, "p", "9"), codeResourceNotFound)
		wantCode(t, "DeletePolicyVersion missing policy", b.DeletePolicyVersion(ctx, "missing", "1"), codeResourceNotFound)
		must(t, "DeletePolicyVersion", b.DeletePolicyVersion(ctx, "p", "5"))
		// Version ids are never reused.
		v, err = b.CreatePolicyVersion(ctx, "p", "doc6", false, at)
		if err != nil || v.ID != "6" {
			t.Errorf("CreatePolicyVersion after a delete = %+v, %v; want id 6", v, err)
		}
		got, _ := b.GetPolicy(ctx, "p")
		if got.Document() != "doc3" || len(got.Versions) != 5 {
			t.Errorf("policy = %+v", got)
		}
		wantCode(t, "DeletePolicy with versions", b.DeletePolicy(ctx, "p"), codeDeleteConflict)

		must(t, "PutCertificate", b.PutCertificate(ctx, Certificate{ID: "c", ARN: "arn:cert/c"}))
		_, err = b.CreateThingGroup(ctx, ThingGroup{Name: "g", ARN: "arn:g"})
		must(t, "CreateThingGroup", err)
		cert, group := PolicyTarget{TargetCertificate, "c"}, PolicyTarget{TargetThingGroup, "g"}
		wantCode(t, "AttachPolicy missing policy", b.AttachPolicy(ctx, "missing", cert), codeResourceNotFound)
		wantCode(t, "AttachPolicy missing cert", b.AttachPolicy(ctx, "a", PolicyTarget{TargetCertificate, "zz"}), codeResourceNotFound)
		wantCode(t, "AttachPolicy missing group", b.AttachPolicy(ctx, "a", PolicyTarget{TargetThingGroup, "zz"}), codeResourceNotFound)
		wantCode(t, "AttachPolicy bad kind", b.AttachPolicy(ctx, "a", PolicyTarget{"bad", "c"}), codeInvalidRequest)
		must(t, "AttachPolicy cert", b.AttachPolicy(ctx, "a", cert))
		must(t, "AttachPolicy cert twice", b.AttachPolicy(ctx, "a", cert))
		must(t, "AttachPolicy group", b.AttachPolicy(ctx, "a", group))
		must(t, "AttachPolicy p", b.AttachPolicy(ctx, "p", cert))
		targets, err := b.PolicyTargets(ctx, "a")
		if err != nil || !cmp.Equal(targets, []string{"arn:cert/c", "arn:g"}) {
			t.Errorf("PolicyTargets = %v, %v", targets, err)
		}
		_, err = b.PolicyTargets(ctx, "missing")
		wantCode(t, "PolicyTargets missing", err, codeResourceNotFound)
		names, err := b.AttachedPolicies(ctx, cert)
		if err != nil || !cmp.Equal(names, []string{"a", "p"}) {
			t.Errorf("AttachedPolicies = %v, %v", names, err)
		}
		_, err = b.AttachedPolicies(ctx, PolicyTarget{TargetThingGroup, "zz"})
		wantCode(t, "AttachedPolicies missing", err, codeResourceNotFound)
		wantCode(t, "DeletePolicy attached", b.DeletePolicy(ctx, "a"), codeDeleteConflict)
		must(t, "DetachPolicy", b.DetachPolicy(ctx, "a", cert))
		must(t, "DetachPolicy again", b.DetachPolicy(ctx, "a", cert))
		wantCode(t, "DetachPolicy missing", b.DetachPolicy(ctx, "missing", cert), codeResourceNotFound)
		must(t, "DetachPolicy group", b.DetachPolicy(ctx, "a", group))
		must(t, "DeletePolicy", b.DeletePolicy(ctx, "a"))
		wantCode(t, "DeletePolicy missing", b.DeletePolicy(ctx, "a"), codeResourceNotFound)

		for i := range maxPoliciesPerTarget {
			name := fmt.Sprintf("lim%d", i)
			_, err := b.CreatePolicy(ctx, Policy{Name: name, DefaultVersion: "1", Versions: []PolicyVersion{{ID: "1"}}})
			must(t, "CreatePolicy", err)
			if i < maxPoliciesPerTarget-1 {
				must(t, "AttachPolicy", b.AttachPolicy(ctx, name, cert))
			}
		}
		wantCode(t, "eleventh policy", b.AttachPolicy(ctx, "lim9", cert), codeLimitExceeded)
	})

	t.Run("TopicRules", func(t *testing.T) {
		b := newBackend(t)
		q, err := ParseSQL("SELECT temp FROM 'sensors/+' WHERE temp > 30")
		must(t, "ParseSQL", err)
		r := TopicRule{Name: "hot", ARN: "arn:rule/hot", SQL: "SELECT temp FROM 'sensors/+' WHERE temp > 30", Query: q, Description: "d",
			Actions: []RuleAction{{Kind: "republish", Params: []byte(`{"topic":"alerts"}`)}}, ErrorAction: &RuleAction{Kind: "s3", Params: []byte(`{}`)},
			SQLVersion: "2016-03-23", CreatedAt: t0}
		must(t, "PutTopicRule", b.PutTopicRule(ctx, r, false))
		wantCode(t, "PutTopicRule taken", b.PutTopicRule(ctx, r, false), codeResourceAlreadyExists)
		wantCode(t, "replace missing", b.PutTopicRule(ctx, TopicRule{Name: "missing"}, true), codeUnauthorized)
		got, err := b.GetTopicRule(ctx, "hot")
		if err != nil || !cmp.Equal(got, r) {
			t.Errorf("GetTopicRule = %+v, %v; diff %s", got, err, cmp.Diff(r, got))
		}
		_, err = b.GetTopicRule(ctx, "missing")
		wantCode(t, "GetTopicRule missing", err, codeUnauthorized)
		r2 := r
		r2.Description, r2.CreatedAt = "replaced", t0.Add(time.Hour)
		must(t, "replace", b.PutTopicRule(ctx, r2, true))
		got, _ = b.GetTopicRule(ctx, "hot")
		if got.Description != "replaced" || !got.CreatedAt.Equal(t0) {
			t.Errorf("replaced rule = %+v; want CreatedAt kept", got)
		}
		must(t, "PutTopicRule a", b.PutTopicRule(ctx, TopicRule{Name: "a", SQL: "SELECT * FROM 'x'", Query: &Query{Topic: "x", Fields: []Field{{Star: true}}}}, false))
		list, err := b.ListTopicRules(ctx)
		if err != nil || len(list) != 2 || list[0].Name != "a" {
			t.Errorf("ListTopicRules = %+v, %v", list, err)
		}
		must(t, "disable", b.SetTopicRuleDisabled(ctx, "hot", true))
		if got, _ := b.GetTopicRule(ctx, "hot"); !got.Disabled {
			t.Errorf("rule not disabled")
		}
		wantCode(t, "disable missing", b.SetTopicRuleDisabled(ctx, "missing", true), codeUnauthorized)
		must(t, "DeleteTopicRule", b.DeleteTopicRule(ctx, "hot"))
		wantCode(t, "DeleteTopicRule missing", b.DeleteTopicRule(ctx, "hot"), codeUnauthorized)
	})

	t.Run("Copies", func(t *testing.T) {
		b := newBackend(t)
		th, err := b.CreateThing(ctx, Thing{Name: "t", Attributes: map[string]string{"a": "1"}})
		must(t, "CreateThing", err)
		th.Attributes["a"] = "changed"
		if got, _ := b.GetThing(ctx, "t"); got.Attributes["a"] != "1" {
			t.Errorf("returned thing aliases the stored one")
		}
	})
}

// state is everything a Backend holds, read through the interface.
type state struct {
	Things           []Thing
	Certs            []Certificate
	Types            []ThingType
	Groups           []ThingGroup
	Policies         []Policy
	Rules            []TopicRule
	ThingPrincipals  map[string][]string
	Members          map[string][]string
	PolicyTargets    map[string][]string
	AttachedToCerts  map[string][]string
	AttachedToGroups map[string][]string
}

func dump(t testing.TB, b Backend) state {
	t.Helper()
	ctx := context.Background()
	var s state
	var err error
	check := func(e error) {
		if e != nil {
			t.Fatal(e)
		}
	}
	s.Things, err = b.ListThings(ctx)
	check(err)
	s.Certs, err = b.ListCertificates(ctx)
	check(err)
	s.Types, err = b.ListThingTypes(ctx)
	check(err)
	s.Groups, err = b.ListThingGroups(ctx)
	check(err)
	s.Policies, err = b.ListPolicies(ctx)
	check(err)
	s.Rules, err = b.ListTopicRules(ctx)
	check(err)
	s.ThingPrincipals, s.Members, s.PolicyTargets = map[string][]string{}, map[string][]string{}, map[string][]string{}
	s.AttachedToCerts, s.AttachedToGroups = map[string][]string{}, map[string][]string{}
	for _, th := range s.Things {
		s.ThingPrincipals[th.Name], err = b.ThingPrincipals(ctx, th.Name)
		check(err)
	}
	for _, g := range s.Groups {
		s.Members[g.Name], err = b.ThingsInThingGroup(ctx, g.Name)
		check(err)
		s.AttachedToGroups[g.Name], err = b.AttachedPolicies(ctx, PolicyTarget{TargetThingGroup, g.Name})
		check(err)
	}
	for _, c := range s.Certs {
		s.AttachedToCerts[c.ID], err = b.AttachedPolicies(ctx, PolicyTarget{TargetCertificate, c.ID})
		check(err)
	}
	for _, p := range s.Policies {
		s.PolicyTargets[p.Name], err = b.PolicyTargets(ctx, p.Name)
		check(err)
	}
	return s
}

// populate makes a bit of everything through b, including deletions.
func populate(t *testing.T, b Backend) {
	t.Helper()
	ctx := context.Background()
	_, err := b.CreateThingType(ctx, ThingType{Name: "sensor", ARN: "arn:tt/sensor", SearchableAttributes: []string{"x"}, CreatedAt: t0})
	must(t, "CreateThingType", err)
	_, err = b.CreateThingType(ctx, ThingType{Name: "old", CreatedAt: t0})
	must(t, "CreateThingType old", err)
	must(t, "DeprecateThingType", b.DeprecateThingType(ctx, "old", false, t0.Add(time.Minute)))
	for i := range 5 {
		_, err := b.CreateThing(ctx, Thing{Name: fmt.Sprintf("dev%d", i), ID: fmt.Sprint(i), ARN: fmt.Sprintf("arn:thing/dev%d", i), TypeName: "sensor", Attributes: map[string]string{"i": fmt.Sprint(i)}})
		must(t, "CreateThing", err)
		must(t, "PutCertificate", b.PutCertificate(ctx, Certificate{ID: fmt.Sprintf("c%d", i), ARN: fmt.Sprintf("arn:cert/c%d", i), PEM: "pem", Status: StatusActive,
			CreatedAt: t0.Add(time.Duration(i) * time.Second), ModifiedAt: t0, NotBefore: t0, NotAfter: notAfter, Mode: "DEFAULT"}))
		must(t, "AttachThingPrincipal", b.AttachThingPrincipal(ctx, fmt.Sprintf("dev%d", i), fmt.Sprintf("c%d", i)))
	}
	_, err = b.UpdateThing(ctx, "dev1", ThingUpdate{Attributes: map[string]string{"j": "2"}, Merge: true})
	must(t, "UpdateThing", err)
	must(t, "DetachThingPrincipal", b.DetachThingPrincipal(ctx, "dev4", "c4"))
	must(t, "DeleteThing", b.DeleteThing(ctx, "dev4", nil))
	_, err = b.SetCertificateStatus(ctx, "c4", StatusRevoked, t0.Add(time.Hour))
	must(t, "SetCertificateStatus", err)
	_, err = b.CreateThingGroup(ctx, ThingGroup{Name: "fleet", ARN: "arn:g/fleet", Attributes: map[string]string{"k": "v"}, CreatedAt: t0})
	must(t, "CreateThingGroup", err)
	_, err = b.CreateThingGroup(ctx, ThingGroup{Name: "fleet-eu", ARN: "arn:g/fleet-eu", Parent: "fleet", CreatedAt: t0})
	must(t, "CreateThingGroup child", err)
	_, err = b.CreateThingGroup(ctx, ThingGroup{Name: "tmp", ARN: "arn:g/tmp"})
	must(t, "CreateThingGroup tmp", err)
	_, err = b.UpdateThingGroup(ctx, "fleet", ThingGroupUpdate{Description: ptr("all devices")})
	must(t, "UpdateThingGroup", err)
	for i := range 4 {
		must(t, "AddThingToThingGroup", b.AddThingToThingGroup(ctx, "fleet", fmt.Sprintf("dev%d", i)))
		must(t, "AddThingToThingGroup tmp", b.AddThingToThingGroup(ctx, "tmp", fmt.Sprintf("dev%d", i)))
	}
	must(t, "AddThingToThingGroup eu", b.AddThingToThingGroup(ctx, "fleet-eu", "dev0"))
	must(t, "RemoveThingFromThingGroup", b.RemoveThingFromThingGroup(ctx, "fleet", "dev3"))
	_, err = b.CreatePolicy(ctx, Policy{Name: "pol", ARN: "arn:p/pol", DefaultVersion: "1", GenerationID: "g", CreatedAt: t0, ModifiedAt: t0,
		Versions: []PolicyVersion{{ID: "1", Document: `{"Version":"2012-10-17"}`, CreatedAt: t0}}})
	must(t, "CreatePolicy", err)
	_, err = b.CreatePolicyVersion(ctx, "pol", "v2", true, t0.Add(time.Minute))
	must(t, "CreatePolicyVersion", err)
	_, err = b.CreatePolicyVersion(ctx, "pol", "v3", false, t0.Add(time.Minute))
	must(t, "CreatePolicyVersion", err)
	must(t, "DeletePolicyVersion", b.DeletePolicyVersion(ctx, "pol", "3"))
	must(t, "SetDefaultPolicyVersion", b.SetDefaultPolicyVersion(ctx, "pol", "1", t0.Add(2*time.Minute)))
	_, err = b.CreatePolicy(ctx, Policy{Name: "gone", DefaultVersion: "1", Versions: []PolicyVersion{{ID: "1"}}})
	must(t, "CreatePolicy gone", err)
	must(t, "AttachPolicy gone", b.AttachPolicy(ctx, "gone", PolicyTarget{TargetCertificate, "c0"}))
	must(t, "DetachPolicy gone", b.DetachPolicy(ctx, "gone", PolicyTarget{TargetCertificate, "c0"}))
	must(t, "DeletePolicy", b.DeletePolicy(ctx, "gone"))
	for _, target := range []PolicyTarget{{TargetCertificate, "c0"}, {TargetCertificate, "c1"}, {TargetCertificate, "c4"}, {TargetThingGroup, "fleet"}, {TargetThingGroup, "tmp"}} {
		must(t, "AttachPolicy", b.AttachPolicy(ctx, "pol", target))
	}
	must(t, "DetachPolicy", b.DetachPolicy(ctx, "pol", PolicyTarget{TargetCertificate, "c1"}))
	must(t, "DeleteCertificate forced", b.DeleteCertificate(ctx, "c4", true))
	must(t, "DeleteThingGroup", b.DeleteThingGroup(ctx, "tmp", nil))
	q, err := ParseSQL("SELECT temp, topic(2) AS dev FROM 'sensors/+/data' WHERE temp > 30")
	must(t, "ParseSQL", err)
	for _, name := range []string{"hot", "cold", "gone"} {
		must(t, "PutTopicRule", b.PutTopicRule(ctx, TopicRule{Name: name, ARN: "arn:rule/" + name, SQL: "SELECT temp, topic(2) AS dev FROM 'sensors/+/data' WHERE temp > 30",
			Query: q, Actions: []RuleAction{{"republish", []byte(`{"topic":"x"}`)}}, SQLVersion: "2016-03-23", CreatedAt: t0}, false))
	}
	must(t, "SetTopicRuleDisabled", b.SetTopicRuleDisabled(ctx, "cold", true))
	must(t, "DeleteTopicRule", b.DeleteTopicRule(ctx, "gone"))
}

func TestBoltReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "iot.db")
	b, err := OpenBolt(path)
	must(t, "OpenBolt", err)
	populate(t, b)
	mem := NewMemory()
	populate(t, mem)
	before := dump(t, b)
	if diff := cmp.Diff(dump(t, mem), before); diff != "" {
		t.Errorf("Bolt differs from Memory after the same calls (-memory +bolt):\n%s", diff)
	}
	must(t, "Close", b.Close())

	b, err = OpenBolt(path)
	must(t, "reopen", err)
	defer b.Close()
	if diff := cmp.Diff(before, dump(t, b)); diff != "" {
		t.Errorf("state after reopen differs (-before +after):\n%s", diff)
	}
	// The policy version counter survives: ids are never reused.
	v, err := b.CreatePolicyVersion(context.Background(), "pol", "v4", false, t0)
	if err != nil || v.ID != "4" {
		t.Errorf("CreatePolicyVersion after reopen = %+v, %v; want id 4", v, err)
	}
}

func txID(t *testing.T, b *Bolt) int {
	t.Helper()
	var id int
	must(t, "View", b.db.View(func(tx *bbolt.Tx) error { id = tx.ID(); return nil }))
	return id
}

func TestBoltFailedMutationWritesNothing(t *testing.T) {
	ctx := context.Background()
	b := newBoltBackend(t).(*Bolt)
	populate(t, b)
	before := txID(t, b)
	_, err := b.CreateThing(ctx, Thing{Name: "dev0", Attributes: map[string]string{"other": "x"}})
	wantCode(t, "CreateThing conflict", err, codeResourceAlreadyExists)
	_, err = b.UpdateThing(ctx, "dev1", ThingUpdate{ExpectedVersion: ptr[int64](9)})
	wantCode(t, "UpdateThing stale", err, codeVersionConflict)
	wantCode(t, "DeleteThing attached", b.DeleteThing(ctx, "dev0", nil), codeInvalidRequest)
	wantCode(t, "DeleteCertificate active", b.DeleteCertificate(ctx, "c0", true), codeCertificateState)
	wantCode(t, "DeleteThingGroup parent", b.DeleteThingGroup(ctx, "fleet", nil), codeInvalidRequest)
	wantCode(t, "DeletePolicy attached", b.DeletePolicy(ctx, "pol"), codeDeleteConflict)
	wantCode(t, "DeleteTopicRule missing", b.DeleteTopicRule(ctx, "nope"), codeUnauthorized)
	if after := txID(t, b); after != before {
		t.Errorf("failed mutations committed %d transactions", after-before)
	}
}

// A write that bbolt refuses (a key over bbolt's 32 KiB limit) leaves
// neither the file nor the Memory changed.
func TestBoltWriteFailureRollsBack(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "iot.db")
	b, err := OpenBolt(path)
	must(t, "OpenBolt", err)
	populate(t, b)
	before := dump(t, b)
	huge := strings.Repeat("x", bbolt.MaxKeySize+1)
	if _, err := b.CreateThing(ctx, Thing{Name: huge}); err == nil {
		t.Fatal("CreateThing with a huge key succeeded")
	}
	if diff := cmp.Diff(before, dump(t, b)); diff != "" {
		t.Errorf("memory changed by a failed write (-before +after):\n%s", diff)
	}
	_, err = b.CreateThing(ctx, Thing{Name: "after"})
	must(t, "CreateThing after a failed write", err)
	must(t, "Close", b.Close())
	b, err = OpenBolt(path)
	must(t, "reopen", err)
	defer b.Close()
	if _, err := b.GetThing(ctx, "after"); err != nil {
		t.Errorf("GetThing(after) after reopen: %v", err)
	}
}

func TestBoltConcurrent(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "iot.db")
	b, err := OpenBolt(path)
	must(t, "OpenBolt", err)
	_, err = b.CreateThingGroup(ctx, ThingGroup{Name: "g"})
	must(t, "CreateThingGroup", err)
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := range 10 {
				name := fmt.Sprintf("w%d-%d", w, i)
				if _, err := b.CreateThing(ctx, Thing{Name: name}); err != nil {
					t.Error(err)
				}
				if err := b.AddThingToThingGroup(ctx, "g", name); err != nil {
					t.Error(err)
				}
				if _, err := b.ListThings(ctx); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	before := dump(t, b)
	must(t, "Close", b.Close())
	b, err = OpenBolt(path)
	must(t, "reopen", err)
	defer b.Close()
	after := dump(t, b)
	if len(after.Things) != 40 || len(after.Members["g"]) != 40 || !cmp.Equal(before, after) {
		t.Errorf("after concurrent writes and reopen: %d things, %d members; diff %s", len(after.Things), len(after.Members["g"]), cmp.Diff(before, after))
	}
}

func TestBoltLocked(t *testing.T) {
	path := filepath.Join(t.TempDir(), "iot.db")
	b, err := OpenBolt(path)
	must(t, "OpenBolt", err)
	defer b.Close()
	if b2, err := OpenBolt(path); err == nil {
		b2.Close()
		t.Errorf("second OpenBolt of an open file succeeded")
	}
}

func TestBoltKeepsCA(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "iot.db")
	b, err := OpenBolt(path)
	must(t, "OpenBolt", err)
	s, err := New(Options{Backend: b})
	must(t, "New", err)
	caPEM := s.CACertPEM()
	iss, err := s.ca.issue(KeyECDSAP256, time.Now())
	must(t, "issue", err)
	must(t, "PutCertificate", b.PutCertificate(ctx, Certificate{ID: iss.id, ARN: "arn:cert/" + iss.id, PEM: iss.certPEM, Status: StatusActive, CreatedAt: time.Now()}))
	_, err = b.CreateThing(ctx, Thing{Name: "dev"})
	must(t, "CreateThing", err)
	must(t, "AttachThingPrincipal", b.AttachThingPrincipal(ctx, "dev", iss.id))
	block, _ := pem.Decode([]byte(iss.certPEM))
	if _, _, err := s.VerifyClientCertificate(block.Bytes); err != nil {
		t.Fatalf("VerifyClientCertificate before restart: %v", err)
	}
	must(t, "Close", b.Close())

	b, err = OpenBolt(path)
	must(t, "reopen", err)
	defer b.Close()
	s, err = New(Options{Backend: b})
	must(t, "New after reopen", err)
	if !cmp.Equal(s.CACertPEM(), caPEM) {
		t.Errorf("CA changed across the restart")
	}
	things, id, err := s.VerifyClientCertificate(block.Bytes)
	if err != nil || id != iss.id || !cmp.Equal(things, []string{"dev"}) {
		t.Errorf("VerifyClientCertificate after restart = %v, %q, %v; want [dev], %q, nil", things, id, err, iss.id)
	}
	// The CA still signs: a certificate issued after the restart verifies
	// against the same CA certificate.
	iss2, err := s.ca.issue(KeyECDSAP256, time.Now())
	must(t, "issue after restart", err)
	block2, _ := pem.Decode([]byte(iss2.certPEM))
	if err := s.ca.verify(mustParse(t, block2.Bytes), time.Now()); err != nil {
		t.Errorf("certificate issued after restart does not verify: %v", err)
	}

	// A Memory backend still gets a fresh CA each time.
	m1, err := New(Options{})
	must(t, "New memory", err)
	m2, err := New(Options{})
	must(t, "New memory", err)
	if cmp.Equal(m1.CACertPEM(), m2.CACertPEM()) {
		t.Errorf("two memory-backed Services share a CA")
	}
}

func mustParse(t *testing.T, der []byte) *x509.Certificate {
	t.Helper()
	c, err := x509.ParseCertificate(der)
	must(t, "ParseCertificate", err)
	return c
}

func TestParseAuthorityRejectsMismatch(t *testing.T) {
	a, err := newAuthority("1", time.Now())
	must(t, "newAuthority", err)
	other, err := newAuthority("1", time.Now())
	must(t, "newAuthority", err)
	otherKey, err := other.keyPEM()
	must(t, "keyPEM", err)
	if _, err := parseAuthority(a.certPEM, otherKey); err == nil {
		t.Errorf("parseAuthority accepted a key of another CA")
	}
	if _, err := parseAuthority([]byte("junk"), otherKey); err == nil {
		t.Errorf("parseAuthority accepted a junk certificate")
	}
}

// BenchmarkBoltReopen opens a file holding 10,000 things, each with its
// own certificate attached, 100 thing groups of 100 things, and reports
// the time OpenBolt takes to load it.
func BenchmarkBoltReopen(b *testing.B) {
	ctx := context.Background()
	path := filepath.Join(b.TempDir(), "iot.db")
	db, err := OpenBolt(path)
	if err != nil {
		b.Fatal(err)
	}
	const things, groups = 10000, 100
	// Fill the file directly (one transaction) rather than with 20,000
	// fsynced API calls; the records are what Bolt itself writes.
	m := db.m
	for g := range groups {
		if _, err := m.CreateThingGroup(ctx, ThingGroup{Name: fmt.Sprintf("group-%03d", g), ARN: fmt.Sprintf("arn:aws:iot:us-east-1:000000000000:thinggroup/group-%03d", g), ID: fmt.Sprintf("gid-%d", g), CreatedAt: t0}); err != nil {
			b.Fatal(err)
		}
	}
	for i := range things {
		name := fmt.Sprintf("thing-%05d", i)
		id := fmt.Sprintf("%064x", i)
		if _, err := m.CreateThing(ctx, Thing{Name: name, ID: fmt.Sprintf("tid-%d", i), ARN: "arn:aws:iot:us-east-1:000000000000:thing/" + name, Attributes: map[string]string{"fleet": "a", "serial": fmt.Sprint(i)}}); err != nil {
			b.Fatal(err)
		}
		certPEM := strings.Repeat("M", 700) // about the size of a P-256 certificate PEM
		if err := m.PutCertificate(ctx, Certificate{ID: id, ARN: "arn:aws:iot:us-east-1:000000000000:cert/" + id, PEM: certPEM, Status: StatusActive, OwnedBy: "000000000000",
			GenerationID: "gen", CreatedAt: t0, ModifiedAt: t0, NotBefore: t0, NotAfter: notAfter, Mode: "DEFAULT"}); err != nil {
			b.Fatal(err)
		}
		if err := m.AttachThingPrincipal(ctx, name, id); err != nil {
			b.Fatal(err)
		}
		if err := m.AddThingToThingGroup(ctx, fmt.Sprintf("group-%03d", i%groups), name); err != nil {
			b.Fatal(err)
		}
	}
	err = db.db.Update(func(tx *bbolt.Tx) error {
		for name := range m.things {
			if err := writeThing(tx, m, name); err != nil {
				return err
			}
		}
		for id := range m.certs {
			if err := writeCert(tx, m, id); err != nil {
				return err
			}
		}
		for name := range m.groups {
			if err := writeGroup(tx, m, name); err != nil {
				return err
			}
		}
		for thing, ids := range m.principals {
			for id := range ids {
				if err := writeLink(tx, bucketPrincipals, true, thing, id); err != nil {
					return err
				}
			}
		}
		for g, ts := range m.members {
			for th := range ts {
				if err := writeLink(tx, bucketMembers, true, g, th); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	want := dump(b, db)
	if err := db.Close(); err != nil {
		b.Fatal(err)
	}

	b.ResetTimer()
	for range b.N {
		db, err := OpenBolt(path)
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if n := len(db.m.things); n != things {
			b.Fatalf("reopened with %d things", n)
		}
		db.Close()
		b.StartTimer()
	}
	b.StopTimer()
	if fi, err := os.Stat(path); err == nil {
		b.ReportMetric(float64(fi.Size())/(1<<20), "file-MiB")
	}
	db, err = OpenBolt(path)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if diff := cmp.Diff(want, dump(b, db)); diff != "" {
		b.Errorf("reopened state differs:\n%s", diff)
	}
}

// BenchmarkBoltCreateThing is the cost of one durable mutation.
func BenchmarkBoltCreateThing(b *testing.B) {
	db := newBoltBackend(b)
	ctx := context.Background()
	i := 0
	for b.Loop() {
		if _, err := db.CreateThing(ctx, Thing{Name: fmt.Sprintf("t%d", i)}); err != nil {
			b.Fatal(err)
		}
		i++
	}
}
