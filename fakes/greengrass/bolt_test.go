package greengrass_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tgsim/tgsim/fakes/greengrass"
)

func TestBoltBackend(t *testing.T) {
	dir := t.TempDir()
	n := 0
	testBackend(t, func() greengrass.Backend {
		n++
		return openBolt(t, filepath.Join(dir, fmt.Sprintf("gg%d.db", n)))
	})
}

func openBolt(t testing.TB, path string) *greengrass.Bolt {
	t.Helper()
	b, err := greengrass.OpenBolt(path)
	if err != nil {
		t.Fatalf("OpenBolt: %v", err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// state is everything a Backend holds, read through its methods.
type state struct {
	Groups        []greengrass.Group
	GroupVersions map[string][]greengrass.GroupVersion
	Deployments   map[string][]greengrass.Deployment
	Roles         map[string]greengrass.RoleAssociation
	CAs           map[string][]greengrass.GroupCA
	CertExpiry    map[string]time.Duration
	Definitions   map[greengrass.Kind][]greengrass.Definition
	DefVersions   map[string][]greengrass.DefinitionVersion
	ServiceRole   *greengrass.RoleAssociation
	Connectivity  map[string]greengrass.ThingConnectivity
}

func dump(t testing.TB, b greengrass.Backend, things ...string) state {
	t.Helper()
	ctx := context.Background()
	s := state{GroupVersions: map[string][]greengrass.GroupVersion{}, Deployments: map[string][]greengrass.Deployment{},
		Roles: map[string]greengrass.RoleAssociation{}, CAs: map[string][]greengrass.GroupCA{}, CertExpiry: map[string]time.Duration{},
		Definitions: map[greengrass.Kind][]greengrass.Definition{}, DefVersions: map[string][]greengrass.DefinitionVersion{},
		Connectivity: map[string]greengrass.ThingConnectivity{}}
	var err error
	if s.Groups, err = b.ListGroups(ctx); err != nil {
		t.Fatalf("ListGroups: %v", err)
	}
	ca := b.(greengrass.CertificateAuthorityBackend)
	for _, g := range s.Groups {
		if s.GroupVersions[g.ID], err = b.ListGroupVersions(ctx, g.ID); err != nil {
			t.Fatalf("ListGroupVersions: %v", err)
		}
		if s.Deployments[g.ID], err = b.ListDeployments(ctx, g.ID); err != nil {
			t.Fatalf("ListDeployments: %v", err)
		}
		if r, err := b.GetAssociatedRole(ctx, g.ID); err == nil {
			s.Roles[g.ID] = r
		}
		if s.CAs[g.ID], err = ca.GroupCAs(ctx, g.ID); err != nil {
			t.Fatalf("GroupCAs: %v", err)
		}
		if s.CertExpiry[g.ID], err = ca.CertificateExpiry(ctx, g.ID); err != nil {
			t.Fatalf("CertificateExpiry: %v", err)
		}
	}
	for _, k := range greengrass.Kinds {
		if s.Definitions[k], err = b.ListDefinitions(ctx, k); err != nil {
			t.Fatalf("ListDefinitions: %v", err)
		}
		for _, d := range s.Definitions[k] {
			if s.DefVersions[string(k)+"/"+d.ID], err = b.ListDefinitionVersions(ctx, k, d.ID); err != nil {
				t.Fatalf("ListDefinitionVersions: %v", err)
			}
		}
	}
	if r, err := b.ServiceRole(ctx); err == nil {
		s.ServiceRole = &r
	}
	for _, th := range things {
		if s.Connectivity[th], err = b.(greengrass.ConnectivityBackend).Connectivity(ctx, th); err != nil {
			t.Fatalf("Connectivity: %v", err)
		}
	}
	return s
}

// populate drives every mutation of b, leaving some of each record (and
// some deleted ones) behind.
func populate(t testing.TB, b greengrass.Backend, groups int) {
	t.Helper()
	ctx := context.Background()
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	defArn := func(k greengrass.Kind, id string) string {
		return "arn:aws:greengrass:us-east-1:123456789012:/greengrass/definition/" + string(k) + "/" + id
	}
	for i := range groups {
		now = now.Add(time.Second)
		gid := fmt.Sprintf("group-%04d", i)
		def := func(k greengrass.Kind, c greengrass.DefinitionContent) string {
			id := gid + "-" + string(k)
			arn := defArn(k, id) + "/versions/v1"
			_, err := b.CreateDefinition(ctx, greengrass.Definition{Kind: k, ID: id, Arn: defArn(k, id), Name: id, CreatedAt: now, Tags: map[string]string{"group": gid}},
				&greengrass.DefinitionVersion{Kind: k, DefinitionID: id, Version: "v1", Arn: arn, CreatedAt: now, Content: c})
			must("CreateDefinition", err)
			return arn
		}
		var c greengrass.DefinitionContent
		for j := range 10 {
			c.Devices = append(c.Devices, greengrass.Device{ID: fmt.Sprintf("dev%d", j), ThingArn: fmt.Sprintf("arn:aws:iot:us-east-1:123456789012:thing/%s-dev%d", gid, j),
				CertificateArn: fmt.Sprintf("arn:aws:iot:us-east-1:123456789012:cert/%064d", j)})
		}
		devArn := def(greengrass.KindDevices, c)
		var s greengrass.DefinitionContent
		for j := range 20 {
			s.Subscriptions = append(s.Subscriptions, greengrass.Subscription{ID: fmt.Sprintf("sub%d", j), Source: "cloud", Subject: fmt.Sprintf("tg/%s/%d", gid, j),
				Target: fmt.Sprintf("arn:aws:iot:us-east-1:123456789012:thing/%s-dev%d", gid, j%10)})
		}
		subArn := def(greengrass.KindSubscriptions, s)
		mem := int32(16384)
		fnArn := def(greengrass.KindFunctions, greengrass.DefinitionContent{Functions: []greengrass.Function{{ID: "tg", FunctionArn: "arn:aws:lambda:us-east-1:123456789012:function:ThingsGraph:1",
			FunctionConfiguration: &greengrass.FunctionConfiguration{MemorySize: &mem, Environment: &greengrass.FunctionConfigurationEnvironment{Variables: map[string]string{"GROUP": gid}}}}}})
		coreArn := def(greengrass.KindCores, greengrass.DefinitionContent{Cores: []greengrass.Core{{ID: "core", ThingArn: "arn:aws:iot:us-east-1:123456789012:thing/" + gid + "-core",
			CertificateArn: "arn:aws:iot:us-east-1:123456789012:cert/core"}}})
		_, err := b.CreateGroup(ctx, greengrass.Group{ID: gid, Arn: "arn:aws:greengrass:us-east-1:123456789012:/greengrass/groups/" + gid, Name: gid, CreatedAt: now, UpdatedAt: now}, nil)
		must("CreateGroup", err)
		_, err = b.CreateGroupVersion(ctx, greengrass.GroupVersion{GroupID: gid, Version: "v1", Arn: "arn:" + gid + "/versions/v1", CreatedAt: now,
			Definition: greengrass.GroupDefinition{CoreDefinitionVersionArn: coreArn, DeviceDefinitionVersionArn: devArn, FunctionDefinitionVersionArn: fnArn, SubscriptionDefinitionVersionArn: subArn}})
		must("CreateGroupVersion", err)
		_, err = b.CreateDeployment(ctx, greengrass.Deployment{GroupID: gid, DeploymentID: gid + "-d1", Type: greengrass.NewDeployment, GroupVersionID: "v1", CreatedAt: now, Status: greengrass.StatusInProgress}, "")
		must("CreateDeployment", err)
		_, err = b.UpdateDeployment(ctx, greengrass.Deployment{GroupID: gid, DeploymentID: gid + "-d1", Status: greengrass.StatusSuccess, UpdatedAt: now})
		must("UpdateDeployment", err)
		_, err = b.CreateDeployment(ctx, greengrass.Deployment{GroupID: gid, DeploymentID: gid + "-d2", Type: greengrass.Redeployment, CreatedAt: now, Status: greengrass.StatusInProgress}, gid+"-d1")
		must("CreateDeployment(redeploy)", err)
	}
	if groups < 3 {
		return
	}
	// A little of everything else on the first groups.
	ca := b.(greengrass.CertificateAuthorityBackend)
	for i, ifNone := range []bool{true, true, false} {
		_, err := ca.AddGroupCA(ctx, greengrass.GroupCA{GroupID: "group-0000", ID: fmt.Sprintf("ca%d", i), Arn: fmt.Sprintf("arn:ca%d", i), CreatedAt: now,
			CertificatePEM: []byte("-----BEGIN CERTIFICATE-----\n"), PrivateKeyDER: []byte{byte(i), 1, 2, 3}}, ifNone)
		must("AddGroupCA", err)
	}
	must("SetCertificateExpiry", ca.SetCertificateExpiry(ctx, "group-0000", 14*24*time.Hour))
	must("PutConnectivity", b.(greengrass.ConnectivityBackend).PutConnectivity(ctx, greengrass.ThingConnectivity{ThingName: "group-0000-core", Version: "cv1", UpdatedAt: now,
		Info: []greengrass.ConnectivityInfo{{ID: "a", HostAddress: "127.0.0.1", PortNumber: 8883}}}))
	role := greengrass.RoleAssociation{RoleArn: "arn:aws:iam::123456789012:role/gg", AssociatedAt: now}
	must("AssociateRoleToGroup", b.AssociateRoleToGroup(ctx, "group-0000", role))
	must("AssociateRoleToGroup", b.AssociateRoleToGroup(ctx, "group-0001", role))
	must("DisassociateRoleFromGroup", b.DisassociateRoleFromGroup(ctx, "group-0001"))
	must("SetServiceRole", b.SetServiceRole(ctx, &role))
	_, err := b.UpdateGroup(ctx, "group-0000", "renamed", now)
	must("UpdateGroup", err)
	must("TagResource", b.TagResource(ctx, "arn:aws:greengrass:us-east-1:123456789012:/greengrass/groups/group-0000", map[string]string{"a": "1", "b": "2"}))
	must("UntagResource", b.UntagResource(ctx, defArn(greengrass.KindDevices, "group-0000-devices"), []string{"group"}))
	_, err = b.UpdateDefinition(ctx, greengrass.KindCores, "group-0000-cores", "core-renamed", now)
	must("UpdateDefinition", err)
	_, err = b.CreateDefinitionVersion(ctx, greengrass.DefinitionVersion{Kind: greengrass.KindDevices, DefinitionID: "group-0000-devices", Version: "v2",
		Arn: defArn(greengrass.KindDevices, "group-0000-devices") + "/versions/v2", CreatedAt: now})
	must("CreateDefinitionVersion", err)
	// Delete group-0002 (after a reset) and group-0001's function
	// definition, then reuse group-0002's id.
	_, err = b.CreateDeployment(ctx, greengrass.Deployment{GroupID: "group-0002", DeploymentID: "reset", Type: greengrass.ResetDeployment, CreatedAt: now}, "")
	must("CreateDeployment(reset)", err)
	must("DeleteGroup", b.DeleteGroup(ctx, "group-0002"))
	must("DeleteDefinition", b.DeleteDefinition(ctx, greengrass.KindFunctions, "group-0001-functions"))
	_, err = b.CreateGroup(ctx, greengrass.Group{ID: "group-0002", Arn: "arn:again", Name: "again", CreatedAt: now}, nil)
	must("CreateGroup(reused id)", err)
}

func TestBoltReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "gg.db")
	b := openBolt(t, path)
	populate(t, b, 5)
	want := dump(t, b, "group-0000-core")

	// The same mutations on Memory give the same state.
	m := greengrass.NewMemory()
	populate(t, m, 5)
	if diff := cmp.Diff(dump(t, m, "group-0000-core"), want); diff != "" {
		t.Fatalf("Bolt differs from Memory (-memory +bolt):\n%s", diff)
	}

	if err := b.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if _, err := b.GetGroup(context.Background(), "group-0000"); err != nil {
		t.Logf("read after Close: %v", err)
	}
	if _, err := b.UpdateGroup(context.Background(), "group-0000", "x", time.Now()); err != greengrass.ErrBoltClosed {
		t.Errorf("mutation after Close = %v, want ErrBoltClosed", err)
	}
	b2 := openBolt(t, path)
	if diff := cmp.Diff(want, dump(t, b2, "group-0000-core")); diff != "" {
		t.Errorf("state after reopen (-before +after):\n%s", diff)
	}
	// New records after a reopen keep creation order.
	if _, err := b2.CreateGroup(context.Background(), greengrass.Group{ID: "aaa"}, nil); err != nil {
		t.Fatalf("CreateGroup: %v", err)
	}
	b2.Close()
	b3 := openBolt(t, path)
	gs, _ := b3.ListGroups(context.Background())
	if gs[len(gs)-1].ID != "aaa" {
		t.Errorf("last group after reopen = %s, want aaa", gs[len(gs)-1].ID)
	}
}

func TestBoltFailedMutationWritesNothing(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "gg.db")
	b := openBolt(t, path)
	populate(t, b, 3)
	want := dump(t, b, "group-0000-core")
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	ca := b
	failures := map[string]error{
		"CreateGroup(duplicate)":       second(b.CreateGroup(ctx, greengrass.Group{ID: "group-0000"}, nil)),
		"CreateGroup(dangling)":        second(b.CreateGroup(ctx, greengrass.Group{ID: "new"}, &greengrass.GroupVersion{GroupID: "new", Version: "1", Definition: greengrass.GroupDefinition{CoreDefinitionVersionArn: "arn:nope"}})),
		"CreateGroupVersion(dangling)": second(b.CreateGroupVersion(ctx, greengrass.GroupVersion{GroupID: "group-0000", Version: "v9", Definition: greengrass.GroupDefinition{DeviceDefinitionVersionArn: "arn:nope"}})),
		"UpdateGroup(missing)":         second(b.UpdateGroup(ctx, "nope", "x", time.Now())),
		"DeleteGroup(deployed)":        b.DeleteGroup(ctx, "group-0000"),
		"CreateDefinition(duplicate)":  second(b.CreateDefinition(ctx, greengrass.Definition{Kind: greengrass.KindCores, ID: "group-0000-cores"}, nil)),
		"CreateDefinitionVersion":      second(b.CreateDefinitionVersion(ctx, greengrass.DefinitionVersion{Kind: greengrass.KindCores, DefinitionID: "nope", Version: "1"})),
		"DeleteDefinition(missing)":    b.DeleteDefinition(ctx, greengrass.KindCores, "nope"),
		"CreateDeployment(version)":    second(b.CreateDeployment(ctx, greengrass.Deployment{GroupID: "group-0000", DeploymentID: "x", Type: greengrass.NewDeployment, GroupVersionID: "v9"}, "")),
		"CreateDeployment(reset)":      second(b.CreateDeployment(ctx, greengrass.Deployment{GroupID: "group-0002", DeploymentID: "x", Type: greengrass.ResetDeployment}, "")),
		"UpdateDeployment(missing)":    second(b.UpdateDeployment(ctx, greengrass.Deployment{GroupID: "group-0000", DeploymentID: "nope"})),
		"AssociateRoleToGroup":         b.AssociateRoleToGroup(ctx, "nope", greengrass.RoleAssociation{}),
		"TagResource(missing)":         b.TagResource(ctx, "arn:nope", map[string]string{"a": "b"}),
		"AddGroupCA(missing)":          second(ca.AddGroupCA(ctx, greengrass.GroupCA{GroupID: "nope", ID: "x"}, false)),
		"SetCertificateExpiry":         ca.SetCertificateExpiry(ctx, "nope", time.Hour),
	}
	for name, err := range failures {
		if err == nil {
			t.Errorf("%s succeeded, want an error", name)
		}
	}
	after, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(before, after) {
		t.Errorf("refused mutations changed the file")
	}
	if diff := cmp.Diff(want, dump(t, b, "group-0000-core")); diff != "" {
		t.Errorf("refused mutations changed the state (-want +got):\n%s", diff)
	}
	b.Close()
	if diff := cmp.Diff(want, dump(t, openBolt(t, path), "group-0000-core")); diff != "" {
		t.Errorf("state after reopen (-want +got):\n%s", diff)
	}
}

// TestBoltSIGKILL runs a writer in a child process, kills it with SIGKILL
// mid-stream, and checks that every acknowledged mutation survived and
// that no group version is half-applied.
func TestBoltSIGKILL(t *testing.T) {
	if path := os.Getenv("GG_BOLT_CRASH_CHILD"); path != "" {
		crashChild(path)
		return
	}
	if testing.Short() {
		t.Skip("spawns a child process")
	}
	for round := range 3 {
		path := filepath.Join(t.TempDir(), "gg.db")
		cmd := exec.Command(os.Args[0], "-test.run=^TestBoltSIGKILL$")
		cmd.Env = append(os.Environ(), "GG_BOLT_CRASH_CHILD="+path)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		acked := map[string]int{}
		sc := bufio.NewScanner(out)
		deadline := time.After(time.Duration(100+150*round) * time.Millisecond)
	read:
		for sc.Scan() {
			// "ack <group> <n>": group version n and deployment n of group stored.
			f := strings.Fields(sc.Text())
			if len(f) == 3 && f[0] == "ack" {
				n, _ := strconv.Atoi(f[2])
				acked[f[1]] = n
			}
			select {
			case <-deadline:
				break read
			default:
			}
		}
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		if len(acked) == 0 {
			t.Fatalf("round %d: child acknowledged nothing", round)
		}

		b := openBolt(t, path)
		ctx := context.Background()
		for gid, n := range acked {
			g, err := b.GetGroup(ctx, gid)
			if err != nil {
				t.Fatalf("round %d: acknowledged group %s lost: %v", round, gid, err)
			}
			vs, _ := b.ListGroupVersions(ctx, gid)
			ds, _ := b.ListDeployments(ctx, gid)
			if len(vs) < n || len(ds) < n {
				t.Errorf("round %d: %s has %d versions, %d deployments; %d acknowledged", round, gid, len(vs), len(ds), n)
			}
			if len(vs) > 0 && g.LatestVersion != vs[len(vs)-1].Version {
				t.Errorf("round %d: %s latest version %q, newest stored %q", round, gid, g.LatestVersion, vs[len(vs)-1].Version)
			}
			for _, d := range ds {
				if _, err := b.GetGroupVersion(ctx, gid, d.GroupVersionID); err != nil {
					t.Errorf("round %d: deployment %s names a missing version: %v", round, d.DeploymentID, err)
				}
			}
		}
		t.Logf("round %d: %d groups acknowledged, all intact", round, len(acked))
	}
}

// crashChild writes group versions and deployments until it is killed.
func crashChild(path string) {
	b, err := greengrass.OpenBolt(path)
	if err != nil {
		fmt.Println("open:", err)
		os.Exit(1)
	}
	ctx := context.Background()
	coreArn := "arn:aws:greengrass:us-east-1:123456789012:/greengrass/definition/cores/c/versions/1"
	if _, err := b.CreateDefinition(ctx, greengrass.Definition{Kind: greengrass.KindCores, ID: "c"},
		&greengrass.DefinitionVersion{Kind: greengrass.KindCores, DefinitionID: "c", Version: "1", Arn: coreArn}); err != nil {
		fmt.Println("def:", err)
		os.Exit(1)
	}
	for i := 0; ; i++ {
		gid := fmt.Sprintf("g%d", i%20)
		if i < 20 {
			if _, err := b.CreateGroup(ctx, greengrass.Group{ID: gid}, nil); err != nil {
				fmt.Println("group:", err)
				os.Exit(1)
			}
		}
		n := i/20 + 1
		v := strconv.Itoa(n)
		if _, err := b.CreateGroupVersion(ctx, greengrass.GroupVersion{GroupID: gid, Version: v, Definition: greengrass.GroupDefinition{CoreDefinitionVersionArn: coreArn}}); err != nil {
			fmt.Println("version:", err)
			os.Exit(1)
		}
		if _, err := b.CreateDeployment(ctx, greengrass.Deployment{GroupID: gid, DeploymentID: gid + "-" + v, Type: greengrass.NewDeployment, GroupVersionID: v}, ""); err != nil {
			fmt.Println("deployment:", err)
			os.Exit(1)
		}
		fmt.Printf("ack %s %d\n", gid, n)
	}
}

// BenchmarkBoltReopen measures OpenBolt on a file with 1,000 groups, each
// with a group version naming a core, a device (10 devices), a function
// and a subscription (20 subscriptions) definition version, and 2
// deployments.
func BenchmarkBoltReopen(b *testing.B) {
	path := filepath.Join(b.TempDir(), "gg.db")
	start := time.Now()
	bb, err := greengrass.OpenBolt(path)
	if err != nil {
		b.Fatal(err)
	}
	populate(b, bb, 1000)
	bb.Close()
	fi, _ := os.Stat(path)
	b.Logf("built 1,000 groups (9,000 fsynced transactions) in %v; file %d KiB", time.Since(start).Round(time.Millisecond), fi.Size()>>10)
	b.ResetTimer()
	for range b.N {
		bb, err := greengrass.OpenBolt(path)
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if gs, _ := bb.ListGroups(context.Background()); len(gs) != 1000 {
			b.Fatalf("reopened %d groups, want 1000", len(gs))
		}
		bb.Close()
		b.StartTimer()
	}
}
