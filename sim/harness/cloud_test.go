package harness_test

import (
	"context"
	"crypto/tls"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iot"
	awsv1 "github.com/aws/aws-sdk-go/aws"
	"github.com/aws/aws-sdk-go/service/iotthingsgraph"

	"github.com/tgsim/tgsim/sim/device"
	"github.com/tgsim/tgsim/sim/flow"
	"github.com/tgsim/tgsim/sim/harness"
)

const (
	room215 = "urn:tdm:us-east-1/000000000000/default:Deployment:Room215"
	// ownTopics lets a thing use topics under its own name only.
	ownTopics = `{"Version":"2012-10-17","Statement":[
	 {"Effect":"Allow","Action":"iot:Connect","Resource":"arn:aws:iot:us-east-1:000000000000:client/${iot:Connection.Thing.ThingName}"},
	 {"Effect":"Allow","Action":["iot:Publish","iot:Receive"],"Resource":"arn:aws:iot:us-east-1:000000000000:topic/${iot:Connection.Thing.ThingName}/*"},
	 {"Effect":"Allow","Action":"iot:Subscribe","Resource":"arn:aws:iot:us-east-1:000000000000:topicfilter/${iot:Connection.Thing.ThingName}/*"}]}`
	flowRolePolicy = `{"Version":"2012-10-17","Statement":[
	 {"Effect":"Allow","Action":["iot:DescribeEndpoint","iot:Publish"],"Resource":"*"}]}`
	tgTrust = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"iotthingsgraph.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
)

// cloudWorld creates the motion-camera things (with the own-topics IoT
// policy), the flow and system, and the flow role, all as root.
func cloudWorld(t *testing.T, h *harness.Harness) (tg *iotthingsgraph.IoTThingsGraph, certs map[string]tls.Certificate, roleARN string) {
	t.Helper()
	ctx := context.Background()
	iotc := iot.NewFromConfig(h.AWS, func(o *iot.Options) { o.BaseEndpoint = aws.String(h.URL) })
	iamc := iam.NewFromConfig(h.AWS, func(o *iam.Options) { o.BaseEndpoint = aws.String(h.URL) })
	tg = thingsGraphClient(t, h)
	if _, err := iotc.CreatePolicy(ctx, &iot.CreatePolicyInput{PolicyName: aws.String("own"), PolicyDocument: aws.String(ownTopics)}); err != nil {
		t.Fatal(err)
	}
	certs = map[string]tls.Certificate{}
	for thing, dev := range map[string]string{
		"Room215Motion": "urn:tdm:aws/examples:Device:HCSR501MotionSensor",
		"Room215Camera": "urn:tdm:aws/examples:Device:RaspberryPiCamera",
		"Room215Screen": "urn:tdm:aws/examples:Device:RaspberryPiScreen",
	} {
		tc := newThing(t, ctx, iotc, thing)
		if _, err := iotc.AttachPolicy(ctx, &iot.AttachPolicyInput{PolicyName: aws.String("own"), Target: aws.String(tc.certArn)}); err != nil {
			t.Fatal(err)
		}
		certs[thing] = tc.pair
		if _, err := tg.AssociateEntityToThing(&iotthingsgraph.AssociateEntityToThingInput{ThingName: awsv1.String(thing), EntityId: awsv1.String(dev)}); err != nil {
			t.Fatal(err)
		}
	}
	read := func(p string) *iotthingsgraph.DefinitionDocument {
		b, err := os.ReadFile("../../scenarios/motion-camera/" + p)
		if err != nil {
			t.Fatal(err)
		}
		return &iotthingsgraph.DefinitionDocument{Language: awsv1.String("GRAPHQL"), Text: awsv1.String(string(b))}
	}
	if _, err := tg.CreateFlowTemplate(&iotthingsgraph.CreateFlowTemplateInput{Definition: read("security-flow.workflow.graphql")}); err != nil {
		t.Fatal(err)
	}
	if _, err := tg.CreateSystemTemplate(&iotthingsgraph.CreateSystemTemplateInput{Definition: read("security-flow.system.graphql")}); err != nil {
		t.Fatal(err)
	}
	role, err := iamc.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("flow"), AssumeRolePolicyDocument: aws.String(tgTrust)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := iamc.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("flow"), PolicyName: aws.String("act"), PolicyDocument: aws.String(flowRolePolicy)}); err != nil {
		t.Fatal(err)
	}
	if _, err := tg.CreateSystemInstance(&iotthingsgraph.CreateSystemInstanceInput{
		Definition: read("room215.deployment.graphql"), Target: awsv1.String("CLOUD"), FlowActionsRoleArn: role.Role.Arn,
	}); err != nil {
		t.Fatal(err)
	}
	return tg, certs, aws.ToString(role.Role.Arn)
}

// statuses polls GetSystemInstance until it leaves the passing statuses,
// returning every status seen.
func statuses(t *testing.T, tg *iotthingsgraph.IoTThingsGraph, id string, passing ...string) []string {
	t.Helper()
	var seen []string
	deadline := time.Now().Add(10 * time.Second)
	for {
		got, err := tg.GetSystemInstance(&iotthingsgraph.GetSystemInstanceInput{Id: awsv1.String(id)})
		if err != nil {
			t.Fatal(err)
		}
		st := awsv1.StringValue(got.Description.Summary.Status)
		if len(seen) == 0 || seen[len(seen)-1] != st {
			seen = append(seen, st)
		}
		if !slices.Contains(passing, st) {
			return seen
		}
		if time.Now().After(deadline) {
			t.Fatalf("instance %s still %s; seen %v", id, st, seen)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func cloudDevice(t *testing.T, h *harness.Harness, thing string, cert tls.Certificate, opts device.Options) *device.Device {
	t.Helper()
	opts.ThingName, opts.Broker = thing, h.IoTData.Addr()
	opts.TLS = &tls.Config{RootCAs: h.IoTDataRoots(), Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	d, err := device.Connect(context.Background(), opts)
	if err != nil {
		t.Fatalf("device %s: %v", thing, err)
	}
	t.Cleanup(d.Close)
	return d
}

// TestCloudDeployment drives a CLOUD flow configuration through its
// lifecycle with the v1 Things Graph client: the statuses of spec §4.5,
// executions visible through SearchFlowExecutions and
// ListFlowExecutionMessages, and an undeploy that removes the thing group
// and the rules.
func TestCloudDeployment(t *testing.T) {
	h, err := harness.Start(harness.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	tg, certs, _ := cloudWorld(t, h)
	ctx := context.Background()
	iotc := iot.NewFromConfig(h.AWS, func(o *iot.Options) { o.BaseEndpoint = aws.String(h.URL) })

	dep, err := tg.DeploySystemInstance(&iotthingsgraph.DeploySystemInstanceInput{Id: awsv1.String(room215)})
	if err != nil {
		t.Fatal(err)
	}
	if st := awsv1.StringValue(dep.Summary.Status); st != "BOOTSTRAP" {
		t.Errorf("first deploy answers %s, want BOOTSTRAP", st)
	}
	if seen := statuses(t, tg, room215, "BOOTSTRAP", "DEPLOY_IN_PROGRESS"); !slices.Equal(seen, []string{"DEPLOY_IN_PROGRESS", "DEPLOYED_IN_TARGET"}) {
		t.Errorf("statuses after deploy = %v", seen)
	}
	rules, err := iotc.ListTopicRules(ctx, &iot.ListTopicRulesInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rules.Rules) != 2 {
		t.Errorf("%d topic rules, want 2 (motion event, capture response)", len(rules.Rules))
	}

	cloudDevice(t, h, "Room215Camera", certs["Room215Camera"], device.Options{Actions: []device.Action{{
		Name: "capture", RequestTopic: "Room215Camera/capture", ResponseTopic: "Room215Camera/capture/finished",
		Respond: func(int, []byte) []byte { return []byte(`{"lastClickedImage":"https://img/1.jpg"}`) },
	}}})
	screen := cloudDevice(t, h, "Room215Screen", certs["Room215Screen"], device.Options{Actions: []device.Action{{Name: "display", RequestTopic: "Room215Screen/display"}}})
	motion := cloudDevice(t, h, "Room215Motion", certs["Room215Motion"], device.Options{Events: []device.Event{{Name: "StateChanged", Topic: "Room215Motion/motion"}}})
	if err := motion.Emit(ctx, "StateChanged", []byte(`{"isMotionDetected":true}`)); err != nil {
		t.Fatal(err)
	}
	var exID string
	deadline := time.Now().Add(10 * time.Second)
	for exID == "" {
		out, err := tg.SearchFlowExecutions(&iotthingsgraph.SearchFlowExecutionsInput{SystemInstanceId: awsv1.String(room215)})
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range out.Summaries {
			if awsv1.StringValue(s.Status) == "SUCCEEDED" {
				exID = awsv1.StringValue(s.FlowExecutionId)
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no SUCCEEDED execution through SearchFlowExecutions; have %v", out.Summaries)
		}
		time.Sleep(20 * time.Millisecond)
	}
	msgs, err := tg.ListFlowExecutionMessages(&iotthingsgraph.ListFlowExecutionMessagesInput{FlowExecutionId: awsv1.String(exID)})
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, m := range msgs.Messages {
		types = append(types, awsv1.StringValue(m.EventType))
	}
	for _, want := range []string{"EXECUTION_STARTED", "THING_ACTION_TASK", "THING_ACTION_TASK_SUCCEEDED", "EXECUTION_SUCCEEDED"} {
		if !slices.Contains(types, want) {
			t.Errorf("execution messages %v lack %s", types, want)
		}
	}
	if got := screen.Received(); len(got) != 1 || !strings.Contains(string(got[0].Payload), "https://img/1.jpg") {
		t.Errorf("screen received %v", got)
	}

	// /metrics shows the cloud runtime and the data plane.
	resp, err := http.Get(h.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		`tgsim_flow_executions_total{flow_configuration="` + room215 + `",status="SUCCEEDED"} 1`,
		`tgsim_flow_step_duration_seconds_count{flow_configuration="` + room215 + `"} 2`,
		`tgsim_flow_step_duration_seconds_bucket{flow_configuration="` + room215 + `",le="+Inf"} 2`,
		"# TYPE tgsim_flow_step_duration_seconds histogram",
		"tgsim_iot_connections 3",
		"tgsim_iot_rules_matched_total 2",
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}

	if _, err := tg.UndeploySystemInstance(&iotthingsgraph.UndeploySystemInstanceInput{Id: awsv1.String(room215)}); err != nil {
		t.Fatal(err)
	}
	if seen := statuses(t, tg, room215, "UNDEPLOY_IN_PROGRESS"); seen[len(seen)-1] != "DELETED_IN_TARGET" {
		t.Errorf("statuses after undeploy = %v", seen)
	}
	if rt := h.CloudRuntime(room215); rt != nil {
		t.Error("the cloud runtime still runs after undeploy")
	}
	rules, err = iotc.ListTopicRules(ctx, &iot.ListTopicRulesInput{})
	if err != nil {
		t.Fatal(err)
	}
	groups, err := iotc.ListThingGroups(ctx, &iot.ListThingGroupsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rules.Rules) != 0 || len(groups.ThingGroups) != 0 {
		t.Errorf("after undeploy: %d rules, %d thing groups, want none", len(rules.Rules), len(groups.ThingGroups))
	}
}

// TestCloudDeploymentSurvivesRestart: with a data directory, a deployed
// CLOUD flow configuration runs again after tgsim restarts, and devices
// trust the data plane with the CA they had.
func TestCloudDeploymentSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	h, err := harness.Start(harness.Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	tg, certs, _ := cloudWorld(t, h)
	if _, err := tg.DeploySystemInstance(&iotthingsgraph.DeploySystemInstanceInput{Id: awsv1.String(room215)}); err != nil {
		t.Fatal(err)
	}
	statuses(t, tg, room215, "BOOTSTRAP", "DEPLOY_IN_PROGRESS")
	caBefore := string(h.IoTDataCAPEM())
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}

	h2, err := harness.Start(harness.Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h2.Close() })
	if string(h2.IoTDataCAPEM()) != caBefore {
		t.Error("the data plane's CA changed across the restart")
	}
	rt := h2.CloudRuntime(room215)
	if rt == nil {
		t.Fatal("no cloud runtime after the restart")
	}
	cloudDevice(t, h2, "Room215Camera", certs["Room215Camera"], device.Options{Actions: []device.Action{{
		Name: "capture", RequestTopic: "Room215Camera/capture", ResponseTopic: "Room215Camera/capture/finished",
		Respond: func(int, []byte) []byte { return []byte(`{"lastClickedImage":"x"}`) },
	}}})
	cloudDevice(t, h2, "Room215Screen", certs["Room215Screen"], device.Options{Actions: []device.Action{{Name: "display", RequestTopic: "Room215Screen/display"}}})
	motion := cloudDevice(t, h2, "Room215Motion", certs["Room215Motion"], device.Options{Events: []device.Event{{Name: "StateChanged", Topic: "Room215Motion/motion"}}})
	if err := motion.Emit(context.Background(), "StateChanged", []byte(`{"isMotionDetected":true}`)); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := rt.WaitExecutions(ctx, func(ex []flow.Execution) bool { return len(ex) == 1 && ex[0].Status == "SUCCEEDED" }); err != nil {
		t.Fatalf("execution after restart: %v (%+v)", err, rt.Executions())
	}
}
