package greengrass_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	ggsdk "github.com/aws/aws-sdk-go-v2/service/greengrass"
	ggtypes "github.com/aws/aws-sdk-go-v2/service/greengrass/types"
	"github.com/google/go-cmp/cmp"

	"github.com/tgsim/tgsim/fakes/greengrass"
)

// TestBoltServiceRestart drives a Service on a Bolt through the SDK, then
// starts a new Service on the reopened file: groups, deployments,
// connectivity and the group CA are all there.
func TestBoltServiceRestart(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "gg.db")
	b1 := openBolt(t, path)
	_, c1 := newServer(t, greengrass.Options{Backend: b1})
	f := mustCreateGroup(t, ctx, c1)
	dep, err := c1.CreateDeployment(ctx, &ggsdk.CreateDeploymentInput{GroupId: aws.String(f.groupID), GroupVersionId: aws.String(f.groupVersionID), DeploymentType: ggtypes.DeploymentTypeNewDeployment})
	if err != nil {
		t.Fatalf("CreateDeployment: %v", err)
	}
	if _, err := c1.UpdateConnectivityInfo(ctx, &ggsdk.UpdateConnectivityInfoInput{ThingName: aws.String("core-1"),
		ConnectivityInfo: []ggtypes.ConnectivityInfo{{Id: aws.String("lo"), HostAddress: aws.String("127.0.0.1"), PortNumber: aws.Int32(8883)}}}); err != nil {
		t.Fatalf("UpdateConnectivityInfo: %v", err)
	}
	ca, err := c1.CreateGroupCertificateAuthority(ctx, &ggsdk.CreateGroupCertificateAuthorityInput{GroupId: aws.String(f.groupID)})
	if err != nil {
		t.Fatalf("CreateGroupCertificateAuthority: %v", err)
	}
	caID := aws.ToString(ca.GroupCertificateAuthorityArn)
	caID = caID[strings.LastIndex(caID, "/")+1:]
	read := func(c *ggsdk.Client) []any {
		t.Helper()
		g, err := c.GetGroup(ctx, &ggsdk.GetGroupInput{GroupId: aws.String(f.groupID)})
		if err != nil {
			t.Fatalf("GetGroup: %v", err)
		}
		st, err := c.GetDeploymentStatus(ctx, &ggsdk.GetDeploymentStatusInput{GroupId: aws.String(f.groupID), DeploymentId: dep.DeploymentId})
		if err != nil {
			t.Fatalf("GetDeploymentStatus: %v", err)
		}
		ci, err := c.GetConnectivityInfo(ctx, &ggsdk.GetConnectivityInfoInput{ThingName: aws.String("core-1")})
		if err != nil {
			t.Fatalf("GetConnectivityInfo: %v", err)
		}
		gca, err := c.GetGroupCertificateAuthority(ctx, &ggsdk.GetGroupCertificateAuthorityInput{GroupId: aws.String(f.groupID), CertificateAuthorityId: aws.String(caID)})
		if err != nil {
			t.Fatalf("GetGroupCertificateAuthority: %v", err)
		}
		return []any{aws.ToString(g.Name), aws.ToString(g.LatestVersion), st.DeploymentStatus, aws.ToString(ci.ConnectivityInfo[0].HostAddress), aws.ToString(gca.PemEncodedCertificate)}
	}
	before := read(c1)
	if err := b1.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	_, c2 := newServer(t, greengrass.Options{Backend: openBolt(t, path)})
	if diff := cmp.Diff(before, read(c2)); diff != "" {
		t.Errorf("after restart (-before +after):\n%s", diff)
	}
}
