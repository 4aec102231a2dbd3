// Package bench is `tgsim bench`: it deploys the guide's motion → camera →
// screen flow for a number of rooms (one flow configuration each, all on
// one Greengrass core, over mutual TLS), drives the rooms' motion sensors
// at a fixed total rate for a duration, and measures what a user of the
// real system would: flows completed per second, the end-to-end latency
// from a motion event to the screen's display request (two hops mediated
// by the Things Graph runtime), failed executions, and the core's drops by
// reason. The bench's own cost per event is measured too, so it is known
// not to be the bottleneck. Result renders as a table and as a
// self-contained HTML report (inline SVG charts, no script, opens offline).
//
// Run sets the world up in process (a harness and its core); RunRemote
// does the same through the network against a `tgsim up` whose group a
// `tgsim core` serves elsewhere, so several bench processes or containers
// (shards) can share one core's load.
package bench

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/greengrass"
	ggtypes "github.com/aws/aws-sdk-go-v2/service/greengrass/types"
	"github.com/aws/aws-sdk-go-v2/service/iot"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	awsv1 "github.com/aws/aws-sdk-go/aws"
	credsv1 "github.com/aws/aws-sdk-go/aws/credentials"
	"github.com/aws/aws-sdk-go/aws/session"
	"github.com/aws/aws-sdk-go/service/iotthingsgraph"

	"github.com/tgsim/tgsim/sim/device"
	"github.com/tgsim/tgsim/sim/flow"
	"github.com/tgsim/tgsim/sim/harness"
)

// Options configures a run.
type Options struct {
	// Rooms is the number of flow configurations (each a motion sensor, a
	// camera and a screen); default 10.
	Rooms int
	// Rate is motion events per second over all rooms; default 100.
	Rate float64
	// Duration of the load; default 10s. Events still in flight get
	// Drain (default 5s) to finish.
	Duration, Drain time.Duration
	// Shard i/n drives only the rooms r with r%n == i (at Rate/n), so n
	// processes share one load. Default 0/1.
	ShardIndex, ShardCount int
	// Progress, when set, gets a progress line every second.
	Progress io.Writer
	// Dir holds the scenario's TDM (scenarios/motion-camera); default
	// found relative to the working directory.
	Dir string
}

// Sample is one second of the run.
type Sample struct {
	Second    int
	Sent      int
	Completed int
	P50, P99  time.Duration
}

// Result is what a run measured.
type Result struct {
	Options   Options
	Started   time.Time
	Elapsed   time.Duration
	Setup     time.Duration
	Sent      int
	Completed int
	// Failed executions, as the runtime recorded them.
	Failed int
	// Lost events: sent, but the screen never got the display request.
	Lost      int
	Latencies []time.Duration // sorted
	Timeline  []Sample
	// Drops are the core's dropped messages by reason.
	Drops map[string]uint64
	// Overhead is the bench's own work per event (publish call excluded).
	Overhead time.Duration
	// PublishErrors are events the sensor could not publish.
	PublishErrors int
	// Remote is the endpoint of a remote run (RunRemote); its core's
	// drops are not visible to the bench.
	Remote string
}

// Percentile returns the p-th percentile (0–100) of the latencies.
func (r *Result) Percentile(p float64) time.Duration {
	if len(r.Latencies) == 0 {
		return 0
	}
	i := int(p / 100 * float64(len(r.Latencies)-1))
	return r.Latencies[i]
}

// Throughput is completed flows per second over the load.
func (r *Result) Throughput() float64 {
	if r.Options.Duration <= 0 {
		return 0
	}
	return float64(r.Completed) / r.Options.Duration.Seconds()
}

type room struct {
	n                      int
	motion, camera, screen *device.Device
	mu                     sync.Mutex
	pending                []time.Time // emit times awaiting their display, FIFO
}

// Run sets the rooms up in h (which must have been started with CoreTLS)
// and drives them.
func Run(ctx context.Context, h *harness.Harness, opts Options) (*Result, error) {
	opts, err := withDefaults(opts)
	if err != nil {
		return nil, err
	}
	res := &Result{Options: opts, Drops: map[string]uint64{}}
	setupStart := time.Now()
	rooms, rc, err := setup(ctx, h, opts)
	defer closeRooms(rooms)
	if err != nil {
		return nil, err
	}
	res.Setup = time.Since(setupStart)
	drive(ctx, rooms, opts, res)
	if rt := rc.Runtime(); rt != nil {
		c := rt.Counts()
		res.Failed = c[flow.StatusFailed] + c[flow.StatusAborted]
	}
	for k, v := range rc.Drops() {
		res.Drops[k.Reason] += v
	}
	return res, nil
}

// withDefaults fills the zero fields of opts and checks the shard.
func withDefaults(opts Options) (Options, error) {
	if opts.Rooms <= 0 {
		opts.Rooms = 10
	}
	if opts.Rate <= 0 {
		opts.Rate = 100
	}
	if opts.Duration <= 0 {
		opts.Duration = 10 * time.Second
	}
	if opts.Drain <= 0 {
		opts.Drain = 5 * time.Second
	}
	if opts.ShardCount <= 0 {
		opts.ShardIndex, opts.ShardCount = 0, 1
	}
	if opts.ShardIndex < 0 || opts.ShardIndex >= opts.ShardCount {
		return opts, fmt.Errorf("bench: shard %d/%d: want 0 <= i < n", opts.ShardIndex, opts.ShardCount)
	}
	if opts.Dir == "" {
		d, err := findScenarioDir()
		if err != nil {
			return opts, err
		}
		opts.Dir = d
	}
	return opts, nil
}

// findScenarioDir looks for scenarios/motion-camera from the working
// directory up.
func findScenarioDir() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		p := filepath.Join(dir, "scenarios", "motion-camera")
		if st, err := os.Stat(p); err == nil && st.IsDir() {
			return p, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("bench: scenarios/motion-camera not found from the working directory up; run tgsim bench in the repository, or pass --dir")
		}
		dir = parent
	}
}

// setup creates the group, the things and one flow configuration per
// room through the official clients, deploys them, and connects the
// devices of the rooms this shard drives.
func setup(ctx context.Context, h *harness.Harness, opts Options) ([]*room, *harness.RunningCore, error) {
	docs, err := readDocs(opts.Dir)
	if err != nil {
		return nil, nil, err
	}
	c, err := newClients(ctx, h.URL, h.AWS)
	if err != nil {
		return nil, nil, err
	}
	const group, bucket = "bench", "bench-flows"
	if err := c.ensureBucket(ctx, bucket); err != nil {
		return nil, nil, err
	}
	g, err := c.createGroup(ctx, group)
	if err != nil {
		return nil, nil, err
	}
	rc, err := h.StartCore(group, "")
	if err != nil {
		return nil, nil, err
	}
	if err := c.ensureTemplates(ctx, docs); err != nil {
		return nil, nil, err
	}
	var names []string
	for n := 1; n <= opts.Rooms; n++ {
		names = append(names, fmt.Sprintf("Room%d", n))
	}
	lastDeployment, _, err := c.deployRooms(ctx, docs, names, group, bucket)
	if err != nil {
		return nil, nil, err
	}
	// Each deployment carries the whole group: the last one applied means
	// every room is in the core's table.
	if res, err := rc.WaitDeployment(ctx, lastDeployment); err != nil {
		return nil, rc, err
	} else if res.Status != "Success" {
		return nil, rc, fmt.Errorf("greengrass deployment %s: %s: %s", lastDeployment, res.Status, res.Error)
	}
	roots, err := groupRoots(ctx, c.gg, g)
	if err != nil {
		return nil, rc, err
	}
	var rooms []*room
	for n := 1; n <= opts.Rooms; n++ {
		if (n-1)%opts.ShardCount != opts.ShardIndex {
			continue
		}
		rm, err := connectRoom(ctx, n, names[n-1], rc.MQTTAddr(), func(thing string) *tls.Config {
			return &tls.Config{RootCAs: roots, Certificates: []tls.Certificate{c.certs[thing]}, MinVersion: tls.VersionTLS12}
		})
		if err != nil {
			return rooms, rc, err
		}
		rooms = append(rooms, rm)
	}
	return rooms, rc, nil
}

// docs are the guide's TDM documents: the flow, the system, and one
// deployment (Room215, renamed per room).
type docs struct{ flow, system, deployment string }

func readDocs(dir string) (docs, error) {
	var d docs
	for name, dst := range map[string]*string{"security-flow.workflow.graphql": &d.flow, "security-flow.system.graphql": &d.system, "room215.deployment.graphql": &d.deployment} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return docs{}, err
		}
		*dst = string(b)
	}
	return d, nil
}

// clients are the official clients the bench sets rooms up with, and the
// certificates (with keys) of the things it created.
type clients struct {
	tg    *iotthingsgraph.IoTThingsGraph
	iot   *iot.Client
	gg    *greengrass.Client
	s3    *s3.Client
	certs map[string]tls.Certificate
}

func newClients(ctx context.Context, endpoint string, cfg aws.Config) (*clients, error) {
	creds, err := cfg.Credentials.Retrieve(ctx)
	if err != nil {
		return nil, fmt.Errorf("bench: credentials: %w", err)
	}
	sess, err := session.NewSession(&awsv1.Config{Region: awsv1.String(cfg.Region), Endpoint: awsv1.String(endpoint),
		Credentials: credsv1.NewStaticCredentials(creds.AccessKeyID, creds.SecretAccessKey, creds.SessionToken),
		MaxRetries:  awsv1.Int(0), Logger: awsv1.LoggerFunc(func(...any) {})})
	if err != nil {
		return nil, err
	}
	ep := aws.String(endpoint)
	return &clients{
		tg:    iotthingsgraph.New(sess),
		iot:   iot.NewFromConfig(cfg, func(o *iot.Options) { o.BaseEndpoint = ep }),
		gg:    greengrass.NewFromConfig(cfg, func(o *greengrass.Options) { o.BaseEndpoint = ep }),
		s3:    s3.NewFromConfig(cfg, func(o *s3.Options) { o.BaseEndpoint = ep; o.UsePathStyle = true }),
		certs: map[string]tls.Certificate{},
	}, nil
}

// thing creates a thing (or finds it: CreateThing is idempotent) with a
// new active certificate attached, and keeps the certificate's key.
func (c *clients) thing(ctx context.Context, name string) (arn, certArn string, err error) {
	th, err := c.iot.CreateThing(ctx, &iot.CreateThingInput{ThingName: aws.String(name)})
	if err != nil {
		return "", "", fmt.Errorf("iot CreateThing %s: %w", name, err)
	}
	kc, err := c.iot.CreateKeysAndCertificate(ctx, &iot.CreateKeysAndCertificateInput{SetAsActive: true})
	if err != nil {
		return "", "", fmt.Errorf("iot CreateKeysAndCertificate: %w", err)
	}
	if _, err := c.iot.AttachThingPrincipal(ctx, &iot.AttachThingPrincipalInput{ThingName: aws.String(name), Principal: kc.CertificateArn}); err != nil {
		return "", "", fmt.Errorf("iot AttachThingPrincipal %s: %w", name, err)
	}
	pair, err := tls.X509KeyPair([]byte(aws.ToString(kc.CertificatePem)), []byte(aws.ToString(kc.KeyPair.PrivateKey)))
	if err != nil {
		return "", "", err
	}
	c.certs[name] = pair
	return aws.ToString(th.ThingArn), aws.ToString(kc.CertificateArn), nil
}

func (c *clients) ensureBucket(ctx context.Context, bucket string) error {
	_, err := c.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)})
	var owned *s3types.BucketAlreadyOwnedByYou
	if err != nil && !errors.As(err, &owned) {
		return fmt.Errorf("s3 CreateBucket %s: %w", bucket, err)
	}
	return nil
}

// createGroup creates a Greengrass group whose core is the thing
// GROUP_Core, as the console's group creation does, and returns its id.
func (c *clients) createGroup(ctx context.Context, group string) (string, error) {
	coreArn, coreCert, err := c.thing(ctx, group+"_Core")
	if err != nil {
		return "", err
	}
	cd, err := c.gg.CreateCoreDefinition(ctx, &greengrass.CreateCoreDefinitionInput{InitialVersion: &ggtypes.CoreDefinitionVersion{Cores: []ggtypes.Core{
		{Id: aws.String("core"), ThingArn: aws.String(coreArn), CertificateArn: aws.String(coreCert)}}}})
	if err != nil {
		return "", fmt.Errorf("greengrass CreateCoreDefinition: %w", err)
	}
	g, err := c.gg.CreateGroup(ctx, &greengrass.CreateGroupInput{Name: aws.String(group), InitialVersion: &ggtypes.GroupVersion{CoreDefinitionVersionArn: cd.LatestVersionArn}})
	if err != nil {
		return "", fmt.Errorf("greengrass CreateGroup %s: %w", group, err)
	}
	return aws.ToString(g.Id), nil
}

// ensureTemplates creates the flow and the system templates; ones that
// exist already (another shard's, an earlier run's) are used as they are.
func (c *clients) ensureTemplates(ctx context.Context, d docs) error {
	doc := func(text string) *iotthingsgraph.DefinitionDocument {
		return &iotthingsgraph.DefinitionDocument{Language: awsv1.String("GRAPHQL"), Text: awsv1.String(text)}
	}
	var exists *iotthingsgraph.ResourceAlreadyExistsException
	if _, err := c.tg.CreateFlowTemplateWithContext(ctx, &iotthingsgraph.CreateFlowTemplateInput{Definition: doc(d.flow)}); err != nil && !errors.As(err, &exists) {
		return fmt.Errorf("CreateFlowTemplate: %w", err)
	}
	if _, err := c.tg.CreateSystemTemplateWithContext(ctx, &iotthingsgraph.CreateSystemTemplateInput{Definition: doc(d.system)}); err != nil && !errors.As(err, &exists) {
		return fmt.Errorf("CreateSystemTemplate: %w", err)
	}
	return nil
}

// deployRooms creates each room's three things, associates them with the
// guide's devices, creates its system instance on the group and deploys
// it. It returns the last Greengrass deployment and the instances' ids.
func (c *clients) deployRooms(ctx context.Context, d docs, names []string, group, bucket string) (lastDeployment string, instances []string, err error) {
	doc := func(text string) *iotthingsgraph.DefinitionDocument {
		return &iotthingsgraph.DefinitionDocument{Language: awsv1.String("GRAPHQL"), Text: awsv1.String(text)}
	}
	for _, name := range names {
		for _, kd := range [][2]string{{"Motion", "urn:tdm:aws/examples:Device:HCSR501MotionSensor"}, {"Camera", "urn:tdm:aws/examples:Device:RaspberryPiCamera"}, {"Screen", "urn:tdm:aws/examples:Device:RaspberryPiScreen"}} {
			if _, _, err := c.thing(ctx, name+kd[0]); err != nil {
				return "", nil, err
			}
			if _, err := c.tg.AssociateEntityToThingWithContext(ctx, &iotthingsgraph.AssociateEntityToThingInput{ThingName: awsv1.String(name + kd[0]), EntityId: awsv1.String(kd[1])}); err != nil {
				return "", nil, fmt.Errorf("AssociateEntityToThing %s: %w", name+kd[0], err)
			}
		}
		text := strings.ReplaceAll(d.deployment, "Room215", name)
		out, err := c.tg.CreateSystemInstanceWithContext(ctx, &iotthingsgraph.CreateSystemInstanceInput{Definition: doc(text), Target: awsv1.String("GREENGRASS"),
			GreengrassGroupName: awsv1.String(group), S3BucketName: awsv1.String(bucket)})
		if err != nil {
			return "", nil, fmt.Errorf("CreateSystemInstance %s: %w", name, err)
		}
		id := awsv1.StringValue(out.Summary.Id)
		dep, err := c.tg.DeploySystemInstanceWithContext(ctx, &iotthingsgraph.DeploySystemInstanceInput{Id: out.Summary.Id})
		if err != nil {
			return "", nil, fmt.Errorf("DeploySystemInstance %s: %w", name, err)
		}
		lastDeployment = awsv1.StringValue(dep.GreengrassDeploymentId)
		instances = append(instances, id)
	}
	return lastDeployment, instances, nil
}

// connectRoom connects a room's camera, screen and motion sensor to the
// core at broker, each with the TLS configuration tlsFor gives its thing.
func connectRoom(ctx context.Context, n int, name, broker string, tlsFor func(thing string) *tls.Config) (*room, error) {
	rm := &room{n: n}
	conn := func(thing string, o device.Options) (*device.Device, error) {
		o.ThingName, o.Broker, o.TLS = thing, broker, tlsFor(thing)
		return device.Connect(ctx, o)
	}
	var err error
	if rm.camera, err = conn(name+"Camera", device.Options{Actions: []device.Action{{Name: "capture", RequestTopic: name + "Camera/capture", ResponseTopic: name + "Camera/capture/finished",
		Respond: func(seq int, _ []byte) []byte {
			return []byte(fmt.Sprintf(`{"lastClickedImage":"https://images.example/%s/%d.jpg"}`, name, seq))
		}}}}); err != nil {
		return nil, err
	}
	if rm.screen, err = conn(name+"Screen", device.Options{Actions: []device.Action{{Name: "display", RequestTopic: name + "Screen/display"}}}); err != nil {
		rm.camera.Close()
		return nil, err
	}
	if rm.motion, err = conn(name+"Motion", device.Options{Events: []device.Event{{Name: "StateChanged", Topic: name + "Motion/motion"}}}); err != nil {
		rm.camera.Close()
		rm.screen.Close()
		return nil, err
	}
	return rm, nil
}

func groupRoots(ctx context.Context, gg *greengrass.Client, groupID string) (*x509.CertPool, error) {
	cas, err := gg.ListGroupCertificateAuthorities(ctx, &greengrass.ListGroupCertificateAuthoritiesInput{GroupId: &groupID})
	if err != nil {
		return nil, err
	}
	roots := x509.NewCertPool()
	for _, ca := range cas.GroupCertificateAuthorities {
		out, err := gg.GetGroupCertificateAuthority(ctx, &greengrass.GetGroupCertificateAuthorityInput{GroupId: &groupID, CertificateAuthorityId: ca.GroupCertificateAuthorityId})
		if err != nil {
			return nil, err
		}
		roots.AppendCertsFromPEM([]byte(aws.ToString(out.PemEncodedCertificate)))
	}
	return roots, nil
}

// drive emits motion events round-robin over the rooms at the rate, and
// pairs each screen display with the oldest pending event of its room.
func drive(ctx context.Context, rooms []*room, opts Options, res *Result) {
	rate := opts.Rate / float64(opts.ShardCount)
	var mu sync.Mutex
	var lat []time.Duration
	perSec := map[int]*Sample{}
	secLat := map[int][]time.Duration{}
	start := time.Now()
	res.Started = start
	sample := func(t time.Time) *Sample {
		s := int(t.Sub(start) / time.Second)
		if perSec[s] == nil {
			perSec[s] = &Sample{Second: s}
		}
		return perSec[s]
	}
	// Displays are observed by polling each screen's received list.
	seen := make([]int, len(rooms))
	collect := func() {
		for i, rm := range rooms {
			got := rm.screen.Received()
			for _, r := range got[seen[i]:] {
				rm.mu.Lock()
				if len(rm.pending) == 0 {
					rm.mu.Unlock()
					continue
				}
				t0 := rm.pending[0]
				rm.pending = rm.pending[1:]
				rm.mu.Unlock()
				d := r.At.Sub(t0)
				mu.Lock()
				lat = append(lat, d)
				s := sample(r.At)
				s.Completed++
				secLat[s.Second] = append(secLat[s.Second], d)
				mu.Unlock()
			}
			seen[i] = len(got)
		}
	}
	// One sender per room, each at its share of the rate and staggered,
	// so a publish waiting for its PUBACK never holds the others back.
	perRoom := time.Duration(float64(time.Second) * float64(len(rooms)) / rate)
	deadline := start.Add(opts.Duration)
	var sendMu sync.Mutex
	var overhead time.Duration
	var wg sync.WaitGroup
	for i, rm := range rooms {
		wg.Add(1)
		go func() {
			defer wg.Done()
			first := start.Add(perRoom * time.Duration(i) / time.Duration(len(rooms)))
			for k := 0; ; k++ {
				at := first.Add(perRoom * time.Duration(k))
				if !at.Before(deadline) || ctx.Err() != nil {
					return
				}
				if d := time.Until(at); d > 0 {
					select {
					case <-ctx.Done():
						return
					case <-time.After(d):
					}
				}
				t0 := time.Now()
				rm.mu.Lock()
				rm.pending = append(rm.pending, t0)
				rm.mu.Unlock()
				mu.Lock()
				sample(t0).Sent++
				mu.Unlock()
				// The room's sequence number lets a subscriber check order.
				payload := fmt.Appendf(nil, `{"isMotionDetected":true,"seq":%d}`, k)
				cost := time.Since(t0)
				err := rm.motion.Emit(ctx, "StateChanged", payload)
				sendMu.Lock()
				res.Sent++
				overhead += cost
				if err != nil {
					res.PublishErrors++
				}
				sendMu.Unlock()
			}
		}()
	}
	progress := time.NewTicker(time.Second)
	defer progress.Stop()
	for time.Now().Before(deadline) && ctx.Err() == nil {
		select {
		case <-ctx.Done():
		case <-time.After(time.Until(deadline)):
		case <-progress.C:
			collect()
			if opts.Progress != nil {
				mu.Lock()
				l := append([]time.Duration(nil), lat...)
				mu.Unlock()
				sort.Slice(l, func(i, j int) bool { return l[i] < l[j] })
				sendMu.Lock()
				sent, perr := res.Sent, res.PublishErrors
				sendMu.Unlock()
				el := time.Since(start).Truncate(time.Second)
				fmt.Fprintf(opts.Progress, "\r%s  sent %d  completed %d  %.0f/s  p50 %s  p99 %s  publish errors %d ",
					el, sent, len(l), float64(len(l))/time.Since(start).Seconds(), pct(l, 50), pct(l, 99), perr)
			}
		}
	}
	wg.Wait()
	// Drain: wait for the displays still coming.
	drainEnd := time.Now().Add(opts.Drain)
	for time.Now().Before(drainEnd) && ctx.Err() == nil {
		collect()
		mu.Lock()
		done := len(lat)
		mu.Unlock()
		if done >= res.Sent {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	collect()
	if opts.Progress != nil {
		fmt.Fprintln(opts.Progress)
	}
	res.Elapsed = time.Since(start)
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	res.Latencies, res.Completed = lat, len(lat)
	res.Lost = res.Sent - res.Completed
	if res.Sent > 0 {
		res.Overhead = overhead / time.Duration(res.Sent)
	}
	var secs []int
	for s := range perSec {
		secs = append(secs, s)
	}
	sort.Ints(secs)
	for _, s := range secs {
		smp := *perSec[s]
		l := secLat[s]
		sort.Slice(l, func(i, j int) bool { return l[i] < l[j] })
		smp.P50, smp.P99 = pct(l, 50), pct(l, 99)
		res.Timeline = append(res.Timeline, smp)
	}
}

func pct(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[int(p/100*float64(len(sorted)-1))]
}

// MarshalJSON writes the result with durations in milliseconds.
func (r *Result) MarshalJSON() ([]byte, error) {
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	type sample struct {
		Second, Sent, Completed int
		P50ms, P99ms            float64
	}
	var tl []sample
	for _, s := range r.Timeline {
		tl = append(tl, sample{s.Second, s.Sent, s.Completed, ms(s.P50), ms(s.P99)})
	}
	return json.Marshal(map[string]any{
		"rooms": r.Options.Rooms, "rate": r.Options.Rate, "durationSeconds": r.Options.Duration.Seconds(),
		"shard":        fmt.Sprintf("%d/%d", r.Options.ShardIndex, r.Options.ShardCount),
		"setupSeconds": r.Setup.Seconds(), "sent": r.Sent, "completed": r.Completed, "lost": r.Lost, "failedExecutions": r.Failed,
		"publishErrors": r.PublishErrors, "throughputPerSecond": r.Throughput(),
		"p50ms": ms(r.Percentile(50)), "p90ms": ms(r.Percentile(90)), "p99ms": ms(r.Percentile(99)), "maxms": ms(r.Percentile(100)),
		"benchOverheadMicrosPerEvent": float64(r.Overhead.Nanoseconds()) / 1000, "drops": r.Drops, "timeline": tl,
	})
}

// closeRooms disconnects every room's devices.
func closeRooms(rooms []*room) {
	for _, rm := range rooms {
		rm.motion.Close()
		rm.camera.Close()
		rm.screen.Close()
	}
}
