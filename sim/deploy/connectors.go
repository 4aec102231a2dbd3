package deploy

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/greengrass"
	ggtypes "github.com/aws/aws-sdk-go-v2/service/greengrass/types"

	"github.com/tgsim/tgsim/sim/flow"
)

// What Things Graph adds to a group besides devices, its function and
// subscriptions: the runtime's storage (a local volume resource) and, for
// flows with Modbus devices, the Modbus-RTU Protocol Adapter connector.
// These are the resource and connector definitions of spec §4.3 steps 3
// and 5: read to merge with, written only when Things Graph's entries are
// missing or different.
const (
	// StorageResourceID is the local volume the runtime keeps
	// ThingsGraph.db and its engine state in: /thingsgraph inside the
	// function [DOC ug:iot-tg-greengrass], /greengrass/thingsgraph on the
	// core. [INF] the guide names the directory, not the resource.
	StorageResourceID = "tg-storage"
	// ModbusAdapterConnectorID is the adapter connector Things Graph adds
	// when a group has none.
	ModbusAdapterConnectorID = "tg-modbus-adapter"
	// The adapter's topics [DOC ug:iot-tg-greengrass: logged Modbus
	// exchange].
	ModbusRequestTopic  = "modbus/adapter/request"
	ModbusResponseTopic = "modbus/adapter/response"
)

// ModbusAdapterARN is version 1 of the Modbus-RTU Protocol Adapter
// connector, the version Things Graph requires [DOC
// ug:iot-tg-protocols-modbus].
func ModbusAdapterARN(region string) string {
	return "arn:aws:greengrass:" + region + "::/connectors/ModbusRTUProtocolAdapter/versions/1"
}

func storageResource() ggtypes.Resource {
	return ggtypes.Resource{
		Id: aws.String(StorageResourceID), Name: aws.String("ThingsGraphStorage"),
		ResourceDataContainer: &ggtypes.ResourceDataContainer{LocalVolumeResourceData: &ggtypes.LocalVolumeResourceData{
			SourcePath: aws.String("/greengrass/thingsgraph"), DestinationPath: aws.String("/thingsgraph"),
			GroupOwnerSetting: &ggtypes.GroupOwnerSetting{AutoAddGroupOwner: aws.Bool(true)},
		}},
	}
}

// mergeStorage adds or restores the runtime's storage resource; changed is
// false when the group already has it as Things Graph writes it.
func mergeStorage(res []ggtypes.Resource) (out []ggtypes.Resource, changed bool) {
	want := storageResource()
	for _, r := range res {
		if aws.ToString(r.Id) != StorageResourceID {
			out = append(out, r)
			continue
		}
		v := r.ResourceDataContainer
		if aws.ToString(r.Name) == aws.ToString(want.Name) && v != nil && v.LocalVolumeResourceData != nil &&
			aws.ToString(v.LocalVolumeResourceData.SourcePath) == "/greengrass/thingsgraph" &&
			aws.ToString(v.LocalVolumeResourceData.DestinationPath) == "/thingsgraph" {
			return res, false
		}
	}
	return append(out, want), true
}

// modbusThings lists the bound things whose device speaks Modbus.
func modbusThings(p *flow.Plan) []string {
	var out []string
	for thing, dev := range p.Devices {
		if dev.Protocol == "MODBUS" {
			out = append(out, thing)
		}
	}
	sort.Strings(out)
	return out
}

// mergeModbusAdapter makes sure the group has version 1 of the Modbus-RTU
// Protocol Adapter connector and returns its ARN. A group that has it is
// left alone; one with another version is refused (Things Graph needs
// v1); one without it gets it, configured with the group's serial port —
// the one local device resource under /dev/ — and a group with no such
// resource, or several, is refused with what to add.
func mergeModbusAdapter(conns []ggtypes.Connector, res []ggtypes.Resource, region string, things []string) (out []ggtypes.Connector, arn string, changed bool, err error) {
	v1 := ModbusAdapterARN(region)
	for _, c := range conns {
		a := aws.ToString(c.ConnectorArn)
		if a == v1 {
			return conns, v1, false, nil
		}
		if strings.Contains(a, "/connectors/ModbusRTUProtocolAdapter/versions/") {
			return nil, "", false, fmt.Errorf("Modbus devices %s need version 1 of the Modbus-RTU Protocol Adapter connector, and connector %s of the group is %s; replace it with %s",
				strings.Join(things, ", "), aws.ToString(c.Id), a, v1)
		}
	}
	var ports []ggtypes.Resource
	for _, r := range res {
		if c := r.ResourceDataContainer; c != nil && c.LocalDeviceResourceData != nil && strings.HasPrefix(aws.ToString(c.LocalDeviceResourceData.SourcePath), "/dev/") {
			ports = append(ports, r)
		}
	}
	switch len(ports) {
	case 0:
		return nil, "", false, fmt.Errorf("Modbus devices %s need the Modbus-RTU Protocol Adapter connector and the serial port it drives; the group has neither: add the serial port (e.g. /dev/ttyS0) as a local device resource, and deploy again",
			strings.Join(things, ", "))
	case 1:
	default:
		var ids []string
		for _, p := range ports {
			ids = append(ids, aws.ToString(p.Id)+" ("+aws.ToString(p.ResourceDataContainer.LocalDeviceResourceData.SourcePath)+")")
		}
		return nil, "", false, fmt.Errorf("Modbus devices %s need the Modbus-RTU Protocol Adapter connector; the group has several serial port resources (%s): add the connector (%s) naming the one to use, and deploy again",
			strings.Join(things, ", "), strings.Join(ids, ", "), v1)
	}
	port := ports[0]
	out = append(append(out, conns...), ggtypes.Connector{
		Id: aws.String(ModbusAdapterConnectorID), ConnectorArn: aws.String(v1),
		Parameters: map[string]string{
			"ModbusSerialPort-ResourceId": aws.ToString(port.Id),
			"ModbusSerialPort":            aws.ToString(port.ResourceDataContainer.LocalDeviceResourceData.SourcePath),
		},
	})
	return out, v1, true, nil
}

// modbusTopics are the runtime's two subscriptions with the adapter; the
// connector ARN stands where a thing name stands for device topics.
func modbusTopics(adapterArn string) []flow.TopicUse {
	return []flow.TopicUse{
		{Thing: adapterArn, Topic: ModbusRequestTopic, Direction: flow.FromRuntime, Why: "Modbus requests"},
		{Thing: adapterArn, Topic: ModbusResponseTopic, Direction: flow.ToRuntime, Why: "Modbus responses"},
	}
}

// usesModbusAdapter reports whether a Things Graph subscription still
// talks to the Modbus adapter.
func usesModbusAdapter(subs []ggtypes.Subscription) bool {
	for _, s := range subs {
		if strings.HasPrefix(aws.ToString(s.Id), "tg-") && (strings.Contains(aws.ToString(s.Source), "/connectors/ModbusRTUProtocolAdapter/") ||
			strings.Contains(aws.ToString(s.Target), "/connectors/ModbusRTUProtocolAdapter/")) {
			return true
		}
	}
	return false
}

func (d *Deployer) writeResources(ctx context.Context, current *string, res []ggtypes.Resource) (*string, error) {
	if arn := aws.ToString(current); arn != "" {
		id, _, err := versionIDs(arn, "resources")
		if err != nil {
			return nil, err
		}
		out, err := d.gg.CreateResourceDefinitionVersion(ctx, &greengrass.CreateResourceDefinitionVersionInput{ResourceDefinitionId: &id, Resources: res})
		if err != nil {
			return nil, call("greengrass:CreateResourceDefinitionVersion", err)
		}
		return out.Arn, nil
	}
	out, err := d.gg.CreateResourceDefinition(ctx, &greengrass.CreateResourceDefinitionInput{Name: aws.String("ThingsGraph"), InitialVersion: &ggtypes.ResourceDefinitionVersion{Resources: res}})
	if err != nil {
		return nil, call("greengrass:CreateResourceDefinition", err)
	}
	return out.LatestVersionArn, nil
}

func (d *Deployer) writeConnectors(ctx context.Context, current *string, conns []ggtypes.Connector) (*string, error) {
	if arn := aws.ToString(current); arn != "" {
		id, _, err := versionIDs(arn, "connectors")
		if err != nil {
			return nil, err
		}
		out, err := d.gg.CreateConnectorDefinitionVersion(ctx, &greengrass.CreateConnectorDefinitionVersionInput{ConnectorDefinitionId: &id, Connectors: conns})
		if err != nil {
			return nil, call("greengrass:CreateConnectorDefinitionVersion", err)
		}
		return out.Arn, nil
	}
	out, err := d.gg.CreateConnectorDefinition(ctx, &greengrass.CreateConnectorDefinitionInput{Name: aws.String("ThingsGraph"), InitialVersion: &ggtypes.ConnectorDefinitionVersion{Connectors: conns}})
	if err != nil {
		return nil, call("greengrass:CreateConnectorDefinition", err)
	}
	return out.LatestVersionArn, nil
}
