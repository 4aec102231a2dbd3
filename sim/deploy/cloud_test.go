package deploy

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iot"
	iottypes "github.com/aws/aws-sdk-go-v2/service/iot/types"

	iotfake "github.com/tgsim/tgsim/fakes/iot"
	"github.com/tgsim/tgsim/sim/flow"
)

func workedExample(t testing.TB) *flow.Artifact {
	t.Helper()
	var docs []flow.Document
	for _, f := range []string{
		"../thingsgraph/public/motion-sensor.graphql",
		"../thingsgraph/public/camera.graphql",
		"../thingsgraph/public/screen.graphql",
		"../../scenarios/motion-camera/security-flow.workflow.graphql",
		"../../scenarios/motion-camera/security-flow.system.graphql",
		"../../scenarios/motion-camera/room215.deployment.graphql",
	} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		docs = append(docs, flow.Document{Name: filepath.Base(f), Text: string(b)})
	}
	return &flow.Artifact{
		Manifest: flow.Manifest{
			DeploymentID: "urn:tdm:us-east-1/000000000000/default:Deployment:Room215",
			SystemID:     "urn:tdm:us-east-1/000000000000/default:System:SecurityFlow",
			Target:       "CLOUD", Region: "us-east-1", AccountID: "000000000000",
			Things: map[string]string{
				"Room215Motion": "urn:tdm:aws/examples:Device:HCSR501MotionSensor",
				"Room215Camera": "urn:tdm:aws/examples:Device:RaspberryPiCamera",
				"Room215Screen": "urn:tdm:aws/examples:Device:RaspberryPiScreen",
			},
			CreatedAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		},
		Documents: docs,
	}
}

// TestCloudDeployAndUndeploy: the CLOUD deploy creates the thing group
// with the bound things and one rule per topic the runtime hears, a
// redeploy keeps them and removes stale ones, and undeploy leaves nothing.
func TestCloudDeployAndUndeploy(t *testing.T) {
	ctx := context.Background()
	srv, err := iotfake.NewServer(iotfake.Options{AccountID: "000000000000"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("test", "test", "")}
	d := New(Options{AWS: cfg, Endpoint: srv.URL, AccountID: "000000000000"})
	art := workedExample(t)
	id := art.Manifest.DeploymentID

	if _, err := d.DeployCloud(ctx, art); err == nil || !strings.Contains(err.Error(), "iot:DescribeThing failed: ResourceNotFoundException") {
		t.Fatalf("deploy before the things exist: err = %v, want iot:DescribeThing's ResourceNotFound", err)
	}
	for th := range art.Manifest.Things {
		if _, err := d.iot.CreateThing(ctx, &iot.CreateThingInput{ThingName: aws.String(th)}); err != nil {
			t.Fatal(err)
		}
	}
	if rules, _ := d.cloudRules(ctx, id); len(rules) != 0 {
		t.Fatalf("a failed deploy left rules: %v", rules)
	}
	res, err := d.DeployCloud(ctx, art)
	if err != nil {
		t.Fatal(err)
	}
	if !res.FirstDeployment || res.ThingGroupName != CloudThingGroupName(id) || !strings.HasPrefix(res.ThingGroupName, "ThingsGraph_Room215_") {
		t.Errorf("result = %+v", res)
	}
	// The runtime hears the motion event and the camera's response.
	var topics []string
	for _, topic := range res.Rules {
		topics = append(topics, topic)
	}
	slices.Sort(topics)
	if want := []string{"Room215Camera/capture/finished", "Room215Motion/motion"}; !slices.Equal(topics, want) {
		t.Errorf("rule topics = %v, want %v", topics, want)
	}
	attr := func(thing string) string {
		t.Helper()
		out, err := d.iot.DescribeThing(ctx, &iot.DescribeThingInput{ThingName: aws.String(thing)})
		if err != nil {
			t.Fatal(err)
		}
		return out.Attributes[FlowConfigurationsAttribute]
	}
	if got := attr("Room215Motion"); got != "Room215" {
		t.Errorf("thing attribute %s = %q, want Room215", FlowConfigurationsAttribute, got)
	}
	members, err := d.iot.ListThingsInThingGroup(ctx, &iot.ListThingsInThingGroupInput{ThingGroupName: aws.String(res.ThingGroupName)})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(members.Things)
	if want := []string{"Room215Camera", "Room215Motion", "Room215Screen"}; !slices.Equal(members.Things, want) {
		t.Errorf("group members = %v, want %v", members.Things, want)
	}
	for name, topic := range res.Rules {
		got, err := d.iot.GetTopicRule(ctx, &iot.GetTopicRuleInput{RuleName: aws.String(name)})
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToString(got.Rule.Sql) != CloudRuleSQL(id, topic) || len(got.Rule.Actions) != 1 ||
			aws.ToString(got.Rule.Actions[0].Lambda.FunctionArn) != "arn:aws:lambda:us-east-1:000000000000:function:ThingsGraphCloudRuntime" {
			t.Errorf("rule %s = %+v", name, got.Rule)
		}
	}

	// A stale rule of this configuration goes at the next deploy; another
	// configuration's rule stays.
	stale := cloudRulePrefix(id) + "stale"
	other := cloudRulePrefix("urn:other") + "x"
	for _, n := range []string{stale, other} {
		if _, err := d.iot.CreateTopicRule(ctx, &iot.CreateTopicRuleInput{RuleName: aws.String(n), TopicRulePayload: &iottypes.TopicRulePayload{
			Sql: aws.String("SELECT * FROM 'x'"), Actions: []iottypes.Action{{Lambda: &iottypes.LambdaAction{FunctionArn: aws.String("arn:aws:lambda:us-east-1:000000000000:function:f")}}},
		}}); err != nil {
			t.Fatal(err)
		}
	}
	again, err := d.DeployCloud(ctx, art)
	if err != nil {
		t.Fatal(err)
	}
	if again.FirstDeployment || !slices.Equal(again.Removed, []string{stale}) || len(again.Rules) != 2 {
		t.Errorf("redeploy = %+v, want the stale rule removed", again)
	}

	un, err := d.UndeployCloud(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if len(un.ThingsRemoved) != 3 || !un.GroupDeleted || len(un.RulesDeleted) != 2 {
		t.Errorf("undeploy = %+v", un)
	}
	if got := attr("Room215Motion"); got != "" {
		t.Errorf("thing attribute after undeploy = %q, want it gone", got)
	}
	if _, err := d.iot.DescribeThingGroup(ctx, &iot.DescribeThingGroupInput{ThingGroupName: aws.String(res.ThingGroupName)}); !isNotFound(err) {
		t.Errorf("thing group after undeploy: err = %v, want ResourceNotFound", err)
	}
	left, err := d.iot.ListTopicRules(ctx, &iot.ListTopicRulesInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(left.Rules) != 1 || aws.ToString(left.Rules[0].RuleName) != other {
		t.Errorf("rules after undeploy = %d, want only %s", len(left.Rules), other)
	}
	// Undeploy again: nothing left, nothing fails.
	if un, err := d.UndeployCloud(ctx, id); err != nil || un.GroupDeleted || len(un.RulesDeleted) != 0 {
		t.Errorf("second undeploy = %+v, %v", un, err)
	}
}
