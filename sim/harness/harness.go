// Package harness starts the whole simulated AWS world in-process, on
// loopback ports: the edge endpoint with S3, IAM/STS, AWS IoT, Greengrass and
// Things Graph behind it, and on demand a Greengrass core per group with the
// Things Graph runtime installed as its Lambda. It is what `tgsim up`,
// `tgsim run` and Go tests use; Start returns endpoints and credentials, and
// Close releases everything (httptest style).
package harness

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/tgsim/tgsim/fakes/edge"
	ggfake "github.com/tgsim/tgsim/fakes/greengrass"
	iamfake "github.com/tgsim/tgsim/fakes/iam"
	iotfake "github.com/tgsim/tgsim/fakes/iot"
	"github.com/tgsim/tgsim/fakes/iotdata"
	s3fake "github.com/tgsim/tgsim/fakes/s3"
	"github.com/tgsim/tgsim/sim/core"
	"github.com/tgsim/tgsim/sim/flow"
	"github.com/tgsim/tgsim/sim/thingsgraph"
)

// Defaults documented in the README.
const (
	DefaultAddr            = "127.0.0.1:4566"
	DefaultDiscoveryAddr   = "127.0.0.1:8443"
	DefaultIoTDataAddr     = "127.0.0.1:8883"
	DefaultAccountID       = "000000000000"
	DefaultRegion          = "us-east-1"
	DefaultAccessKeyID     = "test"
	DefaultSecretAccessKey = "test"
)

// Options configures a Harness. The zero value listens on a free loopback port.
type Options struct {
	// Addr is the edge's listen address; default "127.0.0.1:0".
	Addr            string
	AccountID       string
	Region          string
	AccessKeyID     string
	SecretAccessKey string
	// Accounts are further AWS accounts, each acting only as its root and
	// served by Things Graph and STS (edge.Account): enough to show that
	// an account's Things Graph namespace is its own.
	Accounts []edge.Account
	// IAM is how the edge applies IAM: off, soft or enforce (default).
	IAM edge.Mode
	// AutoCores starts a Greengrass core (with the Things Graph runtime)
	// for every group that receives a deployment, as `tgsim up` does;
	// cores listen for devices on free loopback ports (see Cores).
	AutoCores bool
	// DiscoveryAddr is where the Greengrass discovery API listens (mutual
	// TLS); default "127.0.0.1:0".
	DiscoveryAddr string
	// IoTDataAddr is where the AWS IoT Core MQTT data plane listens
	// (mutual TLS, IoT policies); default "127.0.0.1:0". DescribeEndpoint
	// answers it.
	IoTDataAddr string
	// IoTDataAdvertise, when set, is the data plane's address as other
	// hosts reach it (host or host:port, e.g. "cloud:8883" on a Docker
	// network): DescribeEndpoint answers it (with IoTDataAddr's port when
	// it has none) and the server certificate names its host too. Default:
	// IoTDataAddr, loopback when that is a wildcard address.
	IoTDataAdvertise string
	// ActionTimeout is how long the Things Graph runtimes wait for a
	// device's answer before the step fails; default 10s.
	ActionTimeout time.Duration
	// CoreTLS makes cores serve MQTT over mutual TLS only, with a server
	// certificate issued by the group's CA; devices present their AWS IoT
	// certificates. False serves plain TCP.
	CoreTLS bool
	// DataDir, when set, keeps the simulator's state across restarts:
	// Start opens (creating the directory 0700) DataDir/iam.db,
	// DataDir/iot.db (with the account CA, so issued certificates still
	// verify), DataDir/greengrass.db, DataDir/thingsgraph.db and S3 under
	// DataDir/s3, and Close
	// closes them after the servers stop. A second harness on the same
	// DataDir fails after bbolt's one-second lock timeout, naming the file.
	// With AutoCores, groups with a successful deployment get their core
	// started again. Empty keeps everything in memory.
	//
	// Things Graph keeps its own file, DataDir/thingsgraph.db.
	DataDir string
	Logger  *slog.Logger
}

// Harness is a running simulated AWS world.
type Harness struct {
	// URL is the edge endpoint every AWS client points at.
	URL string
	// AWS is an SDK configuration with the root credentials.
	AWS    aws.Config
	opts   Options
	faults *edge.Faults

	S3          *s3fake.Service
	IoT         *iotfake.Service
	Greengrass  *ggfake.Service
	IAM         *iamfake.Service
	ThingsGraph *thingsgraph.Service
	// Decisions records every authorization decision the edge made.
	Decisions *edge.DecisionLog
	// IoTData is the AWS IoT Core data plane: the MQTT broker devices of
	// CLOUD deployments connect to, its HTTPS Publish API, and the rules
	// engine behind both.
	IoTData     *iotdata.Broker
	Rules       *iotfake.RulesEngine
	dataPlaneCA *dataPlaneCA
	cloud       *cloudHost
	// DiscoveryURL is the Greengrass discovery API's base URL (https).
	DiscoveryURL string
	discovery    *http.Server
	discoveryCA  []byte

	srv  *http.Server
	ln   net.Listener
	done chan error
	// stores are the DataDir backends (nil in memory), closed last.
	stores *stores

	mu     sync.Mutex
	cores  map[string]*RunningCore
	closed bool

	connMu sync.Mutex
	conns  map[net.Conn]http.ConnState

	lambdaMu sync.Mutex
	lambdas  map[string]LambdaFunc

	// cloudMu guards what IoT Core accepted and the partitions.
	cloudMu     sync.Mutex
	cloudMsgs   []iotdata.Message // a ring of maxCloudMessages once full
	cloudNext   int               // the oldest record once full
	partitioned map[string]bool   // group → cut off from AWS IoT Core
}

// trackConn remembers each connection's state, so Close can drop the ones
// that never carried a request: http.Server.Shutdown waits up to five
// seconds for those (a client transport may dial a connection and then
// use another that became idle first).
func (h *Harness) trackConn(c net.Conn, st http.ConnState) {
	h.connMu.Lock()
	defer h.connMu.Unlock()
	switch st {
	case http.StateClosed, http.StateHijacked:
		delete(h.conns, c)
	default:
		h.conns[c] = st
	}
}

// closeUnusedConns closes connections that are not serving a request.
func (h *Harness) closeUnusedConns() {
	h.connMu.Lock()
	defer h.connMu.Unlock()
	for c, st := range h.conns {
		if st == http.StateNew || st == http.StateIdle {
			c.Close()
		}
	}
}

// RunningCore is a Greengrass core started by the harness.
type RunningCore struct {
	*core.Core
	Group   string
	cancel  context.CancelFunc
	done    chan error
	runtime *runtimeRegistry
}

// Start builds every fake and serves them behind one edge.
func Start(opts Options) (*Harness, error) {
	if opts.Addr == "" {
		opts.Addr = "127.0.0.1:0"
	}
	if opts.AccountID == "" {
		opts.AccountID = DefaultAccountID
	}
	if opts.Region == "" {
		opts.Region = DefaultRegion
	}
	if opts.AccessKeyID == "" {
		opts.AccessKeyID, opts.SecretAccessKey = DefaultAccessKeyID, DefaultSecretAccessKey
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.IAM == "" {
		opts.IAM = edge.ModeEnforce
	}
	// The data files are opened before listening, so a second tgsim on
	// the same directory reports the locked file, not the busy port.
	var st *stores
	if opts.DataDir != "" {
		var err error
		if st, err = openStores(opts.DataDir); err != nil {
			return nil, err
		}
	}
	ln, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		return nil, errors.Join(fmt.Errorf("harness: listen %s: %w", opts.Addr, err), st.close())
	}
	h := &Harness{opts: opts, ln: ln, URL: "http://" + ln.Addr().String(), done: make(chan error, 1), cores: map[string]*RunningCore{},
		conns: map[net.Conn]http.ConnState{}, stores: st}
	fail := func(err error) (*Harness, error) { return nil, errors.Join(err, ln.Close(), st.close()) }
	h.AWS = aws.Config{
		Region:      opts.Region,
		Credentials: credentials.NewStaticCredentialsProvider(opts.AccessKeyID, opts.SecretAccessKey, ""),
	}
	log := opts.Logger
	s3Opts := s3fake.Options{AccountID: opts.AccountID, Region: opts.Region, Logger: log}
	if opts.DataDir != "" {
		s3Opts.DataDir = filepath.Join(opts.DataDir, S3Dir)
	}
	if h.S3, err = s3fake.New(s3Opts); err != nil {
		return fail(lockedErr(filepath.Join(opts.DataDir, S3Dir, s3ObjectsFile), err))
	}
	st.add(closerFunc(h.S3.CloseStorage))
	// The data plane listens first, so DescribeEndpoint can answer its
	// address; it reaches the registry only once devices connect.
	if h.dataPlaneCA, err = loadOrCreateDataPlaneCA(opts.DataDir); err != nil {
		return fail(fmt.Errorf("harness: IoT data plane CA: %w", err))
	}
	if opts.IoTDataAddr == "" {
		opts.IoTDataAddr = "127.0.0.1:0"
	}
	serverCert, err := h.dataPlaneCA.serverCert(advertisedHost(opts.IoTDataAdvertise))
	if err != nil {
		return fail(err)
	}
	h.IoTData, err = iotdata.New(iotdata.Options{
		Addr: opts.IoTDataAddr, AccountID: opts.AccountID, Region: opts.Region, ServerCertificate: serverCert, Logger: log,
		VerifyClientCertificate: func(der []byte) ([]string, string, error) { return h.IoT.VerifyClientCertificate(der) },
		Policies:                func(certID string) []string { return h.IoT.PoliciesForCertificate(certID) },
		OnMessage: func(m iotdata.Message) {
			h.Rules.Handle(iotfake.Message{Topic: m.Topic, ClientID: m.ClientID, Principal: m.Principal, Payload: m.Payload, Timestamp: m.Timestamp})
			h.fromCloud(m)
		},
	})
	if err != nil {
		return fail(err)
	}
	fail = func(err error) (*Harness, error) {
		return nil, errors.Join(err, h.IoTData.Close(), ln.Close(), st.close())
	}
	iotOpts := iotfake.Options{AccountID: opts.AccountID, Region: opts.Region, Logger: log, DataEndpoint: advertisedAddr(opts.IoTDataAdvertise, h.IoTData.Addr())}
	if st != nil {
		iotOpts.Backend = st.iot
	}
	// AWS: iot UpdateCertificate, "Within a few minutes of updating a
	// certificate from the ACTIVE state to any other state, AWS IoT
	// disconnects all devices that used that certificate to connect":
	// here at once, for the aws CLI's callers as much as for scenarios.
	// A Greengrass v1 core asks the registry at CONNECT only [INF: no AWS
	// document says it closes open connections].
	iotOpts.OnCertificateStatus = func(id, status string) {
		if status != iotfake.StatusActive {
			h.IoTData.DisconnectCertificate(id, "certificate "+id+" is "+status+" (UpdateCertificate)")
		}
	}
	if h.IoT, err = iotfake.New(iotOpts); err != nil {
		return fail(err)
	}
	ggOpts := ggfake.Options{AccountID: opts.AccountID, Region: opts.Region, Logger: log}
	if st != nil {
		ggOpts.Backend = st.gg
	}
	if opts.AutoCores {
		// Called on the request's goroutine: start the core elsewhere.
		ggOpts.OnDeployment = func(d ggfake.Deployment) { go h.autoCore(d.GroupID) }
	}
	if h.Greengrass, err = ggfake.New(ggOpts); err != nil {
		return fail(err)
	}
	iamOpts := iamfake.Options{AccountID: opts.AccountID, Region: opts.Region, Logger: log,
		RootAccessKeyID: opts.AccessKeyID, RootSecretAccessKey: opts.SecretAccessKey}
	if st != nil {
		iamOpts.Backend = st.iam
	}
	if h.IAM, err = iamfake.New(iamOpts); err != nil {
		return fail(err)
	}
	h.cloud = &cloudHost{h: h, runs: map[string]*cloudRun{}}
	h.Rules = h.IoT.NewRulesEngine(iotfake.RulesOptions{
		Republish: func(_ context.Context, topic string, qos int, payload []byte) error {
			return h.IoTData.Publish(iotdata.Message{Topic: topic, QoS: byte(qos), Payload: payload})
		},
		Invoke:    h.cloud.invoke,
		Authorize: (&roleAuthorizer{iam: h.IAM, ses: map[string]iamfake.ServiceCredentials{}}).Authorize,
		Logger:    log,
	})
	tgOpts := thingsgraph.Options{AccountID: opts.AccountID, Region: opts.Region, AWS: h.AWS, Endpoint: h.URL, Logger: log, Cloud: h.cloud}
	if opts.DataDir != "" {
		tgOpts.DataFile = filepath.Join(opts.DataDir, ThingsGraphFile)
	}
	if h.ThingsGraph, err = thingsgraph.New(tgOpts); err != nil {
		return fail(err)
	}
	if opts.DataDir != "" {
		st.add(closerFunc(h.ThingsGraph.Close))
	}
	h.Decisions = edge.NewDecisionLog(10000)
	e := edge.New(edge.Options{
		AccountID: opts.AccountID, Accounts: opts.Accounts, DefaultRegion: opts.Region, Logger: log,
		Mode: opts.IAM, Identity: h.IAM, Decisions: h.Decisions,
		Health:  func() map[string]any { return map[string]any{"cores": h.Cores(), "discovery": h.DiscoveryURL} },
		Metrics: h.writeMetrics,
		Services: map[string]http.Handler{
			"s3": h.S3, "iot": h.IoT, "greengrass": h.Greengrass, "iam": h.IAM.IAM(), "sts": h.IAM.STS(),
			// Older AWS IoT models (the botocore in Debian's aws CLI v2)
			// sign IoT control-plane calls as "execute-api"; AWS accepts
			// both. tgsim serves no API Gateway, so the name is IoT's here.
			"execute-api":    h.IoT,
			"iotthingsgraph": h.ThingsGraph,
			"iotdata":        h.IoTData.HTTP(),
		},
	})
	if opts.DiscoveryAddr == "" {
		opts.DiscoveryAddr = "127.0.0.1:0"
	}
	if err := h.startDiscovery(opts.DiscoveryAddr); err != nil {
		return fail(err)
	}
	h.faults = e.Faults()
	h.srv = &http.Server{Handler: h.withRootCA(e), ReadHeaderTimeout: 10 * time.Second, ConnState: h.trackConn}
	go func() { h.done <- h.srv.Serve(ln) }()
	if opts.AutoCores && st != nil {
		h.restartCores()
	}
	if err := h.ThingsGraph.StartCloudRuntimes(); err != nil {
		log.Error("restarting cloud flow configurations", "error", err)
	}
	return h, nil
}

// reachable turns a wildcard listen address (0.0.0.0:8883, [::]:8883) into
// one a client can dial on this host, for DescribeEndpoint.
func reachable(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		return net.JoinHostPort("127.0.0.1", port)
	}
	return addr
}

// Faults arms and lists the edge's injected AWS errors (also served at
// /_tgsim/faults to the account root).
func (h *Harness) Faults() *edge.Faults { return h.faults }

// IoTDataRoots is the trust store devices need for the IoT data plane
// (the stand-in for Amazon Root CA 1).
func (h *Harness) IoTDataRoots() *x509.CertPool { return h.dataPlaneCA.roots() }

// IoTDataCAPEM is that CA certificate, PEM, for mosquitto's --cafile.
func (h *Harness) IoTDataCAPEM() []byte { return h.dataPlaneCA.certPEM }

// CloudRuntime returns the Things Graph runtime of a CLOUD flow
// configuration (system instance id), or nil when none runs.
func (h *Harness) CloudRuntime(id string) *flow.Runtime { return h.cloud.runtime(id) }

// Addr is the edge's listen address.
func (h *Harness) Addr() string { return h.ln.Addr().String() }

// Credentials returns the root access key id and secret.
func (h *Harness) Credentials() (accessKeyID, secret string) {
	return h.opts.AccessKeyID, h.opts.SecretAccessKey
}

// Region is the default region.
func (h *Harness) Region() string { return h.opts.Region }

// AccountID is the account every caller belongs to.
func (h *Harness) AccountID() string { return h.opts.AccountID }

// StartCore starts a Greengrass core for the named group with the Things
// Graph runtime installed; its MQTT listener takes a free loopback port
// unless mqttAddr is set.
func (h *Harness) StartCore(group, mqttAddr string) (*RunningCore, error) {
	rc, started, err := h.startCoreLocked(group, mqttAddr)
	if err != nil || !started {
		return rc, err
	}
	// Discovery returns the core's real address, as a core's IP detector
	// publishes it (outside h.mu: these are calls through the edge).
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := h.publishConnectivity(ctx, group, rc.MQTTAddr()); err != nil {
		h.opts.Logger.Warn("core connectivity not published", "group", group, "error", err)
	}
	return rc, nil
}

// startCoreLocked starts the group's core unless it runs; started reports
// whether this call started it.
func (h *Harness) startCoreLocked(group, mqttAddr string) (rc *RunningCore, started bool, err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil, false, errors.New("harness: closed")
	}
	if c := h.cores[group]; c != nil {
		return c, false, nil
	}
	if mqttAddr == "" {
		mqttAddr = "127.0.0.1:0"
	}
	reg := &runtimeRegistry{lambdas: h.lambdaSnapshot, actionTimeout: h.opts.ActionTimeout}
	var tlsCfg *tls.Config
	if h.opts.CoreTLS {
		cert, err := h.coreServerCert(group)
		if err != nil {
			return nil, false, fmt.Errorf("core for %s: server certificate: %w", group, err)
		}
		tlsCfg = &tls.Config{Certificates: []tls.Certificate{cert}}
	}
	c, err := core.New(core.Options{
		GroupName: group, Endpoint: h.URL, AWS: h.AWS, MQTTAddr: mqttAddr, Logger: h.opts.Logger, TLS: tlsCfg,
		VerifyCertificate: h.IoT.VerifyClientCertificate,
		Functions:         map[string]core.FunctionFactory{RuntimeFunctionName: reg.factory(h.URL)},
		Cloud:             h.corePublisher(group),
	})
	if err != nil {
		return nil, false, err
	}
	c.SetCloudConnected(!h.isPartitioned(group))
	ctx, cancel := context.WithCancel(context.Background())
	rc = &RunningCore{Core: c, Group: group, cancel: cancel, done: make(chan error, 1), runtime: reg}
	go func() { rc.done <- c.Run(ctx) }()
	h.cores[group] = rc
	return rc, true, nil
}

// RestartCore stops a group's running core and starts a new one on the
// same MQTT address, as a core device that reboots: the new core applies
// the group's latest deployment from the control plane (RunningCore
// WaitApplied), and devices must reconnect.
func (h *Harness) RestartCore(group string) (*RunningCore, error) {
	h.mu.Lock()
	rc := h.cores[group]
	delete(h.cores, group)
	h.mu.Unlock()
	if rc == nil {
		return nil, fmt.Errorf("harness: no core runs for group %q", group)
	}
	addr := rc.MQTTAddr()
	if err := rc.stop(); err != nil && !errors.Is(err, context.Canceled) {
		return nil, fmt.Errorf("harness: stopping the core of %s: %w", group, err)
	}
	return h.StartCore(group, addr)
}

// WaitApplied waits until the core has applied a deployment (the first
// after it started) and returns its result.
func (rc *RunningCore) WaitApplied(ctx context.Context) (core.DeploymentResult, error) {
	for {
		if ds := rc.Deployments(); len(ds) > 0 {
			return ds[len(ds)-1], nil
		}
		select {
		case <-ctx.Done():
			return core.DeploymentResult{}, ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// autoCore starts a core for a group that just got a deployment.
func (h *Harness) autoCore(groupID string) {
	g, err := h.Greengrass.Backend().GetGroup(context.Background(), groupID)
	if err != nil {
		h.opts.Logger.Warn("no core started", "group_id", groupID, "error", err)
		return
	}
	h.mu.Lock()
	closed := h.closed
	h.mu.Unlock()
	if closed {
		return
	}
	c, err := h.StartCore(g.Name, "")
	if err != nil {
		h.opts.Logger.Error("starting core", "group", g.Name, "error", err)
		return
	}
	h.opts.Logger.Info("core started", "group", g.Name, "mqtt", c.MQTTAddr())
}

// Cores returns every running core's MQTT address by group name.
func (h *Harness) Cores() map[string]string {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make(map[string]string, len(h.cores))
	for g, c := range h.cores {
		out[g] = c.MQTTAddr()
	}
	return out
}

// Core returns the running core of a group, if started.
func (h *Harness) Core(group string) *RunningCore {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.cores[group]
}

// stop stops the core and waits for it.
func (rc *RunningCore) stop() error {
	rc.cancel()
	return <-rc.done
}

// Close stops every core and the edge, waiting for in-flight requests.
func (h *Harness) Close() error {
	h.mu.Lock()
	cores := h.cores
	h.cores = map[string]*RunningCore{}
	h.closed = true
	h.mu.Unlock()
	var errs []error
	for _, c := range cores {
		if err := c.stop(); err != nil && !errors.Is(err, context.Canceled) {
			errs = append(errs, fmt.Errorf("core %s: %w", c.Group, err))
		}
	}
	// Cloud runtimes report their last executions through the edge: stop
	// them while it still serves.
	if err := h.cloud.closeAll(); err != nil {
		errs = append(errs, fmt.Errorf("cloud runtimes: %w", err))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	h.srv.SetKeepAlivesEnabled(false)
	// Shutdown waits for in-flight requests; connections that carry none
	// are closed now and, since a client's dial can still be in the accept
	// queue, again on each tick until Shutdown returns.
	shut := make(chan error, 1)
	go func() { shut <- h.srv.Shutdown(ctx) }()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for waiting := true; waiting; {
		h.closeUnusedConns()
		select {
		case err := <-shut:
			if err != nil {
				errs = append(errs, err)
			}
			waiting = false
		case <-tick.C:
		}
	}
	if h.discovery != nil {
		_ = h.discovery.Close()
	}
	h.Rules.Close()
	if err := h.IoTData.Close(); err != nil {
		errs = append(errs, fmt.Errorf("iot data plane: %w", err))
	}
	if err := <-h.done; err != nil && !errors.Is(err, http.ErrServerClosed) {
		errs = append(errs, err)
	}
	// Every server has stopped: nothing writes to the stores any more.
	if err := h.stores.close(); err != nil {
		errs = append(errs, fmt.Errorf("data dir: %w", err))
	}
	return errors.Join(errs...)
}
