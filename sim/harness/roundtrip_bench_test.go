package harness_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/greengrass"
	ggtypes "github.com/aws/aws-sdk-go-v2/service/greengrass/types"
	"github.com/aws/aws-sdk-go-v2/service/iot"
	s3sdk "github.com/aws/aws-sdk-go-v2/service/s3"
	awsv1 "github.com/aws/aws-sdk-go/aws"
	credsv1 "github.com/aws/aws-sdk-go/aws/credentials"
	"github.com/aws/aws-sdk-go/aws/session"
	"github.com/aws/aws-sdk-go/service/iotthingsgraph"

	"github.com/tgsim/tgsim/sim/device"
	"github.com/tgsim/tgsim/sim/flow"
	"github.com/tgsim/tgsim/sim/harness"
)

// The mediated round trip benchmark deploys the guide's motion → camera →
// screen flow (scenarios/motion-camera) to one Greengrass core over mutual
// TLS, rtChains times: flow configuration Room215_k binds RtMotion_k,
// RtCamera_k and RtScreen_k, all in one group, so one core and one Things
// Graph runtime mediate every execution. Motion events are published open
// loop at a fixed rate, round robin over the chains, and each execution
// is timed from the motion publish to the screen receiving its display
// message: motion event → runtime → capture request → camera → capture
// response → runtime → display request → screen (two mediated hops).
//
// Several chains keep executions of one chain from overlapping (at
// 1,000/s each chain gets an event every rtChains ms), so the k-th display
// on a screen is the k-th motion event of its sensor; events published
// while their chain still had one in flight are counted as "overlaps".
//
//	go test -run '^$' -bench MediatedRoundTrip -benchtime 3000x ./sim/harness/
const rtChains = 20

// rtTraceEnv, when set to PATH, makes each measured run write every
// execution's publish offset and latency to PATH.RATE.csv.
const rtTraceEnv = "TGSIM_RT_TRACE"

type rtChain struct {
	motion, camera, screen *device.Device
	motionTopic            string
	displayTopic           string
}

type rtWorld struct {
	h      *harness.Harness
	group  string
	chains []*rtChain
}

// BenchmarkMediatedRoundTrip measures the mediated round trip at 100 and
// 1,000 flows per second; b.N is the number of motion events (flows).
func BenchmarkMediatedRoundTrip(b *testing.B) {
	// As the tgsim binary runs (GOGC=400 unless the environment says).
	harness.TuneGC()
	defer debug.SetGCPercent(100)
	w := setupRoundTrip(b)
	defer w.close()
	for _, rate := range []int{100, 1000} {
		b.Run(fmt.Sprintf("rate=%d", rate), func(b *testing.B) { w.run(b, rate, b.N) })
	}
}

func setupRoundTrip(b *testing.B) *rtWorld {
	b.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	h, err := harness.Start(harness.Options{CoreTLS: true})
	if err != nil {
		b.Fatal(err)
	}
	w := &rtWorld{h: h, group: "room215"}
	ok := false
	defer func() {
		if !ok {
			w.close()
		}
	}()
	ep := aws.String(h.URL)
	iotc := iot.NewFromConfig(h.AWS, func(o *iot.Options) { o.BaseEndpoint = ep })
	ggc := greengrass.NewFromConfig(h.AWS, func(o *greengrass.Options) { o.BaseEndpoint = ep })
	s3c := s3sdk.NewFromConfig(h.AWS, func(o *s3sdk.Options) { o.BaseEndpoint = ep; o.UsePathStyle = true })
	akid, secret := h.Credentials()
	tg := iotthingsgraph.New(session.Must(session.NewSession(&awsv1.Config{
		Region: awsv1.String(h.Region()), Endpoint: awsv1.String(h.URL),
		Credentials: credsv1.NewStaticCredentials(akid, secret, ""), MaxRetries: awsv1.Int(0),
		Logger: awsv1.LoggerFunc(func(...any) {}),
	})))
	certs := map[string]tls.Certificate{}
	thingWithCert := func(name string) (thingArn, certArn string) {
		th, err := iotc.CreateThing(ctx, &iot.CreateThingInput{ThingName: aws.String(name)})
		if err != nil {
			b.Fatalf("CreateThing %s: %v", name, err)
		}
		cert, err := iotc.CreateKeysAndCertificate(ctx, &iot.CreateKeysAndCertificateInput{SetAsActive: true})
		if err != nil {
			b.Fatalf("CreateKeysAndCertificate: %v", err)
		}
		if _, err := iotc.AttachThingPrincipal(ctx, &iot.AttachThingPrincipalInput{ThingName: aws.String(name), Principal: cert.CertificateArn}); err != nil {
			b.Fatalf("AttachThingPrincipal %s: %v", name, err)
		}
		pair, err := tls.X509KeyPair([]byte(aws.ToString(cert.CertificatePem)), []byte(aws.ToString(cert.KeyPair.PrivateKey)))
		if err != nil {
			b.Fatal(err)
		}
		certs[name] = pair
		return aws.ToString(th.ThingArn), aws.ToString(cert.CertificateArn)
	}

	// setup: bucket, group with its core, things, associations, flow, system.
	if _, err := s3c.CreateBucket(ctx, &s3sdk.CreateBucketInput{Bucket: aws.String("room215-flows")}); err != nil {
		b.Fatal(err)
	}
	coreArn, coreCert := thingWithCert(w.group + "_Core")
	cd, err := ggc.CreateCoreDefinition(ctx, &greengrass.CreateCoreDefinitionInput{Name: aws.String(w.group + "-core"),
		InitialVersion: &ggtypes.CoreDefinitionVersion{Cores: []ggtypes.Core{
			{Id: aws.String("core"), ThingArn: aws.String(coreArn), CertificateArn: aws.String(coreCert), SyncShadow: aws.Bool(false)}}}})
	if err != nil {
		b.Fatal(err)
	}
	grp, err := ggc.CreateGroup(ctx, &greengrass.CreateGroupInput{Name: aws.String(w.group),
		InitialVersion: &ggtypes.GroupVersion{CoreDefinitionVersionArn: cd.LatestVersionArn}})
	if err != nil {
		b.Fatal(err)
	}
	rc, err := h.StartCore(w.group, "")
	if err != nil {
		b.Fatal(err)
	}
	devOf := map[string]string{
		"Motion": "urn:tdm:aws/examples:Device:HCSR501MotionSensor",
		"Camera": "urn:tdm:aws/examples:Device:RaspberryPiCamera",
		"Screen": "urn:tdm:aws/examples:Device:RaspberryPiScreen",
	}
	name := func(role string, k int) string { return fmt.Sprintf("Rt%s%02d", role, k) }
	for k := range rtChains {
		for _, role := range []string{"Motion", "Camera", "Screen"} {
			thingWithCert(name(role, k))
			if _, err := tg.AssociateEntityToThingWithContext(ctx, &iotthingsgraph.AssociateEntityToThingInput{
				ThingName: aws.String(name(role, k)), EntityId: aws.String(devOf[role])}); err != nil {
				b.Fatal(err)
			}
		}
	}
	read := func(p string) string {
		bs, err := os.ReadFile("../../scenarios/motion-camera/" + p)
		if err != nil {
			b.Fatal(err)
		}
		return string(bs)
	}
	doc := func(text string) *iotthingsgraph.DefinitionDocument {
		return &iotthingsgraph.DefinitionDocument{Language: awsv1.String("GRAPHQL"), Text: awsv1.String(text)}
	}
	if _, err := tg.CreateFlowTemplateWithContext(ctx, &iotthingsgraph.CreateFlowTemplateInput{Definition: doc(read("security-flow.workflow.graphql"))}); err != nil {
		b.Fatal(err)
	}
	if _, err := tg.CreateSystemTemplateWithContext(ctx, &iotthingsgraph.CreateSystemTemplateInput{Definition: doc(read("security-flow.system.graphql"))}); err != nil {
		b.Fatal(err)
	}
	// One flow configuration per chain, each deployed and applied in turn.
	deployment := read("room215.deployment.graphql")
	for k := range rtChains {
		text := strings.NewReplacer(
			"Deployment:Room215", fmt.Sprintf("Deployment:Room215_%02d", k),
			"query Room215 ", fmt.Sprintf("query Room215_%02d ", k),
			`"Room215Motion"`, `"`+name("Motion", k)+`"`,
			`"Room215Camera"`, `"`+name("Camera", k)+`"`,
			`"Room215Screen"`, `"`+name("Screen", k)+`"`,
		).Replace(deployment)
		created, err := tg.CreateSystemInstanceWithContext(ctx, &iotthingsgraph.CreateSystemInstanceInput{Definition: doc(text),
			Target: aws.String("GREENGRASS"), GreengrassGroupName: aws.String(w.group), S3BucketName: aws.String("room215-flows")})
		if err != nil {
			b.Fatalf("CreateSystemInstance %d: %v", k, err)
		}
		out, err := tg.DeploySystemInstanceWithContext(ctx, &iotthingsgraph.DeploySystemInstanceInput{Id: created.Summary.Id})
		if err != nil {
			b.Fatalf("DeploySystemInstance %d: %v", k, err)
		}
		res, err := rc.WaitDeployment(ctx, awsv1.StringValue(out.GreengrassDeploymentId))
		if err != nil {
			b.Fatal(err)
		}
		if res.Status != "Success" {
			b.Fatalf("deployment %d: %s: %s", k, res.Status, res.Error)
		}
	}
	// The devices trust the group CA, read through the Greengrass API.
	cas, err := ggc.ListGroupCertificateAuthorities(ctx, &greengrass.ListGroupCertificateAuthoritiesInput{GroupId: grp.Id})
	if err != nil {
		b.Fatal(err)
	}
	roots := x509.NewCertPool()
	for _, ca := range cas.GroupCertificateAuthorities {
		out, err := ggc.GetGroupCertificateAuthority(ctx, &greengrass.GetGroupCertificateAuthorityInput{GroupId: grp.Id, CertificateAuthorityId: ca.GroupCertificateAuthorityId})
		if err != nil {
			b.Fatal(err)
		}
		roots.AppendCertsFromPEM([]byte(aws.ToString(out.PemEncodedCertificate)))
	}
	connect := func(thing string) (*device.Device, device.Options) {
		devID, _ := h.ThingsGraph.AssociatedDevice(thing)
		def, ok := h.ThingsGraph.DeviceDefinition(h.Region(), h.AccountID(), devID)
		if !ok {
			b.Fatalf("device definition %s not found", devID)
		}
		opts := device.Options{ThingName: thing, Broker: rc.MQTTAddr(),
			TLS: &tls.Config{RootCAs: roots, Certificates: []tls.Certificate{certs[thing]}, MinVersion: tls.VersionTLS12}}
		expand := func(raw string) string {
			t, err := flow.ExpandTopic(raw, thing, h.Region(), h.AccountID())
			if err != nil {
				b.Fatal(err)
			}
			return t
		}
		for _, ev := range def.Events {
			opts.Events = append(opts.Events, device.Event{Name: ev.Name, Topic: expand(ev.Topic)})
		}
		for _, a := range def.Actions {
			act := device.Action{Name: a.Name, RequestTopic: expand(a.RequestTopic)}
			if a.ResponseTopic != "" {
				act.ResponseTopic = expand(a.ResponseTopic)
			}
			if a.Name == "capture" {
				act.Respond = func(seq int, _ []byte) []byte {
					return fmt.Appendf(nil, `{"lastClickedImage":"https://images.example/%s/%d.jpg"}`, thing, seq)
				}
			}
			opts.Actions = append(opts.Actions, act)
		}
		d, err := device.Connect(ctx, opts)
		if err != nil {
			b.Fatal(err)
		}
		return d, opts
	}
	for k := range rtChains {
		c := &rtChain{}
		var mo, so device.Options
		c.motion, mo = connect(name("Motion", k))
		c.camera, _ = connect(name("Camera", k))
		c.screen, so = connect(name("Screen", k))
		w.chains = append(w.chains, c)
		for _, e := range mo.Events {
			if e.Name == "StateChanged" {
				c.motionTopic = e.Topic
			}
		}
		for _, a := range so.Actions {
			if a.Name == "display" {
				c.displayTopic = a.RequestTopic
			}
		}
		if c.motionTopic == "" || c.displayTopic == "" {
			b.Fatalf("chain %d: motion topic %q, display topic %q", k, c.motionTopic, c.displayTopic)
		}
	}
	// Warm up: a few executions per chain, not measured.
	w.run(b, 200, 5*rtChains)
	ok = true
	return w
}

func (w *rtWorld) close() {
	for _, c := range w.chains {
		for _, d := range []*device.Device{c.motion, c.camera, c.screen} {
			if d != nil {
				d.Close()
			}
		}
	}
	_ = w.h.Close()
}

// displays returns the arrival times of the display messages a chain's
// screen got, oldest first.
func (c *rtChain) displays() []time.Time {
	var out []time.Time
	for _, r := range c.screen.Received() {
		if r.Topic == c.displayTopic {
			out = append(out, r.At)
		}
	}
	return out
}

// run publishes n motion events at rate per second, waits for every
// display, and reports the latency distribution when b is measuring.
func (w *rtWorld) run(b *testing.B, rate, n int) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(n)*time.Second/time.Duration(rate)+60*time.Second)
	defer cancel()
	rt := w.h.Core(w.group).Runtime()
	// Counts, not Executions: the runtime keeps only the newest
	// MaxExecutions, and repeated runs go past that.
	before := rt.Counts()
	base := make([]int, len(w.chains))
	for k, c := range w.chains {
		base[k] = len(c.displays())
	}
	sent := make([][]time.Time, len(w.chains))
	var pubMu sync.Mutex
	var pubErrs []error
	var wg sync.WaitGroup
	payload := []byte(`{"isMotionDetected":true}`)
	period := time.Second / time.Duration(rate)
	overlaps := 0
	b.ResetTimer()
	start := time.Now()
	var last time.Time
	for i := range n {
		if d := time.Until(start.Add(time.Duration(i) * period)); d > 0 {
			time.Sleep(d)
		}
		k := i % len(w.chains)
		c := w.chains[k]
		last = time.Now()
		sent[k] = append(sent[k], last)
		wg.Go(func() {
			if err := c.motion.Publish(ctx, c.motionTopic, payload); err != nil {
				pubMu.Lock()
				pubErrs = append(pubErrs, err)
				pubMu.Unlock()
			}
		})
	}
	pubElapsed := last.Sub(start)
	wg.Wait()
	// Wait for every display.
	for k, c := range w.chains {
		want := base[k] + len(sent[k])
		_ = c.screen.WaitReceived(ctx, func(rs []device.Received) bool { return len(rs) >= want })
	}
	b.StopTimer()
	var lat []time.Duration
	var csv []string
	failed := len(pubErrs)
	for k, c := range w.chains {
		got := c.displays()[base[k]:]
		if len(got) < len(sent[k]) {
			failed += len(sent[k]) - len(got)
		}
		for j := range min(len(got), len(sent[k])) {
			lat = append(lat, got[j].Sub(sent[k][j]))
			csv = append(csv, fmt.Sprintf("%d,%d,%d", sent[k][j].Sub(start).Microseconds(), got[j].Sub(sent[k][j]).Microseconds(), k))
			if j > 0 && sent[k][j].Before(got[j-1]) {
				overlaps++
			}
		}
	}
	// Executions of this run that did not succeed: every one has ended
	// once its display arrived, give or take its last record.
	if rt2 := w.h.Core(w.group).Runtime(); rt2 != rt {
		b.Fatal("the core reloaded its runtime during the run")
	}
	for _, c := range w.chains {
		failed += len(c.camera.Errors())
	}
	var after map[string]int
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		after = rt.Counts()
		ended := after[flow.StatusSucceeded] + after[flow.StatusFailed] + after[flow.StatusAborted] -
			before[flow.StatusSucceeded] - before[flow.StatusFailed] - before[flow.StatusAborted]
		if ended >= n || time.Now().After(deadline) {
			break
		}
	}
	failed += after[flow.StatusFailed] - before[flow.StatusFailed] + after[flow.StatusAborted] - before[flow.StatusAborted]
	if got := after[flow.StatusSucceeded] - before[flow.StatusSucceeded]; got+failed < n {
		b.Errorf("%d executions succeeded and %d failed for %d motion events", got, failed, n)
	}
	if failed > 0 {
		b.Fatalf("%d failed executions (publish errors %v)", failed, pubErrs[:min(len(pubErrs), 3)])
	}
	if len(lat) == 0 {
		return
	}
	if p := os.Getenv(rtTraceEnv); p != "" {
		// One line per execution: publish offset and latency (µs), chain.
		slices.Sort(csv)
		_ = os.WriteFile(fmt.Sprintf("%s.%d.csv", p, rate), []byte("sent_us,latency_us,chain\n"+strings.Join(csv, "\n")+"\n"), 0o644)
	}
	slices.Sort(lat)
	pct := func(p float64) float64 {
		i := int(p*float64(len(lat))+0.5) - 1
		i = max(0, min(i, len(lat)-1))
		return float64(lat[i]) / float64(time.Millisecond)
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(float64(lat[len(lat)-1])/float64(time.Millisecond), "max-ms")
	if n > 1 && pubElapsed > 0 {
		b.ReportMetric(float64(n-1)/pubElapsed.Seconds(), "flows/s")
	}
	b.ReportMetric(float64(failed), "failed")
	b.ReportMetric(float64(overlaps), "overlaps")
}
