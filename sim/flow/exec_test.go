package flow

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/tgsim/tgsim/sim/tdm"
)

// testPlan is the worked example's plan plus testdata/services.graphql and
// the given flow documents, each flow under its query name as role.
func testPlan(t testing.TB, flows ...string) *Plan {
	t.Helper()
	p, err := Compile(workedExample(t))
	if err != nil {
		t.Fatal(err)
	}
	svc, err := os.ReadFile("testdata/services.graphql")
	if err != nil {
		t.Fatal(err)
	}
	for _, src := range append([]string{string(svc)}, flows...) {
		doc, err := tdm.Parse(src)
		if err != nil {
			t.Fatalf("parse %s: %v", src, err)
		}
		set, errs := tdm.ExtractSource(doc, src)
		if len(errs) > 0 {
			t.Fatalf("extract %s: %v", src, errs)
		}
		for _, f := range set.Flows {
			p.Flows[f.Name] = f
		}
		for k, s := range set.Services {
			p.Services[k] = s
		}
	}
	return p
}

// fakeDevices is simDevices with a camera that ignores its first
// silentCaptures requests (-1: all) and answers with answer.
type fakeDevices struct {
	rt             *Runtime
	mu             sync.Mutex
	displays       []string
	captures       int
	silentCaptures int
	answer         string
}

func (d *fakeDevices) publish(_ context.Context, topic string, payload []byte) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	switch topic {
	case "Room215Camera/capture":
		d.captures++
		if d.silentCaptures < 0 || d.captures <= d.silentCaptures {
			return nil
		}
		answer := d.answer
		if answer == "" {
			answer = `{"lastClickedImage":"https://img.example/1.jpg"}`
		}
		go d.rt.Handle(context.Background(), "Room215Camera/capture/finished", []byte(answer))
	case "Room215Screen/display":
		var m map[string]any
		_ = json.Unmarshal(payload, &m)
		s, _ := m["imageUri"].(string)
		d.displays = append(d.displays, s)
	}
	return nil
}

func (d *fakeDevices) shown() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.displays...)
}

// runOne starts role with args on a new runtime and returns the finished
// execution.
func runOne(t *testing.T, p *Plan, opts Options, devs *fakeDevices, role string, args ...any) Execution {
	t.Helper()
	if devs == nil {
		devs = &fakeDevices{}
	}
	opts.Plans = []*Plan{p}
	opts.Publish = devs.publish
	if opts.ActionTimeout == 0 {
		opts.ActionTimeout = 2 * time.Second
	}
	if opts.RetryIntervalScale == 0 {
		opts.RetryIntervalScale = 0.001
	}
	rt, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	devs.mu.Lock()
	devs.rt = rt
	devs.mu.Unlock()
	defer rt.Close()
	id, err := rt.startFlow(p, role, args, "TestTrigger")
	if err != nil {
		t.Fatalf("startFlow(%s): %v", role, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var got Execution
	err = rt.WaitExecutions(ctx, func(ex []Execution) bool {
		for _, e := range ex {
			if e.ID == id && e.Status != StatusRunning {
				got = e
				return true
			}
		}
		return false
	})
	if err != nil {
		t.Fatalf("execution %s did not finish: %v (%+v)", role, err, rt.Executions())
	}
	return got
}

// msgs returns the decoded payloads of the execution's messages of one type.
func msgs(ex Execution, eventType string) []map[string]any {
	var out []map[string]any
	for _, m := range ex.Messages {
		if m.EventType == eventType {
			var v map[string]any
			_ = json.Unmarshal([]byte(m.Payload), &v)
			out = append(out, v)
		}
	}
	return out
}

func failure(ex Execution) string {
	for _, m := range msgs(ex, "EXECUTION_FAILED") {
		s, _ := m["error"].(string)
		return s
	}
	return ""
}

// display is a step showing text on the screen when its inEvent fires.
func display(name, inEvent, text string) string {
	in := ""
	if inEvent != "" {
		in = `, inEvent: ["` + inEvent + `"]`
	}
	return `step(name: "` + name + `"` + in + `) { DeviceActivity(deviceModel: "urn:tdm:aws/examples:deviceModel:Screen", deviceId: "Room215Screen") { display(imageUrl: "` + text + `") } }`
}

const choiceFlow = `{
query Pick($n: Int) @workflowType(id: "urn:tdm:us-east-1/000000000000/default:Workflow:Pick") {
  steps {
    step(name: "choose") { ChoiceActivity(title: "size") {
      rule(name: "big", expr: "${n > 10}") { setEvent(name: "big") }
      rule(name: "mid", expr: "${n > 5}") { setEvent(name: "mid") }
      default { setEvent(name: "small") } } }
    ` + "%BIG%" + `
    ` + "%MID%" + `
    ` + "%SMALL%" + `
  }
}
query PickNoDefault($n: Int) @workflowType(id: "urn:tdm:us-east-1/000000000000/default:Workflow:PickNoDefault") {
  steps {
    step(name: "choose") { ChoiceActivity { rule(expr: "${n > 10}") { setEvent(name: "big") } } }
  }
}
query PickBadRule($n: Int) @workflowType(id: "urn:tdm:us-east-1/000000000000/default:Workflow:PickBadRule") {
  steps {
    step(name: "choose") { ChoiceActivity { rule(name: "bad", expr: "${tdm.lib.Math.nope(n)}") { setEvent(name: "big") } default { setEvent(name: "x") } } }
  }
}
}`

func TestChoiceActivity(t *testing.T) {
	src := strings.NewReplacer("%BIG%", display("Big", "big", "big"), "%MID%", display("Mid", "mid", "mid"), "%SMALL%", display("Small", "small", "small")).Replace(choiceFlow)
	p := testPlan(t, src)
	tests := []struct {
		name, role string
		n          any
		wantStatus string
		wantRule   string
		wantShown  []string
		wantErr    string
	}{
		{"first true rule wins", "Pick", int64(20), StatusSucceeded, "rule big", []string{"big"}, ""},
		{"second rule", "Pick", int64(7), StatusSucceeded, "rule mid", []string{"mid"}, ""},
		{"default", "Pick", int64(1), StatusSucceeded, "default", []string{"small"}, ""},
		{"null cannot be compared", "Pick", nil, StatusFailed, "", nil, "ChoiceActivity rule big (${n > 10}): 5:36: cannot compare a null"},
		{"no default, no true rule", "PickNoDefault", int64(1), StatusFailed, "", nil, "no rule's expression is true and the choice has no default rule"},
		{"no default, true rule", "PickNoDefault", int64(11), StatusSucceeded, "rule #1", nil, ""},
		{"rule expression fails", "PickBadRule", int64(1), StatusFailed, "", nil, "ChoiceActivity rule bad"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			devs := &fakeDevices{}
			ex := runOne(t, p, Options{}, devs, tt.role, tt.n)
			if ex.Status != tt.wantStatus {
				t.Fatalf("status %s, want %s (%s)", ex.Status, tt.wantStatus, failure(ex))
			}
			if tt.wantErr != "" && !strings.Contains(failure(ex), tt.wantErr) {
				t.Errorf("failure %q, want it to contain %q", failure(ex), tt.wantErr)
			}
			if tt.wantRule != "" {
				var rule any
				for _, m := range msgs(ex, "STEP_SUCCEEDED") {
					if m["stepId"] == "choose" {
						rule = m["rule"]
					}
				}
				if rule != tt.wantRule {
					t.Errorf("STEP_SUCCEEDED of choose has rule %v, want %q", rule, tt.wantRule)
				}
			}
			if got := devs.shown(); strings.Join(got, ",") != strings.Join(tt.wantShown, ",") {
				t.Errorf("screen showed %v, want %v", got, tt.wantShown)
			}
		})
	}
}

// cameraStep is the worked example's camera step with extra blocks.
func cameraStep(extra string) string {
	return `step(name: "Camera", outEvent: ["cameraStepDone"]) {
      DeviceActivity(deviceModel: "urn:tdm:aws/examples:deviceModel:Camera", out: "cameraResult", deviceId: "Room215Camera") { capture }
      ` + extra + `
    }`
}

func cameraFlow(name, extra string) string {
	return `{
query ` + name + ` @workflowType(id: "urn:tdm:us-east-1/000000000000/default:Workflow:` + name + `") {
  variables { cameraResult @property(id: "urn:tdm:aws/examples:property:CameraStateProperty") }
  steps {
    ` + cameraStep(extra) + `
    ` + display("Screen", "cameraStepDone", "${cameraResult.lastClickedImage}") + `
    ` + display("Fallback", "camFailed", "fallback") + `
    ` + display("Good", "good", "good") + `
    ` + display("Bad", "bad", "bad") + `
  }
}
}`
}

func TestOnError(t *testing.T) {
	tests := []struct {
		name       string
		onError    string
		silent     int // captures ignored; -1 all
		wantStatus string
		wantShown  []string
		// wantAttempts is the number of ACTIVITY_FAILED messages of Camera.
		wantFailed int
		wantDelays []float64
		wantErr    string
	}{
		{"no OnError fails", ``, -1, StatusFailed, nil, 1, nil, "did not answer"},
		{"timeout retried then caught",
			`OnError { Retries { Retry(name: "again", errorEquals: ["States.Timeout"], interval: 2, backoffRate: 3, maxAttempts: 2) }
			           Catches { Catch(name: "fallback", raiseEvent: "camFailed") } }`,
			-1, StatusSucceeded, []string{"fallback"}, 3, []float64{2, 6}, ""},
		{"defaults: 1s, x2, 3 attempts",
			`OnError { Retries { Retry(name: "all", errorEquals: ["States.ALL"]) } }`,
			-1, StatusFailed, nil, 4, []float64{1, 2, 4}, "after 4 attempts"},
		{"retry then success",
			`OnError { Retries { Retry(name: "all", errorEquals: ["States.ALL"], maxAttempts: 3) } }`,
			2, StatusSucceeded, []string{"https://img.example/1.jpg"}, 2, []float64{1, 2}, ""},
		{"non-matching retry skipped, caught",
			`OnError { Retries { Retry(name: "task", errorEquals: ["States.TaskFailed"]) } Catches { Catch(name: "c", raiseEvent: "camFailed") } }`,
			-1, StatusSucceeded, []string{"fallback"}, 1, nil, ""},
		{"first matching retry governs",
			`OnError { Retries { Retry(name: "one", errorEquals: ["States.Timeout"], maxAttempts: 1, interval: 5) Retry(name: "more", errorEquals: ["States.ALL"], maxAttempts: 5) } }`,
			-1, StatusFailed, nil, 2, []float64{5}, "after 2 attempts"},
		{"retry by condition",
			`OnError { Retries { Retry(name: "cond", condition: "${error.name == 'States.Timeout'}", maxAttempts: 1, interval: 0.5) } }`,
			1, StatusSucceeded, []string{"https://img.example/1.jpg"}, 1, []float64{0.5}, ""},
		{"maxAttempts 0 never retries",
			`OnError { Retries { Retry(name: "none", errorEquals: ["States.ALL"], maxAttempts: 0) } }`,
			-1, StatusFailed, nil, 1, nil, "did not answer"},
		{"catch condition false, next catch",
			`OnError { Catches { Catch(name: "task", condition: "error.name == 'States.TaskFailed'", raiseEvent: "bad")
			                      Catch(name: "timeout", condition: "${error.name == 'States.Timeout'}", expr: "${'handled ' + error.name}", raiseEvent: "camFailed") } }`,
			-1, StatusSucceeded, []string{"fallback"}, 1, nil, ""},
		{"catch without event handles silently",
			`OnError { Catches { Catch(name: "quiet", expr: "${1 + 1}") } }`,
			-1, StatusSucceeded, nil, 1, nil, ""},
		{"no catch matches",
			`OnError { Catches { Catch(name: "task", condition: "false", raiseEvent: "camFailed") } }`,
			-1, StatusFailed, nil, 1, nil, "did not answer"},
		{"bad interval fails the step",
			`OnError { Retries { Retry(name: "weird", errorEquals: ["States.ALL"], interval: "soon") } Catches { Catch(name: "c", raiseEvent: "camFailed") } }`,
			-1, StatusFailed, nil, 1, nil, `interval "soon" is not a number of seconds`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := testPlan(t, cameraFlow("Cam", tt.onError))
			devs := &fakeDevices{silentCaptures: tt.silent}
			ex := runOne(t, p, Options{ActionTimeout: 20 * time.Millisecond}, devs, "Cam")
			if ex.Status != tt.wantStatus {
				t.Fatalf("status %s, want %s (%s)", ex.Status, tt.wantStatus, failure(ex))
			}
			if tt.wantErr != "" && !strings.Contains(failure(ex), tt.wantErr) {
				t.Errorf("failure %q, want it to contain %q", failure(ex), tt.wantErr)
			}
			if got := devs.shown(); strings.Join(got, ",") != strings.Join(tt.wantShown, ",") {
				t.Errorf("screen showed %v, want %v", got, tt.wantShown)
			}
			failed := 0
			for _, m := range msgs(ex, "ACTIVITY_FAILED") {
				if m["stepId"] == "Camera" {
					failed++
					if m["errorName"] != ErrTimeout {
						t.Errorf("ACTIVITY_FAILED errorName %v, want %s", m["errorName"], ErrTimeout)
					}
					if int(m["attempt"].(float64)) != failed {
						t.Errorf("ACTIVITY_FAILED attempt %v, want %d", m["attempt"], failed)
					}
				}
			}
			if failed != tt.wantFailed {
				t.Errorf("%d ACTIVITY_FAILED for Camera, want %d", failed, tt.wantFailed)
			}
			var delays []float64
			for _, m := range msgs(ex, "ACTIVITY_SCHEDULED") {
				if d, ok := m["delaySeconds"].(float64); ok {
					delays = append(delays, d)
				}
			}
			if len(delays) != len(tt.wantDelays) {
				t.Fatalf("retry delays %v, want %v", delays, tt.wantDelays)
			}
			for i := range delays {
				if delays[i] != tt.wantDelays[i] {
					t.Errorf("retry delays %v, want %v", delays, tt.wantDelays)
				}
			}
		})
	}
}

func TestOnErrorDoesNotCatchRuntimeErrors(t *testing.T) {
	src := `{ query Unbound @workflowType(id: "urn:tdm:us-east-1/000000000000/default:Workflow:Unbound") {
  steps {
    step(name: "Nobody") {
      DeviceActivity(deviceModel: "urn:tdm:aws/examples:deviceModel:Camera", deviceId: "NoSuchThing") { capture }
      OnError { Retries { Retry(name: "all", errorEquals: ["States.ALL"]) } Catches { Catch(name: "all", raiseEvent: "x") } }
    }
  } } }`
	ex := runOne(t, testPlan(t, src), Options{}, nil, "Unbound")
	if ex.Status != StatusFailed || !strings.Contains(failure(ex), `thing "NoSuchThing" is not bound`) {
		t.Fatalf("status %s (%s), want FAILED naming the unbound thing", ex.Status, failure(ex))
	}
	if n := len(msgs(ex, "ACTIVITY_FAILED")); n != 1 {
		t.Errorf("%d ACTIVITY_FAILED, want 1 (States.Runtime is never retried)", n)
	}
}

func TestOnSuccessChecks(t *testing.T) {
	onSuccess := `OnSuccess { Check(name: "isOne", condition: "${cameraResult.lastClickedImage == 'https://img.example/1.jpg'}") {
	  OnPass { raiseEvent(name: "good") } OnFail { raiseEvent(name: "bad") } } }`
	tests := []struct {
		name, answer string
		wantShown    []string
	}{
		{"pass", `{"lastClickedImage":"https://img.example/1.jpg"}`, []string{"good", "https://img.example/1.jpg"}},
		{"fail", `{"lastClickedImage":"https://img.example/2.jpg"}`, []string{"bad", "https://img.example/2.jpg"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := testPlan(t, cameraFlow("Cam", onSuccess))
			devs := &fakeDevices{answer: tt.answer}
			ex := runOne(t, p, Options{}, devs, "Cam")
			if ex.Status != StatusSucceeded {
				t.Fatalf("status %s (%s)", ex.Status, failure(ex))
			}
			got := devs.shown()
			if len(got) == 2 && got[0] != tt.wantShown[0] { // the two display steps run concurrently
				got[0], got[1] = got[1], got[0]
			}
			if strings.Join(got, ",") != strings.Join(tt.wantShown, ",") {
				t.Errorf("screen showed %v, want %v", got, tt.wantShown)
			}
			var checks any
			for _, m := range msgs(ex, "STEP_SUCCEEDED") {
				if m["stepId"] == "Camera" {
					checks = m["checks"]
				}
			}
			if checks == nil {
				t.Errorf("STEP_SUCCEEDED of Camera has no checks")
			}
		})
	}
	t.Run("condition that cannot be evaluated fails the step", func(t *testing.T) {
		p := testPlan(t, cameraFlow("Cam", onSuccess))
		devs := &fakeDevices{answer: "garbage"}
		ex := runOne(t, p, Options{}, devs, "Cam")
		if ex.Status != StatusFailed || !strings.Contains(failure(ex), `OnSuccess Check isOne condition`) {
			t.Errorf("status %s (%s), want FAILED naming the check", ex.Status, failure(ex))
		}
	})
	t.Run("unsupported branch content", func(t *testing.T) {
		p := testPlan(t, cameraFlow("Cam", `OnSuccess { Check(name: "c", condition: "true") { OnPass { setVariable(name: "x") } } }`))
		ex := runOne(t, p, Options{}, nil, "Cam")
		if ex.Status != StatusFailed || !strings.Contains(failure(ex), "OnPass { setVariable } is not supported") {
			t.Errorf("status %s (%s), want FAILED naming setVariable", ex.Status, failure(ex))
		}
	})
}

// serviceFlow calls one service action and shows ${result.shown}.
func serviceFlow(name, service, call, extra string) string {
	return `{
query ` + name + `($base: String) @workflowType(id: "urn:tdm:us-east-1/000000000000/default:Workflow:` + name + `") {
  steps {
    step(name: "Call", outEvent: ["called"]) {
      WebserviceActivity(webservice: "urn:tdm:us-east-1/000000000000/default:service:` + service + `", out: "result") { ` + call + ` }
      ` + extra + `
    }
    ` + display("Show", "called", "${result.shown}") + `
    ` + display("Fallback", "callFailed", "fallback") + `
  }
}
}`
}

func TestWebserviceREST(t *testing.T) {
	type seen struct {
		method, path, query, body, ctype, xtest, auth, date string
	}
	var mu sync.Mutex
	var got []seen
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, seen{r.Method, r.URL.Path, r.URL.RawQuery, string(b), r.Header.Get("Content-Type"), r.Header.Get("X-Test"), r.Header.Get("Authorization"), r.Header.Get("X-Amz-Date")})
		mu.Unlock()
		n := calls.Add(1)
		switch r.URL.Query().Get("ip") {
		case "500":
			w.WriteHeader(500)
			_, _ = io.WriteString(w, "boom")
			return
		case "flaky":
			if n < 3 {
				w.WriteHeader(503)
				return
			}
		case "slow":
			time.Sleep(200 * time.Millisecond)
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"shown":"from `+r.URL.Path+`"}`)
	}))
	defer srv.Close()
	creds := aws.Config{Region: "eu-west-1", Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", "")}
	tests := []struct {
		name, call, extra string
		opts              Options
		wantStatus        string
		wantShown         []string
		wantErr           string
		wantCalls         int
		check             func(t *testing.T, s seen)
	}{
		{name: "GET with query and header", call: `lookup(base: "${base}", ip: "1.2.3.4")`, wantStatus: StatusSucceeded, wantShown: []string{"from /lookup"}, wantCalls: 1,
			check: func(t *testing.T, s seen) {
				if s.method != "GET" || s.query != "ip=1.2.3.4" || s.xtest != "tgsim" {
					t.Errorf("request %+v, want GET ?ip=1.2.3.4 with X-Test", s)
				}
			}},
		{name: "POST whole body", call: `store(base: "${base}", ip: "5.6.7.8")`, wantStatus: StatusSucceeded, wantShown: []string{"from /store"}, wantCalls: 1,
			check: func(t *testing.T, s seen) {
				if s.method != "POST" || s.body != `{"ip":"5.6.7.8"}` || s.ctype != "application/x-amz-json-1.1" {
					t.Errorf("request %+v, want POST {\"ip\":\"5.6.7.8\"} as application/x-amz-json-1.1", s)
				}
			}},
		{name: "POST named body params as JSON", call: `form(base: "${base}", ip: "9")`, wantStatus: StatusSucceeded, wantShown: []string{"from /form"}, wantCalls: 1,
			check: func(t *testing.T, s seen) {
				if s.body != `{"ip":"9","n":2}` || s.ctype != "application/json" {
					t.Errorf("request %+v, want JSON body {\"ip\":\"9\",\"n\":2}", s)
				}
			}},
		{name: "HTTP 500 fails", call: `lookup(base: "${base}", ip: "500")`, wantStatus: StatusFailed, wantErr: "answered HTTP 500: boom", wantCalls: 1},
		{name: "HTTP 503 retried", call: `lookup(base: "${base}", ip: "flaky")`, extra: `OnError { Retries { Retry(name: "r", errorEquals: ["States.TaskFailed"]) } }`,
			wantStatus: StatusSucceeded, wantShown: []string{"from /lookup"}, wantCalls: 3},
		{name: "slow service times out, caught", call: `lookup(base: "${base}", ip: "slow")`, opts: Options{ActionTimeout: 50 * time.Millisecond},
			extra:      `OnError { Catches { Catch(name: "c", condition: "${error.name == 'States.Timeout'}", raiseEvent: "callFailed") } }`,
			wantStatus: StatusSucceeded, wantShown: []string{"fallback"}, wantCalls: 1},
		{name: "SigV4 signed", call: `signed(base: "${base}")`, opts: Options{AWS: creds}, wantStatus: StatusSucceeded, wantShown: []string{"from /signed"}, wantCalls: 1,
			check: func(t *testing.T, s seen) {
				if !strings.HasPrefix(s.auth, "AWS4-HMAC-SHA256 Credential=AKIDTEST/") || !strings.Contains(s.auth, "/eu-west-1/svc/aws4_request") || s.date == "" {
					t.Errorf("Authorization %q, X-Amz-Date %q: want a SigV4 signature for svc in eu-west-1", s.auth, s.date)
				}
			}},
		{name: "SigV4 without credentials", call: `signed(base: "${base}")`, wantStatus: StatusFailed, wantErr: "no AWS credentials", wantCalls: 0},
		{name: "unknown action", call: `nope(base: "${base}")`, wantStatus: StatusFailed, wantErr: `has no action "nope"`, wantCalls: 0},
		{name: "not a URL", call: `lookup(base: "ftp://x", ip: "1")`, wantStatus: StatusFailed, wantErr: "is not an http(s) URL", wantCalls: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mu.Lock()
			got = nil
			mu.Unlock()
			calls.Store(0)
			p := testPlan(t, serviceFlow("Svc", "Geo", tt.call, tt.extra))
			devs := &fakeDevices{}
			ex := runOne(t, p, tt.opts, devs, "Svc", srv.URL)
			if ex.Status != tt.wantStatus {
				t.Fatalf("status %s, want %s (%s)", ex.Status, tt.wantStatus, failure(ex))
			}
			if tt.wantErr != "" && !strings.Contains(failure(ex), tt.wantErr) {
				t.Errorf("failure %q, want it to contain %q", failure(ex), tt.wantErr)
			}
			if shown := devs.shown(); strings.Join(shown, ",") != strings.Join(tt.wantShown, ",") {
				t.Errorf("screen showed %v, want %v", shown, tt.wantShown)
			}
			if n := int(calls.Load()); n != tt.wantCalls {
				t.Errorf("%d HTTP calls, want %d", n, tt.wantCalls)
			}
			if tt.check != nil {
				mu.Lock()
				s := got[0]
				mu.Unlock()
				tt.check(t, s)
			}
			if tt.wantCalls > 0 {
				started := msgs(ex, "ACTIVITY_STARTED")
				if len(started) == 0 || !strings.HasPrefix(started[0]["url"].(string), srv.URL) {
					t.Errorf("ACTIVITY_STARTED %v, want the URL", started)
				}
			}
		})
	}
}

func TestWebserviceLambda(t *testing.T) {
	count := func(_ context.Context, in []byte) ([]byte, error) {
		var p struct{ Text string }
		if err := json.Unmarshal(in, &p); err != nil {
			return nil, err
		}
		return json.Marshal(map[string]any{"shown": strings.ToUpper(p.Text), "words": len(strings.Fields(p.Text))})
	}
	broken := func(context.Context, []byte) ([]byte, error) { return nil, io.ErrUnexpectedEOF }
	hang := func(context.Context, []byte) ([]byte, error) { select {} }
	tests := []struct {
		name       string
		lambdas    map[string]func(context.Context, []byte) ([]byte, error)
		call       string
		wantStatus string
		wantShown  []string
		wantErr    string
	}{
		{"by name", map[string]func(context.Context, []byte) ([]byte, error){"wordCount": count}, `count(text: "hello world")`, StatusSucceeded, []string{"HELLO WORLD"}, ""},
		{"by full ARN", map[string]func(context.Context, []byte) ([]byte, error){"arn:aws:lambda:us-east-1:000000000000:function:wordCount:1": count}, `count(text: "a")`, StatusSucceeded, []string{"A"}, ""},
		{"by ARN without version", map[string]func(context.Context, []byte) ([]byte, error){"arn:aws:lambda:us-east-1:000000000000:function:wordCount": count}, `count(text: "b")`, StatusSucceeded, []string{"B"}, ""},
		{"unregistered", nil, `count(text: "x")`, StatusFailed, nil, "Lambda function arn:aws:lambda:us-east-1:000000000000:function:wordCount:1 is not registered with the runtime"},
		{"function error", map[string]func(context.Context, []byte) ([]byte, error){"wordCount": broken}, `count(text: "x")`, StatusFailed, nil, "unexpected EOF"},
		{"function ignores its context", map[string]func(context.Context, []byte) ([]byte, error){"wordCount": hang}, `count(text: "x")`, StatusFailed, nil, "did not finish within"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := testPlan(t, serviceFlow("Svc", "Words", tt.call, ""))
			devs := &fakeDevices{}
			ex := runOne(t, p, Options{Lambdas: tt.lambdas, ActionTimeout: 100 * time.Millisecond}, devs, "Svc")
			if ex.Status != tt.wantStatus {
				t.Fatalf("status %s, want %s (%s)", ex.Status, tt.wantStatus, failure(ex))
			}
			if tt.wantErr != "" && !strings.Contains(failure(ex), tt.wantErr) {
				t.Errorf("failure %q, want it to contain %q", failure(ex), tt.wantErr)
			}
			if shown := devs.shown(); strings.Join(shown, ",") != strings.Join(tt.wantShown, ",") {
				t.Errorf("screen showed %v, want %v", shown, tt.wantShown)
			}
			if tt.wantStatus == StatusSucceeded {
				if w, ok := ex.Vars["result"].(map[string]any)["words"]; !ok || w == nil {
					t.Errorf("out variable result = %v, want the decoded answer", ex.Vars["result"])
				}
				ok := false
				for _, m := range msgs(ex, "ACTIVITY_SUCCEEDED") {
					ok = ok || (m["function"] == "arn:aws:lambda:us-east-1:000000000000:function:wordCount:1" && m["status"] == "SUCCEEDED")
				}
				if !ok {
					t.Errorf("no ACTIVITY_SUCCEEDED naming the function: %v", msgs(ex, "ACTIVITY_SUCCEEDED"))
				}
			}
		})
	}
}

func TestExecutionTimeout(t *testing.T) {
	p := testPlan(t, cameraFlow("Cam", ""))
	devs := &fakeDevices{silentCaptures: -1}
	start := time.Now()
	ex := runOne(t, p, Options{ActionTimeout: time.Hour, ExecutionTimeout: 50 * time.Millisecond}, devs, "Cam")
	if ex.Status != StatusFailed || !strings.Contains(failure(ex), "execution timed out") || !strings.Contains(failure(ex), "still waiting: Camera") {
		t.Fatalf("status %s (%s), want FAILED: execution timed out", ex.Status, failure(ex))
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %s", d)
	}
	if last := ex.Messages[len(ex.Messages)-1].EventType; last != "EXECUTION_FAILED" {
		t.Errorf("last message %s, want EXECUTION_FAILED", last)
	}
}

// TestUnsupportedConstructsFailTheStep builds flows Extract would reject,
// as a Plan could hold them, and checks each fails its step by name.
func TestUnsupportedConstructsFailTheStep(t *testing.T) {
	tests := []struct {
		name    string
		step    tdm.Step
		wantErr string
	}{
		{"unknown activity", tdm.Step{Name: "s", Activity: tdm.Activity{Kind: "TeleportActivity"}}, "activity TeleportActivity is not supported"},
		{"empty activity", tdm.Step{Name: "s"}, "activity  is not supported"},
		{"service not in artifact", tdm.Step{Name: "s", Activity: tdm.Activity{Kind: tdm.ActivityWebservice, Service: "urn:tdm:x:service:Nope", Action: "a"}}, "service urn:tdm:x:service:Nope is not in flow configuration"},
		{"choice rule without expr", tdm.Step{Name: "s", Activity: tdm.Activity{Kind: "ChoiceActivity", Choice: &tdm.Choice{Rules: []tdm.ChoiceRule{{Name: "r"}}}}}, "ChoiceActivity rule r: expression"},
		{"Modbus device without a serverId", tdm.Step{Name: "s", Activity: tdm.Activity{Kind: tdm.ActivityDevice, DeviceID: "Coil", Action: "read"}}, `Modbus serverId "" is not a number`},
		{"bad condition", tdm.Step{Name: "s", Condition: "${(}", Activity: tdm.Activity{Kind: tdm.ActivityDevice}}, "condition"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := testPlan(t)
			p.Flows["F"] = &tdm.Flow{ID: "urn:tdm:x:Workflow:F", Name: "F", Steps: []tdm.Step{tt.step}}
			p.Devices["Coil"] = &tdm.Device{ID: "urn:tdm:x:device:Coil", Protocol: "MODBUS", Actions: []tdm.DeviceAction{{Name: "read", Operation: "ReadCoils", Modbus: &tdm.ModbusRequest{Operation: "ReadCoils", Read: true}}}}
			ex := runOne(t, p, Options{}, nil, "F")
			if ex.Status != StatusFailed || !strings.Contains(failure(ex), tt.wantErr) {
				t.Errorf("status %s (%s), want FAILED containing %q", ex.Status, failure(ex), tt.wantErr)
			}
		})
	}
}

// FuzzRunFlow builds a flow from random bytes (steps of every kind, events
// between them, OnError/OnSuccess) and checks the execution always ends.
func FuzzRunFlow(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7})
	f.Add([]byte{3, 3, 3, 9, 200, 17, 4, 1, 0, 2})
	f.Add([]byte{1, 0, 1, 0, 1, 0, 4, 4, 4, 4, 5, 5})
	p := testPlan(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > 64 {
			b = b[:64]
		}
		next := func() int {
			if len(b) == 0 {
				return 0
			}
			v := int(b[0])
			b = b[1:]
			return v
		}
		events := []string{"a", "b", "c", "d"}
		ev := func() []string {
			n := next() % 3
			var out []string
			for i := 0; i < n; i++ {
				out = append(out, events[next()%len(events)])
			}
			return out
		}
		exprs := []string{"${n > 1}", "${n}", "true", "${nope.x}", "${(", "", "${1/0}", "${'a' + n}"}
		fl := &tdm.Flow{ID: "urn:tdm:x:Workflow:Fz", Name: "Fz", Params: []tdm.FlowParam{{Name: "n", Type: "Int"}}}
		for i := 0; i < 1+next()%5; i++ {
			st := tdm.Step{Name: string(rune('A' + i)), InEvents: ev(), OutEvents: ev()}
			if next()%4 == 0 {
				st.Condition = exprs[next()%len(exprs)]
			}
			switch next() % 5 {
			case 0:
				st.Activity = tdm.Activity{Kind: tdm.ActivityDevice, DeviceID: "Room215Camera", Action: "capture", Out: "r"}
			case 1:
				st.Activity = tdm.Activity{Kind: tdm.ActivityDevice, DeviceID: "Room215Screen", Action: "display", Args: []tdm.Param{{Name: "imageUrl", Value: exprs[next()%len(exprs)]}}}
			case 2:
				c := &tdm.Choice{}
				for j := 0; j < next()%3; j++ {
					e := exprs[next()%len(exprs)]
					parsed, _ := tdm.ParseExpr(e)
					c.Rules = append(c.Rules, tdm.ChoiceRule{Expr: e, Parsed: parsed, SetEvent: events[next()%len(events)]})
				}
				if next()%2 == 0 {
					c.Default = &tdm.ChoiceRule{SetEvent: events[next()%len(events)]}
				}
				st.Activity = tdm.Activity{Kind: "ChoiceActivity", Choice: c}
			case 3:
				st.Activity = tdm.Activity{Kind: tdm.ActivityWebservice, Service: "urn:tdm:us-east-1/000000000000/default:service:Words", Action: "count", Args: []tdm.Param{{Name: "text", Value: exprs[next()%len(exprs)]}}}
			default:
				st.Activity = tdm.Activity{Kind: "Bogus"}
			}
			if next()%2 == 0 {
				ma := int64(next() % 3)
				rate := float64(next() % 4)
				st.OnError = &tdm.OnError{
					Retries: []tdm.Retry{{Name: "r", ErrorEquals: []string{[]string{ErrAll, ErrTimeout, ErrTaskFailed}[next()%3]}, Condition: exprs[next()%len(exprs)], Interval: []string{"", "0.5", "x", "1e300"}[next()%4], BackoffRate: &rate, MaxAttempts: &ma}},
					Catches: []tdm.Catch{{Name: "c", Condition: exprs[next()%len(exprs)], Expr: exprs[next()%len(exprs)], RaiseEvent: events[next()%len(events)]}},
				}
			}
			if next()%3 == 0 {
				st.OnSuccess = &tdm.OnSuccess{Checks: []tdm.SuccessCheck{{Name: "k", Condition: exprs[next()%len(exprs)],
					OnPass: &tdm.Branch{Events: []string{events[next()%len(events)]}}, OnFail: &tdm.Branch{Events: ev()}}}}
			}
			fl.Steps = append(fl.Steps, st)
		}
		pp := *p
		pp.Flows = map[string]*tdm.Flow{"Fz": fl}
		devs := &fakeDevices{silentCaptures: next()%3 - 1}
		lambdas := map[string]func(context.Context, []byte) ([]byte, error){"wordCount": func(_ context.Context, in []byte) ([]byte, error) { return in, nil }}
		ex := runOne(t, &pp, Options{ActionTimeout: 5 * time.Millisecond, ExecutionTimeout: 2 * time.Second, Lambdas: lambdas}, devs, "Fz", int64(next()))
		if ex.Status != StatusSucceeded && ex.Status != StatusFailed {
			t.Errorf("status %s", ex.Status)
		}
	})
}
