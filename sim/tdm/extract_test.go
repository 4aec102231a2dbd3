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

// modelOpts compares extracted structures ignoring positions; expressions
// compare by their canonical text.
var modelOpts = cmp.Options{
	cmpopts.IgnoreTypes(Pos{}, []Pos{}),
	cmp.Comparer(func(a, b Expr) bool {
		if a == nil || b == nil {
			return a == nil && b == nil
		}
		return a.String() == b.String()
	}),
}

func mustParseExpr(t testing.TB, src string) Expr {
	t.Helper()
	e, err := ParseExpr(src)
	if err != nil {
		t.Fatalf("ParseExpr(%q) = %v", src, err)
	}
	return e
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

	ignorePos := modelOpts
	wantDevices := map[string]*Device{
		Key(public + ":device:RaspberryPiCamera"): {
			ID: public + ":device:RaspberryPiCamera", DeviceModel: public + ":deviceModel:Camera", Protocol: "MQTT",
			CapabilityID: public + ":capability:CameraCapability", CapabilityName: "CameraCapability",
			State: []WireField{{Member: "lastClickedImage", Name: "lastImage", Property: "urn:tdm:aws:property:String"}},
			Actions: []DeviceAction{{
				Name: "capture", Operation: "Publish", HasResponse: true,
				RequestTopic:     "$macro(${systemRuntime.deviceId}/capture)",
				ResponseTopic:    "$macro(${systemRuntime.deviceId}/capture/finished)",
				ResponseProperty: public + ":property:CameraStateProperty",
			}},
		},
		Key(public + ":device:RaspberryPiScreen"): {
			ID: public + ":device:RaspberryPiScreen", DeviceModel: public + ":deviceModel:Screen", Protocol: "MQTT",
			CapabilityID: public + ":capability:ScreenCapability", CapabilityName: "ScreenCapability",
			State: []WireField{{Member: "currentDisplayImage", Name: "displayUri", Property: "urn:tdm:aws:property:String"}},
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
			CapabilityID: public + ":capability:MotionSensorCapability", CapabilityName: "MotionSensorCapability",
			State:  []WireField{{Member: "isMotionDetected", Name: "isMotionDetected", Property: "urn:tdm:aws:property:Boolean"}},
			Events: []DeviceEvent{{Name: "StateChanged", Topic: "$macro(${systemRuntime.deviceId}/motion)", PayloadProperty: public + ":property:MotionSensorStateProperty"}},
		},
	}
	if diff := cmp.Diff(wantDevices, s.Devices, ignorePos); diff != "" {
		t.Errorf("Devices (-want +got):\n%s", diff)
	}

	wantCaps := map[string]*Capability{
		Key(public + ":capability:CameraCapability"): {ID: public + ":capability:CameraCapability", State: public + ":state:CameraState",
			Actions: map[string]string{"capture": public + ":action:Capture"}, Events: map[string]string{},
			Members: []CapabilityMember{{Name: "STATE", Ref: "state", ID: public + ":state:CameraState"}, {Name: "capture", Ref: "action", ID: public + ":action:Capture"}}},
		Key(public + ":capability:ScreenCapability"): {ID: public + ":capability:ScreenCapability", State: public + ":state:ScreenState",
			Actions: map[string]string{"display": public + ":action:Display"}, Events: map[string]string{},
			Members: []CapabilityMember{{Name: "STATE", Ref: "state", ID: public + ":state:ScreenState"}, {Name: "display", Ref: "action", ID: public + ":action:Display"}}},
		Key(public + ":capability:MotionSensorCapability"): {ID: public + ":capability:MotionSensorCapability", State: public + ":State:MotionSensorState",
			Actions: map[string]string{}, Events: map[string]string{"StateChanged": public + ":event:MotionSensorEvent"},
			Members: []CapabilityMember{{Name: "STATE", Ref: "state", ID: public + ":State:MotionSensorState"}, {Name: "StateChanged", Ref: "event", ID: public + ":event:MotionSensorEvent"}}},
	}
	if diff := cmp.Diff(wantCaps, s.Capabilities, ignorePos); diff != "" {
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
			{Name: "motionSensor", ID: public + ":deviceModel:MotionSensor"},
			{Name: "camera", ID: public + ":deviceModel:Camera"},
			{Name: "screen", ID: public + ":deviceModel:Screen"},
		},
		Workflows: []Role{{Name: "SecurityFlow", ID: flowID}},
	}
	if diff := cmp.Diff(wantSys, s.Systems[Key(sysID)], ignorePos); diff != "" {
		t.Errorf("Systems[SecurityFlow] (-want +got):\n%s", diff)
	}

	depID := acct + ":Deployment:Room215"
	wantDep := &Deployment{
		ID: depID, SystemID: sysID,
		Bindings: []Binding{{Role: "motionSensor", ThingName: "MotionSensorName"}, {Role: "screen", ThingName: "ScreenName"}, {Role: "camera", ThingName: "CameraName"}},
		Triggers: []Trigger{{
			Name: "MotionEventTrigger", Description: "a trigger",
			Condition:     "devices[name == 'motionSensor'].events[name == 'StateChanged'].lastEvent",
			Actions:       []string{"ThingsGraph.startFlow('SecurityFlow', bindings[name == 'camera'].deviceId, bindings[name == 'screen'].deviceId)"},
			ConditionExpr: mustParseExpr(t, "devices[name == 'motionSensor'].events[name == 'StateChanged'].lastEvent"),
			ActionExprs:   []Expr{mustParseExpr(t, "ThingsGraph.startFlow('SecurityFlow', bindings[name == 'camera'].deviceId, bindings[name == 'screen'].deviceId)")},
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
	if !strings.Contains(errs.Error(), `8:35: urn:tdm:us-east-1/000000000000/default:Workflow:SecurityFlow: step "Camera" deviceModel: unknown device model urn:tdm:aws/examples:deviceModel:Camera; expected the id of a device model (@deviceModel) defined in this document or in a namespace it can see`) {
		t.Errorf("Check(nil) = %v, want an unknown device model error for step Camera", errs)
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
			[]string{`2:27: urn:tdm:ns:property:A: duplicate id: type A at 1:3 already defines it; type B needs an id of its own`}},
		{"device without protocol", `{ query D @device(id: "urn:tdm:ns:device:D", deviceModel: "urn:tdm:ns:deviceModel:m") {ignore:void} }`,
			[]string{`1:3: urn:tdm:ns:device:D: device D has no protocol block; expected MQTT { ... } or Modbus(serverId: ...) { ... }`}},
		{"trigger without action", `{ query X @deployment(id: "urn:tdm:ns:deployment:X", systemId: "urn:tdm:ns:system:s") { triggers { T { condition(expr: "every 1 hours") } } } }`,
			[]string{`1:100: urn:tdm:ns:deployment:X: trigger T needs condition(expr: ...) and at least one action(expr: ...)`}},
		{"usage directive metatype", `{ type S @stateType(id: "urn:tdm:ns:state:S") { v: P @property(id: "urn:tdm:ns:state:P") } }`,
			[]string{`1:68: urn:tdm:ns:state:S: metatype "state" of urn:tdm:ns:state:P does not match @property(id:); expected "property"`}},
		{"instanceOf metatype", `{ type Q @propertyType(id: "urn:tdm:ns:property:Q", instanceOf: "urn:tdm:ns:property:P") {ignore:void} }`,
			[]string{`1:65: urn:tdm:ns:property:Q: metatype "property" of urn:tdm:ns:property:P does not match argument instanceOf; expected "state"`}},
		{"reference not a urn", `{ type M @deviceModel(id: "urn:tdm:ns:deviceModel:M", capability: "Cap") {ignore:void} }`,
			[]string{`1:67: urn:tdm:ns:deviceModel:M: argument capability: urn "Cap" must start with "urn:tdm:"`}},
		{"unknown data type", `{ type P @propertyType(id: "urn:tdm:ns:property:P", dataType: Int) {ignore:void} }`,
			[]string{
				`1:63: urn:tdm:ns:property:P: unknown data type Int; expected a built-in type (String, Boolean (Bool), Int8, Int16, Int32, Int64, UInt8 (Byte), UInt16, UInt32, UInt64, Float32 (Float), Float64 (Double), Urn, Arn, Uri, DateTime, Date, Duration, Json) or a URN string`,
			}},
		{"facet not a number", `{ type P @propertyType(id: "urn:tdm:ns:property:P", dataType: Int16, minValue: low) {ignore:void} }`,
			[]string{
				`1:80: urn:tdm:ns:property:P: minValue must be a number, found name low`,
			}},
		{"range inverted", `{ type P @propertyType(id: "urn:tdm:ns:property:P", dataType: Int16, min: 10, max: 1) {ignore:void} }`,
			[]string{
				`1:84: urn:tdm:ns:property:P: maxValue 1 is below minValue 10`,
			}},
		{"usage directive as definition", `{ type P @property(id: "urn:tdm:ns:property:P") {ignore:void} }`,
			[]string{`1:3: type P has no entity directive; expected one of ` + directiveList}},
		{"state member without directive", `{ type S @stateType(id: "urn:tdm:ns:state:S") { v: Int } }`,
			[]string{`1:49: urn:tdm:ns:state:S: state member v has no @property(id: ...) directive; every member names its property (or @state / @enum)`}},
		{"modbus operation unknown", "{ query P @device(id: \"urn:tdm:ns:device:P\", deviceModel: \"urn:tdm:ns:deviceModel:M\") {\n  Modbus(serverId: \"1\") { C(id: \"urn:tdm:ns:capability:C\") {\n    Action(name: \"r\") { Params ReadRegisters { Request(Address: 1, ReadCount: 1) } } } } } }",
			[]string{
				`3:32: urn:tdm:ns:device:P: unknown Modbus operation "ReadRegisters" in Action "r"; expected one of ReadCoils, ReadDiscreteInputs, ReadHoldingRegisters, ReadInputRegisters, WriteSingleCoil, WriteSingleRegister, WriteMultipleRegisters`,
			}},
		{"modbus request incomplete", "{ query P @device(id: \"urn:tdm:ns:device:P\", deviceModel: \"urn:tdm:ns:deviceModel:M\") {\n  Modbus(serverId: \"x\") { C(id: \"urn:tdm:ns:capability:C\") {\n    Action(name: \"r\") { Params ReadCoils { Request(ReadCount: 1) } }\n    Event(name: \"e\") {} } } } }",
			[]string{
				`2:20: urn:tdm:ns:device:P: serverId must be an integer, found "x"`,
				`3:44: urn:tdm:ns:device:P: Request of ReadCoils has no Address argument (the first register or coil)`,
				`4:5: urn:tdm:ns:device:P: Modbus devices have no events (the master polls them); remove Event(name: "e") or read the value with an action [DOC ug:iot-tg-models-mod101]`,
			}},
		{"mqtt action without publish", "{ query D @device(id: \"urn:tdm:ns:device:D\", deviceModel: \"urn:tdm:ns:deviceModel:M\") { MQTT { C(id: \"urn:tdm:ns:capability:C\") {\n  Action(name: \"a\") {}\n  Action(name: \"b\") { Subscribe(topic: \"t\") } } } } }",
			[]string{
				`2:3: urn:tdm:ns:device:D: Action "a" has no operation block; expected Publish after its params`,
				`3:23: urn:tdm:ns:device:D: unknown MQTT operation "Subscribe" in Action "b"; expected one of Publish`,
			}},
		{"rest auth", "{ query G @service(id: \"urn:tdm:ns:service:G\") { REST { C(id: \"urn:tdm:ns:capability:C\") {\n  Action(name: \"a\") { HttpGet { Request(url: \"https://x\", auth: \"Basic\") } } } } } }",
			[]string{
				`2:65: urn:tdm:ns:service:G: auth "Basic" is not supported; the only value is "SigV4" (for AWS services, with awsServiceName)`,
			}},
		{"service protocol", `{ query G @service(id: "urn:tdm:ns:service:G") { MQTT { C(id: "urn:tdm:ns:capability:C") {} } } }`,
			[]string{`1:50: urn:tdm:ns:service:G: unknown service protocol block "MQTT"; expected REST or AwsLambda`}},
		{"trigger expressions", "{ query X @deployment(id: \"urn:tdm:ns:deployment:X\", systemId: \"urn:tdm:ns:system:s\") { triggers {\n  T { condition(expr: \"devices[name = 'm']\") action(expr: \"ThingsGraph.startFlow('F',\") }\n  U { condition(expr: \"every 0 hours\") action(expr: \"ThingsGraph.startFlow('F')\") } } } }",
			[]string{
				`2:37: urn:tdm:ns:deployment:X: trigger T condition: unexpected '='; expected '==' to compare (assignment is not an expression)`,
				`2:86: urn:tdm:ns:deployment:X: trigger T action: expected an operand (name, literal, '(', '[' or '${'), found end of expression`,
				`3:23: urn:tdm:ns:deployment:X: trigger U: malformed time condition "every 0 hours"; expected every <N> seconds|minutes|hours|days|weeks|months|years with N a positive integer`,
			}},
		{"binding without deviceId", `{ query X @deployment(id: "urn:tdm:ns:deployment:X", systemId: "urn:tdm:ns:system:s") { camera(thing: "c") } }`,
			[]string{
				`1:89: urn:tdm:ns:deployment:X: binding camera has no deviceId argument; expected camera(deviceId: "<thing name>")`,
			}},
		{"flow structure", "{ query F @workflowType(id: \"urn:tdm:ns:workflow:F\") {\n  steps {\n    step(name: \"a\", condition: \"${x ==}\") { Activity { go } }\n    step(name: \"b\") { ChoiceActivity { rule(expr: \"${x}\") other } }\n    step(name: \"c\") { DeviceActivity(deviceModel: \"urn:tdm:ns:deviceModel:M\") { a } OnError { Retries { Retry(name: \"r\") } Catches { Catch(name: \"k\") } } }\n  }\n  bogus\n} }",
			[]string{
				`3:39: urn:tdm:ns:workflow:F: step "a" condition: expected an operand (name, literal, '(', '[' or '${'), found '}'`,
				`3:45: urn:tdm:ns:workflow:F: unknown activity Activity in step "a"; expected DeviceActivity, WebserviceActivity or ChoiceActivity`,
				`4:40: urn:tdm:ns:workflow:F: rule of the ChoiceActivity of step "b" sets no event; expected { setEvent(name: "...") }`,
				`4:59: urn:tdm:ns:workflow:F: unexpected other in the ChoiceActivity of step "b"; expected rule(expr: "${...}") { setEvent(name: "...") } or default`,
				`5:105: urn:tdm:ns:workflow:F: Retry "r" needs errorEquals: [...] or condition: to say which errors it retries`,
				`5:134: urn:tdm:ns:workflow:F: Catch "k" needs expr: or raiseEvent: to say what happens`,
				`7:3: urn:tdm:ns:workflow:F: unexpected block bogus in flow F; expected variables { ... } and steps { ... }`,
			}},
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
