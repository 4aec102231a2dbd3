package thingsgraph_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/greengrass"
	ggtypes "github.com/aws/aws-sdk-go-v2/service/greengrass/types"
	"github.com/aws/aws-sdk-go-v2/service/iot"
	awsv1 "github.com/aws/aws-sdk-go/aws"
	tgsdk "github.com/aws/aws-sdk-go/service/iotthingsgraph"

	ggfake "github.com/tgsim/tgsim/fakes/greengrass"
)

// modbusLampDoc is the Lamp model on a Modbus coil.
var modbusLampDoc = `{
query ModbusLamp @device(id: "` + ns + `:device:ModbusLamp", deviceModel: "` + ns + `:deviceModel:Lamp") {
  Modbus(serverId: "1") {
    LampCap(id: "` + ns + `:capability:LampCap") {
      Action(name: "toggle") { Params WriteSingleCoil { Request(Address: 0) { params { param(name: "on", property: "urn:tdm:aws:property:Boolean", value: "true") } } } }
    }
  }
}
}`

func (w *world) groupResources(groupID string) []ggtypes.Resource {
	w.t.Helper()
	arn := aws.ToString(w.latestGroupVersion(groupID).ResourceDefinitionVersionArn)
	if arn == "" {
		return nil
	}
	id, vid := defIDs(w.t, arn, "resources")
	out, err := w.gg.GetResourceDefinitionVersion(context.Background(), &greengrass.GetResourceDefinitionVersionInput{ResourceDefinitionId: &id, ResourceDefinitionVersionId: &vid})
	if err != nil {
		w.t.Fatal(err)
	}
	return out.Definition.Resources
}

func (w *world) groupConnectors(groupID string) []ggtypes.Connector {
	w.t.Helper()
	arn := aws.ToString(w.latestGroupVersion(groupID).ConnectorDefinitionVersionArn)
	if arn == "" {
		return nil
	}
	id, vid := defIDs(w.t, arn, "connectors")
	out, err := w.gg.GetConnectorDefinitionVersion(context.Background(), &greengrass.GetConnectorDefinitionVersionInput{ConnectorDefinitionId: &id, ConnectorDefinitionVersionId: &vid})
	if err != nil {
		w.t.Fatal(err)
	}
	return out.Definition.Connectors
}

func ids[T any](list []T, id func(T) *string) []string {
	var out []string
	for _, x := range list {
		out = append(out, aws.ToString(id(x)))
	}
	slices.Sort(out)
	return out
}

// TestDeployModbus: a flow configuration that binds a Modbus device brings
// the Modbus-RTU Protocol Adapter connector (configured with the group's
// serial port) and the runtime's subscriptions with it; every deploy
// brings the runtime's storage resource. Undeploying the last
// configuration takes back what Things Graph added and keeps the user's
// serial port. These are the resource and connector reads and writes of
// spec §4.3.
func TestDeployModbus(t *testing.T) {
	w, groupID := lampWorld(t)
	ctx := context.Background()
	w.upload(modbusLampDoc)
	w.thing("Pump1")
	if _, err := w.tg.AssociateEntityToThingWithContext(ctx, &tgsdk.AssociateEntityToThingInput{ThingName: awsv1.String("Pump1"), EntityId: awsv1.String(ns + ":device:ModbusLamp")}); err != nil {
		t.Fatal(err)
	}
	id := w.instance("Pumps", "Pump1")

	// No serial port in the group: the deploy says what to add.
	_, err := w.tg.DeploySystemInstanceWithContext(ctx, &tgsdk.DeploySystemInstanceInput{Id: awsv1.String(id)})
	if code(err) != "InvalidRequestException" || !strings.Contains(err.Error(), "Modbus devices Pump1 need the Modbus-RTU Protocol Adapter connector") ||
		!strings.Contains(err.Error(), "add the serial port") {
		t.Fatalf("deploy without a serial port = %v", err)
	}

	// The user adds the serial port as a local device resource.
	rd, err := w.gg.CreateResourceDefinition(ctx, &greengrass.CreateResourceDefinitionInput{InitialVersion: &ggtypes.ResourceDefinitionVersion{Resources: []ggtypes.Resource{{
		Id: aws.String("serial"), Name: aws.String("ModbusPort"),
		ResourceDataContainer: &ggtypes.ResourceDataContainer{LocalDeviceResourceData: &ggtypes.LocalDeviceResourceData{SourcePath: aws.String("/dev/ttyS0")}},
	}}}})
	if err != nil {
		t.Fatal(err)
	}
	cur := w.latestGroupVersion(groupID)
	if _, err := w.gg.CreateGroupVersion(ctx, &greengrass.CreateGroupVersionInput{GroupId: &groupID, CoreDefinitionVersionArn: cur.CoreDefinitionVersionArn,
		ResourceDefinitionVersionArn: rd.LatestVersionArn}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.tg.DeploySystemInstanceWithContext(ctx, &tgsdk.DeploySystemInstanceInput{Id: awsv1.String(id)}); err != nil {
		t.Fatal(err)
	}
	if got := ids(w.groupResources(groupID), func(r ggtypes.Resource) *string { return r.Id }); !slices.Equal(got, []string{"serial", "tg-storage"}) {
		t.Errorf("resources = %v, want the serial port and tg-storage", got)
	}
	conns := w.groupConnectors(groupID)
	adapter := "arn:aws:greengrass:us-east-1::/connectors/ModbusRTUProtocolAdapter/versions/1"
	if len(conns) != 1 || aws.ToString(conns[0].ConnectorArn) != adapter ||
		conns[0].Parameters["ModbusSerialPort-ResourceId"] != "serial" || conns[0].Parameters["ModbusSerialPort"] != "/dev/ttyS0" {
		t.Errorf("connectors = %+v", conns)
	}
	var modbusSubs []string
	for _, s := range w.groupSubscriptions(groupID) {
		if aws.ToString(s.Source) == adapter || aws.ToString(s.Target) == adapter {
			modbusSubs = append(modbusSubs, aws.ToString(s.Subject))
		}
	}
	slices.Sort(modbusSubs)
	if !slices.Equal(modbusSubs, []string{"modbus/adapter/request", "modbus/adapter/response"}) {
		t.Errorf("subscriptions with the adapter = %v", modbusSubs)
	}
	fns := w.groupFunctions(groupID)
	if len(fns) != 1 || len(fns[0].FunctionConfiguration.Environment.ResourceAccessPolicies) != 1 ||
		aws.ToString(fns[0].FunctionConfiguration.Environment.ResourceAccessPolicies[0].ResourceId) != "tg-storage" {
		t.Errorf("runtime function = %+v", fns)
	}

	thingAttr := func() string {
		t.Helper()
		out, err := w.iot.DescribeThing(ctx, &iot.DescribeThingInput{ThingName: aws.String("Pump1")})
		if err != nil {
			t.Fatal(err)
		}
		return out.Attributes["thingsGraphFlowConfigurations"]
	}
	if got := thingAttr(); got != "Pumps" {
		t.Errorf("Pump1's thingsGraphFlowConfigurations = %q, want Pumps", got)
	}

	w.finishPending(groupID, ggfake.StatusSuccess)
	if st := w.status(id); st != "DEPLOYED_IN_TARGET" {
		t.Fatalf("status = %s", st)
	}
	if _, err := w.tg.UndeploySystemInstanceWithContext(ctx, &tgsdk.UndeploySystemInstanceInput{Id: awsv1.String(id)}); err != nil {
		t.Fatal(err)
	}
	if got := ids(w.groupResources(groupID), func(r ggtypes.Resource) *string { return r.Id }); !slices.Equal(got, []string{"serial"}) {
		t.Errorf("resources after undeploy = %v, want the serial port only", got)
	}
	if conns := w.groupConnectors(groupID); len(conns) != 0 {
		t.Errorf("connectors after undeploy = %+v, want none", conns)
	}
	if got := thingAttr(); got != "" {
		t.Errorf("Pump1's thingsGraphFlowConfigurations after undeploy = %q, want it gone", got)
	}
}
