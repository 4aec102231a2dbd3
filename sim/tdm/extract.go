package tdm

import (
	"strings"
)

// Kind is the kind of an entity; the first ten are the API's EntityType
// values [API EntityType], the last three are the non-namespace constructs.
type Kind string

// The entity kinds.
const (
	KindProperty    Kind = "PROPERTY"
	KindEnum        Kind = "ENUM"
	KindState       Kind = "STATE"
	KindEvent       Kind = "EVENT"
	KindAction      Kind = "ACTION"
	KindCapability  Kind = "CAPABILITY"
	KindDeviceModel Kind = "DEVICE_MODEL"
	KindDevice      Kind = "DEVICE"
	KindService     Kind = "SERVICE"
	KindMapping     Kind = "MAPPING"
	KindFlow        Kind = "FLOW"
	KindSystem      Kind = "SYSTEM"
	KindDeployment  Kind = "DEPLOYMENT"
)

// kindInfo ties a defining directive to its kind and the URN metatypes its id
// may use [DOC ug:iot-tg-models-tdm-graphql; spec §1.1, §2.2].
var kindInfo = []struct {
	directive string
	kind      Kind
	metatypes []string
}{
	{"propertyType", KindProperty, []string{"property"}},
	{"enumType", KindEnum, []string{"enum"}},
	{"stateType", KindState, []string{"state"}},
	{"eventType", KindEvent, []string{"event"}},
	{"actionType", KindAction, []string{"action"}},
	{"capabilityType", KindCapability, []string{"capability"}},
	{"deviceModel", KindDeviceModel, []string{"deviceModel"}},
	{"device", KindDevice, []string{"device"}},
	{"service", KindService, []string{"service"}},
	{"mapping", KindMapping, []string{"mapping"}},
	{"workflowType", KindFlow, []string{"workflow", "flow"}},
	{"systemType", KindSystem, []string{"system"}},
	{"deployment", KindDeployment, []string{"deployment"}},
}

const directiveList = "@propertyType, @enumType, @stateType, @eventType, @actionType, @capabilityType, @deviceModel, @device, @service, @mapping, @workflowType, @systemType or @deployment"

// Entity is one classified definition.
type Entity struct {
	ID   string
	Kind Kind
	Name string
	Pos  Pos
	Def  *Definition
	Text string // the definition's source text
}

// Set is what Extract found in one document. Map keys are Key(id).
type Set struct {
	Entities     []*Entity // in document order
	Properties   map[string]*Property
	States       map[string]*State
	Events       map[string]*Event
	Actions      map[string]*Action
	Capabilities map[string]*Capability
	DeviceModels map[string]*DeviceModel
	Devices      map[string]*Device
	Services     map[string]*Service
	Flows        map[string]*Flow
	Systems      map[string]*System
	Deployments  map[string]*Deployment

	byKey map[string]*Entity
}

// Entity returns the entity with id urn (metatype case-insensitive), or nil.
func (s *Set) Entity(urn string) *Entity { return s.byKey[Key(urn)] }

// Property is a @propertyType.
type Property struct{ ID, DataType, InstanceOf string }

// State is a @stateType; Members maps member name to property id.
type State struct {
	ID      string
	Members []Param // Name + Property
}

// Event is an @eventType.
type Event struct{ ID, Payload string }

// Action is an @actionType: its non-return members are inputs.
type Action struct {
	ID     string
	Params []Param // Name + Property
	Return string  // property id of the `return` member, "" for void
}

// Capability is a @capabilityType.
type Capability struct {
	ID      string
	State   string
	Actions map[string]string // member name -> action URN
	Events  map[string]string // member name -> event URN
}

// DeviceModel is a @deviceModel.
type DeviceModel struct{ ID, Capability string }

// Device is a `query ... @device` definition bound to a protocol.
type Device struct {
	ID, DeviceModel, Protocol, CapabilityID string // Protocol: "MQTT" or "MODBUS"
	ServerID                                string // Modbus(serverId:)
	Actions                                 []DeviceAction
	Events                                  []DeviceEvent
	Pos                                     Pos
}

// DeviceAction is one Action(name:) block of a device or service.
type DeviceAction struct {
	Name             string
	Params           []Param
	Operation        string // the block after params: "Publish", "ReadHoldingRegisters", "HttpPost", ...
	RequestTopic     string // raw, e.g. "$macro(${systemRuntime.deviceId}/capture)"
	RequestParams    []Param
	ResponseTopic    string
	ResponseProperty string
	Pos              Pos
}

// DeviceEvent is one Event(name:) block of an MQTT device.
type DeviceEvent struct {
	Name, Topic, PayloadProperty string
	Pos                          Pos
}

// Param is a param(name:, property:, value:) entry, or an action argument
// (Name + Value, the expression text).
type Param struct{ Name, Property, Value string }

// Service is a `query ... @service` definition (REST or Lambda).
type Service struct {
	ID, Protocol, CapabilityID string
	Actions                    []DeviceAction
	Pos                        Pos
}

// Flow is a `query ... @workflowType` definition.
type Flow struct {
	ID, Name  string
	Params    []FlowParam
	Variables []Variable
	Steps     []Step
	Pos       Pos
}

// FlowParam is one flow parameter.
type FlowParam struct {
	Name, Type string
	Default    *Value
}

// Variable is one member of the flow's variables block.
type Variable struct{ Name, Property string }

// Step is one step(...) of a flow.
type Step struct {
	Name, Description, Condition string
	InEvents, OutEvents          []string
	Activity                     Activity
	Pos                          Pos
}

// Activity is the single activity block of a step.
type Activity struct {
	Kind        string // "DEVICE", "WEBSERVICE", or the block name as written
	DeviceModel string
	DeviceID    string // expression naming the thing, e.g. "${camera}"
	Device      string // @device(id:) pinning a concrete device, if any
	Service     string
	Out         string
	Action      string
	Args        []Param // Name + Value (the expression text)
	Pos         Pos
}

// System is a `type ... @systemType` definition.
type System struct {
	ID, Description string
	Things          []Role
	Workflows       []Role
	Services        []Role
	Pos             Pos
}

// Role is a system member: role name and the id it refers to.
type Role struct{ Name, ID string }

// Deployment is a `query ... @deployment` definition (flow configuration).
type Deployment struct {
	ID, SystemID string
	Bindings     []Binding
	Triggers     []Trigger
	Pos          Pos
}

// Binding binds a system role to a registry thing.
type Binding struct{ Role, ThingName string }

// Trigger is one entry of a deployment's triggers block.
type Trigger struct {
	Name, Description, Condition string
	Actions                      []string
	Pos                          Pos
}

// Classify returns the kind of d from its defining directive, the directive,
// and whether one was found.
func Classify(d *Definition) (Kind, *Directive, bool) {
	for _, dir := range d.Directives {
		for _, ki := range kindInfo {
			if strings.EqualFold(dir.Name, ki.directive) {
				return ki.kind, dir, true
			}
		}
	}
	return "", nil, false
}

func metatypesOf(k Kind) []string {
	for _, ki := range kindInfo {
		if ki.kind == k {
			return ki.metatypes
		}
	}
	return nil
}

// Extract classifies every definition of doc and extracts the structure the
// simulator needs. It returns every entity it could classify, plus the
// problems it found (unknown directive, missing or malformed id, metatype
// not agreeing with the directive, duplicate ids, malformed blocks).
func Extract(doc *Document) (*Set, ErrorList) {
	return extract(doc, "")
}

// ExtractSource is Extract with the source text Parse was given, so that
// each Entity carries its definition's text.
func ExtractSource(doc *Document, src string) (*Set, ErrorList) {
	return extract(doc, src)
}

func newSet() *Set {
	return &Set{
		Properties:   map[string]*Property{},
		States:       map[string]*State{},
		Events:       map[string]*Event{},
		Actions:      map[string]*Action{},
		Capabilities: map[string]*Capability{},
		DeviceModels: map[string]*DeviceModel{},
		Devices:      map[string]*Device{},
		Services:     map[string]*Service{},
		Flows:        map[string]*Flow{},
		Systems:      map[string]*System{},
		Deployments:  map[string]*Deployment{},
		byKey:        map[string]*Entity{},
	}
}

func extract(doc *Document, src string) (*Set, ErrorList) {
	s := newSet()
	var errs ErrorList
	for _, d := range doc.Definitions {
		kind, dir, ok := Classify(d)
		if !ok {
			errs = append(errs, errorf(d.Pos, "", "%s %s has no entity directive; expected one of %s", d.Keyword, d.Name, directiveList))
			continue
		}
		id, err := entityID(d, kind, dir)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		k := Key(id)
		if prev := s.byKey[k]; prev != nil {
			errs = append(errs, errorf(d.Pos, id, "duplicate id: %s %s already defines it at %d:%d", prev.Def.Keyword, prev.Name, prev.Pos.Line, prev.Pos.Col))
			continue
		}
		e := &Entity{ID: id, Kind: kind, Name: d.Name, Pos: d.Pos, Def: d}
		if src != "" && d.Start >= 0 && d.Start <= d.End && d.End <= len(src) {
			e.Text = src[d.Start:d.End]
		}
		s.Entities = append(s.Entities, e)
		s.byKey[k] = e
		errs = append(errs, s.add(e, dir)...)
	}
	if len(errs) == 0 {
		errs = nil
	}
	return s, errs
}

// entityID returns the validated id of a classified definition.
func entityID(d *Definition, kind Kind, dir *Directive) (string, *Error) {
	a := dir.Arg("id")
	if a == nil {
		return "", errorf(dir.Pos, "", "@%s of %s has no id argument; every entity needs id: \"urn:tdm:...\"", dir.Name, d.Name)
	}
	id, ok := a.Value.StringValue()
	if !ok || a.Value.Kind != ValueString {
		return "", errorf(a.Value.Pos, "", "id of %s must be a string URN, found %s", d.Name, a.Value.Kind)
	}
	u, err := ParseURN(id)
	if err != nil {
		return "", errorf(a.Value.Pos, "", "%v", err)
	}
	metas := metatypesOf(kind)
	for _, m := range metas {
		if strings.EqualFold(u.Metatype, m) {
			return id, nil
		}
	}
	return "", errorf(a.Value.Pos, id, "metatype %q does not match @%s; expected \"%s\"", u.Metatype, dir.Name, strings.Join(metas, `" or "`))
}

// add extracts the kind-specific structure of e.
func (s *Set) add(e *Entity, dir *Directive) ErrorList {
	k := Key(e.ID)
	d := e.Def
	switch e.Kind {
	case KindProperty:
		s.Properties[k] = &Property{ID: e.ID, DataType: dir.ArgValue("dataType").Source(), InstanceOf: dir.ArgString("instanceOf")}
	case KindState:
		st := &State{ID: e.ID}
		for _, f := range d.Fields {
			if p := f.Directive("property"); p != nil {
				st.Members = append(st.Members, Param{Name: f.Name, Property: p.ArgString("id")})
			}
		}
		s.States[k] = st
	case KindEvent:
		s.Events[k] = &Event{ID: e.ID, Payload: dir.ArgString("payload")}
	case KindAction:
		a := &Action{ID: e.ID}
		for _, f := range d.Fields {
			p := f.Directive("property")
			if p == nil {
				continue
			}
			if strings.EqualFold(f.Name, "return") {
				a.Return = p.ArgString("id")
			} else {
				a.Params = append(a.Params, Param{Name: f.Name, Property: p.ArgString("id")})
			}
		}
		s.Actions[k] = a
	case KindCapability:
		s.Capabilities[k] = extractCapability(e.ID, d)
	case KindDeviceModel:
		m := &DeviceModel{ID: e.ID, Capability: dir.ArgString("capability")}
		s.DeviceModels[k] = m
		if m.Capability == "" {
			return ErrorList{errorf(dir.Pos, e.ID, "@%s has no capability argument", dir.Name)}
		}
	case KindDevice:
		dev, errs := extractDevice(e.ID, d, dir)
		s.Devices[k] = dev
		return errs
	case KindService:
		svc, errs := extractService(e.ID, d)
		s.Services[k] = svc
		return errs
	case KindFlow:
		f, errs := extractFlow(e.ID, d)
		s.Flows[k] = f
		return errs
	case KindSystem:
		s.Systems[k] = extractSystem(e.ID, d, dir)
	case KindDeployment:
		dep, errs := extractDeployment(e.ID, d, dir)
		s.Deployments[k] = dep
		return errs
	}
	return nil
}

func extractCapability(id string, d *Definition) *Capability {
	c := &Capability{ID: id, Actions: map[string]string{}, Events: map[string]string{}}
	for _, f := range d.Fields {
		if x := f.Directive("state"); x != nil {
			c.State = x.ArgString("id")
		}
		if x := f.Directive("action"); x != nil {
			c.Actions[f.Name] = x.ArgString("id")
		}
		if x := f.Directive("event"); x != nil {
			c.Events[f.Name] = x.ArgString("id")
		}
	}
	return c
}

// protocolBlock returns the single top-level block of a device or service
// (MQTT, Modbus, REST, AwsLambda) and the capability block inside it.
func protocolBlock(id string, d *Definition, what string) (proto, capBlock *Field, errs ErrorList) {
	if len(d.Fields) == 0 || !d.Fields[0].HasBody && !strings.EqualFold(d.Fields[0].Name, "modbus") {
		return nil, nil, ErrorList{errorf(d.Pos, id, "%s %s has no protocol block; expected %s", what, d.Name, map[bool]string{true: "MQTT { ... } or Modbus(serverId: ...) { ... }", false: "REST { ... } or AwsLambda { ... }"}[what == "device"])}
	}
	proto = d.Fields[0]
	if len(proto.Fields) == 0 {
		return proto, nil, ErrorList{errorf(proto.Pos, id, "%s block has no capability block; expected <Name>(id: \"<capability URN>\") { ... }", proto.Name)}
	}
	return proto, proto.Fields[0], nil
}

func extractDevice(id string, d *Definition, dir *Directive) (*Device, ErrorList) {
	dev := &Device{ID: id, DeviceModel: dir.ArgString("deviceModel"), Pos: d.Pos}
	var errs ErrorList
	if dev.DeviceModel == "" {
		errs = append(errs, errorf(dir.Pos, id, "@%s has no deviceModel argument", dir.Name))
	}
	proto, capBlock, perrs := protocolBlock(id, d, "device")
	errs = append(errs, perrs...)
	if proto == nil {
		return dev, errs
	}
	switch {
	case strings.EqualFold(proto.Name, "MQTT"):
		dev.Protocol = "MQTT"
	case strings.EqualFold(proto.Name, "Modbus"):
		dev.Protocol = "MODBUS"
		dev.ServerID = proto.ArgValue("serverId").Source()
	default:
		errs = append(errs, errorf(proto.Pos, id, "unknown device protocol block %q; expected MQTT or Modbus", proto.Name))
	}
	if capBlock == nil {
		return dev, errs
	}
	dev.CapabilityID = capBlock.ArgString("id")
	for _, f := range capBlock.Fields {
		switch {
		case strings.EqualFold(f.Name, "Action"):
			a, err := extractAction(id, f)
			if err != nil {
				errs = append(errs, err)
			}
			dev.Actions = append(dev.Actions, a)
		case strings.EqualFold(f.Name, "Event"):
			ev := DeviceEvent{Name: f.ArgString("name"), Pos: f.Pos}
			if ev.Name == "" {
				errs = append(errs, errorf(f.Pos, id, "Event block has no name argument"))
			}
			if sub := f.Child("Subscribe"); sub != nil {
				ev.Topic = sub.ArgString("topic")
				ev.PayloadProperty = sub.Child("responsePayload").ArgString("property")
			}
			dev.Events = append(dev.Events, ev)
		}
	}
	return dev, errs
}

// extractAction reads Action(name:) { params {...} <Operation> { Request(...) {...} Response(...) {...} } }.
func extractAction(id string, f *Field) (DeviceAction, *Error) {
	a := DeviceAction{Name: f.ArgString("name"), Pos: f.Pos}
	var err *Error
	if a.Name == "" {
		err = errorf(f.Pos, id, "Action block has no name argument")
	}
	for _, c := range f.Fields {
		if strings.EqualFold(c.Name, "params") {
			a.Params = params(c)
			continue
		}
		if a.Operation != "" {
			continue
		}
		a.Operation = c.Name
		if req := c.Child("Request"); req != nil {
			a.RequestTopic = req.ArgString("topic")
			a.RequestParams = params(req.Child("params"))
		}
		if resp := c.Child("Response"); resp != nil {
			a.ResponseTopic = resp.ArgString("topic")
			a.ResponseProperty = resp.Child("responsePayload").ArgString("property")
		}
	}
	return a, err
}

func params(f *Field) []Param {
	var ps []Param
	for _, p := range f.Children("param") {
		ps = append(ps, Param{Name: p.ArgString("name"), Property: p.ArgString("property"), Value: p.ArgValue("value").Source()})
	}
	return ps
}

func extractService(id string, d *Definition) (*Service, ErrorList) {
	svc := &Service{ID: id, Pos: d.Pos}
	proto, capBlock, errs := protocolBlock(id, d, "service")
	if proto != nil {
		svc.Protocol = strings.ToUpper(proto.Name)
	}
	if capBlock != nil {
		svc.CapabilityID = capBlock.ArgString("id")
		for _, f := range capBlock.Children("Action") {
			a, err := extractAction(id, f)
			if err != nil {
				errs = append(errs, err)
			}
			svc.Actions = append(svc.Actions, a)
		}
	}
	return svc, errs
}

func extractFlow(id string, d *Definition) (*Flow, ErrorList) {
	fl := &Flow{ID: id, Name: d.Name, Pos: d.Pos}
	var errs ErrorList
	for _, p := range d.Params {
		fl.Params = append(fl.Params, FlowParam{Name: p.Name, Type: p.Type, Default: p.Default})
	}
	if vars := d.Child("variables"); vars != nil {
		for _, v := range vars.Fields {
			fl.Variables = append(fl.Variables, Variable{Name: v.Name, Property: v.Directive("property").ArgString("id")})
		}
	}
	steps := d.Child("steps")
	for _, sf := range steps.Children("step") {
		st := Step{
			Name:        sf.ArgString("name"),
			Description: sf.ArgString("description"),
			Condition:   sf.ArgString("condition"),
			InEvents:    sf.ArgValue("inEvent").Strings(),
			OutEvents:   sf.ArgValue("outEvent").Strings(),
			Pos:         sf.Pos,
		}
		if st.Name == "" {
			errs = append(errs, errorf(sf.Pos, id, "step has no name argument"))
		}
		if len(sf.Fields) == 0 {
			errs = append(errs, errorf(sf.Pos, id, "step %q has no activity; expected DeviceActivity(...) { action } or WebserviceActivity(...) { action }", st.Name))
		} else {
			st.Activity = extractActivity(sf.Fields[0])
		}
		fl.Steps = append(fl.Steps, st)
	}
	return fl, errs
}

func extractActivity(f *Field) Activity {
	a := Activity{Kind: f.Name, Pos: f.Pos}
	switch {
	case strings.EqualFold(f.Name, "DeviceActivity"):
		a.Kind = "DEVICE"
		a.DeviceModel = f.ArgString("deviceModel")
		a.DeviceID = f.ArgString("deviceId")
		a.Device = f.Directive("device").ArgString("id")
	case strings.EqualFold(f.Name, "WebserviceActivity"):
		a.Kind = "WEBSERVICE"
		a.Service = f.ArgString("webservice")
	default:
		return a
	}
	a.Out = f.ArgString("out")
	if len(f.Fields) > 0 {
		call := f.Fields[0]
		a.Action = call.Name
		for _, arg := range call.Args {
			a.Args = append(a.Args, Param{Name: arg.Name, Value: arg.Value.Source()})
		}
	}
	return a
}

func extractSystem(id string, d *Definition, dir *Directive) *System {
	sys := &System{ID: id, Description: dir.ArgString("description"), Pos: d.Pos}
	for _, f := range d.Fields {
		if x := f.Directive("thing"); x != nil {
			sys.Things = append(sys.Things, Role{Name: f.Name, ID: x.ArgString("id")})
		}
		if x := f.Directive("workflow"); x != nil {
			sys.Workflows = append(sys.Workflows, Role{Name: f.Name, ID: x.ArgString("id")})
		}
		if x := f.Directive("service"); x != nil {
			sys.Services = append(sys.Services, Role{Name: f.Name, ID: x.ArgString("id")})
		}
	}
	return sys
}

func extractDeployment(id string, d *Definition, dir *Directive) (*Deployment, ErrorList) {
	dep := &Deployment{ID: id, SystemID: dir.ArgString("systemId"), Pos: d.Pos}
	var errs ErrorList
	if dep.SystemID == "" {
		errs = append(errs, errorf(dir.Pos, id, "@%s has no systemId argument", dir.Name))
	}
	for _, f := range d.Fields {
		if strings.EqualFold(f.Name, "triggers") {
			for _, t := range f.Fields {
				tr := Trigger{Name: t.Name, Description: t.ArgString("description"), Pos: t.Pos}
				tr.Condition = t.Child("condition").ArgString("expr")
				for _, a := range t.Children("action") {
					tr.Actions = append(tr.Actions, a.ArgString("expr"))
				}
				if t.Child("condition") == nil || len(tr.Actions) == 0 {
					errs = append(errs, errorf(t.Pos, id, "trigger %s needs condition(expr: ...) and at least one action(expr: ...)", t.Name))
				}
				dep.Triggers = append(dep.Triggers, tr)
			}
			continue
		}
		if a := f.Arg("deviceId"); a != nil {
			s, _ := a.Value.StringValue()
			dep.Bindings = append(dep.Bindings, Binding{Role: f.Name, ThingName: s})
		}
	}
	return dep, errs
}
