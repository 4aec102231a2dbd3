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
}

func second[T any](_ T, err error) error { return err }
