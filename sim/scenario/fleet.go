package scenario

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/tgsim/tgsim/sim/device"
)

// FleetSpec is Count generated devices from one template: things named by
// a pattern, each with its own certificate, associated with one device
// definition, connecting to their Greengrass group's core through the
// discovery API and mutual TLS, and acting by one behaviour.
type FleetSpec struct {
	Name string `yaml:"name"`
	// Thing is the thing name pattern: {{index}} or {{index:04}}.
	Thing  string `yaml:"thing"`
	Count  int    `yaml:"count"`
	Device string `yaml:"device"`
	// GreengrassGroup is the group whose core the devices connect to.
	GreengrassGroup string   `yaml:"greengrassGroup"`
	Policies        []string `yaml:"policies"`
	// Deployment, when set, is one flow configuration per device from a
	// template file ({{thing}} and {{index}} expanded). Without it the
	// devices join the group through the Greengrass API, and their events
	// go to AWS IoT Core (thing → cloud subscriptions).
	Deployment *FleetDeploymentSpec `yaml:"deployment"`
	Behaviour  BehaviourSpec        `yaml:"behaviour"`
}

// FleetDeploymentSpec is a per-device flow configuration template.
type FleetDeploymentSpec struct {
	Definition string `yaml:"definition"`
	S3Bucket   string `yaml:"s3Bucket"`
}

// BehaviourSpec is a fleet's behaviour.
type BehaviourSpec struct {
	Emit    *EmitBehaviourSpec             `yaml:"emit"`
	Actions map[string]ActionBehaviourSpec `yaml:"actions"`
	State   map[string]any                 `yaml:"state"`
}

// EmitBehaviourSpec is what load steps make each device emit.
type EmitBehaviourSpec struct {
	Event    string     `yaml:"event"`
	Schedule string     `yaml:"schedule"`
	Rate     float64    `yaml:"rate"`
	Burst    *BurstSpec `yaml:"burst"`
	Count    int        `yaml:"count"`
	Duration Duration   `yaml:"duration"`
	Payload  any        `yaml:"payload"`
}

// BurstSpec is the bursts schedule: Size events back to back every Every.
type BurstSpec struct {
	Size  int      `yaml:"size"`
	Every Duration `yaml:"every"`
}

// ActionBehaviourSpec is how the devices answer one action.
type ActionBehaviourSpec struct {
	Latency     *LatencySpec   `yaml:"latency"`
	FailureRate float64        `yaml:"failureRate"`
	Respond     any            `yaml:"respond"`
	Set         map[string]any `yaml:"set"`
}

// LatencySpec is an answer latency distribution.
type LatencySpec struct {
	Distribution string   `yaml:"distribution"`
	Mean         Duration `yaml:"mean"`
	Jitter       Duration `yaml:"jitter"`
}

// LoadStep runs a fleet's emit schedule on every device and returns when
// every publish is acknowledged. Count and Duration, when set, replace the
// schedule's.
type LoadStep struct {
	Fleet    string   `yaml:"fleet"`
	Count    int      `yaml:"count"`
	Duration Duration `yaml:"duration"`
	// Background starts the load and goes on with the next step at once,
	// so loads of several fleets overlap. The run waits for it before the
	// fleet's next load and before the expectations.
	Background bool `yaml:"background"`
}

// FleetExpect checks a fleet's load publishes.
type FleetExpect struct {
	Fleet string `yaml:"fleet"`
	// Lost bounds the QoS 1 events that were acknowledged (PUBACK) but
	// never arrived downstream: as a flow execution of the device's flow
	// configuration, or, for a fleet without one, at AWS IoT Core.
	Lost *int `yaml:"lost"`
	// PerSecond is the least rate of acknowledged publishes over the
	// fleet's load steps.
	PerSecond float64 `yaml:"perSecond"`
	// P50 and P99 bound publish-to-PUBACK time.
	P50 Duration `yaml:"p50"`
	P99 Duration `yaml:"p99"`
}

// keyLines maps key paths (fleets[0].behaviour.emit.rate) to the line
// they are on, so validation errors can point at the file's line. It
// returns nil for input the YAML parser refuses (decoding reports that).
func keyLines(data []byte) map[string]int {
	var root yaml.Node
	if err := yaml.NewDecoder(bytes.NewReader(data)).Decode(&root); err != nil {
		return nil
	}
	out := map[string]int{}
	var walk func(path string, n *yaml.Node)
	walk = func(path string, n *yaml.Node) {
		switch n.Kind {
		case yaml.DocumentNode:
			for _, c := range n.Content {
				walk(path, c)
			}
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				p := n.Content[i].Value
				if path != "" {
					p = path + "." + p
				}
				out[p] = n.Content[i].Line
				walk(p, n.Content[i+1])
			}
		case yaml.SequenceNode:
			for i, c := range n.Content {
				p := fmt.Sprintf("%s[%d]", path, i)
				out[p] = c.Line
				walk(p, c)
			}
		}
	}
	walk("", &root)
	return out
}

// at prefixes a key path with the line it is on: "line 12: fleets[0].count".
func (f *File) at(path string) string {
	for p := path; p != ""; {
		if l, ok := f.lines[p]; ok {
			return fmt.Sprintf("line %d: %s", l, path)
		}
		// An absent key: point at its parent.
		i := strings.LastIndexAny(p, ".[")
		if i < 0 {
			break
		}
		p = p[:i]
	}
	return path
}

// validateFleets checks the fleets and what refers to them.
func (f *File) validateFleets(things, groups, iotPolicies map[string]bool, add func(string, ...any)) {
	names := map[string]bool{}
	for i, fl := range f.Fleets {
		p := fmt.Sprintf("fleets[%d]", i)
		if fl.Name == "" {
			add("%s: required", f.at(p+".name"))
		} else if names[fl.Name] {
			add("%s: %q is already the name of another fleet", f.at(p+".name"), fl.Name)
		}
		names[fl.Name] = true
		if fl.Count < 1 {
			add("%s: %d, expected at least 1", f.at(p+".count"), fl.Count)
		}
		if fl.Device == "" {
			add("%s: required (a device definition URN)", f.at(p+".device"))
		}
		if !groups[fl.GreengrassGroup] {
			add("%s: %q is not listed in setup.greengrassGroups", f.at(p+".greengrassGroup"), fl.GreengrassGroup)
		}
		for j, pol := range fl.Policies {
			if !iotPolicies[pol] {
				add("%s: %q is not listed in setup.iotPolicies", f.at(fmt.Sprintf("%s.policies[%d]", p, j)), pol)
			}
		}
		if d := fl.Deployment; d != nil && d.Definition == "" {
			add("%s: required (a flow configuration template)", f.at(p+".deployment.definition"))
		}
		pat, err := device.ParseTemplate(fl.Thing)
		switch {
		case fl.Thing == "":
			add("%s: required (a name pattern such as Sensor{{index:04}})", f.at(p+".thing"))
		case err != nil:
			add("%s: %v", f.at(p+".thing"), err)
		case fl.Count > 1 && !strings.Contains(fl.Thing, "{{index"):
			add("%s: %q names every device alike, expected {{index}} or {{index:0N}} in it", f.at(p+".thing"), fl.Thing)
		case !pat.Static():
			add("%s: %q, only {{index}} and {{index:0N}} may appear in a name pattern", f.at(p+".thing"), fl.Thing)
		default:
			for _, n := range []int{1, fl.Count} {
				if name := device.ExpandName(pat, n); things[name] {
					add("%s: %q is also in setup.things", f.at(p+".thing"), name)
				}
			}
		}
		if _, err := buildBehaviour(fl.Behaviour); err != nil {
			add("%s", f.atErr(p+".behaviour", err))
		}
	}
	for i, e := range f.Expect.Fleets {
		if !names[e.Fleet] {
			add("%s: %q is not listed in fleets", f.at(fmt.Sprintf("expect.fleets[%d].fleet", i)), e.Fleet)
		}
	}
}

// validateFleetStep checks a load step; it returns 1 when s is one.
func (f *File) validateFleetStep(i int, s Step, add func(string, ...any)) int {
	if s.Load == nil {
		return 0
	}
	p := fmt.Sprintf("steps[%d].load", i)
	for _, fl := range f.Fleets {
		if fl.Name == s.Load.Fleet {
			if fl.Behaviour.Emit == nil {
				add("%s: fleet %q has no behaviour.emit to run", f.at(p+".fleet"), fl.Name)
			}
			if s.Load.Count < 0 {
				add("%s: %d, expected at least 0", f.at(p+".count"), s.Load.Count)
			}
			return 1
		}
	}
	add("%s: %q is not listed in fleets", f.at(p+".fleet"), s.Load.Fleet)
	return 1
}

// pathError is a behaviour error at a key path below the behaviour.
type pathError struct {
	path string
	err  error
}

func (e *pathError) Error() string { return e.path + ": " + e.err.Error() }

func (f *File) atErr(base string, err error) string {
	if pe, ok := err.(*pathError); ok {
		return f.at(base+"."+pe.path) + ": " + pe.err.Error()
	}
	return f.at(base) + ": " + err.Error()
}

// buildBehaviour turns a BehaviourSpec into the device package's
// Behaviour, parsing every template.
func buildBehaviour(b BehaviourSpec) (device.Behaviour, error) {
	out := device.Behaviour{State: b.State, Actions: map[string]device.ActionBehaviour{}}
	if e := b.Emit; e != nil {
		if e.Event == "" {
			return out, &pathError{"emit.event", fmt.Errorf("required (an event of the device definition)")}
		}
		s := &device.Schedule{Kind: e.Schedule, Rate: e.Rate, Count: e.Count, Duration: time.Duration(e.Duration)}
		if s.Kind == "" {
			s.Kind = device.ScheduleFixed
		}
		if e.Burst != nil {
			s.BurstSize, s.BurstEvery = e.Burst.Size, time.Duration(e.Burst.Every)
		}
		if s.Kind != device.ScheduleBursts && e.Burst != nil {
			return out, &pathError{"emit.burst", fmt.Errorf("only the bursts schedule takes a burst")}
		}
		if s.Kind == device.ScheduleBursts && e.Rate != 0 {
			return out, &pathError{"emit.rate", fmt.Errorf("the bursts schedule takes burst: {size, every}, not a rate")}
		}
		if err := s.Validate(); err != nil {
			return out, &pathError{"emit", err}
		}
		p, err := device.ParsePayload(e.Payload)
		if err != nil {
			return out, &pathError{"emit.payload", err}
		}
		out.Event, out.Schedule, out.Payload = e.Event, s, p
	}
	for name, a := range b.Actions {
		path := "actions." + name
		ab := device.ActionBehaviour{FailureRate: a.FailureRate, Set: map[string]*device.Payload{}}
		if !(a.FailureRate >= 0 && a.FailureRate <= 1) {
			return out, &pathError{path + ".failureRate", fmt.Errorf("%g, expected a fraction from 0 to 1", a.FailureRate)}
		}
		if l := a.Latency; l != nil {
			ab.Latency = device.Latency{Dist: l.Distribution, Mean: time.Duration(l.Mean), Jitter: time.Duration(l.Jitter)}
			if ab.Latency.Dist == "" {
				ab.Latency.Dist = device.LatencyFixed
			}
			if err := ab.Latency.Validate(); err != nil {
				return out, &pathError{path + ".latency", err}
			}
		}
		if a.Respond != nil {
			p, err := device.ParsePayload(a.Respond)
			if err != nil {
				return out, &pathError{path + ".respond", err}
			}
			ab.Respond = p
		}
		for k, v := range a.Set {
			p, err := device.ParsePayload(v)
			if err != nil {
				return out, &pathError{path + ".set." + k, err}
			}
			ab.Set[k] = p
		}
		out.Actions[name] = ab
	}
	return out, nil
}
