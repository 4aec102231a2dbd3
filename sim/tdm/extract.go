package tdm

import (
	"sort"
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
	Enums        map[string]*Enum
	Capabilities map[string]*Capability
	DeviceModels map[string]*DeviceModel
	Devices      map[string]*Device
	Services     map[string]*Service
	Flows        map[string]*Flow
	Systems      map[string]*System
	Deployments  map[string]*Deployment
	Mappings     map[string]*Mapping

	byKey map[string]*Entity
}

// Entity returns the entity with id urn (metatype case-insensitive), or nil.
func (s *Set) Entity(urn string) *Entity { return s.byKey[Key(urn)] }

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
		Enums:        map[string]*Enum{},
		Capabilities: map[string]*Capability{},
		DeviceModels: map[string]*DeviceModel{},
		Devices:      map[string]*Device{},
		Services:     map[string]*Service{},
		Flows:        map[string]*Flow{},
		Systems:      map[string]*System{},
		Deployments:  map[string]*Deployment{},
		Mappings:     map[string]*Mapping{},
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
			// Reported at the second id; the message names the first
			// definition's position.
			errs = append(errs, errorf(dir.ArgValue("id").Pos, id, "duplicate id: %s %s at %d:%d already defines it; %s %s needs an id of its own", prev.Def.Keyword, prev.Name, prev.Pos.Line, prev.Pos.Col, d.Keyword, d.Name))
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
		return s, nil
	}
	sortErrors(errs)
	return s, errs
}

// sortErrors orders errors by position, keeping the order of equal ones.
func sortErrors(l ErrorList) {
	sort.SliceStable(l, func(i, j int) bool {
		a, b := l[i].Pos, l[j].Pos
		return a.Line < b.Line || a.Line == b.Line && a.Col < b.Col
	})
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
