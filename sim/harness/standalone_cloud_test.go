package harness_test

import (
	"context"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/greengrass"
	ggtypes "github.com/aws/aws-sdk-go-v2/service/greengrass/types"
	"github.com/aws/aws-sdk-go-v2/service/iot"

	"github.com/tgsim/tgsim/fakes/iotdata"
	"github.com/tgsim/tgsim/sim/core"
	"github.com/tgsim/tgsim/sim/device"
	"github.com/tgsim/tgsim/sim/harness"
)

// blackhole is a TCP proxy to the data plane that a test can partition
// the way a pulled cable or `docker network disconnect` does: bytes stop
// flowing in both directions and nothing is reset, so only timeouts tell.
// Connections made before a heal stay dead (their TLS streams lost bytes).
type blackhole struct {
	ln     net.Listener
	target string

	mu    sync.Mutex
	cut   bool
	conns []net.Conn
	wg    sync.WaitGroup
}

func newBlackhole(t *testing.T, target string) *blackhole {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &blackhole{ln: ln, target: target}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(p.close)
	return p
}

func (p *blackhole) addr() string { return p.ln.Addr().String() }

func (p *blackhole) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		up, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, c, up)
		p.mu.Unlock()
		p.wg.Add(2)
		go p.pipe(c, up)
		go p.pipe(up, c)
	}
}

// pipe copies, discarding what arrives while cut.
func (p *blackhole) pipe(dst, src net.Conn) {
	defer p.wg.Done()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			p.mu.Lock()
			cut := p.cut
			p.mu.Unlock()
			if !cut {
				if _, werr := dst.Write(buf[:n]); werr != nil {
					return
				}
			}
		}
		if err != nil {
			dst.Close()
			return
		}
	}
}

func (p *blackhole) partition() {
	p.mu.Lock()
	p.cut = true
	p.mu.Unlock()
}

// heal lets bytes flow again on new connections; the ones that lost
// bytes are closed.
func (p *blackhole) heal() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = false
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

func (p *blackhole) close() {
	p.ln.Close()
	p.heal()
	p.wg.Wait()
}

// coreWorld is a harness with a group "edge" whose device Lamp publishes
// Lamp/state (and Lamp/secret) to the cloud and gets cloud messages on
// cmd/Lamp; no core runs.
func coreWorld(t *testing.T, ctx context.Context, h *harness.Harness) (groupID, version string) {
	t.Helper()
	iotc := iot.NewFromConfig(h.AWS, func(o *iot.Options) { o.BaseEndpoint = aws.String(h.URL) })
	gg := greengrass.NewFromConfig(h.AWS, func(o *greengrass.Options) { o.BaseEndpoint = aws.String(h.URL) })
	coreThing := newThing(t, ctx, iotc, "edge_Core")
	lamp := newThing(t, ctx, iotc, "Lamp")
	cd, err := gg.CreateCoreDefinition(ctx, &greengrass.CreateCoreDefinitionInput{InitialVersion: &ggtypes.CoreDefinitionVersion{Cores: []ggtypes.Core{
		{Id: aws.String("core"), ThingArn: aws.String(coreThing.arn), CertificateArn: aws.String(coreThing.certArn)}}}})
	if err != nil {
		t.Fatal(err)
	}
	dd, err := gg.CreateDeviceDefinition(ctx, &greengrass.CreateDeviceDefinitionInput{InitialVersion: &ggtypes.DeviceDefinitionVersion{Devices: []ggtypes.Device{
		{Id: aws.String("lamp"), ThingArn: aws.String(lamp.arn), CertificateArn: aws.String(lamp.certArn)}}}})
	if err != nil {
		t.Fatal(err)
	}
	sd, err := gg.CreateSubscriptionDefinition(ctx, &greengrass.CreateSubscriptionDefinitionInput{InitialVersion: &ggtypes.SubscriptionDefinitionVersion{Subscriptions: []ggtypes.Subscription{
		{Id: aws.String("up"), Source: aws.String(lamp.arn), Subject: aws.String("Lamp/state"), Target: aws.String("cloud")},
		{Id: aws.String("secret"), Source: aws.String(lamp.arn), Subject: aws.String("Lamp/secret"), Target: aws.String("cloud")},
		{Id: aws.String("down"), Source: aws.String("cloud"), Subject: aws.String("cmd/Lamp"), Target: aws.String(lamp.arn)}}}})
	if err != nil {
		t.Fatal(err)
	}
	g, err := gg.CreateGroup(ctx, &greengrass.CreateGroupInput{Name: aws.String("edge"), InitialVersion: &ggtypes.GroupVersion{
		CoreDefinitionVersionArn: cd.LatestVersionArn, DeviceDefinitionVersionArn: dd.LatestVersionArn, SubscriptionDefinitionVersionArn: sd.LatestVersionArn}})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(g.Id), aws.ToString(g.LatestVersion)
}

// until polls cond (a state held by other goroutines, with no event to
// wait on) every 10 ms until it holds or the deadline passes.
func until(t *testing.T, ctx context.Context, what string, cond func() bool) {
	t.Helper()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("waiting for %s: %v", what, ctx.Err())
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// fromCore are the payloads of the messages IoT Core accepted from the
// group's core on topic.
func fromCore(h *harness.Harness, group, topic string) []string {
	var out []string
	for _, m := range h.CloudMessages() {
		if m.ClientID == harness.CoreClientID(group) && m.Topic == topic {
			out = append(out, string(m.Payload))
		}
	}
	return out
}

// TestStandaloneCoreCloudPartition: a standalone core reaches AWS IoT Core
// over MQTT with the identity it provisions; cut off silently, it spools
// what devices send (and acknowledges it), and once healed the spool
// drains in order with nothing lost; cloud messages reach the device.
func TestStandaloneCoreCloudPartition(t *testing.T) {
	h, err := harness.Start(harness.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	groupID, version := coreWorld(t, ctx, h)
	proxy := newBlackhole(t, h.IoTData.Addr())
	sc, err := harness.StartStandaloneCore(ctx, harness.StandaloneCoreOptions{Group: "edge", Endpoint: h.URL, AWS: h.AWS,
		MQTTAddr: "127.0.0.1:0", Plaintext: true, IoTDataEndpoint: proxy.addr(), CloudOperationTimeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := sc.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	gg := greengrass.NewFromConfig(h.AWS, func(o *greengrass.Options) { o.BaseEndpoint = aws.String(h.URL) })
	dep, err := gg.CreateDeployment(ctx, &greengrass.CreateDeploymentInput{GroupId: &groupID, GroupVersionId: &version, DeploymentType: ggtypes.DeploymentTypeNewDeployment})
	if err != nil {
		t.Fatal(err)
	}
	if res, err := sc.WaitDeployment(ctx, aws.ToString(dep.DeploymentId)); err != nil || res.Status != "Success" {
		t.Fatalf("deployment: %+v %v", res, err)
	}
	until(t, ctx, "the core to connect to AWS IoT Core", sc.CloudConnected)

	// The identity: a second certificate on the core thing, with the
	// core policy attached to it.
	iotc := iot.NewFromConfig(h.AWS, func(o *iot.Options) { o.BaseEndpoint = aws.String(h.URL) })
	principals, err := iotc.ListThingPrincipals(ctx, &iot.ListThingPrincipalsInput{ThingName: aws.String("edge_Core")})
	if err != nil || len(principals.Principals) != 2 {
		t.Fatalf("ListThingPrincipals(edge_Core) = %v, %v; want the setup's certificate and the core's", principals, err)
	}
	targets, err := iotc.ListTargetsForPolicy(ctx, &iot.ListTargetsForPolicyInput{PolicyName: aws.String(harness.CorePolicyName("edge"))})
	if err != nil || len(targets.Targets) != 1 || !slices.Contains(principals.Principals, targets.Targets[0]) {
		t.Fatalf("ListTargetsForPolicy(%s) = %v, %v; want the core's certificate", harness.CorePolicyName("edge"), targets, err)
	}

	lamp, err := device.Connect(ctx, device.Options{ThingName: "Lamp", Broker: sc.MQTTAddr(),
		Actions: []device.Action{{Name: "cmd", RequestTopic: "cmd/Lamp"}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(lamp.Close)

	// Cloud → device: the core subscribes to cmd/Lamp after applying the
	// table, asynchronously; publish until a message comes through.
	until(t, ctx, "a cloud message to reach the device", func() bool {
		if len(lamp.Received()) > 0 {
			return true
		}
		_ = h.IoTData.Publish(iotdata.Message{Topic: "cmd/Lamp", Payload: []byte("on"), QoS: 1, ClientID: "operator"})
		return false
	})
	if r := lamp.Received()[0]; r.Topic != "cmd/Lamp" || string(r.Payload) != "on" {
		t.Errorf("the device received %+v, want on at cmd/Lamp", r)
	}
	if st := sc.CloudStats(); st.FromCloud == 0 {
		t.Errorf("cloud stats %+v: want FromCloud counted", st)
	}

	send := func(from, to int) {
		t.Helper()
		for i := from; i < to; i++ {
			// Publish returns after the core's PUBACK: acknowledged.
			if err := lamp.Publish(ctx, "Lamp/state", []byte(strconv.Itoa(i))); err != nil {
				t.Fatalf("publish %d: %v", i, err)
			}
		}
	}
	send(0, 10)
	until(t, ctx, "messages 0-9 in AWS IoT Core", func() bool { return len(fromCore(h, "edge", "Lamp/state")) >= 10 })

	proxy.partition()
	send(10, 40)
	// The first publish into the silence times out and the core takes the
	// connection for dead.
	until(t, ctx, "the core to notice the partition", func() bool { return !sc.CloudConnected() })
	if st := sc.CloudStats(); st.Queued == 0 {
		t.Errorf("partitioned core spools nothing: %+v", st)
	}
	before := len(fromCore(h, "edge", "Lamp/state"))
	// More than AWS IoT's 100 publishes per second per connection wait:
	// the drain must pace itself, or the data plane drops the excess.
	send(40, 200)
	time.Sleep(100 * time.Millisecond) // nothing may cross a partition; a short look suffices
	if got := len(fromCore(h, "edge", "Lamp/state")); got != before {
		t.Fatalf("%d messages crossed the partition", got-before)
	}
	proxy.heal()
	until(t, ctx, "the spool to drain", func() bool {
		st := sc.CloudStats()
		return st.Connected && st.Queued == 0 && st.Published+st.Failed == st.Spooled
	})
	if st := sc.CloudStats(); st.Failed != 0 || st.SpoolFull != 0 {
		t.Errorf("cloud stats %+v: want no failure", st)
	}
	// The data plane records a message before its PUBACK leaves.
	got := fromCore(h, "edge", "Lamp/state")
	want := make([]string, 200)
	for i := range want {
		want[i] = strconv.Itoa(i)
	}
	// At least once, in order: a publish in flight when the cut came may
	// arrive twice, next to itself.
	if c := slices.Compact(slices.Clone(got)); !slices.Equal(c, want) {
		t.Errorf("AWS IoT Core got %v, want 0..199 in order (adjacent repeats allowed)", got)
	}
}

// TestStandaloneCoreRefusedPublish: AWS IoT Core closes the connection of
// a publish the core's policy denies; after three connections the
// message is dropped (counted), and the ones behind it still go out.
func TestStandaloneCoreRefusedPublish(t *testing.T) {
	h, err := harness.Start(harness.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	groupID, version := coreWorld(t, ctx, h)
	// The core reuses a policy of its name: this one denies Lamp/secret.
	iotc := iot.NewFromConfig(h.AWS, func(o *iot.Options) { o.BaseEndpoint = aws.String(h.URL) })
	if _, err := iotc.CreatePolicy(ctx, &iot.CreatePolicyInput{PolicyName: aws.String(harness.CorePolicyName("edge")), PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[
	  {"Effect":"Allow","Action":["iot:Connect","iot:Publish","iot:Subscribe","iot:Receive"],"Resource":"*"},
	  {"Effect":"Deny","Action":"iot:Publish","Resource":"arn:aws:iot:us-east-1:000000000000:topic/Lamp/secret"}]}`)}); err != nil {
		t.Fatal(err)
	}
	sc, err := harness.StartStandaloneCore(ctx, harness.StandaloneCoreOptions{Group: "edge", Endpoint: h.URL, AWS: h.AWS,
		MQTTAddr: "127.0.0.1:0", Plaintext: true, IoTRootCA: h.IoTDataCAPEM()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sc.Close() })
	gg := greengrass.NewFromConfig(h.AWS, func(o *greengrass.Options) { o.BaseEndpoint = aws.String(h.URL) })
	dep, err := gg.CreateDeployment(ctx, &greengrass.CreateDeploymentInput{GroupId: &groupID, GroupVersionId: &version, DeploymentType: ggtypes.DeploymentTypeNewDeployment})
	if err != nil {
		t.Fatal(err)
	}
	if res, err := sc.WaitDeployment(ctx, aws.ToString(dep.DeploymentId)); err != nil || res.Status != "Success" {
		t.Fatalf("deployment: %+v %v", res, err)
	}
	until(t, ctx, "the core to connect", sc.CloudConnected)
	lamp, err := device.Connect(ctx, device.Options{ThingName: "Lamp", Broker: sc.MQTTAddr()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(lamp.Close)
	if err := lamp.Publish(ctx, "Lamp/secret", []byte("s")); err != nil {
		t.Fatal(err)
	}
	if err := lamp.Publish(ctx, "Lamp/state", []byte("after")); err != nil {
		t.Fatal(err)
	}
	until(t, ctx, "the message behind the refused one", func() bool { return len(fromCore(h, "edge", "Lamp/state")) == 1 })
	st := sc.CloudStats()
	drops := sc.Drops()[core.DropKey{Source: "arn:aws:iot:us-east-1:000000000000:thing/Lamp", Topic: "Lamp/secret", Target: core.CloudTarget, Reason: core.DropCloudPublishFailed}]
	if st.Failed != 1 || drops != 1 || !strings.Contains(st.LastError, "3 connections") {
		t.Errorf("stats %+v, drops %d: want the refused message failed and dropped once after 3 connections", st, drops)
	}
	if n := len(fromCore(h, "edge", "Lamp/secret")); n != 0 {
		t.Errorf("%d denied messages reached AWS IoT Core", n)
	}
}

// TestIoTRootCARoute: the edge serves the data plane's root CA without a
// signature, as Amazon publishes its root CA.
func TestIoTRootCARoute(t *testing.T) {
	h, err := harness.Start(harness.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	got, err := harness.FetchIoTRootCA(context.Background(), h.URL)
	if err != nil || string(got) != string(h.IoTDataCAPEM()) {
		t.Fatalf("FetchIoTRootCA = %q, %v; want the data plane's CA", got, err)
	}
	resp, err := http.Post(h.URL+harness.IoTRootCAPath, "text/plain", strings.NewReader("x"))
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST %s = %d, want 405", harness.IoTRootCAPath, resp.StatusCode)
	}
}

// TestIoTDataAdvertise: DescribeEndpoint answers the advertised address
// (with the listener's port when it names none), and the data plane's
// certificate is valid for that host.
func TestIoTDataAdvertise(t *testing.T) {
	for _, tc := range []struct{ name, adv, wantHost string }{
		{"host only", "cloud", "cloud"},
		{"host and port", "cloud.example:18883", "cloud.example"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, err := harness.Start(harness.Options{IoTDataAdvertise: tc.adv})
			if err != nil {
				t.Fatal(err)
			}
			defer h.Close()
			iotc := iot.NewFromConfig(h.AWS, func(o *iot.Options) { o.BaseEndpoint = aws.String(h.URL) })
			out, err := iotc.DescribeEndpoint(context.Background(), &iot.DescribeEndpointInput{EndpointType: aws.String("iot:Data-ATS")})
			if err != nil {
				t.Fatal(err)
			}
			_, port, _ := net.SplitHostPort(h.IoTData.Addr())
			want := tc.adv
			if tc.adv == "cloud" {
				want = "cloud:" + port
			}
			if got := aws.ToString(out.EndpointAddress); got != want {
				t.Errorf("DescribeEndpoint = %q, want %q", got, want)
			}
			if err := dialDataPlane(h, tc.wantHost); err != nil {
				t.Errorf("TLS to the data plane as %s: %v", tc.wantHost, err)
			}
			if err := dialDataPlane(h, "elsewhere.example"); err == nil {
				t.Error("the certificate is valid for a host never advertised")
			}
		})
	}
}

// dialDataPlane completes a TLS handshake with the data plane, trusting
// its root CA, as serverName (no client certificate: the handshake
// itself succeeds, AWS IoT refuses at CONNECT).
func dialDataPlane(h *harness.Harness, serverName string) error {
	conn, err := tls.Dial("tcp", h.IoTData.Addr(), &tls.Config{RootCAs: h.IoTDataRoots(), ServerName: serverName, MinVersion: tls.VersionTLS12})
	if err != nil {
		return err
	}
	return conn.Close()
}
