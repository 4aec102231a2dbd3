package harness_test

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/greengrass"
	ggtypes "github.com/aws/aws-sdk-go-v2/service/greengrass/types"
	"github.com/aws/aws-sdk-go-v2/service/iot"

	"github.com/tgsim/tgsim/sim/harness"
)

// TestResetDeployment: a ResetDeployment empties the running core's table
// without restarting it, and the core reports it Success.
func TestResetDeployment(t *testing.T) {
	ctx := context.Background()
	h, err := harness.Start(harness.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	iotc := iot.NewFromConfig(h.AWS, func(o *iot.Options) { o.BaseEndpoint = aws.String(h.URL) })
	gg := greengrass.NewFromConfig(h.AWS, func(o *greengrass.Options) { o.BaseEndpoint = aws.String(h.URL) })
	core := newThing(t, ctx, iotc, "home_Core")
	lamp := newThing(t, ctx, iotc, "Lamp")
	cd, err := gg.CreateCoreDefinition(ctx, &greengrass.CreateCoreDefinitionInput{InitialVersion: &ggtypes.CoreDefinitionVersion{Cores: []ggtypes.Core{
		{Id: aws.String("core"), ThingArn: aws.String(core.arn), CertificateArn: aws.String(core.certArn)}}}})
	if err != nil {
		t.Fatal(err)
	}
	dd, err := gg.CreateDeviceDefinition(ctx, &greengrass.CreateDeviceDefinitionInput{InitialVersion: &ggtypes.DeviceDefinitionVersion{Devices: []ggtypes.Device{
		{Id: aws.String("lamp"), ThingArn: aws.String(lamp.arn), CertificateArn: aws.String(lamp.certArn)}}}})
	if err != nil {
		t.Fatal(err)
	}
	sd, err := gg.CreateSubscriptionDefinition(ctx, &greengrass.CreateSubscriptionDefinitionInput{InitialVersion: &ggtypes.SubscriptionDefinitionVersion{Subscriptions: []ggtypes.Subscription{
		{Id: aws.String("s1"), Source: aws.String(lamp.arn), Subject: aws.String("Lamp/state"), Target: aws.String("cloud")}}}})
	if err != nil {
		t.Fatal(err)
	}
	g, err := gg.CreateGroup(ctx, &greengrass.CreateGroupInput{Name: aws.String("home"), InitialVersion: &ggtypes.GroupVersion{
		CoreDefinitionVersionArn: cd.LatestVersionArn, DeviceDefinitionVersionArn: dd.LatestVersionArn, SubscriptionDefinitionVersionArn: sd.LatestVersionArn}})
	if err != nil {
		t.Fatal(err)
	}
	rc, err := h.StartCore("home", "")
	if err != nil {
		t.Fatal(err)
	}
	wait := func(id *string) {
		t.Helper()
		wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		res, err := rc.WaitDeployment(wctx, aws.ToString(id))
		if err != nil || res.Status != "Success" {
			t.Fatalf("deployment %s = %+v, %v", aws.ToString(id), res, err)
		}
	}
	dep, err := gg.CreateDeployment(ctx, &greengrass.CreateDeploymentInput{GroupId: g.Id, GroupVersionId: g.LatestVersion, DeploymentType: ggtypes.DeploymentTypeNewDeployment})
	if err != nil {
		t.Fatal(err)
	}
	wait(dep.DeploymentId)
	if n := len(rc.Table().Routes()); n != 1 {
		t.Fatalf("%d routes after the deployment, want 1", n)
	}
	reset, err := gg.ResetDeployments(ctx, &greengrass.ResetDeploymentsInput{GroupId: g.Id, Force: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	wait(reset.DeploymentId)
	if n := len(rc.Table().Routes()); n != 0 {
		t.Errorf("%d routes after the reset, want none", n)
	}
	if h.Core("home") != rc {
		t.Error("the reset restarted the core")
	}
}
