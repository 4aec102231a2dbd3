package scenario

import (
	"strings"
	"testing"
)

const minimal = `apiVersion: tgsim/v1
name: minimal
setup:
  greengrassGroups: [g]
  things: [{name: A}]
devices: [{thing: A}]
steps:
  - publish: {thing: A, topic: a/b}
`

func TestParse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		wantErr string // substring; "" means valid
	}{
		{name: "minimal", in: minimal},
		{name: "empty", in: "", wantErr: "empty scenario file"},
		{name: "wrong api version", in: strings.Replace(minimal, "tgsim/v1", "tgsim/v0", 1), wantErr: `apiVersion: "tgsim/v0", expected "tgsim/v1"`},
		{name: "missing name", in: strings.Replace(minimal, "name: minimal\n", "", 1), wantErr: "name: required"},
		{name: "unknown field names its line", in: minimal + "colour: blue\n", wantErr: "line 9: field colour not found"},
		{name: "bad duration names line and column", in: minimal + "timeout: soon\n", wantErr: `line 9, column 10: "soon" is not a duration`},
		{name: "step with two actions", in: strings.Replace(minimal, "  - publish: {thing: A, topic: a/b}\n", "  - publish: {thing: A, topic: a/b}\n    emit: {thing: A, event: e}\n", 1), wantErr: "steps[0]: exactly one of emit, publish, waitExecutions, call, connect, undeploy, disconnect, reconnect, restartCore, partition, heal, cloudReceived, fault, revokeCertificate, load must be set, found 2"},
		{name: "step on unknown thing", in: strings.Replace(minimal, "publish: {thing: A", "publish: {thing: B", 1), wantErr: `steps[0].publish.thing: "B" is not listed in setup.things`},
		{name: "device on unknown thing", in: strings.Replace(minimal, "devices: [{thing: A}]", "devices: [{thing: Z}]", 1), wantErr: `devices[0].thing: "Z"`},
		{name: "deployment to unlisted group", in: strings.Replace(minimal, "devices:", "  deployments: [{definition: d.graphql, target: GREENGRASS, greengrassGroup: h}]\ndevices:", 1), wantErr: `greengrassGroup: "h" is not listed in setup.greengrassGroups`},
		{name: "cloud target without a role", in: strings.Replace(minimal, "devices:", "  deployments: [{definition: d.graphql, target: CLOUD, greengrassGroup: g}]\ndevices:", 1),
			wantErr: `setup.deployments[0].greengrassGroup: a CLOUD deployment has no Greengrass group; setup.deployments[0].flowActionsRoleArn: required for CLOUD`},
		{name: "cloud role not listed", in: strings.Replace(minimal, "devices:", "  deployments: [{definition: d.graphql, target: CLOUD, flowActionsRoleArn: role/nope}]\ndevices:", 1),
			wantErr: `flowActionsRoleArn: "role/nope" is not listed in iam.roles`},
		{name: "unknown target", in: strings.Replace(minimal, "devices:", "  deployments: [{definition: d.graphql, target: EDGE}]\ndevices:", 1),
			wantErr: `target: "EDGE", expected GREENGRASS or CLOUD`},
		{name: "unknown iot policy", in: strings.Replace(minimal, "{name: A}", "{name: A, policies: [p]}", 1), wantErr: `setup.things[0].policies[0]: "p" is not listed in setup.iotPolicies`},
		{name: "undeploy of an unknown deployment", in: strings.Replace(minimal, "  - publish: {thing: A, topic: a/b}\n", "  - undeploy: {definition: nope.graphql}\n", 1), wantErr: `steps[0].undeploy.definition: "nope.graphql" is not the definition of any setup.deployments entry`},
		{name: "not yaml", in: "{{{", wantErr: "line 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse([]byte(tt.in))
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("Parse() = %v, want success", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("Parse() = %v, want error containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestLoadScenarioLibrary(t *testing.T) {
	t.Parallel()
	f, err := Load("../../scenarios/motion-camera.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Setup.Deployments) != 1 || len(f.Expect.Delivered) == 0 {
		t.Errorf("Load(motion-camera) = %d deployments, %d delivered expectations; want 1 and some", len(f.Setup.Deployments), len(f.Expect.Delivered))
	}
	if _, err := Load("testdata/missing-tdm.yaml"); err == nil || !strings.Contains(err.Error(), "nope.graphql") {
		t.Errorf("Load(missing-tdm) = %v, want an error naming nope.graphql", err)
	}
}

func TestExpand(t *testing.T) {
	t.Parallel()
	got := expand(map[string]any{"u": "https://x/{{thing}}/{{seq}}.jpg", "n": 3, "l": []any{"{{seq}}"}}, 7, "Cam")
	want := map[string]any{"u": "https://x/Cam/7.jpg", "n": 3, "l": []any{"7"}}
	if normalizeJSON(got) == nil || !equalJSON(got, want) {
		t.Errorf("expand() = %v, want %v", got, want)
	}
}

func equalJSON(a, b any) bool {
	return len(multisetMissing([]any{normalizeJSON(a)}, []any{normalizeJSON(b)})) == 0
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(minimal))
	f.Add([]byte("apiVersion: tgsim/v1\nname: x\nsteps: [{emit: {}}]\n"))
	f.Add([]byte("timeout: 1s\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > 1<<16 {
			return
		}
		f, err := Parse(b)
		if err == nil && (f.APIVersion != APIVersion || f.Name == "") {
			t.Errorf("Parse accepted a file without apiVersion %s and a name", APIVersion)
		}
	})
}
