package tdm

import (
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

const (
	acct   = "urn:tdm:us-east-1/000000000000/default"
	public = "urn:tdm:aws/examples"
)

// combined returns the six worked-example files as one document, built
// from each definition's source text (exercising Start/End).
func combined(t testing.TB) string {
	t.Helper()
	files := readTestdata(t)
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString("{\n")
	for _, n := range names {
		doc, err := Parse(files[n])
		if err != nil {
			t.Fatalf("Parse(%s) = %v", n, err)
		}
		for _, d := range doc.Definitions {
			b.WriteString(files[n][d.Start:d.End])
			b.WriteString("\n")
		}
	}
	b.WriteString("}\n")
	return b.String()
}

func mustExtract(t testing.TB, src string) *Set {
	t.Helper()
	doc, err := Parse(src)
	if err != nil {
		t.Fatalf("Parse = %v", err)
	}
	s, errs := ExtractSource(doc, src)
	if errs != nil {
		t.Fatalf("Extract = %v", errs)
	}
	return s
}

func TestExtractWorkedExample(t *testing.T) {
	s := mustExtract(t, combined(t))

	var kinds []string
	for _, e := range s.Entities {
		kinds = append(kinds, string(e.Kind)+" "+e.Name)
		if !strings.Contains(e.Text, e.Name) || !strings.HasSuffix(e.Text, "}") {
			t.Errorf("entity %s Text = %q", e.ID, e.Text)
		}
	}
	if len(s.Entities) != 20 {
		t.Errorf("Extract found %d entities, want 20: %v", len(s.Entities), kinds)
	}

	ignorePos := cmpopts.IgnoreTypes(Pos{})
	wantDevices := map[string]*Device{
		Key(public + ":device:RaspberryPiCamera"): {
			ID: public + ":device:RaspberryPiCamera", DeviceModel: public + ":deviceModel:Camera", Protocol: "MQTT",
			CapabilityID: public + ":capability:CameraCapability",
			Actions: []DeviceAction{{
				Name: "capture", Operation: "Publish",
				RequestTopic:     "$macro(${systemRuntime.deviceId}/capture)",
				ResponseTopic:    "$macro(${systemRuntime.deviceId}/capture/finished)",
				ResponseProperty: public + ":property:CameraStateProperty",
			}},
		},
		Key(public + ":device:RaspberryPiScreen"): {
			ID: public + ":device:RaspberryPiScreen", DeviceModel: public + ":deviceModel:Screen", Protocol: "MQTT",
			CapabilityID: public + ":capability:ScreenCapability",
			Actions: []DeviceAction{{
				Name:          "display",
				Params:        []Param{{Name: "imageUrl", Property: "urn:tdm:aws:property:String"}},
				Operation:     "Publish",
				RequestTopic:  "$macro(${systemRuntime.deviceId}/display)",
				RequestParams: []Param{{Name: "imageUri", Property: public + ":property:CameraStateProperty", Value: "${imageUrl.value}"}},
			}},
		},
		Key(public + ":device:HCSR501MotionSensor"): {
			ID: public + ":device:HCSR501MotionSensor", DeviceModel: public + ":deviceModel:MotionSensor", Protocol: "MQTT",
			CapabilityID: public + ":capability:MotionSensorCapability",
			Events:       []DeviceEvent{{Name: "StateChanged", Topic: "$macro(${systemRuntime.deviceId}/motion)", PayloadProperty: public + ":property:MotionSensorStateProperty"}},
		},
	}
	if diff := cmp.Diff(wantDevices, s.Devices, ignorePos); diff != "" {
		t.Errorf("Devices (-want +got):\n%s", diff)
	}

	wantCaps := map[string]*Capability{
		Key(public + ":capability:CameraCapability"): {ID: public + ":capability:CameraCapability", State: public + ":state:CameraState",
			Actions: map[string]string{"capture": public + ":action:Capture"}, Events: map[string]string{}},
		Key(public + ":capability:ScreenCapability"): {ID: public + ":capability:ScreenCapability", State: public + ":state:ScreenState",
			Actions: map[string]string{"display": public + ":action:Display"}, Events: map[string]string{}},
		Key(public + ":capability:MotionSensorCapability"): {ID: public + ":capability:MotionSensorCapability", State: public + ":State:MotionSensorState",
			Actions: map[string]string{}, Events: map[string]string{"StateChanged": public + ":event:MotionSensorEvent"}},
	}
	if diff := cmp.Diff(wantCaps, s.Capabilities); diff != "" {
		t.Errorf("Capabilities (-want +got):\n%s", diff)
	}
	if got := s.DeviceModels[Key(public+":deviceModel:Camera")]; got == nil || got.Capability != public+":capability:CameraCapability" {
		t.Errorf("DeviceModels[Camera] = %+v", got)
	}
	if got := s.Actions[Key(public+":action:Capture")]; got == nil || got.Return != public+":property:CameraStateProperty" || len(got.Params) != 0 {
		t.Errorf("Actions[Capture] = %+v", got)
	}
	if got := s.Events[Key(public+":event:MotionSensorEvent")]; got == nil || got.Payload != public+":property:MotionSensorStateProperty" {
		t.Errorf("Events[MotionSensorEvent] = %+v", got)
	}

	flowID := acct + ":Workflow:SecurityFlow"
	wantFlow := &Flow{
		ID: flowID, Name: "SecurityFlow",
		Params:    []FlowParam{{Name: "camera", Type: "string!"}, {Name: "screen", Type: "string!"}},
		Variables: []Variable{{Name: "cameraResult", Property: public + ":property:CameraStateProperty"}},
		Steps: []Step{
			{Name: "Camera", OutEvents: []string{"cameraStepDone"}, Activity: Activity{
				Kind: "DEVICE", DeviceModel: public + ":deviceModel:Camera", DeviceID: "${camera}", Out: "cameraResult", Action: "capture"}},
			{Name: "Screen", InEvents: []string{"cameraStepDone"}, Activity: Activity{
				Kind: "DEVICE", DeviceModel: public + ":deviceModel:Screen", DeviceID: "${screen}", Action: "display",
				Args: []Param{{Name: "imageUrl", Value: "${cameraResult.lastClickedImage}"}}}},
		},
	}
	if diff := cmp.Diff(wantFlow, s.Flows[Key(flowID)], ignorePos); diff != "" {
		t.Errorf("Flows[SecurityFlow] (-want +got):\n%s", diff)
	}

	sysID := acct + ":System:SecurityFlow"
	wantSys := &System{
		ID: sysID, Description: "Home Security System",
		Things: []Role{
			{"motionSensor", public + ":deviceModel:MotionSensor"},
			{"camera", public + ":deviceModel:Camera"},
			{"screen", public + ":deviceModel:Screen"},
		},
		Workflows: []Role{{"SecurityFlow", flowID}},
	}
	if diff := cmp.Diff(wantSys, s.Systems[Key(sysID)], ignorePos); diff != "" {
		t.Errorf("Systems[SecurityFlow] (-want +got):\n%s", diff)
	}

	depID := acct + ":Deployment:Room215"
	wantDep := &Deployment{
		ID: depID, SystemID: sysID,
		Bindings: []Binding{{"motionSensor", "MotionSensorName"}, {"screen", "ScreenName"}, {"camera", "CameraName"}},
		Triggers: []Trigger{{
			Name: "MotionEventTrigger", Description: "a trigger",
			Condition: "devices[name == 'motionSensor'].events[name == 'StateChanged'].lastEvent",
			Actions:   []string{"ThingsGraph.startFlow('SecurityFlow', bindings[name == 'camera'].deviceId, bindings[name == 'screen'].deviceId)"},
		}},
	}
	if diff := cmp.Diff(wantDep, s.Deployments[Key(depID)], ignorePos); diff != "" {
		t.Errorf("Deployments[Room215] (-want +got):\n%s", diff)
	}
	// Lookup is metatype-insensitive.
	if e := s.Entity(acct + ":deployment:Room215"); e == nil || e.Kind != KindDeployment {
		t.Errorf("Entity(lower-case metatype) = %v", e)
	}

	if errs := s.Check(nil); errs != nil {
		t.Errorf("Check(worked example) = %v, want no errors", errs)
	}
}

// TestCheckAcrossDocuments checks the account documents against the
// public example entities through the resolver, as the caller will.
func TestCheckAcrossDocuments(t *testing.T) {
	files := readTestdata(t)
	pub := newSet()
	for _, n := range []string{"camera.graphql", "motion-sensor.graphql", "screen.graphql"} {
		s := mustExtract(t, files[n])
		for _, e := range s.Entities {
			pub.byKey[Key(e.ID)] = e
		}
	}
	acctDocs := "{" + strings.Join([]string{
		strings.TrimSuffix(strings.TrimSpace(files["security-flow.workflow.graphql"])[1:], "}"),
		strings.TrimSuffix(strings.TrimSpace(files["security-flow.system.graphql"])[1:], "}"),
		strings.TrimSuffix(strings.TrimSpace(files["room215.deployment.graphql"])[1:], "}"),
	}, "\n") + "}"
	s := mustExtract(t, acctDocs)
	if errs := s.Check(func(k string) *Entity { return pub.byKey[k] }); errs != nil {
		t.Errorf("Check(account docs, public resolver) = %v, want none", errs)
	}
	errs := s.Check(nil)
	if len(errs) == 0 {
		t.Fatalf("Check(account docs, nil resolver) = nil, want unknown-reference errors")
	}
	if !strings.Contains(errs.Error(), `step "Camera": unknown device model urn:tdm:aws/examples:deviceModel:Camera`) {
		t.Errorf("Check(nil) = %v, want an unknown device model error for step Camera", errs)
	}
}

const capDoc = `{
type Cap @capabilityType(id: "urn:tdm:ns:capability:Cap") {
  a: A @action(id: "urn:tdm:ns:action:A")
  b: B @action(id: "urn:tdm:ns:action:B")
  e: E @event(id: "urn:tdm:ns:event:E")
}
type M @deviceModel(id: "urn:tdm:ns:deviceModel:M", capability: "urn:tdm:ns:capability:Cap") {ignore:void}
`

func TestCheckErrors(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{
			name: "device missing an action",
			src: capDoc + `query D @device(id: "urn:tdm:ns:device:D", deviceModel: "urn:tdm:ns:deviceModel:M") {
  MQTT { Cap(id: "urn:tdm:ns:capability:Cap") { ACTION(name: "A") { Publish { Request(topic: "t") { params } } } } }
}}`,
			want: []string{`8:1: urn:tdm:ns:device:D: device does not implement action "b" of capability urn:tdm:ns:capability:Cap (a device has to cover each action its model's capability declares)`},
		},
		{
			name: "capability block id and unknown model",
			src: capDoc + `query D @device(id: "urn:tdm:ns:device:D", deviceModel: "urn:tdm:ns:deviceModel:M") {
  MQTT { Other(id: "urn:tdm:ns:capability:Other") { Action(name: "a") {} Action(name: "b") {} } }
}
query D2 @device(id: "urn:tdm:ns:device:D2", deviceModel: "urn:tdm:ns:deviceModel:Nope") { MQTT { C(id: "x") {} } }
type M2 @deviceModel(id: "urn:tdm:ns:deviceModel:M2", capability: "urn:tdm:ns:capability:Nope") {ignore:void}
}`,
			want: []string{
				`8:1: urn:tdm:ns:device:D: capability block id urn:tdm:ns:capability:Other differs from capability urn:tdm:ns:capability:Cap of device model urn:tdm:ns:deviceModel:M`,
				`11:1: urn:tdm:ns:device:D2: unknown device model urn:tdm:ns:deviceModel:Nope`,
				`12:1: urn:tdm:ns:deviceModel:M2: unknown capability urn:tdm:ns:capability:Nope`,
			},
		},
		{
			name: "flow steps",
			src: capDoc + `query F($d: String) @workflowType(id: "urn:tdm:ns:workflow:F") {
  steps {
    step(name: "one", outEvent: ["done"]) { DeviceActivity(deviceModel: "urn:tdm:ns:DEVICEMODEL:M", deviceId: "${d}") { A } }
    step(name: "two", inEvent: ["done", "never"]) { DeviceActivity(deviceModel: "urn:tdm:ns:deviceModel:M") { zap(x: 1) } }
    step(name: "three") { DeviceActivity(deviceModel: "urn:tdm:ns:deviceModel:X") { a } }
    step(name: "four") { ChoiceActivity { rule(name: "r", expr: "${x}") { setEvent(name: "E1") } default } }
  }
}}`,
			want: []string{
				`11:5: urn:tdm:ns:workflow:F: step "two": inEvent "never" is not emitted by any step's outEvent`,
				`11:53: urn:tdm:ns:workflow:F: step "two": action "zap" is not a member of capability urn:tdm:ns:capability:Cap of device model urn:tdm:ns:deviceModel:M (members: a, b)`,
				`12:27: urn:tdm:ns:workflow:F: step "three": unknown device model urn:tdm:ns:deviceModel:X`,
			},
		},
		{
			name: "system and deployment",
			src: capDoc + `type S @systemType(id: "urn:tdm:ns:system:S") {
  m: M @thing(id: "urn:tdm:ns:deviceModel:M")
  c: C @thing(id: "urn:tdm:ns:capability:Cap")
  f: F @workflow(id: "urn:tdm:ns:workflow:Missing")
}
query Dep @deployment(id: "urn:tdm:ns:deployment:Dep", systemId: "urn:tdm:ns:system:S") { m(deviceId: "t1") x(deviceId: "t2") }
query Dep2 @deployment(id: "urn:tdm:ns:deployment:Dep2", systemId: "urn:tdm:ns:system:Gone") { m(deviceId: "t1") }
}`,
			want: []string{
				`8:1: urn:tdm:ns:system:S: thing "c": urn:tdm:ns:capability:Cap is neither a known device model nor a known device`,
				`8:1: urn:tdm:ns:system:S: workflow "f": unknown flow urn:tdm:ns:workflow:Missing`,
				`13:1: urn:tdm:ns:deployment:Dep: binding "x" is not a thing role of system urn:tdm:ns:system:S`,
				`14:1: urn:tdm:ns:deployment:Dep2: unknown system urn:tdm:ns:system:Gone`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := mustExtract(t, tt.src)
			var got []string
			for _, e := range s.Check(nil) {
				got = append(got, e.Error())
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Check() (-want +got):\n%s", diff)
			}
		})
	}
}

func TestExtractErrors(t *testing.T) {
	tests := []struct {
		name, src string
		want      []string
	}{
		{"no directive", `{ type A @foo(id: "urn:tdm:ns:property:A") {ignore:void} }`,
			[]string{`1:3: type A has no entity directive; expected one of ` + directiveList}},
		{"no id", `{ type A @propertyType(dataType: String) {ignore:void} }`,
			[]string{`1:10: @propertyType of A has no id argument; every entity needs id: "urn:tdm:..."`}},
		{"bad urn", `{ type A @propertyType(id: "urn:tdm:ns:property:my-prop") {ignore:void} }`,
			[]string{`1:28: urn "urn:tdm:ns:property:my-prop": name "my-prop" must be /-separated segments of letters, digits and underscores`}},
		{"metatype mismatch", `{ type A @DeviceModel(id: "urn:tdm:ns:device:A", capability: "c") {ignore:void} }`,
			[]string{`1:27: urn:tdm:ns:device:A: metatype "device" does not match @DeviceModel; expected "deviceModel"`}},
		{"flow metatype", `{ query F @workflowType(id: "urn:tdm:ns:system:F") { steps } }`,
			[]string{`1:29: urn:tdm:ns:system:F: metatype "system" does not match @workflowType; expected "workflow" or "flow"`}},
		{"duplicate", "{ type A @propertyType(id: \"urn:tdm:ns:Property:A\") {ignore:void}\n type B @propertyType(id: \"urn:tdm:ns:property:A\") {ignore:void} }",
			[]string{`2:2: urn:tdm:ns:property:A: duplicate id: type A already defines it at 1:3`}},
		{"device without protocol", `{ query D @device(id: "urn:tdm:ns:device:D", deviceModel: "m") {ignore:void} }`,
			[]string{`1:3: urn:tdm:ns:device:D: device D has no protocol block; expected MQTT { ... } or Modbus(serverId: ...) { ... }`}},
		{"trigger without action", `{ query X @deployment(id: "urn:tdm:ns:deployment:X", systemId: "s") { triggers { T { condition(expr: "every 1 hours") } } } }`,
			[]string{`1:82: urn:tdm:ns:deployment:X: trigger T needs condition(expr: ...) and at least one action(expr: ...)`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, err := Parse(tt.src)
			if err != nil {
				t.Fatalf("Parse(%q) = %v", tt.src, err)
			}
			_, errs := Extract(doc)
			var got []string
			for _, e := range errs {
				got = append(got, e.Error())
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Extract(%q) errors (-want +got):\n%s", tt.src, diff)
			}
		})
	}
}

func TestExtractModbus(t *testing.T) {
	src := `{ query P @device(id: "urn:tdm:ns:device:P", deviceModel: "urn:tdm:ns:deviceModel:M") {
  MODBUS(ServerId: "1") { Cap(id: "urn:tdm:ns:capability:Cap") {
    Action(name: "read") { Params ReadHoldingRegisters { Request(Address: 4, ReadCount: 1) Response { responsePayload(property: "p") } } }
  } } } }`
	s := mustExtract(t, src)
	d := s.Devices[Key("urn:tdm:ns:device:P")]
	if d.Protocol != "MODBUS" || d.ServerID != "1" || len(d.Actions) != 1 || d.Actions[0].Name != "read" ||
		d.Actions[0].Operation != "ReadHoldingRegisters" || d.Actions[0].ResponseProperty != "p" {
		t.Errorf("Modbus device = %+v", d)
	}
}

func TestWebserviceStep(t *testing.T) {
	src := `{
query Geo @service(id: "urn:tdm:ns:service:Geo") {
  REST { GeoCap(id: "urn:tdm:ns:capability:GeoCap") {
    Action(name: "lookup") {
      params { param(name: "ip", property: "urn:tdm:aws:Property:String") }
      HttpPost { Request(url: "$macro(https://svc.${systemConfig.awsRegion}.amazonaws.com)", auth: "SigV4") { bodyParams } Response { responsePayload(property: "urn:tdm:aws:Property:Json") } }
    }
  } }
}
query F @workflowType(id: "urn:tdm:ns:Flow:F") {
  variables { geo: G @property(id: "urn:tdm:aws:Property:Json") }
  steps {
    step(name: "a", description: "look up", condition: "${1 == 1}") { WebServiceActivity(webservice: "urn:tdm:ns:service:Geo", out: "geo") { lookup(ip: "1.2.3.4") } }
    step(name: "b") { WebserviceActivity(webservice: "urn:tdm:ns:service:Geo") { nope } }
  }
}
}`
	s := mustExtract(t, src)
	svc := s.Services[Key("urn:tdm:ns:service:Geo")]
	if svc == nil || svc.Protocol != "REST" || svc.CapabilityID != "urn:tdm:ns:capability:GeoCap" || len(svc.Actions) != 1 ||
		svc.Actions[0].Operation != "HttpPost" || svc.Actions[0].ResponseProperty != "urn:tdm:aws:Property:Json" {
		t.Errorf("Services[Geo] = %+v", svc)
	}
	f := s.Flows[Key("urn:tdm:ns:flow:F")]
	want := Step{Name: "a", Description: "look up", Condition: "${1 == 1}", Activity: Activity{
		Kind: "WEBSERVICE", Service: "urn:tdm:ns:service:Geo", Out: "geo", Action: "lookup", Args: []Param{{Name: "ip", Value: "1.2.3.4"}}}}
	if diff := cmp.Diff(want, f.Steps[0], cmpopts.IgnoreTypes(Pos{})); diff != "" {
		t.Errorf("Steps[0] (-want +got):\n%s", diff)
	}
	var got []string
	for _, e := range s.Check(nil) {
		got = append(got, e.Error())
	}
	wantErrs := []string{`14:23: urn:tdm:ns:Flow:F: step "b": service urn:tdm:ns:service:Geo has no action "nope"`}
	if diff := cmp.Diff(wantErrs, got); diff != "" {
		t.Errorf("Check() (-want +got):\n%s", diff)
	}
}
