package thingsgraph_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iot"
	awsv1 "github.com/aws/aws-sdk-go/aws"
	"github.com/aws/aws-sdk-go/aws/awserr"
	credsv1 "github.com/aws/aws-sdk-go/aws/credentials"
	"github.com/aws/aws-sdk-go/aws/session"
	tgsdk "github.com/aws/aws-sdk-go/service/iotthingsgraph"

	"github.com/tgsim/tgsim/sim/harness"
)

// newClient starts the whole harness (Things Graph calls IoT through the
// edge) and returns the official v1 Things Graph client pointed at it.
func newClient(t *testing.T) (*harness.Harness, *tgsdk.IoTThingsGraph) {
	t.Helper()
	h, err := harness.Start(harness.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	id, secret := h.Credentials()
	sess := session.Must(session.NewSession(&awsv1.Config{
		Region: awsv1.String(h.Region()), Endpoint: awsv1.String(h.URL),
		Credentials: credsv1.NewStaticCredentials(id, secret, ""),
		MaxRetries:  awsv1.Int(0),
		Logger:      awsv1.LoggerFunc(func(...any) {}),
	}))
	return h, tgsdk.New(sess)
}

func doc(text string) *tgsdk.DefinitionDocument {
	return &tgsdk.DefinitionDocument{Language: awsv1.String("GRAPHQL"), Text: awsv1.String(text)}
}

func code(err error) string {
	var ae awserr.Error
	if errors.As(err, &ae) {
		return ae.Code()
	}
	return ""
}

const ns = "urn:tdm:us-east-1/000000000000/default"

var lampDoc = `{
type LampState @stateType(id: "` + ns + `:state:LampState") {
  on: Boolean @property(id: "urn:tdm:aws:property:Boolean")
}
type Toggle @actionType(id: "` + ns + `:action:Toggle") {ignore:void}
type LampCap @capabilityType(id: "` + ns + `:capability:LampCap") {
  STATE: LampState @state(id: "` + ns + `:state:LampState")
  toggle: Toggle @action(id: "` + ns + `:action:Toggle")
}
type Lamp @deviceModel(id: "` + ns + `:deviceModel:Lamp", capability: "` + ns + `:capability:LampCap") {ignore:void}
query AcmeLamp @device(id: "` + ns + `:device:AcmeLamp", deviceModel: "` + ns + `:deviceModel:Lamp") {
  MQTT {
    LampCap(id: "` + ns + `:capability:LampCap") {
      Action(name: "toggle") { Publish { Request(topic: "$macro(${systemRuntime.deviceId}/toggle)") { params } } }
    }
  }
}
}`

func TestUploadEntityDefinitions(t *testing.T) {
	_, tg := newClient(t)
	ctx := context.Background()
	tests := []struct {
		name       string
		text       string
		wantCode   string // error code of the call itself
		wantMsg    string
		wantStatus string // upload status when the call succeeds
		wantReason string
	}{
		{name: "valid entities", text: lampDoc, wantStatus: "SUCCEEDED"},
		{name: "unclosed directive paren", text: "{\n type X @propertyType(id: \"" + ns + ":property:X\" {ignore:void}\n}", wantCode: "InvalidRequestException", wantMsg: "2:"},
		{name: "no outer braces", text: `type X @propertyType(id: "` + ns + `:property:X") {ignore:void}`, wantCode: "InvalidRequestException", wantMsg: "1:1"},
		{name: "curly quotes", text: "{ type X @propertyType(id: “" + ns + ":property:X”) {ignore:void} }", wantCode: "InvalidRequestException", wantMsg: "curly quote"},
		{name: "public namespace refused", text: `{ type X @propertyType(id: "urn:tdm:aws/examples:property:X", dataType: STRING) {ignore:void} }`,
			wantStatus: "FAILED", wantReason: "account namespace"},
		{name: "device missing an action", text: strings.Replace(lampDoc, `Action(name: "toggle")`, `Action(name: "flip")`, 1),
			wantStatus: "FAILED", wantReason: "toggle"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := tg.UploadEntityDefinitionsWithContext(ctx, &tgsdk.UploadEntityDefinitionsInput{Document: doc(tt.text)})
			if tt.wantCode != "" {
				if code(err) != tt.wantCode || !strings.Contains(err.Error(), tt.wantMsg) {
					t.Fatalf("UploadEntityDefinitions = %v, want %s containing %q", err, tt.wantCode, tt.wantMsg)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			st, err := tg.GetUploadStatusWithContext(ctx, &tgsdk.GetUploadStatusInput{UploadId: out.UploadId})
			if err != nil {
				t.Fatal(err)
			}
			if got := awsv1.StringValue(st.UploadStatus); got != tt.wantStatus {
				t.Fatalf("upload status = %s (%v), want %s", got, awsv1.StringValueSlice(st.FailureReason), tt.wantStatus)
			}
			if tt.wantReason != "" && !strings.Contains(strings.Join(awsv1.StringValueSlice(st.FailureReason), "\n"), tt.wantReason) {
				t.Errorf("failureReason = %v, want one containing %q", awsv1.StringValueSlice(st.FailureReason), tt.wantReason)
			}
			if tt.wantStatus == "SUCCEEDED" && awsv1.StringValue(st.NamespaceName) != "us-east-1/000000000000/default" {
				t.Errorf("namespaceName = %q, want us-east-1/000000000000/default", awsv1.StringValue(st.NamespaceName))
			}
		})
	}
	_, err := tg.GetUploadStatusWithContext(ctx, &tgsdk.GetUploadStatusInput{UploadId: awsv1.String("nope")})
	if code(err) != "ResourceNotFoundException" {
		t.Errorf("GetUploadStatus(nope) = %v, want ResourceNotFoundException", err)
	}
}

func TestTemplatesAndInstances(t *testing.T) {
	h, tg := newClient(t)
	ctx := context.Background()
	if _, err := tg.UploadEntityDefinitionsWithContext(ctx, &tgsdk.UploadEntityDefinitionsInput{Document: doc(lampDoc)}); err != nil {
		t.Fatal(err)
	}
	flow := `{ query Blink($lamp: String!) @workflowType(id: "` + ns + `:workflow:Blink") {
  steps { step(name: "T") { DeviceActivity(deviceModel: "` + ns + `:deviceModel:Lamp", deviceId: "${lamp}") { toggle } } } } }`
	if _, err := tg.CreateFlowTemplateWithContext(ctx, &tgsdk.CreateFlowTemplateInput{Definition: doc(flow)}); err != nil {
		t.Fatal(err)
	}
	_, err := tg.CreateFlowTemplateWithContext(ctx, &tgsdk.CreateFlowTemplateInput{Definition: doc(flow)})
	if code(err) != "ResourceAlreadyExistsException" {
		t.Errorf("second CreateFlowTemplate = %v, want ResourceAlreadyExistsException", err)
	}
	badFlow := strings.Replace(strings.Replace(flow, "Blink", "Blink2", 2), "{ toggle }", "{ explode }", 1)
	if _, err := tg.CreateFlowTemplateWithContext(ctx, &tgsdk.CreateFlowTemplateInput{Definition: doc(badFlow)}); code(err) != "InvalidRequestException" || !strings.Contains(err.Error(), "explode") {
		t.Errorf("CreateFlowTemplate with unknown action = %v, want InvalidRequestException naming explode", err)
	}
	sys := `{ type Home @systemType(id: "` + ns + `:system:Home") {
  lamp: Lamp @thing(id: "` + ns + `:deviceModel:Lamp")
  Blink: Blink @workflow(id: "` + ns + `:workflow:Blink") } }`
	if _, err := tg.CreateSystemTemplateWithContext(ctx, &tgsdk.CreateSystemTemplateInput{Definition: doc(sys)}); err != nil {
		t.Fatal(err)
	}
	dep := `{ query Home1 @deployment(id: "` + ns + `:deployment:Home1", systemId: "` + ns + `:system:Home") { lamp(deviceId: "Lamp1") } }`
	in := &tgsdk.CreateSystemInstanceInput{Definition: doc(dep), Target: awsv1.String("GREENGRASS"), GreengrassGroupName: awsv1.String("home"), S3BucketName: awsv1.String("b")}
	// The thing is not associated yet.
	if _, err := tg.CreateSystemInstanceWithContext(ctx, in); code(err) != "InvalidRequestException" || !strings.Contains(err.Error(), "AssociateEntityToThing") {
		t.Fatalf("CreateSystemInstance before association = %v, want InvalidRequestException telling to associate", err)
	}
	// Associating a thing that does not exist in IoT fails.
	assoc := &tgsdk.AssociateEntityToThingInput{ThingName: awsv1.String("Lamp1"), EntityId: awsv1.String(ns + ":device:AcmeLamp")}
	if _, err := tg.AssociateEntityToThingWithContext(ctx, assoc); code(err) != "ResourceNotFoundException" {
		t.Fatalf("AssociateEntityToThing with no thing = %v, want ResourceNotFoundException", err)
	}
	iotc := iot.NewFromConfig(h.AWS, func(o *iot.Options) { o.BaseEndpoint = aws.String(h.URL) })
	if _, err := iotc.CreateThing(ctx, &iot.CreateThingInput{ThingName: aws.String("Lamp1")}); err != nil {
		t.Fatal(err)
	}
	if _, err := tg.AssociateEntityToThingWithContext(ctx, assoc); err != nil {
		t.Fatal(err)
	}
	out, err := tg.CreateSystemInstanceWithContext(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if s := awsv1.StringValue(out.Summary.Status); s != "NOT_DEPLOYED" {
		t.Errorf("new instance status = %s, want NOT_DEPLOYED", s)
	}
	if a := awsv1.StringValue(out.Summary.Arn); a != "arn:aws:iotthingsgraph:us-east-1:000000000000:default#Deployment#Home1" {
		t.Errorf("instance arn = %s", a)
	}
	got, err := tg.GetSystemInstanceWithContext(ctx, &tgsdk.GetSystemInstanceInput{Id: out.Summary.Id})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(got.Description.ValidatedDependencyRevisions); n != 2 {
		t.Errorf("validatedDependencyRevisions has %d entries, want 2 (system and flow)", n)
	}
	// Deploying to a group that does not exist fails, names the problem, and marks FAILED.
	_, err = tg.DeploySystemInstanceWithContext(ctx, &tgsdk.DeploySystemInstanceInput{Id: out.Summary.Id})
	if code(err) != "InvalidRequestException" || !strings.Contains(err.Error(), `group "home" does not exist`) {
		t.Errorf("DeploySystemInstance to a missing group = %v, want InvalidRequestException naming the group", err)
	}
	got, err = tg.GetSystemInstanceWithContext(ctx, &tgsdk.GetSystemInstanceInput{Id: out.Summary.Id})
	if err != nil {
		t.Fatal(err)
	}
	if s := awsv1.StringValue(got.Description.Summary.Status); s != "FAILED" {
		t.Errorf("status after failed deploy = %s, want FAILED", s)
	}
	if _, err := tg.GetSystemInstanceWithContext(ctx, &tgsdk.GetSystemInstanceInput{Id: awsv1.String(ns + ":deployment:Nope")}); code(err) != "ResourceNotFoundException" {
		t.Errorf("GetSystemInstance(unknown) = %v, want ResourceNotFoundException", err)
	}
	if _, err := tg.DescribeNamespaceWithContext(ctx, &tgsdk.DescribeNamespaceInput{NamespaceName: awsv1.String("other")}); code(err) != "ResourceNotFoundException" {
		t.Errorf("DescribeNamespace(other) = %v, want ResourceNotFoundException", err)
	}
}
