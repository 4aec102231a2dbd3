package scenario

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"reflect"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/greengrass"
	ggtypes "github.com/aws/aws-sdk-go-v2/service/greengrass/types"
	"github.com/aws/aws-sdk-go-v2/service/iot"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	awsv1 "github.com/aws/aws-sdk-go/aws"
	"github.com/aws/aws-sdk-go/service/iotthingsgraph"

	"github.com/tgsim/tgsim/sim/core"
	"github.com/tgsim/tgsim/sim/device"
	"github.com/tgsim/tgsim/sim/flow"
	"github.com/tgsim/tgsim/sim/harness"
)

// Options configures a run.
type Options struct {
	Logger *slog.Logger
	// Progress, when set, hears where the run is (progress.go).
	Progress func(ProgressEvent)
	// SpeedSlack, when above 1, relaxes every speed bound of the file by
	// that factor (latency bounds multiplied, rate bounds divided), and
	// the checks say so. For test binaries built with the race detector,
	// which runs this code several times slower: the e2e suite sets it
	// there, so the files keep the bounds a plain run must meet.
	SpeedSlack float64
}

// slack returns how far speed bounds are relaxed (1: not at all) and the
// note the checks add when they are.
func (r *runner) slack() (float64, string) {
	if r.opts.SpeedSlack > 1 {
		return r.opts.SpeedSlack, fmt.Sprintf(" (bound relaxed ×%g: race detector)", r.opts.SpeedSlack)
	}
	return 1, ""
}

// latencyBound and rateBound apply the slack to a bound.
func (r *runner) latencyBound(d Duration) time.Duration {
	f, _ := r.slack()
	return time.Duration(float64(d) * f)
}

func (r *runner) rateBound(x float64) float64 {
	f, _ := r.slack()
	return x / f
}

// Check is one verdict of a run.
type Check struct {
	Name   string
	OK     bool
	Detail string
}

// Report is the outcome of one scenario.
type Report struct {
	Name     string
	Path     string
	Checks   []Check
	Err      error // the run could not complete (setup or a step failed)
	Duration time.Duration
}

// Passed reports whether the run completed and every check held.
func (r *Report) Passed() bool {
	if r.Err != nil {
		return false
	}
	for _, c := range r.Checks {
		if !c.OK {
			return false
		}
	}
	return true
}

type runner struct {
	opts   Options
	log    *slog.Logger
	f      *File
	h      *harness.Harness
	report *Report
	root   *identity
	users  map[string]*identity
	// certs are the things' certificates and keys; groupCAs the trust
	// roots of each group's core.
	certs    map[string]tls.Certificate
	groupCAs map[string]*x509.CertPool

	// deployments: Greengrass group → deployed flow configurations.
	groupOf   map[string]string // thing → greengrass group
	devices   map[string]*device.Device
	deployIDs map[string]string // flow configuration id → greengrass deployment id
	// instanceOf maps a setup deployment's definition file to its
	// flow configuration id.
	instanceOf map[string]string
	// cloudIDs are the system instances deployed to the CLOUD target.
	cloudIDs []string
	// past keeps what devices received over connections since closed.
	past     map[string][]device.Received
	statuses map[string]string // flow configuration id → final status
	fleets   map[string]*fleetRun
}

// Run runs one scenario against a fresh in-process harness.
func Run(ctx context.Context, f *File, opts Options) *Report {
	start := time.Now()
	rep := &Report{Name: f.Name, Path: f.Path}
	timeout := time.Duration(f.Timeout)
	if timeout == 0 {
		timeout = 60 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	// Cores speak mutual TLS only, as Greengrass cores do.
	h, err := harness.Start(harness.Options{Logger: opts.Logger, CoreTLS: true, ActionTimeout: time.Duration(f.ActionTimeout), Accounts: f.edgeAccounts()})
	if err != nil {
		rep.Err = err
		return rep
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	r := &runner{opts: opts, log: opts.Logger, f: f, h: h, users: map[string]*identity{}, certs: map[string]tls.Certificate{}, groupCAs: map[string]*x509.CertPool{}, report: rep, groupOf: map[string]string{}, devices: map[string]*device.Device{},
		deployIDs: map[string]string{}, past: map[string][]device.Received{}, statuses: map[string]string{}, instanceOf: map[string]string{}}
	defer func() {
		for _, d := range r.devices {
			d.Close()
		}
		r.closeFleets()
		if err := h.Close(); err != nil && rep.Err == nil {
			rep.Err = fmt.Errorf("shutting down: %w", err)
		}
		rep.Duration = time.Since(start)
	}()
	opts.progress(ProgressEvent{Name: f.Name, Phase: "setup", Steps: len(f.Steps)})
	akid, secret := h.Credentials()
	r.root = r.newIdentity("", "arn:aws:iam::"+h.AccountID()+":root", akid, secret, "")
	if err := r.setupIAM(ctx); err != nil {
		rep.Err = fmt.Errorf("iam: %w", err)
		return rep
	}
	r.setupAccounts()
	r.registerLambdas()
	if err := r.setup(ctx); err != nil {
		rep.Err = fmt.Errorf("setup: %w", err)
		return rep
	}
	if err := r.startDevices(ctx); err != nil {
		rep.Err = fmt.Errorf("devices: %w", err)
		return rep
	}
	if err := r.startFleets(ctx); err != nil {
		rep.Err = fmt.Errorf("fleets: %w", err)
		return rep
	}
	for i, s := range f.Steps {
		opts.progress(ProgressEvent{Name: f.Name, Phase: "steps", Step: i + 1, Steps: len(f.Steps)})
		if err := r.step(ctx, s); err != nil {
			rep.Err = fmt.Errorf("steps[%d]: %w", i, err)
			return rep
		}
	}
	opts.progress(ProgressEvent{Name: f.Name, Phase: "checks", Steps: len(f.Steps)})
	r.expect(ctx)
	return rep
}

func (r *runner) check(name string, ok bool, format string, args ...any) {
	r.report.Checks = append(r.report.Checks, Check{Name: name, OK: ok, Detail: fmt.Sprintf(format, args...)})
}

func (r *runner) readTDM(p string) (string, error) {
	b, err := os.ReadFile(r.f.resolve(p))
	if err != nil {
		return "", err
	}
	return string(b), nil
}

func doc(text string) *iotthingsgraph.DefinitionDocument {
	return &iotthingsgraph.DefinitionDocument{Language: awsv1.String("GRAPHQL"), Text: awsv1.String(text)}
}

func (r *runner) setup(ctx context.Context) error {
	s := r.f.Setup
	for _, b := range s.Buckets {
		if _, err := r.root.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(b)}); err != nil {
			return fmt.Errorf("s3 CreateBucket %s: %w", b, err)
		}
	}
	for _, g := range s.GreengrassGroups {
		// A group needs a core: a thing with a certificate in a core
		// definition, named <group>_Core as the Greengrass console does.
		coreThing := g + "_Core"
		thingArn, certArn, err := r.thingWithCert(ctx, coreThing)
		if err != nil {
			return err
		}
		cd, err := r.root.gg.CreateCoreDefinition(ctx, &greengrass.CreateCoreDefinitionInput{
			Name: aws.String(g + "-core"),
			InitialVersion: &ggtypes.CoreDefinitionVersion{Cores: []ggtypes.Core{
				{Id: aws.String("core"), ThingArn: aws.String(thingArn), CertificateArn: aws.String(certArn), SyncShadow: aws.Bool(false)},
			}},
		})
		if err != nil {
			return fmt.Errorf("greengrass CreateCoreDefinition for %s: %w", g, err)
		}
		if _, err := r.root.gg.CreateGroup(ctx, &greengrass.CreateGroupInput{Name: aws.String(g),
			InitialVersion: &ggtypes.GroupVersion{CoreDefinitionVersionArn: cd.LatestVersionArn}}); err != nil {
			return fmt.Errorf("greengrass CreateGroup %s: %w", g, err)
		}
		if _, err := r.h.StartCore(g, ""); err != nil {
			return fmt.Errorf("core for %s: %w", g, err)
		}
	}
	for _, p := range s.IoTPolicies {
		doc, err := jsonDocument(p.Document)
		if err != nil {
			return fmt.Errorf("setup.iotPolicies %s: %w", p.Name, err)
		}
		if _, err := r.root.iot.CreatePolicy(ctx, &iot.CreatePolicyInput{PolicyName: aws.String(p.Name), PolicyDocument: aws.String(doc)}); err != nil {
			return fmt.Errorf("iot CreatePolicy %s: %w", p.Name, err)
		}
	}
	for _, t := range s.Things {
		_, certArn, err := r.thingWithCert(ctx, t.Name)
		if err != nil {
			return err
		}
		for _, p := range t.Policies {
			if _, err := r.root.iot.AttachPolicy(ctx, &iot.AttachPolicyInput{PolicyName: aws.String(p), Target: aws.String(certArn)}); err != nil {
				return fmt.Errorf("iot AttachPolicy %s → %s: %w", p, t.Name, err)
			}
		}
	}
	tg := r.as(s.As).tg
	for _, p := range s.Entities {
		text, err := r.readTDM(p)
		if err != nil {
			return err
		}
		up, err := tg.UploadEntityDefinitionsWithContext(ctx, &iotthingsgraph.UploadEntityDefinitionsInput{Document: doc(text)})
		if err != nil {
			return fmt.Errorf("UploadEntityDefinitions %s: %w", p, err)
		}
		st, err := tg.GetUploadStatusWithContext(ctx, &iotthingsgraph.GetUploadStatusInput{UploadId: up.UploadId})
		if err != nil {
			return fmt.Errorf("GetUploadStatus %s: %w", p, err)
		}
		if awsv1.StringValue(st.UploadStatus) != "SUCCEEDED" {
			return fmt.Errorf("upload of %s %s: %s", p, awsv1.StringValue(st.UploadStatus), strings.Join(awsv1.StringValueSlice(st.FailureReason), "; "))
		}
	}
	for _, t := range s.Things {
		if t.Device == "" {
			continue
		}
		if _, err := tg.AssociateEntityToThingWithContext(ctx, &iotthingsgraph.AssociateEntityToThingInput{ThingName: aws.String(t.Name), EntityId: aws.String(t.Device)}); err != nil {
			return fmt.Errorf("AssociateEntityToThing %s → %s: %w", t.Name, t.Device, err)
		}
	}
	for _, p := range s.Flows {
		text, err := r.readTDM(p)
		if err != nil {
			return err
		}
		if _, err := tg.CreateFlowTemplateWithContext(ctx, &iotthingsgraph.CreateFlowTemplateInput{Definition: doc(text)}); err != nil {
			return fmt.Errorf("CreateFlowTemplate %s: %w", p, err)
		}
	}
	for _, p := range s.Systems {
		text, err := r.readTDM(p)
		if err != nil {
			return err
		}
		if _, err := tg.CreateSystemTemplateWithContext(ctx, &iotthingsgraph.CreateSystemTemplateInput{Definition: doc(text)}); err != nil {
			return fmt.Errorf("CreateSystemTemplate %s: %w", p, err)
		}
	}
	for _, d := range s.Deployments {
		if err := r.deploy(ctx, d); err != nil {
			return err
		}
	}
	if err := r.setupCloudSubscriptions(ctx); err != nil {
		return err
	}
	return r.setupFleets(ctx)
}

// thingWithCert creates a thing with an active certificate attached.
func (r *runner) thingWithCert(ctx context.Context, name string) (thingArn, certArn string, err error) {
	th, err := r.root.iot.CreateThing(ctx, &iot.CreateThingInput{ThingName: aws.String(name)})
	if err != nil {
		return "", "", fmt.Errorf("iot CreateThing %s: %w", name, err)
	}
	cert, err := r.root.iot.CreateKeysAndCertificate(ctx, &iot.CreateKeysAndCertificateInput{SetAsActive: true})
	if err != nil {
		return "", "", fmt.Errorf("iot CreateKeysAndCertificate for %s: %w", name, err)
	}
	if _, err := r.root.iot.AttachThingPrincipal(ctx, &iot.AttachThingPrincipalInput{ThingName: aws.String(name), Principal: cert.CertificateArn}); err != nil {
		return "", "", fmt.Errorf("iot AttachThingPrincipal %s: %w", name, err)
	}
	pair, err := tls.X509KeyPair([]byte(aws.ToString(cert.CertificatePem)), []byte(aws.ToString(cert.KeyPair.PrivateKey)))
	if err != nil {
		return "", "", fmt.Errorf("certificate of %s: %w", name, err)
	}
	// The private key is returned once, as AWS does: the scenario keeps it
	// for the thing's virtual device.
	r.certs[name] = pair
	return aws.ToString(th.ThingArn), aws.ToString(cert.CertificateArn), nil
}

// deviceTLS is the TLS configuration a thing's device connects to a group's
// core with: its own certificate, and the group CA (read through the
// Greengrass API, as a device learns it from discovery) as the trust root.
func (r *runner) deviceTLS(ctx context.Context, thing, group string) (*tls.Config, error) {
	pair, ok := r.certs[thing]
	if !ok {
		return nil, fmt.Errorf("thing %s has no certificate", thing)
	}
	roots, ok := r.groupCAs[group]
	if !ok {
		id, err := r.groupID(ctx, group)
		if err != nil {
			return nil, err
		}
		cas, err := r.root.gg.ListGroupCertificateAuthorities(ctx, &greengrass.ListGroupCertificateAuthoritiesInput{GroupId: &id})
		if err != nil {
			return nil, fmt.Errorf("greengrass ListGroupCertificateAuthorities %s: %w", group, err)
		}
		roots = x509.NewCertPool()
		for _, ca := range cas.GroupCertificateAuthorities {
			out, err := r.root.gg.GetGroupCertificateAuthority(ctx, &greengrass.GetGroupCertificateAuthorityInput{GroupId: &id, CertificateAuthorityId: ca.GroupCertificateAuthorityId})
			if err != nil {
				return nil, fmt.Errorf("greengrass GetGroupCertificateAuthority %s: %w", group, err)
			}
			roots.AppendCertsFromPEM([]byte(aws.ToString(out.PemEncodedCertificate)))
		}
		r.groupCAs[group] = roots
	}
	return &tls.Config{RootCAs: roots, Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12}, nil
}

// groupID finds a Greengrass group's id by name.
func (r *runner) groupID(ctx context.Context, name string) (string, error) {
	var token *string
	for {
		out, err := r.root.gg.ListGroups(ctx, &greengrass.ListGroupsInput{NextToken: token})
		if err != nil {
			return "", err
		}
		for _, g := range out.Groups {
			if aws.ToString(g.Name) == name {
				return aws.ToString(g.Id), nil
			}
		}
		if token = out.NextToken; aws.ToString(token) == "" {
			return "", fmt.Errorf("greengrass group %q not found", name)
		}
	}
}

// deploy creates and deploys one flow configuration and waits until the
// group's core has applied it. With d.Expect set, the outcome of the
// create-and-deploy calls becomes a check instead of stopping the run.
func (r *runner) deploy(ctx context.Context, d DeploymentSpec) error {
	text, err := r.readTDM(d.Definition)
	if err != nil {
		return err
	}
	who := d.As
	if who == "" {
		who = r.f.Setup.As
	}
	tg := r.as(who).tg
	name := "deploy " + d.Definition
	if who != "" {
		name += " as " + who
	}
	in := &iotthingsgraph.CreateSystemInstanceInput{Definition: doc(text), Target: aws.String(d.Target)}
	if d.GreengrassGroup != "" {
		in.GreengrassGroupName = aws.String(d.GreengrassGroup)
	}
	if d.S3Bucket != "" {
		in.S3BucketName = aws.String(d.S3Bucket)
	}
	if d.FlowActionsRoleArn != "" {
		in.FlowActionsRoleArn = aws.String(r.arn(d.FlowActionsRoleArn))
	}
	created, err := tg.CreateSystemInstanceWithContext(ctx, in)
	if err != nil {
		return r.outcome(name, d.Expect, fmt.Errorf("CreateSystemInstance %s: %w", d.Definition, err))
	}
	id := created.Summary.Id
	r.instanceOf[d.Definition] = awsv1.StringValue(id)
	out, err := tg.DeploySystemInstanceWithContext(ctx, &iotthingsgraph.DeploySystemInstanceInput{Id: id})
	if err != nil {
		return r.outcome(name, d.Expect, fmt.Errorf("DeploySystemInstance %s: %w", awsv1.StringValue(id), err))
	}
	if d.Target == "CLOUD" {
		st, err := r.settle(ctx, awsv1.StringValue(id), "BOOTSTRAP", "DEPLOY_IN_PROGRESS")
		if err != nil {
			return err
		}
		r.statuses[awsv1.StringValue(id)] = st
		if st != "DEPLOYED_IN_TARGET" {
			return r.outcome(name, d.Expect, fmt.Errorf("CLOUD deployment of %s: %s", awsv1.StringValue(id), st))
		}
		r.cloudIDs = append(r.cloudIDs, awsv1.StringValue(id))
		for _, b := range bindings(text) {
			r.groupOf[b] = cloudGroup
		}
		return r.outcome(name, d.Expect, nil)
	}
	ggID := awsv1.StringValue(out.GreengrassDeploymentId)
	r.deployIDs[awsv1.StringValue(id)] = ggID
	c := r.h.Core(d.GreengrassGroup)
	if res, err := c.WaitDeployment(ctx, ggID); err != nil {
		return err
	} else if res.Status != "Success" {
		return r.outcome(name, d.Expect, fmt.Errorf("greengrass deployment %s of %s: %s: %s", ggID, awsv1.StringValue(id), res.Status, res.Error))
	}
	got, err := tg.GetSystemInstanceWithContext(ctx, &iotthingsgraph.GetSystemInstanceInput{Id: id})
	if err != nil {
		return fmt.Errorf("GetSystemInstance %s: %w", awsv1.StringValue(id), err)
	}
	r.statuses[awsv1.StringValue(id)] = awsv1.StringValue(got.Description.Summary.Status)
	for _, b := range bindings(text) {
		r.groupOf[b] = d.GreengrassGroup
	}
	return r.outcome(name, d.Expect, nil)
}

// registerLambdas hosts the file's Lambda functions in the harness,
// before any runtime starts.
func (r *runner) registerLambdas() {
	for _, l := range r.f.Lambdas {
		var mu sync.Mutex
		seq := 0
		r.h.RegisterLambda(l.Function, func(_ context.Context, _ []byte) ([]byte, error) {
			mu.Lock()
			seq++
			n := seq
			mu.Unlock()
			if l.Error != "" {
				return nil, errors.New(l.Error)
			}
			return json.Marshal(expand(l.Respond, n, ""))
		})
	}
}

// cloudGroup stands for "AWS IoT Core" where groupOf names a thing's core.
const cloudGroup = "\x00cloud"

// settle polls GetSystemInstance while the status is one of passing, and
// returns the status it settles on (within 20 seconds).
func (r *runner) settle(ctx context.Context, id string, passing ...string) (string, error) {
	deadline := time.Now().Add(20 * time.Second)
	for {
		got, err := r.root.tg.GetSystemInstanceWithContext(ctx, &iotthingsgraph.GetSystemInstanceInput{Id: aws.String(id)})
		if err != nil {
			return "", fmt.Errorf("GetSystemInstance %s: %w", id, err)
		}
		st := awsv1.StringValue(got.Description.Summary.Status)
		if !slices.Contains(passing, st) {
			return st, nil
		}
		if time.Now().After(deadline) {
			return "", fmt.Errorf("system instance %s still %s after 20s", id, st)
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// broker returns the MQTT address and the TLS trust roots for a thing's
// device: its group's core, or AWS IoT Core for CLOUD deployments.
func (r *runner) broker(ctx context.Context, thing string) (addr string, cfg *tls.Config, err error) {
	group, ok := r.groupOf[thing]
	if !ok {
		return "", nil, fmt.Errorf("thing %s is not bound in any deployed flow configuration, so no broker serves it", thing)
	}
	if group == cloudGroup {
		pair, ok := r.certs[thing]
		if !ok {
			return "", nil, fmt.Errorf("thing %s has no certificate", thing)
		}
		return r.h.IoTData.Addr(), &tls.Config{RootCAs: r.h.IoTDataRoots(), Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12}, nil
	}
	cfg, err = r.deviceTLS(ctx, thing, group)
	if err != nil {
		return "", nil, err
	}
	return r.h.Core(group).MQTTAddr(), cfg, nil
}

// runtimes returns every Things Graph runtime of the run: the cores'
// and the cloud's.
func (r *runner) runtimes() []*flow.Runtime {
	var out []*flow.Runtime
	for _, g := range r.f.Setup.GreengrassGroups {
		if c := r.h.Core(g); c != nil {
			if rt := c.Runtime(); rt != nil {
				out = append(out, rt)
			}
		}
	}
	for _, id := range r.cloudIDs {
		if rt := r.h.CloudRuntime(id); rt != nil {
			out = append(out, rt)
		}
	}
	return out
}

// bindings lists the thing names a deployment document binds, read through
// the core's routing table afterwards; here a light scan suffices because
// the service has already validated the document.
func bindings(text string) []string {
	var out []string
	for _, part := range strings.Split(text, "deviceId:")[1:] {
		part = strings.TrimSpace(part)
		if len(part) < 2 {
			continue
		}
		q := part[0]
		if end := strings.IndexByte(part[1:], q); end >= 0 {
			out = append(out, part[1:1+end])
		}
	}
	return out
}

func (r *runner) startDevices(ctx context.Context) error {
	for _, spec := range r.f.Devices {
		if err := r.connectDevice(ctx, spec); err != nil {
			return err
		}
	}
	return nil
}

// connectDevice connects one device of the file, as its thing, to the
// broker that serves the thing.
func (r *runner) connectDevice(ctx context.Context, spec DeviceSpec) error {
	addr, tlsCfg, err := r.broker(ctx, spec.Thing)
	if err != nil {
		return err
	}
	devID, ok := r.h.ThingsGraph.AssociatedDevice(spec.Thing)
	if !ok {
		return fmt.Errorf("thing %s has no associated device", spec.Thing)
	}
	def, ok := r.h.ThingsGraph.DeviceDefinition(r.h.Region(), r.h.AccountID(), devID)
	if !ok {
		return fmt.Errorf("device definition %s not found", devID)
	}
	opts := device.Options{ThingName: spec.Thing, Broker: addr, TLS: tlsCfg}
	for _, ev := range def.Events {
		topic, err := flow.ExpandTopic(ev.Topic, spec.Thing, r.h.Region(), r.h.AccountID())
		if err != nil {
			return err
		}
		opts.Events = append(opts.Events, device.Event{Name: ev.Name, Topic: topic})
	}
	for _, a := range def.Actions {
		req, err := flow.ExpandTopic(a.RequestTopic, spec.Thing, r.h.Region(), r.h.AccountID())
		if err != nil {
			return err
		}
		var resp string
		if a.ResponseTopic != "" {
			if resp, err = flow.ExpandTopic(a.ResponseTopic, spec.Thing, r.h.Region(), r.h.AccountID()); err != nil {
				return err
			}
		}
		act := device.Action{Name: a.Name, RequestTopic: req, ResponseTopic: resp}
		if tmpl, ok := spec.Respond[a.Name]; ok {
			thing := spec.Thing
			act.Respond = func(seq int, _ []byte) []byte {
				b, _ := json.Marshal(expand(tmpl, seq, thing))
				return b
			}
		}
		opts.Actions = append(opts.Actions, act)
	}
	// A respond key that names no action would be silently unused: the
	// device would answer "{}" and the run could pass for a wrong reason.
	var actions []string
	for _, a := range def.Actions {
		actions = append(actions, a.Name)
	}
	for name := range spec.Respond {
		if !slices.Contains(actions, name) {
			return fmt.Errorf("devices: %s: respond.%s: device %s has no action %q (its actions: %s)", spec.Thing, name, devID, name, listOrNone(actions))
		}
	}
	d, err := device.Connect(ctx, opts)
	if err != nil {
		return err
	}
	r.devices[spec.Thing] = d
	for _, f := range spec.Subscribe {
		if err := d.Subscribe(ctx, f); err != nil {
			return err
		}
	}
	return nil
}

// disconnectDevice closes a device's connection, keeping what it received.
func (r *runner) disconnectDevice(thing string) error {
	d := r.devices[thing]
	if d == nil {
		return fmt.Errorf("thing %s has no connected device", thing)
	}
	r.past[thing] = append(r.past[thing], d.Received()...)
	d.Close()
	delete(r.devices, thing)
	// The step is done when the broker has let the client go, so what
	// follows sees it offline.
	if g := r.groupOf[thing]; g != cloudGroup {
		r.waitOffline(g, thing)
	}
	return nil
}

// waitOffline waits (up to 2 s) until a group's core no longer has the
// thing connected.
func (r *runner) waitOffline(group, thing string) {
	c := r.h.Core(group)
	for deadline := time.Now().Add(2 * time.Second); c != nil && c.Connected(thing) && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
}

func (r *runner) deviceSpec(thing string) (DeviceSpec, bool) {
	for _, d := range r.f.Devices {
		if d.Thing == thing {
			return d, true
		}
	}
	return DeviceSpec{}, false
}

// restartCore stops a group's core and starts it again on the same
// address: it applies the group's last deployment from the control plane,
// and the group's devices reconnect.
func (r *runner) restartCore(ctx context.Context, group string) error {
	// Let messages the core already routed reach the devices first: a
	// flow step ends when the core took its message, not when the device
	// got it. Quiet for 50 ms, or at most a second.
	quietSince, last := time.Now(), -1
	for deadline := time.Now().Add(time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		n := 0
		for th, d := range r.devices {
			if r.groupOf[th] == group {
				n += len(d.Received())
			}
		}
		if n != last {
			quietSince, last = time.Now(), n
		} else if time.Since(quietSince) >= 50*time.Millisecond {
			break
		}
	}
	var things []string
	for _, spec := range r.f.Devices {
		if r.groupOf[spec.Thing] == group && r.devices[spec.Thing] != nil {
			things = append(things, spec.Thing)
			if err := r.disconnectDevice(spec.Thing); err != nil {
				return err
			}
		}
	}
	rc, err := r.h.RestartCore(group)
	if err != nil {
		return fmt.Errorf("restartCore %s: %w", group, err)
	}
	wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if res, err := rc.WaitApplied(wctx); err != nil {
		return fmt.Errorf("restartCore %s: the restarted core applied nothing: %w", group, err)
	} else if res.Status != "Success" {
		return fmt.Errorf("restartCore %s: redeploying on start: %s: %s", group, res.Status, res.Error)
	}
	for _, th := range things {
		spec, _ := r.deviceSpec(th)
		if err := r.connectDevice(ctx, spec); err != nil {
			return fmt.Errorf("restartCore %s: %w", group, err)
		}
	}
	return nil
}

func (r *runner) step(ctx context.Context, s Step) error {
	switch {
	case s.Emit != nil:
		d := r.devices[s.Emit.Thing]
		if d == nil {
			return fmt.Errorf("emit: thing %s has no running device (list it under devices)", s.Emit.Thing)
		}
		for i := 1; i <= max(1, s.Emit.Count); i++ {
			b, _ := json.Marshal(expand(s.Emit.Payload, i, s.Emit.Thing))
			if err := d.Emit(ctx, s.Emit.Event, b); err != nil {
				return err
			}
		}
	case s.Publish != nil:
		d := r.devices[s.Publish.Thing]
		if d == nil {
			return fmt.Errorf("publish: thing %s has no running device (list it under devices)", s.Publish.Thing)
		}
		name := fmt.Sprintf("publish %s on %s", s.Publish.Thing, s.Publish.Topic)
		for i := 1; i <= max(1, s.Publish.Count); i++ {
			mark := r.refusalMark(s.Publish.Thing)
			err := d.Publish(ctx, s.Publish.Topic, r.publishPayload(s.Publish, i))
			if s.Publish.Expect == "refused" || (s.Publish.Oversize && s.Publish.Expect == "") {
				r.check(name, err != nil, "refused=%v (%v); %s", err != nil, err, r.refusalSince(ctx, s.Publish.Thing, s.Publish.Thing, mark, err != nil))
				break
			}
			if err != nil {
				return err
			}
		}
	case s.Connect != nil:
		if err := r.connectStep(ctx, s.Connect); err != nil {
			return err
		}
	case s.Disconnect != nil && s.Disconnect.Fleet != "":
		if err := r.disconnectFleet(s.Disconnect); err != nil {
			return fmt.Errorf("disconnect: %w", err)
		}
	case s.Reconnect != nil && s.Reconnect.Fleet != "":
		if err := r.reconnectFleet(ctx, s.Reconnect.Fleet); err != nil {
			return fmt.Errorf("reconnect: %w", err)
		}
	case s.Disconnect != nil:
		if err := r.disconnectDevice(s.Disconnect.Thing); err != nil {
			return fmt.Errorf("disconnect: %w", err)
		}
	case s.Reconnect != nil:
		if r.devices[s.Reconnect.Thing] != nil {
			return fmt.Errorf("reconnect: thing %s is connected", s.Reconnect.Thing)
		}
		spec, _ := r.deviceSpec(s.Reconnect.Thing)
		if err := r.connectDevice(ctx, spec); err != nil {
			return fmt.Errorf("reconnect: %w", err)
		}
	case s.RestartCore != nil:
		if err := r.restartCore(ctx, s.RestartCore.Group); err != nil {
			return err
		}
	case s.Partition != nil:
		if err := r.h.Partition(s.Partition.Group, false); err != nil {
			return fmt.Errorf("partition: %w", err)
		}
	case s.Heal != nil:
		if err := r.h.Partition(s.Heal.Group, true); err != nil {
			return fmt.Errorf("heal: %w", err)
		}
	case s.CloudReceived != nil:
		r.checkCloudReceived(ctx, "IoT Core received on "+s.CloudReceived.Topic+" (step)", *s.CloudReceived)
	case s.Undeploy != nil:
		if err := r.undeploy(ctx, s.Undeploy); err != nil {
			return err
		}
	case s.Call != nil:
		if err := r.callStep(ctx, s.Call); err != nil {
			return err
		}
	case s.Load != nil:
		if err := r.load(ctx, s.Load); err != nil {
			return err
		}
	case s.Fault != nil:
		if err := r.armFault(ctx, s.Fault); err != nil {
			return err
		}
	case s.RevokeCertificate != nil:
		if err := r.revokeCertificate(ctx, s.RevokeCertificate); err != nil {
			return err
		}
	case s.WaitExecutions != nil:
		w := s.WaitExecutions
		timeout := time.Duration(w.Timeout)
		if timeout == 0 {
			timeout = 10 * time.Second
		}
		wctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		// Counted per runtime: each must reach the counts (the scenarios
		// run one flow configuration per runtime).
		for _, rt := range r.runtimes() {
			err := rt.WaitExecutions(wctx, func(ex []flow.Execution) bool {
				return countStatus(ex, flow.StatusSucceeded) >= w.Succeeded && countStatus(ex, flow.StatusFailed) >= w.Failed
			})
			if err != nil {
				ex := rt.Executions()
				return fmt.Errorf("waitExecutions: want %d succeeded and %d failed within %s, have %d succeeded, %d failed, %d running",
					w.Succeeded, w.Failed, timeout, countStatus(ex, flow.StatusSucceeded), countStatus(ex, flow.StatusFailed), countStatus(ex, flow.StatusRunning))
			}
		}
	}
	return nil
}

func orSuccess(o *Outcome) *Outcome {
	if o == nil {
		return &Outcome{}
	}
	return o
}

func countStatus(ex []flow.Execution, status string) int {
	n := 0
	for _, e := range ex {
		if e.Status == status {
			n++
		}
	}
	return n
}

// expand replaces {{seq}} and {{thing}} in every string of a YAML value.
func expand(v any, seq int, thing string) any {
	switch x := v.(type) {
	case string:
		return strings.NewReplacer("{{seq}}", strconv.Itoa(seq), "{{thing}}", thing).Replace(x)
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = expand(e, seq, thing)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = expand(e, seq, thing)
		}
		return out
	case nil:
		return map[string]any{}
	}
	return v
}

// arn expands the thing/NAME and function/NAME shorthands.
func (r *runner) arn(s string) string {
	switch {
	case strings.HasPrefix(s, "thing/"):
		return fmt.Sprintf("arn:aws:iot:%s:%s:%s", r.h.Region(), r.h.AccountID(), s)
	case strings.HasPrefix(s, "role/"):
		return "arn:aws:iam::" + r.h.AccountID() + ":" + s
	case strings.HasPrefix(s, "function/"):
		return fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s:1", r.h.Region(), r.h.AccountID(), strings.TrimPrefix(s, "function/"))
	}
	return s
}

func (r *runner) expect(ctx context.Context) {
	e := r.f.Expect
	if e.Deploy != nil {
		for _, id := range sortedKeys(r.statuses) {
			st := r.statuses[id]
			detail := ""
			if g := r.deployIDs[id]; g != "" {
				detail = " (greengrass deployment " + g + ")"
			}
			r.check("deploy "+id, st == e.Deploy.Status, "status %s, want %s%s", st, e.Deploy.Status, detail)
		}
	}
	if s := e.Subscriptions; s != nil {
		group := s.Group
		if group == "" && len(r.f.Setup.GreengrassGroups) > 0 {
			group = r.f.Setup.GreengrassGroups[0]
		}
		r.checkSubscriptions(group, s)
	}
	for _, d := range e.Delivered {
		r.checkDelivered(ctx, d)
	}
	if len(e.Dropped) > 0 {
		drops := map[core.DropKey]uint64{}
		for _, g := range r.f.Setup.GreengrassGroups {
			for k, v := range r.h.Core(g).Drops() {
				drops[k] += v
			}
		}
		for _, d := range e.Dropped {
			var got uint64
			for k, v := range drops {
				if k.Source == r.arn(d.Source) && k.Topic == d.Topic && (d.Reason == "" || k.Reason == d.Reason) && (d.Target == "" || k.Target == r.arn(d.Target)) {
					got += v
				}
			}
			name := fmt.Sprintf("dropped %s on %s", d.Source, d.Topic)
			if d.Count != nil {
				r.check(name, got == uint64(*d.Count), "%d dropped, want %d", got, *d.Count)
			} else {
				r.check(name, got > 0, "%d dropped, want at least 1", got)
			}
		}
	}
	for _, d := range e.Denials {
		caller := d.Caller
		if strings.HasPrefix(caller, "user/") {
			caller = "arn:aws:iam::" + r.h.AccountID() + ":" + caller
		}
		got := 0
		var seen []string
		for _, dec := range r.h.Decisions.All() {
			if dec.Decision == "allowed" {
				continue
			}
			seen = append(seen, dec.Action)
			if (caller == "" || dec.Caller == caller) && (d.Action == "" || strings.EqualFold(dec.Action, d.Action)) &&
				(d.Decision == "" || string(dec.Decision) == d.Decision) && (d.DeniedBy == "" || dec.DeniedBy == d.DeniedBy) {
				got++
			}
		}
		name := fmt.Sprintf("denied %s %s", d.Caller, d.Action)
		if d.Count != nil {
			r.check(name, got == *d.Count, "%d denials, want %d (denied actions: %v)", got, *d.Count, seen)
		} else {
			r.check(name, got > 0, "%d denials, want at least 1 (denied actions: %v)", got, seen)
		}
	}
	for _, d := range e.IoTDenials {
		got := 0
		var seen []string
		for _, dn := range r.h.IoTData.Denials() {
			seen = append(seen, dn.ClientID+" "+dn.Action+" "+dn.Resource)
			if (d.ClientID == "" || dn.ClientID == d.ClientID) && (d.Action == "" || strings.EqualFold(dn.Action, d.Action)) &&
				(d.Resource == "" || strings.Contains(dn.Resource, d.Resource)) {
				got++
			}
		}
		name := fmt.Sprintf("iot denied %s %s %s", d.ClientID, d.Action, d.Resource)
		if d.Count != nil {
			r.check(name, got == *d.Count, "%d denials, want %d (data-plane denials: %v)", got, *d.Count, seen)
		} else {
			r.check(name, got > 0, "%d denials, want at least 1 (data-plane denials: %v)", got, seen)
		}
	}
	for _, c := range e.CloudReceived {
		r.checkCloudReceived(ctx, "IoT Core received on "+c.Topic, c)
	}
	r.checkExecEvents(ctx)
	r.checkRouted()
	r.checkFaults(ctx)
	r.checkFleets(ctx)
	if x := e.Executions; x != nil {
		var all []flow.Execution
		for _, rt := range r.runtimes() {
			all = append(all, rt.Executions()...)
		}
		if x.Succeeded != nil {
			got := countStatus(all, flow.StatusSucceeded)
			r.check("executions succeeded", got == *x.Succeeded, "%d SUCCEEDED, want %d", got, *x.Succeeded)
		}
		if x.Failed != nil {
			got := countStatus(all, flow.StatusFailed)
			r.check("executions failed", got == *x.Failed, "%d FAILED, want %d", got, *x.Failed)
		}
		if x.P50 > 0 || x.P99 > 0 || x.PerSecond > 0 {
			r.checkSpeed(all, x)
		}
	}
	if e.HeapMiB > 0 {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		got := float64(ms.HeapInuse) / (1 << 20)
		r.check("heap in use", got <= e.HeapMiB, "%.1f MiB, want at most %.0f MiB", got, e.HeapMiB)
	}
}

// checkSpeed checks the succeeded executions' duration percentiles and
// their rate.
func (r *runner) checkSpeed(all []flow.Execution, x *ExecExpect) {
	var durs []time.Duration
	var first, last time.Time
	for _, e := range all {
		if e.Status != flow.StatusSucceeded {
			continue
		}
		durs = append(durs, e.UpdatedAt.Sub(e.CreatedAt))
		if first.IsZero() || e.CreatedAt.Before(first) {
			first = e.CreatedAt
		}
		if e.UpdatedAt.After(last) {
			last = e.UpdatedAt
		}
	}
	if len(durs) == 0 {
		r.check("execution speed", false, "no succeeded executions to measure")
		return
	}
	sort.Slice(durs, func(i, j int) bool { return durs[i] < durs[j] })
	pct := func(p float64) time.Duration { return durs[int(p*float64(len(durs)-1))] }
	if x.P50 > 0 {
		got := pct(0.50)
		_, note := r.slack()
		r.check("execution p50", got <= r.latencyBound(x.P50), "%s over %d executions, want at most %s%s", got, len(durs), r.latencyBound(x.P50), note)
	}
	if x.P99 > 0 {
		got := pct(0.99)
		_, note := r.slack()
		r.check("execution p99", got <= r.latencyBound(x.P99), "%s over %d executions, want at most %s%s", got, len(durs), r.latencyBound(x.P99), note)
	}
	if x.PerSecond > 0 {
		window := last.Sub(first)
		rate := float64(len(durs))
		if window > 0 {
			rate /= window.Seconds()
		}
		_, note := r.slack()
		r.check("executions per second", rate >= r.rateBound(x.PerSecond), "%.1f/s (%d in %s), want at least %g/s%s", rate, len(durs), window.Round(time.Millisecond), r.rateBound(x.PerSecond), note)
	}
}

func (r *runner) checkSubscriptions(group string, s *SubsExpect) {
	c := r.h.Core(group)
	if c == nil {
		r.check("subscriptions of "+group, false, "no core runs for group %q", group)
		return
	}
	var have []Sub
	for _, rt := range c.Table().Routes() {
		have = append(have, Sub{Source: rt.Source, Subject: rt.Subject, Target: rt.Target})
	}
	norm := func(in []Sub) []Sub {
		out := make([]Sub, len(in))
		for i, x := range in {
			out[i] = Sub{Source: r.arn(x.Source), Subject: x.Subject, Target: r.arn(x.Target)}
		}
		return out
	}
	if s.Exactly != nil {
		want := norm(s.Exactly)
		missing, extra := diffSubs(want, have)
		r.check("subscription table of "+group+" (exactly)", len(missing) == 0 && len(extra) == 0,
			"%d rows%s%s", len(have), listIf("; missing ", missing), listIf("; unexpected ", extra))
	}
	if s.Contains != nil {
		missing, _ := diffSubs(norm(s.Contains), have)
		r.check("subscription table of "+group+" (contains)", len(missing) == 0, "%d rows%s", len(have), listIf("; missing ", missing))
	}
}

func diffSubs(want, have []Sub) (missing, extra []Sub) {
	count := map[Sub]int{}
	for _, h := range have {
		count[h]++
	}
	for _, w := range want {
		if count[w] > 0 {
			count[w]--
		} else {
			missing = append(missing, w)
		}
	}
	for k, n := range count {
		for ; n > 0; n-- {
			extra = append(extra, k)
		}
	}
	sort.Slice(extra, func(i, j int) bool { return extra[i].Subject < extra[j].Subject })
	return missing, extra
}

func (r *runner) checkDelivered(ctx context.Context, d DeliveredExpect) {
	name := fmt.Sprintf("delivered to %s on %s", d.Thing, d.Topic)
	dev := r.devices[d.Thing]
	past := r.past[d.Thing]
	if dev == nil && past == nil {
		r.check(name, false, "thing %s has no running device", d.Thing)
		return
	}
	on := func(rs []device.Received) []device.Received {
		var out []device.Received
		// What the thing received over earlier connections counts too.
		for _, x := range append(append([]device.Received(nil), past...), rs...) {
			if x.Topic == d.Topic {
				out = append(out, x)
			}
		}
		return out
	}
	want := 1
	if d.Count != nil {
		want = *d.Count
	}
	wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	var got []device.Received
	if dev != nil {
		_ = dev.WaitReceived(wctx, func(rs []device.Received) bool { return len(on(rs)) >= want })
		got = on(dev.Received())
	} else {
		got = on(nil)
	}
	if len(got) != want && (d.Count != nil || len(got) == 0) {
		r.check(name, false, "%d messages, want %d", len(got), want)
		return
	}
	if d.Payload == nil {
		r.check(name, true, "%d messages", len(got))
		return
	}
	var wantPayloads, gotPayloads []any
	for i := 1; i <= len(got); i++ {
		wantPayloads = append(wantPayloads, normalizeJSON(expand(d.Payload, i, d.Thing)))
	}
	for _, g := range got {
		var v any
		if err := json.Unmarshal(g.Payload, &v); err != nil {
			v = string(g.Payload)
		}
		gotPayloads = append(gotPayloads, v)
	}
	missing := multisetMissing(wantPayloads, gotPayloads)
	if len(missing) == 0 {
		r.check(name, true, "%d messages, payloads as expected", len(got))
		return
	}
	r.check(name, false, "%d messages; payloads not received: %s; received: %s", len(got), jsonList(missing), jsonList(gotPayloads))
}

// normalizeJSON turns a YAML value into what json.Unmarshal would give.
func normalizeJSON(v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		return v
	}
	var out any
	_ = json.Unmarshal(b, &out)
	return out
}

func multisetMissing(want, got []any) []any {
	used := make([]bool, len(got))
	var missing []any
outer:
	for _, w := range want {
		for i, g := range got {
			if !used[i] && reflect.DeepEqual(w, g) {
				used[i] = true
				continue outer
			}
		}
		missing = append(missing, w)
	}
	return missing
}

// listIf formats a non-empty list after a label, or nothing.
func listIf[T any](label string, list []T) string {
	if len(list) == 0 {
		return ""
	}
	return fmt.Sprintf("%s%v", label, list)
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// ErrFailed is returned by RunFiles when any scenario failed.
var ErrFailed = errors.New("scenario failed")

// connectStep connects a device as a thing and checks the core's answer:
// refused (impersonation, plain TCP, a thing outside the group) or accepted.
func (r *runner) connectStep(ctx context.Context, c *ConnectStep) error {
	group, ok := r.groupOf[c.Thing]
	if !ok {
		return fmt.Errorf("connect: thing %s is not bound in any deployed flow configuration", c.Thing)
	}
	certOf := c.Certificate
	if certOf == "" {
		certOf = c.Thing
	}
	clientID := c.ClientID
	if clientID == "" {
		clientID = c.Thing
	}
	opts := device.Options{ThingName: clientID, Timeout: 2 * time.Second}
	if group == cloudGroup {
		if c.Plaintext {
			return errors.New("connect: AWS IoT Core serves MQTT over mutual TLS only; plaintext applies to Greengrass cores")
		}
		addr, cfg, err := r.broker(ctx, certOf)
		if err != nil {
			return err
		}
		opts.Broker, opts.TLS = addr, cfg
	} else {
		opts.Broker = r.h.Core(group).MQTTAddr()
		if !c.Plaintext {
			cfg, err := r.deviceTLS(ctx, certOf, group)
			if err != nil {
				return err
			}
			opts.TLS = cfg
		}
	}
	mark := r.refusalMark(c.Thing)
	d, err := device.Connect(ctx, opts)
	if d != nil {
		d.Close()
	}
	how := fmt.Sprintf("client id %s with %s's certificate", clientID, certOf)
	if c.Plaintext {
		how = fmt.Sprintf("client id %s over plain TCP", clientID)
	}
	name := "connect " + how
	switch c.Expect {
	case "refused":
		r.check(name, err != nil, "refused=%v (%v); %s", err != nil, err, r.refusalSince(ctx, c.Thing, clientID, mark, err != nil && !c.Plaintext))
	case "accepted", "":
		r.check(name, err == nil, "accepted=%v (%v)", err == nil, err)
	default:
		return fmt.Errorf("connect.expect %q: expected refused or accepted", c.Expect)
	}
	return nil
}

// undeploy runs an undeploy step: UndeploySystemInstance as the step's
// user, then GetSystemInstance until the instance leaves
// UNDEPLOY_IN_PROGRESS.
func (r *runner) undeploy(ctx context.Context, u *UndeployStep) error {
	name := "undeploy " + u.Definition
	if u.As != "" {
		name += " as " + u.As
	}
	id, ok := r.instanceOf[u.Definition]
	if !ok {
		return r.outcome(name, orSuccess(u.Expect), fmt.Errorf("%s was not created in setup", u.Definition))
	}
	tg := r.as(u.As).tg
	if _, err := tg.UndeploySystemInstanceWithContext(ctx, &iotthingsgraph.UndeploySystemInstanceInput{Id: aws.String(id)}); err != nil {
		return r.outcome(name, orSuccess(u.Expect), fmt.Errorf("UndeploySystemInstance %s: %w", id, err))
	}
	timeout := time.Duration(u.Timeout)
	if timeout == 0 {
		timeout = 20 * time.Second
	}
	deadline := time.Now().Add(timeout)
	for {
		got, err := r.root.tg.GetSystemInstanceWithContext(ctx, &iotthingsgraph.GetSystemInstanceInput{Id: aws.String(id)})
		if err != nil {
			return fmt.Errorf("GetSystemInstance %s: %w", id, err)
		}
		st := awsv1.StringValue(got.Description.Summary.Status)
		if st != "UNDEPLOY_IN_PROGRESS" {
			r.statuses[id] = st
			if u.Expect == nil || u.Expect.Error == "" {
				r.check(name, st == "DELETED_IN_TARGET", "status %s, want DELETED_IN_TARGET", st)
				return nil
			}
			return r.outcome(name, u.Expect, nil)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: still UNDEPLOY_IN_PROGRESS after %s", name, timeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// jsonList renders payloads as JSON, one after another, so a mismatch
// shows what arrived next to what was expected.
func jsonList(vs []any) string {
	parts := make([]string, 0, len(vs))
	for _, v := range vs {
		b, err := json.Marshal(v)
		if err != nil {
			b = []byte(fmt.Sprint(v))
		}
		parts = append(parts, string(b))
	}
	return strings.Join(parts, ", ")
}

// listOrNone joins names, or says there are none.
func listOrNone(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}
