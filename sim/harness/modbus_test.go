package harness_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/greengrass"
	ggtypes "github.com/aws/aws-sdk-go-v2/service/greengrass/types"
	"github.com/aws/aws-sdk-go-v2/service/iot"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	awsv1 "github.com/aws/aws-sdk-go/aws"
	"github.com/aws/aws-sdk-go/service/iotthingsgraph"

	"github.com/tgsim/tgsim/sim/flow"
	"github.com/tgsim/tgsim/sim/harness"
)

// TestModbusFlowEndToEnd: a flow configuration binding a Modbus device is
// deployed through Things Graph to a running core. The deploy adds the
// adapter connector (with the group's serial port), the core hosts the
// simulated adapter, and a timer trigger runs the flow: it reads the
// unit's holding register 0 and writes the value to register 4.
func TestModbusFlowEndToEnd(t *testing.T) {
	ctx := context.Background()
	h, err := harness.Start(harness.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	ep := aws.String(h.URL)
	iotc := iot.NewFromConfig(h.AWS, func(o *iot.Options) { o.BaseEndpoint = ep })
	gg := greengrass.NewFromConfig(h.AWS, func(o *greengrass.Options) { o.BaseEndpoint = ep })
	s3c := s3.NewFromConfig(h.AWS, func(o *s3.Options) { o.BaseEndpoint = ep; o.UsePathStyle = true })
	tg := thingsGraphClient(t, h)
	doc := func(name string) *iotthingsgraph.DefinitionDocument {
		b, err := os.ReadFile("testdata/modbus/" + name)
		if err != nil {
			t.Fatal(err)
		}
		return &iotthingsgraph.DefinitionDocument{Language: awsv1.String("GRAPHQL"), Text: awsv1.String(string(b))}
	}

	if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("plant-flows")}); err != nil {
		t.Fatal(err)
	}
	core := newThing(t, ctx, iotc, "plant_Core")
	newThing(t, ctx, iotc, "Pump1") // a Modbus device still needs a thing with a certificate
	cd, err := gg.CreateCoreDefinition(ctx, &greengrass.CreateCoreDefinitionInput{InitialVersion: &ggtypes.CoreDefinitionVersion{Cores: []ggtypes.Core{
		{Id: aws.String("core"), ThingArn: aws.String(core.arn), CertificateArn: aws.String(core.certArn)}}}})
	if err != nil {
		t.Fatal(err)
	}
	rd, err := gg.CreateResourceDefinition(ctx, &greengrass.CreateResourceDefinitionInput{InitialVersion: &ggtypes.ResourceDefinitionVersion{Resources: []ggtypes.Resource{{
		Id: aws.String("serial"), Name: aws.String("ModbusPort"),
		ResourceDataContainer: &ggtypes.ResourceDataContainer{LocalDeviceResourceData: &ggtypes.LocalDeviceResourceData{SourcePath: aws.String("/dev/ttyS0")}},
	}}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := gg.CreateGroup(ctx, &greengrass.CreateGroupInput{Name: aws.String("plant"), InitialVersion: &ggtypes.GroupVersion{
		CoreDefinitionVersionArn: cd.LatestVersionArn, ResourceDefinitionVersionArn: rd.LatestVersionArn}}); err != nil {
		t.Fatal(err)
	}
	rc, err := h.StartCore("plant", "")
	if err != nil {
		t.Fatal(err)
	}
	rc.SetModbusRegister(3, 0, 0xfff6) // the pump reports level -10

	if _, err := tg.UploadEntityDefinitions(&iotthingsgraph.UploadEntityDefinitionsInput{Document: doc("pump.graphql")}); err != nil {
		t.Fatal(err)
	}
	if _, err := tg.AssociateEntityToThing(&iotthingsgraph.AssociateEntityToThingInput{ThingName: awsv1.String("Pump1"),
		EntityId: awsv1.String("urn:tdm:us-east-1/000000000000/default:device:ModbusPump")}); err != nil {
		t.Fatal(err)
	}
	if _, err := tg.CreateFlowTemplate(&iotthingsgraph.CreateFlowTemplateInput{Definition: doc("mirror.graphql")}); err != nil {
		t.Fatal(err)
	}
	if _, err := tg.CreateSystemTemplate(&iotthingsgraph.CreateSystemTemplateInput{Definition: doc("system.graphql")}); err != nil {
		t.Fatal(err)
	}
	inst, err := tg.CreateSystemInstance(&iotthingsgraph.CreateSystemInstanceInput{Definition: doc("pumps.graphql"), Target: awsv1.String("GREENGRASS"),
		GreengrassGroupName: awsv1.String("plant"), S3BucketName: awsv1.String("plant-flows")})
	if err != nil {
		t.Fatal(err)
	}
	dep, err := tg.DeploySystemInstance(&iotthingsgraph.DeploySystemInstanceInput{Id: inst.Summary.Id})
	if err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if res, err := rc.WaitDeployment(wctx, awsv1.StringValue(dep.GreengrassDeploymentId)); err != nil || res.Status != "Success" {
		t.Fatalf("deployment = %+v, %v", res, err)
	}
	rt := rc.Runtime()
	if rt == nil {
		t.Fatal("no Things Graph runtime on the core")
	}
	if err := rt.WaitExecutions(wctx, func(ex []flow.Execution) bool {
		for _, e := range ex {
			if e.Status != flow.StatusRunning {
				return true
			}
		}
		return false
	}); err != nil {
		t.Fatalf("no execution ended: %v", err)
	}
	ex := rt.Executions()[0]
	if ex.Status != flow.StatusSucceeded {
		t.Fatalf("execution %s: %s", ex.Status, ex.Messages[len(ex.Messages)-1].Payload)
	}
	if got := rc.ModbusRegister(3, 4); got != 0xfff6 {
		t.Errorf("register 4 = %#x, want the level read from register 0 (0xfff6)", got)
	}
}
