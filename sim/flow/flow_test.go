package flow

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// workedExample is the guide's motion → camera → screen flow configuration.
func workedExample(t testing.TB) *Artifact {
	t.Helper()
	var docs []Document
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
		docs = append(docs, Document{Name: filepath.Base(f), Text: string(b)})
	}
	return &Artifact{
		Manifest: Manifest{
			DeploymentID: "urn:tdm:us-east-1/000000000000/default:Deployment:Room215",
			SystemID:     "urn:tdm:us-east-1/000000000000/default:System:SecurityFlow",
			Target:       "GREENGRASS", Region: "us-east-1", AccountID: "000000000000",
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

func TestArtifactRoundTrip(t *testing.T) {
	a := workedExample(t)
	b, err := a.Encode()
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeArtifact(b)
	if err != nil {
		t.Fatal(err)
	}
	want := *a
	want.Manifest.FormatVersion = FormatVersion
	sortDocs := func(d []Document) []Document {
		out := append([]Document(nil), d...)
		for i := range out {
			for j := i + 1; j < len(out); j++ {
				if out[j].Name < out[i].Name {
					out[i], out[j] = out[j], out[i]
				}
			}
		}
		return out
	}
	want.Documents = sortDocs(want.Documents)
	if diff := cmp.Diff(&want, got); diff != "" {
		t.Errorf("DecodeArtifact(Encode()) mismatch (-want +got):\n%s", diff)
	}
}

func TestDecodeArtifactRejects(t *testing.T) {
	tests := []struct {
		name    string
		in      []byte
		wantErr string
	}{
		{"not gzip", []byte("hello"), "not gzip"},
		{"empty", nil, "not gzip"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeArtifact(tt.in)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("DecodeArtifact(%q) = %v, want error containing %q", tt.in, err, tt.wantErr)
			}
		})
	}
	bad := &Artifact{Documents: []Document{{Name: "../x", Text: "{}"}}}
	if _, err := bad.Encode(); err == nil {
		t.Error("Encode with document name ../x: want error, got nil")
	}
}

func FuzzDecodeArtifact(f *testing.F) {
	good, err := workedExample(f).Encode()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add([]byte{0x1f, 0x8b})
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := DecodeArtifact(b)
		if err != nil {
			return
		}
		if _, err := a.Encode(); err != nil {
			t.Errorf("Encode after successful Decode: %v", err)
		}
	})
}

func TestPlanTopics(t *testing.T) {
	p, err := Compile(workedExample(t))
	if err != nil {
		t.Fatal(err)
	}
	got, err := p.Topics()
	if err != nil {
		t.Fatal(err)
	}
	want := []TopicUse{
		{Thing: "Room215Camera", Topic: "Room215Camera/capture", Direction: FromRuntime, Why: "action capture request"},
		{Thing: "Room215Camera", Topic: "Room215Camera/capture/finished", Direction: ToRuntime, Why: "action capture response"},
		{Thing: "Room215Motion", Topic: "Room215Motion/motion", Direction: ToRuntime, Why: "event StateChanged"},
		{Thing: "Room215Screen", Topic: "Room215Screen/display", Direction: FromRuntime, Why: "action display request"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Topics() mismatch (-want +got):\n%s", diff)
	}
}

// simDevices answers the runtime's publishes the way the guide's mock
// devices do, and records what the screen was told to display.
type simDevices struct {
	rt       *Runtime
	mu       sync.Mutex
	displays []string
	silent   bool // the camera never answers
}

func (s *simDevices) publish(_ context.Context, topic string, payload []byte) error {
	switch topic {
	case "Room215Camera/capture":
		if !s.silent {
			go s.rt.Handle(context.Background(), "Room215Camera/capture/finished", []byte(`{"lastClickedImage":"https://img.example/1.jpg"}`))
		}
	case "Room215Screen/display":
		s.mu.Lock()
		s.displays = append(s.displays, string(payload))
		s.mu.Unlock()
	}
	return nil
}

func TestRuntimeRunsSecurityFlow(t *testing.T) {
	p, err := Compile(workedExample(t))
	if err != nil {
		t.Fatal(err)
	}
	devs := &simDevices{}
	rt, err := New(Options{Plans: []*Plan{p}, Publish: devs.publish, ActionTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	devs.rt = rt
	defer rt.Close()

	const n = 3
	for i := 0; i < n; i++ {
		rt.Handle(context.Background(), "Room215Motion/motion", []byte(`{"isMotionDetected":true}`))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := rt.WaitExecutions(ctx, func(ex []Execution) bool { return countStatus(ex, StatusSucceeded) == n }); err != nil {
		t.Fatalf("waiting for %d succeeded executions: %v (have %+v)", n, err, rt.Executions())
	}
	devs.mu.Lock()
	defer devs.mu.Unlock()
	if len(devs.displays) != n {
		t.Fatalf("screen got %d displays, want %d", len(devs.displays), n)
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(devs.displays[0]), &got); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]any{"imageUri": "https://img.example/1.jpg"}, got); diff != "" {
		t.Errorf("display payload mismatch (-want +got):\n%s", diff)
	}
	ex := rt.Executions()[0]
	if !strings.HasPrefix(ex.ID, "urn:tdm:us-east-1/000000000000/default:Workflow:SecurityFlow_") || !strings.Contains(ex.ID, "_MotionEventTrigger_") {
		t.Errorf("execution id %q, want <flow URN>_<time>_MotionEventTrigger_<uuid>", ex.ID)
	}
	var types []string
	for _, m := range ex.Messages {
		types = append(types, m.EventType)
	}
	for _, want := range []string{"EXECUTION_STARTED", "THING_ACTION_TASK", "THING_ACTION_TASK_SUCCEEDED", "STEP_SUCCEEDED", "EXECUTION_SUCCEEDED"} {
		if !contains(types, want) {
			t.Errorf("execution messages %v lack %s", types, want)
		}
	}
}

func TestRuntimeFailsStepWhenDeviceSilent(t *testing.T) {
	p, err := Compile(workedExample(t))
	if err != nil {
		t.Fatal(err)
	}
	devs := &simDevices{silent: true}
	rt, err := New(Options{Plans: []*Plan{p}, Publish: devs.publish, ActionTimeout: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	devs.rt = rt
	defer rt.Close()
	rt.Handle(context.Background(), "Room215Motion/motion", []byte(`{"isMotionDetected":true}`))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := rt.WaitExecutions(ctx, func(ex []Execution) bool { return countStatus(ex, StatusFailed) == 1 }); err != nil {
		t.Fatalf("want one FAILED execution: %v (have %+v)", err, rt.Executions())
	}
	if len(devs.displays) != 0 {
		t.Errorf("screen got %v, want nothing after the camera step failed", devs.displays)
	}
}

func countStatus(ex []Execution, status string) int {
	n := 0
	for _, e := range ex {
		if e.Status == status {
			n++
		}
	}
	return n
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
