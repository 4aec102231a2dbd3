package tdm

import (
	"strconv"
	"strings"
)

// extractor gathers the problems found while extracting one entity.
type extractor struct {
	id   string
	errs ErrorList
}

func (x *extractor) errorf(pos Pos, format string, args ...any) {
	x.errs = append(x.errs, errorf(pos, x.id, format, args...))
}

// usageMetatypes are the URN metatypes each usage directive's id may use
// [DOC ug:iot-tg-models-tdm-graphql; spec §1.3, §2.2].
var usageMetatypes = map[string][]string{
	"property":   {"property"},
	"state":      {"state"},
	"event":      {"event"},
	"action":     {"action"},
	"enum":       {"enum"},
	"capability": {"capability"},
	"thing":      {"deviceModel", "device"},
	"device":     {"device"},
	"workflow":   {"workflow", "flow"},
	"service":    {"service"},
	"system":     {"system"},
}

// ref returns a reference argument's URN and position. It reports a value
// that is not a string, a malformed URN, and a metatype outside metas.
// what names the argument in messages: `@property(id:)`, `capability:`.
func (x *extractor) ref(v *Value, what string, metas ...string) (string, Pos) {
	if v == nil {
		return "", Pos{}
	}
	s, ok := v.StringValue()
	if !ok || v.Kind != ValueString {
		x.errorf(v.Pos, "%s must be a URN string (\"urn:tdm:...\"), found %s", what, v.Kind)
		return "", v.Pos
	}
	u, err := ParseURN(s)
	if err != nil {
		x.errorf(v.Pos, "%s: %v", what, err)
		return s, v.Pos
	}
	if len(metas) > 0 && !metaIn(u.Metatype, metas) {
		x.errorf(v.Pos, "metatype %q of %s does not match %s; expected \"%s\"", u.Metatype, s, what, strings.Join(metas, `" or "`))
	}
	return s, v.Pos
}

func metaIn(m string, metas []string) bool {
	for _, x := range metas {
		if strings.EqualFold(m, x) {
			return true
		}
	}
	return false
}

// usage returns the first usage directive of f among names, its id and
// the id's position.
func (x *extractor) usage(f *Field, names ...string) (dir *Directive, id string, pos Pos) {
	for _, d := range f.Directives {
		for _, n := range names {
			if !strings.EqualFold(d.Name, n) {
				continue
			}
			v := d.ArgValue("id")
			if v == nil {
				x.errorf(d.Pos, "@%s of member %s has no id argument", d.Name, f.Name)
				return d, "", d.Pos
			}
			id, pos = x.ref(v, "@"+d.Name+"(id:)", usageMetatypes[strings.ToLower(n)]...)
			return d, id, pos
		}
	}
	return nil, "", f.Pos
}

// number reads a numeric facet written as a number or a numeric string.
func (x *extractor) number(v *Value, what string) *float64 {
	if v == nil {
		return nil
	}
	if v.Kind == ValueInt || v.Kind == ValueFloat || v.Kind == ValueString {
		if f, err := strconv.ParseFloat(strings.TrimSpace(v.Text), 64); err == nil {
			return &f
		}
	}
	x.errorf(v.Pos, "%s must be a number, found %s", what, describeValue(v))
	return nil
}

func (x *extractor) integer(v *Value, what string) *int64 {
	if v == nil {
		return nil
	}
	if v.Kind == ValueInt || v.Kind == ValueString {
		if n, err := strconv.ParseInt(strings.TrimSpace(v.Text), 10, 64); err == nil {
			return &n
		}
	}
	x.errorf(v.Pos, "%s must be an integer, found %s", what, describeValue(v))
	return nil
}

func (x *extractor) boolean(v *Value, what string) bool {
	if v == nil {
		return false
	}
	if v.Kind == ValueName || v.Kind == ValueString {
		switch strings.ToLower(v.Text) {
		case "true":
			return true
		case "false":
			return false
		}
	}
	x.errorf(v.Pos, "%s must be true or false, found %s", what, describeValue(v))
	return false
}

// describeValue says what a value is, for "found ..." in messages.
func describeValue(v *Value) string {
	switch v.Kind {
	case ValueString:
		return strconv.Quote(v.Text)
	case ValueInt, ValueFloat:
		return "number " + v.Text
	case ValueName:
		return "name " + v.Text
	}
	return v.Kind.String()
}

// primitives maps the built-in data type keywords (any case) to their
// canonical name [DOC ug:iot-tg-models-tdm-datatypes; spec §1.5]. [INF]
// json is accepted too: the public namespace's Json property needs it.
var primitives = map[string]string{
	"string": "string", "boolean": "boolean", "bool": "boolean",
	"int8": "int8", "int16": "int16", "int32": "int32", "int64": "int64",
	"uint8": "uint8", "uint16": "uint16", "uint32": "uint32", "uint64": "uint64", "byte": "uint8",
	"float32": "float32", "float": "float32", "float64": "float64", "double": "float64",
	"urn": "urn", "arn": "arn", "uri": "uri", "datetime": "datetime", "date": "date", "duration": "duration",
	"json": "json",
}

const primitiveList = "String, Boolean (Bool), Int8, Int16, Int32, Int64, UInt8 (Byte), UInt16, UInt32, UInt64, Float32 (Float), Float64 (Double), Urn, Arn, Uri, DateTime, Date, Duration, Json"

// otherDirectives returns the directives of d except the defining one.
func otherDirectives(d *Definition, defining *Directive) []*Directive {
	var out []*Directive
	for _, x := range d.Directives {
		if x != defining {
			out = append(out, x)
		}
	}
	return out
}

// add extracts the kind-specific structure of e.
func (s *Set) add(e *Entity, dir *Directive) ErrorList {
	x := &extractor{id: e.ID}
	k := Key(e.ID)
	d := e.Def
	switch e.Kind {
	case KindProperty:
		s.Properties[k] = x.property(e, dir)
	case KindEnum:
		s.Enums[k] = x.enum(e)
	case KindState:
		s.States[k] = x.state(e, dir)
	case KindEvent:
		ev := &Event{ID: e.ID, Pos: d.Pos}
		if v := dir.ArgValue("payload"); v != nil {
			ev.Payload, ev.PayloadPos = x.ref(v, "argument payload", "property")
		}
		s.Events[k] = ev
	case KindAction:
		s.Actions[k] = x.action(e)
	case KindCapability:
		s.Capabilities[k] = x.capability(e, dir)
	case KindDeviceModel:
		m := &DeviceModel{ID: e.ID, Pos: d.Pos}
		if v := dir.ArgValue("capability"); v != nil {
			m.Capability, m.CapabilityPos = x.ref(v, "argument capability", "capability")
		} else {
			x.errorf(dir.Pos, "@%s has no capability argument", dir.Name)
		}
		s.DeviceModels[k] = m
	case KindDevice:
		s.Devices[k] = x.device(e, dir)
	case KindService:
		s.Services[k] = x.service(e)
	case KindMapping:
		s.Mappings[k] = x.mapping(e, dir)
	case KindFlow:
		s.Flows[k] = x.flow(e, dir)
	case KindSystem:
		s.Systems[k] = x.system(e, dir)
	case KindDeployment:
		s.Deployments[k] = x.deployment(e, dir)
	}
	return x.errs
}

func (x *extractor) property(e *Entity, dir *Directive) *Property {
	p := &Property{ID: e.ID, Pos: e.Pos, Directives: otherDirectives(e.Def, dir)}
	if v := dir.ArgValue("dataType"); v != nil {
		p.DataType, p.DataTypePos = v.Source(), v.Pos
		switch {
		case v.Kind == ValueName:
			p.Primitive = primitives[strings.ToLower(v.Text)]
			if p.Primitive == "" {
				x.errorf(v.Pos, "unknown data type %s; expected a built-in type (%s) or a URN string", v.Text, primitiveList)
			}
		case v.Kind == ValueString && strings.HasPrefix(v.Text, "urn:"):
			x.ref(v, "argument dataType", "property", "enum", "dataType")
		case v.Kind == ValueString:
			// A quoted keyword ("String") is read like a bare one.
			p.Primitive = primitives[strings.ToLower(v.Text)]
			if p.Primitive == "" {
				x.errorf(v.Pos, "unknown data type %q; expected a built-in type (%s) or a URN", v.Text, primitiveList)
			}
		default:
			x.errorf(v.Pos, "dataType must be a built-in type name or a URN string, found %s", describeValue(v))
		}
	}
	if v := dir.ArgValue("instanceOf"); v != nil {
		p.InstanceOf, p.InstanceOfPos = x.ref(v, "argument instanceOf", "state")
	}
	p.Description = dir.ArgString("description")
	for _, a := range dir.Args {
		switch strings.ToLower(a.Name) {
		case "minvalue", "min":
			p.MinValue = x.number(a.Value, a.Name)
		case "maxvalue", "max":
			p.MaxValue = x.number(a.Value, a.Name)
		case "minlength":
			p.MinLength = x.integer(a.Value, a.Name)
		case "maxlength":
			p.MaxLength = x.integer(a.Value, a.Name)
		case "accuracy":
			p.Accuracy = x.number(a.Value, a.Name)
		case "isabstract":
			p.IsAbstract = x.boolean(a.Value, a.Name)
		case "isglobalid":
			p.IsGlobalID = x.boolean(a.Value, a.Name)
		case "uom":
			p.Uom = a.Value.Source()
		case "semtypeid":
			p.SemTypeIDs = a.Value.Strings()
		}
	}
	if p.MinValue != nil && p.MaxValue != nil && *p.MinValue > *p.MaxValue {
		x.errorf(dir.Arg("maxValue").orArg(dir, "max").Value.Pos, "maxValue %v is below minValue %v", *p.MaxValue, *p.MinValue)
	}
	if p.MinLength != nil && p.MaxLength != nil && *p.MinLength > *p.MaxLength {
		x.errorf(dir.Arg("maxLength").Value.Pos, "maxLength %d is below minLength %d", *p.MaxLength, *p.MinLength)
	}
	return p
}

// orArg returns a, or d's argument named alt when a is nil.
func (a *Arg) orArg(d *Directive, alt string) *Arg {
	if a != nil {
		return a
	}
	return d.Arg(alt)
}

func (x *extractor) enum(e *Entity) *Enum {
	en := &Enum{ID: e.ID, Pos: e.Pos}
	for _, f := range e.Def.Fields {
		if strings.EqualFold(f.Name, "ignore") {
			continue
		}
		ev := EnumValue{Name: f.Name, Pos: f.Pos}
		if d := f.Directive("enumValue"); d != nil {
			if v := d.ArgValue("value"); v != nil {
				ev.Value = x.integer(v, "@enumValue(value:)")
			}
		}
		en.Values = append(en.Values, ev)
	}
	return en
}

// implementsParent fills the parent URN and name of `implements`.
func (x *extractor) implementsParent(d *Definition, defining *Directive) (urn, name string, pos Pos) {
	if len(d.Implements) == 0 {
		return "", "", Pos{}
	}
	name, pos = d.Implements[0], d.Pos
	k := d.ImplementsAfter
	if k < 0 || k > len(d.Directives) {
		k = 0
	}
	for _, dir := range d.Directives[k:] {
		if dir != defining && strings.EqualFold(dir.Name, defining.Name) {
			if v := dir.ArgValue("id"); v != nil {
				metas := []string{"state"}
				if strings.EqualFold(defining.Name, "capabilityType") {
					metas = []string{"capability"}
				}
				urn, pos = x.ref(v, "implements "+name+" @"+dir.Name+"(id:)", metas...)
			}
			break
		}
	}
	return urn, name, pos
}

func (x *extractor) state(e *Entity, dir *Directive) *State {
	d := e.Def
	st := &State{ID: e.ID, Pos: e.Pos, Directives: otherDirectives(d, dir)}
	st.Implements, st.ImplementsName, st.ImplementsPos = x.implementsParent(d, dir)
	for _, f := range d.Fields {
		if strings.EqualFold(f.Name, "ignore") && len(f.Directives) == 0 {
			continue
		}
		u, id, pos := x.usage(f, "property", "state", "enum")
		if u == nil {
			x.errorf(f.Pos, "state member %s has no @property(id: ...) directive; every member names its property (or @state / @enum)", f.Name)
			continue
		}
		m := StateMember{Name: f.Name, TypeName: f.Type, List: strings.HasPrefix(f.Type, "["), Ref: strings.ToLower(u.Name), ID: id, Pos: f.Pos, IDPos: pos}
		facet := func(name string) *Value {
			if v := u.ArgValue(name); v != nil {
				return v
			}
			return f.ArgValue(name)
		}
		if v := facet("isRequired"); v != nil {
			m.IsRequired = x.boolean(v, "isRequired")
		}
		if v := facet("isReadOnly"); v != nil {
			m.IsReadOnly = x.boolean(v, "isReadOnly")
		}
		if v := facet("default"); v != nil {
			m.Default = v.Source()
		}
		if v := facet("condition"); v != nil {
			m.Condition, m.ConditionPos = v.Source(), v.Pos
		}
		if v := facet("expr"); v != nil {
			m.Expr = v.Source()
		}
		if v := facet("multiplicity"); v != nil {
			m.Multiplicity = strings.TrimPrefix(v.Source(), "Multiplicity.")
		}
		st.Fields = append(st.Fields, m)
		if m.Ref == "property" {
			st.Members = append(st.Members, Param{Name: f.Name, Property: id, Pos: f.Pos, PropertyPos: pos})
		}
	}
	return st
}

func (x *extractor) action(e *Entity) *Action {
	a := &Action{ID: e.ID, Pos: e.Pos}
	for _, f := range e.Def.Fields {
		if strings.EqualFold(f.Name, "ignore") && len(f.Directives) == 0 {
			continue
		}
		u, id, pos := x.usage(f, "property")
		if u == nil {
			x.errorf(f.Pos, "action member %s has no @property(id: ...) directive; parameters and return name their property", f.Name)
			continue
		}
		if strings.EqualFold(f.Name, "return") {
			a.Return, a.ReturnPos = id, pos
		} else {
			a.Params = append(a.Params, Param{Name: f.Name, Property: id, Pos: f.Pos, PropertyPos: pos})
		}
	}
	return a
}

func (x *extractor) capability(e *Entity, dir *Directive) *Capability {
	d := e.Def
	c := &Capability{ID: e.ID, Actions: map[string]string{}, Events: map[string]string{}, Pos: e.Pos}
	c.Implements, c.ImplementsName, c.ImplementsPos = x.implementsParent(d, dir)
	states := 0
	for _, f := range d.Fields {
		if strings.EqualFold(f.Name, "ignore") && len(f.Directives) == 0 {
			continue
		}
		u, id, pos := x.usage(f, "state", "action", "event")
		if u == nil {
			x.errorf(f.Pos, "capability member %s has no @state, @action or @event directive", f.Name)
			continue
		}
		m := CapabilityMember{Name: f.Name, Ref: strings.ToLower(u.Name), ID: id, Pos: f.Pos, IDPos: pos}
		c.Members = append(c.Members, m)
		switch m.Ref {
		case "state":
			if states++; states == 2 {
				x.errorf(f.Pos, "second state member %s: a capability has one state [DOC ug:iot-tg-models-tdm-iot-capability]", f.Name)
			}
			c.State = id
		case "action":
			c.Actions[f.Name] = id
		case "event":
			c.Events[f.Name] = id
		}
	}
	return c
}
