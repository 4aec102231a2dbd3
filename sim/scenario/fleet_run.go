package scenario

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"hash/fnv"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/greengrass"
	ggtypes "github.com/aws/aws-sdk-go-v2/service/greengrass/types"
	"github.com/aws/aws-sdk-go-v2/service/iot"
	awsv1 "github.com/aws/aws-sdk-go/aws"
	"github.com/aws/aws-sdk-go/service/iotthingsgraph"

	"github.com/tgsim/tgsim/sim/core"
	"github.com/tgsim/tgsim/sim/device"
	"github.com/tgsim/tgsim/sim/flow"
)

// setupWorkers bounds concurrent control-plane calls while creating a
// fleet's things: enough to overlap request latency, few enough not to
// starve the cores on a 2-core machine.
const setupWorkers = 16

// fleetRun is a fleet's state during a run.
type fleetRun struct {
	spec      FleetSpec
	behaviour device.Behaviour
	things    []string // index-1 → thing name
	certs     []tls.Certificate
	certArns  []string
	// instance maps a thing to its own flow configuration's id.
	instance map[string]string
	// topic maps a thing to its behaviour event's topic.
	topic map[string]string
	fleet *device.Fleet
	loads []*device.LoadResult
	// bg is closed when the fleet's background load ends, with bgErr
	// set before; nil when none runs.
	bg    chan struct{}
	bgErr error
	// Timing of the run's phases, for the report.
	setupTime, deployTime, connectTime time.Duration
}

// setupFleets creates every fleet's things (concurrently, through the IoT
// and Things Graph APIs), deploys per-device flow configurations, and adds
// the devices of fleets without one to their group.
func (r *runner) setupFleets(ctx context.Context) error {
	if len(r.f.Fleets) == 0 {
		return nil
	}
	r.fleets = map[string]*fleetRun{}
	for _, spec := range r.f.Fleets {
		b, err := buildBehaviour(spec.Behaviour)
		if err != nil {
			return fmt.Errorf("fleet %s: %w", spec.Name, err)
		}
		pat, err := device.ParseTemplate(spec.Thing)
		if err != nil {
			return fmt.Errorf("fleet %s: thing: %w", spec.Name, err)
		}
		fr := &fleetRun{spec: spec, behaviour: b, instance: map[string]string{}, topic: map[string]string{},
			things: make([]string, spec.Count), certs: make([]tls.Certificate, spec.Count), certArns: make([]string, spec.Count)}
		for i := range spec.Count {
			fr.things[i] = device.ExpandName(pat, i+1)
		}
		r.fleets[spec.Name] = fr
		start := time.Now()
		if err := r.createFleetThings(ctx, fr); err != nil {
			return fmt.Errorf("fleet %s: %w", spec.Name, err)
		}
		fr.setupTime = time.Since(start)
	}
	for _, spec := range r.f.Fleets {
		fr := r.fleets[spec.Name]
		if spec.Deployment == nil {
			continue
		}
		start := time.Now()
		if err := r.deployFleet(ctx, fr); err != nil {
			return fmt.Errorf("fleet %s: %w", spec.Name, err)
		}
		fr.deployTime = time.Since(start)
	}
	// Fleets whose things no flow configuration binds join their group
	// through the Greengrass API, one group version for all of them.
	byGroup := map[string][]*fleetRun{}
	for _, spec := range r.f.Fleets {
		fr := r.fleets[spec.Name]
		if _, bound := r.groupOf[fr.things[0]]; !bound {
			byGroup[spec.GreengrassGroup] = append(byGroup[spec.GreengrassGroup], fr)
		}
	}
	for _, g := range sortedKeys(byGroup) {
		start := time.Now()
		if err := r.joinGroup(ctx, g, byGroup[g]); err != nil {
			return err
		}
		for _, fr := range byGroup[g] {
			fr.deployTime = time.Since(start)
		}
	}
	return nil
}

// createFleetThings makes each thing with a certificate, its policies and
// its device association, setupWorkers at a time.
func (r *runner) createFleetThings(ctx context.Context, fr *fleetRun) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	jobs := make(chan int)
	errs := make(chan error, setupWorkers)
	var wg sync.WaitGroup
	for range setupWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				if err := r.createFleetThing(ctx, fr, i); err != nil {
					errs <- err
					cancel()
					return
				}
			}
		}()
	}
feed:
	for i := range fr.things {
		select {
		case jobs <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return err
	}
	return ctx.Err()
}

func (r *runner) createFleetThing(ctx context.Context, fr *fleetRun, i int) error {
	name := fr.things[i]
	if _, err := r.root.iot.CreateThing(ctx, &iot.CreateThingInput{ThingName: aws.String(name)}); err != nil {
		return fmt.Errorf("iot CreateThing %s: %w", name, err)
	}
	cert, err := r.root.iot.CreateKeysAndCertificate(ctx, &iot.CreateKeysAndCertificateInput{SetAsActive: true})
	if err != nil {
		return fmt.Errorf("iot CreateKeysAndCertificate for %s: %w", name, err)
	}
	if _, err := r.root.iot.AttachThingPrincipal(ctx, &iot.AttachThingPrincipalInput{ThingName: aws.String(name), Principal: cert.CertificateArn}); err != nil {
		return fmt.Errorf("iot AttachThingPrincipal %s: %w", name, err)
	}
	for _, p := range fr.spec.Policies {
		if _, err := r.root.iot.AttachPolicy(ctx, &iot.AttachPolicyInput{PolicyName: aws.String(p), Target: cert.CertificateArn}); err != nil {
			return fmt.Errorf("iot AttachPolicy %s → %s: %w", p, name, err)
		}
	}
	tg := r.as(r.f.Setup.As).tg
	if _, err := tg.AssociateEntityToThingWithContext(ctx, &iotthingsgraph.AssociateEntityToThingInput{ThingName: aws.String(name), EntityId: aws.String(fr.spec.Device)}); err != nil {
		return fmt.Errorf("AssociateEntityToThing %s → %s: %w", name, fr.spec.Device, err)
	}
	pair, err := tls.X509KeyPair([]byte(aws.ToString(cert.CertificatePem)), []byte(aws.ToString(cert.KeyPair.PrivateKey)))
	if err != nil {
		return fmt.Errorf("certificate of %s: %w", name, err)
	}
	// Each worker writes its own index: no lock needed.
	fr.certs[i], fr.certArns[i] = pair, aws.ToString(cert.CertificateArn)
	return nil
}

// deployFleet creates and deploys one flow configuration per device from
// the fleet's template, then waits for the group's core to apply the last
// one (each Greengrass deployment carries the whole group). Divergence
// from setup.deployments: intermediate deployments are not awaited one by
// one, which a console user could not do faster either.
func (r *runner) deployFleet(ctx context.Context, fr *fleetRun) error {
	raw, err := r.readTDM(fr.spec.Deployment.Definition)
	if err != nil {
		return err
	}
	tmpl, err := device.ParseTemplate(raw)
	if err != nil {
		return fmt.Errorf("deployment %s: %w", fr.spec.Deployment.Definition, err)
	}
	tg := r.as(r.f.Setup.As).tg
	group := fr.spec.GreengrassGroup
	var last string
	var ids []string
	for i, thing := range fr.things {
		text := fmt.Sprint(tmpl.Value(device.Vars{Thing: thing, Index: i + 1}))
		in := &iotthingsgraph.CreateSystemInstanceInput{Definition: doc(text), Target: aws.String("GREENGRASS"), GreengrassGroupName: aws.String(group)}
		if b := fr.spec.Deployment.S3Bucket; b != "" {
			in.S3BucketName = aws.String(b)
		}
		created, err := tg.CreateSystemInstanceWithContext(ctx, in)
		if err != nil {
			return fmt.Errorf("CreateSystemInstance for %s: %w", thing, err)
		}
		id := created.Summary.Id
		out, err := tg.DeploySystemInstanceWithContext(ctx, &iotthingsgraph.DeploySystemInstanceInput{Id: id})
		if err != nil {
			return fmt.Errorf("DeploySystemInstance %s: %w", awsv1.StringValue(id), err)
		}
		last = awsv1.StringValue(out.GreengrassDeploymentId)
		ids = append(ids, awsv1.StringValue(id))
		fr.instance[thing] = awsv1.StringValue(id)
		for _, b := range bindings(text) {
			r.groupOf[b] = group
		}
	}
	if res, err := r.h.Core(group).WaitDeployment(ctx, last); err != nil {
		return err
	} else if res.Status != "Success" {
		return fmt.Errorf("greengrass deployment %s: %s: %s", last, res.Status, res.Error)
	}
	for _, id := range ids {
		got, err := tg.GetSystemInstanceWithContext(ctx, &iotthingsgraph.GetSystemInstanceInput{Id: aws.String(id)})
		if err != nil {
			return fmt.Errorf("GetSystemInstance %s: %w", id, err)
		}
		r.statuses[id] = awsv1.StringValue(got.Description.Summary.Status)
	}
	return nil
}

// joinGroup adds the fleets' things to a group's device definition, with a
// thing → cloud subscription on each device's behaviour event topic, as a
// Greengrass v1 user adds telemetry devices (CreateDeviceDefinitionVersion,
// CreateSubscriptionDefinitionVersion, CreateGroupVersion,
// CreateDeployment), and waits for the core.
func (r *runner) joinGroup(ctx context.Context, group string, fleets []*fleetRun) error {
	fail := func(op string, err error) error {
		return fmt.Errorf("fleets of %s: greengrass %s: %w", group, op, err)
	}
	gg := r.root.gg
	id, def, err := r.latestGroupVersion(ctx, group)
	if err != nil {
		return fmt.Errorf("fleets of %s: %w", group, err)
	}
	if def == nil {
		def = &ggtypes.GroupVersion{}
	}
	var devices []ggtypes.Device
	if arn := aws.ToString(def.DeviceDefinitionVersionArn); arn != "" {
		defID, vid, ok := definitionIDs(arn, "devices")
		if !ok {
			return fmt.Errorf("fleets of %s: %q is not a device definition version ARN", group, arn)
		}
		out, err := gg.GetDeviceDefinitionVersion(ctx, &greengrass.GetDeviceDefinitionVersionInput{DeviceDefinitionId: &defID, DeviceDefinitionVersionId: &vid})
		if err != nil {
			return fail("GetDeviceDefinitionVersion", err)
		}
		if out.Definition != nil {
			devices = out.Definition.Devices
		}
	}
	var subs []ggtypes.Subscription
	if arn := aws.ToString(def.SubscriptionDefinitionVersionArn); arn != "" {
		defID, vid, ok := definitionIDs(arn, "subscriptions")
		if !ok {
			return fmt.Errorf("fleets of %s: %q is not a subscription definition version ARN", group, arn)
		}
		out, err := gg.GetSubscriptionDefinitionVersion(ctx, &greengrass.GetSubscriptionDefinitionVersionInput{SubscriptionDefinitionId: &defID, SubscriptionDefinitionVersionId: &vid})
		if err != nil {
			return fail("GetSubscriptionDefinitionVersion", err)
		}
		if out.Definition != nil {
			subs = out.Definition.Subscriptions
		}
	}
	for _, fr := range fleets {
		topics, err := r.fleetTopics(fr)
		if err != nil {
			return err
		}
		for i, thing := range fr.things {
			arn := r.arn("thing/" + thing)
			devices = append(devices, ggtypes.Device{Id: aws.String("tgsim-fleet-" + thing), ThingArn: aws.String(arn),
				CertificateArn: aws.String(fr.certArns[i]), SyncShadow: aws.Bool(false)})
			if t := topics[thing]; t != "" {
				subs = append(subs, ggtypes.Subscription{Id: aws.String("tgsim-fleet-" + thing), Source: aws.String(arn),
					Subject: aws.String(t), Target: aws.String(core.CloudTarget)})
			}
			r.groupOf[thing] = group
		}
	}
	dd, err := gg.CreateDeviceDefinition(ctx, &greengrass.CreateDeviceDefinitionInput{Name: aws.String(group + "-fleets"),
		InitialVersion: &ggtypes.DeviceDefinitionVersion{Devices: devices}})
	if err != nil {
		return fail("CreateDeviceDefinition", err)
	}
	sd, err := gg.CreateSubscriptionDefinition(ctx, &greengrass.CreateSubscriptionDefinitionInput{Name: aws.String(group + "-fleets"),
		InitialVersion: &ggtypes.SubscriptionDefinitionVersion{Subscriptions: subs}})
	if err != nil {
		return fail("CreateSubscriptionDefinition", err)
	}
	def.DeviceDefinitionVersionArn, def.SubscriptionDefinitionVersionArn = dd.LatestVersionArn, sd.LatestVersionArn
	if err := r.deployGroupVersion(ctx, group, id, def); err != nil {
		return fmt.Errorf("fleets of %s: %w", group, err)
	}
	return nil
}

// definitionIDs splits a Greengrass definition version ARN of a kind
// (devices, subscriptions) into definition and version ids.
func definitionIDs(arn, kind string) (id, version string, ok bool) {
	_, rest, ok := strings.Cut(arn, ":/greengrass/definition/"+kind+"/")
	if !ok {
		return "", "", false
	}
	id, version, ok = strings.Cut(rest, "/versions/")
	return id, version, ok
}

// fleetTopics fills fr.topic from the device definition: each thing's
// topic of the behaviour's event.
func (r *runner) fleetTopics(fr *fleetRun) (map[string]string, error) {
	if fr.behaviour.Event == "" || len(fr.topic) > 0 {
		return fr.topic, nil
	}
	def, ok := r.h.ThingsGraph.DeviceDefinition(r.h.Region(), r.h.AccountID(), fr.spec.Device)
	if !ok {
		return nil, fmt.Errorf("fleet %s: device definition %s not found", fr.spec.Name, fr.spec.Device)
	}
	var raw string
	var names []string
	for _, ev := range def.Events {
		names = append(names, ev.Name)
		if ev.Name == fr.behaviour.Event {
			raw = ev.Topic
		}
	}
	if raw == "" {
		return nil, fmt.Errorf("fleet %s: behaviour.emit.event: device %s has no event %q (its events: %s)", fr.spec.Name, fr.spec.Device, fr.behaviour.Event, strings.Join(names, ", "))
	}
	for _, thing := range fr.things {
		t, err := flow.ExpandTopic(raw, thing, r.h.Region(), r.h.AccountID())
		if err != nil {
			return nil, err
		}
		fr.topic[thing] = t
	}
	return fr.topic, nil
}

// startFleets connects every fleet: each device asks the discovery API
// for its core and the group CA, then connects over mutual TLS.
func (r *runner) startFleets(ctx context.Context) error {
	for _, spec := range r.f.Fleets {
		fr := r.fleets[spec.Name]
		if _, err := r.fleetTopics(fr); err != nil {
			return err
		}
		def, ok := r.h.ThingsGraph.DeviceDefinition(r.h.Region(), r.h.AccountID(), spec.Device)
		if !ok {
			return fmt.Errorf("fleet %s: device definition %s not found", spec.Name, spec.Device)
		}
		var actions []string
		for _, a := range def.Actions {
			actions = append(actions, a.Name)
		}
		for _, name := range sortedKeys(fr.behaviour.Actions) {
			if !slices.Contains(actions, name) {
				return fmt.Errorf("fleet %s: behaviour.actions.%s: device %s has no action %q (its actions: %s)", spec.Name, name, spec.Device, name, strings.Join(actions, ", "))
			}
		}
		trust := x509.NewCertPool()
		trust.AppendCertsFromPEM(r.h.DiscoveryCAPEM())
		start := time.Now()
		fl, err := device.ConnectFleet(ctx, device.FleetOptions{
			Count: spec.Count, Behaviour: fr.behaviour, Seed: fleetSeed(r.f.Seed, spec.Name),
			Base: func(ctx context.Context, i int) (device.Options, error) {
				thing := fr.things[i-1]
				found, err := device.Discover(ctx, nil, r.h.DiscoveryURL, thing, fr.certs[i-1], trust)
				if err != nil {
					return device.Options{}, err
				}
				o := device.Options{ThingName: thing, Broker: found.Broker,
					TLS: &tls.Config{RootCAs: found.Roots, Certificates: []tls.Certificate{fr.certs[i-1]}, MinVersion: tls.VersionTLS12}}
				for _, ev := range def.Events {
					topic, err := flow.ExpandTopic(ev.Topic, thing, r.h.Region(), r.h.AccountID())
					if err != nil {
						return o, err
					}
					o.Events = append(o.Events, device.Event{Name: ev.Name, Topic: topic})
				}
				for _, a := range def.Actions {
					req, err := flow.ExpandTopic(a.RequestTopic, thing, r.h.Region(), r.h.AccountID())
					if err != nil {
						return o, err
					}
					var resp string
					if a.ResponseTopic != "" {
						if resp, err = flow.ExpandTopic(a.ResponseTopic, thing, r.h.Region(), r.h.AccountID()); err != nil {
							return o, err
						}
					}
					o.Actions = append(o.Actions, device.Action{Name: a.Name, RequestTopic: req, ResponseTopic: resp})
				}
				return o, nil
			},
		})
		if err != nil {
			return fmt.Errorf("fleet %s: %w", spec.Name, err)
		}
		fr.fleet = fl
		fr.connectTime = time.Since(start)
		r.log.Info("fleet connected", "fleet", spec.Name, "devices", spec.Count,
			"setup", fr.setupTime, "deploy", fr.deployTime, "connect", fr.connectTime)
	}
	return nil
}

// fleetSeed gives each fleet its own streams: device i of two fleets
// must not draw the same numbers (a room's sensor and camera would move
// in lockstep).
func fleetSeed(seed uint64, fleet string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(fleet))
	return seed ^ h.Sum64()
}

// closeFleets waits for background loads (the run's context ends them
// on timeout), then disconnects every fleet.
func (r *runner) closeFleets() {
	_ = r.waitLoads()
	for _, fr := range r.fleets {
		if fr.fleet != nil {
			fr.fleet.Close()
		}
	}
}

// waitLoads waits for every background load and returns the first error.
func (r *runner) waitLoads() error {
	var first error
	for _, name := range sortedKeys(r.fleets) {
		if err := r.fleets[name].waitLoad(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

func (fr *fleetRun) waitLoad() error {
	if fr.bg == nil {
		return nil
	}
	<-fr.bg
	fr.bg = nil
	return fr.bgErr
}

// load runs a load step, or starts it in the background.
func (r *runner) load(ctx context.Context, l *LoadStep) error {
	fr := r.fleets[l.Fleet]
	if fr == nil || fr.fleet == nil {
		return fmt.Errorf("load: fleet %s is not connected", l.Fleet)
	}
	if err := fr.waitLoad(); err != nil {
		return err
	}
	sched := *fr.behaviour.Schedule
	if l.Count > 0 || l.Duration > 0 {
		sched.Count, sched.Duration = l.Count, time.Duration(l.Duration)
	}
	if !l.Background {
		return fr.runLoad(ctx, &sched)
	}
	// Only this goroutine touches fr.loads until bg is closed; readers
	// call waitLoad first.
	fr.bg = make(chan struct{})
	go func() {
		defer close(fr.bg)
		fr.bgErr = fr.runLoad(ctx, &sched)
	}()
	return nil
}

func (fr *fleetRun) runLoad(ctx context.Context, sched *device.Schedule) error {
	res, err := fr.fleet.Load(ctx, sched)
	if res != nil {
		fr.loads = append(fr.loads, res)
	}
	if err != nil {
		return fmt.Errorf("load %s: %w", fr.spec.Name, err)
	}
	if failed := len(res.Sent) - res.Acked(); failed > 0 {
		for _, s := range res.Sent {
			if s.Err != nil {
				return fmt.Errorf("load %s: %d of %d publishes failed; first: %w", fr.spec.Name, failed, len(res.Sent), s.Err)
			}
		}
	}
	return nil
}

// arrived counts, per thing of the fleet, the load events that arrived
// downstream: executions of its flow configuration (any status: a failed
// execution still received its event), or messages AWS IoT Core accepted
// on its event topic.
func (r *runner) arrived(fr *fleetRun) map[string]int {
	out := map[string]int{}
	if len(fr.instance) > 0 {
		byInstance := map[string]string{}
		for th, id := range fr.instance {
			byInstance[id] = th
		}
		for _, rt := range r.runtimes() {
			for _, ex := range rt.Executions() {
				if th, ok := byInstance[ex.SystemInstanceID]; ok {
					out[th]++
				}
			}
		}
		return out
	}
	byTopic := map[string]string{}
	for th, t := range fr.topic {
		byTopic[t] = th
	}
	for _, m := range r.h.CloudMessages() {
		if th, ok := byTopic[m.Topic]; ok {
			out[th]++
		}
	}
	return out
}

// lost returns how many acknowledged load events have not arrived,
// waiting up to wait for stragglers (an event is acknowledged by the core
// before it is routed).
func (r *runner) lost(ctx context.Context, fr *fleetRun, wait time.Duration) (lost, acked int) {
	count := func() (int, int) {
		got := r.arrived(fr)
		lost, acked := 0, 0
		for _, m := range fr.fleet.Members {
			a := m.Acked()
			acked += a
			lost += max(0, a-got[m.Thing])
		}
		return lost, acked
	}
	deadline := time.Now().Add(wait)
	for {
		lost, acked = count()
		if lost == 0 || time.Now().After(deadline) || ctx.Err() != nil {
			return lost, acked
		}
		select {
		case <-ctx.Done():
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// checkFleets checks expect.fleets, once background loads are done.
func (r *runner) checkFleets(ctx context.Context) {
	if err := r.waitLoads(); err != nil {
		r.check("fleet background loads", false, "%v", err)
	}
	for _, e := range r.f.Expect.Fleets {
		fr := r.fleets[e.Fleet]
		if fr == nil || fr.fleet == nil {
			r.check("fleet "+e.Fleet, false, "the fleet never connected")
			continue
		}
		var sent []device.Sent
		var window time.Duration
		for _, l := range fr.loads {
			sent = append(sent, l.Sent...)
			window += l.End.Sub(l.Start)
		}
		all := &device.LoadResult{Sent: sent}
		lat := all.AckLatencies()
		if e.Lost != nil {
			lost, acked := r.lost(ctx, fr, 5*time.Second)
			where := "at AWS IoT Core"
			if len(fr.instance) > 0 {
				where = "as executions"
			}
			// Requests the behaviours dropped fail executions; they are
			// not lost events, but the figure explains failed counts.
			dropped := 0
			for _, other := range r.fleets {
				if other.fleet == nil {
					continue
				}
				for _, m := range other.fleet.Members {
					dropped += m.Dropped()
				}
			}
			r.check("fleet "+e.Fleet+" lost", lost <= *e.Lost, "%d of %d acknowledged events never arrived %s, want at most %d (fleets left %d action requests unanswered)",
				lost, acked, where, *e.Lost, dropped)
		}
		if e.PerSecond > 0 {
			rate := 0.0
			if window > 0 {
				rate = float64(len(lat)) / window.Seconds()
			}
			_, note := r.slack()
			r.check("fleet "+e.Fleet+" publishes per second", rate >= r.rateBound(e.PerSecond), "%.1f/s (%d acknowledged in %s), want at least %g/s%s",
				rate, len(lat), window.Round(time.Millisecond), r.rateBound(e.PerSecond), note)
		}
		pct := func(p float64) time.Duration {
			if len(lat) == 0 {
				return 0
			}
			return lat[int(p*float64(len(lat)-1))]
		}
		if e.P50 > 0 {
			got := pct(0.5)
			_, note := r.slack()
			r.check("fleet "+e.Fleet+" PUBACK p50", len(lat) > 0 && got <= r.latencyBound(e.P50), "%s over %d publishes, want at most %s%s", got, len(lat), r.latencyBound(e.P50), note)
		}
		if e.P99 > 0 {
			got := pct(0.99)
			_, note := r.slack()
			r.check("fleet "+e.Fleet+" PUBACK p99", len(lat) > 0 && got <= r.latencyBound(e.P99), "%s over %d publishes, want at most %s%s", got, len(lat), r.latencyBound(e.P99), note)
		}
		r.check("fleet "+e.Fleet+" timing", true, "%d devices: things and certificates %s, flow configurations or group %s, discovery and connect %s",
			len(fr.things), fr.setupTime.Round(time.Millisecond), fr.deployTime.Round(time.Millisecond), fr.connectTime.Round(time.Millisecond))
	}
}

// disconnectFleet takes a fraction of a fleet's devices offline (a
// fault) and waits until their core has let them go, so the steps after
// it see them offline.
func (r *runner) disconnectFleet(ts *ThingStep) error {
	fr := r.fleets[ts.Fleet]
	if fr == nil || fr.fleet == nil {
		return fmt.Errorf("fleet %s is not connected", ts.Fleet)
	}
	fraction := ts.Fraction
	if fraction == 0 {
		fraction = 1
	}
	down := fr.fleet.Disconnect(fraction)
	for _, i := range down {
		r.waitOffline(fr.spec.GreengrassGroup, fr.things[i-1])
	}
	r.log.Info("fleet devices disconnected", "fleet", ts.Fleet, "count", len(down), "of", len(fr.things))
	return nil
}

// reconnectFleet brings back every device of a fleet disconnectFleet
// took down.
func (r *runner) reconnectFleet(ctx context.Context, name string) error {
	fr := r.fleets[name]
	if fr == nil || fr.fleet == nil {
		return fmt.Errorf("fleet %s is not connected", name)
	}
	n, err := fr.fleet.Reconnect(ctx)
	r.log.Info("fleet devices reconnected", "fleet", name, "count", n)
	return err
}
