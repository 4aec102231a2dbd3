// Package scenario loads, runs and reports tgsim scenario files: YAML that
// sets up an AWS world (buckets, Greengrass groups, things), loads TDM,
// deploys flow configurations through the real Things Graph API, drives
// virtual devices and checks what happened (deploy status, the core's
// subscription table, delivered and dropped messages, flow executions).
//
// The language is versioned by apiVersion; this package reads tgsim/v1. The
// file format is documented in scenarios/README.md.
package scenario

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/tgsim/tgsim/sim/core"
)

// APIVersion is the scenario language version this package reads.
const APIVersion = "tgsim/v1"

// File is one scenario.
type File struct {
	APIVersion  string   `yaml:"apiVersion"`
	Name        string   `yaml:"name"`
	Description string   `yaml:"description"`
	Timeout     Duration `yaml:"timeout"`
	// ActionTimeout is how long the runtime waits for a device's answer
	// before the step fails (States.Timeout); default 10s.
	ActionTimeout Duration `yaml:"actionTimeout"`
	// Matrix turns one file into one scenario per combination of values:
	// every {{matrix.NAME}} in the file is replaced before it is read.
	Matrix map[string][]string `yaml:"matrix"`
	IAM    IAMSpec             `yaml:"iam"`
	// Accounts are further AWS accounts, acting as their roots
	// (accounts.go).
	Accounts []AccountSpec `yaml:"accounts"`
	Setup    Setup         `yaml:"setup"`
	Lambdas  []LambdaSpec  `yaml:"lambdas"`
	Devices  []DeviceSpec  `yaml:"devices"`
	// Fleets are generated devices (fleet.go).
	Fleets []FleetSpec `yaml:"fleets"`
	// Seed seeds the fleets' random draws (schedules, latencies, failures,
	// {{rand}}); the same seed gives the same draws.
	Seed   uint64 `yaml:"seed"`
	Steps  []Step `yaml:"steps"`
	Expect Expect `yaml:"expect"`

	// Path is where the file was read from; relative paths in it resolve
	// against its directory.
	Path string `yaml:"-"`
	// lines maps key paths to lines, for errors (keyLines).
	lines map[string]int
}

// IAMSpec declares users and customer managed policies, created by the
// account root before anything else.
type IAMSpec struct {
	Policies []PolicySpec `yaml:"policies"`
	Users    []UserSpec   `yaml:"users"`
	Roles    []RoleSpec   `yaml:"roles"`
}

// PolicySpec is a customer managed policy: a document written as YAML,
// as a JSON string, or in a file (File, relative to the scenario).
type PolicySpec struct {
	Name     string `yaml:"name"`
	Document any    `yaml:"document"`
	File     string `yaml:"file"`
}

// UserSpec is an IAM user with an access key the scenario acts with.
type UserSpec struct {
	Name string `yaml:"name"`
	// Policies to attach: names from iam.policies or AWS managed policy ARNs.
	Policies []string `yaml:"policies"`
	// Inline policies by name.
	Inline map[string]any `yaml:"inline"`
	// Boundary is a permissions boundary: a name from iam.policies or an ARN.
	Boundary string `yaml:"boundary"`
}

// RoleSpec is an IAM role a service assumes: a CLOUD flow's
// flowActionsRoleArn (refer to it as role/NAME).
type RoleSpec struct {
	Name string `yaml:"name"`
	// Service is the service principal the trust policy names; default
	// iotthingsgraph.amazonaws.com. Trust, when set, replaces the whole
	// trust policy.
	Service  string         `yaml:"service"`
	Trust    any            `yaml:"trust"`
	Policies []string       `yaml:"policies"`
	Inline   map[string]any `yaml:"inline"`
}

// LambdaSpec is a Lambda function the harness hosts for the flows'
// AwsLambda services: it answers every invocation with Respond (a JSON
// template; {{seq}} is the invocation number, from 1), or fails with Error.
type LambdaSpec struct {
	Function string `yaml:"function"` // a function ARN (with or without version) or name
	Respond  any    `yaml:"respond"`
	Error    string `yaml:"error"`
}

// IoTPolicySpec is an AWS IoT policy (the data plane's authorization),
// attached to the certificates of the things that list it.
type IoTPolicySpec struct {
	Name     string `yaml:"name"`
	Document any    `yaml:"document"`
}

// Outcome is what an API call must end with: an error code and a fragment
// of its message, or success when Error is empty.
type Outcome struct {
	Error   string `yaml:"error"`
	Message string `yaml:"message"`
}

// Setup declares the world before anything runs.
type Setup struct {
	// As is the IAM user the Things Graph calls of the setup are made as;
	// empty means the account root.
	As               string           `yaml:"as"`
	Buckets          []string         `yaml:"buckets"`
	GreengrassGroups []string         `yaml:"greengrassGroups"`
	IoTPolicies      []IoTPolicySpec  `yaml:"iotPolicies"`
	Things           []ThingSpec      `yaml:"things"`
	Entities         []string         `yaml:"entities"`
	Flows            []string         `yaml:"flows"`
	Systems          []string         `yaml:"systems"`
	Deployments      []DeploymentSpec `yaml:"deployments"`
	// CloudSubscriptions add thing → cloud subscriptions to a group's
	// subscription definition and redeploy the group, after Deployments.
	CloudSubscriptions []CloudSubSpec `yaml:"cloudSubscriptions"`
}

// CloudSubSpec is one subscription between a thing and AWS IoT Core
// ("cloud") on a topic filter, appended to a group's deployed
// subscription definition: thing → cloud, or with Direction "fromCloud"
// cloud → thing.
type CloudSubSpec struct {
	Group     string `yaml:"group"`
	Thing     string `yaml:"thing"`
	Topic     string `yaml:"topic"`
	Direction string `yaml:"direction"`
}

// ThingSpec is a registry thing, with a certificate, associated with a
// device definition.
type ThingSpec struct {
	Name   string `yaml:"name"`
	Device string `yaml:"device"`
	// Policies names setup.iotPolicies attached to the thing's certificate.
	Policies []string `yaml:"policies"`
}

// DeploymentSpec creates and deploys one flow configuration.
type DeploymentSpec struct {
	Definition      string `yaml:"definition"`
	Target          string `yaml:"target"`
	GreengrassGroup string `yaml:"greengrassGroup"`
	S3Bucket        string `yaml:"s3Bucket"`
	// FlowActionsRoleArn is handed to CreateSystemInstance (iam:PassRole).
	FlowActionsRoleArn string `yaml:"flowActionsRoleArn"`
	// As overrides setup.as for this deployment.
	As string `yaml:"as"`
	// Expect, when set, is the outcome the create-and-deploy must have; a
	// failure it expects is a passed check, not a stopped run.
	Expect *Outcome `yaml:"expect"`
}

// DeviceSpec runs a virtual device for a thing.
type DeviceSpec struct {
	Thing string `yaml:"thing"`
	// Respond gives, per action name, the JSON object the device answers.
	// Strings may contain {{seq}} (1-based request number) and {{thing}}.
	Respond map[string]map[string]any `yaml:"respond"`
	// Subscribe adds topic filters the device listens on.
	Subscribe []string `yaml:"subscribe"`
}

// Step is one timeline entry; exactly one field is set.
type Step struct {
	Emit           *EmitStep     `yaml:"emit"`
	Publish        *PublishStep  `yaml:"publish"`
	WaitExecutions *WaitStep     `yaml:"waitExecutions"`
	Call           *CallStep     `yaml:"call"`
	Connect        *ConnectStep  `yaml:"connect"`
	Undeploy       *UndeployStep `yaml:"undeploy"`
	// Faults.
	Disconnect  *ThingStep       `yaml:"disconnect"`
	Reconnect   *ThingStep       `yaml:"reconnect"`
	RestartCore *RestartCoreStep `yaml:"restartCore"`
	// Partition cuts a group's core off from AWS IoT Core; Heal ends it.
	Partition *RestartCoreStep `yaml:"partition"`
	Heal      *RestartCoreStep `yaml:"heal"`
	// CloudReceived checks, at this point of the timeline, what AWS IoT
	// Core has accepted on a topic.
	CloudReceived *CloudReceivedExpect `yaml:"cloudReceived"`
	// Fault arms an AWS API fault at the edge (fault.go).
	Fault *FaultStep `yaml:"fault"`
	// RevokeCertificate revokes a thing's certificate (fault.go).
	RevokeCertificate *RevokeStep `yaml:"revokeCertificate"`
	// Load runs a fleet's emit schedule (fleet.go).
	Load *LoadStep `yaml:"load"`
}

// CloudReceivedExpect checks the messages AWS IoT Core's data plane
// accepted on a topic (from devices, cores' cloud routes, the Publish API
// and republish actions): exactly Count of them (default: at least one),
// and, with Payload, equal in order to the template expanded for seq
// 1..Count.
type CloudReceivedExpect struct {
	Topic   string `yaml:"topic"`
	Count   *int   `yaml:"count"`
	Payload any    `yaml:"payload"`
}

// ThingStep names a thing whose device a fault step acts on.
type ThingStep struct {
	Thing string `yaml:"thing"`
	// Fleet, instead of Thing, disconnects a Fraction of a fleet's
	// devices (spread evenly over it; default all) or reconnects those.
	Fleet    string  `yaml:"fleet"`
	Fraction float64 `yaml:"fraction"`
}

// RestartCoreStep stops a group's core and starts it again: it applies the
// group's last deployment, and the group's devices reconnect.
type RestartCoreStep struct {
	Group string `yaml:"group"`
}

// UndeployStep undeploys one of setup.deployments (named by its definition
// file) with UndeploySystemInstance and waits until the instance leaves
// UNDEPLOY_IN_PROGRESS (the core has applied the group version without
// it, or Greengrass reported a failure).
type UndeployStep struct {
	Definition string   `yaml:"definition"`
	As         string   `yaml:"as"`
	Timeout    Duration `yaml:"timeout"`
	// Expect defaults to success, ending DELETED_IN_TARGET.
	Expect *Outcome `yaml:"expect"`
}

// ConnectStep connects to the core of the thing's group as the thing (or,
// to test impersonation, with another client id or another thing's
// certificate, or over plain TCP) and checks whether the core accepts.
type ConnectStep struct {
	Thing       string `yaml:"thing"`
	ClientID    string `yaml:"clientId"`
	Certificate string `yaml:"certificate"` // the thing whose certificate to present
	Plaintext   bool   `yaml:"plaintext"`
	Expect      string `yaml:"expect"` // refused or accepted (default)
}

// CallStep calls any operation of a served API through its official client
// (iotthingsgraph through aws-sdk-go v1, the others through v2).
type CallStep struct {
	As        string         `yaml:"as"`
	Service   string         `yaml:"service"` // iotthingsgraph, s3, greengrass, iot, iam, sts
	Operation string         `yaml:"operation"`
	Input     map[string]any `yaml:"input"`
	// Expect defaults to success.
	Expect *Outcome `yaml:"expect"`
	// ClockSkew signs the call with a clock this far off (20m, -20m).
	ClockSkew Duration `yaml:"clockSkew"`
	// Attempts, when set, is how many requests the client must have sent
	// (its retryer's attempts).
	Attempts int `yaml:"attempts"`
	// Output, when set, is what the call's output must contain
	// (matchOutput); the call must then succeed.
	Output any `yaml:"output"`
}

// EmitStep makes a device emit one of its events Count times.
type EmitStep struct {
	Thing   string `yaml:"thing"`
	Event   string `yaml:"event"`
	Payload any    `yaml:"payload"`
	Count   int    `yaml:"count"`
}

// PublishStep makes a device publish on any topic.
type PublishStep struct {
	Thing   string `yaml:"thing"`
	Topic   string `yaml:"topic"`
	Payload any    `yaml:"payload"`
	Count   int    `yaml:"count"`
	// Expect is accepted (default: the publishes must complete) or
	// refused: the broker must refuse the first one, as AWS IoT does by
	// closing the connection (the device stays disconnected).
	Expect string `yaml:"expect"`
	// Corrupt sends the payload truncated by one byte (no longer JSON).
	Corrupt bool `yaml:"corrupt"`
	// Oversize sends a payload one byte over the broker's limit (the
	// core's packet cap, AWS IoT's 128 KiB); SizeBytes sends one of that
	// size. Oversize defaults Expect to refused.
	Oversize  bool `yaml:"oversize"`
	SizeBytes int  `yaml:"sizeBytes"`
}

// WaitStep waits for flow executions to end.
type WaitStep struct {
	Succeeded int      `yaml:"succeeded"`
	Failed    int      `yaml:"failed"`
	Timeout   Duration `yaml:"timeout"`
}

// Expect lists what must hold at the end.
type Expect struct {
	Deploy        *DeployExpect     `yaml:"deploy"`
	Subscriptions *SubsExpect       `yaml:"subscriptions"`
	Delivered     []DeliveredExpect `yaml:"delivered"`
	Dropped       []DroppedExpect   `yaml:"dropped"`
	Routed        []RoutedExpect    `yaml:"routed"`
	Executions    *ExecExpect       `yaml:"executions"`
	Denials       []DenialExpect    `yaml:"denials"`
	// HeapMiB bounds the Go heap in use at the end of the run (the whole
	// simulated world, devices included), after a collection.
	HeapMiB    float64           `yaml:"heapMiB"`
	IoTDenials []IoTDenialExpect `yaml:"iotDenials"`
	// CloudReceived checks what AWS IoT Core accepted, at the end.
	CloudReceived []CloudReceivedExpect `yaml:"cloudReceived"`
	// ExecutionEvents checks executions' event sequences (execevents.go).
	ExecutionEvents []ExecEventsExpect `yaml:"executionEvents"`
	// Faults checks how many calls the edge's faults failed.
	Faults []FaultExpect `yaml:"faults"`
	// Fleets checks fleets' load publishes: lost, rate, PUBACK latency.
	Fleets []FleetExpect `yaml:"fleets"`
}

// IoTDenialExpect checks the AWS IoT data plane's refusals (IoT policies
// and limits). Action is iot:Connect, iot:Publish, iot:Subscribe or
// iot:Receive; Resource, when set, must be contained in the denied
// resource ARN.
type IoTDenialExpect struct {
	ClientID string `yaml:"clientId"`
	Action   string `yaml:"action"`
	Resource string `yaml:"resource"`
	Count    *int   `yaml:"count"`
}

// DenialExpect checks the edge's record of authorization denials. Caller
// may be user/NAME; Decision is implicitDeny or explicitDeny (any when empty).
type DenialExpect struct {
	Caller   string `yaml:"caller"`
	Action   string `yaml:"action"`
	Decision string `yaml:"decision"`
	DeniedBy string `yaml:"deniedBy"`
	Count    *int   `yaml:"count"`
}

// DeployExpect is the status every deployment must reach.
type DeployExpect struct {
	Status string `yaml:"status"`
}

// Sub is one subscription row. Source and Target may be an ARN or the
// shorthands thing/NAME and function/NAME.
type Sub struct {
	Source  string `yaml:"source"`
	Subject string `yaml:"subject"`
	Target  string `yaml:"target"`
}

// SubsExpect checks the core's subscription table.
type SubsExpect struct {
	Group    string `yaml:"group"`
	Exactly  []Sub  `yaml:"exactly"`
	Contains []Sub  `yaml:"contains"`
}

// DeliveredExpect checks what a device received on a topic.
type DeliveredExpect struct {
	Thing string `yaml:"thing"`
	Topic string `yaml:"topic"`
	Count *int   `yaml:"count"`
	// Payload is a template expanded for seq 1..Count; the received
	// payloads must equal the expansions as a multiset.
	Payload any `yaml:"payload"`
}

// DroppedExpect checks the core's drop counters. Target, when set,
// narrows them to one target (drops before routing, "no subscription"
// and "invalid topic", have none).
type DroppedExpect struct {
	Source string `yaml:"source"`
	Topic  string `yaml:"topic"`
	Target string `yaml:"target"`
	Reason string `yaml:"reason"`
	Count  *int   `yaml:"count"`
}

// RoutedExpect checks how many messages the core handed to a target
// (a device's session, a function's queue, the cloud spool or the
// shadow service) from a source on a topic.
type RoutedExpect struct {
	Group  string `yaml:"group"`
	Source string `yaml:"source"`
	Topic  string `yaml:"topic"`
	Target string `yaml:"target"`
	Count  *int   `yaml:"count"`
}

// ExecExpect counts flow executions by status, and bounds their speed.
type ExecExpect struct {
	Succeeded *int `yaml:"succeeded"`
	Failed    *int `yaml:"failed"`
	// P50 and P99 bound the duration of succeeded executions (start to
	// end, as the runtime records them).
	P50 Duration `yaml:"p50"`
	P99 Duration `yaml:"p99"`
	// PerSecond is the least rate of succeeded executions, counted from
	// the first one's start to the last one's end.
	PerSecond float64 `yaml:"perSecond"`
}

// Duration is a time.Duration written as "10s".
type Duration time.Duration

// UnmarshalYAML reads a Go duration string.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	var s string
	if err := n.Decode(&s); err != nil {
		return err
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("line %d, column %d: %q is not a duration (write e.g. 10s, 500ms)", n.Line, n.Column, s)
	}
	*d = Duration(v)
	return nil
}

// Load reads and validates a scenario file. Errors name the file and, where
// the YAML decoder knows it, the line.
func Load(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	f, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	f.Path = path
	if err := f.checkFiles(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return f, nil
}

// Parse decodes and validates a scenario (without touching the file system).
func Parse(data []byte) (*File, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var f File
	if err := dec.Decode(&f); err != nil {
		if errors.Is(err, errEOF(err)) {
			return nil, errors.New("empty scenario file")
		}
		return nil, fmt.Errorf("%s", strings.TrimPrefix(err.Error(), "yaml: "))
	}
	f.lines = keyLines(data)
	if err := f.validate(); err != nil {
		return nil, err
	}
	return &f, nil
}

func errEOF(err error) error {
	if err != nil && err.Error() == "EOF" {
		return err
	}
	return errors.New("not EOF")
}

var callServices = map[string]bool{"iotthingsgraph": true, "s3": true, "greengrass": true, "iot": true, "iot-data": true, "iam": true, "sts": true}

func (f *File) validate() error {
	var errs []string
	add := func(format string, args ...any) { errs = append(errs, fmt.Sprintf(format, args...)) }
	if f.APIVersion != APIVersion {
		add("apiVersion: %q, expected %q", f.APIVersion, APIVersion)
	}
	if f.Name == "" {
		add("name: required")
	}
	users := map[string]bool{}
	policies := map[string]bool{}
	for i, p := range f.IAM.Policies {
		if p.Name == "" {
			add("iam.policies[%d].name: required", i)
		}
		if (p.Document == nil) == (p.File == "") {
			add("iam.policies[%d]: exactly one of document and file must be set", i)
		}
		policies[p.Name] = true
	}
	for i, u := range f.IAM.Users {
		if u.Name == "" {
			add("iam.users[%d].name: required", i)
		}
		for j, p := range u.Policies {
			if !policies[p] && !strings.HasPrefix(p, "arn:") {
				add("iam.users[%d].policies[%d]: %q is neither in iam.policies nor an ARN", i, j, p)
			}
		}
		if b := u.Boundary; b != "" && !policies[b] && !strings.HasPrefix(b, "arn:") {
			add("iam.users[%d].boundary: %q is neither in iam.policies nor an ARN", i, b)
		}
		users[u.Name] = true
	}
	f.validateAccounts(users, "000000000000", add)
	asUser := func(field, name string) {
		if name != "" && !users[name] && !slices.ContainsFunc(f.Accounts, func(a AccountSpec) bool { return a.Name == name }) {
			add("%s: %q is not listed in iam.users or accounts", field, name)
		}
	}
	asUser("setup.as", f.Setup.As)
	roles := map[string]bool{}
	for i, r := range f.IAM.Roles {
		if r.Name == "" {
			add("iam.roles[%d].name: required", i)
		}
		if r.Service != "" && r.Trust != nil {
			add("iam.roles[%d]: set service or trust, not both", i)
		}
		for j, p := range r.Policies {
			if !policies[p] && !strings.HasPrefix(p, "arn:") {
				add("iam.roles[%d].policies[%d]: %q is neither in iam.policies nor an ARN", i, j, p)
			}
		}
		roles[r.Name] = true
	}
	for i, l := range f.Lambdas {
		if l.Function == "" {
			add("lambdas[%d].function: required (a function ARN or name)", i)
		}
		if l.Respond != nil && l.Error != "" {
			add("lambdas[%d]: set respond or error, not both", i)
		}
	}
	iotPolicies := map[string]bool{}
	for i, p := range f.Setup.IoTPolicies {
		if p.Name == "" {
			add("setup.iotPolicies[%d].name: required", i)
		}
		if p.Document == nil {
			add("setup.iotPolicies[%d].document: required", i)
		}
		iotPolicies[p.Name] = true
	}
	things := map[string]bool{}
	for i, t := range f.Setup.Things {
		if t.Name == "" {
			add("setup.things[%d].name: required", i)
		}
		for j, p := range t.Policies {
			if !iotPolicies[p] {
				add("setup.things[%d].policies[%d]: %q is not listed in setup.iotPolicies", i, j, p)
			}
		}
		things[t.Name] = true
	}
	groups := map[string]bool{}
	for _, g := range f.Setup.GreengrassGroups {
		groups[g] = true
	}
	for i, d := range f.Setup.Deployments {
		if d.Definition == "" {
			add("setup.deployments[%d].definition: required (a TDM file)", i)
		}
		switch d.Target {
		case "GREENGRASS":
			if !groups[d.GreengrassGroup] {
				add("setup.deployments[%d].greengrassGroup: %q is not listed in setup.greengrassGroups", i, d.GreengrassGroup)
			}
		case "CLOUD":
			if d.GreengrassGroup != "" {
				add("setup.deployments[%d].greengrassGroup: a CLOUD deployment has no Greengrass group", i)
			}
			if d.FlowActionsRoleArn == "" {
				add("setup.deployments[%d].flowActionsRoleArn: required for CLOUD (an ARN, or role/NAME of iam.roles)", i)
			} else if r, ok := strings.CutPrefix(d.FlowActionsRoleArn, "role/"); ok && !roles[r] {
				add("setup.deployments[%d].flowActionsRoleArn: %q is not listed in iam.roles", i, d.FlowActionsRoleArn)
			}
		default:
			add("setup.deployments[%d].target: %q, expected GREENGRASS or CLOUD", i, d.Target)
		}
		asUser(fmt.Sprintf("setup.deployments[%d].as", i), d.As)
	}
	for i, d := range f.Devices {
		if !things[d.Thing] {
			add("devices[%d].thing: %q is not listed in setup.things", i, d.Thing)
		}
	}
	for i, s := range f.Steps {
		n := 0
		if s.Emit != nil {
			n++
			if !things[s.Emit.Thing] {
				add("steps[%d].emit.thing: %q is not listed in setup.things", i, s.Emit.Thing)
			}
			if s.Emit.Event == "" {
				add("steps[%d].emit.event: required", i)
			}
		}
		if s.Publish != nil {
			n++
			if !things[s.Publish.Thing] {
				add("steps[%d].publish.thing: %q is not listed in setup.things", i, s.Publish.Thing)
			}
			if s.Publish.Topic == "" {
				add("steps[%d].publish.topic: required", i)
			}
			if e := s.Publish.Expect; e != "" && e != "refused" && e != "accepted" {
				add("steps[%d].publish.expect: %q, expected refused or accepted", i, e)
			}
		}
		if s.WaitExecutions != nil {
			n++
		}
		if c := s.Call; c != nil {
			n++
			asUser(fmt.Sprintf("steps[%d].call.as", i), c.As)
			if !callServices[c.Service] {
				add("steps[%d].call.service: %q, expected one of iotthingsgraph, s3, greengrass, iot, iot-data, iam, sts", i, c.Service)
			}
			if c.Operation == "" {
				add("steps[%d].call.operation: required", i)
			}
			if c.Output != nil && c.Expect != nil && c.Expect.Error != "" {
				add("steps[%d].call.output: set with expect.error %s; an output is checked only on success", i, c.Expect.Error)
			}
		}
		if c := s.Connect; c != nil {
			n++
			if !things[c.Thing] {
				add("steps[%d].connect.thing: %q is not listed in setup.things", i, c.Thing)
			}
			if c.Certificate != "" && !things[c.Certificate] {
				add("steps[%d].connect.certificate: %q is not listed in setup.things", i, c.Certificate)
			}
			if c.Expect != "" && c.Expect != "refused" && c.Expect != "accepted" {
				add("steps[%d].connect.expect: %q, expected refused or accepted", i, c.Expect)
			}
		}
		if u := s.Undeploy; u != nil {
			n++
			asUser(fmt.Sprintf("steps[%d].undeploy.as", i), u.As)
			if !slices.ContainsFunc(f.Setup.Deployments, func(d DeploymentSpec) bool { return d.Definition == u.Definition }) {
				add("steps[%d].undeploy.definition: %q is not the definition of any setup.deployments entry", i, u.Definition)
			}
		}
		for _, ts := range []struct {
			key string
			s   *ThingStep
		}{{"disconnect", s.Disconnect}, {"reconnect", s.Reconnect}} {
			if ts.s == nil {
				continue
			}
			n++
			switch {
			case (ts.s.Thing == "") == (ts.s.Fleet == ""):
				add("steps[%d].%s: exactly one of thing, fleet must be set", i, ts.key)
			case ts.s.Fleet != "":
				if !slices.ContainsFunc(f.Fleets, func(fs FleetSpec) bool { return fs.Name == ts.s.Fleet }) {
					add("steps[%d].%s.fleet: %q is not listed in fleets", i, ts.key, ts.s.Fleet)
				}
				if ts.s.Fraction < 0 || ts.s.Fraction > 1 || (ts.key == "reconnect" && ts.s.Fraction != 0) {
					add("steps[%d].%s.fraction: %v, expected a number in (0, 1] on disconnect (reconnect brings back every device disconnect took down)", i, ts.key, ts.s.Fraction)
				}
			case !slices.ContainsFunc(f.Devices, func(d DeviceSpec) bool { return d.Thing == ts.s.Thing }):
				add("steps[%d].%s.thing: %q is not listed in devices", i, ts.key, ts.s.Thing)
			case ts.s.Fraction != 0:
				add("steps[%d].%s.fraction: only with fleet", i, ts.key)
			}
		}
		if rc := s.RestartCore; rc != nil {
			n++
			if !groups[rc.Group] {
				add("steps[%d].restartCore.group: %q is not listed in setup.greengrassGroups", i, rc.Group)
			}
		}
		for _, gs := range []struct {
			key string
			s   *RestartCoreStep
		}{{"partition", s.Partition}, {"heal", s.Heal}} {
			if gs.s == nil {
				continue
			}
			n++
			if !groups[gs.s.Group] {
				add("steps[%d].%s.group: %q is not listed in setup.greengrassGroups", i, gs.key, gs.s.Group)
			}
		}
		if s.CloudReceived != nil {
			n++
			if s.CloudReceived.Topic == "" {
				add("steps[%d].cloudReceived.topic: required", i)
			}
		}
		n += f.validateFaultSteps(i, s, things, users, add)
		n += f.validateFleetStep(i, s, add)
		if n != 1 {
			add("steps[%d]: exactly one of emit, publish, waitExecutions, call, connect, undeploy, disconnect, reconnect, restartCore, partition, heal, cloudReceived, fault, revokeCertificate, load must be set, found %d", i, n)
		}
	}
	for i, cs := range f.Setup.CloudSubscriptions {
		if !groups[cs.Group] {
			add("setup.cloudSubscriptions[%d].group: %q is not listed in setup.greengrassGroups", i, cs.Group)
		}
		if !things[cs.Thing] {
			add("setup.cloudSubscriptions[%d].thing: %q is not listed in setup.things", i, cs.Thing)
		}
		if cs.Topic == "" {
			add("setup.cloudSubscriptions[%d].topic: required", i)
		}
		if cs.Direction != "" && cs.Direction != "toCloud" && cs.Direction != "fromCloud" {
			add("setup.cloudSubscriptions[%d].direction: %q, expected toCloud or fromCloud", i, cs.Direction)
		}
	}
	for i, c := range f.Expect.CloudReceived {
		if c.Topic == "" {
			add("expect.cloudReceived[%d].topic: required", i)
		}
	}
	for i, x := range f.Expect.Routed {
		if x.Source == "" || x.Topic == "" || x.Target == "" {
			add("expect.routed[%d]: source, topic and target are required", i)
		}
		if x.Group != "" && !groups[x.Group] {
			add("expect.routed[%d].group: %q is not listed in setup.greengrassGroups", i, x.Group)
		}
	}
	for i, x := range f.Expect.ExecutionEvents {
		if (x.Events == nil) == (x.Contains == nil) {
			add("expect.executionEvents[%d]: exactly one of events, contains must be set", i)
		}
		if x.Status != "" && x.Status != "SUCCEEDED" && x.Status != "FAILED" && x.Status != "ABORTED" && x.Status != "RUNNING" {
			add("expect.executionEvents[%d].status: %q, expected SUCCEEDED, FAILED, ABORTED or RUNNING", i, x.Status)
		}
	}
	for i, d := range f.Expect.Dropped {
		if d.Reason != "" && !slices.Contains(core.DropReasons, d.Reason) {
			add("expect.dropped[%d].reason: %q, expected one of %s", i, d.Reason, strings.Join(core.DropReasons, ", "))
		}
	}
	for i, d := range f.Expect.Delivered {
		if !things[d.Thing] {
			add("expect.delivered[%d].thing: %q is not listed in setup.things", i, d.Thing)
		}
		if d.Topic == "" {
			add("expect.delivered[%d].topic: required", i)
		}
	}
	f.validateFleets(things, groups, iotPolicies, add)
	if len(errs) > 0 {
		return errors.New(strings.Join(errs, "; "))
	}
	return nil
}

// resolve makes a path in the file relative to the file's directory.
func (f *File) resolve(p string) string {
	if filepath.IsAbs(p) || f.Path == "" {
		return p
	}
	return filepath.Join(filepath.Dir(f.Path), p)
}

func (f *File) checkFiles() error {
	var paths []string
	paths = append(paths, f.Setup.Entities...)
	for _, p := range f.IAM.Policies {
		if p.File != "" {
			paths = append(paths, p.File)
		}
	}
	paths = append(paths, f.Setup.Flows...)
	paths = append(paths, f.Setup.Systems...)
	for _, d := range f.Setup.Deployments {
		paths = append(paths, d.Definition)
	}
	for _, fl := range f.Fleets {
		if fl.Deployment != nil {
			paths = append(paths, fl.Deployment.Definition)
		}
	}
	for _, p := range paths {
		if _, err := os.Stat(f.resolve(p)); err != nil {
			return fmt.Errorf("file %s: %w", p, err)
		}
	}
	return nil
}
