package harness

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/greengrass"
	"github.com/aws/aws-sdk-go-v2/service/iot"
	iottypes "github.com/aws/aws-sdk-go-v2/service/iot/types"

	"github.com/tgsim/tgsim/fakes/awsproto"
	ggfake "github.com/tgsim/tgsim/fakes/greengrass"
	"github.com/tgsim/tgsim/sim/core"
)

// StandaloneCoreOptions configures a Greengrass core that runs apart from
// any Harness, against the control plane of a `tgsim up` reached only over
// HTTP (`tgsim core`).
type StandaloneCoreOptions struct {
	// Group is the Greengrass group's name; the core waits for it to exist.
	Group string
	// Endpoint is the URL of the running tgsim (its edge).
	Endpoint string
	// AWS carries the core's credentials and region.
	AWS aws.Config
	// MQTTAddr is where devices connect; default DefaultStandaloneCoreAddr.
	MQTTAddr string
	// Plaintext serves plain TCP instead of mutual TLS.
	Plaintext bool
	// AdvertiseHost is the host published with UpdateConnectivityInfo (and
	// put in the server certificate); default the MQTTAddr's host, or this
	// machine's host name when that host is unspecified (0.0.0.0, ::).
	AdvertiseHost string
	// Runtime configures the Things Graph runtime the core hosts.
	Runtime RuntimeOptions
	// NoCloud leaves the core without a connection to AWS IoT Core: its
	// cloud-bound messages are dropped (core.DropNoCloud). By default the
	// core provisions its identity (ProvisionCoreIdentity) and connects to
	// the data plane (see cloudLink), in the background: the core serves
	// devices before that connection is up, spooling for the cloud.
	NoCloud bool
	// IoTDataEndpoint is AWS IoT Core's MQTT data plane as host:port
	// (Greengrass v1 config.json coreThing.iotHost and iotMqttPort);
	// default the answer of iot DescribeEndpoint (iot:Data-ATS).
	IoTDataEndpoint string
	// IoTRootCA is the PEM of the CA the data plane's certificate chains
	// to (a Greengrass core's root.ca.pem); default downloaded from
	// Endpoint (IoTRootCAPath).
	IoTRootCA []byte
	// CloudOperationTimeout bounds each publish and subscribe to AWS IoT
	// Core; default DefaultCloudOperationTimeout.
	CloudOperationTimeout time.Duration
	Logger                *slog.Logger
}

// DefaultStandaloneCoreAddr is where `tgsim core` serves MQTT by default:
// loopback, and port 8884 because 8883 (MQTT over TLS's registered port)
// is the default of the AWS IoT data plane of a `tgsim up` on the same
// machine.
const DefaultStandaloneCoreAddr = "127.0.0.1:8884"

// StandaloneCore is a core started by StartStandaloneCore.
type StandaloneCore struct {
	*core.Core
	GroupID string
	cancel  context.CancelFunc
	done    chan struct{}
	err     error
	wg      sync.WaitGroup
}

// StartStandaloneCore waits for the group to exist, obtains the core's MQTT
// server certificate from the group's CA (unless Plaintext), starts the
// core with the Things Graph runtime and publishes its address for
// discovery. The core verifies device certificates against the IoT
// registry through the SDK (RegistryVerifier). It runs until Close.
func StartStandaloneCore(ctx context.Context, opts StandaloneCoreOptions) (*StandaloneCore, error) {
	if opts.Group == "" || opts.Endpoint == "" {
		return nil, errors.New("standalone core: a group and an endpoint are required")
	}
	if opts.MQTTAddr == "" {
		opts.MQTTAddr = DefaultStandaloneCoreAddr
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	log := opts.Logger.With("group", opts.Group)
	host, _, err := net.SplitHostPort(opts.MQTTAddr)
	if err != nil {
		return nil, fmt.Errorf("standalone core: MQTT address %q: %w", opts.MQTTAddr, err)
	}
	advertise := opts.AdvertiseHost
	if advertise == "" {
		advertise = host
		if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
			if advertise, err = os.Hostname(); err != nil {
				return nil, fmt.Errorf("standalone core: host name to advertise: %w", err)
			}
		}
	}
	groupID, err := waitGroupID(ctx, opts.AWS, opts.Endpoint, opts.Group, log)
	if err != nil {
		return nil, err
	}
	var tlsCfg *tls.Config
	var cert atomic.Pointer[tls.Certificate]
	hosts := certificateHosts(host, advertise)
	if !opts.Plaintext {
		c, err := RequestCoreCertificate(ctx, opts.AWS, opts.Endpoint, groupID, opts.Group+" core", hosts)
		if err != nil {
			return nil, fmt.Errorf("standalone core: server certificate: %w", err)
		}
		cert.Store(&c)
		tlsCfg = &tls.Config{GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) { return cert.Load(), nil }}
	}
	coreOpts := core.Options{
		GroupName: opts.Group, Endpoint: opts.Endpoint, AWS: opts.AWS, MQTTAddr: opts.MQTTAddr, Logger: opts.Logger, TLS: tlsCfg,
		VerifyCertificate: RegistryVerifier(opts.AWS, opts.Endpoint),
		Functions:         map[string]core.FunctionFactory{RuntimeFunctionName: RuntimeFactory(opts.Endpoint, opts.Runtime)},
	}
	var link *cloudLink
	if !opts.NoCloud {
		link = newCloudLink(cloudLinkOptions{group: opts.Group, groupID: groupID, endpoint: opts.Endpoint, aws: opts.AWS,
			dataEndpoint: opts.IoTDataEndpoint, rootCA: opts.IoTRootCA, opTimeout: opts.CloudOperationTimeout,
			log: log.With("component", "cloud")})
		coreOpts.Cloud, coreOpts.OnTable = link, link.onTable
	}
	c, err := core.New(coreOpts)
	if err != nil {
		return nil, err
	}
	runCtx, cancel := context.WithCancel(context.Background())
	sc := &StandaloneCore{Core: c, GroupID: groupID, cancel: cancel, done: make(chan struct{})}
	if link != nil {
		// Disconnected until the link is up: cloud-bound messages wait in
		// the spool, in order.
		c.SetCloudConnected(false)
		link.core = c
		sc.wg.Add(1)
		go func() {
			defer sc.wg.Done()
			link.run(runCtx)
		}()
	}
	go func() {
		sc.err = c.Run(runCtx)
		close(sc.done)
	}()
	_, port, _ := net.SplitHostPort(c.MQTTAddr())
	published := net.JoinHostPort(advertise, port)
	sc.wg.Add(1)
	go func() {
		defer sc.wg.Done()
		retry(runCtx, func(ctx context.Context) error {
			return PublishConnectivity(ctx, opts.AWS, opts.Endpoint, opts.Group, published)
		}, func(err error) { log.Debug("connectivity not published yet", "error", err) })
		if runCtx.Err() == nil {
			log.Info("connectivity published", "address", published)
		}
	}()
	if !opts.Plaintext {
		sc.wg.Add(1)
		go func() {
			defer sc.wg.Done()
			renewCertificate(runCtx, &cert, func(ctx context.Context) (tls.Certificate, error) {
				return RequestCoreCertificate(ctx, opts.AWS, opts.Endpoint, groupID, opts.Group+" core", hosts)
			}, log)
		}()
	}
	return sc, nil
}

// Done is closed when the core stops (Close, or an error: Err).
func (sc *StandaloneCore) Done() <-chan struct{} { return sc.done }

// Err is why the core stopped, after Done.
func (sc *StandaloneCore) Err() error { return sc.err }

// Close stops the core and waits for it.
func (sc *StandaloneCore) Close() error {
	sc.cancel()
	<-sc.done
	sc.wg.Wait()
	if errors.Is(sc.err, context.Canceled) {
		return nil
	}
	return sc.err
}

// retry calls f with growing pauses until it succeeds or ctx ends.
func retry(ctx context.Context, f func(context.Context) error, onErr func(error)) {
	backoff := 100 * time.Millisecond
	for {
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		err := f(cctx)
		cancel()
		if err == nil || ctx.Err() != nil {
			return
		}
		onErr(err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}

// renewCertificate replaces the server certificate when half its life
// has passed (7 days by default), so a long-running core never serves an
// expired one.
func renewCertificate(ctx context.Context, cert *atomic.Pointer[tls.Certificate], issue func(context.Context) (tls.Certificate, error), log *slog.Logger) {
	for {
		leaf := cert.Load().Leaf
		wait := time.Hour
		if leaf != nil {
			wait = max(time.Until(leaf.NotBefore.Add(leaf.NotAfter.Sub(leaf.NotBefore)/2)), time.Minute)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		retry(ctx, func(ctx context.Context) error {
			c, err := issue(ctx)
			if err == nil {
				cert.Store(&c)
				log.Info("server certificate renewed", "not_after", c.Leaf.NotAfter)
			}
			return err
		}, func(err error) { log.Warn("renewing the server certificate", "error", err) })
	}
}

// waitGroupID finds the group's id by name, waiting for it to be created.
func waitGroupID(ctx context.Context, cfg aws.Config, endpoint, name string, log *slog.Logger) (string, error) {
	gg := greengrass.NewFromConfig(cfg, func(o *greengrass.Options) { o.BaseEndpoint = aws.String(endpoint) })
	var id string
	retry(ctx, func(ctx context.Context) error {
		var token *string
		for {
			page, err := gg.ListGroups(ctx, &greengrass.ListGroupsInput{NextToken: token})
			if err != nil {
				return err
			}
			for _, g := range page.Groups {
				if aws.ToString(g.Name) == name {
					id = aws.ToString(g.Id)
					return nil
				}
			}
			if token = page.NextToken; aws.ToString(token) == "" {
				return fmt.Errorf("no group named %q yet", name)
			}
		}
	}, func(err error) { log.Info("waiting for the group", "error", err) })
	if id == "" {
		return "", fmt.Errorf("standalone core: group %q: %w", name, ctx.Err())
	}
	return id, nil
}

// certificateHosts are the names the server certificate is valid for:
// loopback, the listening host unless unspecified, the advertised host,
// and, when listening on every address, this machine's addresses.
func certificateHosts(listenHost, advertise string) []string {
	hosts := []string{"localhost", "127.0.0.1", "::1"}
	add := func(h string) {
		if h == "" {
			return
		}
		for _, x := range hosts {
			if x == h {
				return
			}
		}
		hosts = append(hosts, h)
	}
	if ip := net.ParseIP(listenHost); listenHost == "" || (ip != nil && ip.IsUnspecified()) {
		if addrs, err := net.InterfaceAddrs(); err == nil {
			for _, a := range addrs {
				if n, ok := a.(*net.IPNet); ok {
					add(n.IP.String())
				}
			}
		}
	} else {
		add(listenHost)
	}
	add(advertise)
	return hosts
}

// RequestCoreCertificate makes a P-256 key and asks the Greengrass control
// plane at endpoint (POST /_tgsim/greengrass/groups/{GroupId}/coreCertificate,
// SigV4-signed, greengrass:CreateCertificate) for an MQTT server
// certificate signed by the group's CA, valid for hosts (DNS names or IP
// addresses). The answer carries the CA certificate after the leaf.
func RequestCoreCertificate(ctx context.Context, cfg aws.Config, endpoint, groupID, commonName string, hosts []string) (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	req := &x509.CertificateRequest{Subject: pkix.Name{CommonName: commonName}}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			req.IPAddresses = append(req.IPAddresses, ip)
		} else {
			req.DNSNames = append(req.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, req, key)
	if err != nil {
		return tls.Certificate{}, err
	}
	csr := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der})
	u := strings.TrimRight(endpoint, "/") + ggfake.CoreChannelPrefix + "groups/" + url.PathEscape(groupID) + "/coreCertificate"
	resp, err := awsproto.DoSigned(ctx, cfg, http.MethodPost, u, "greengrass", csr)
	if err != nil {
		return tls.Certificate{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return tls.Certificate{}, err
	}
	if resp.StatusCode != http.StatusOK {
		return tls.Certificate{}, fmt.Errorf("HTTP %d: %s", resp.StatusCode, bytes.TrimSpace(body))
	}
	var out tls.Certificate
	for rest := body; ; {
		var b *pem.Block
		if b, rest = pem.Decode(rest); b == nil {
			break
		}
		if b.Type == "CERTIFICATE" {
			out.Certificate = append(out.Certificate, b.Bytes)
		}
	}
	if len(out.Certificate) == 0 {
		return tls.Certificate{}, errors.New("the answer holds no certificate")
	}
	if out.Leaf, err = x509.ParseCertificate(out.Certificate[0]); err != nil {
		return tls.Certificate{}, err
	}
	out.PrivateKey = key
	return out, nil
}

// RegistryVerifier returns a core.Options VerifyCertificate that asks the
// AWS IoT registry at endpoint through the SDK, with the core's
// credentials (iot:DescribeCertificate, iot:ListPrincipalThings): the
// certificate id is the hex SHA-256 of the DER; the registry must hold
// exactly that certificate, ACTIVE; the answer is the things it is
// attached to. Nothing is cached: each CONNECT asks (two calls), so a
// certificate made INACTIVE or REVOKED is refused from its next
// connection on, as with the in-process core.
//
// Divergence from the in-process check (the IoT fake's
// VerifyClientCertificate), which also verifies the chain to the
// account's CA: the registry API does not expose that CA, so a certificate
// registered without a CA (RegisterCertificateWithoutCA) passes here. The
// core still requires the certificate the group's device definition lists
// for the thing.
func RegistryVerifier(cfg aws.Config, endpoint string) func(der []byte) ([]string, string, error) {
	client := iot.NewFromConfig(cfg, func(o *iot.Options) { o.BaseEndpoint = aws.String(endpoint) })
	return func(der []byte) ([]string, string, error) {
		sum := sha256.Sum256(der)
		id := hex.EncodeToString(sum[:])
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		out, err := client.DescribeCertificate(ctx, &iot.DescribeCertificateInput{CertificateId: &id})
		if err != nil {
			return nil, id, fmt.Errorf("iot DescribeCertificate %s: %w", id, err)
		}
		d := out.CertificateDescription
		if d == nil {
			return nil, id, fmt.Errorf("iot DescribeCertificate %s: no description", id)
		}
		if d.Status != iottypes.CertificateStatusActive {
			return nil, id, fmt.Errorf("certificate %s is %s, not ACTIVE", id, d.Status)
		}
		block, _ := pem.Decode([]byte(aws.ToString(d.CertificatePem)))
		if block == nil || !bytes.Equal(block.Bytes, der) {
			return nil, id, fmt.Errorf("certificate %s is not the one the registry holds", id)
		}
		var things []string
		p := iot.NewListPrincipalThingsPaginator(client, &iot.ListPrincipalThingsInput{Principal: d.CertificateArn})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return nil, id, fmt.Errorf("iot ListPrincipalThings %s: %w", id, err)
			}
			things = append(things, page.Things...)
		}
		return things, id, nil
	}
}
