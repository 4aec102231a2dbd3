package deploy

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	ggtypes "github.com/aws/aws-sdk-go-v2/service/greengrass/types"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/tgsim/tgsim/sim/flow"
)

const (
	fnArn     = "arn:aws:lambda:us-east-1:000000000000:function:ThingsGraphRuntime:1"
	cameraArn = "arn:aws:iot:us-east-1:000000000000:thing/Cam"
	sensorArn = "arn:aws:iot:us-east-1:000000000000:thing/Sen"
)

type sub struct{ ID, Source, Subject, Target string }

func subs(in []ggtypes.Subscription) []sub {
	var out []sub
	for _, s := range in {
		out = append(out, sub{aws.ToString(s.Id), aws.ToString(s.Source), aws.ToString(s.Subject), aws.ToString(s.Target)})
	}
	return out
}

func TestMergeSubscriptions(t *testing.T) {
	things := map[string]thingFacts{"Cam": {name: "Cam", arn: cameraArn}, "Sen": {name: "Sen", arn: sensorArn}}
	topics := []flow.TopicUse{
		{Thing: "Cam", Topic: "Cam/capture", Direction: flow.FromRuntime},
		{Thing: "Cam", Topic: "Cam/capture/finished", Direction: flow.ToRuntime},
		{Thing: "Sen", Topic: "Sen/motion", Direction: flow.ToRuntime},
	}
	userSub := ggtypes.Subscription{Id: aws.String("mine"), Source: aws.String(sensorArn), Subject: aws.String("Sen/#"), Target: aws.String("cloud")}
	tests := []struct {
		name     string
		existing []ggtypes.Subscription
		want     []sub
	}{
		{
			name: "empty group",
			want: []sub{
				{"tg-x-1", fnArn, "Cam/capture", cameraArn},
				{"tg-x-2", cameraArn, "Cam/capture/finished", fnArn},
				{"tg-x-3", sensorArn, "Sen/motion", fnArn},
			},
		},
		{
			name: "keeps the user's entries and replaces its own",
			existing: []ggtypes.Subscription{userSub,
				{Id: aws.String("tg-x-9"), Source: aws.String(sensorArn), Subject: aws.String("Sen/stale"), Target: aws.String(fnArn)}},
			want: []sub{
				{"mine", sensorArn, "Sen/#", "cloud"},
				{"tg-x-1", fnArn, "Cam/capture", cameraArn},
				{"tg-x-2", cameraArn, "Cam/capture/finished", fnArn},
				{"tg-x-3", sensorArn, "Sen/motion", fnArn},
			},
		},
		{
			name:     "keeps another flow configuration's entries",
			existing: []ggtypes.Subscription{{Id: aws.String("tg-y-1"), Source: aws.String(fnArn), Subject: aws.String("Other/a"), Target: aws.String(cameraArn)}},
			want: []sub{
				{"tg-y-1", fnArn, "Other/a", cameraArn},
				{"tg-x-1", fnArn, "Cam/capture", cameraArn},
				{"tg-x-2", cameraArn, "Cam/capture/finished", fnArn},
				{"tg-x-3", sensorArn, "Sen/motion", fnArn},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := subs(mergeSubscriptions(tt.existing, "tg-x-", fnArn, things, topics))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("mergeSubscriptions mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestMergeDevices(t *testing.T) {
	things := map[string]thingFacts{"Cam": {name: "Cam", arn: cameraArn, certArn: "cert/c"}, "Sen": {name: "Sen", arn: sensorArn, certArn: "cert/s"}}
	// The user already added the sensor by hand (the guide's getting
	// started does): it must not appear twice.
	existing := []ggtypes.Device{
		{Id: aws.String("by-hand"), ThingArn: aws.String(sensorArn), CertificateArn: aws.String("cert/s")},
		{Id: aws.String("tg-x-Old"), ThingArn: aws.String("arn:aws:iot:us-east-1:000000000000:thing/Old"), CertificateArn: aws.String("cert/o")},
	}
	got := mergeDevices(existing, "tg-x-", things)
	var ids []string
	for _, d := range got {
		ids = append(ids, aws.ToString(d.Id))
	}
	if diff := cmp.Diff([]string{"by-hand", "tg-x-Cam"}, ids); diff != "" {
		t.Errorf("mergeDevices ids mismatch (-want +got):\n%s", diff)
	}
}

func TestMergeRuntime(t *testing.T) {
	fns, first := mergeRuntime(nil, fnArn, "s3://b/flow-A.tar.gz")
	if !first || len(fns) != 1 {
		t.Fatalf("mergeRuntime(empty) = %d functions, first=%v; want 1, true", len(fns), first)
	}
	user := ggtypes.Function{Id: aws.String("user-fn"), FunctionArn: aws.String("arn:aws:lambda:us-east-1:000000000000:function:Mine:3")}
	fns, first = mergeRuntime(append([]ggtypes.Function{user}, fns...), fnArn, "s3://b/flow-B.tar.gz")
	if first {
		t.Error("second deployment reported as first")
	}
	if len(fns) != 2 || aws.ToString(fns[0].Id) != "user-fn" {
		t.Fatalf("mergeRuntime kept %d functions %v, want the user's and the runtime", len(fns), fns)
	}
	vars := fns[1].FunctionConfiguration.Environment.Variables
	if diff := cmp.Diff(map[string]string{ArtifactsVariable: "s3://b/flow-A.tar.gz,s3://b/flow-B.tar.gz"}, vars, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("runtime variables mismatch (-want +got):\n%s", diff)
	}
	if !aws.ToBool(fns[1].FunctionConfiguration.Pinned) {
		t.Error("the Things Graph runtime must be pinned (long-lived)")
	}
	// Redeploying the same artifact does not list it twice.
	fns, _ = mergeRuntime(fns, fnArn, "s3://b/flow-B.tar.gz")
	if v := fns[1].FunctionConfiguration.Environment.Variables[ArtifactsVariable]; v != "s3://b/flow-A.tar.gz,s3://b/flow-B.tar.gz" {
		t.Errorf("after redeploy %s = %q", ArtifactsVariable, v)
	}
}

func TestVersionIDs(t *testing.T) {
	tests := []struct {
		name, arn, kind, id, vid string
		wantErr                  bool
	}{
		{"device version", "arn:aws:greengrass:us-east-1:1:/greengrass/definition/devices/abc/versions/v1", "devices", "abc", "v1", false},
		{"wrong kind", "arn:aws:greengrass:us-east-1:1:/greengrass/definition/devices/abc/versions/v1", "functions", "", "", true},
		{"no version", "arn:aws:greengrass:us-east-1:1:/greengrass/definition/devices/abc", "devices", "", "", true},
		{"extra segment", "arn:aws:greengrass:us-east-1:1:/greengrass/definition/devices/abc/versions/v1/x", "devices", "", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, vid, err := versionIDs(tt.arn, tt.kind)
			if (err != nil) != tt.wantErr || id != tt.id || vid != tt.vid {
				t.Errorf("versionIDs(%q, %q) = %q, %q, %v; want %q, %q, error %v", tt.arn, tt.kind, id, vid, err, tt.id, tt.vid, tt.wantErr)
			}
		})
	}
}

func TestRemoveArtifact(t *testing.T) {
	user := ggtypes.Function{Id: aws.String("user-fn"), FunctionArn: aws.String("arn:aws:lambda:us-east-1:000000000000:function:Mine:3")}
	both, _ := mergeRuntime([]ggtypes.Function{user}, fnArn, "s3://b/flow-A.tar.gz")
	both, _ = mergeRuntime(both, fnArn, "s3://b/flow-B.tar.gz")
	tests := []struct {
		name        string
		in          []ggtypes.Function
		artifact    string
		wantIDs     []string
		wantVar     string
		wantChanged bool
		wantDropped bool
	}{
		{name: "one of two artifacts", in: both, artifact: "s3://b/flow-A.tar.gz", wantIDs: []string{"user-fn", "tg-runtime"}, wantVar: "s3://b/flow-B.tar.gz", wantChanged: true},
		{name: "unknown artifact", in: both, artifact: "s3://b/flow-C.tar.gz", wantIDs: []string{"user-fn", "tg-runtime"}, wantVar: "s3://b/flow-A.tar.gz,s3://b/flow-B.tar.gz"},
		{name: "no artifact", in: both, artifact: "", wantIDs: []string{"user-fn", "tg-runtime"}, wantVar: "s3://b/flow-A.tar.gz,s3://b/flow-B.tar.gz"},
	}
	last, _ := removeArtifactChain(both)
	tests = append(tests, struct {
		name        string
		in          []ggtypes.Function
		artifact    string
		wantIDs     []string
		wantVar     string
		wantChanged bool
		wantDropped bool
	}{name: "last artifact drops the runtime", in: last, artifact: "s3://b/flow-B.tar.gz", wantIDs: []string{"user-fn"}, wantChanged: true, wantDropped: true})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, changed, dropped := removeArtifact(tt.in, tt.artifact)
			var ids []string
			var v string
			for _, f := range got {
				ids = append(ids, aws.ToString(f.Id))
				if aws.ToString(f.Id) == "tg-runtime" {
					v = f.FunctionConfiguration.Environment.Variables[ArtifactsVariable]
					if !aws.ToBool(f.FunctionConfiguration.Pinned) {
						t.Error("runtime no longer pinned")
					}
				}
			}
			if diff := cmp.Diff(tt.wantIDs, ids); diff != "" {
				t.Errorf("removeArtifact ids mismatch (-want +got):\n%s", diff)
			}
			if v != tt.wantVar || changed != tt.wantChanged || dropped != tt.wantDropped {
				t.Errorf("removeArtifact = %s %q changed=%v dropped=%v, want %q changed=%v dropped=%v", ArtifactsVariable, v, changed, dropped, tt.wantVar, tt.wantChanged, tt.wantDropped)
			}
		})
	}
}

// removeArtifactChain removes flow-A, leaving only flow-B.
func removeArtifactChain(fns []ggtypes.Function) ([]ggtypes.Function, bool) {
	out, changed, _ := removeArtifact(fns, "s3://b/flow-A.tar.gz")
	return out, changed
}

func TestRemoveByPrefix(t *testing.T) {
	in := []ggtypes.Subscription{{Id: aws.String("mine")}, {Id: aws.String("tg-x-1")}, {Id: aws.String("tg-y-1")}, {Id: aws.String("tg-x-2")}}
	got, n := removeByPrefix(in, "tg-x-", func(s ggtypes.Subscription) string { return aws.ToString(s.Id) })
	var ids []string
	for _, s := range got {
		ids = append(ids, aws.ToString(s.Id))
	}
	if diff := cmp.Diff([]string{"mine", "tg-y-1"}, ids); diff != "" || n != 2 {
		t.Errorf("removeByPrefix = %v (removed %d), want [mine tg-y-1] (removed 2); diff:\n%s", ids, n, diff)
	}
}

func serialPort(id, path string) ggtypes.Resource {
	return ggtypes.Resource{Id: aws.String(id), Name: aws.String(id), ResourceDataContainer: &ggtypes.ResourceDataContainer{
		LocalDeviceResourceData: &ggtypes.LocalDeviceResourceData{SourcePath: aws.String(path)}}}
}

func TestMergeModbusAdapter(t *testing.T) {
	v1 := ModbusAdapterARN("us-east-1")
	v3 := "arn:aws:greengrass:us-east-1::/connectors/ModbusRTUProtocolAdapter/versions/3"
	other := ggtypes.Connector{Id: aws.String("twilio"), ConnectorArn: aws.String("arn:aws:greengrass:us-east-1::/connectors/TwilioNotifications/versions/4")}
	tests := []struct {
		name        string
		conns       []ggtypes.Connector
		res         []ggtypes.Resource
		wantChanged bool
		wantParams  map[string]string
		wantErr     string
	}{
		{name: "group has v1: kept as is", conns: []ggtypes.Connector{other, {Id: aws.String("mine"), ConnectorArn: aws.String(v1)}}},
		{name: "group has v3: refused", conns: []ggtypes.Connector{{Id: aws.String("mine"), ConnectorArn: aws.String(v3)}},
			wantErr: "need version 1 of the Modbus-RTU Protocol Adapter connector, and connector mine of the group is " + v3},
		{name: "added with the one serial port", conns: []ggtypes.Connector{other},
			res:         []ggtypes.Resource{storageResource(), serialPort("serial", "/dev/ttyS0"), serialPort("gpio", "/sys/class/gpio")},
			wantChanged: true, wantParams: map[string]string{"ModbusSerialPort-ResourceId": "serial", "ModbusSerialPort": "/dev/ttyS0"}},
		{name: "no serial port", res: []ggtypes.Resource{storageResource()}, wantErr: "the group has neither: add the serial port"},
		{name: "two serial ports", res: []ggtypes.Resource{serialPort("a", "/dev/ttyS0"), serialPort("b", "/dev/ttyUSB0")},
			wantErr: "several serial port resources (a (/dev/ttyS0), b (/dev/ttyUSB0))"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, arn, changed, err := mergeModbusAdapter(tt.conns, tt.res, "us-east-1", []string{"Pump1"})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), "Pump1") {
					t.Fatalf("err = %v, want it to name Pump1 and say %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || arn != v1 || changed != tt.wantChanged {
				t.Fatalf("= %s, changed %v, %v; want %s, changed %v", arn, changed, err, v1, tt.wantChanged)
			}
			if !changed {
				if len(out) != len(tt.conns) {
					t.Errorf("unchanged merge returned %d connectors, had %d", len(out), len(tt.conns))
				}
				return
			}
			last := out[len(out)-1]
			if len(out) != len(tt.conns)+1 || aws.ToString(last.Id) != ModbusAdapterConnectorID || aws.ToString(last.ConnectorArn) != v1 {
				t.Fatalf("connectors = %+v", out)
			}
			if diff := cmp.Diff(tt.wantParams, last.Parameters); diff != "" {
				t.Errorf("parameters (-want +got):\n%s", diff)
			}
		})
	}
}

func TestMergeStorage(t *testing.T) {
	serial := serialPort("serial", "/dev/ttyS0")
	if out, changed := mergeStorage(nil); !changed || len(out) != 1 || aws.ToString(out[0].Id) != StorageResourceID {
		t.Errorf("empty group: %v, %v", out, changed)
	}
	if out, changed := mergeStorage([]ggtypes.Resource{serial}); !changed || len(out) != 2 {
		t.Errorf("serial only: %d resources, changed %v; want 2, true", len(out), changed)
	}
	if _, changed := mergeStorage([]ggtypes.Resource{serial, storageResource()}); changed {
		t.Error("a group with the storage resource as written changed")
	}
	moved := storageResource()
	moved.ResourceDataContainer.LocalVolumeResourceData.SourcePath = aws.String("/elsewhere")
	if out, changed := mergeStorage([]ggtypes.Resource{moved, serial}); !changed || len(out) != 2 ||
		aws.ToString(out[1].ResourceDataContainer.LocalVolumeResourceData.SourcePath) != "/greengrass/thingsgraph" {
		t.Errorf("a moved storage resource was not restored: %+v, %v", out, changed)
	}
}
