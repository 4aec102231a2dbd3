package greengrass_test

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	ggsdk "github.com/aws/aws-sdk-go-v2/service/greengrass"
	ggtypes "github.com/aws/aws-sdk-go-v2/service/greengrass/types"
	"github.com/google/go-cmp/cmp"

	"github.com/tgsim/tgsim/fakes/awsproto"
	"github.com/tgsim/tgsim/fakes/greengrass"
)

// TestDeployPath walks the calls Things Graph makes to deploy to a group
// (spec things-graph.md §4.3 steps 1-3, 5, 6, 8), then plays the core
// reporting success.
func TestDeployPath(t *testing.T) {
	ctx := context.Background()
	var mu sync.Mutex
	var announced []greengrass.Deployment
	srv, c := newServer(t, greengrass.Options{OnDeployment: func(d greengrass.Deployment) {
		mu.Lock()
		defer mu.Unlock()
		announced = append(announced, d)
	}})
	f := mustCreateGroup(t, ctx, c)

	// 1. Resolve the group by name.
	groups, err := c.ListGroups(ctx, &ggsdk.ListGroupsInput{})
	if err != nil {
		t.Fatalf("ListGroups: %v", err)
	}
	var group ggtypes.GroupInformation
	for _, g := range groups.Groups {
		if aws.ToString(g.Name) == "home" {
			group = g
		}
	}
	if aws.ToString(group.LatestVersion) != f.groupVersionID {
		t.Fatalf("ListGroups: group home has LatestVersion %q, want %q", aws.ToString(group.LatestVersion), f.groupVersionID)
	}
	// 2. Read the current version.
	gv, err := c.GetGroupVersion(ctx, &ggsdk.GetGroupVersionInput{GroupId: group.Id, GroupVersionId: group.LatestVersion})
	if err != nil {
		t.Fatalf("GetGroupVersion: %v", err)
	}
	// 3. Read the subscriptions to merge with.
	subs, err := c.GetSubscriptionDefinitionVersion(ctx, &ggsdk.GetSubscriptionDefinitionVersionInput{
		SubscriptionDefinitionId: aws.String(f.subscription.id), SubscriptionDefinitionVersionId: aws.String(f.subscription.version),
	})
	if err != nil {
		t.Fatalf("GetSubscriptionDefinitionVersion: %v", err)
	}
	// 5. Write the merged subscriptions as a new version.
	merged := append(subs.Definition.Subscriptions, ggtypes.Subscription{
		Id: aws.String("tg-to-camera"), Source: aws.String(lambdaTG), Subject: aws.String("camera/capture"),
		Target: aws.String("arn:aws:iot:us-east-1:123456789012:thing/camera"),
	})
	newSubs, err := c.CreateSubscriptionDefinitionVersion(ctx, &ggsdk.CreateSubscriptionDefinitionVersionInput{
		SubscriptionDefinitionId: aws.String(f.subscription.id), Subscriptions: merged,
	})
	if err != nil {
		t.Fatalf("CreateSubscriptionDefinitionVersion: %v", err)
	}
	// A connector kind the group had none of: Create*Definition with InitialVersion.
	conn, err := c.CreateConnectorDefinition(ctx, &ggsdk.CreateConnectorDefinitionInput{InitialVersion: &ggtypes.ConnectorDefinitionVersion{Connectors: connectorsV1}})
	if err != nil {
		t.Fatalf("CreateConnectorDefinition: %v", err)
	}
	// 6. New group version.
	def := gv.Definition
	nv, err := c.CreateGroupVersion(ctx, &ggsdk.CreateGroupVersionInput{
		GroupId:                          group.Id,
		CoreDefinitionVersionArn:         def.CoreDefinitionVersionArn,
		DeviceDefinitionVersionArn:       def.DeviceDefinitionVersionArn,
		FunctionDefinitionVersionArn:     def.FunctionDefinitionVersionArn,
		SubscriptionDefinitionVersionArn: newSubs.Arn,
		ConnectorDefinitionVersionArn:    conn.LatestVersionArn,
	})
	if err != nil {
		t.Fatalf("CreateGroupVersion: %v", err)
	}
	// 8. Deploy.
	dep, err := c.CreateDeployment(ctx, &ggsdk.CreateDeploymentInput{
		GroupId: group.Id, DeploymentType: ggtypes.DeploymentTypeNewDeployment, GroupVersionId: nv.Version,
	})
	if err != nil {
		t.Fatalf("CreateDeployment: %v", err)
	}
	wantArn := aws.ToString(group.Arn) + "/deployments/" + aws.ToString(dep.DeploymentId)
	if aws.ToString(dep.DeploymentArn) != wantArn {
		t.Errorf("DeploymentArn = %q, want %q", aws.ToString(dep.DeploymentArn), wantArn)
	}

	mu.Lock()
	if len(announced) != 1 || announced[0].DeploymentID != aws.ToString(dep.DeploymentId) || announced[0].GroupVersionID != aws.ToString(nv.Version) {
		t.Errorf("OnDeployment saw %+v, want the one deployment of version %s", announced, aws.ToString(nv.Version))
	}
	mu.Unlock()

	st, err := c.GetDeploymentStatus(ctx, &ggsdk.GetDeploymentStatusInput{GroupId: group.Id, DeploymentId: dep.DeploymentId})
	if err != nil {
		t.Fatalf("GetDeploymentStatus: %v", err)
	}
	if aws.ToString(st.DeploymentStatus) != "InProgress" || st.DeploymentType != ggtypes.DeploymentTypeNewDeployment {
		t.Errorf("GetDeploymentStatus = %s %s, want InProgress NewDeployment", aws.ToString(st.DeploymentStatus), st.DeploymentType)
	}

	// The core reports.
	if _, err := srv.SetDeploymentStatus(ctx, aws.ToString(group.Id), aws.ToString(dep.DeploymentId), greengrass.StatusFailure, "function missing",
		greengrass.ErrorDetail{DetailedErrorCode: "GG-1", DetailedErrorMessage: "no such function"}); err != nil {
		t.Fatalf("SetDeploymentStatus: %v", err)
	}
	st, err = c.GetDeploymentStatus(ctx, &ggsdk.GetDeploymentStatusInput{GroupId: group.Id, DeploymentId: dep.DeploymentId})
	if err != nil {
		t.Fatalf("GetDeploymentStatus: %v", err)
	}
	if aws.ToString(st.DeploymentStatus) != "Failure" || aws.ToString(st.ErrorMessage) != "function missing" || len(st.ErrorDetails) != 1 {
		t.Errorf("GetDeploymentStatus after failure = %s %q %d details", aws.ToString(st.DeploymentStatus), aws.ToString(st.ErrorMessage), len(st.ErrorDetails))
	}
	if _, err := srv.SetDeploymentStatus(ctx, aws.ToString(group.Id), aws.ToString(dep.DeploymentId), "Done", ""); errorCode(err) != greengrass.CodeBadRequest {
		t.Errorf("SetDeploymentStatus(Done): %v, want %s", err, greengrass.CodeBadRequest)
	}
	if _, err := srv.SetDeploymentStatus(ctx, aws.ToString(group.Id), aws.ToString(dep.DeploymentId), greengrass.StatusSuccess, "ignored"); err != nil {
		t.Fatalf("SetDeploymentStatus(Success): %v", err)
	}
	st, err = c.GetDeploymentStatus(ctx, &ggsdk.GetDeploymentStatusInput{GroupId: group.Id, DeploymentId: dep.DeploymentId})
	if err != nil {
		t.Fatalf("GetDeploymentStatus: %v", err)
	}
	if aws.ToString(st.DeploymentStatus) != "Success" || st.ErrorMessage != nil || len(st.ErrorDetails) != 0 {
		t.Errorf("GetDeploymentStatus after success = %s %q %d details", aws.ToString(st.DeploymentStatus), aws.ToString(st.ErrorMessage), len(st.ErrorDetails))
	}
}

func TestDeploymentRules(t *testing.T) {
	ctx := context.Background()
	_, c := newServer(t, greengrass.Options{})
	f := mustCreateGroup(t, ctx, c)
	g := aws.String(f.groupID)

	coreless, err := c.CreateGroup(ctx, &ggsdk.CreateGroupInput{Name: aws.String("coreless"), InitialVersion: &ggtypes.GroupVersion{
		DeviceDefinitionVersionArn: aws.String(f.device.versionArn),
	}})
	if err != nil {
		t.Fatalf("CreateGroup(coreless): %v", err)
	}

	first, err := c.CreateDeployment(ctx, &ggsdk.CreateDeploymentInput{GroupId: g, DeploymentType: ggtypes.DeploymentTypeNewDeployment, GroupVersionId: aws.String(f.groupVersionID)})
	if err != nil {
		t.Fatalf("CreateDeployment: %v", err)
	}

	tests := []struct {
		name string
		in   ggsdk.CreateDeploymentInput
		want string // error code, "" for success
	}{
		{"no core", ggsdk.CreateDeploymentInput{GroupId: coreless.Id, DeploymentType: ggtypes.DeploymentTypeNewDeployment, GroupVersionId: coreless.LatestVersion}, greengrass.CodeMissingCore},
		{"unknown group", ggsdk.CreateDeploymentInput{GroupId: aws.String("nope"), DeploymentType: ggtypes.DeploymentTypeNewDeployment, GroupVersionId: aws.String("v")}, greengrass.CodeResourceNotFound},
		{"unknown version", ggsdk.CreateDeploymentInput{GroupId: g, DeploymentType: ggtypes.DeploymentTypeNewDeployment, GroupVersionId: aws.String("v")}, greengrass.CodeResourceNotFound},
		{"no version", ggsdk.CreateDeploymentInput{GroupId: g, DeploymentType: ggtypes.DeploymentTypeNewDeployment}, greengrass.CodeInvalidInput},
		{"bad type", ggsdk.CreateDeploymentInput{GroupId: g, DeploymentType: "Rollback", GroupVersionId: aws.String(f.groupVersionID)}, greengrass.CodeInvalidInput},
		{"redeploy without id", ggsdk.CreateDeploymentInput{GroupId: g, DeploymentType: ggtypes.DeploymentTypeRedeployment}, greengrass.CodeInvalidInput},
		{"redeploy unknown id", ggsdk.CreateDeploymentInput{GroupId: g, DeploymentType: ggtypes.DeploymentTypeRedeployment, DeploymentId: aws.String("nope")}, greengrass.CodeInvalidInput},
		{"redeploy", ggsdk.CreateDeploymentInput{GroupId: g, DeploymentType: ggtypes.DeploymentTypeRedeployment, DeploymentId: first.DeploymentId}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.CreateDeployment(ctx, &tt.in)
			if got := errorCode(err); got != tt.want {
				t.Errorf("CreateDeployment(%s) error = %q (%v), want %q", tt.name, got, err, tt.want)
			}
		})
	}

	// A deployed group cannot be deleted until it is reset, and a reset
	// cannot be repeated unless forced.
	if _, err := c.DeleteGroup(ctx, &ggsdk.DeleteGroupInput{GroupId: g}); errorCode(err) != greengrass.CodeBadRequest {
		t.Errorf("DeleteGroup(deployed): %v, want %s", err, greengrass.CodeBadRequest)
	}
	if _, err := c.ResetDeployments(ctx, &ggsdk.ResetDeploymentsInput{GroupId: g}); err != nil {
		t.Fatalf("ResetDeployments: %v", err)
	}
	if _, err := c.ResetDeployments(ctx, &ggsdk.ResetDeploymentsInput{GroupId: g}); errorCode(err) != greengrass.CodeResourceNotFound {
		t.Errorf("ResetDeployments twice: %v, want %s", err, greengrass.CodeResourceNotFound)
	}
	if _, err := c.ResetDeployments(ctx, &ggsdk.ResetDeploymentsInput{GroupId: g, Force: aws.Bool(true)}); err != nil {
		t.Errorf("ResetDeployments(Force) twice: %v", err)
	}

	list, err := c.ListDeployments(ctx, &ggsdk.ListDeploymentsInput{GroupId: g})
	if err != nil {
		t.Fatalf("ListDeployments: %v", err)
	}
	var types []ggtypes.DeploymentType
	for _, d := range list.Deployments {
		types = append(types, d.DeploymentType)
	}
	want := []ggtypes.DeploymentType{ggtypes.DeploymentTypeForceResetDeployment, ggtypes.DeploymentTypeResetDeployment, ggtypes.DeploymentTypeRedeployment, ggtypes.DeploymentTypeNewDeployment}
	if diff := cmp.Diff(want, types); diff != "" {
		t.Errorf("ListDeployments types, newest first (-want +got):\n%s", diff)
	}
	if _, err := c.DeleteGroup(ctx, &ggsdk.DeleteGroupInput{GroupId: g}); err != nil {
		t.Errorf("DeleteGroup after reset: %v", err)
	}
	if _, err := c.GetDeploymentStatus(ctx, &ggsdk.GetDeploymentStatusInput{GroupId: coreless.Id, DeploymentId: first.DeploymentId}); errorCode(err) != greengrass.CodeInvalidInput {
		t.Errorf("GetDeploymentStatus of another group's deployment: %v, want %s", err, greengrass.CodeInvalidInput)
	}
}

func TestFailNext(t *testing.T) {
	ctx := context.Background()
	srv, c := newServer(t, greengrass.Options{})
	throttle := awsproto.NewError(http.StatusTooManyRequests, "TooManyRequestsException", "Rate exceeded")
	srv.FailNext("CreateGroup", 2, throttle)
	srv.FailNext("ListGroups", 1, errors.New("disk on fire"))

	for i := range 2 {
		if _, err := c.CreateGroup(ctx, &ggsdk.CreateGroupInput{Name: aws.String("g")}); errorCode(err) != "TooManyRequestsException" {
			t.Errorf("CreateGroup call %d: %v, want TooManyRequestsException", i+1, err)
		}
	}
	if _, err := c.CreateGroup(ctx, &ggsdk.CreateGroupInput{Name: aws.String("g")}); err != nil {
		t.Errorf("CreateGroup call 3: %v, want success", err)
	}
	if _, err := c.ListGroups(ctx, &ggsdk.ListGroupsInput{}); errorCode(err) != greengrass.CodeInternalServerError {
		t.Errorf("ListGroups with a non-AWS fault: %v, want %s", err, greengrass.CodeInternalServerError)
	}
	list, err := c.ListGroups(ctx, &ggsdk.ListGroupsInput{})
	if err != nil || len(list.Groups) != 1 {
		t.Errorf("ListGroups = %v, %v; want one group (failed calls store nothing)", list, err)
	}
}

// TestConcurrentDeployments runs creates and deployments from many
// goroutines; run with -race.
func TestConcurrentDeployments(t *testing.T) {
	ctx := context.Background()
	srv, c := newServer(t, greengrass.Options{NewID: nil})
	f := mustCreateGroup(t, ctx, c)
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for range 10 {
		wg.Go(func() {
			if _, err := c.CreateDeployment(ctx, &ggsdk.CreateDeploymentInput{GroupId: aws.String(f.groupID), DeploymentType: ggtypes.DeploymentTypeNewDeployment, GroupVersionId: aws.String(f.groupVersionID)}); err != nil {
				errs <- err
			}
		})
		wg.Go(func() {
			if _, err := c.CreateDeviceDefinition(ctx, &ggsdk.CreateDeviceDefinitionInput{InitialVersion: &ggtypes.DeviceDefinitionVersion{Devices: devicesV1}}); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent call: %v", err)
	}
	ds, err := srv.Deployments(ctx, f.groupID)
	if err != nil || len(ds) != 10 {
		t.Errorf("Deployments = %d, %v; want 10", len(ds), err)
	}
}
