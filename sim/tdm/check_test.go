package tdm

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// checkBase is a valid document the check cases extend; it ends on line
// 14, so a case's first line is line 15.
const checkBase = `{
type P @propertyType(id: "urn:tdm:ns:property:P", dataType: Int16) {ignore:void}
type S @stateType(id: "urn:tdm:ns:state:S") { v: P @property(id: "urn:tdm:ns:property:P") }
type SP @propertyType(id: "urn:tdm:ns:property:SP", instanceOf: "urn:tdm:ns:state:S") {ignore:void}
type E @eventType(id: "urn:tdm:ns:event:E", payload: "urn:tdm:ns:property:SP") {ignore:void}
type A @actionType(id: "urn:tdm:ns:action:A") { target: P @property(id: "urn:tdm:ns:property:P") return: SP @property(id: "urn:tdm:ns:property:SP") }
type B @actionType(id: "urn:tdm:ns:action:B") {ignore:void}
type Cap @capabilityType(id: "urn:tdm:ns:capability:Cap") {
  STATE: S @state(id: "urn:tdm:ns:state:S")
  a: A @action(id: "urn:tdm:ns:action:A")
  b: B @action(id: "urn:tdm:ns:action:B")
  e: E @event(id: "urn:tdm:ns:event:E")
}
type M @deviceModel(id: "urn:tdm:ns:deviceModel:M", capability: "urn:tdm:ns:capability:Cap") {ignore:void}
`

// checkDevice is a valid device of M (lines 15-21 when first).
const checkDevice = `query D @device(id: "urn:tdm:ns:device:D", deviceModel: "urn:tdm:ns:deviceModel:M") { MQTT { Cap(id: "urn:tdm:ns:capability:Cap") {
  state { v(name: "value", property: "urn:tdm:ns:property:P") }
  Action(name: "a") { params { param(name: "target", property: "urn:tdm:ns:property:P") }
    Publish { Request(topic: "$macro(${systemRuntime.deviceId}/a)") { params { param(name: "t", property: "urn:tdm:ns:property:P", value: "${target.value}") } } } }
  Action(name: "b") { Publish { Request(topic: "b") { params } } }
  Event(name: "e") { Subscribe(topic: "e") { responsePayload(property: "urn:tdm:ns:property:SP") } }
} } }
`

func diagnose(t *testing.T, src string) []string {
	t.Helper()
	s := mustExtract(t, src)
	var got []string
	for _, e := range s.Diagnose(nil) {
		got = append(got, e.Error())
	}
	return got
}

func TestCheckBaseIsValid(t *testing.T) {
	if got := diagnose(t, checkBase+checkDevice+"}"); got != nil {
		t.Fatalf("Diagnose(base) = %q, want nothing", got)
	}
}

func TestCheck(t *testing.T) {
	tests := []struct {
		name string
		src  string // appended to checkBase, before the closing }
		want []string
	}{
		{
			name: "state member with unknown property",
			src:  `type S2 @stateType(id: "urn:tdm:ns:state:S2") { w: P @property(id: "urn:tdm:ns:property:Nope") }`,
			want: []string{`15:68: urn:tdm:ns:state:S2: state member w: unknown property urn:tdm:ns:property:Nope; expected the id of a property (@propertyType) defined in this document or in a namespace it can see`},
		},
		{
			name: "event payload and action return unknown",
			src: `type E2 @eventType(id: "urn:tdm:ns:event:E2", payload: "urn:tdm:ns:property:Gone") {ignore:void}
type A2 @actionType(id: "urn:tdm:ns:action:A2") { return: X @property(id: "urn:tdm:ns:property:Gone") }`,
			want: []string{
				`15:56: urn:tdm:ns:event:E2: payload: unknown property urn:tdm:ns:property:Gone; expected the id of a property (@propertyType) defined in this document or in a namespace it can see`,
				`16:75: urn:tdm:ns:action:A2: return: unknown property urn:tdm:ns:property:Gone; expected the id of a property (@propertyType) defined in this document or in a namespace it can see`,
			},
		},
		{
			name: "complex property of an unknown state and wrong data type kind",
			src: `type Q @propertyType(id: "urn:tdm:ns:property:Q", instanceOf: "urn:tdm:ns:state:Nope") {ignore:void}
type R @propertyType(id: "urn:tdm:ns:property:R", dataType: "urn:tdm:ns:property:Q2") {ignore:void}`,
			want: []string{
				`15:63: urn:tdm:ns:property:Q: instanceOf: unknown state urn:tdm:ns:state:Nope; expected the id of a state (@stateType) defined in this document or in a namespace it can see`,
				`16:61: urn:tdm:ns:property:R: dataType: unknown property urn:tdm:ns:property:Q2; expected the id of a property (@propertyType) or an enum (@enumType) defined in this document or in a namespace it can see`,
			},
		},
		{
			name: "device misses an action and declares extra names",
			src: `query D @device(id: "urn:tdm:ns:device:D", deviceModel: "urn:tdm:ns:deviceModel:M") { MQTT { Cap(id: "urn:tdm:ns:capability:Cap") {
  Action(name: "a") { Publish { Request(topic: "a") } }
  Action(name: "zap") { Publish { Request(topic: "z") } }
  Event(name: "boom") { Subscribe(topic: "e") { responsePayload(property: "urn:tdm:ns:property:SP") } }
  state { nope(name: "n", property: "urn:tdm:ns:property:P") }
} } }`,
			want: []string{
				`15:94: urn:tdm:ns:device:D: does not implement action "b" of capability urn:tdm:ns:capability:Cap; add Action(name: "b") { ... } (a device has to cover each action its model's capability declares)`,
				`17:16: urn:tdm:ns:device:D: Action "zap" is not an action of capability urn:tdm:ns:capability:Cap (actions: a, b)`,
				`18:15: urn:tdm:ns:device:D: Event "boom" is not an event of capability urn:tdm:ns:capability:Cap (events: e)`,
				`19:11: urn:tdm:ns:device:D: state field nope is not a member of state urn:tdm:ns:state:S (members: v)`,
			},
		},
		{
			name: "capability block id differs from the model's",
			src: `type Cap2 @capabilityType(id: "urn:tdm:ns:capability:Cap2") { b: B @action(id: "urn:tdm:ns:action:B") }
query D @device(id: "urn:tdm:ns:device:D", deviceModel: "urn:tdm:ns:deviceModel:M") { MQTT { Cap(id: "urn:tdm:ns:capability:Cap2") {
  Action(name: "a") { Publish { Request(topic: "a") } }
  Action(name: "b") { Publish { Request(topic: "b") } }
} } }`,
			want: []string{
				`16:102: urn:tdm:ns:device:D: capability block id urn:tdm:ns:capability:Cap2 differs from capability urn:tdm:ns:capability:Cap of device model urn:tdm:ns:deviceModel:M`,
			},
		},
		{
			name: "device request names an unknown template variable",
			src: `query D @device(id: "urn:tdm:ns:device:D", deviceModel: "urn:tdm:ns:deviceModel:M") { MQTT { Cap(id: "urn:tdm:ns:capability:Cap") {
  Action(name: "a") { params { param(name: "target", property: "urn:tdm:ns:property:P") } Publish { Request(topic: "${systemRuntime.deviceId}/${targt.value}") } }
  Action(name: "b") { Publish { Request(topic: "b") } }
} } }`,
			want: []string{
				`16:145: urn:tdm:ns:device:D: Action "a" request topic: unknown variable ${targt.value}; a topic may use ${systemRuntime.deviceId} (the thing's name), ${systemConfig.awsRegion} or ${systemConfig.awsAccountId}`,
			},
		},
		{
			name: "device topics may use only the variables the runtime expands per thing",
			src: `query D @device(id: "urn:tdm:ns:device:D", deviceModel: "urn:tdm:ns:deviceModel:M") { MQTT { Cap(id: "urn:tdm:ns:capability:Cap") {
  Action(name: "a") { params { param(name: "target", property: "urn:tdm:ns:property:P") } Publish { Request(topic: "$macro(${systemConfig.awsRegion}/${target.value})") } }
  Action(name: "b") { Publish { Request(topic: "${systemConfig.ThingName}/b") Response(topic: "${systemRuntime.deviceId}/b/done") } }
} } }`,
			want: []string{
				`16:152: urn:tdm:ns:device:D: Action "a" request topic: unknown variable ${target.value}; a topic may use ${systemRuntime.deviceId} (the thing's name), ${systemConfig.awsRegion} or ${systemConfig.awsAccountId}`,
				`17:51: urn:tdm:ns:device:D: Action "b" request topic: unknown variable ${systemConfig.ThingName}; a topic may use ${systemRuntime.deviceId} (the thing's name), ${systemConfig.awsRegion} or ${systemConfig.awsAccountId}`,
			},
		},
		{
			name: "capability inheritance",
			src: `type Base @capabilityType(id: "urn:tdm:ns:capability:Base") { b: B @action(id: "urn:tdm:ns:action:B") }
type Child @capabilityType(id: "urn:tdm:ns:capability:Child") implements Base @capabilityType(id: "urn:tdm:ns:capability:Base") { a: A @action(id: "urn:tdm:ns:action:A") }
type CM @deviceModel(id: "urn:tdm:ns:deviceModel:CM", capability: "urn:tdm:ns:capability:Child") {ignore:void}
query CD @device(id: "urn:tdm:ns:device:CD", deviceModel: "urn:tdm:ns:deviceModel:CM") { MQTT { Child(id: "urn:tdm:ns:capability:Child") {
  Action(name: "a") { Publish { Request(topic: "a") } }
} } }
query F @workflowType(id: "urn:tdm:ns:workflow:F") { steps { step(name: "s") { DeviceActivity(deviceModel: "urn:tdm:ns:deviceModel:CM", deviceId: "t") { b } } } }
type Loop @capabilityType(id: "urn:tdm:ns:capability:Loop") implements Loop @capabilityType(id: "urn:tdm:ns:capability:Loop") {ignore:void}`,
			want: []string{
				`18:97: urn:tdm:ns:device:CD: does not implement action "b" of capability urn:tdm:ns:capability:Child; add Action(name: "b") { ... } (a device has to cover each action its model's capability declares)`,
				`22:97: urn:tdm:ns:capability:Loop: capability inheritance cycle through urn:tdm:ns:capability:Loop`,
			},
		},
		{
			name: "flow steps",
			src: `query F($d: String, $n: Int = 3) @workflowType(id: "urn:tdm:ns:workflow:F") {
  variables { r @property(id: "urn:tdm:ns:property:SP") }
  steps {
    step(name: "one", outEvent: ["done", "unused"]) { DeviceActivity(deviceModel: "urn:tdm:ns:deviceModel:M", deviceId: "${d}", out: "r") { a(target: "${n}") } }
    step(name: "one", inEvent: ["done", "never"]) { DeviceActivity(deviceModel: "urn:tdm:ns:deviceModel:M", deviceId: "${D}", out: "res") { a(targt: "${r.v + missing}") } }
    step(name: "three") { DeviceActivity(deviceModel: "urn:tdm:ns:deviceModel:X", deviceId: "${d}") { a } }
    step(name: "four") { DeviceActivity(deviceModel: "urn:tdm:ns:deviceModel:M", deviceId: "${d}") { zap } }
  }
}`,
			want: []string{
				`18:42: urn:tdm:ns:workflow:F: warning: step "one": outEvent "unused" is not the inEvent of any step`,
				`19:16: urn:tdm:ns:workflow:F: duplicate step name "one": the step at 18:5 already uses it; step names are unique in a flow`,
				`19:41: urn:tdm:ns:workflow:F: step "one": inEvent "never" is not emitted by any step (outEvent, choice rule setEvent or Catch raiseEvent); emitted: done, unused`,
				`19:132: urn:tdm:ns:workflow:F: step "one": out "res" is not a declared variable; declare it in variables { res @property(id: "<property URN>") }`,
				`19:141: urn:tdm:ns:workflow:F: warning: step "one": action "a" is called without its parameter "target"`,
				`19:143: urn:tdm:ns:workflow:F: step "one": action "a" has no parameter "targt" (parameters: target)`,
				`19:159: urn:tdm:ns:workflow:F: step "one" argument targt: unknown name missing in ${...}; expected a parameter or variable of the flow (d, n, r), systemConfig or systemRuntime`,
				`20:55: urn:tdm:ns:workflow:F: step "three" deviceModel: unknown device model urn:tdm:ns:deviceModel:X; expected the id of a device model (@deviceModel) defined in this document or in a namespace it can see`,
				`21:102: urn:tdm:ns:workflow:F: step "four": action "zap" is not a member of capability urn:tdm:ns:capability:Cap of device model urn:tdm:ns:deviceModel:M (members: a, b)`,
			},
		},
		{
			name: "choice and error handling events",
			src: `query F($d: String) @workflowType(id: "urn:tdm:ns:workflow:F") {
  steps {
    step(name: "pick") { ChoiceActivity { rule(name: "hot", expr: "${d == 'x'}") { setEvent(name: "hot") } rule(expr: "${e > 1}") { setEvent(name: "cold") } } }
    step(name: "act", inEvent: ["hot"]) { DeviceActivity(deviceModel: "urn:tdm:ns:deviceModel:M", deviceId: "${d}") { b }
      OnError { Catches { Catch(name: "c", condition: "true", raiseEvent: "failed") } } }
    step(name: "recover", inEvent: ["failed"]) { DeviceActivity(deviceModel: "urn:tdm:ns:deviceModel:M", deviceId: "${d}") { b } }
  }
}`,
			want: []string{
				`17:26: urn:tdm:ns:workflow:F: warning: step "pick": ChoiceActivity has no default rule; add default { setEvent(name: "...") } (the console requires one)`,
				`17:122: urn:tdm:ns:workflow:F: step "pick" rule expr: unknown name e in ${...}; expected a parameter or variable of the flow (d), systemConfig or systemRuntime`,
				`17:148: urn:tdm:ns:workflow:F: warning: step "pick": setEvent "cold" is not the inEvent of any step`,
			},
		},
		{
			name: "system members",
			src: `query F @workflowType(id: "urn:tdm:ns:workflow:F") { steps { step(name: "s") { DeviceActivity(deviceModel: "urn:tdm:ns:deviceModel:M", deviceId: "t") { b } } } }
type Sys @systemType(id: "urn:tdm:ns:system:Sys") {
  m: M @thing(id: "urn:tdm:ns:deviceModel:M")
  gone: M @thing(id: "urn:tdm:ns:device:Gone")
  f: F @workflow(id: "urn:tdm:ns:workflow:Missing")
  svc: S @service(id: "urn:tdm:ns:service:Missing")
  sub: S @system(id: "urn:tdm:ns:system:Missing")
  m: M @thing(id: "urn:tdm:ns:deviceModel:M")
}`,
			want: []string{
				`18:22: urn:tdm:ns:system:Sys: thing "gone": unknown device urn:tdm:ns:device:Gone; expected the id of a device model (@deviceModel) or a device (@device) defined in this document or in a namespace it can see`,
				`19:22: urn:tdm:ns:system:Sys: workflow "f": unknown flow urn:tdm:ns:workflow:Missing; expected the id of a flow (@workflowType) defined in this document or in a namespace it can see`,
				`20:23: urn:tdm:ns:system:Sys: service "svc": unknown service urn:tdm:ns:service:Missing; expected the id of a service (@service) defined in this document or in a namespace it can see`,
				`21:22: urn:tdm:ns:system:Sys: system "sub": unknown system urn:tdm:ns:system:Missing; expected the id of a system (@systemType) defined in this document or in a namespace it can see`,
				`22:3: urn:tdm:ns:system:Sys: role m is already defined at 17:3; role names are unique in a system`,
			},
		},
		{
			name: "deployment bindings and triggers",
			src: `query F($x: String, $y: String, $z: Int = 1) @workflowType(id: "urn:tdm:ns:workflow:F") { steps { step(name: "s") { DeviceActivity(deviceModel: "urn:tdm:ns:deviceModel:M", deviceId: "${x}") { b } } } }
type Sys @systemType(id: "urn:tdm:ns:system:Sys") {
  m: M @thing(id: "urn:tdm:ns:deviceModel:M")
  n: M @thing(id: "urn:tdm:ns:deviceModel:M")
  Flow: F @workflow(id: "urn:tdm:ns:workflow:F")
}
query Dep @deployment(id: "urn:tdm:ns:deployment:Dep", systemId: "urn:tdm:ns:system:Sys") {
  m(deviceId: "t1") M(deviceId: "t2")
  triggers {
    T1(description: "ok") { condition(expr: "devices[name == 'm'].events[name == 'e'].lastEvent") action(expr: "ThingsGraph.startFlow('Flow', bindings[name == 'm'].deviceId, 'b')") }
    T2 { condition(expr: "devices[name == 'q'].events[name == 'nope'].lastEvent") action(expr: "ThingsGraph.stopFlow('Flow')") }
    T3 { condition(expr: "every 5 minutes") action(expr: "ThingsGraph.startFlow('flow', 'a', 'b')") action(expr: "ThingsGraph.startFlow('Flow')") action(expr: "ThingsGraph.startFlow(Flow)") }
    T4 { condition(expr: "devices[name == 'm'].events[name == 'nope'].lastEvent") action(expr: "ThingsGraph.startFlow('Flow', 'a', 'b', 1, 2)") }
  }
}
query Dep2 @deployment(id: "urn:tdm:ns:deployment:Dep2", systemId: "urn:tdm:ns:system:Gone") { m(deviceId: "t1") }`,
			want: []string{
				`21:1: urn:tdm:ns:deployment:Dep: thing role "n" of system urn:tdm:ns:system:Sys (urn:tdm:ns:deviceModel:M) has no binding; add n(deviceId: "<thing name>")`,
				`22:21: urn:tdm:ns:deployment:Dep: binding "M" is not a thing role of system urn:tdm:ns:system:Sys (did you mean "m"? roles match exactly) (thing roles: m, n)`,
				`25:43: urn:tdm:ns:deployment:Dep: trigger T2: devices[name == 'q'] names no thing role of system urn:tdm:ns:system:Sys (thing roles: m, n)`,
				`25:97: urn:tdm:ns:deployment:Dep: trigger T2: action ThingsGraph.stopFlow('Flow') is not a call of ThingsGraph.startFlow; the only trigger action is ThingsGraph.startFlow('<flow role>', <argument>...)`,
				`26:81: urn:tdm:ns:deployment:Dep: trigger T3: ThingsGraph.startFlow names flow role "flow", which system urn:tdm:ns:system:Sys lacks (did you mean "Flow"? roles match exactly) (flow roles: Flow)`,
				`26:115: urn:tdm:ns:deployment:Dep: trigger T3: ThingsGraph.startFlow('Flow', ...) passes 0 argument(s) after the flow role; flow urn:tdm:ns:workflow:F takes 2 to 3 ($x, $y, $z)`,
				`26:183: urn:tdm:ns:deployment:Dep: trigger T3: the first argument of ThingsGraph.startFlow must be a flow role in quotes, found Flow (flow roles: Flow)`,
				`27:63: urn:tdm:ns:deployment:Dep: trigger T4: role m has no event "nope"; capability urn:tdm:ns:capability:Cap declares events: e`,
				`27:97: urn:tdm:ns:deployment:Dep: trigger T4: ThingsGraph.startFlow('Flow', ...) passes 4 argument(s) after the flow role; flow urn:tdm:ns:workflow:F takes 2 to 3 ($x, $y, $z)`,
				`30:68: urn:tdm:ns:deployment:Dep2: systemId: unknown system urn:tdm:ns:system:Gone; expected the id of a system (@systemType) defined in this document or in a namespace it can see`,
			},
		},
		{
			name: "lambda versions",
			src: `type LC @capabilityType(id: "urn:tdm:ns:capability:LC") { a: A @action(id: "urn:tdm:ns:action:A") b: B @action(id: "urn:tdm:ns:action:B") }
query L @service(id: "urn:tdm:ns:service:L") { AwsLambda { LC(id: "urn:tdm:ns:capability:LC") {
  Action(name: "a") { InvokeGreengrassLambda { Request(arn: "$macro(arn:aws:lambda:${systemConfig.awsRegion}:${systemConfig.awsAccountId}:function:f)") } }
  Action(name: "b") { InvokeCloudLambda { Request(arn: "arn:aws:lambda:us-east-1:123456789012:function:f:Latest") } }
} } }
query L2 @service(id: "urn:tdm:ns:service:L2") { AwsLambda { LC(id: "urn:tdm:ns:capability:LC") {
  Action(name: "a") { InvokeCloudLambda { Request(arn: "arn:aws:lambda:us-east-1:123456789012:function:f:1") } }
  Action(name: "b") { InvokeCloudLambda { Request(arn: "arn:aws:s3:::bucket") } }
} } }`,
			want: []string{
				`17:61: urn:tdm:ns:service:L: Action "a": Lambda ARN "$macro(arn:aws:lambda:${systemConfig.awsRegion}:${systemConfig.awsAccountId}:function:f)" has no version; append :<version> (e.g. :1): Things Graph invokes a published version`,
				`18:56: urn:tdm:ns:service:L: Action "b": Lambda ARN "arn:aws:lambda:us-east-1:123456789012:function:f:Latest" ends in "Latest", not a version number; Things Graph needs a published version such as :1 (aliases such as Latest are not resolved)`,
				`22:56: urn:tdm:ns:service:L2: Action "b": arn "arn:aws:s3:::bucket" is not a Lambda function ARN; expected arn:aws:lambda:<region>:<account>:function:<name>:<version>`,
			},
		},
		{
			name: "webservice steps",
			src: `type GC @capabilityType(id: "urn:tdm:ns:capability:GC") { a: A @action(id: "urn:tdm:ns:action:A") }
query G @service(id: "urn:tdm:ns:service:G") { REST { GC(id: "urn:tdm:ns:capability:GC") {
  Action(name: "a") { params { param(name: "target", property: "urn:tdm:ns:property:P") }
    HttpPost { Request(url: "https://x/${target.value}", auth: "SigV4", awsServiceName: "svc") { bodyParams { param(name: "", property: "urn:tdm:aws:property:String", value: "{}") } } Response { responsePayload(property: "urn:tdm:aws:property:Json") } } }
} } }
query F @workflowType(id: "urn:tdm:ns:workflow:F") {
  variables { out @property(id: "urn:tdm:aws:property:Json") }
  steps {
    step(name: "ok") { WebserviceActivity(webservice: "urn:tdm:ns:service:G", out: "out") { a(target: "1") } }
    step(name: "bad") { WebServiceActivity(webservice: "urn:tdm:ns:service:G") { nope } }
    step(name: "gone") { WebServiceActivity(webservice: "urn:tdm:ns:service:Gone") { a } }
  }
}`,
			want: []string{
				`24:82: urn:tdm:ns:workflow:F: step "bad": service urn:tdm:ns:service:G has no action "nope" (actions: a)`,
				`25:57: urn:tdm:ns:workflow:F: step "gone" webservice: unknown service urn:tdm:ns:service:Gone; expected the id of a service (@service) defined in this document or in a namespace it can see`,
			},
		},
		{
			name: "mapping entries that do not parse are warnings",
			src: `query Map @mapping(id: "urn:tdm:ns:mapping:Map", name: "m", from: "urn:tdm:ns:property:P f", to: "urn:tdm:ns:property:Nope t") {
  forward { map(expr: "f.v => t.v") map(expr: "f.v > 1 => t.v") map(expr: "Math.min(f.v, 10) => NULL") map(expr: "f.v => t.v +") }
}`,
			want: []string{
				`15:98: urn:tdm:ns:mapping:Map: to: unknown property urn:tdm:ns:property:Nope; expected the id of a property (@propertyType) defined in this document or in a namespace it can see`,
				`16:120: urn:tdm:ns:mapping:Map: warning: map entry is stored but does not parse: expected an operand (name, literal, '(', '[' or '${'), found end of expression`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := diagnose(t, checkBase+tt.src+"\n}")
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Diagnose() (-want +got):\n%s", diff)
			}
		})
	}
}

// TestCheckOmitsWarnings: Check returns the errors of Diagnose only, so
// callers that reject on any Check result accept documents with warnings.
func TestCheckOmitsWarnings(t *testing.T) {
	src := checkBase + `query F($d: String) @workflowType(id: "urn:tdm:ns:workflow:F") {
  steps { step(name: "s", outEvent: ["nobody"]) { DeviceActivity(deviceModel: "urn:tdm:ns:deviceModel:M", deviceId: "${d}") { b } } }
}
}`
	s := mustExtract(t, src)
	all := s.Diagnose(nil)
	if len(all) != 1 || !all[0].IsWarning() || all[0].Severity != SeverityWarning {
		t.Fatalf("Diagnose() = %v, want one warning", all)
	}
	if !strings.Contains(all[0].Error(), ": warning: step \"s\": outEvent \"nobody\"") {
		t.Errorf("warning text = %q", all[0].Error())
	}
	if errs := s.Check(nil); errs != nil {
		t.Errorf("Check() = %v, want nil (warnings only)", errs)
	}
	if w := all.Warnings(); len(w) != 1 || all.Errors() != nil {
		t.Errorf("Warnings() = %v, Errors() = %v", w, all.Errors())
	}
}
