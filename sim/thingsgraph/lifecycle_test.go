package thingsgraph_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/greengrass"
	ggtypes "github.com/aws/aws-sdk-go-v2/service/greengrass/types"
	awsv1 "github.com/aws/aws-sdk-go/aws"
	tgsdk "github.com/aws/aws-sdk-go/service/iotthingsgraph"

	ggfake "github.com/tgsim/tgsim/fakes/greengrass"
	"github.com/tgsim/tgsim/sim/deploy"
)

// TestInstanceLifecycle walks every row of the transition table of spec §4.5.
func TestInstanceLifecycle(t *testing.T) {
	w, groupID := lampWorld(t)
	ctx := context.Background()
	id := w.instance("Site1", "Lamp1")
	idp := awsv1.String(id)

	deployOp := func() (string, error) {
		out, err := w.tg.DeploySystemInstanceWithContext(ctx, &tgsdk.DeploySystemInstanceInput{Id: idp})
		if err != nil {
			return "", err
		}
		if awsv1.StringValue(out.GreengrassDeploymentId) == "" {
			t.Error("DeploySystemInstance returned no greengrassDeploymentId")
		}
		return awsv1.StringValue(out.Summary.Status), nil
	}
	undeployOp := func() (string, error) {
		out, err := w.tg.UndeploySystemInstanceWithContext(ctx, &tgsdk.UndeploySystemInstanceInput{Id: idp})
		if err != nil {
			return "", err
		}
		return awsv1.StringValue(out.Summary.Status), nil
	}
	deleteOp := func() (string, error) {
		_, err := w.tg.DeleteSystemInstanceWithContext(ctx, &tgsdk.DeleteSystemInstanceInput{Id: idp})
		return "", err
	}
	getOp := func() (string, error) {
		out, err := w.tg.GetSystemInstanceWithContext(ctx, &tgsdk.GetSystemInstanceInput{Id: idp})
		if err != nil {
			return "", err
		}
		return awsv1.StringValue(out.Description.Summary.Status), nil
	}
	createOp := func() (string, error) {
		out, err := w.tg.CreateSystemInstanceWithContext(ctx, &tgsdk.CreateSystemInstanceInput{Definition: doc(deploymentDoc("Site1", "Lamp1")),
			Target: awsv1.String("GREENGRASS"), GreengrassGroupName: awsv1.String("home"), S3BucketName: awsv1.String("bkt")})
		if err != nil {
			return "", err
		}
		return awsv1.StringValue(out.Summary.Status), nil
	}
	core := func(st ggfake.DeploymentStatus) func() (string, error) {
		return func() (string, error) { w.finishPending(groupID, st); return "", nil }
	}
	// busy checks Deploy, Undeploy and Delete are all refused as InUse.
	busy := func(state string) []step {
		return []step{
			{state + ": Deploy", deployOp, "ResourceInUseException", ""},
			{state + ": Undeploy", undeployOp, "ResourceInUseException", ""},
			{state + ": Delete", deleteOp, "ResourceInUseException", ""},
		}
	}
	var steps []step
	add := func(s ...step) { steps = append(steps, s...) }
	add(step{"(none) Create → NOT_DEPLOYED", getOp, "", "NOT_DEPLOYED"},
		step{"NOT_DEPLOYED Undeploy → InUse", undeployOp, "ResourceInUseException", ""},
		step{"NOT_DEPLOYED Deploy → BOOTSTRAP (first deployment to the group)", deployOp, "", "BOOTSTRAP"})
	add(busy("BOOTSTRAP")...)
	add(step{"BOOTSTRAP target prepared → DEPLOY_IN_PROGRESS", getOp, "", "DEPLOY_IN_PROGRESS"})
	add(busy("DEPLOY_IN_PROGRESS")...)
	add(step{"core reports Success", core(ggfake.StatusSuccess), "", ""},
		step{"DEPLOY_IN_PROGRESS Success → DEPLOYED_IN_TARGET", getOp, "", "DEPLOYED_IN_TARGET"},
		step{"DEPLOYED_IN_TARGET Delete → InUse", deleteOp, "ResourceInUseException", ""},
		step{"DEPLOYED_IN_TARGET Deploy → DEPLOY_IN_PROGRESS (runtime already there)", deployOp, "", "DEPLOY_IN_PROGRESS"},
		step{"core reports Failure", core(ggfake.StatusFailure), "", ""},
		step{"DEPLOY_IN_PROGRESS Failure → FAILED", getOp, "", "FAILED"},
		step{"FAILED Delete → InUse (undeploy first)", deleteOp, "ResourceInUseException", ""},
		step{"FAILED Deploy → DEPLOY_IN_PROGRESS", deployOp, "", "DEPLOY_IN_PROGRESS"},
		step{"core reports Success", core(ggfake.StatusSuccess), "", ""},
		step{"→ DEPLOYED_IN_TARGET", getOp, "", "DEPLOYED_IN_TARGET"},
		step{"DEPLOYED_IN_TARGET Undeploy → UNDEPLOY_IN_PROGRESS", undeployOp, "", "UNDEPLOY_IN_PROGRESS"})
	add(busy("UNDEPLOY_IN_PROGRESS")...)
	add(step{"core reports Success", core(ggfake.StatusSuccess), "", ""},
		step{"UNDEPLOY_IN_PROGRESS cleaned → DELETED_IN_TARGET", getOp, "", "DELETED_IN_TARGET"},
		step{"DELETED_IN_TARGET Undeploy → InUse", undeployOp, "ResourceInUseException", ""},
		step{"DELETED_IN_TARGET Deploy → BOOTSTRAP (the runtime was removed)", deployOp, "", "BOOTSTRAP"},
		step{"core reports Failure", core(ggfake.StatusFailure), "", ""},
		step{"BOOTSTRAP Failure → FAILED", getOp, "", "FAILED"},
		step{"FAILED Undeploy → UNDEPLOY_IN_PROGRESS", undeployOp, "", "UNDEPLOY_IN_PROGRESS"},
		step{"core reports Success", core(ggfake.StatusSuccess), "", ""},
		step{"→ DELETED_IN_TARGET", getOp, "", "DELETED_IN_TARGET"},
		step{"DELETED_IN_TARGET Delete → PENDING_DELETE", deleteOp, "", ""})
	add(busy("PENDING_DELETE")...)
	add(step{"PENDING_DELETE then gone", getOp, "ResourceNotFoundException", ""},
		step{"the id may be reused", createOp, "", "NOT_DEPLOYED"},
		step{"NOT_DEPLOYED Delete → PENDING_DELETE", deleteOp, "", ""},
		step{"gone again", getOp, "ResourceNotFoundException", ""})
	for _, s := range steps {
		got, err := s.op()
		if code(err) != s.wantCode || (s.wantCode == "" && err != nil) {
			t.Fatalf("%s: err = %v, want code %q", s.name, err, s.wantCode)
		}
		if s.wantStatus != "" && got != s.wantStatus {
			t.Fatalf("%s: status = %s, want %s", s.name, got, s.wantStatus)
		}
	}
}

type step struct {
	name       string
	op         func() (string, error)
	wantCode   string
	wantStatus string
}

func TestDeployRefusesDeprecated(t *testing.T) {
	w, _ := lampWorld(t)
	ctx := context.Background()
	id := w.instance("Site1", "Lamp1")
	cloud, err := w.tg.CreateSystemInstanceWithContext(ctx, &tgsdk.CreateSystemInstanceInput{Definition: doc(deploymentDoc("Cloud1", "Lamp1")),
		Target: awsv1.String("CLOUD"), FlowActionsRoleArn: awsv1.String("arn:aws:iam::000000000000:role/TGFlows")})
	if err != nil {
		t.Fatal(err)
	}
	// The CLOUD deploy is the caller's IoT calls; the role is assumed only
	// when the flow acts, so a role that does not exist fails executions,
	// not the deploy (spec §4.4).
	if out, err := w.tg.DeploySystemInstanceWithContext(ctx, &tgsdk.DeploySystemInstanceInput{Id: cloud.Summary.Id}); err != nil || awsv1.StringValue(out.Summary.Status) != "BOOTSTRAP" {
		t.Errorf("DeploySystemInstance(CLOUD) = %v, %v, want BOOTSTRAP", out, err)
	}
	if _, err := w.tg.DeprecateFlowTemplateWithContext(ctx, &tgsdk.DeprecateFlowTemplateInput{Id: awsv1.String(ns + ":workflow:Blink")}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.tg.DeploySystemInstanceWithContext(ctx, &tgsdk.DeploySystemInstanceInput{Id: awsv1.String(id)}); code(err) != "InvalidRequestException" || !strings.Contains(err.Error(), "deprecated") {
		t.Errorf("DeploySystemInstance with a deprecated flow = %v, want InvalidRequestException naming deprecation", err)
	}
	if st := w.status(id); st != "NOT_DEPLOYED" {
		t.Errorf("status after a refused deploy = %s, want NOT_DEPLOYED", st)
	}
}

// TestUndeployRemovesOnlyItsEntries deploys two flow configurations to one
// group, adds a subscription of the user's own, and undeploys them one by one.
func TestUndeployRemovesOnlyItsEntries(t *testing.T) {
	w, groupID := lampWorld(t)
	ctx := context.Background()
	w.bucket("bkt2")
	w.thing("Lamp2")
	if _, err := w.tg.AssociateEntityToThingWithContext(ctx, &tgsdk.AssociateEntityToThingInput{ThingName: awsv1.String("Lamp2"), EntityId: awsv1.String(ns + ":device:AcmeLamp")}); err != nil {
		t.Fatal(err)
	}
	a := w.instance("SiteA", "Lamp1")
	out, err := w.tg.CreateSystemInstanceWithContext(ctx, &tgsdk.CreateSystemInstanceInput{Definition: doc(deploymentDoc("SiteB", "Lamp2")),
		Target: awsv1.String("GREENGRASS"), GreengrassGroupName: awsv1.String("home"), S3BucketName: awsv1.String("bkt2")})
	if err != nil {
		t.Fatal(err)
	}
	b := awsv1.StringValue(out.Summary.Id)
	for _, id := range []string{a, b} {
		if _, err := w.tg.DeploySystemInstanceWithContext(ctx, &tgsdk.DeploySystemInstanceInput{Id: awsv1.String(id)}); err != nil {
			t.Fatal(err)
		}
		w.finishPending(groupID, ggfake.StatusSuccess)
		if st := w.status(id); st != "DEPLOYED_IN_TARGET" {
			t.Fatalf("%s status = %s", id, st)
		}
	}
	// The user adds a subscription of their own.
	gv := w.latestGroupVersion(groupID)
	subs := w.groupSubscriptions(groupID)
	mine := ggtypes.Subscription{Id: aws.String("mine"), Source: aws.String("cloud"), Subject: aws.String("Lamp1/#"), Target: aws.String("cloud")}
	sid, _ := defIDs(t, aws.ToString(gv.SubscriptionDefinitionVersionArn), "subscriptions")
	sv, err := w.gg.CreateSubscriptionDefinitionVersion(ctx, &greengrass.CreateSubscriptionDefinitionVersionInput{SubscriptionDefinitionId: &sid, Subscriptions: append(subs, mine)})
	if err != nil {
		t.Fatal(err)
	}
	nv := *gv
	nv.SubscriptionDefinitionVersionArn = sv.Arn
	if _, err := w.gg.CreateGroupVersion(ctx, &greengrass.CreateGroupVersionInput{GroupId: &groupID, CoreDefinitionVersionArn: nv.CoreDefinitionVersionArn,
		DeviceDefinitionVersionArn: nv.DeviceDefinitionVersionArn, FunctionDefinitionVersionArn: nv.FunctionDefinitionVersionArn,
		SubscriptionDefinitionVersionArn: nv.SubscriptionDefinitionVersionArn}); err != nil {
		t.Fatal(err)
	}
	prefix := func(id string) string { h := sha256.Sum256([]byte(id)); return "tg-" + hex.EncodeToString(h[:4]) + "-" }
	count := func(subs []ggtypes.Subscription) (ofA, ofB int, hasMine bool) {
		for _, s := range subs {
			switch sid := aws.ToString(s.Id); {
			case strings.HasPrefix(sid, prefix(a)):
				ofA++
			case strings.HasPrefix(sid, prefix(b)):
				ofB++
			case sid == "mine":
				hasMine = true
			}
		}
		return
	}
	ofA, ofB, hasMine := count(w.groupSubscriptions(groupID))
	if ofA == 0 || ofB == 0 || !hasMine {
		t.Fatalf("before undeploy: %d subscriptions of A, %d of B, mine=%v; want some of each", ofA, ofB, hasMine)
	}
	runtimeArtifacts := func() (string, bool) {
		for _, f := range w.groupFunctions(groupID) {
			if aws.ToString(f.Id) == "tg-runtime" {
				return f.FunctionConfiguration.Environment.Variables[deploy.ArtifactsVariable], true
			}
		}
		return "", false
	}

	if _, err := w.tg.UndeploySystemInstanceWithContext(ctx, &tgsdk.UndeploySystemInstanceInput{Id: awsv1.String(a)}); err != nil {
		t.Fatal(err)
	}
	gotA, gotB, hasMine := count(w.groupSubscriptions(groupID))
	if gotA != 0 || gotB != ofB || !hasMine {
		t.Errorf("after undeploying A: %d subscriptions of A, %d of B (want %d), mine=%v; want A's gone, B's and mine kept", gotA, gotB, ofB, hasMine)
	}
	if arts, ok := runtimeArtifacts(); !ok || arts != "s3://bkt2/flow-Blink-SiteB.tar.gz" {
		t.Errorf("runtime after undeploying A: present=%v %s=%q, want only B's artifact", ok, deploy.ArtifactsVariable, arts)
	}
	if st := w.status(a); st != "UNDEPLOY_IN_PROGRESS" {
		t.Errorf("A status = %s, want UNDEPLOY_IN_PROGRESS until Greengrass reports", st)
	}
	w.finishPending(groupID, ggfake.StatusSuccess)
	if st := w.status(a); st != "DELETED_IN_TARGET" {
		t.Errorf("A status = %s, want DELETED_IN_TARGET", st)
	}
	if st := w.status(b); st != "DEPLOYED_IN_TARGET" {
		t.Errorf("B status = %s, want DEPLOYED_IN_TARGET", st)
	}

	if _, err := w.tg.UndeploySystemInstanceWithContext(ctx, &tgsdk.UndeploySystemInstanceInput{Id: awsv1.String(b)}); err != nil {
		t.Fatal(err)
	}
	gotA, gotB, hasMine = count(w.groupSubscriptions(groupID))
	if gotA != 0 || gotB != 0 || !hasMine {
		t.Errorf("after undeploying B: %d of A, %d of B, mine=%v; want only mine", gotA, gotB, hasMine)
	}
	if _, ok := runtimeArtifacts(); ok {
		t.Error("the runtime function is still in the group with no flow configuration left")
	}
}
