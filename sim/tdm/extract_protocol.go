package tdm

import (
	"strings"
)

// protocolBlock returns the single top-level block of a device or service
// (MQTT, Modbus, REST, AwsLambda) and the capability block inside it.
func (x *extractor) protocolBlock(d *Definition, what string) (proto, capBlock *Field) {
	if len(d.Fields) == 0 || !d.Fields[0].HasBody && !strings.EqualFold(d.Fields[0].Name, "modbus") {
		expected := "REST { ... } or AwsLambda { ... }"
		if what == "device" {
			expected = "MQTT { ... } or Modbus(serverId: ...) { ... }"
		}
		x.errorf(d.Pos, "%s %s has no protocol block; expected %s", what, d.Name, expected)
		return nil, nil
	}
	proto = d.Fields[0]
	if len(proto.Fields) == 0 {
		x.errorf(proto.Pos, "%s block has no capability block; expected <Name>(id: \"<capability URN>\") { ... }", proto.Name)
		return proto, nil
	}
	return proto, proto.Fields[0]
}

// capabilityID reads the capability block's id.
func (x *extractor) capabilityID(capBlock *Field) (string, Pos) {
	v := capBlock.ArgValue("id")
	if v == nil {
		x.errorf(capBlock.Pos, "capability block %s has no id argument; expected %s(id: \"<capability URN>\")", capBlock.Name, capBlock.Name)
		return "", capBlock.Pos
	}
	return x.ref(v, "capability block id", "capability")
}

func (x *extractor) device(e *Entity, dir *Directive) *Device {
	d := e.Def
	dev := &Device{ID: e.ID, Pos: d.Pos}
	if v := dir.ArgValue("deviceModel"); v != nil {
		dev.DeviceModel, dev.DeviceModelPos = x.ref(v, "argument deviceModel", "deviceModel")
	} else {
		x.errorf(dir.Pos, "@%s has no deviceModel argument", dir.Name)
	}
	proto, capBlock := x.protocolBlock(d, "device")
	if proto == nil {
		return dev
	}
	dev.ProtocolPos = proto.Pos
	switch {
	case strings.EqualFold(proto.Name, "MQTT"):
		dev.Protocol = "MQTT"
	case strings.EqualFold(proto.Name, "Modbus"):
		dev.Protocol = "MODBUS"
		if v := proto.ArgValue("serverId"); v != nil {
			dev.ServerID, dev.ServerIDPos = v.Source(), v.Pos
			x.integer(v, "serverId")
		} else {
			x.errorf(proto.Pos, "Modbus block has no serverId argument; expected Modbus(serverId: \"<Modbus endpoint id>\")")
		}
	default:
		x.errorf(proto.Pos, "unknown device protocol block %q; expected MQTT or Modbus", proto.Name)
	}
	if capBlock == nil {
		return dev
	}
	dev.CapabilityName, dev.CapabilityBlockPos = capBlock.Name, capBlock.Pos
	dev.CapabilityID, dev.CapabilityPos = x.capabilityID(capBlock)
	for _, f := range capBlock.Fields {
		switch {
		case strings.EqualFold(f.Name, "Action"):
			dev.Actions = append(dev.Actions, x.action2(f, dev.Protocol))
		case strings.EqualFold(f.Name, "Event"):
			ev := DeviceEvent{Name: f.ArgString("name"), Pos: f.Pos, NamePos: f.Pos}
			if v := f.ArgValue("name"); v != nil {
				ev.NamePos = v.Pos
			} else {
				x.errorf(f.Pos, "Event block has no name argument")
			}
			if dev.Protocol == "MODBUS" {
				x.errorf(f.Pos, "Modbus devices have no events (the master polls them); remove Event(name: %q) or read the value with an action [DOC ug:iot-tg-models-mod101]", ev.Name)
			}
			if sub := f.Child("Subscribe"); sub != nil {
				ev.Topic, ev.TopicPos = sub.ArgString("topic"), argPos(sub, "topic")
				if v := sub.Child("responsePayload").ArgValue("property"); v != nil {
					ev.PayloadProperty, ev.PayloadPropertyPos = x.ref(v, "responsePayload(property:)", "property")
				}
			} else if dev.Protocol == "MQTT" {
				x.errorf(f.Pos, "Event %q has no Subscribe block; expected Subscribe(topic: \"...\") { responsePayload(property: \"...\") }", ev.Name)
			}
			dev.Events = append(dev.Events, ev)
		case strings.EqualFold(f.Name, "state"):
			for _, m := range f.Fields {
				w := WireField{Member: m.Name, Name: m.ArgString("name"), Pos: m.Pos, PropertyPos: m.Pos}
				if v := m.ArgValue("property"); v != nil {
					w.Property, w.PropertyPos = x.ref(v, "argument property", "property")
				}
				dev.State = append(dev.State, w)
			}
		}
	}
	return dev
}

// operations lists the operation blocks each protocol accepts.
var operations = map[string][]string{
	"MQTT":      {"Publish"},
	"MODBUS":    ModbusOperations,
	"REST":      {"HttpGet", "HttpPost"},
	"AWSLAMBDA": {"InvokeGreengrassLambda", "InvokeCloudLambda"},
}

// canonical returns the spelling in list that equals name case-insensitively.
func canonical(name string, list []string) (string, bool) {
	for _, x := range list {
		if strings.EqualFold(x, name) {
			return x, true
		}
	}
	return "", false
}

// action2 reads Action(name:) { params {...} <Operation> { Request(...) {...} Response(...) {...} } }
// for protocol ("MQTT", "MODBUS", "REST", "AWSLAMBDA"; "" when unknown).
func (x *extractor) action2(f *Field, protocol string) DeviceAction {
	a := DeviceAction{Name: f.ArgString("name"), Pos: f.Pos, NamePos: f.Pos}
	if v := f.ArgValue("name"); v != nil {
		a.NamePos = v.Pos
	} else {
		x.errorf(f.Pos, "Action block has no name argument")
	}
	var op *Field
	for _, c := range f.Fields {
		if strings.EqualFold(c.Name, "params") {
			a.Params = x.params(c)
			continue
		}
		if op == nil {
			op = c
		}
	}
	ops := operations[protocol]
	if op == nil {
		if ops != nil {
			x.errorf(f.Pos, "Action %q has no operation block; expected %s after its params", a.Name, strings.Join(ops, ", "))
		}
		return a
	}
	a.Operation, a.OperationPos = op.Name, op.Pos
	name, known := canonical(op.Name, ops)
	if ops != nil && !known {
		what := map[string]string{"MQTT": "MQTT", "MODBUS": "Modbus", "REST": "REST", "AWSLAMBDA": "AwsLambda"}[protocol]
		x.errorf(op.Pos, "unknown %s operation %q in Action %q; expected one of %s", what, op.Name, a.Name, strings.Join(ops, ", "))
	}
	req, resp := op.Child("Request"), op.Child("Response")
	if req != nil {
		a.RequestTopic, a.RequestTopicPos = req.ArgString("topic"), argPos(req, "topic")
		a.RequestParams = x.params(req.Child("params"))
	}
	if resp != nil {
		a.HasResponse = true
		a.ResponseTopic, a.ResponseTopicPos = resp.ArgString("topic"), argPos(resp, "topic")
		if v := resp.Child("responsePayload").ArgValue("property"); v != nil {
			a.ResponseProperty, a.ResponsePropertyPos = x.ref(v, "responsePayload(property:)", "property")
		}
	}
	switch protocol {
	case "MQTT":
		if known && req == nil {
			x.errorf(op.Pos, "Publish of Action %q has no Request(topic: ...) block", a.Name)
		}
	case "MODBUS":
		if known {
			a.Modbus = x.modbus(name, req, op, a.Name)
		}
	case "REST":
		if known {
			h := &HTTPRequest{Method: strings.ToUpper(strings.TrimPrefix(name, "Http")), Pos: op.Pos}
			if req == nil {
				x.errorf(op.Pos, "%s of Action %q has no Request(url: ...) block", name, a.Name)
			} else {
				h.Pos = req.Pos
				h.URL, h.URLPos, h.AWSServiceName = req.ArgString("url"), argPos(req, "url"), req.ArgString("awsServiceName")
				if h.URL == "" {
					x.errorf(req.Pos, "Request of Action %q has no url argument", a.Name)
				}
				if v := req.ArgValue("auth"); v != nil {
					h.Auth = v.Source()
					if !strings.EqualFold(h.Auth, "SigV4") {
						x.errorf(v.Pos, "auth %q is not supported; the only value is \"SigV4\" (for AWS services, with awsServiceName)", h.Auth)
					}
				}
				h.HeaderParams = x.params(req.Child("headerParams"))
				h.QueryParams = x.params(req.Child("queryParams"))
				h.BodyParams = x.params(req.Child("bodyParams"))
			}
			a.HTTP = h
		}
	case "AWSLAMBDA":
		if known {
			l := &LambdaRequest{Cloud: name == "InvokeCloudLambda", ARNPos: op.Pos}
			if v := req.ArgValue("arn"); v != nil {
				l.ARN, l.ARNPos = v.Source(), v.Pos
			} else {
				x.errorf(op.Pos, "%s of Action %q has no Request(arn: ...) naming the function", name, a.Name)
			}
			a.Lambda = l
		}
	}
	return a
}

// modbus reads Request(Address:, ReadCount:|WriteCount:) of a Modbus
// operation [DOC ug:iot-tg-protocols-modbus].
func (x *extractor) modbus(op string, req, block *Field, action string) *ModbusRequest {
	m := &ModbusRequest{Operation: op, Read: strings.HasPrefix(op, "Read"), Pos: block.Pos}
	if req == nil {
		x.errorf(block.Pos, "%s of Action %q has no Request(Address: ...) block", op, action)
		return m
	}
	m.Pos = req.Pos
	if v := req.ArgValue("Address"); v != nil {
		m.Address = x.integer(v, "Address")
	} else {
		x.errorf(req.Pos, "Request of %s has no Address argument (the first register or coil)", op)
	}
	if v := req.ArgValue("ReadCount"); v != nil {
		m.ReadCount = x.integer(v, "ReadCount")
	} else if m.Read {
		x.errorf(req.Pos, "Request of %s has no ReadCount argument (how many registers or coils to read)", op)
	}
	if v := req.ArgValue("WriteCount"); v != nil {
		m.WriteCount = x.integer(v, "WriteCount")
	}
	return m
}

func (x *extractor) params(f *Field) []Param {
	var ps []Param
	for _, p := range f.Children("param") {
		pr := Param{Name: p.ArgString("name"), Value: p.ArgValue("value").Source(), Pos: p.Pos, PropertyPos: p.Pos, ValuePos: argPos(p, "value")}
		if v := p.ArgValue("property"); v != nil {
			pr.Property, pr.PropertyPos = x.ref(v, "param(property:)", "property")
		}
		ps = append(ps, pr)
	}
	return ps
}

func (x *extractor) service(e *Entity) *Service {
	svc := &Service{ID: e.ID, Pos: e.Pos}
	proto, capBlock := x.protocolBlock(e.Def, "service")
	if proto != nil {
		svc.Protocol, svc.ProtocolPos = strings.ToUpper(proto.Name), proto.Pos
		if operations[svc.Protocol] == nil || svc.Protocol == "MQTT" || svc.Protocol == "MODBUS" {
			x.errorf(proto.Pos, "unknown service protocol block %q; expected REST or AwsLambda", proto.Name)
		}
	}
	if capBlock != nil {
		svc.CapabilityName = capBlock.Name
		svc.CapabilityID, svc.CapabilityPos = x.capabilityID(capBlock)
		for _, f := range capBlock.Children("Action") {
			svc.Actions = append(svc.Actions, x.action2(f, svc.Protocol))
		}
	}
	return svc
}

// argPos is the position of the value of argument name of f, or f's
// position when the argument is absent.
func argPos(f *Field, name string) Pos {
	if v := f.ArgValue(name); v != nil {
		return v.Pos
	}
	if f == nil {
		return Pos{}
	}
	return f.Pos
}
