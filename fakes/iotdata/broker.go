// Package iotdata is the AWS IoT Core data plane's MQTT side: a message
// broker (mochi-mqtt) that behaves like AWS IoT Core's device gateway.
//
// Clients connect over mutual TLS only; the certificate must be registered
// with the IoT registry fake and ACTIVE (Options.VerifyClientCertificate).
// Every iot:Connect, iot:Publish, iot:Subscribe and iot:Receive is decided
// by the IoT policies attached to the certificate (and to thing groups of
// its things, Options.Policies), evaluated by fakes/policy: an Allow is
// needed and an explicit Deny wins. Refusals follow AWS IoT Core:
//
//   - iot:Connect denied: CONNACK "not authorized" (MQTT 3.1.1 return code
//     5, MQTT 5 reason 0x87).
//   - iot:Publish denied: MQTT 3.1.1 clients are disconnected; an MQTT 5
//     QoS 1 PUBLISH gets PUBACK 0x87, an MQTT 5 QoS 0 PUBLISH a DISCONNECT
//     0x87 [INF].
//   - iot:Subscribe denied: SUBACK failure (0x80 / 0x87) for that filter.
//   - iot:Receive denied: the subscriber silently gets nothing.
//
// Every refusal is kept (Denials) and logged once, naming the statement
// (or the absence of one) that decided it.
package iotdata

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	mqtt "github.com/mochi-mqtt/server/v2"

	"github.com/tgsim/tgsim/fakes/mqttsafe"
)

// Options configures a Broker. Zero values get defaults in New.
type Options struct {
	// Addr is where the broker listens for MQTT over mutual TLS; default
	// "127.0.0.1:0". There is no plaintext listener.
	Addr string
	// AccountID and Region build the policy resources
	// (arn:aws:iot:REGION:ACCOUNT:...); defaults "000000000000", "us-east-1".
	AccountID, Region string
	// ServerCertificate is the broker's TLS certificate (the harness issues it).
	ServerCertificate tls.Certificate
	// VerifyClientCertificate checks a client certificate with the registry
	// (iot.Service.VerifyClientCertificate): it returns the things attached
	// to the certificate and its id, or why it is refused. Required.
	VerifyClientCertificate func(der []byte) (thingNames []string, certID string, err error)
	// Policies returns the IoT policy documents that apply to a
	// certificate (iot.Service.PoliciesForCertificate). It is asked at every
	// decision, so attaching or detaching a policy takes effect at once.
	// Required.
	Policies func(certID string) []string
	// MaxPayload is the largest PUBLISH payload; default 128 KiB.
	MaxPayload int
	// PublishRate is the per-connection inbound publish quota per second;
	// 0 means the default 100, negative means unlimited.
	PublishRate int
	// OnMessage is called for every publish the broker accepted, from MQTT
	// clients and from Publish, after the message was handed to its
	// subscribers; calls for one publisher come in order from that
	// publisher's goroutine. It must not block (it holds up the
	// publisher's connection) and must not keep the Payload slice past
	// the call without copying it. The rules engine plugs in here.
	OnMessage func(Message)
	// Logger receives refusals and broker events; default discards.
	Logger *slog.Logger
	// Now is the clock (publish rate buckets, timestamps); default time.Now.
	Now func() time.Time
}

// Message is one message the broker accepted.
type Message struct {
	Topic   string
	Payload []byte
	QoS     byte
	Retain  bool
	// ClientID is the publishing MQTT client's id ("" for Publish when not
	// given).
	ClientID string
	// Principal is the certificate id of the publishing client, or what the
	// caller of Publish names (an IAM ARN, "iot.amazonaws.com").
	Principal string
	// ThingName is the publishing connection's thing (the client id when it
	// names a thing attached to the certificate), else "".
	ThingName string
	Timestamp time.Time
}

// Denial is one refused action.
type Denial struct {
	Time          time.Time
	ClientID      string
	CertificateID string
	// Action is "iot:Connect", "iot:Publish", "iot:Subscribe",
	// "iot:Receive", or ActionDisconnect for a connection closed for
	// breaking MQTT's rules or taken over by a new one.
	Action   string
	Resource string
	// Reason says what decided: ReasonNoAllow, an explicit Deny statement,
	// a certificate the registry refused, a broken limit, or mochi's
	// reason for closing the connection (ActionDisconnect).
	Reason string
	// DisconnectReason, when the broker disconnected the client for this
	// refusal, is AWS IoT's lifecycle-event disconnectReason:
	// DisconnectClientError or DisconnectDuplicateClientID.
	DisconnectReason string
}

// ReasonNoAllow is the reason of an implicit deny.
const ReasonNoAllow = "no policy allows"

// Drop reasons (Stats.Dropped keys).
const (
	DropThrottled      = "throttled: over the per-connection publish rate"
	DropPayloadTooBig  = "payload too large"
	DropInvalidTopic   = "invalid topic"
	DropInflightQuota  = "subscriber in-flight quota full"
	DropNotAuthorized  = "publish not authorized"
	DropReceiveDenied  = "receive not authorized"
	DropClientIDTooBig = "client id too long"
)

// Stats are the broker's counters.
type Stats struct {
	// Connections counts accepted CONNECTs; Connected is how many clients
	// are connected now.
	Connections uint64
	Connected   int64
	// Published counts accepted messages (MQTT clients and Publish).
	Published uint64
	// Delivered counts copies handed to subscribers whose policies allowed
	// iot:Receive.
	Delivered uint64
	// Denied counts refusals by action.
	Denied map[string]uint64
	// Dropped counts messages or copies not delivered, by reason.
	Dropped map[string]uint64
	// Panics counts connections whose handling panicked and were closed.
	Panics uint64
}

// maxDenials bounds the kept Denials list; Stats.Denied stays exact.
const maxDenials = 100000

// Broker is a running AWS IoT Core MQTT broker.
type Broker struct {
	opts  Options
	log   *slog.Logger
	srv   *mqtt.Server
	ln    net.Listener
	safe  *mqttsafe.Listener
	authz *authorizer

	conns sync.Map // *mqtt.Client → *connState
	ended sync.Map // net.Conn → struct{}: OnDisconnect saw it (refusingListener)

	injectMu  sync.Mutex
	injecting *Message // the message Publish is injecting; injectMu held

	connections, published, delivered atomic.Uint64

	mu      sync.Mutex
	denials []Denial
	denied  map[string]uint64
	dropped map[string]uint64
	closed  bool
}

// New starts a broker; it is listening when New returns.
func New(opts Options) (*Broker, error) {
	if opts.VerifyClientCertificate == nil || opts.Policies == nil {
		return nil, errors.New("iotdata: New: Options.VerifyClientCertificate and Options.Policies are required")
	}
	if len(opts.ServerCertificate.Certificate) == 0 {
		return nil, errors.New("iotdata: New: Options.ServerCertificate is empty")
	}
	if opts.Addr == "" {
		opts.Addr = "127.0.0.1:0"
	}
	if opts.AccountID == "" {
		opts.AccountID = "000000000000"
	}
	if opts.Region == "" {
		opts.Region = "us-east-1"
	}
	if opts.MaxPayload <= 0 {
		opts.MaxPayload = DefaultMaxPayload
	}
	if opts.PublishRate == 0 {
		opts.PublishRate = DefaultPublishRate
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	b := &Broker{
		opts:    opts,
		log:     opts.Logger.With("component", "iotdata"),
		denied:  map[string]uint64{},
		dropped: map[string]uint64{},
	}
	b.authz = newAuthorizer(opts.Region, opts.AccountID, opts.Policies)

	caps := mqtt.NewDefaultServerCapabilities()
	caps.MaximumInflight = MaxInflight
	caps.ReceiveMaximum = MaxInflight
	// AWS IoT Core supports QoS 0 and 1 only. AWS: iot/latest/
	// developerguide/mqtt.html, "AWS IoT doesn't support ... QoS 2".
	caps.MaximumQos = 1
	caps.MaximumSessionExpiryInterval = SessionExpiry
	// Packets far over the payload limit are cut by mochi's reader; the
	// ones just over it reach OnPacketRead, which records the refusal.
	caps.MaximumPacketSize = uint32(opts.MaxPayload) + 64*1024
	b.srv = mqtt.New(&mqtt.Options{
		Logger:       opts.Logger.With("component", "iotdata-mochi"),
		Capabilities: caps,
		InlineClient: true,
	})
	if err := b.srv.AddHook(&hook{b: b}, nil); err != nil {
		return nil, fmt.Errorf("iotdata: add hook: %w", err)
	}
	ln, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		return nil, fmt.Errorf("iotdata: listen %s: %w", opts.Addr, err)
	}
	// AWS: iot/latest/developerguide/protocols.html, "AWS IoT Core uses
	// TLS version 1.2 and TLS version 1.3"; client certificates are
	// checked against the registry at CONNECT, not by a CA pool here.
	b.ln = tls.NewListener(ln, &tls.Config{
		Certificates: []tls.Certificate{opts.ServerCertificate},
		ClientAuth:   tls.RequireAnyClientCert,
		MinVersion:   tls.VersionTLS12,
	})
	b.safe = mqttsafe.New("iotdata-tls", b.ln, mqttsafe.Options{Logger: b.log})
	rl := &mqttsafe.RefusingListener{Listener: b.safe, Ended: &b.ended, OnError: func(conn net.Conn, err error) {
		b.refuseClosed("", peerCertID(conn), conn.RemoteAddr().String(), err)
	}}
	if err := b.srv.AddListener(rl); err != nil {
		b.ln.Close()
		return nil, fmt.Errorf("iotdata: add listener: %w", err)
	}
	if err := b.srv.Serve(); err != nil {
		b.ln.Close()
		return nil, fmt.Errorf("iotdata: serve: %w", err)
	}
	b.log.Info("AWS IoT data plane listening", "mqtts", b.Addr())
	return b, nil
}

// Addr is the host:port clients connect to over TLS.
func (b *Broker) Addr() string { return b.ln.Addr().String() }

// Close disconnects every client and stops the broker.
func (b *Broker) Close() error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	b.closed = true
	b.mu.Unlock()
	if err := b.srv.Close(); err != nil {
		return fmt.Errorf("iotdata: close: %w", err)
	}
	return nil
}

// Publish injects a message as AWS IoT's own service does for the HTTPS
// Publish API and the republish rule action: it is delivered to subscribers
// whose policies allow iot:Receive on the topic, then OnMessage is called.
// The topic and payload must meet the broker's limits; QoS is 0 or 1.
func (b *Broker) Publish(m Message) error {
	if err := ValidateTopic(m.Topic); err != nil {
		return fmt.Errorf("iotdata: Publish: %w", err)
	}
	if len(m.Payload) > b.opts.MaxPayload {
		return fmt.Errorf("iotdata: Publish to %q: payload is %d bytes, over the %d-byte limit", clip(m.Topic), len(m.Payload), b.opts.MaxPayload)
	}
	if m.QoS > 1 {
		return fmt.Errorf("iotdata: Publish to %q: QoS %d; AWS IoT supports QoS 0 and 1", clip(m.Topic), m.QoS)
	}
	if m.Timestamp.IsZero() {
		m.Timestamp = b.opts.Now()
	}
	b.injectMu.Lock()
	defer b.injectMu.Unlock()
	b.injecting = &m
	defer func() { b.injecting = nil }()
	if err := b.srv.Publish(m.Topic, m.Payload, m.Retain, m.QoS); err != nil {
		return fmt.Errorf("iotdata: Publish to %q: %w", clip(m.Topic), err)
	}
	return nil
}

// Denials returns every refusal so far (the most recent 100000), oldest
// first.
func (b *Broker) Denials() []Denial {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]Denial(nil), b.denials...)
}

// Stats returns the counters.
func (b *Broker) Stats() Stats {
	b.mu.Lock()
	defer b.mu.Unlock()
	st := Stats{
		Connections: b.connections.Load(),
		Connected:   atomic.LoadInt64(&b.srv.Info.ClientsConnected),
		Published:   b.published.Load(),
		Delivered:   b.delivered.Load(),
		Denied:      make(map[string]uint64, len(b.denied)),
		Dropped:     make(map[string]uint64, len(b.dropped)),
		Panics:      b.safe.Panics(),
	}
	for k, v := range b.denied {
		st.Denied[k] = v
	}
	for k, v := range b.dropped {
		st.Dropped[k] = v
	}
	return st
}

// deny records and logs one refusal.
func (b *Broker) deny(d Denial) {
	b.record(d)
	b.log.Warn("AWS IoT refused", "action", d.Action, "client_id", d.ClientID, "certificate_id", d.CertificateID,
		"resource", d.Resource, "reason", d.Reason, "disconnect_reason", d.DisconnectReason)
}

// record keeps one refusal; the caller logs it.
func (b *Broker) record(d Denial) {
	if d.Time.IsZero() {
		d.Time = b.opts.Now()
	}
	b.mu.Lock()
	b.denied[d.Action]++
	if len(b.denials) >= maxDenials {
		b.denials = append(b.denials[:0], b.denials[len(b.denials)-maxDenials/2:]...)
	}
	b.denials = append(b.denials, d)
	b.mu.Unlock()
}

// drop counts a message or copy not delivered.
func (b *Broker) drop(reason string) {
	b.mu.Lock()
	b.dropped[reason]++
	b.mu.Unlock()
}
