package scenario

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/tgsim/tgsim/fakes/iotdata"
)

// faultBase is a valid file the fault cases add one step to.
const faultBase = `apiVersion: tgsim/v1
name: faults
iam:
  users: [{name: alice}]
setup:
  greengrassGroups: [g]
  things: [{name: A}]
devices: [{thing: A}]
steps:
`

func TestParseFaultSteps(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		step    string
		wantErr string // "" means valid
	}{
		{"throttle", "  - fault: {service: greengrass, operation: CreateDeployment, error: ThrottlingException, times: 2}", ""},
		{"default error, as a user", "  - fault: {service: s3, operation: PutObject, times: 1, as: alice}", ""},
		{"as root", "  - fault: {service: iam, operation: '*', times: 1, as: root}", ""},
		{"unknown service", "  - fault: {service: lambda, operation: Invoke, times: 1}", `steps[0].fault service "lambda": expected one of`},
		{"no operation", "  - fault: {service: iot, times: 1}", "steps[0].fault operation: required"},
		{"no times", "  - fault: {service: iot, operation: ListThings}", "steps[0].fault times: 0, expected at least 1"},
		{"status not an error", "  - fault: {service: iot, operation: ListThings, times: 1, status: 302}", "steps[0].fault status: 302"},
		{"unknown user", "  - fault: {service: iot, operation: ListThings, times: 1, as: bob}", `steps[0].fault.as: "bob" is neither root nor listed in iam.users`},
		{"revoke", "  - revokeCertificate: {thing: A}", ""},
		{"revoke unknown thing", "  - revokeCertificate: {thing: B}", `steps[0].revokeCertificate.thing: "B" is not listed in setup.things`},
		{"revoke and fault in one step", "  - revokeCertificate: {thing: A}\n    fault: {service: iot, operation: ListThings, times: 1}", "found 2"},
		{"corrupt publish", "  - publish: {thing: A, topic: a/b, corrupt: true}", ""},
		{"oversize publish", "  - publish: {thing: A, topic: a/b, oversize: true}", ""},
		{"oversize and size", "  - publish: {thing: A, topic: a/b, oversize: true, sizeBytes: 10}", "steps[0].publish: set oversize or sizeBytes, not both"},
		{"corrupt and size", "  - publish: {thing: A, topic: a/b, corrupt: true, sizeBytes: 10}", "steps[0].publish: corrupt truncates the payload"},
		{"negative size", "  - publish: {thing: A, topic: a/b, sizeBytes: -1}", "steps[0].publish.sizeBytes: -1, expected a positive size"},
		{"clock skew", "  - call: {service: greengrass, operation: ListGroups, clockSkew: -20m, attempts: 2}", ""},
		{"bad clock skew", "  - call: {service: greengrass, operation: ListGroups, clockSkew: later}", `"later" is not a duration`},
		{"negative attempts", "  - call: {service: greengrass, operation: ListGroups, attempts: -1}", "steps[0].call.attempts: -1, expected at least 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse([]byte(faultBase + tt.step + "\n"))
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("Parse(%s) = %v, want success", tt.step, err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("Parse(%s) = %v, want error containing %q", tt.step, err, tt.wantErr)
			}
		})
	}
}

func TestEdgeFault(t *testing.T) {
	t.Parallel()
	tests := []struct{ as, want string }{
		{"", ""},
		{"root", "root"},
		{"alice", "arn:aws:iam::123456789012:user/alice"},
	}
	for _, tt := range tests {
		fs := FaultStep{Service: "iot", Operation: "ListThings", Times: 1, As: tt.as}
		if got := fs.edgeFault("123456789012").As; got != tt.want {
			t.Errorf("edgeFault(as %q).As = %q, want %q", tt.as, got, tt.want)
		}
	}
}

func TestPublishPayload(t *testing.T) {
	t.Parallel()
	r := &runner{groupOf: map[string]string{"core-thing": "g", "cloud-thing": cloudGroup}}
	payload := map[string]any{"isMotionDetected": true}
	tests := []struct {
		name     string
		p        PublishStep
		wantLen  int
		wantJSON bool
	}{
		{"plain", PublishStep{Thing: "core-thing", Payload: payload}, len(`{"isMotionDetected":true}`), true},
		{"corrupt is truncated", PublishStep{Thing: "core-thing", Payload: payload, Corrupt: true}, len(`{"isMotionDetected":true}`) - 1, false},
		{"corrupt empty payload", PublishStep{Thing: "core-thing", Corrupt: true}, 1, false},
		{"size", PublishStep{Thing: "core-thing", SizeBytes: 100000}, 100000, true},
		{"size 1", PublishStep{Thing: "core-thing", SizeBytes: 1}, 1, false},
		{"oversize for a core", PublishStep{Thing: "core-thing", Oversize: true}, corePacketCap + 1, true},
		{"oversize for AWS IoT Core", PublishStep{Thing: "cloud-thing", Oversize: true}, iotdata.DefaultMaxPayload + 1, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := r.publishPayload(&tt.p, 1)
			if len(got) != tt.wantLen {
				t.Errorf("publishPayload(%+v) is %d bytes, want %d", tt.p, len(got), tt.wantLen)
			}
			if json.Valid(got) != tt.wantJSON {
				t.Errorf("publishPayload(%+v) valid JSON = %v, want %v", tt.p, json.Valid(got), tt.wantJSON)
			}
		})
	}
}
