package main

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// scenarioCopy writes the motion-camera scenario into a temp dir, edited by
// edit, with its TDM paths made absolute.
func scenarioCopy(t *testing.T, edit func(string) string) string {
	t.Helper()
	b, err := os.ReadFile("../../scenarios/motion-camera.yaml")
	if err != nil {
		t.Fatal(err)
	}
	dir, err := filepath.Abs("../../scenarios/motion-camera")
	if err != nil {
		t.Fatal(err)
	}
	text := strings.ReplaceAll(string(b), "motion-camera/", dir+"/")
	p := filepath.Join(t.TempDir(), "s.yaml")
	if err := os.WriteFile(p, []byte(edit(text)), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestRunScenario(t *testing.T) {
	tests := []struct {
		name     string
		edit     func(string) string
		wantCode int
		wantOut  []string
	}{
		{
			name:     "as shipped",
			edit:     func(s string) string { return s },
			wantCode: 0,
			wantOut:  []string{"PASS", "1 passed, 0 failed", "wall time"},
		},
		{
			name: "a broken expectation fails and is named",
			edit: func(s string) string {
				return strings.Replace(s, "executions: {succeeded: 5, failed: 0}", "executions: {succeeded: 6, failed: 0}", 1)
			},
			wantCode: 1,
			wantOut:  []string{"FAIL", "executions succeeded: 5 SUCCEEDED, want 6", "0 passed, 1 failed"},
		},
		{
			name: "an extra subscription row is reported as missing",
			edit: func(s string) string {
				return strings.Replace(s, "    exactly:\n", "    exactly:\n      - {source: thing/Room215Screen, subject: Room215Screen/x, target: function/ThingsGraphRuntime}\n", 1)
			},
			wantCode: 1,
			wantOut:  []string{"FAIL subscription table of room215 (exactly)", "missing [{arn:aws:iot:us-east-1:000000000000:thing/Room215Screen Room215Screen/x"},
		},
		{
			name:     "an invalid scenario is refused with its problem",
			edit:     func(s string) string { return strings.Replace(s, "apiVersion: tgsim/v1", "apiVersion: tgsim/v9", 1) },
			wantCode: 1,
			wantOut:  []string{"invalid scenario", `apiVersion: "tgsim/v9", expected "tgsim/v1"`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := run([]string{"run", scenarioCopy(t, tt.edit)}, func(string) string { return "" }, &out, &errOut)
			if code != tt.wantCode {
				t.Errorf("tgsim run exit = %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.wantCode, out.String(), errOut.String())
			}
			for _, w := range tt.wantOut {
				if !strings.Contains(out.String(), w) {
					t.Errorf("tgsim run output lacks %q:\n%s", w, out.String())
				}
			}
		})
	}
}

func TestValidate(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.graphql")
	bad := filepath.Join(dir, "bad.graphql")
	os.WriteFile(good, []byte(`{ type X @propertyType(id: "urn:tdm:us-east-1/000000000000/default:property:X", dataType: STRING) {ignore:void} }`), 0o644)
	os.WriteFile(bad, []byte("{\n  type X @propertyType(id: 'urn:tdm:x:property:X' {ignore:void}\n}"), 0o644)
	var out bytes.Buffer
	code := run([]string{"validate", good, "../../scenarios/motion-camera.yaml", bad}, func(string) string { return "" }, &out, &out)
	if code != 1 {
		t.Errorf("validate exit = %d, want 1 (one bad file)", code)
	}
	if !strings.Contains(out.String(), good+": ok") || !strings.Contains(out.String(), "motion-camera.yaml: ok") {
		t.Errorf("validate output lacks the ok lines:\n%s", out.String())
	}
	if !strings.Contains(out.String(), bad+":2:51: expected an argument name or ')', found '{'") {
		t.Errorf("validate output does not name line 2, column 51 of the bad file and what it expected:\n%s", out.String())
	}
}

// A flow is checked against the entities of the other files given with it.
func TestValidateAcrossFiles(t *testing.T) {
	dir := t.TempDir()
	const ns = "urn:tdm:us-east-1/000000000000/default"
	model := filepath.Join(dir, "lamp.graphql")
	flow := filepath.Join(dir, "blink.graphql")
	os.WriteFile(model, []byte(`{
  type Toggle @actionType(id: "`+ns+`:action:Toggle") {ignore:void}
  type LampCap @capabilityType(id: "`+ns+`:capability:LampCap") { toggle: Toggle @action(id: "`+ns+`:action:Toggle") }
  type Lamp @deviceModel(id: "`+ns+`:deviceModel:Lamp", capability: "`+ns+`:capability:LampCap") {ignore:void}
}`), 0o644)
	os.WriteFile(flow, []byte(`{ query Blink($lamp: String!) @workflowType(id: "`+ns+`:workflow:Blink") {
  steps { step(name: "T") { DeviceActivity(deviceModel: "`+ns+`:deviceModel:Lamp", deviceId: "${lamp}") { toggle } } } } }`), 0o644)
	var out bytes.Buffer
	if code := run([]string{"validate", model, flow}, func(string) string { return "" }, &out, &out); code != 0 {
		t.Errorf("validate model+flow = %d, want 0:\n%s", code, out.String())
	}
	out.Reset()
	// A warning (an outEvent no step waits for) is shown but does not fail.
	warned := filepath.Join(dir, "warned.graphql")
	os.WriteFile(warned, []byte(`{ query Blink2($lamp: String!) @workflowType(id: "`+ns+`:workflow:Blink2") {
  steps { step(name: "T", outEvent: ["done"]) { DeviceActivity(deviceModel: "`+ns+`:deviceModel:Lamp", deviceId: "${lamp}") { toggle } } } } }`), 0o644)
	if code := run([]string{"validate", model, warned}, func(string) string { return "" }, &out, &out); code != 0 || !strings.Contains(out.String(), "warning:") {
		t.Errorf("validate with a warning = %d, want 0 and the warning shown:\n%s", code, out.String())
	}
	out.Reset()
	if code := run([]string{"validate", flow}, func(string) string { return "" }, &out, &out); code != 1 || !strings.Contains(out.String(), ns+":deviceModel:Lamp") {
		t.Errorf("validate flow alone = %d, want 1 naming the unknown device model:\n%s", code, out.String())
	}
}

func TestUsage(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run(nil, func(string) string { return "" }, &out, &errOut); code != 2 || !strings.Contains(errOut.String(), "Usage:") {
		t.Errorf("tgsim with no args = %d, %q; want 2 and the usage", code, errOut.String())
	}
}

func TestValidatePolicies(t *testing.T) {
	dir := t.TempDir()
	logNames := filepath.Join(dir, "deploy.json")
	os.WriteFile(logNames, []byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:REST.GET.OBJECT","s3:REST.PUT.OBJECT","greengrass:*"],"Resource":"*"}]}`), 0o644)
	malformed := filepath.Join(dir, "bad.json")
	os.WriteFile(malformed, []byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject"}]}`), 0o644)
	var out bytes.Buffer
	code := run([]string{"validate", logNames, "../../scenarios/iam/iotthingsgraph-all.json", malformed}, func(string) string { return "" }, &out, &out)
	if code != 1 {
		t.Errorf("validate = %d, want 1 (one malformed policy)", code)
	}
	for _, want := range []string{
		`"s3:REST.GET.OBJECT" is an S3 server access log operation name, not an IAM action; IAM never matches it: use s3:GetObject`,
		`"s3:REST.PUT.OBJECT" is an S3 server access log operation name, not an IAM action; IAM never matches it: use s3:PutObject`,
		logNames + ": ok",
		"iotthingsgraph-all.json: ok",
		malformed + ": MalformedPolicyDocument:",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("validate output lacks %q:\n%s", want, out.String())
		}
	}
}

// `run --json --junit`: stdout is one JSON document and nothing else, the
// JUnit file agrees with it, and the exit code still says whether all passed.
func TestRunReports(t *testing.T) {
	good := scenarioCopy(t, func(s string) string { return s })
	invalid := scenarioCopy(t, func(s string) string { return strings.Replace(s, "apiVersion: tgsim/v1", "apiVersion: tgsim/v9", 1) })
	junit := filepath.Join(t.TempDir(), "report.xml")
	var out, errOut bytes.Buffer
	code := run([]string{"run", "--json", "--junit", junit, good, invalid}, func(string) string { return "" }, &out, &errOut)
	if code != 1 {
		t.Errorf("tgsim run exit = %d, want 1 (one invalid file)\nstderr:\n%s", code, errOut.String())
	}
	var doc struct {
		Scenarios []struct {
			Name       string
			Path       string
			Passed     bool
			DurationMs *int64
			Error      *string
			Checks     []struct {
				Name   string
				OK     bool
				Detail string
			}
		}
		Passed, Failed int
		WallTimeMs     *int64
	}
	dec := json.NewDecoder(&out)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("tgsim run --json stdout is not the JSON report: %v\n%s", err, out.String())
	}
	if rest, _ := io.ReadAll(dec.Buffered()); len(bytes.TrimSpace(rest)) > 0 || out.Len() > 0 {
		t.Errorf("tgsim run --json wrote more than the JSON document: %q", string(rest)+out.String())
	}
	if doc.Passed != 1 || doc.Failed != 1 || len(doc.Scenarios) != 2 || doc.WallTimeMs == nil {
		t.Fatalf("JSON report passed=%d failed=%d scenarios=%d wallTimeMs=%v, want 1, 1, 2, set", doc.Passed, doc.Failed, len(doc.Scenarios), doc.WallTimeMs)
	}
	g, bad := doc.Scenarios[0], doc.Scenarios[1]
	if !g.Passed || g.Error != nil || g.Path != good || g.DurationMs == nil || *g.DurationMs <= 0 || len(g.Checks) < 5 {
		t.Errorf("passing scenario = %+v, want passed, error null, path %s, a duration and its checks", g, good)
	}
	if bad.Passed || bad.Error == nil || !strings.Contains(*bad.Error, `apiVersion: "tgsim/v9"`) || bad.Checks == nil {
		t.Errorf("invalid scenario = %+v, want failed with the apiVersion error and checks []", bad)
	}

	b, err := os.ReadFile(junit)
	if err != nil {
		t.Fatal(err)
	}
	var x struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
		Errors   int `xml:"errors,attr"`
		Suites   []struct {
			Name  string `xml:"name,attr"`
			Tests int    `xml:"tests,attr"`
			Time  string `xml:"time,attr"`
			Cases []struct {
				Name  string    `xml:"name,attr"`
				Error *struct{} `xml:"error"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(b, &x); err != nil {
		t.Fatalf("--junit file is not XML: %v\n%s", err, b)
	}
	if len(x.Suites) != 2 || x.Tests != len(g.Checks)+1 || x.Failures != 0 || x.Errors != 1 {
		t.Fatalf("JUnit suites=%d tests=%d failures=%d errors=%d, want 2, %d, 0, 1\n%s", len(x.Suites), x.Tests, x.Failures, x.Errors, len(g.Checks)+1, b)
	}
	if s := x.Suites[0]; s.Name != good || s.Tests != len(g.Checks) {
		t.Errorf("first testsuite %s with %d tests, want %s with %d", s.Name, s.Tests, good, len(g.Checks))
	}
	if secs, err := strconv.ParseFloat(x.Suites[0].Time, 64); err != nil || secs <= 0 || secs > 600 {
		t.Errorf("first testsuite time=%q, want its duration in seconds", x.Suites[0].Time)
	}
	if s := x.Suites[1]; s.Name != invalid || len(s.Cases) != 1 || s.Cases[0].Error == nil {
		t.Errorf("second testsuite = %+v, want %s with one <error> testcase", s, invalid)
	}
}
