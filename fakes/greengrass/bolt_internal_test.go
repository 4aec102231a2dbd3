package greengrass

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
)

// TestBoltWriteFailureUndone checks that a mutation whose bbolt write fails
// returns the error and leaves memory as the file is.
func TestBoltWriteFailureUndone(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "gg.db")
	b, err := OpenBolt(path)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { b.Close() }()
	coreArn := "arn:aws:greengrass:us-east-1:123456789012:/greengrass/definition/cores/c/versions/1"
	if _, err := b.CreateDefinition(ctx, Definition{Kind: KindCores, ID: "c"}, &DefinitionVersion{Kind: KindCores, DefinitionID: "c", Version: "1", Arn: coreArn}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.CreateGroup(ctx, Group{ID: "g"}, &GroupVersion{GroupID: "g", Version: "1", Definition: GroupDefinition{CoreDefinitionVersionArn: coreArn}}); err != nil {
		t.Fatal(err)
	}

	diskFull := errors.New("disk full")
	boltTestHook = func() error { return diskFull }
	defer func() { boltTestHook = nil }()
	if _, err := b.CreateGroupVersion(ctx, GroupVersion{GroupID: "g", Version: "2", Definition: GroupDefinition{CoreDefinitionVersionArn: coreArn}}); !errors.Is(err, diskFull) {
		t.Fatalf("CreateGroupVersion = %v, want %v", err, diskFull)
	}
	if _, err := b.CreateGroup(ctx, Group{ID: "h"}, nil); !errors.Is(err, diskFull) {
		t.Fatalf("CreateGroup = %v, want %v", err, diskFull)
	}
	if err := b.DeleteDefinition(ctx, KindCores, "c"); !errors.Is(err, diskFull) {
		t.Fatalf("DeleteDefinition = %v, want %v", err, diskFull)
	}
	g, _ := b.GetGroup(ctx, "g")
	vs, _ := b.ListGroupVersions(ctx, "g")
	if g.LatestVersion != "1" || len(vs) != 1 {
		t.Errorf("after a failed write: latest %q, %d versions; want 1, 1", g.LatestVersion, len(vs))
	}
	if _, err := b.GetGroup(ctx, "h"); err == nil {
		t.Errorf("group of a failed write is visible")
	}
	if _, err := b.GetDefinition(ctx, KindCores, "c"); err != nil {
		t.Errorf("definition deleted by a failed write: %v", err)
	}

	boltTestHook = nil
	if _, err := b.CreateGroup(ctx, Group{ID: "h"}, nil); err != nil {
		t.Fatalf("CreateGroup after recovery: %v", err)
	}
	b.Close()
	if b, err = OpenBolt(path); err != nil {
		t.Fatal(err)
	}
	gs, _ := b.ListGroups(ctx)
	if len(gs) != 2 || gs[0].ID != "g" || gs[1].ID != "h" {
		t.Errorf("groups after reopen = %+v, want g, h", gs)
	}
}
