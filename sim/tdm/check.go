package tdm

import (
	"sort"
	"strings"
)

// Check cross-checks the references between the entities of s, and from s
// to entities elsewhere found through resolve (called with Key(urn); nil
// means there are none). The caller decides what resolve sees, typically
// the public namespace merged with the account's namespace.
//
// It reports: a device model whose capability is unknown; a device whose
// device model is unknown, whose capability block names another capability
// than its model's, or that lacks an Action for an action of that capability
// [DOC ug:iot-tg-models-tdm-graphql]; a flow step whose device model or
// service is unknown or whose action is not a member of the capability; a
// step inEvent no step emits; a system @thing that is neither a device model
// nor a device, or an unknown @workflow; a deployment whose system is
// unknown or that binds a role the system does not have.
func (s *Set) Check(resolve func(key string) *Entity) ErrorList {
	c := &checker{s: s, resolve: resolve}
	for _, e := range s.Entities {
		k := Key(e.ID)
		switch e.Kind {
		case KindDeviceModel:
			m := s.DeviceModels[k]
			if m.Capability != "" && !c.known(m.Capability, KindCapability) {
				c.errorf(e.Pos, e.ID, "unknown capability %s", m.Capability)
			}
		case KindDevice:
			c.device(e, s.Devices[k])
		case KindFlow:
			c.flow(e, s.Flows[k])
		case KindSystem:
			c.system(e, s.Systems[k])
		case KindDeployment:
			c.deployment(e, s.Deployments[k])
		}
	}
	if len(c.errs) == 0 {
		return nil
	}
	return c.errs
}

type checker struct {
	s       *Set
	resolve func(string) *Entity
	errs    ErrorList
}

func (c *checker) errorf(pos Pos, id, format string, args ...any) {
	c.errs = append(c.errs, errorf(pos, id, format, args...))
}

// entity finds urn in the document, then through the resolver.
func (c *checker) entity(urn string) *Entity {
	k := Key(urn)
	if e := c.s.byKey[k]; e != nil {
		return e
	}
	if c.resolve != nil {
		return c.resolve(k)
	}
	return nil
}

func (c *checker) known(urn string, kinds ...Kind) bool {
	e := c.entity(urn)
	if e == nil {
		return false
	}
	for _, k := range kinds {
		if e.Kind == k {
			return true
		}
	}
	return false
}

// capability returns the capability urn, or nil when it is unknown or its
// definition is unavailable.
func (c *checker) capability(urn string) *Capability {
	k := Key(urn)
	if x := c.s.Capabilities[k]; x != nil {
		return x
	}
	if e := c.entity(urn); e != nil && e.Kind == KindCapability && e.Def != nil {
		return extractCapability(e.ID, e.Def)
	}
	return nil
}

// model returns the device model urn, or nil.
func (c *checker) model(urn string) *DeviceModel {
	k := Key(urn)
	if x := c.s.DeviceModels[k]; x != nil {
		return x
	}
	if e := c.entity(urn); e != nil && e.Kind == KindDeviceModel && e.Def != nil {
		if dir := e.Def.Directive("deviceModel"); dir != nil {
			return &DeviceModel{ID: e.ID, Capability: dir.ArgString("capability")}
		}
	}
	return nil
}

func (c *checker) service(urn string) *Service {
	k := Key(urn)
	if x := c.s.Services[k]; x != nil {
		return x
	}
	if e := c.entity(urn); e != nil && e.Kind == KindService && e.Def != nil {
		svc, _ := extractService(e.ID, e.Def)
		return svc
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

// hasMember reports whether name is a member of m. [INF] Member names
// compare case-insensitively, like every other TDM name (spec §2.1).
func hasMember(m map[string]string, name string) bool {
	for n := range m {
		if strings.EqualFold(n, name) {
			return true
		}
	}
	return false
}

func (c *checker) device(e *Entity, d *Device) {
	if d.DeviceModel == "" {
		return
	}
	m := c.model(d.DeviceModel)
	if m == nil {
		if !c.known(d.DeviceModel, KindDeviceModel) {
			c.errorf(d.Pos, d.ID, "unknown device model %s", d.DeviceModel)
		}
		return
	}
	if d.CapabilityID != "" && m.Capability != "" && !SameURN(d.CapabilityID, m.Capability) {
		c.errorf(d.Pos, d.ID, "capability block id %s differs from capability %s of device model %s", d.CapabilityID, m.Capability, m.ID)
	}
	capab := c.capability(m.Capability)
	if capab == nil {
		return
	}
	for _, name := range sortedNames(capab.Actions) {
		found := false
		for _, a := range d.Actions {
			if strings.EqualFold(a.Name, name) {
				found = true
				break
			}
		}
		if !found {
			c.errorf(d.Pos, d.ID, "device does not implement action %q of capability %s (a device has to cover each action its model's capability declares)", name, capab.ID)
		}
	}
}

func (c *checker) flow(e *Entity, f *Flow) {
	emitted := map[string]bool{}
	for _, st := range f.Steps {
		for _, ev := range st.OutEvents {
			emitted[ev] = true
		}
	}
	for _, st := range f.Steps {
		for _, ev := range st.InEvents {
			if !emitted[ev] {
				c.errorf(st.Pos, f.ID, "step %q: inEvent %q is not emitted by any step's outEvent", st.Name, ev)
			}
		}
		a := st.Activity
		switch a.Kind {
		case "DEVICE":
			if a.DeviceModel == "" {
				c.errorf(a.Pos, f.ID, "step %q: DeviceActivity has no deviceModel argument", st.Name)
				continue
			}
			m := c.model(a.DeviceModel)
			if m == nil {
				if !c.known(a.DeviceModel, KindDeviceModel) {
					c.errorf(a.Pos, f.ID, "step %q: unknown device model %s", st.Name, a.DeviceModel)
				}
				continue
			}
			capab := c.capability(m.Capability)
			if capab != nil && a.Action != "" && !hasMember(capab.Actions, a.Action) {
				c.errorf(a.Pos, f.ID, "step %q: action %q is not a member of capability %s of device model %s (members: %s)", st.Name, a.Action, capab.ID, m.ID, strings.Join(sortedNames(capab.Actions), ", "))
			}
		case "WEBSERVICE":
			if a.Service == "" {
				c.errorf(a.Pos, f.ID, "step %q: WebserviceActivity has no webservice argument", st.Name)
				continue
			}
			svc := c.service(a.Service)
			if svc == nil {
				if !c.known(a.Service, KindService) {
					c.errorf(a.Pos, f.ID, "step %q: unknown service %s", st.Name, a.Service)
				}
				continue
			}
			found := false
			for _, sa := range svc.Actions {
				found = found || strings.EqualFold(sa.Name, a.Action)
			}
			if a.Action != "" && !found {
				c.errorf(a.Pos, f.ID, "step %q: service %s has no action %q", st.Name, svc.ID, a.Action)
			}
		}
	}
}

func (c *checker) system(e *Entity, sys *System) {
	for _, r := range sys.Things {
		if !c.known(r.ID, KindDeviceModel, KindDevice) {
			c.errorf(sys.Pos, sys.ID, "thing %q: %s is neither a known device model nor a known device", r.Name, r.ID)
		}
	}
	for _, r := range sys.Workflows {
		if !c.known(r.ID, KindFlow) {
			c.errorf(sys.Pos, sys.ID, "workflow %q: unknown flow %s", r.Name, r.ID)
		}
	}
}

func (c *checker) deployment(e *Entity, dep *Deployment) {
	if dep.SystemID == "" {
		return
	}
	se := c.entity(dep.SystemID)
	if se == nil || se.Kind != KindSystem {
		c.errorf(dep.Pos, dep.ID, "unknown system %s", dep.SystemID)
		return
	}
	if se.Def == nil {
		return
	}
	sys := extractSystem(se.ID, se.Def, se.Def.Directive("systemType"))
	for _, b := range dep.Bindings {
		found := false
		for _, r := range sys.Things {
			found = found || r.Name == b.Role
		}
		if !found {
			c.errorf(dep.Pos, dep.ID, "binding %q is not a thing role of system %s", b.Role, sys.ID)
		}
	}
}
