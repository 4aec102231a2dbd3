package harness

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/greengrass"
	"github.com/aws/aws-sdk-go-v2/service/iot"
	iottypes "github.com/aws/aws-sdk-go-v2/service/iot/types"
	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/tgsim/tgsim/sim/core"
)

// IoTRootCAPath is where the edge serves, unsigned, the root CA the AWS
// IoT data plane's server certificate chains to: the stand-in for Amazon
// Root CA 1, which Amazon publishes for anyone to download
// (https://www.amazontrust.com/repository/AmazonRootCA1.pem). A `tgsim
// core` on another host puts it in its trust store as a Greengrass v1 core
// is given root.ca.pem at setup.
const IoTRootCAPath = "/_tgsim/iot/root-ca.pem"

// withRootCA serves IoTRootCAPath before the edge (which would ask for a
// SigV4 signature).
func (h *Harness) withRootCA(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != IoTRootCAPath {
			next.ServeHTTP(w, r)
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		w.Header().Set("Content-Type", "application/x-pem-file")
		_, _ = w.Write(h.dataPlaneCA.certPEM)
	})
}

// FetchIoTRootCA downloads the data plane's root CA from the tgsim at
// endpoint (IoTRootCAPath).
func FetchIoTRootCA(ctx context.Context, endpoint string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(endpoint, "/")+IoTRootCAPath, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: HTTP %d", IoTRootCAPath, resp.StatusCode)
	}
	if !x509.NewCertPool().AppendCertsFromPEM(body) {
		return nil, fmt.Errorf("GET %s: the answer holds no PEM certificate", IoTRootCAPath)
	}
	return body, nil
}

// advertisedHost is the host of an IoTDataAdvertise value ("" for none).
func advertisedHost(adv string) string {
	if adv == "" {
		return ""
	}
	if h, _, err := net.SplitHostPort(adv); err == nil {
		return h
	}
	return strings.Trim(adv, "[]")
}

// advertisedAddr is DescribeEndpoint's answer: adv with the listener's
// port when adv names none; the reachable listen address without adv.
func advertisedAddr(adv, listen string) string {
	if adv == "" {
		return reachable(listen)
	}
	if _, _, err := net.SplitHostPort(adv); err == nil {
		return adv
	}
	_, port, err := net.SplitHostPort(listen)
	if err != nil {
		return adv
	}
	return net.JoinHostPort(strings.Trim(adv, "[]"), port)
}

// CorePolicyName is the IoT policy a standalone core attaches to the
// certificate it provisions for its connection to AWS IoT Core.
func CorePolicyName(group string) string { return "tgsim-greengrass-core-" + group }

// corePolicy is the policy the Greengrass console's "Use default
// creation" attaches to a new core's certificate (AWS: Greengrass v1
// developer guide, gg-config.html / "Minimal AWS IoT policy for the AWS IoT
// Greengrass core device" shows the narrowed form): the IoT data-plane
// actions on every resource. [INF] The greengrass:* and shadow statements
// of the console's policy are left out: the core reaches Greengrass over
// the edge with its SigV4 credentials, and shadows sync locally.
const corePolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iot:Connect","iot:Publish","iot:Subscribe","iot:Receive"],"Resource":["*"]}]}`

// CoreIdentity is the certificate a standalone core connects to AWS IoT
// Core with.
type CoreIdentity struct {
	ThingName      string
	CertificateArn string
	Certificate    tls.Certificate
}

// ProvisionCoreIdentity gives a standalone core its identity in AWS IoT,
// as the Greengrass console's group creation does for a real core (which
// hands the owner a certificate, its private key and root.ca.pem to copy
// onto the device): through the IoT API with the core's credentials it
// creates a certificate and key (CreateKeysAndCertificate, active),
// attaches it to the group's core thing (the first core of the group's
// core definition; `GROUP_Core`, created when missing, if the group has
// none yet), creates the policy CorePolicyName(group) when missing and
// attaches it to the certificate.
//
// [INF] A real core is provisioned once and keeps its files; the
// simulated core provisions a new certificate each time it starts (its
// key lives only in memory), so restarts leave older certificates
// attached to the core thing.
func ProvisionCoreIdentity(ctx context.Context, cfg aws.Config, endpoint, group, groupID string) (CoreIdentity, error) {
	ep := aws.String(endpoint)
	gg := greengrass.NewFromConfig(cfg, func(o *greengrass.Options) { o.BaseEndpoint = ep })
	iotc := iot.NewFromConfig(cfg, func(o *iot.Options) { o.BaseEndpoint = ep })
	thing, err := coreThingName(ctx, gg, groupID)
	if err != nil {
		return CoreIdentity{}, err
	}
	if thing == "" {
		thing = group + "_Core"
		if _, err := iotc.DescribeThing(ctx, &iot.DescribeThingInput{ThingName: &thing}); err != nil {
			var nf *iottypes.ResourceNotFoundException
			if !errors.As(err, &nf) {
				return CoreIdentity{}, fmt.Errorf("iot DescribeThing %s: %w", thing, err)
			}
			if _, err := iotc.CreateThing(ctx, &iot.CreateThingInput{ThingName: &thing}); err != nil {
				return CoreIdentity{}, fmt.Errorf("iot CreateThing %s: %w", thing, err)
			}
		}
	}
	kc, err := iotc.CreateKeysAndCertificate(ctx, &iot.CreateKeysAndCertificateInput{SetAsActive: true})
	if err != nil {
		return CoreIdentity{}, fmt.Errorf("iot CreateKeysAndCertificate: %w", err)
	}
	if _, err := iotc.AttachThingPrincipal(ctx, &iot.AttachThingPrincipalInput{ThingName: &thing, Principal: kc.CertificateArn}); err != nil {
		return CoreIdentity{}, fmt.Errorf("iot AttachThingPrincipal %s: %w", thing, err)
	}
	policy := CorePolicyName(group)
	if _, err := iotc.GetPolicy(ctx, &iot.GetPolicyInput{PolicyName: &policy}); err != nil {
		var nf *iottypes.ResourceNotFoundException
		if !errors.As(err, &nf) {
			return CoreIdentity{}, fmt.Errorf("iot GetPolicy %s: %w", policy, err)
		}
		if _, err := iotc.CreatePolicy(ctx, &iot.CreatePolicyInput{PolicyName: &policy, PolicyDocument: aws.String(corePolicy)}); err != nil {
			// Another core of the same group may have created it meanwhile.
			var exists *iottypes.ResourceAlreadyExistsException
			if !errors.As(err, &exists) {
				return CoreIdentity{}, fmt.Errorf("iot CreatePolicy %s: %w", policy, err)
			}
		}
	}
	if _, err := iotc.AttachPolicy(ctx, &iot.AttachPolicyInput{PolicyName: &policy, Target: kc.CertificateArn}); err != nil {
		return CoreIdentity{}, fmt.Errorf("iot AttachPolicy %s: %w", policy, err)
	}
	pair, err := tls.X509KeyPair([]byte(aws.ToString(kc.CertificatePem)), []byte(aws.ToString(kc.KeyPair.PrivateKey)))
	if err != nil {
		return CoreIdentity{}, fmt.Errorf("the certificate IoT issued: %w", err)
	}
	return CoreIdentity{ThingName: thing, CertificateArn: aws.ToString(kc.CertificateArn), Certificate: pair}, nil
}

// coreThingName is the thing of the first core in the group's latest
// version's core definition, "" when the group has none.
func coreThingName(ctx context.Context, gg *greengrass.Client, groupID string) (string, error) {
	g, err := gg.GetGroup(ctx, &greengrass.GetGroupInput{GroupId: &groupID})
	if err != nil {
		return "", fmt.Errorf("greengrass GetGroup %s: %w", groupID, err)
	}
	if aws.ToString(g.LatestVersion) == "" {
		return "", nil
	}
	gv, err := gg.GetGroupVersion(ctx, &greengrass.GetGroupVersionInput{GroupId: &groupID, GroupVersionId: g.LatestVersion})
	if err != nil {
		return "", fmt.Errorf("greengrass GetGroupVersion %s: %w", groupID, err)
	}
	if gv.Definition == nil {
		return "", nil
	}
	_, rest, ok := strings.Cut(aws.ToString(gv.Definition.CoreDefinitionVersionArn), ":/greengrass/definition/cores/")
	id, vid, ok2 := strings.Cut(rest, "/versions/")
	if !ok || !ok2 {
		return "", nil
	}
	cd, err := gg.GetCoreDefinitionVersion(ctx, &greengrass.GetCoreDefinitionVersionInput{CoreDefinitionId: &id, CoreDefinitionVersionId: &vid})
	if err != nil {
		return "", fmt.Errorf("greengrass GetCoreDefinitionVersion %s: %w", id, err)
	}
	if cd.Definition == nil || len(cd.Definition.Cores) == 0 {
		return "", nil
	}
	_, thing, _ := strings.Cut(aws.ToString(cd.Definition.Cores[0].ThingArn), ":thing/")
	return thing, nil
}

// cloudSubjects are the distinct subjects of the table's subscriptions
// with source "cloud": what a Greengrass v1 core subscribes to in AWS IoT
// Core. Sorted, for stable subscribe order and comparison.
func cloudSubjects(t *core.Table) []string {
	var out []string
	if t == nil {
		return nil
	}
	for _, r := range t.Routes() {
		if r.Source == core.CloudTarget && !slices.Contains(out, r.Subject) {
			out = append(out, r.Subject)
		}
	}
	slices.Sort(out)
	return out
}

// Defaults of the core's connection to AWS IoT Core.
const (
	// DefaultCloudOperationTimeout bounds a publish, subscribe or
	// unsubscribe to AWS IoT Core (AWS: Greengrass v1 developer guide,
	// gg-core.html, config.json coreThing.mqttOperationTimeout, default 5
	// seconds). A publish that times out closes the connection: the core
	// takes it for dead and reconnects.
	DefaultCloudOperationTimeout = 5 * time.Second
	// DefaultCloudKeepAlive is the MQTT keep-alive of that connection.
	// [INF] Greengrass v1's config.json coreThing.keepAlive; 600 s is the
	// value its documentation gives as the default, within AWS IoT's
	// 30–1200 s range.
	DefaultCloudKeepAlive = 600 * time.Second
	// maxCloudBackoff caps the pause between reconnection attempts.
	// [INF] Greengrass v1 does not document its reconnection schedule;
	// exponential from 100 ms, capped at 2 s, heals a partition quickly.
	maxCloudBackoff = 2 * time.Second
	// maxPublishAttempts is how many connections one message may see
	// fail under it before it is given up (DropCloudPublishFailed). AWS
	// IoT answers a publish it refuses by closing the connection, which
	// looks like a partition: [INF] a message that killed three
	// connections in a row is taken as refused, so it cannot stall the
	// spool forever. A partition costs one attempt, whatever its length:
	// the publish waits for the next connection.
	maxPublishAttempts = 3
	// cloudPublishRate and cloudPublishBurst pace the core's publishes on
	// one connection under AWS IoT's quota of 100 publishes per second per
	// connection (AWS: general/latest/gr/iot-core.html), which the data
	// plane enforces with a bucket of 100 by dropping the excess: a
	// spool draining after a partition would otherwise lose messages it
	// had acknowledged. [INF] Greengrass v1 does not document its pacing.
	cloudPublishRate  = 95
	cloudPublishBurst = 50
)

// cloudLinkOptions configures a cloudLink.
type cloudLinkOptions struct {
	group, groupID, endpoint string
	aws                      aws.Config
	// dataEndpoint overrides DescribeEndpoint (host:port).
	dataEndpoint string
	// rootCA overrides FetchIoTRootCA (PEM).
	rootCA           []byte
	opTimeout        time.Duration
	keepAlive        time.Duration
	log              *slog.Logger
	provisionTimeout time.Duration
}

// cloudConn is one MQTT connection to AWS IoT Core.
type cloudConn struct {
	cl   paho.Client
	lost chan struct{}
	once sync.Once
	err  error

	mu     sync.Mutex // guards the publish pacing bucket
	tokens float64
	last   time.Time
}

// pace waits for a token of the connection's publish bucket.
func (c *cloudConn) pace(ctx context.Context) error {
	c.mu.Lock()
	now := time.Now()
	if c.last.IsZero() {
		c.tokens, c.last = cloudPublishBurst, now
	}
	c.tokens = min(cloudPublishBurst, c.tokens+now.Sub(c.last).Seconds()*cloudPublishRate)
	c.last = now
	c.tokens--
	wait := time.Duration(0)
	if c.tokens < 0 {
		wait = time.Duration(-c.tokens / cloudPublishRate * float64(time.Second))
	}
	c.mu.Unlock()
	if wait == 0 {
		return nil
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// fail marks the connection lost (once); the link's run loop closes it.
func (c *cloudConn) fail(err error) {
	c.once.Do(func() {
		c.err = err
		close(c.lost)
	})
}

func (c *cloudConn) failed() bool {
	select {
	case <-c.lost:
		return true
	default:
		return false
	}
}

// cloudLink is a standalone core's connection to AWS IoT Core: an MQTT
// client over mutual TLS with the core's certificate and the client id
// CoreClientID(group), as the in-process core's identity. It is the
// core's CloudPublisher: Publish sends QoS 1 and waits for the PUBACK; it
// subscribes to the subjects of the cloud-sourced subscriptions and hands
// what arrives to the core (DeliverFromCloud). A lost connection sets the
// core disconnected (its spool holds cloud-bound messages in order) and
// is retried with backoff; on reconnection the core is set connected and
// the spool drains.
//
// Delivery is at least once: a publish whose PUBACK was lost with the
// connection is sent again on the next one, so AWS IoT Core may see it
// twice, never out of order (the spool publishes one message at a time).
//
// Divergence: the in-process cores never receive their own cloud-bound
// messages back; AWS IoT Core, and so this link, delivers a core's publish
// to its own subscription when a cloud-sourced subject matches it.
type cloudLink struct {
	opts cloudLinkOptions
	core *core.Core // set before run starts

	mu      sync.Mutex
	conn    *cloudConn    // nil while disconnected
	changed chan struct{} // closed and replaced when conn changes

	resync chan struct{} // buffered(1): the table changed
	subs   []string      // subscribed on the current connection (run's goroutine)
}

func newCloudLink(opts cloudLinkOptions) *cloudLink {
	if opts.opTimeout <= 0 {
		opts.opTimeout = DefaultCloudOperationTimeout
	}
	if opts.keepAlive <= 0 {
		opts.keepAlive = DefaultCloudKeepAlive
	}
	return &cloudLink{opts: opts, changed: make(chan struct{}), resync: make(chan struct{}, 1)}
}

// onTable is the core's OnTable hook: the run loop follows the new
// cloud-sourced subjects.
func (l *cloudLink) onTable(*core.Table) {
	select {
	case l.resync <- struct{}{}:
	default:
	}
}

func (l *cloudLink) setConn(c *cloudConn) {
	l.mu.Lock()
	l.conn = c
	close(l.changed)
	l.changed = make(chan struct{})
	l.mu.Unlock()
}

// await returns the live connection, waiting for one.
func (l *cloudLink) await(ctx context.Context) (*cloudConn, error) {
	for {
		l.mu.Lock()
		c, ch := l.conn, l.changed
		l.mu.Unlock()
		if c != nil && !c.failed() {
			return c, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-ch:
		}
	}
}

// Publish implements core.CloudPublisher.
func (l *cloudLink) Publish(ctx context.Context, topic string, payload []byte) error {
	var errs []error
	for attempt := 1; ; attempt++ {
		c, err := l.await(ctx)
		if err != nil {
			return err
		}
		if err := c.pace(ctx); err != nil {
			return err
		}
		tok := c.cl.Publish(topic, 1, false, payload)
		timer := time.NewTimer(l.opts.opTimeout)
		select {
		case <-tok.Done():
			err = tok.Error()
		case <-timer.C:
			err = fmt.Errorf("no PUBACK within %s", l.opts.opTimeout)
		case <-ctx.Done():
			timer.Stop()
			return ctx.Err()
		}
		timer.Stop()
		if err == nil {
			return nil
		}
		c.fail(fmt.Errorf("publish to %s: %w", topic, err))
		errs = append(errs, err)
		if attempt >= maxPublishAttempts {
			return fmt.Errorf("AWS IoT Core closed %d connections under this message: %w", attempt, errors.Join(errs...))
		}
	}
}

// run connects, and reconnects, until ctx ends.
func (l *cloudLink) run(ctx context.Context) {
	log := l.opts.log
	var ident CoreIdentity
	var addr string
	var roots *x509.CertPool
	retry(ctx, func(ctx context.Context) error {
		var err error
		addr, roots, ident, err = l.prepare(ctx)
		return err
	}, func(err error) { log.Warn("no connection to AWS IoT Core yet", "error", err) })
	if ctx.Err() != nil {
		return
	}
	log.Info("AWS IoT Core identity provisioned", "thing", ident.ThingName, "certificate", ident.CertificateArn, "data_endpoint", addr)
	host, _, _ := net.SplitHostPort(addr)
	tlsCfg := &tls.Config{RootCAs: roots, Certificates: []tls.Certificate{ident.Certificate}, ServerName: host, MinVersion: tls.VersionTLS12}
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		c := &cloudConn{lost: make(chan struct{})}
		o := paho.NewClientOptions().AddBroker("tls://" + addr).SetClientID(CoreClientID(l.opts.group)).
			SetTLSConfig(tlsCfg).SetCleanSession(true).SetAutoReconnect(false).SetConnectRetry(false).
			SetConnectTimeout(l.opts.opTimeout).SetKeepAlive(l.opts.keepAlive).SetPingTimeout(l.opts.opTimeout).
			SetWriteTimeout(l.opts.opTimeout).
			SetConnectionLostHandler(func(_ paho.Client, err error) { c.fail(err) })
		c.cl = paho.NewClient(o)
		tok := c.cl.Connect()
		var err error
		select {
		case <-tok.Done():
			err = tok.Error()
		case <-ctx.Done():
			c.cl.Disconnect(0)
			return
		}
		if err != nil {
			log.Warn("cannot connect to AWS IoT Core", "address", addr, "error", err, "retry_in", backoff)
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, maxCloudBackoff)
			continue
		}
		backoff = 100 * time.Millisecond
		l.subs = nil
		l.sync(c)
		l.setConn(c)
		l.core.SetCloudConnected(true)
		log.Info("connected to AWS IoT Core", "address", addr, "client_id", CoreClientID(l.opts.group))
	live:
		for {
			select {
			case <-ctx.Done():
				l.core.SetCloudConnected(false)
				l.setConn(nil)
				c.cl.Disconnect(250)
				return
			case <-l.resync:
				l.sync(c)
			case <-c.lost:
				break live
			}
		}
		l.core.SetCloudConnected(false)
		l.setConn(nil)
		c.cl.Disconnect(0)
		log.Warn("connection to AWS IoT Core lost; cloud-bound messages are spooled", "error", c.err)
	}
}

// prepare finds the data plane, its root CA and provisions the identity.
func (l *cloudLink) prepare(ctx context.Context) (string, *x509.CertPool, CoreIdentity, error) {
	addr := l.opts.dataEndpoint
	if addr == "" {
		iotc := iot.NewFromConfig(l.opts.aws, func(o *iot.Options) { o.BaseEndpoint = aws.String(l.opts.endpoint) })
		out, err := iotc.DescribeEndpoint(ctx, &iot.DescribeEndpointInput{EndpointType: aws.String("iot:Data-ATS")})
		if err != nil {
			return "", nil, CoreIdentity{}, fmt.Errorf("iot DescribeEndpoint: %w", err)
		}
		addr = aws.ToString(out.EndpointAddress)
	}
	if _, _, err := net.SplitHostPort(addr); err != nil {
		// AWS answers a bare host name; MQTT over TLS is on 8883 there.
		addr = net.JoinHostPort(addr, "8883")
	}
	caPEM := l.opts.rootCA
	if caPEM == nil {
		var err error
		if caPEM, err = FetchIoTRootCA(ctx, l.opts.endpoint); err != nil {
			return "", nil, CoreIdentity{}, fmt.Errorf("the data plane's root CA: %w", err)
		}
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(caPEM) {
		return "", nil, CoreIdentity{}, errors.New("the data plane's root CA is not PEM")
	}
	ident, err := ProvisionCoreIdentity(ctx, l.opts.aws, l.opts.endpoint, l.opts.group, l.opts.groupID)
	if err != nil {
		return "", nil, CoreIdentity{}, err
	}
	return addr, roots, ident, nil
}

// sync subscribes the connection to the table's cloud-sourced subjects
// and unsubscribes the ones no longer there. A failure closes the
// connection, to be retried on the next.
func (l *cloudLink) sync(c *cloudConn) {
	want := cloudSubjects(l.core.Table())
	var gone []string
	for _, s := range l.subs {
		if !slices.Contains(want, s) {
			gone = append(gone, s)
		}
	}
	var add []string
	for _, s := range want {
		if !slices.Contains(l.subs, s) {
			add = append(add, s)
		}
	}
	wait := func(tok paho.Token) error {
		if !tok.WaitTimeout(l.opts.opTimeout) {
			return fmt.Errorf("no answer within %s", l.opts.opTimeout)
		}
		return tok.Error()
	}
	if len(gone) > 0 {
		if err := wait(c.cl.Unsubscribe(gone...)); err != nil {
			c.fail(fmt.Errorf("unsubscribe %q: %w", gone, err))
			return
		}
	}
	if len(add) > 0 {
		filters := map[string]byte{}
		for _, s := range add {
			filters[s] = 1
		}
		tok := c.cl.SubscribeMultiple(filters, func(_ paho.Client, m paho.Message) {
			l.core.DeliverFromCloud(m.Topic(), m.Payload())
		})
		if err := wait(tok); err != nil {
			c.fail(fmt.Errorf("subscribe %q: %w", add, err))
			return
		}
		if st, ok := tok.(*paho.SubscribeToken); ok {
			for f, code := range st.Result() {
				if code == 0x80 { // [MQTT-3.9.3] failure return code
					l.opts.log.Warn("AWS IoT Core refused a subscription", "filter", f)
				}
			}
		}
	}
	l.subs = want
}
