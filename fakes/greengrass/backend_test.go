package greengrass_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tgsim/tgsim/fakes/greengrass"
)

func TestMemoryBackend(t *testing.T) {
	testBackend(t, func() greengrass.Backend { return greengrass.NewMemory() })
}

// testBackend is the contract every Backend implementation must pass.
func testBackend(t *testing.T, newBackend func() greengrass.Backend) {
	ctx := context.Background()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	const region, acct = "us-east-1", "123456789012"
	defArn := func(k greengrass.Kind, id string) string {
		return "arn:aws:greengrass:" + region + ":" + acct + ":/greengrass/definition/" + string(k) + "/" + id
	}

	t.Run("copies in and out", func(t *testing.T) {
		b := newBackend()
		tags := map[string]string{"a": "1"}
		g, err := b.CreateGroup(ctx, greengrass.Group{ID: "g1", Arn: "arn:g1", Name: "g", CreatedAt: now, Tags: tags}, nil)
		if err != nil {
			t.Fatalf("CreateGroup: %v", err)
		}
		tags["a"] = "changed by caller"
		g.Tags["b"] = "added by caller"
		got, err := b.GetGroup(ctx, "g1")
		if err != nil {
			t.Fatalf("GetGroup: %v", err)
		}
		if diff := cmp.Diff(map[string]string{"a": "1"}, got.Tags); diff != "" {
			t.Errorf("stored tags changed through caller's maps (-want +got):\n%s", diff)
		}

		content := greengrass.DefinitionContent{Devices: []greengrass.Device{{ID: "d", ThingArn: "t", CertificateArn: "c"}}}
		if _, err := b.CreateDefinition(ctx, greengrass.Definition{Kind: greengrass.KindDevices, ID: "d1", Arn: defArn(greengrass.KindDevices, "d1")},
			&greengrass.DefinitionVersion{Kind: greengrass.KindDevices, DefinitionID: "d1", Version: "v1", Arn: defArn(greengrass.KindDevices, "d1") + "/versions/v1", Content: content}); err != nil {
			t.Fatalf("CreateDefinition: %v", err)
		}
		content.Devices[0].ID = "changed"
		v, err := b.GetDefinitionVersion(ctx, greengrass.KindDevices, "d1", "v1")
		if err != nil {
			t.Fatalf("GetDefinitionVersion: %v", err)
		}
		v.Content.Devices[0].ThingArn = "changed"
		again, err := b.GetDefinitionVersion(ctx, greengrass.KindDevices, "d1", "v1")
		if err != nil {
			t.Fatalf("GetDefinitionVersion: %v", err)
		}
		want := greengrass.DefinitionContent{Devices: []greengrass.Device{{ID: "d", ThingArn: "t", CertificateArn: "c"}}}
		if diff := cmp.Diff(want, again.Content); diff != "" {
			t.Errorf("stored content changed through caller's values (-want +got):\n%s", diff)
		}
	})

	t.Run("all or nothing", func(t *testing.T) {
		b := newBackend()
		bad := &greengrass.GroupVersion{GroupID: "g1", Version: "v1", Definition: greengrass.GroupDefinition{CoreDefinitionVersionArn: defArn(greengrass.KindCores, "x") + "/versions/y"}}
		if _, err := b.CreateGroup(ctx, greengrass.Group{ID: "g1"}, bad); errorCode(err) != greengrass.CodeBadRequest {
			t.Errorf("CreateGroup(dangling version): %v, want %s", err, greengrass.CodeBadRequest)
		}
		if gs, _ := b.ListGroups(ctx); len(gs) != 0 {
			t.Errorf("ListGroups after refused CreateGroup = %d groups, want 0", len(gs))
		}
		if _, err := b.CreateGroup(ctx, greengrass.Group{ID: "g1"}, nil); err != nil {
			t.Fatalf("CreateGroup: %v", err)
		}
		if _, err := b.CreateGroupVersion(ctx, *bad); errorCode(err) != greengrass.CodeBadRequest {
			t.Errorf("CreateGroupVersion(dangling): %v, want %s", err, greengrass.CodeBadRequest)
		}
		g, _ := b.GetGroup(ctx, "g1")
		if vs, _ := b.ListGroupVersions(ctx, "g1"); len(vs) != 0 || g.LatestVersion != "" {
			t.Errorf("after refused CreateGroupVersion: %d versions, latest %q; want none", len(vs), g.LatestVersion)
		}
		if _, err := b.CreateGroup(ctx, greengrass.Group{ID: "g1"}, nil); err == nil {
			t.Errorf("CreateGroup(duplicate id) succeeded")
		}
	})

	t.Run("missing", func(t *testing.T) {
		b := newBackend()
		tests := []struct {
			name string
			err  error
			want string
		}{
			{"GetGroup", second(b.GetGroup(ctx, "x")), greengrass.CodeIDNotFound},
			{"GetGroupVersion", second(b.GetGroupVersion(ctx, "x", "v")), greengrass.CodeIDNotFound},
			{"GetDefinition", second(b.GetDefinition(ctx, greengrass.KindLoggers, "x")), greengrass.CodeIDNotFound},
			{"GetDefinitionVersion", second(b.GetDefinitionVersion(ctx, greengrass.KindLoggers, "x", "v")), greengrass.CodeIDNotFound},
			{"UpdateDefinition", second(b.UpdateDefinition(ctx, greengrass.KindCores, "x", "n", now)), greengrass.CodeIDNotFound},
			{"DeleteDefinition", b.DeleteDefinition(ctx, greengrass.KindCores, "x"), greengrass.CodeIDNotFound},
			{"GetDeployment", second(b.GetDeployment(ctx, "x", "d")), greengrass.CodeInvalidInput},
			{"UpdateDeployment", second(b.UpdateDeployment(ctx, greengrass.Deployment{GroupID: "x", DeploymentID: "d"})), greengrass.CodeInvalidInput},
			{"ServiceRole", second(b.ServiceRole(ctx)), greengrass.CodeResourceNotFound},
			{"Tags", second(b.Tags(ctx, "arn:x")), greengrass.CodeResourceNotFound},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if got := errorCode(tt.err); got != tt.want {
					t.Errorf("%s = %v, want %s", tt.name, tt.err, tt.want)
				}
			})
		}
		if ds, err := b.ListDeployments(ctx, "x"); err != nil || len(ds) != 0 {
			t.Errorf("ListDeployments(unknown group) = %v, %v; want none, nil", ds, err)
		}
	})

	t.Run("deployments newest first", func(t *testing.T) {
		b := newBackend()
		coreArn := defArn(greengrass.KindCores, "c") + "/versions/1"
		if _, err := b.CreateDefinition(ctx, greengrass.Definition{Kind: greengrass.KindCores, ID: "c"},
			&greengrass.DefinitionVersion{Kind: greengrass.KindCores, DefinitionID: "c", Version: "1", Arn: coreArn}); err != nil {
			t.Fatalf("CreateDefinition: %v", err)
		}
		if _, err := b.CreateGroup(ctx, greengrass.Group{ID: "g"}, &greengrass.GroupVersion{GroupID: "g", Version: "1", Definition: greengrass.GroupDefinition{CoreDefinitionVersionArn: coreArn}}); err != nil {
			t.Fatalf("CreateGroup: %v", err)
		}
		for _, id := range []string{"d1", "d2", "d3"} {
			if _, err := b.CreateDeployment(ctx, greengrass.Deployment{GroupID: "g", DeploymentID: id, Type: greengrass.NewDeployment, GroupVersionID: "1"}, ""); err != nil {
				t.Fatalf("CreateDeployment(%s): %v", id, err)
			}
		}
		ds, err := b.ListDeployments(ctx, "g")
		if err != nil {
			t.Fatalf("ListDeployments: %v", err)
		}
		var got []string
		for _, d := range ds {
			got = append(got, d.DeploymentID)
		}
		if diff := cmp.Diff([]string{"d3", "d2", "d1"}, got); diff != "" {
			t.Errorf("ListDeployments (-want +got):\n%s", diff)
		}
	})

	t.Run("every method", func(t *testing.T) {
		b := newBackend()
		must := func(what string, err error) {
			t.Helper()
			if err != nil {
				t.Fatalf("%s: %v", what, err)
			}
		}
		wantCode := func(what string, err error, code string) {
			t.Helper()
			if got := errorCode(err); got != code {
				t.Errorf("%s = %v, want %s", what, err, code)
			}
		}
		later := now.Add(time.Hour)

		// Definitions.
		coreArn := defArn(greengrass.KindCores, "c") + "/versions/1"
		_, err := b.CreateDefinition(ctx, greengrass.Definition{Kind: greengrass.KindCores, ID: "c", Arn: defArn(greengrass.KindCores, "c"), CreatedAt: now},
			&greengrass.DefinitionVersion{Kind: greengrass.KindCores, DefinitionID: "c", Version: "1", Arn: coreArn, CreatedAt: now,
				Content: greengrass.DefinitionContent{Cores: []greengrass.Core{{ID: "core", ThingArn: "arn:thing/core", CertificateArn: "arn:cert/core"}}}})
		must("CreateDefinition(cores)", err)
		devArn := defArn(greengrass.KindDevices, "d")
		_, err = b.CreateDefinition(ctx, greengrass.Definition{Kind: greengrass.KindDevices, ID: "d", Arn: devArn, Name: "devs", CreatedAt: now, Tags: map[string]string{"k": "v"}}, nil)
		must("CreateDefinition(devices)", err)
		for _, v := range []string{"1", "2"} {
			_, err := b.CreateDefinitionVersion(ctx, greengrass.DefinitionVersion{Kind: greengrass.KindDevices, DefinitionID: "d", Version: v, Arn: devArn + "/versions/" + v, CreatedAt: later,
				Content: greengrass.DefinitionContent{Devices: []greengrass.Device{{ID: "dev" + v, ThingArn: "arn:thing/" + v, CertificateArn: "arn:cert/" + v}}}})
			must("CreateDefinitionVersion", err)
		}
		wantCode("CreateDefinitionVersion(missing)", second(b.CreateDefinitionVersion(ctx, greengrass.DefinitionVersion{Kind: greengrass.KindDevices, DefinitionID: "nope", Version: "1"})), greengrass.CodeIDNotFound)
		d, err := b.GetDefinition(ctx, greengrass.KindDevices, "d")
		must("GetDefinition", err)
		if d.LatestVersion != "2" || d.LatestVersionArn != devArn+"/versions/2" || !d.UpdatedAt.Equal(later) {
			t.Errorf("GetDefinition = %+v, want latest 2 updated %v", d, later)
		}
		dvs, err := b.ListDefinitionVersions(ctx, greengrass.KindDevices, "d")
		must("ListDefinitionVersions", err)
		if len(dvs) != 2 || dvs[0].Version != "1" || dvs[1].Version != "2" {
			t.Errorf("ListDefinitionVersions = %+v, want 1, 2", dvs)
		}
		d, err = b.UpdateDefinition(ctx, greengrass.KindDevices, "d", "renamed", later)
		must("UpdateDefinition", err)
		if d.Name != "renamed" {
			t.Errorf("UpdateDefinition name = %q", d.Name)
		}
		must("TagResource(def)", b.TagResource(ctx, devArn, map[string]string{"a": "1", "b": "2"}))
		must("UntagResource(def)", b.UntagResource(ctx, devArn, []string{"k", "b"}))
		tags, err := b.Tags(ctx, devArn)
		must("Tags", err)
		if diff := cmp.Diff(map[string]string{"a": "1"}, tags); diff != "" {
			t.Errorf("Tags (-want +got):\n%s", diff)
		}
		wantCode("TagResource(unknown)", b.TagResource(ctx, "arn:none", map[string]string{"a": "1"}), greengrass.CodeResourceNotFound)
		ds, err := b.ListDefinitions(ctx, greengrass.KindDevices)
		must("ListDefinitions", err)
		if len(ds) != 1 || ds[0].ID != "d" {
			t.Errorf("ListDefinitions(devices) = %+v", ds)
		}

		// Groups and versions.
		_, err = b.CreateGroup(ctx, greengrass.Group{ID: "g", Arn: "arn:group/g", Name: "g", CreatedAt: now},
			&greengrass.GroupVersion{GroupID: "g", Version: "1", Arn: "arn:group/g/versions/1", CreatedAt: now, Definition: greengrass.GroupDefinition{CoreDefinitionVersionArn: coreArn}})
		must("CreateGroup", err)
		_, err = b.CreateGroup(ctx, greengrass.Group{ID: "g2", Arn: "arn:group/g2", Name: "g2", CreatedAt: now}, nil)
		must("CreateGroup(g2)", err)
		_, err = b.CreateGroupVersion(ctx, greengrass.GroupVersion{GroupID: "g", Version: "2", Arn: "arn:group/g/versions/2", CreatedAt: later,
			Definition: greengrass.GroupDefinition{CoreDefinitionVersionArn: coreArn, DeviceDefinitionVersionArn: devArn + "/versions/2"}})
		must("CreateGroupVersion", err)
		_, err = b.CreateGroupVersion(ctx, greengrass.GroupVersion{GroupID: "g", Version: "3", Arn: "arn:group/g/versions/3", CreatedAt: later,
			Definition: greengrass.GroupDefinition{DeviceDefinitionVersionArn: devArn + "/versions/1"}})
		must("CreateGroupVersion(coreless)", err)
		wantCode("CreateGroupVersion(wrong kind)", second(b.CreateGroupVersion(ctx, greengrass.GroupVersion{GroupID: "g", Version: "4",
			Definition: greengrass.GroupDefinition{CoreDefinitionVersionArn: devArn + "/versions/1"}})), greengrass.CodeBadRequest)
		g, err := b.UpdateGroup(ctx, "g", "renamed", later)
		must("UpdateGroup", err)
		if g.Name != "renamed" || g.LatestVersion != "3" || !g.UpdatedAt.Equal(later) {
			t.Errorf("UpdateGroup = %+v", g)
		}
		gv, err := b.GetGroupVersion(ctx, "g", "2")
		must("GetGroupVersion", err)
		if gv.Definition.DeviceDefinitionVersionArn != devArn+"/versions/2" {
			t.Errorf("GetGroupVersion = %+v", gv)
		}
		wantCode("GetGroupVersion(missing)", second(b.GetGroupVersion(ctx, "g", "9")), greengrass.CodeVersionNotFound)
		gvs, err := b.ListGroupVersions(ctx, "g")
		must("ListGroupVersions", err)
		if len(gvs) != 3 || gvs[0].Version != "1" || gvs[2].Version != "3" {
			t.Errorf("ListGroupVersions = %+v", gvs)
		}
		gs, err := b.ListGroups(ctx)
		must("ListGroups", err)
		if len(gs) != 2 || gs[0].ID != "g" || gs[1].ID != "g2" {
			t.Errorf("ListGroups = %+v, want g, g2", gs)
		}
		must("TagResource(group)", b.TagResource(ctx, "arn:group/g", map[string]string{"team": "x"}))

		// Deployments.
		wantCode("CreateDeployment(coreless)", second(b.CreateDeployment(ctx, greengrass.Deployment{GroupID: "g", DeploymentID: "x", Type: greengrass.NewDeployment, GroupVersionID: "3"}, "")), greengrass.CodeMissingCore)
		wantCode("CreateDeployment(missing version)", second(b.CreateDeployment(ctx, greengrass.Deployment{GroupID: "g", DeploymentID: "x", Type: greengrass.NewDeployment, GroupVersionID: "9"}, "")), greengrass.CodeResourceNotFound)
		wantCode("CreateDeployment(missing group)", second(b.CreateDeployment(ctx, greengrass.Deployment{GroupID: "nope", DeploymentID: "x", Type: greengrass.NewDeployment, GroupVersionID: "1"}, "")), greengrass.CodeResourceNotFound)
		wantCode("ResetDeployment(never deployed)", second(b.CreateDeployment(ctx, greengrass.Deployment{GroupID: "g", DeploymentID: "x", Type: greengrass.ResetDeployment}, "")), greengrass.CodeResourceNotFound)
		_, err = b.CreateDeployment(ctx, greengrass.Deployment{GroupID: "g", DeploymentID: "d1", Type: greengrass.NewDeployment, GroupVersionID: "2", CreatedAt: now, Status: greengrass.StatusInProgress}, "")
		must("CreateDeployment", err)
		re, err := b.CreateDeployment(ctx, greengrass.Deployment{GroupID: "g", DeploymentID: "d2", Type: greengrass.Redeployment, CreatedAt: later, Status: greengrass.StatusInProgress}, "d1")
		must("CreateDeployment(redeploy)", err)
		if re.GroupVersionID != "2" {
			t.Errorf("Redeployment version = %q, want 2", re.GroupVersionID)
		}
		failed := greengrass.Deployment{GroupID: "g", DeploymentID: "d2", Status: greengrass.StatusFailure, UpdatedAt: later, ErrorMessage: "boom",
			ErrorDetails: []greengrass.ErrorDetail{{DetailedErrorCode: "E1", DetailedErrorMessage: "m"}}}
		_, err = b.UpdateDeployment(ctx, failed)
		must("UpdateDeployment", err)
		got, err := b.GetDeployment(ctx, "g", "d2")
		must("GetDeployment", err)
		if got.Status != greengrass.StatusFailure || got.ErrorMessage != "boom" || len(got.ErrorDetails) != 1 || got.Type != greengrass.Redeployment {
			t.Errorf("GetDeployment after update = %+v", got)
		}
		wantCode("GetDeployment(other group)", second(b.GetDeployment(ctx, "g2", "d1")), greengrass.CodeInvalidInput)
		wantCode("DeleteGroup(deployed)", b.DeleteGroup(ctx, "g"), greengrass.CodeBadRequest)
		_, err = b.CreateDeployment(ctx, greengrass.Deployment{GroupID: "g", DeploymentID: "d3", Type: greengrass.ResetDeployment, GroupVersionID: "2"}, "")
		must("CreateDeployment(reset)", err)
		if got, _ := b.GetDeployment(ctx, "g", "d3"); got.GroupVersionID != "" {
			t.Errorf("reset kept version %q", got.GroupVersionID)
		}
		wantCode("ResetDeployment(again)", second(b.CreateDeployment(ctx, greengrass.Deployment{GroupID: "g", DeploymentID: "x", Type: greengrass.ResetDeployment}, "")), greengrass.CodeResourceNotFound)
		_, err = b.CreateDeployment(ctx, greengrass.Deployment{GroupID: "g", DeploymentID: "d4", Type: greengrass.ForceResetDeployment}, "")
		must("CreateDeployment(force reset)", err)
		deps, err := b.ListDeployments(ctx, "g")
		must("ListDeployments", err)
		if len(deps) != 4 || deps[0].DeploymentID != "d4" {
			t.Errorf("ListDeployments = %+v", deps)
		}

		// Roles.
		role := greengrass.RoleAssociation{RoleArn: "arn:role/r", AssociatedAt: now}
		must("AssociateRoleToGroup", b.AssociateRoleToGroup(ctx, "g", role))
		if r, err := b.GetAssociatedRole(ctx, "g"); err != nil || r != role {
			t.Errorf("GetAssociatedRole = %+v, %v", r, err)
		}
		must("DisassociateRoleFromGroup", b.DisassociateRoleFromGroup(ctx, "g"))
		wantCode("GetAssociatedRole(none)", second(b.GetAssociatedRole(ctx, "g")), greengrass.CodeBadRequest)
		wantCode("AssociateRoleToGroup(missing)", b.AssociateRoleToGroup(ctx, "nope", role), greengrass.CodeIDNotFound)
		must("SetServiceRole", b.SetServiceRole(ctx, &role))
		if r, err := b.ServiceRole(ctx); err != nil || r != role {
			t.Errorf("ServiceRole = %+v, %v", r, err)
		}
		must("SetServiceRole(nil)", b.SetServiceRole(ctx, nil))
		wantCode("ServiceRole(none)", second(b.ServiceRole(ctx)), greengrass.CodeResourceNotFound)

		// Optional parts.
		if cb, ok := b.(greengrass.CertificateAuthorityBackend); ok {
			ca1 := greengrass.GroupCA{GroupID: "g", ID: "ca1", Arn: "arn:ca1", CreatedAt: now, CertificatePEM: []byte("pem1"), PrivateKeyDER: []byte{1, 2}}
			ca2 := greengrass.GroupCA{GroupID: "g", ID: "ca2", Arn: "arn:ca2", CreatedAt: later, CertificatePEM: []byte("pem2"), PrivateKeyDER: []byte{3, 4}}
			_, err := cb.AddGroupCA(ctx, ca1, true)
			must("AddGroupCA", err)
			cas, err := cb.AddGroupCA(ctx, ca2, true)
			must("AddGroupCA(ifNone)", err)
			if len(cas) != 1 || cas[0].ID != "ca1" {
				t.Errorf("AddGroupCA(ifNone) with a CA = %+v, want ca1 only", cas)
			}
			_, err = cb.AddGroupCA(ctx, ca2, false)
			must("AddGroupCA(rotate)", err)
			cas, err = cb.GroupCAs(ctx, "g")
			must("GroupCAs", err)
			if diff := cmp.Diff([]greengrass.GroupCA{ca2, ca1}, cas); diff != "" {
				t.Errorf("GroupCAs (-want +got):\n%s", diff)
			}
			wantCode("GroupCAs(missing)", second(cb.GroupCAs(ctx, "nope")), greengrass.CodeIDNotFound)
			must("SetCertificateExpiry", cb.SetCertificateExpiry(ctx, "g", 10*24*time.Hour))
			if e, err := cb.CertificateExpiry(ctx, "g"); err != nil || e != 10*24*time.Hour {
				t.Errorf("CertificateExpiry = %v, %v", e, err)
			}
			if e, err := cb.CertificateExpiry(ctx, "g2"); err != nil || e != 0 {
				t.Errorf("CertificateExpiry(unset) = %v, %v", e, err)
			}
		}
		if cb, ok := b.(greengrass.ConnectivityBackend); ok {
			tc := greengrass.ThingConnectivity{ThingName: "core", Version: "v1", UpdatedAt: now,
				Info: []greengrass.ConnectivityInfo{{ID: "i", HostAddress: "127.0.0.1", PortNumber: 8883, Metadata: "m"}}}
			must("PutConnectivity", cb.PutConnectivity(ctx, tc))
			got, err := cb.Connectivity(ctx, "core")
			must("Connectivity", err)
			if diff := cmp.Diff(tc, got); diff != "" {
				t.Errorf("Connectivity (-want +got):\n%s", diff)
			}
			if got, err := cb.Connectivity(ctx, "other"); err != nil || got.Version != "" || len(got.Info) != 0 {
				t.Errorf("Connectivity(never set) = %+v, %v", got, err)
			}
		}

		// Deletes.
		must("DeleteDefinition", b.DeleteDefinition(ctx, greengrass.KindDevices, "d"))
		wantCode("GetDefinition(deleted)", second(b.GetDefinition(ctx, greengrass.KindDevices, "d")), greengrass.CodeIDNotFound)
		if _, err := b.GetGroupVersion(ctx, "g", "2"); err != nil {
			t.Errorf("group version lost with its definition: %v", err)
		}
		must("DeleteGroup", b.DeleteGroup(ctx, "g"))
		wantCode("GetGroup(deleted)", second(b.GetGroup(ctx, "g")), greengrass.CodeIDNotFound)
		if deps, _ := b.ListDeployments(ctx, "g"); len(deps) != 0 {
			t.Errorf("deployments outlived their group: %+v", deps)
		}
		// The ID can be used again, and starts empty.
		_, err = b.CreateGroup(ctx, greengrass.Group{ID: "g", Arn: "arn:group/g", CreatedAt: later}, nil)
		must("CreateGroup(reused id)", err)
		if vs, _ := b.ListGroupVersions(ctx, "g"); len(vs) != 0 {
			t.Errorf("reused group id has %d versions", len(vs))
		}
		if cb, ok := b.(greengrass.CertificateAuthorityBackend); ok {
			if cas, _ := cb.GroupCAs(ctx, "g"); len(cas) != 0 {
				t.Errorf("reused group id has %d CAs", len(cas))
			}
		}
		if gs, _ := b.ListGroups(ctx); len(gs) != 2 || gs[0].ID != "g2" || gs[1].ID != "g" {
			t.Errorf("ListGroups after re-create = %+v, want g2, g", gs)
		}
	})
}

func second[T any](_ T, err error) error { return err }
