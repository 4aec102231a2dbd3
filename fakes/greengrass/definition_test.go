package greengrass_test

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	ggsdk "github.com/aws/aws-sdk-go-v2/service/greengrass"
	ggtypes "github.com/aws/aws-sdk-go-v2/service/greengrass/types"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/tgsim/tgsim/fakes/greengrass"
)

var ignoreSDKInternals = cmpopts.IgnoreUnexported(
	ggtypes.Core{}, ggtypes.Device{}, ggtypes.Function{}, ggtypes.FunctionConfiguration{},
	ggtypes.FunctionConfigurationEnvironment{}, ggtypes.FunctionExecutionConfig{}, ggtypes.FunctionRunAsConfig{},
	ggtypes.ResourceAccessPolicy{}, ggtypes.FunctionDefaultConfig{}, ggtypes.FunctionDefaultExecutionConfig{},
	ggtypes.Subscription{}, ggtypes.Resource{}, ggtypes.ResourceDataContainer{}, ggtypes.LocalDeviceResourceData{},
	ggtypes.LocalVolumeResourceData{}, ggtypes.GroupOwnerSetting{}, ggtypes.SecretsManagerSecretResourceData{},
	ggtypes.Connector{}, ggtypes.Logger{}, ggtypes.FunctionDefinitionVersion{},
)

// TestDefinitionRoundTrip creates a definition of every kind with an initial
// version, adds a second version, and reads both back: what goes in comes
// out member for member.
func TestDefinitionRoundTrip(t *testing.T) {
	ctx := context.Background()
	_, c := newServer(t, greengrass.Options{})

	tests := []struct {
		name string
		// create makes the definition with v1 and adds v2; it returns the
		// definition id and the two version ids.
		create func(t *testing.T) (id string, versions [2]string)
		// get reads one version's content as a comparable value.
		get  func(t *testing.T, id, version string) any
		want [2]any
	}{
		{
			name: "cores",
			create: func(t *testing.T) (string, [2]string) {
				out, err := c.CreateCoreDefinition(ctx, &ggsdk.CreateCoreDefinitionInput{InitialVersion: &ggtypes.CoreDefinitionVersion{Cores: coresV1}})
				if err != nil {
					t.Fatalf("CreateCoreDefinition: %v", err)
				}
				v2, err := c.CreateCoreDefinitionVersion(ctx, &ggsdk.CreateCoreDefinitionVersionInput{CoreDefinitionId: out.Id, Cores: coresV2})
				if err != nil {
					t.Fatalf("CreateCoreDefinitionVersion: %v", err)
				}
				return aws.ToString(out.Id), [2]string{aws.ToString(out.LatestVersion), aws.ToString(v2.Version)}
			},
			get: func(t *testing.T, id, v string) any {
				out, err := c.GetCoreDefinitionVersion(ctx, &ggsdk.GetCoreDefinitionVersionInput{CoreDefinitionId: &id, CoreDefinitionVersionId: &v})
				if err != nil {
					t.Fatalf("GetCoreDefinitionVersion: %v", err)
				}
				return out.Definition.Cores
			},
			want: [2]any{coresV1, coresV2},
		},
		{
			name: "devices",
			create: func(t *testing.T) (string, [2]string) {
				out, err := c.CreateDeviceDefinition(ctx, &ggsdk.CreateDeviceDefinitionInput{InitialVersion: &ggtypes.DeviceDefinitionVersion{Devices: devicesV1}})
				if err != nil {
					t.Fatalf("CreateDeviceDefinition: %v", err)
				}
				v2, err := c.CreateDeviceDefinitionVersion(ctx, &ggsdk.CreateDeviceDefinitionVersionInput{DeviceDefinitionId: out.Id})
				if err != nil {
					t.Fatalf("CreateDeviceDefinitionVersion: %v", err)
				}
				return aws.ToString(out.Id), [2]string{aws.ToString(out.LatestVersion), aws.ToString(v2.Version)}
			},
			get: func(t *testing.T, id, v string) any {
				out, err := c.GetDeviceDefinitionVersion(ctx, &ggsdk.GetDeviceDefinitionVersionInput{DeviceDefinitionId: &id, DeviceDefinitionVersionId: &v})
				if err != nil {
					t.Fatalf("GetDeviceDefinitionVersion: %v", err)
				}
				return out.Definition.Devices
			},
			want: [2]any{devicesV1, []ggtypes.Device(nil)},
		},
		{
			name: "functions",
			create: func(t *testing.T) (string, [2]string) {
				out, err := c.CreateFunctionDefinition(ctx, &ggsdk.CreateFunctionDefinitionInput{InitialVersion: &ggtypes.FunctionDefinitionVersion{Functions: functionsV1, DefaultConfig: defaultConfig}})
				if err != nil {
					t.Fatalf("CreateFunctionDefinition: %v", err)
				}
				v2, err := c.CreateFunctionDefinitionVersion(ctx, &ggsdk.CreateFunctionDefinitionVersionInput{FunctionDefinitionId: out.Id, Functions: functionsV1[:1]})
				if err != nil {
					t.Fatalf("CreateFunctionDefinitionVersion: %v", err)
				}
				return aws.ToString(out.Id), [2]string{aws.ToString(out.LatestVersion), aws.ToString(v2.Version)}
			},
			get: func(t *testing.T, id, v string) any {
				out, err := c.GetFunctionDefinitionVersion(ctx, &ggsdk.GetFunctionDefinitionVersionInput{FunctionDefinitionId: &id, FunctionDefinitionVersionId: &v})
				if err != nil {
					t.Fatalf("GetFunctionDefinitionVersion: %v", err)
				}
				return *out.Definition
			},
			want: [2]any{
				ggtypes.FunctionDefinitionVersion{Functions: functionsV1, DefaultConfig: defaultConfig},
				ggtypes.FunctionDefinitionVersion{Functions: functionsV1[:1]},
			},
		},
		{
			name: "subscriptions",
			create: func(t *testing.T) (string, [2]string) {
				out, err := c.CreateSubscriptionDefinition(ctx, &ggsdk.CreateSubscriptionDefinitionInput{InitialVersion: &ggtypes.SubscriptionDefinitionVersion{Subscriptions: subscriptionsV1}})
				if err != nil {
					t.Fatalf("CreateSubscriptionDefinition: %v", err)
				}
				v2, err := c.CreateSubscriptionDefinitionVersion(ctx, &ggsdk.CreateSubscriptionDefinitionVersionInput{SubscriptionDefinitionId: out.Id, Subscriptions: subscriptionsV1[1:]})
				if err != nil {
					t.Fatalf("CreateSubscriptionDefinitionVersion: %v", err)
				}
				return aws.ToString(out.Id), [2]string{aws.ToString(out.LatestVersion), aws.ToString(v2.Version)}
			},
			get: func(t *testing.T, id, v string) any {
				out, err := c.GetSubscriptionDefinitionVersion(ctx, &ggsdk.GetSubscriptionDefinitionVersionInput{SubscriptionDefinitionId: &id, SubscriptionDefinitionVersionId: &v})
				if err != nil {
					t.Fatalf("GetSubscriptionDefinitionVersion: %v", err)
				}
				return out.Definition.Subscriptions
			},
			want: [2]any{subscriptionsV1, subscriptionsV1[1:]},
		},
		{
			name: "resources",
			create: func(t *testing.T) (string, [2]string) {
				out, err := c.CreateResourceDefinition(ctx, &ggsdk.CreateResourceDefinitionInput{InitialVersion: &ggtypes.ResourceDefinitionVersion{Resources: resourcesV1}})
				if err != nil {
					t.Fatalf("CreateResourceDefinition: %v", err)
				}
				v2, err := c.CreateResourceDefinitionVersion(ctx, &ggsdk.CreateResourceDefinitionVersionInput{ResourceDefinitionId: out.Id, Resources: resourcesV1[:1]})
				if err != nil {
					t.Fatalf("CreateResourceDefinitionVersion: %v", err)
				}
				return aws.ToString(out.Id), [2]string{aws.ToString(out.LatestVersion), aws.ToString(v2.Version)}
			},
			get: func(t *testing.T, id, v string) any {
				out, err := c.GetResourceDefinitionVersion(ctx, &ggsdk.GetResourceDefinitionVersionInput{ResourceDefinitionId: &id, ResourceDefinitionVersionId: &v})
				if err != nil {
					t.Fatalf("GetResourceDefinitionVersion: %v", err)
				}
				return out.Definition.Resources
			},
			want: [2]any{resourcesV1, resourcesV1[:1]},
		},
		{
			name: "connectors",
			create: func(t *testing.T) (string, [2]string) {
				out, err := c.CreateConnectorDefinition(ctx, &ggsdk.CreateConnectorDefinitionInput{InitialVersion: &ggtypes.ConnectorDefinitionVersion{Connectors: connectorsV1}})
				if err != nil {
					t.Fatalf("CreateConnectorDefinition: %v", err)
				}
				v2, err := c.CreateConnectorDefinitionVersion(ctx, &ggsdk.CreateConnectorDefinitionVersionInput{ConnectorDefinitionId: out.Id, Connectors: connectorsV1})
				if err != nil {
					t.Fatalf("CreateConnectorDefinitionVersion: %v", err)
				}
				return aws.ToString(out.Id), [2]string{aws.ToString(out.LatestVersion), aws.ToString(v2.Version)}
			},
			get: func(t *testing.T, id, v string) any {
				out, err := c.GetConnectorDefinitionVersion(ctx, &ggsdk.GetConnectorDefinitionVersionInput{ConnectorDefinitionId: &id, ConnectorDefinitionVersionId: &v})
				if err != nil {
					t.Fatalf("GetConnectorDefinitionVersion: %v", err)
				}
				return out.Definition.Connectors
			},
			want: [2]any{connectorsV1, connectorsV1},
		},
		{
			name: "loggers",
			create: func(t *testing.T) (string, [2]string) {
				out, err := c.CreateLoggerDefinition(ctx, &ggsdk.CreateLoggerDefinitionInput{InitialVersion: &ggtypes.LoggerDefinitionVersion{Loggers: loggersV1}})
				if err != nil {
					t.Fatalf("CreateLoggerDefinition: %v", err)
				}
				v2, err := c.CreateLoggerDefinitionVersion(ctx, &ggsdk.CreateLoggerDefinitionVersionInput{LoggerDefinitionId: out.Id, Loggers: loggersV1[1:]})
				if err != nil {
					t.Fatalf("CreateLoggerDefinitionVersion: %v", err)
				}
				return aws.ToString(out.Id), [2]string{aws.ToString(out.LatestVersion), aws.ToString(v2.Version)}
			},
			get: func(t *testing.T, id, v string) any {
				out, err := c.GetLoggerDefinitionVersion(ctx, &ggsdk.GetLoggerDefinitionVersionInput{LoggerDefinitionId: &id, LoggerDefinitionVersionId: &v})
				if err != nil {
					t.Fatalf("GetLoggerDefinitionVersion: %v", err)
				}
				return out.Definition.Loggers
			},
			want: [2]any{loggersV1, loggersV1[1:]},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, versions := tt.create(t)
			for i, v := range versions {
				if diff := cmp.Diff(tt.want[i], tt.get(t, id, v), ignoreSDKInternals, cmpopts.EquateEmpty()); diff != "" {
					t.Errorf("version %d of %s (-want +got):\n%s", i+1, tt.name, diff)
				}
			}
		})
	}
}

// TestDefinitionContainer exercises the container operations on one kind;
// every kind shares the code.
func TestDefinitionContainer(t *testing.T) {
	ctx := context.Background()
	_, c := newServer(t, greengrass.Options{})

	d, err := c.CreateConnectorDefinition(ctx, &ggsdk.CreateConnectorDefinitionInput{Name: aws.String("c1"), Tags: map[string]string{"k": "v"}})
	if err != nil {
		t.Fatalf("CreateConnectorDefinition: %v", err)
	}
	if d.LatestVersion != nil {
		t.Errorf("CreateConnectorDefinition without InitialVersion: LatestVersion = %q, want none", aws.ToString(d.LatestVersion))
	}
	want := "arn:aws:greengrass:us-east-1:123456789012:/greengrass/definition/connectors/" + aws.ToString(d.Id)
	if aws.ToString(d.Arn) != want {
		t.Errorf("Arn = %q, want %q", aws.ToString(d.Arn), want)
	}
	if _, err := c.UpdateConnectorDefinition(ctx, &ggsdk.UpdateConnectorDefinitionInput{ConnectorDefinitionId: d.Id, Name: aws.String("c2")}); err != nil {
		t.Fatalf("UpdateConnectorDefinition: %v", err)
	}
	got, err := c.GetConnectorDefinition(ctx, &ggsdk.GetConnectorDefinitionInput{ConnectorDefinitionId: d.Id})
	if err != nil {
		t.Fatalf("GetConnectorDefinition: %v", err)
	}
	if aws.ToString(got.Name) != "c2" || got.Tags["k"] != "v" {
		t.Errorf("GetConnectorDefinition = name %q tags %v, want c2 and k=v", aws.ToString(got.Name), got.Tags)
	}
	list, err := c.ListConnectorDefinitions(ctx, &ggsdk.ListConnectorDefinitionsInput{})
	if err != nil || len(list.Definitions) != 1 {
		t.Fatalf("ListConnectorDefinitions = %v, %v; want one", list, err)
	}
	// Definitions of other kinds are separate.
	if other, err := c.ListLoggerDefinitions(ctx, &ggsdk.ListLoggerDefinitionsInput{}); err != nil || len(other.Definitions) != 0 {
		t.Errorf("ListLoggerDefinitions = %v, %v; want none", other, err)
	}
	if _, err := c.GetLoggerDefinition(ctx, &ggsdk.GetLoggerDefinitionInput{LoggerDefinitionId: d.Id}); errorCode(err) != greengrass.CodeIDNotFound {
		t.Errorf("GetLoggerDefinition(connector id): %v, want %s", err, greengrass.CodeIDNotFound)
	}
	vs, err := c.ListConnectorDefinitionVersions(ctx, &ggsdk.ListConnectorDefinitionVersionsInput{ConnectorDefinitionId: d.Id})
	if err != nil || len(vs.Versions) != 0 {
		t.Errorf("ListConnectorDefinitionVersions = %v, %v; want none", vs, err)
	}
	if _, err := c.GetConnectorDefinitionVersion(ctx, &ggsdk.GetConnectorDefinitionVersionInput{ConnectorDefinitionId: d.Id, ConnectorDefinitionVersionId: aws.String("nope")}); errorCode(err) != greengrass.CodeVersionNotFound {
		t.Errorf("GetConnectorDefinitionVersion(unknown): %v, want %s", err, greengrass.CodeVersionNotFound)
	}
	if _, err := c.DeleteConnectorDefinition(ctx, &ggsdk.DeleteConnectorDefinitionInput{ConnectorDefinitionId: d.Id}); err != nil {
		t.Fatalf("DeleteConnectorDefinition: %v", err)
	}
	if _, err := c.DeleteConnectorDefinition(ctx, &ggsdk.DeleteConnectorDefinitionInput{ConnectorDefinitionId: d.Id}); errorCode(err) != greengrass.CodeIDNotFound {
		t.Errorf("DeleteConnectorDefinition twice: %v, want %s", err, greengrass.CodeIDNotFound)
	}
	if _, err := c.CreateConnectorDefinitionVersion(ctx, &ggsdk.CreateConnectorDefinitionVersionInput{ConnectorDefinitionId: d.Id}); errorCode(err) != greengrass.CodeIDNotFound {
		t.Errorf("CreateConnectorDefinitionVersion after delete: %v, want %s", err, greengrass.CodeIDNotFound)
	}
}

// TestDefinitionValidation sends entries the SDK accepts but AWS refuses.
func TestDefinitionValidation(t *testing.T) {
	ctx := context.Background()
	srv, c := newServer(t, greengrass.Options{})
	thing := aws.String("arn:aws:iot:us-east-1:123456789012:thing/t1")
	cert := aws.String(certArn)

	tests := []struct {
		name string
		call func() error
	}{
		{"two cores", func() error {
			_, err := c.CreateCoreDefinition(ctx, &ggsdk.CreateCoreDefinitionInput{InitialVersion: &ggtypes.CoreDefinitionVersion{Cores: []ggtypes.Core{
				{Id: aws.String("a"), ThingArn: thing, CertificateArn: cert}, {Id: aws.String("b"), ThingArn: thing, CertificateArn: cert},
			}}})
			return err
		}},
		{"device thing ARN is a certificate", func() error {
			_, err := c.CreateDeviceDefinition(ctx, &ggsdk.CreateDeviceDefinitionInput{InitialVersion: &ggtypes.DeviceDefinitionVersion{Devices: []ggtypes.Device{
				{Id: aws.String("a"), ThingArn: cert, CertificateArn: cert},
			}}})
			return err
		}},
		{"duplicate device ids", func() error {
			_, err := c.CreateDeviceDefinition(ctx, &ggsdk.CreateDeviceDefinitionInput{InitialVersion: &ggtypes.DeviceDefinitionVersion{Devices: []ggtypes.Device{
				{Id: aws.String("a"), ThingArn: thing, CertificateArn: cert}, {Id: aws.String("a"), ThingArn: thing, CertificateArn: cert},
			}}})
			return err
		}},
		{"entry id with a space", func() error {
			_, err := c.CreateDeviceDefinition(ctx, &ggsdk.CreateDeviceDefinitionInput{InitialVersion: &ggtypes.DeviceDefinitionVersion{Devices: []ggtypes.Device{
				{Id: aws.String("a b"), ThingArn: thing, CertificateArn: cert},
			}}})
			return err
		}},
		{"function at $LATEST", func() error {
			_, err := c.CreateFunctionDefinition(ctx, &ggsdk.CreateFunctionDefinitionInput{InitialVersion: &ggtypes.FunctionDefinitionVersion{Functions: []ggtypes.Function{
				{Id: aws.String("f"), FunctionArn: aws.String("arn:aws:lambda:us-east-1:123456789012:function:f:$LATEST")},
			}}})
			return err
		}},
		{"function encoding type", func() error {
			_, err := c.CreateFunctionDefinition(ctx, &ggsdk.CreateFunctionDefinitionInput{InitialVersion: &ggtypes.FunctionDefinitionVersion{Functions: []ggtypes.Function{
				{Id: aws.String("f"), FunctionArn: aws.String(lambdaTG), FunctionConfiguration: &ggtypes.FunctionConfiguration{EncodingType: "xml"}},
			}}})
			return err
		}},
		{"subscription target is an S3 ARN", func() error {
			_, err := c.CreateSubscriptionDefinition(ctx, &ggsdk.CreateSubscriptionDefinitionInput{InitialVersion: &ggtypes.SubscriptionDefinitionVersion{Subscriptions: []ggtypes.Subscription{
				{Id: aws.String("s"), Source: aws.String("cloud"), Subject: aws.String("t"), Target: aws.String("arn:aws:s3:::bucket")},
			}}})
			return err
		}},
		{"subscription subject with a misplaced #", func() error {
			_, err := c.CreateSubscriptionDefinitionVersion(ctx, &ggsdk.CreateSubscriptionDefinitionVersionInput{SubscriptionDefinitionId: aws.String("any"), Subscriptions: []ggtypes.Subscription{
				{Id: aws.String("s"), Source: aws.String("cloud"), Subject: aws.String("a/#/b"), Target: aws.String(lambdaTG)},
			}})
			return err
		}},
		{"device resource outside /dev", func() error {
			_, err := c.CreateResourceDefinition(ctx, &ggsdk.CreateResourceDefinitionInput{InitialVersion: &ggtypes.ResourceDefinitionVersion{Resources: []ggtypes.Resource{
				{Id: aws.String("r"), Name: aws.String("serial"), ResourceDataContainer: &ggtypes.ResourceDataContainer{
					LocalDeviceResourceData: &ggtypes.LocalDeviceResourceData{SourcePath: aws.String("/tmp/ttyS0")},
				}},
			}}})
			return err
		}},
		{"volume resource under /sys", func() error {
			_, err := c.CreateResourceDefinition(ctx, &ggsdk.CreateResourceDefinitionInput{InitialVersion: &ggtypes.ResourceDefinitionVersion{Resources: []ggtypes.Resource{
				{Id: aws.String("r"), Name: aws.String("sys"), ResourceDataContainer: &ggtypes.ResourceDataContainer{
					LocalVolumeResourceData: &ggtypes.LocalVolumeResourceData{SourcePath: aws.String("/sys/class"), DestinationPath: aws.String("/sys")},
				}},
			}}})
			return err
		}},
		{"resource with two kinds of data", func() error {
			_, err := c.CreateResourceDefinition(ctx, &ggsdk.CreateResourceDefinitionInput{InitialVersion: &ggtypes.ResourceDefinitionVersion{Resources: []ggtypes.Resource{
				{Id: aws.String("r"), Name: aws.String("two"), ResourceDataContainer: &ggtypes.ResourceDataContainer{
					LocalDeviceResourceData:          &ggtypes.LocalDeviceResourceData{SourcePath: aws.String("/dev/ttyS0")},
					SecretsManagerSecretResourceData: &ggtypes.SecretsManagerSecretResourceData{ARN: aws.String("arn:aws:secretsmanager:us-east-1:123456789012:secret:s")},
				}},
			}}})
			return err
		}},
		{"connector ARN is a Lambda", func() error {
			_, err := c.CreateConnectorDefinition(ctx, &ggsdk.CreateConnectorDefinitionInput{InitialVersion: &ggtypes.ConnectorDefinitionVersion{Connectors: []ggtypes.Connector{
				{Id: aws.String("c"), ConnectorArn: aws.String(lambdaTG)},
			}}})
			return err
		}},
		{"logger level", func() error {
			_, err := c.CreateLoggerDefinition(ctx, &ggsdk.CreateLoggerDefinitionInput{InitialVersion: &ggtypes.LoggerDefinitionVersion{Loggers: []ggtypes.Logger{
				{Id: aws.String("l"), Component: ggtypes.LoggerComponentLambda, Level: "TRACE", Type: ggtypes.LoggerTypeFileSystem},
			}}})
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			var bre *ggtypes.BadRequestException
			if !errors.As(err, &bre) {
				t.Fatalf("error = %v, want *types.BadRequestException", err)
			}
		})
	}
	// Nothing refused was stored.
	for _, k := range greengrass.Kinds {
		ds, err := srv.Backend().ListDefinitions(ctx, k)
		if err != nil || len(ds) != 0 {
			t.Errorf("after refused creates, ListDefinitions(%s) = %d, %v; want none", k, len(ds), err)
		}
	}
}

var (
	coresV1 = []ggtypes.Core{{Id: aws.String("core"), ThingArn: aws.String(thingArn), CertificateArn: aws.String(certArn), SyncShadow: aws.Bool(false)}}
	coresV2 = []ggtypes.Core{{Id: aws.String("core2"), ThingArn: aws.String("arn:aws:iot:us-east-1:123456789012:thing/core-2"), CertificateArn: aws.String(certArn)}}

	devicesV1 = []ggtypes.Device{
		{Id: aws.String("cam"), ThingArn: aws.String("arn:aws:iot:us-east-1:123456789012:thing/cam"), CertificateArn: aws.String(certArn), SyncShadow: aws.Bool(true)},
		{Id: aws.String("screen"), ThingArn: aws.String("arn:aws:iot:us-east-1:123456789012:thing/screen"), CertificateArn: aws.String(certArn)},
	}

	functionsV1 = []ggtypes.Function{
		{
			Id: aws.String("tg"), FunctionArn: aws.String(lambdaTG),
			FunctionConfiguration: &ggtypes.FunctionConfiguration{
				EncodingType: ggtypes.EncodingTypeBinary, Executable: aws.String("index.handler"), ExecArgs: aws.String("-v"),
				MemorySize: aws.Int32(16384), Pinned: aws.Bool(true), Timeout: aws.Int32(3),
				Environment: &ggtypes.FunctionConfigurationEnvironment{
					AccessSysfs: aws.Bool(false),
					Execution: &ggtypes.FunctionExecutionConfig{
						IsolationMode: ggtypes.FunctionIsolationModeNoContainer,
						RunAs:         &ggtypes.FunctionRunAsConfig{Uid: aws.Int32(0), Gid: aws.Int32(0)},
					},
					ResourceAccessPolicies: []ggtypes.ResourceAccessPolicy{{ResourceId: aws.String("serial"), Permission: ggtypes.PermissionRw}},
					Variables:              map[string]string{"FLOW": "s3://bucket/flow-f.tar.gz"},
				},
			},
		},
		{Id: aws.String("detector"), FunctionArn: aws.String("arn:aws:lambda:::function:GGIPDetector:1")},
	}
	defaultConfig = &ggtypes.FunctionDefaultConfig{Execution: &ggtypes.FunctionDefaultExecutionConfig{IsolationMode: ggtypes.FunctionIsolationModeGreengrassContainer}}

	subscriptionsV1 = []ggtypes.Subscription{
		{Id: aws.String("cam-event"), Source: aws.String("arn:aws:iot:us-east-1:123456789012:thing/cam"), Subject: aws.String("cam/motion"), Target: aws.String(lambdaTG)},
		{Id: aws.String("screen-action"), Source: aws.String(lambdaTG), Subject: aws.String("screen/display"), Target: aws.String("arn:aws:iot:us-east-1:123456789012:thing/screen")},
		{Id: aws.String("to-cloud"), Source: aws.String(lambdaTG), Subject: aws.String("tg/#"), Target: aws.String("cloud")},
		{Id: aws.String("shadow"), Source: aws.String("GGShadowService"), Subject: aws.String("$aws/things/+/shadow/#"), Target: aws.String("arn:aws:greengrass:us-east-1::/connectors/ModbusRTUProtocolAdapter/versions/3")},
	}

	resourcesV1 = []ggtypes.Resource{
		{Id: aws.String("serial"), Name: aws.String("serial"), ResourceDataContainer: &ggtypes.ResourceDataContainer{
			LocalDeviceResourceData: &ggtypes.LocalDeviceResourceData{SourcePath: aws.String("/dev/ttyS0"), GroupOwnerSetting: &ggtypes.GroupOwnerSetting{AutoAddGroupOwner: aws.Bool(true)}},
		}},
		{Id: aws.String("tgdir"), Name: aws.String("thingsgraph"), ResourceDataContainer: &ggtypes.ResourceDataContainer{
			LocalVolumeResourceData: &ggtypes.LocalVolumeResourceData{SourcePath: aws.String("/thingsgraph"), DestinationPath: aws.String("/thingsgraph"), GroupOwnerSetting: &ggtypes.GroupOwnerSetting{GroupOwner: aws.String("ggc_group")}},
		}},
	}

	connectorsV1 = []ggtypes.Connector{{
		Id: aws.String("modbus"), ConnectorArn: aws.String("arn:aws:greengrass:us-east-1::/connectors/ModbusRTUProtocolAdapter/versions/3"),
		Parameters: map[string]string{"ModbusSerialPort": "/dev/ttyS0", "ModbusSerialPort-ResourceId": "serial"},
	}}

	loggersV1 = []ggtypes.Logger{
		{Id: aws.String("sys"), Component: ggtypes.LoggerComponentGreengrassSystem, Level: ggtypes.LoggerLevelInfo, Type: ggtypes.LoggerTypeFileSystem, Space: aws.Int32(5120)},
		{Id: aws.String("fn"), Component: ggtypes.LoggerComponentLambda, Level: ggtypes.LoggerLevelDebug, Type: ggtypes.LoggerTypeAWSCloudWatch},
	}
)
