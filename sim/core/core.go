package core

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"

	"github.com/tgsim/tgsim/fakes/mqttsafe"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// Options configures a Core. Zero values get defaults in New.
type Options struct {
	// GroupName is the Greengrass group this core serves.
	GroupName string
	// Endpoint is the URL of the AWS edge (greengrass, s3, ...).
	Endpoint string
	// AWS is the SDK configuration the core and its functions call AWS with.
	AWS aws.Config
	// MQTTAddr is where devices connect; default "127.0.0.1:8883".
	MQTTAddr string
	// TLS, when set, serves MQTT over mutual TLS only (Greengrass's way):
	// it carries the core's server certificate; the core asks every device
	// for its certificate and admits it only if it is the certificate the
	// group's device definition lists for the thing named by the client
	// id. Nil serves plain TCP (tests, and clients that cannot do TLS).
	TLS *tls.Config
	// VerifyCertificate, when set with TLS, asks the IoT registry about a
	// device's certificate at CONNECT (the IoT fake's
	// VerifyClientCertificate): it must chain to the account's CA, be
	// registered and ACTIVE, and be attached to the thing named by the
	// client id. Greengrass v1 cores ask the cloud the same question; here
	// it is asked at every CONNECT, so a certificate made INACTIVE or
	// REVOKED is refused from its next connection on.
	VerifyCertificate func(der []byte) (thingNames []string, certID string, err error)
	// Functions maps a Lambda function name (the part of the ARN after
	// "function:" and before the qualifier) to its implementation.
	Functions map[string]FunctionFactory
	// FunctionQueue is each function's message queue size; default 1000.
	FunctionQueue int
	// Cloud publishes to AWS IoT Core as the core's identity: messages
	// routed to the target "cloud" go through it, in order, from the
	// core's spool. Nil drops them (DropNoCloud).
	Cloud CloudPublisher
	// SpoolBytes bounds the spool of cloud-bound messages (topic plus
	// payload bytes); default DefaultSpoolBytes (Greengrass's 2.5 MB).
	SpoolBytes int
	// OnTable, when set, is called with each subscription table the core
	// swaps in (a deployment or a reset), after the swap, on the
	// deployment's goroutine: a connection to AWS IoT Core follows the
	// cloud-sourced subjects with it. It must not block for long.
	OnTable func(*Table)
	Logger  *slog.Logger
}

// Message is one MQTT message handed to a function.
type Message struct {
	Source  string
	Topic   string
	Payload []byte
}

// Function is a long-lived (pinned) Lambda hosted by the core.
type Function interface {
	// Handle is called for each message routed to the function, one at a time.
	Handle(ctx context.Context, m Message)
	// Close stops the function and waits for its goroutines.
	Close() error
}

// FunctionEnv is what a function is started with.
type FunctionEnv struct {
	ARN       string
	Variables map[string]string
	AWS       aws.Config
	// Publish routes a message from this function through the core's
	// subscription table.
	Publish func(ctx context.Context, topic string, payload []byte) error
	Logger  *slog.Logger
}

// FunctionFactory starts a function.
type FunctionFactory func(ctx context.Context, env FunctionEnv) (Function, error)

// Drop reasons.
const (
	DropNoRoute        = "no subscription"
	DropTargetOffline  = "target not connected"
	DropNotSubscribed  = "target not subscribed"
	DropQueueFull      = "function queue full"
	DropUnknownTarget  = "unknown target"
	DropWriteFailed    = "write failed"
	DropInvalidTopic   = "invalid topic"
	DropUnknownSource  = "unknown source"
	DropInflightQuota  = "inflight quota"
	DropNoFunctionImpl = "function not running"
)

// DropReasons lists every reason the core records a drop with (the cloud
// route's included), for scenario checks and the schema.
var DropReasons = []string{
	DropNoRoute, DropTargetOffline, DropNotSubscribed, DropQueueFull, DropUnknownTarget,
	DropWriteFailed, DropInvalidTopic, DropUnknownSource, DropInflightQuota, DropNoFunctionImpl,
	DropSpoolFull, DropCloudPublishFailed, DropNoCloud,
}

// DropKey identifies a class of dropped messages.
type DropKey struct {
	Source, Topic, Target, Reason string
}

// Stats are the core's counters.
type Stats struct {
	Received  uint64 // messages published to the core (devices and functions)
	Delivered uint64 // copies delivered to targets
	Dropped   uint64 // copies (or messages with no route) dropped
	// Panics counts connections whose handling panicked (a malformed
	// packet mochi does not guard against); each was closed, the broker
	// kept serving.
	Panics uint64
	// ProtocolErrors counts connections mochi closed for a malformed
	// packet, a protocol violation or a packet over MaximumPacketSize;
	// TakenOver counts connections closed because a new connection came
	// with the same client id. Refusals has them by reason.
	ProtocolErrors uint64
	TakenOver      uint64
}

// ErrNoRoute is returned by a function's Publish when no subscription lets
// the message leave.
var ErrNoRoute = errors.New("no subscription routes this message")

// Core is a running Greengrass core.
type Core struct {
	opts   Options
	log    *slog.Logger
	broker *mqtt.Server
	shadow *hostedFunction // GGShadowService, the local shadows (a shadowService)
	modbus modbusBank      // the simulated Modbus units behind the adapter connector
	cloud  *cloudSpool     // the spool of cloud-bound messages; nil without Options.Cloud
	// cloudDown is the partition state when there is no spool.
	cloudDown atomic.Bool
	ln        net.Listener

	table atomic.Pointer[Table]
	funcs atomic.Pointer[functionSet]

	received, delivered, dropped atomic.Uint64
	protocolErrors, takenOver    atomic.Uint64
	ended                        sync.Map           // net.Conn → struct{}: OnDisconnect saw it (refusingListener)
	safe                         *mqttsafe.Listener // contains connection panics and counts them
	routed                       routedCounts
	dropMu                       sync.Mutex
	drops                        map[DropKey]uint64
	refusals                     map[string]uint64 // dropMu held
	panicCh                      chan struct{}     // closed and replaced after each contained panic; dropMu held

	deployMu    sync.Mutex // serialises applies
	deployments []DeploymentResult
	deployedCh  chan struct{} // closed and replaced after each apply

	wg sync.WaitGroup
}

// New builds a Core; Run starts it.
func New(opts Options) (*Core, error) {
	if opts.MQTTAddr == "" {
		opts.MQTTAddr = "127.0.0.1:8883"
	}
	if opts.FunctionQueue <= 0 {
		opts.FunctionQueue = 1000
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.SpoolBytes <= 0 {
		opts.SpoolBytes = DefaultSpoolBytes
	}
	c := &Core{
		opts:       opts,
		log:        opts.Logger.With("component", "core", "group", opts.GroupName),
		drops:      make(map[DropKey]uint64),
		refusals:   make(map[string]uint64),
		panicCh:    make(chan struct{}),
		deployedCh: make(chan struct{}),
	}
	empty, _ := NewTable(nil, nil)
	c.table.Store(empty)
	c.funcs.Store(&functionSet{byARN: map[string]*hostedFunction{}})

	c.broker = mqtt.New(&mqtt.Options{
		Logger:       opts.Logger.With("component", "broker"),
		Capabilities: capabilities(),
	})
	if err := c.broker.AddHook(&routingHook{core: c}, nil); err != nil {
		return nil, fmt.Errorf("core: add routing hook: %w", err)
	}
	ln, err := net.Listen("tcp", opts.MQTTAddr)
	if err != nil {
		return nil, fmt.Errorf("core: listen %s: %w", opts.MQTTAddr, err)
	}
	if opts.TLS != nil {
		cfg := opts.TLS.Clone()
		// Devices are pinned by certificate id below, not by a CA chain:
		// ask for a certificate, check it in OnConnectAuthenticate.
		cfg.ClientAuth = tls.RequireAnyClientCert
		if cfg.MinVersion < tls.VersionTLS12 {
			cfg.MinVersion = tls.VersionTLS12
		}
		ln = tls.NewListener(ln, cfg)
	}
	c.ln = ln
	c.safe = mqttsafe.New("tcp", ln, mqttsafe.Options{Logger: c.log, OnPanic: c.notifyPanic})
	rl := &mqttsafe.RefusingListener{Listener: c.safe, Ended: &c.ended, OnError: func(conn net.Conn, err error) { c.refuseClosed("", conn.RemoteAddr().String(), err) }}
	if err := c.broker.AddListener(rl); err != nil {
		ln.Close()
		return nil, fmt.Errorf("core: add listener: %w", err)
	}
	c.shadow = startHosted(ShadowService, newShadowService(func(topic string, payload []byte) error { return c.publishFrom(ShadowService, topic, payload) }, time.Now), 1000)
	if opts.Cloud != nil {
		c.cloud = newCloudSpool(c, opts.Cloud, opts.SpoolBytes)
	}
	return c, nil
}

// capabilities are the core broker's limits, AWS IoT-like: 100 in flight
// per client; no retained messages on the local broker.
func capabilities() *mqtt.Capabilities {
	caps := mqtt.NewDefaultServerCapabilities()
	caps.MaximumInflight = 100
	caps.ReceiveMaximum = 100
	caps.RetainAvailable = 0
	// mochi allocates a packet's declared remaining length before reading
	// it, for the first CONNECT too: without a cap, a few unauthenticated
	// 5-byte headers claiming 256 MiB each end the process with "fatal
	// error: out of memory", which no recover contains. 128 KiB payload
	// (AWS IoT's) plus headroom for topic and properties [INF].
	caps.MaximumPacketSize = 128*1024 + 64*1024
	// mochi allocates each client's outbound queue up front: its default
	// of 8,192 slots is 64 KiB per client, 640 MiB of heap for 10,000
	// devices (BenchmarkConnect10kTLS's heap profile). 1,024 pending
	// writes is ten times the in-flight window.
	caps.MaximumClientWritesPending = 1024
	return caps
}

// MQTTAddr is the address devices connect to.
func (c *Core) MQTTAddr() string { return c.ln.Addr().String() }

// Run serves MQTT and follows the group's deployments until ctx is done,
// then releases everything.
func (c *Core) Run(ctx context.Context) error {
	if err := c.broker.Serve(); err != nil {
		return fmt.Errorf("core: serve mqtt: %w", err)
	}
	c.log.Info("core listening", "mqtt", c.MQTTAddr())
	agentErr := make(chan error, 1)
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		agentErr <- c.runAgent(ctx)
	}()
	<-ctx.Done()
	c.wg.Wait()
	c.funcs.Load().closeAll()
	_ = c.shadow.close()
	if c.cloud != nil {
		c.cloud.close()
	}
	err := c.broker.Close()
	c.log.Info("core stopped")
	if aerr := <-agentErr; aerr != nil && !errors.Is(aerr, context.Canceled) {
		return aerr
	}
	return err
}

// Table returns the routing table in force.
func (c *Core) Table() *Table { return c.table.Load() }

// Stats returns the counters.
func (c *Core) Stats() Stats {
	return Stats{Received: c.received.Load(), Delivered: c.delivered.Load(), Dropped: c.dropped.Load(), Panics: c.safe.Panics(),
		ProtocolErrors: c.protocolErrors.Load(), TakenOver: c.takenOver.Load()}
}

// Drops returns the dropped-message counts by key.
func (c *Core) Drops() map[DropKey]uint64 {
	c.dropMu.Lock()
	defer c.dropMu.Unlock()
	out := make(map[DropKey]uint64, len(c.drops))
	for k, v := range c.drops {
		out[k] = v
	}
	return out
}

// SortedDrops returns the drop keys in a stable order (for reports).
func SortedDrops(m map[DropKey]uint64) []DropKey {
	keys := make([]DropKey, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		if a.Source != b.Source {
			return a.Source < b.Source
		}
		if a.Topic != b.Topic {
			return a.Topic < b.Topic
		}
		return a.Target+a.Reason < b.Target+b.Reason
	})
	return keys
}

func (c *Core) drop(k DropKey) {
	c.dropped.Add(1)
	c.dropMu.Lock()
	c.drops[k]++
	c.dropMu.Unlock()
	c.log.Warn("message dropped", "source", k.Source, "topic", k.Topic, "target", k.Target, "reason", k.Reason)
}

// route delivers one message from source to every target the table allows.
// It returns how many copies were delivered.
func (c *Core) route(source string, pk packets.Packet) int {
	c.received.Add(1)
	t := c.table.Load()
	targets := t.Targets(source, pk.TopicName)
	if len(targets) == 0 {
		c.drop(DropKey{Source: source, Topic: pk.TopicName, Reason: DropNoRoute})
		return 0
	}
	n := 0
	var subs *mqtt.Subscribers
	for _, target := range targets {
		if clientID, ok := t.ClientID(target); ok {
			if subs == nil {
				subs = c.broker.Topics.Subscribers(pk.TopicName)
			}
			if reason := c.deliverToClient(clientID, subs, pk); reason != "" {
				c.drop(DropKey{Source: source, Topic: pk.TopicName, Target: target, Reason: reason})
				continue
			}
			n++
			c.routed.add(RouteKey{source, pk.TopicName, target})
			continue
		}
		if target == CloudTarget {
			if c.cloud == nil {
				c.drop(DropKey{Source: source, Topic: pk.TopicName, Target: target, Reason: DropNoCloud})
				continue
			}
			if !c.cloud.enqueue(spooled{source: source, topic: pk.TopicName, payload: append([]byte(nil), pk.Payload...)}) {
				c.drop(DropKey{Source: source, Topic: pk.TopicName, Target: target, Reason: DropSpoolFull})
				continue
			}
			n++
			c.routed.add(RouteKey{source, pk.TopicName, target})
			continue
		}
		hf, ok := c.funcs.Load().byARN[target]
		if target == ShadowService {
			hf, ok = c.shadow, true
		}
		if ok {
			if !hf.enqueue(Message{Source: source, Topic: pk.TopicName, Payload: append([]byte(nil), pk.Payload...)}) {
				c.drop(DropKey{Source: source, Topic: pk.TopicName, Target: target, Reason: DropQueueFull})
				continue
			}
			n++
			c.routed.add(RouteKey{source, pk.TopicName, target})
			continue
		}
		reason := DropUnknownTarget
		if isFunctionARN(target) {
			reason = DropNoFunctionImpl
		}
		c.drop(DropKey{Source: source, Topic: pk.TopicName, Target: target, Reason: reason})
	}
	c.delivered.Add(uint64(n))
	return n
}

// deliverToClient writes a copy of pk to one connected client whose
// subscriptions match, the way mochi's publishToClient does for its own
// fan-out. It returns a drop reason, or "" on success.
func (c *Core) deliverToClient(clientID string, subs *mqtt.Subscribers, pk packets.Packet) string {
	sub, ok := subs.Subscriptions[clientID]
	if !ok {
		if _, online := c.broker.Clients.Get(clientID); !online {
			return DropTargetOffline
		}
		return DropNotSubscribed
	}
	cl, ok := c.broker.Clients.Get(clientID)
	if !ok || cl.Closed() {
		return DropTargetOffline
	}
	out := pk.Copy(false)
	out.FixedHeader.Retain = false
	if out.FixedHeader.Qos > sub.Qos {
		out.FixedHeader.Qos = sub.Qos
	}
	if out.FixedHeader.Qos > 0 {
		if cl.State.Inflight.Len() >= int(c.broker.Options.Capabilities.MaximumInflight) {
			atomic.AddInt64(&c.broker.Info.InflightDropped, 1)
			return DropInflightQuota
		}
		id, err := cl.NextPacketID()
		if err != nil {
			atomic.AddInt64(&c.broker.Info.InflightDropped, 1)
			return DropInflightQuota
		}
		out.PacketID = uint16(id)
		if cl.State.Inflight.Set(out) {
			atomic.AddInt64(&c.broker.Info.Inflight, 1)
			cl.State.Inflight.DecreaseSendQuota()
		}
	}
	if err := cl.WritePacket(out); err != nil {
		return DropWriteFailed
	}
	return ""
}

// publishFrom routes a message a hosted function publishes.
func (c *Core) publishFrom(source string, topic string, payload []byte) error {
	if err := ValidateTopic(topic); err != nil {
		c.received.Add(1)
		c.drop(DropKey{Source: source, Topic: topic, Reason: DropInvalidTopic})
		return err
	}
	pk := packets.Packet{
		FixedHeader: packets.FixedHeader{Type: packets.Publish, Qos: 1},
		TopicName:   topic,
		Payload:     payload,
		Origin:      source,
	}
	if c.route(source, pk) == 0 {
		if len(c.table.Load().Targets(source, topic)) > 0 {
			// Routed, but every copy was dropped: say why.
			return fmt.Errorf("publish %s from %s: %w", topic, source, c.lastDrop(source, topic))
		}
		return fmt.Errorf("publish %s from %s: %w", topic, source, ErrNoRoute)
	}
	return nil
}

// ErrDropped is returned by a function's Publish when the table routes the
// message but every copy was dropped (target offline, in-flight window
// full, ...).
var ErrDropped = errors.New("every target dropped the message")

// lastDrop names the drop reasons recorded for a source and topic.
func (c *Core) lastDrop(source, topic string) error {
	c.dropMu.Lock()
	defer c.dropMu.Unlock()
	var reasons []string
	for k := range c.drops {
		if k.Source == source && k.Topic == topic && !slices.Contains(reasons, k.Reason) {
			reasons = append(reasons, k.Reason)
		}
	}
	slices.Sort(reasons)
	return fmt.Errorf("%w (%s)", ErrDropped, strings.Join(reasons, ", "))
}

// routingHook plugs the core into mochi: it authenticates devices by the
// device definition and takes over delivery of every publish.
type routingHook struct {
	mqtt.HookBase
	core *Core
}

func (h *routingHook) ID() string { return "greengrass-routing" }

func (h *routingHook) Provides(b byte) bool {
	return b == mqtt.OnConnectAuthenticate || b == mqtt.OnACLCheck || b == mqtt.OnPublish || b == mqtt.OnDisconnect
}

// OnConnectAuthenticate admits only things of the deployed device definition,
// with client id equal to the thing name and, over TLS, presenting the
// certificate the device definition lists for that thing.
func (h *routingHook) OnConnectAuthenticate(cl *mqtt.Client, _ packets.Packet) bool {
	reason := h.core.authenticate(cl)
	if reason == "" {
		return true
	}
	h.core.refuse(cl.ID, reason)
	return false
}

// Refusal reasons.
const (
	RefusedUnknownThing     = "client id is not a thing in the group's device definition"
	RefusedNoCertificate    = "no client certificate"
	RefusedWrongCertificate = "certificate does not belong to the thing named by the client id"
	RefusedCertificate      = "certificate refused by the IoT registry"
	RefusedNotAttached      = "certificate is not attached to the thing named by the client id"
)

func (c *Core) authenticate(cl *mqtt.Client) string {
	t := c.table.Load()
	if _, ok := t.ThingArn(cl.ID); !ok {
		return RefusedUnknownThing
	}
	if c.opts.TLS == nil {
		return ""
	}
	tc, ok := cl.Net.Conn.(*tls.Conn)
	if !ok {
		return RefusedNoCertificate
	}
	peers := tc.ConnectionState().PeerCertificates
	if len(peers) == 0 {
		return RefusedNoCertificate
	}
	// AWS IoT certificate ids are the hex SHA-256 of the DER encoding.
	sum := sha256.Sum256(peers[0].Raw)
	if want, ok := t.CertificateID(cl.ID); !ok || want != hex.EncodeToString(sum[:]) {
		return RefusedWrongCertificate
	}
	if c.opts.VerifyCertificate == nil {
		return ""
	}
	things, _, err := c.opts.VerifyCertificate(peers[0].Raw)
	if err != nil {
		// The registry's answer (not registered, INACTIVE, REVOKED, foreign
		// CA) goes to the log; the counted reason stays a fixed string.
		c.log.Warn("certificate refused by the IoT registry", "client_id", cl.ID, "err", err)
		return RefusedCertificate
	}
	if !slices.Contains(things, cl.ID) {
		return RefusedNotAttached
	}
	return ""
}

func (c *Core) notifyPanic() {
	c.dropMu.Lock()
	close(c.panicCh)
	c.panicCh = make(chan struct{})
	c.dropMu.Unlock()
}

// WaitPanics blocks until at least n connections have panicked (and been
// contained) or ctx ends.
func (c *Core) WaitPanics(ctx context.Context, n uint64) error {
	for {
		c.dropMu.Lock()
		ch := c.panicCh
		c.dropMu.Unlock()
		if c.safe.Panics() >= n {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-ch:
		}
	}
}

// refuse records a refused connection.
func (c *Core) refuse(clientID, reason string) {
	c.dropMu.Lock()
	c.refusals[reason]++
	c.dropMu.Unlock()
	c.log.Warn("connection refused", "client_id", clientID, "reason", reason)
}

// Refusals returns the refused connections by reason: CONNECTs refused
// (the Refused* constants) and connections mochi closed for a protocol
// error or a client-id takeover (protocolRefusal).
func (c *Core) Refusals() map[string]uint64 {
	c.dropMu.Lock()
	defer c.dropMu.Unlock()
	out := make(map[string]uint64, len(c.refusals))
	for k, v := range c.refusals {
		out[k] = v
	}
	return out
}

// OnACLCheck lets devices publish and subscribe; OnPublish decides delivery.
func (h *routingHook) OnACLCheck(_ *mqtt.Client, topic string, _ bool) bool { return true }

// OnPublish routes the message by the subscription table and tells mochi to
// acknowledge it without its own fan-out.
func (h *routingHook) OnPublish(cl *mqtt.Client, pk packets.Packet) (packets.Packet, error) {
	t := h.core.table.Load()
	source, ok := t.ThingArn(cl.ID)
	if !ok {
		h.core.received.Add(1)
		h.core.drop(DropKey{Source: "client:" + cl.ID, Topic: pk.TopicName, Reason: DropUnknownSource})
		return pk, packets.CodeSuccessIgnore
	}
	h.core.route(source, pk)
	return pk, packets.CodeSuccessIgnore
}

// Connected reports whether a client with this id holds an open
// connection to the core.
func (c *Core) Connected(clientID string) bool {
	cl, ok := c.broker.Clients.Get(clientID)
	return ok && !cl.Closed()
}
