package tdm

import (
	"sort"
	"strings"
)

// Check cross-checks the references between the entities of s, and from s
// to entities elsewhere found through resolve (called with Key(urn); nil
// means there are none). The caller decides what resolve sees, typically
// the public namespace merged with the account's namespace. Check returns
// the errors of Diagnose, without its warnings.
func (s *Set) Check(resolve func(key string) *Entity) ErrorList {
	return s.Diagnose(resolve).Errors()
}

// Diagnose is Check plus warnings, sorted by position. Each problem is one
// *Error at the offending token (a URN, a name, an argument), naming what
// was found and what was expected. It reports:
//
//   - references: an unknown URN (naming the kinds that would fit) or one
//     naming an entity of another kind, for every id a definition uses —
//     dataType and instanceOf (which must be a state), state, action and
//     event members, event payloads and action parameters and return
//     (which must be properties), capabilities, device models, devices,
//     services, flows, systems, mapping ends, flow variables;
//   - capabilities: `implements` of an unknown capability or a cycle;
//     membership follows inheritance everywhere below;
//   - devices and services: a capability block id other than the model's
//     capability; an action of the capability the device does not
//     implement [DOC ug:iot-tg-models-tdm-graphql]; an Action or Event the
//     capability lacks; a state wire field that is not a state member; a
//     Lambda ARN without a numeric version; ${...} names other than the
//     action's params, systemConfig and systemRuntime;
//   - flows: duplicate step names; a step's unknown device model, service
//     or pinned device; an action not in the capability; an argument that
//     is not a parameter of the action (and, as a warning, a parameter
//     without an argument); an out that is not a declared variable; a
//     ${...} name that is neither a parameter nor a variable; an inEvent
//     nobody emits; as warnings, an event nobody waits for and a
//     ChoiceActivity without a default rule;
//   - systems: unknown things, workflows, services and nested systems;
//   - deployments: an unknown system; a binding for a role the system
//     lacks, a device role without a binding, a role bound twice; a
//     trigger condition naming a role or event that does not exist; a
//     trigger action that is not ThingsGraph.startFlow, that names a flow
//     role the system lacks, or passes the wrong number of arguments;
//   - mappings: as warnings, map entries that do not parse.
func (s *Set) Diagnose(resolve func(key string) *Entity) ErrorList {
	c := &checker{s: s, resolve: resolve, other: newSet()}
	for _, e := range s.Entities {
		k := Key(e.ID)
		switch e.Kind {
		case KindProperty:
			c.property(s.Properties[k])
		case KindState:
			c.state(s.States[k])
		case KindEvent:
			ev := s.Events[k]
			c.need(ev.PayloadPos, ev.ID, "payload", ev.Payload, KindProperty)
		case KindAction:
			a := s.Actions[k]
			for _, p := range a.Params {
				c.need(p.PropertyPos, a.ID, "parameter "+p.Name, p.Property, KindProperty)
			}
			c.need(a.ReturnPos, a.ID, "return", a.Return, KindProperty)
		case KindCapability:
			c.capabilityDef(s.Capabilities[k])
		case KindDeviceModel:
			m := s.DeviceModels[k]
			c.need(m.CapabilityPos, m.ID, "capability", m.Capability, KindCapability)
		case KindDevice:
			c.device(s.Devices[k])
		case KindService:
			c.service(s.Services[k])
		case KindMapping:
			c.mapping(s.Mappings[k])
		case KindFlow:
			c.flow(s.Flows[k])
		case KindSystem:
			c.system(s.Systems[k])
		case KindDeployment:
			c.deployment(s.Deployments[k])
		}
	}
	sortErrors(c.errs)
	if len(c.errs) == 0 {
		return nil
	}
	return c.errs
}

type checker struct {
	s       *Set
	resolve func(string) *Entity
	// other holds the entities found through resolve, extracted on first
	// use.
	other *Set
	errs  ErrorList
}

func (c *checker) errorf(pos Pos, id, format string, args ...any) {
	c.errs = append(c.errs, errorf(pos, id, format, args...))
}

func (c *checker) warnf(pos Pos, id, format string, args ...any) {
	c.errs = append(c.errs, warningf(pos, id, format, args...))
}

// entity finds urn in the document, then through the resolver, then
// among the built-in primitive properties.
func (c *checker) entity(urn string) *Entity {
	k := Key(urn)
	if e := c.s.byKey[k]; e != nil {
		return e
	}
	if e := c.other.byKey[k]; e != nil {
		return e
	}
	if c.resolve != nil {
		if e := c.resolve(k); e != nil {
			return e
		}
	}
	if IsBuiltinProperty(urn) {
		return &Entity{ID: urn, Kind: KindProperty}
	}
	return nil
}

// IsBuiltinProperty reports whether urn is one of the public primitive
// properties urn:tdm:aws:property:<Type> (Type a built-in data type such as
// String, Int16, Float64, or Json; any case) [DOC
// ug:iot-tg-models-tdm-datatypes]. [INF] Check treats them as known even
// when the resolver does not supply them (spec §1.5 has them preloaded).
func IsBuiltinProperty(urn string) bool {
	u, err := ParseURN(urn)
	return err == nil && u.Namespace == "aws" && strings.EqualFold(u.Metatype, "property") && primitives[strings.ToLower(u.Path)] != ""
}

// set returns the Set holding the extracted structure of urn: s, or the
// resolver's entities extracted into c.other on first use.
func (c *checker) set(urn string) *Set {
	k := Key(urn)
	if c.s.byKey[k] != nil {
		return c.s
	}
	if c.other.byKey[k] != nil {
		return c.other
	}
	if c.resolve == nil {
		return nil
	}
	e := c.resolve(k)
	if e == nil || e.Def == nil {
		return nil
	}
	_, dir, ok := Classify(e.Def)
	if !ok {
		return nil
	}
	c.other.byKey[k] = e
	c.other.add(e, dir)
	return c.other
}

func (c *checker) known(urn string, kinds ...Kind) bool {
	e := c.entity(urn)
	return e != nil && kindIn(e.Kind, kinds)
}

func kindIn(k Kind, kinds []Kind) bool {
	for _, x := range kinds {
		if k == x {
			return true
		}
	}
	return false
}

// kindNoun names each kind in messages.
var kindNoun = map[Kind]string{
	KindProperty: "property (@propertyType)", KindEnum: "enum (@enumType)", KindState: "state (@stateType)",
	KindEvent: "event (@eventType)", KindAction: "action (@actionType)", KindCapability: "capability (@capabilityType)",
	KindDeviceModel: "device model (@deviceModel)", KindDevice: "device (@device)", KindService: "service (@service)",
	KindMapping: "mapping (@mapping)", KindFlow: "flow (@workflowType)", KindSystem: "system (@systemType)",
	KindDeployment: "flow configuration (@deployment)",
}

func kindsNoun(kinds []Kind) string {
	parts := make([]string, len(kinds))
	for i, k := range kinds {
		parts[i] = article(kindNoun[k])
	}
	return strings.Join(parts, " or ")
}

// article prefixes a noun with "a" or "an".
func article(noun string) string {
	if noun != "" && strings.ContainsRune("aeiou", rune(noun[0])) {
		return "an " + noun
	}
	return "a " + noun
}

// need reports an unknown urn, or one naming an entity of another kind
// than kinds, at pos; what names the reference ("payload", "thing
// \"camera\""). It returns the entity when it fits. An empty urn (absent
// or malformed, already reported by Extract) is skipped.
func (c *checker) need(pos Pos, id, what, urn string, kinds ...Kind) *Entity {
	if urn == "" {
		return nil
	}
	u, err := ParseURN(urn)
	if err != nil || strings.EqualFold(u.Metatype, "dataType") {
		return nil
	}
	e := c.entity(urn)
	if e == nil {
		// Name the kind the URN's metatype claims, when it is one of kinds.
		noun := kindNoun[kinds[0]]
		for _, k := range kinds {
			if metaIn(u.Metatype, metatypesOf(k)) {
				noun = kindNoun[k]
			}
		}
		c.errorf(pos, id, "%s: unknown %s %s; expected the id of %s defined in this document or in a namespace it can see", what, strings.SplitN(noun, " (", 2)[0], urn, kindsNoun(kinds))
		return nil
	}
	if !kindIn(e.Kind, kinds) {
		c.errorf(pos, id, "%s: %s is %s, expected %s", what, urn, article(kindNoun[e.Kind]), kindsNoun(kinds))
		return nil
	}
	return e
}

func (c *checker) property(p *Property) {
	if p.Primitive == "" && strings.HasPrefix(p.DataType, "urn:") {
		c.need(p.DataTypePos, p.ID, "dataType", p.DataType, KindProperty, KindEnum)
	}
	if p.InstanceOf != "" {
		if e := c.entity(p.InstanceOf); e != nil && e.Kind != KindState {
			c.errorf(p.InstanceOfPos, p.ID, "instanceOf: %s is %s, not a state; a complex property is an instance of a state (@stateType)", p.InstanceOf, article(kindNoun[e.Kind]))
		} else {
			c.need(p.InstanceOfPos, p.ID, "instanceOf", p.InstanceOf, KindState)
		}
	}
}

func (c *checker) state(st *State) {
	for _, m := range st.Fields {
		kind := map[string]Kind{"property": KindProperty, "state": KindState, "enum": KindEnum}[m.Ref]
		c.need(m.IDPos, st.ID, "state member "+m.Name, m.ID, kind)
	}
	if st.Implements != "" {
		c.need(st.ImplementsPos, st.ID, "implements "+st.ImplementsName, st.Implements, KindState)
	} else if st.ImplementsName != "" && c.byName(st.ImplementsName, KindState) == nil {
		c.warnf(st.Pos, st.ID, "cannot tell which state %s implements; write implements %s @stateType(id: \"<parent state URN>\")", st.ImplementsName, st.ImplementsName)
	}
}

// byName finds a definition of kind named name in the document.
func (c *checker) byName(name string, kind Kind) *Entity {
	for _, e := range c.s.Entities {
		if e.Kind == kind && e.Name == name {
			return e
		}
	}
	return nil
}

// capability returns the capability urn, or nil.
func (c *checker) capability(urn string) *Capability {
	if s := c.set(urn); s != nil {
		return s.Capabilities[Key(urn)]
	}
	return nil
}

// parent returns the capability cp implements, or nil.
func (c *checker) parent(cp *Capability) *Capability {
	if cp.Implements != "" {
		return c.capability(cp.Implements)
	}
	if cp.ImplementsName != "" {
		if e := c.byName(cp.ImplementsName, KindCapability); e != nil {
			return c.s.Capabilities[Key(e.ID)]
		}
	}
	return nil
}

// members returns the actions and events of cp including those it
// inherits through implements (nearest definition wins).
func (c *checker) members(cp *Capability) (actions, events map[string]string) {
	actions, events = map[string]string{}, map[string]string{}
	seen := map[string]bool{}
	for x := cp; x != nil && !seen[Key(x.ID)]; x = c.parent(x) {
		seen[Key(x.ID)] = true
		for n, id := range x.Actions {
			if !hasMember(actions, n) {
				actions[n] = id
			}
		}
		for n, id := range x.Events {
			if !hasMember(events, n) {
				events[n] = id
			}
		}
	}
	return actions, events
}

func (c *checker) capabilityDef(cp *Capability) {
	for _, m := range cp.Members {
		kind := map[string]Kind{"state": KindState, "action": KindAction, "event": KindEvent}[m.Ref]
		c.need(m.IDPos, cp.ID, m.Ref+" "+m.Name, m.ID, kind)
	}
	if cp.Implements != "" {
		c.need(cp.ImplementsPos, cp.ID, "implements "+cp.ImplementsName, cp.Implements, KindCapability)
	} else if cp.ImplementsName != "" && c.byName(cp.ImplementsName, KindCapability) == nil {
		c.warnf(cp.Pos, cp.ID, "cannot tell which capability %s implements; write implements %s @capabilityType(id: \"<parent capability URN>\")", cp.ImplementsName, cp.ImplementsName)
	}
	seen := map[string]bool{Key(cp.ID): true}
	for x := c.parent(cp); x != nil; x = c.parent(x) {
		if seen[Key(x.ID)] {
			c.errorf(cp.ImplementsPos, cp.ID, "capability inheritance cycle through %s", x.ID)
			break
		}
		seen[Key(x.ID)] = true
	}
}

// model returns the device model urn, or nil.
func (c *checker) model(urn string) *DeviceModel {
	if s := c.set(urn); s != nil {
		return s.DeviceModels[Key(urn)]
	}
	return nil
}

func (c *checker) action(urn string) *Action {
	if s := c.set(urn); s != nil {
		return s.Actions[Key(urn)]
	}
	return nil
}

func (c *checker) stateOf(urn string) *State {
	if s := c.set(urn); s != nil {
		return s.States[Key(urn)]
	}
	return nil
}

func sortedNames(m map[string]string) []string {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// memberList lists names for messages, or "none".
func memberList(m map[string]string) string {
	if len(m) == 0 {
		return "none"
	}
	return strings.Join(sortedNames(m), ", ")
}

// hasMember reports whether name is a member of m. [INF] Member names
// compare case-insensitively, like every other TDM name (spec §2.1).
func hasMember(m map[string]string, name string) bool {
	_, ok := member(m, name)
	return ok
}

// member returns the value of name in m, compared case-insensitively.
func member(m map[string]string, name string) (string, bool) {
	if v, ok := m[name]; ok {
		return v, true
	}
	for n, v := range m {
		if strings.EqualFold(n, name) {
			return v, true
		}
	}
	return "", false
}

// implementation checks the Action / Event blocks of a device or service
// against capability capID; it returns the capability, or nil.
func (c *checker) implementation(id string, blockPos Pos, capID string, capPos Pos, modelCap, modelID string, actions []DeviceAction, events []DeviceEvent) *Capability {
	if modelCap != "" && capID != "" && !SameURN(capID, modelCap) {
		c.errorf(capPos, id, "capability block id %s differs from capability %s of device model %s", capID, modelCap, modelID)
	}
	if modelCap == "" {
		modelCap = capID
		c.need(capPos, id, "capability block", capID, KindCapability)
	}
	cp := c.capability(modelCap)
	if cp == nil {
		return nil
	}
	acts, evs := c.members(cp)
	for _, name := range sortedNames(acts) {
		found := false
		for _, a := range actions {
			found = found || strings.EqualFold(a.Name, name)
		}
		if !found {
			c.errorf(blockPos, id, "does not implement action %q of capability %s; add Action(name: %q) { ... } (a device has to cover each action its model's capability declares)", name, cp.ID, name)
		}
	}
	for _, a := range actions {
		if a.Name != "" && !hasMember(acts, a.Name) {
			c.errorf(a.NamePos, id, "Action %q is not an action of capability %s (actions: %s)", a.Name, cp.ID, memberList(acts))
		}
	}
	for _, ev := range events {
		if ev.Name != "" && !hasMember(evs, ev.Name) {
			c.errorf(ev.NamePos, id, "Event %q is not an event of capability %s (events: %s)", ev.Name, cp.ID, memberList(evs))
		}
	}
	return cp
}

func (c *checker) device(d *Device) {
	c.need(d.DeviceModelPos, d.ID, "deviceModel", d.DeviceModel, KindDeviceModel)
	modelCap, modelID := "", d.DeviceModel
	if m := c.model(d.DeviceModel); m != nil {
		modelCap = m.Capability
	} else if d.DeviceModel != "" {
		modelID = ""
		modelCap = "" // unknown model: already reported; check against the block id
	}
	cp := c.implementation(d.ID, d.CapabilityBlockPos, d.CapabilityID, d.CapabilityPos, modelCap, modelID, d.Actions, d.Events)
	if cp != nil && cp.State != "" && len(d.State) > 0 {
		if st := c.stateOf(cp.State); st != nil {
			names := map[string]string{}
			for _, f := range st.Fields {
				names[f.Name] = f.ID
			}
			for _, w := range d.State {
				if !hasMember(names, w.Member) {
					c.errorf(w.Pos, d.ID, "state field %s is not a member of state %s (members: %s)", w.Member, st.ID, memberList(names))
				}
			}
		}
	}
	for _, w := range d.State {
		c.need(w.PropertyPos, d.ID, "state field "+w.Member, w.Property, KindProperty)
	}
	for i := range d.Actions {
		c.deviceAction(d.ID, &d.Actions[i])
	}
	for _, ev := range d.Events {
		c.need(ev.PayloadPropertyPos, d.ID, "Event "+quote(ev.Name)+" responsePayload", ev.PayloadProperty, KindProperty)
		c.topicVars(d.ID, ev.Topic, ev.TopicPos, "topic of Event "+quote(ev.Name))
	}
}

// deviceAction checks the properties and ${...} names of one Action block.
func (c *checker) deviceAction(id string, a *DeviceAction) {
	names := map[string]string{}
	for _, p := range a.Params {
		names[p.Name] = p.Property
		c.need(p.PropertyPos, id, "param "+p.Name, p.Property, KindProperty)
	}
	what := "Action " + quote(a.Name)
	c.need(a.ResponsePropertyPos, id, what+" responsePayload", a.ResponseProperty, KindProperty)
	// Topics are expanded per bound thing, not per request: the action's
	// params are not in scope there, only TopicVariables.
	c.topicVars(id, a.RequestTopic, a.RequestTopicPos, what+" request topic")
	c.topicVars(id, a.ResponseTopic, a.ResponseTopicPos, what+" response topic")
	lists := [][]Param{a.RequestParams}
	if a.HTTP != nil {
		c.templates(id, a.HTTP.URL, a.HTTP.URLPos, names, what+" url")
		lists = append(lists, a.HTTP.HeaderParams, a.HTTP.QueryParams, a.HTTP.BodyParams)
	}
	for _, l := range lists {
		for _, p := range l {
			c.need(p.PropertyPos, id, "param "+p.Name, p.Property, KindProperty)
			c.templates(id, p.Value, p.ValuePos, names, what+" param "+quote(p.Name))
		}
	}
	if a.Lambda != nil && a.Lambda.ARN != "" {
		c.templates(id, a.Lambda.ARN, a.Lambda.ARNPos, names, what+" arn")
		if msg := lambdaVersionProblem(a.Lambda.ARN); msg != "" {
			c.errorf(a.Lambda.ARNPos, id, "%s: %s", what, msg)
		}
	}
}

// lambdaVersionProblem says what is wrong with the version of a Lambda
// ARN, or "" when it ends in a numeric version [DOC
// ug:iot-tg-models-tdm-iot-service: the ARN includes a version].
func lambdaVersionProblem(arn string) string {
	s := strings.TrimSpace(arn)
	for _, pre := range []string{"$macro(", "macro("} {
		if len(s) > len(pre) && strings.EqualFold(s[:len(pre)], pre) && strings.HasSuffix(s, ")") {
			s = s[len(pre) : len(s)-1]
		}
	}
	parts := strings.Split(s, ":")
	if len(parts) < 7 || parts[0] != "arn" || parts[2] != "lambda" || parts[5] != "function" {
		return "arn " + quote(arn) + " is not a Lambda function ARN; expected arn:aws:lambda:<region>:<account>:function:<name>:<version>"
	}
	if len(parts) == 7 {
		return "Lambda ARN " + quote(arn) + " has no version; append :<version> (e.g. :1): Things Graph invokes a published version"
	}
	if q := parts[7]; len(parts) > 8 || !isDigits(q) {
		return "Lambda ARN " + quote(arn) + " ends in " + quote(q) + ", not a version number; Things Graph needs a published version such as :1 (aliases such as Latest are not resolved)"
	}
	return ""
}

func (c *checker) service(svc *Service) {
	c.implementation(svc.ID, svc.CapabilityPos, svc.CapabilityID, svc.CapabilityPos, "", "", svc.Actions, nil)
	for i := range svc.Actions {
		c.deviceAction(svc.ID, &svc.Actions[i])
	}
}

func (c *checker) mapping(m *Mapping) {
	c.need(m.From.Pos, m.ID, "from", m.From.Property, KindProperty)
	c.need(m.To.Pos, m.ID, "to", m.To.Property, KindProperty)
	for _, l := range [][]MapEntry{m.Forward, m.Reverse, m.Symmetric} {
		for _, me := range l {
			if me.Err != nil {
				c.warnf(me.Err.Pos, m.ID, "map entry is stored but does not parse: %s", me.Err.Msg)
			}
		}
	}
}
