package tdm

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func f64(v float64) *float64 { return &v }
func i64(v int64) *int64     { return &v }

func TestExtractConstructs(t *testing.T) {
	tests := []struct {
		name string
		src  string // one or more definitions, wrapped in { } by the test
		get  func(*Set) any
		want any
	}{
		{
			name: "property facets",
			src: `type Celsius @propertyType(id: "urn:tdm:ns:property:Celsius", dataType: Int16, minValue: -400, max: 1250.5,
  description: "tenths", minLength: 0, maxLength: 8, isAbstract: TRUE, isGlobalId: "false", uom: "urn:tdm:aws:enum:uom/temp",
  accuracy: 0.1, semTypeId: ["urn:tdm:ns:property:Temp", "urn:tdm:ns:property:Reading"]) @annotation(type: "x") {ignore:void}`,
			get: func(s *Set) any { return s.Properties[Key("urn:tdm:ns:property:Celsius")] },
			want: &Property{
				ID: "urn:tdm:ns:property:Celsius", DataType: "Int16", Primitive: "int16", Description: "tenths",
				MinValue: f64(-400), MaxValue: f64(1250.5), MinLength: i64(0), MaxLength: i64(8), IsAbstract: true,
				Uom: "urn:tdm:aws:enum:uom/temp", Accuracy: f64(0.1), SemTypeIDs: []string{"urn:tdm:ns:property:Temp", "urn:tdm:ns:property:Reading"},
				Directives: []*Directive{{Name: "annotation", Args: []*Arg{{Name: "type", Value: &Value{Kind: ValueString, Text: "x"}}}}},
			},
		},
		{
			name: "data type aliases and URNs",
			src: `type A @propertyType(id: "urn:tdm:ns:property:A", dataType: DOUBLE) {ignore:void}
type B @propertyType(id: "urn:tdm:ns:property:B", dataType: "urn:tdm:ns:enum:Mode") {ignore:void}
type C @propertyType(id: "urn:tdm:ns:property:C", dataType: "urn:tdm:aws:dataType:EntityType", instanceOf: "urn:tdm:ns:state:S") {ignore:void}`,
			get: func(s *Set) any {
				return []string{s.Properties[Key("urn:tdm:ns:property:A")].Primitive, s.Properties[Key("urn:tdm:ns:property:B")].DataType,
					s.Properties[Key("urn:tdm:ns:property:C")].InstanceOf}
			},
			want: []string{"float64", "urn:tdm:ns:enum:Mode", "urn:tdm:ns:state:S"},
		},
		{
			name: "enum",
			src:  `enum FanMode @enumType(id: "urn:tdm:ns:enum:FanMode") { LOW @enumValue(value: 0), HIGH @enumValue(value: 1) AUTO }`,
			get:  func(s *Set) any { return s.Enums[Key("urn:tdm:ns:enum:FanMode")] },
			want: &Enum{ID: "urn:tdm:ns:enum:FanMode", Values: []EnumValue{{Name: "LOW", Value: i64(0)}, {Name: "HIGH", Value: i64(1)}, {Name: "AUTO"}}},
		},
		{
			name: "state with parent, list member and usage facets",
			src: `type Child @stateType(id: "urn:tdm:ns:state:Child") implements Parent @stateType(id: "urn:tdm:ns:state:Parent") {
  temp: Celsius @property(id: "urn:tdm:ns:property:Celsius", isRequired: true, default: 20, isReadOnly: false, multiplicity: "Multiplicity.Singlevalued")
  history: [Reading] @property(id: "urn:tdm:ns:property:Reading", condition: "${temp > 0}", expr: "temp * 2")
  mode: FanMode @enum(id: "urn:tdm:ns:enum:FanMode")
  inner: Inner @state(id: "urn:tdm:ns:state:Inner")
}`,
			get: func(s *Set) any { return s.States[Key("urn:tdm:ns:state:Child")] },
			want: &State{
				ID: "urn:tdm:ns:state:Child", Implements: "urn:tdm:ns:state:Parent", ImplementsName: "Parent",
				Members: []Param{{Name: "temp", Property: "urn:tdm:ns:property:Celsius"}, {Name: "history", Property: "urn:tdm:ns:property:Reading"}},
				Fields: []StateMember{
					{Name: "temp", TypeName: "Celsius", Ref: "property", ID: "urn:tdm:ns:property:Celsius", IsRequired: true, Default: "20", Multiplicity: "Singlevalued"},
					{Name: "history", TypeName: "[Reading]", List: true, Ref: "property", ID: "urn:tdm:ns:property:Reading", Condition: "${temp > 0}", Expr: "temp * 2"},
					{Name: "mode", TypeName: "FanMode", Ref: "enum", ID: "urn:tdm:ns:enum:FanMode"},
					{Name: "inner", TypeName: "Inner", Ref: "state", ID: "urn:tdm:ns:state:Inner"},
				},
				Directives: []*Directive{{Name: "stateType", Args: []*Arg{{Name: "id", Value: &Value{Kind: ValueString, Text: "urn:tdm:ns:state:Parent"}}}}},
			},
		},
		{
			name: "capability implements",
			src:  `type Cam implements Base @capabilityType(id: "urn:tdm:ns:capability:Cam") { capture: C @action(id: "urn:tdm:ns:action:C") }`,
			get:  func(s *Set) any { return s.Capabilities[Key("urn:tdm:ns:capability:Cam")] },
			want: &Capability{ID: "urn:tdm:ns:capability:Cam", ImplementsName: "Base", Actions: map[string]string{"capture": "urn:tdm:ns:action:C"}, Events: map[string]string{},
				Members: []CapabilityMember{{Name: "capture", Ref: "action", ID: "urn:tdm:ns:action:C"}}},
		},
		{
			name: "modbus device",
			src: `query W @device(id: "urn:tdm:ns:device:W", deviceModel: "urn:tdm:ns:deviceModel:M") {
  MODBUS(ServerId: "2") { Capability(id: "urn:tdm:ns:capability:C") {
    Action(name: "getTemp") { Params ReadInputRegisters { Request (Address: 0, ReadCount: 1) Response { responsePayload(property: "urn:tdm:aws:Property:Int16") } } }
    Action(name: "setLevel") { params { param(name: "level", property: "urn:tdm:aws:Property:UInt16") }
      writeMultipleRegisters { Request(Address: 4, WriteCount: 2) { params { param(name: "level", property: "urn:tdm:aws:Property:UInt16", value: "${level.value}") } } } }
  } } }`,
			get: func(s *Set) any { return s.Devices[Key("urn:tdm:ns:device:W")] },
			want: &Device{
				ID: "urn:tdm:ns:device:W", DeviceModel: "urn:tdm:ns:deviceModel:M", Protocol: "MODBUS", ServerID: "2",
				CapabilityID: "urn:tdm:ns:capability:C", CapabilityName: "Capability",
				Actions: []DeviceAction{
					{Name: "getTemp", Operation: "ReadInputRegisters", ResponseProperty: "urn:tdm:aws:Property:Int16", HasResponse: true,
						Modbus: &ModbusRequest{Operation: "ReadInputRegisters", Read: true, Address: i64(0), ReadCount: i64(1)}},
					{Name: "setLevel", Operation: "writeMultipleRegisters",
						Params:        []Param{{Name: "level", Property: "urn:tdm:aws:Property:UInt16"}},
						RequestParams: []Param{{Name: "level", Property: "urn:tdm:aws:Property:UInt16", Value: "${level.value}"}},
						Modbus:        &ModbusRequest{Operation: "WriteMultipleRegisters", Address: i64(4), WriteCount: i64(2)}},
				},
			},
		},
		{
			name: "REST service",
			src: `query Geo @service(id: "urn:tdm:ns:service:Geo") {
  REST { GeoCap(id: "urn:tdm:ns:capability:GeoCap") {
    Action(name: "lookup") {
      params { param(name: "ip", property: "urn:tdm:aws:Property:String") }
      HttpPost {
        Request(url: "$macro(https://svc.${systemConfig.awsRegion}.amazonaws.com)", auth: "SigV4", awsServiceName: "svc") {
          headerParams { param(name: "Content-Type", property: "urn:tdm:aws:Property:String", value: "application/x-amz-json-1.1") }
          queryParams  { param(name: "Action", property: "urn:tdm:aws:Property:String", value: "Lookup") }
          bodyParams   { param(name: "", property: "urn:tdm:aws:Property:String", value: "$macro({\"ip\":\"${ip.value}\"})") }
        }
        Response { responsePayload(property: "urn:tdm:aws:Property:Json") }
      } } } } }`,
			get: func(s *Set) any { return s.Services[Key("urn:tdm:ns:service:Geo")] },
			want: &Service{
				ID: "urn:tdm:ns:service:Geo", Protocol: "REST", CapabilityID: "urn:tdm:ns:capability:GeoCap", CapabilityName: "GeoCap",
				Actions: []DeviceAction{{
					Name: "lookup", Operation: "HttpPost", ResponseProperty: "urn:tdm:aws:Property:Json", HasResponse: true,
					Params: []Param{{Name: "ip", Property: "urn:tdm:aws:Property:String"}},
					HTTP: &HTTPRequest{Method: "POST", URL: "$macro(https://svc.${systemConfig.awsRegion}.amazonaws.com)", Auth: "SigV4", AWSServiceName: "svc",
						HeaderParams: []Param{{Name: "Content-Type", Property: "urn:tdm:aws:Property:String", Value: "application/x-amz-json-1.1"}},
						QueryParams:  []Param{{Name: "Action", Property: "urn:tdm:aws:Property:String", Value: "Lookup"}},
						BodyParams:   []Param{{Property: "urn:tdm:aws:Property:String", Value: `$macro({"ip":"${ip.value}"})`}},
					},
				}},
			},
		},
		{
			name: "Lambda service",
			src: `query L @service(id: "urn:tdm:ns:service:L") { AwsLambda { LC(id: "urn:tdm:ns:capability:LC") {
  Action(name: "count") { params { param(name: "text", property: "urn:tdm:aws:property:String") }
    InvokeGreengrassLambda { Request(arn: "arn:aws:lambda:us-east-1:123456789012:function:wc:1") {
      params { param(name: "text", property: "urn:tdm:aws:property:String", value: "${text.value}") } }
      Response { responsePayload(property: "urn:tdm:aws:property:Json") } } }
  Action(name: "fire") { InvokeCloudLambda { Request(arn: "arn:aws:lambda:us-east-1:123456789012:function:f:2") } }
} } }`,
			get: func(s *Set) any { return s.Services[Key("urn:tdm:ns:service:L")].Actions },
			want: []DeviceAction{
				{Name: "count", Operation: "InvokeGreengrassLambda", ResponseProperty: "urn:tdm:aws:property:Json", HasResponse: true,
					Params:        []Param{{Name: "text", Property: "urn:tdm:aws:property:String"}},
					RequestParams: []Param{{Name: "text", Property: "urn:tdm:aws:property:String", Value: "${text.value}"}},
					Lambda:        &LambdaRequest{ARN: "arn:aws:lambda:us-east-1:123456789012:function:wc:1"}},
				{Name: "fire", Operation: "InvokeCloudLambda", Lambda: &LambdaRequest{Cloud: true, ARN: "arn:aws:lambda:us-east-1:123456789012:function:f:2"}},
			},
		},
		{
			name: "mapping",
			src: `query RGB @mapping(id: "urn:tdm:ns:mapping:RGB", name: "rgb", From: "urn:tdm:ns:property:A f", to: "urn:tdm:ns:property:B t") {
  forward { map(expr: "f.red > 255 => Math.min(f.red, 255)") }
  reverse { map(expr: "t.red => NULL") }
  symmetric { map(expr: "f.red => t.red") map(expr: "f.red => => t") }
}`,
			get: func(s *Set) any { return s.Mappings[Key("urn:tdm:ns:mapping:RGB")] },
			want: &Mapping{
				ID: "urn:tdm:ns:mapping:RGB", Name: "rgb",
				From: MappingEnd{Property: "urn:tdm:ns:property:A", Alias: "f"}, To: MappingEnd{Property: "urn:tdm:ns:property:B", Alias: "t"},
				Forward: []MapEntry{{Expr: "f.red > 255 => Math.min(f.red, 255)", Source: "f.red > 255", Target: "Math.min(f.red, 255)",
					SourceExpr: mustParseExpr(t, "f.red > 255"), TargetExpr: mustParseExpr(t, "Math.min(f.red, 255)")}},
				Reverse: []MapEntry{{Expr: "t.red => NULL", Source: "t.red", Target: "NULL", SourceExpr: mustParseExpr(t, "t.red"), TargetExpr: mustParseExpr(t, "NULL")}},
				Symmetric: []MapEntry{
					{Expr: "f.red => t.red", Source: "f.red", Target: "t.red", SourceExpr: mustParseExpr(t, "f.red"), TargetExpr: mustParseExpr(t, "t.red")},
					{Expr: "f.red => => t", Source: "f.red", Target: "=> t", SourceExpr: mustParseExpr(t, "f.red"),
						Err: &Error{Pos: Pos{5, 48}, Msg: "unexpected '='; expected '==' to compare (assignment is not an expression)", Severity: SeverityError}},
				},
			},
		},
		{
			name: "console-exported flow",
			src: `query Flow($light: string!) @workflowType(id: "urn:tdm:ns:Workflow:Flow") @triggers(definition: "{t(description: \"\") {\n condition(expr: \"every 1 hours\")\n}}") @annotation(type: "tgc:FlowEvent", id: "hot", x: 1.5, y: 2) {
  variables { reading @property(id: "urn:tdm:aws:Property:Json") }
  steps {
    step(name: "Check", outEvent: ["checked"]) @position(x: 10, y: 20.5) {
      ChoiceActivity(title: "Hot?") {
        rule(name: "r1", expr: "${reading.t > 30}") { setEvent(name: "hot") }
        default { setEvent(name: "cold") }
      }
    }
    step(name: "On", inEvent: ["hot"], condition: "${light != ''}", description: "turn on") {
      DeviceActivity(deviceModel: "urn:tdm:ns:deviceModel:Light", deviceId: "${light}", out: "reading") @device(id: "urn:tdm:ns:device:Lamp") {
        toggle(port: "4")
      }
      OnError {
        Retries { Retry(name: "again", errorEquals: ["States.Timeout"], interval: 2, backoffRate: 1.5, maxAttempts: 3) }
        Catches { Catch(name: "give up", condition: "true", raiseEvent: "failed") Catch(name: "log", expr: "${reading}") }
      }
      OnSuccess { Check(name: "lit", condition: "${reading.on}") { OnPass { raiseEvent(name: "lit") } OnFail(raiseEvent: "dark") { } } }
    }
  }
}`,
			get: func(s *Set) any { return s.Flows[Key("urn:tdm:ns:workflow:Flow")] },
			want: &Flow{
				ID: "urn:tdm:ns:Workflow:Flow", Name: "Flow",
				Params:    []FlowParam{{Name: "light", Type: "string!"}},
				Variables: []Variable{{Name: "reading", Property: "urn:tdm:aws:Property:Json"}},
				Directives: []*Directive{
					{Name: "triggers", Args: []*Arg{{Name: "definition", Value: &Value{Kind: ValueString, Text: "{t(description: \"\") {\n condition(expr: \"every 1 hours\")\n}}"}}}},
					{Name: "annotation", Args: []*Arg{
						{Name: "type", Value: &Value{Kind: ValueString, Text: "tgc:FlowEvent"}}, {Name: "id", Value: &Value{Kind: ValueString, Text: "hot"}},
						{Name: "x", Value: &Value{Kind: ValueFloat, Text: "1.5"}}, {Name: "y", Value: &Value{Kind: ValueInt, Text: "2"}}}},
				},
				TriggersDefinition: "{t(description: \"\") {\n condition(expr: \"every 1 hours\")\n}}",
				Annotations:        []Annotation{{Type: "tgc:FlowEvent", ID: "hot", X: 1.5, Y: 2}},
				Steps: []Step{
					{
						Name: "Check", OutEvents: []string{"checked"}, Position: &Position{X: 10, Y: 20.5},
						Directives: []*Directive{{Name: "position", Args: []*Arg{{Name: "x", Value: &Value{Kind: ValueInt, Text: "10"}}, {Name: "y", Value: &Value{Kind: ValueFloat, Text: "20.5"}}}}},
						Activity: Activity{Kind: "ChoiceActivity", Choice: &Choice{
							Title:   "Hot?",
							Rules:   []ChoiceRule{{Name: "r1", Expr: "${reading.t > 30}", Parsed: mustParseExpr(t, "${reading.t > 30}"), SetEvent: "hot"}},
							Default: &ChoiceRule{SetEvent: "cold"},
						}},
					},
					{
						Name: "On", Description: "turn on", Condition: "${light != ''}", InEvents: []string{"hot"},
						Activity: Activity{Kind: ActivityDevice, DeviceModel: "urn:tdm:ns:deviceModel:Light", DeviceID: "${light}", Device: "urn:tdm:ns:device:Lamp",
							Out: "reading", Action: "toggle", Args: []Param{{Name: "port", Value: "4"}}},
						OnError: &OnError{
							Retries: []Retry{{Name: "again", ErrorEquals: []string{"States.Timeout"}, Interval: "2", BackoffRate: f64(1.5), MaxAttempts: i64(3)}},
							Catches: []Catch{{Name: "give up", Condition: "true", RaiseEvent: "failed"}, {Name: "log", Expr: "${reading}"}},
						},
						OnSuccess: &OnSuccess{Checks: []SuccessCheck{{Name: "lit", Condition: "${reading.on}",
							OnPass: &Branch{Events: []string{"lit"}, Fields: []*Field{{Name: "raiseEvent", Args: []*Arg{{Name: "name", Value: &Value{Kind: ValueString, Text: "lit"}}}}}},
							OnFail: &Branch{Events: []string{"dark"}}}}},
					},
				},
			},
		},
		{
			name: "nested system",
			src: `type Site @systemType(id: "urn:tdm:ns:system:Site", description: "site") {
  cool: CoolSystem @system(id: "urn:tdm:ns:system:CoolSystem")
  geo: Geo @service(id: "urn:tdm:ns:service:Geo")
  avg: Float @expr(expr: "1 + 1")
}`,
			get: func(s *Set) any { return s.Systems[Key("urn:tdm:ns:system:Site")] },
			want: &System{ID: "urn:tdm:ns:system:Site", Description: "site",
				Systems:  []Role{{Name: "cool", ID: "urn:tdm:ns:system:CoolSystem"}},
				Services: []Role{{Name: "geo", ID: "urn:tdm:ns:service:Geo"}}},
		},
		{
			name: "deployment triggers",
			src: `query Site7 @deployment(id: "urn:tdm:ns:deployment:Site7", systemId: "urn:tdm:ns:system:CoolSystem") {
  thermo(deviceId: "thermo-site7")
  triggers {
    Hot(description: "too hot") @position(x: 1, y: 2) {
      condition(expr: "devices[name == 'thermo'].events[name == 'reading'].lastEvent.temperature > 280")
      action(expr: "ThingsGraph.startFlow('Cool', bindings[name == 'thermo'].deviceId, ((String) 30).charAt(0))")
    }
    Hourly { condition(expr: "Every 2 Hours") action(expr: "ThingsGraph.startFlow('Cool', 'a')") }
  }
}`,
			get: func(s *Set) any { return s.Deployments[Key("urn:tdm:ns:deployment:Site7")].Triggers },
			want: []Trigger{
				{Name: "Hot", Description: "too hot",
					Condition:     "devices[name == 'thermo'].events[name == 'reading'].lastEvent.temperature > 280",
					ConditionExpr: mustParseExpr(t, "devices[name == 'thermo'].events[name == 'reading'].lastEvent.temperature > 280"),
					Actions:       []string{"ThingsGraph.startFlow('Cool', bindings[name == 'thermo'].deviceId, ((String) 30).charAt(0))"},
					ActionExprs:   []Expr{mustParseExpr(t, "ThingsGraph.startFlow('Cool', bindings[name == 'thermo'].deviceId, ((String) 30).charAt(0))")},
					Directives:    []*Directive{{Name: "position", Args: []*Arg{{Name: "x", Value: &Value{Kind: ValueInt, Text: "1"}}, {Name: "y", Value: &Value{Kind: ValueInt, Text: "2"}}}}},
					Position:      &Position{X: 1, Y: 2}},
				{Name: "Hourly", Condition: "Every 2 Hours", Interval: 2 * time.Hour,
					Actions: []string{"ThingsGraph.startFlow('Cool', 'a')"}, ActionExprs: []Expr{mustParseExpr(t, "ThingsGraph.startFlow('Cool', 'a')")}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := mustExtract(t, "{\n"+tt.src+"\n}")
			if diff := cmp.Diff(tt.want, tt.get(s), modelOpts); diff != "" {
				t.Errorf("Extract (-want +got):\n%s", diff)
			}
		})
	}
}

// TestExprPositionsInDocument: expressions parsed from a document carry
// document positions, so evaluation errors point into the document.
func TestExprPositionsInDocument(t *testing.T) {
	s := mustExtract(t, `{ query D @deployment(id: "urn:tdm:ns:deployment:D", systemId: "urn:tdm:ns:system:S") { triggers {
  T { condition(expr: "x.y > 1") action(expr: "ThingsGraph.startFlow('F')") } } } }`)
	e := s.Deployments[Key("urn:tdm:ns:deployment:D")].Triggers[0].ConditionExpr
	_, err := Eval(e, &testEnv{vars: map[string]any{"x": "str"}})
	if want := `2:25: cannot read member "y" of a string (x)`; err == nil || err.Error() != want {
		t.Errorf("Eval = %v, want %q", err, want)
	}
}
