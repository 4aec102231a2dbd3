package flow

import (
	"fmt"
	"sort"

	"github.com/tgsim/tgsim/sim/tdm"
)

// Plan is a flow configuration compiled for execution: every name resolved,
// every topic expanded, every expression parsed.
type Plan struct {
	Manifest   Manifest
	Deployment *tdm.Deployment
	System     *tdm.System
	// Flows by system workflow role name.
	Flows map[string]*tdm.Flow
	// RoleThing maps a system role to the bound thing name.
	RoleThing map[string]string
	// Devices maps a thing name to its device definition.
	Devices map[string]*tdm.Device
	// Events maps an expanded event topic to who emits it.
	Events   map[string]EventSource
	Triggers []*Trigger
	// Services maps tdm.Key(service URN) to every service definition in
	// the artifact, for WebserviceActivity steps. [INF] A step naming a
	// service the artifact lacks fails at run time, not at Compile.
	Services map[string]*tdm.Service
}

// EventSource names the device event published on a topic.
type EventSource struct {
	Role, Thing, Event string
}

// Trigger is a compiled deployment trigger.
type Trigger struct {
	tdm.Trigger
	Every     bool     // a timer trigger ("every N units")
	Period    string   // the every-expression as written
	Condition tdm.Expr // nil for timer triggers
	Actions   []tdm.Expr
}

// Direction of a topic relative to the Things Graph runtime.
const (
	ToRuntime   = "device-to-runtime"
	FromRuntime = "runtime-to-device"
)

// TopicUse is one MQTT topic a deployed flow configuration uses.
type TopicUse struct {
	Thing     string
	Topic     string
	Direction string
	Why       string // "event StateChanged", "action capture request", ...
}

// Compile resolves an artifact into a Plan. Errors name the document and
// the position.
func Compile(a *Artifact) (*Plan, error) {
	all := &merged{}
	for _, d := range a.Documents {
		doc, err := tdm.Parse(d.Text)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", d.Name, err)
		}
		set, errs := tdm.ExtractSource(doc, d.Text)
		if len(errs) > 0 {
			return nil, fmt.Errorf("%s: %w", d.Name, errs)
		}
		all.sets = append(all.sets, set)
	}
	m := a.Manifest
	dep := all.deployment(m.DeploymentID)
	if dep == nil {
		return nil, fmt.Errorf("flow configuration %s is not in the artifact", m.DeploymentID)
	}
	sys := all.system(dep.SystemID)
	if sys == nil {
		return nil, fmt.Errorf("system %s of %s is not in the artifact", dep.SystemID, dep.ID)
	}
	p := &Plan{
		Manifest:   m,
		Deployment: dep,
		System:     sys,
		Flows:      map[string]*tdm.Flow{},
		RoleThing:  map[string]string{},
		Devices:    map[string]*tdm.Device{},
		Events:     map[string]EventSource{},
		Services:   map[string]*tdm.Service{},
	}
	for _, set := range all.sets {
		for k, svc := range set.Services {
			if _, dup := p.Services[k]; !dup {
				p.Services[k] = svc
			}
		}
	}
	for _, w := range sys.Workflows {
		f := all.flow(w.ID)
		if f == nil {
			return nil, fmt.Errorf("flow %s (role %s of %s) is not in the artifact", w.ID, w.Name, sys.ID)
		}
		p.Flows[w.Name] = f
	}
	for _, b := range dep.Bindings {
		p.RoleThing[b.Role] = b.ThingName
		devID, ok := m.Things[b.ThingName]
		if !ok {
			return nil, fmt.Errorf("thing %s (role %s) has no associated device in the manifest", b.ThingName, b.Role)
		}
		dev := all.device(devID)
		if dev == nil {
			return nil, fmt.Errorf("device %s of thing %s is not in the artifact", devID, b.ThingName)
		}
		p.Devices[b.ThingName] = dev
		for _, ev := range dev.Events {
			topic, err := p.expandTopic(ev.Topic, b.ThingName)
			if err != nil {
				return nil, fmt.Errorf("device %s event %s: %w", dev.ID, ev.Name, err)
			}
			p.Events[topic] = EventSource{Role: b.Role, Thing: b.ThingName, Event: ev.Name}
		}
	}
	for i := range dep.Triggers {
		tr := &Trigger{Trigger: dep.Triggers[i]}
		if _, ok := tdm.ParseEvery(tr.Trigger.Condition); ok {
			tr.Every, tr.Period = true, tr.Trigger.Condition
		} else {
			e, err := tdm.ParseExpr(tr.Trigger.Condition)
			if err != nil {
				return nil, fmt.Errorf("trigger %s condition: %w", tr.Name, err)
			}
			tr.Condition = e
		}
		for _, a := range tr.Trigger.Actions {
			e, err := tdm.ParseExpr(a)
			if err != nil {
				return nil, fmt.Errorf("trigger %s action: %w", tr.Name, err)
			}
			tr.Actions = append(tr.Actions, e)
		}
		p.Triggers = append(p.Triggers, tr)
	}
	return p, nil
}

// expandTopic expands a device topic for one bound thing.
func (p *Plan) expandTopic(raw, thing string) (string, error) {
	return ExpandTopic(raw, thing, p.Manifest.Region, p.Manifest.AccountID)
}

// ExpandTopic expands a device definition's topic ($macro(...) with
// ${systemRuntime.deviceId} and ${systemConfig.*}) for one bound thing.
func ExpandTopic(raw, thing, region, account string) (string, error) {
	return tdm.ExpandTopic(raw, thing, region, account)
}

// Topics lists every MQTT topic the flow configuration's devices use, for
// the subscription table: events and action responses flow to the runtime,
// action requests flow from it. [DOC ug:iot-tg-security-gg] Sorted by thing
// then topic.
func (p *Plan) Topics() ([]TopicUse, error) {
	var out []TopicUse
	for thing, dev := range p.Devices {
		for _, ev := range dev.Events {
			t, err := p.expandTopic(ev.Topic, thing)
			if err != nil {
				return nil, err
			}
			out = append(out, TopicUse{Thing: thing, Topic: t, Direction: ToRuntime, Why: "event " + ev.Name})
		}
		for _, a := range dev.Actions {
			if a.RequestTopic != "" {
				t, err := p.expandTopic(a.RequestTopic, thing)
				if err != nil {
					return nil, err
				}
				out = append(out, TopicUse{Thing: thing, Topic: t, Direction: FromRuntime, Why: "action " + a.Name + " request"})
			}
			if a.ResponseTopic != "" {
				t, err := p.expandTopic(a.ResponseTopic, thing)
				if err != nil {
					return nil, err
				}
				out = append(out, TopicUse{Thing: thing, Topic: t, Direction: ToRuntime, Why: "action " + a.Name + " response"})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Thing != out[j].Thing {
			return out[i].Thing < out[j].Thing
		}
		if out[i].Topic != out[j].Topic {
			return out[i].Topic < out[j].Topic
		}
		return out[i].Direction < out[j].Direction
	})
	return out, nil
}

// merged looks entities up across the artifact's documents.
type merged struct{ sets []*tdm.Set }

func (m *merged) deployment(id string) *tdm.Deployment {
	for _, s := range m.sets {
		if d := s.Deployments[tdm.Key(id)]; d != nil {
			return d
		}
	}
	return nil
}

func (m *merged) system(id string) *tdm.System {
	for _, s := range m.sets {
		if d := s.Systems[tdm.Key(id)]; d != nil {
			return d
		}
	}
	return nil
}

func (m *merged) flow(id string) *tdm.Flow {
	for _, s := range m.sets {
		if d := s.Flows[tdm.Key(id)]; d != nil {
			return d
		}
	}
	return nil
}

func (m *merged) device(id string) *tdm.Device {
	for _, s := range m.sets {
		if d := s.Devices[tdm.Key(id)]; d != nil {
			return d
		}
	}
	return nil
}
