package iotdata

import (
	"bytes"
	"crypto/tls"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"
)

// connState is one authenticated connection.
type connState struct {
	id *identity
	// refused is set when a hook refused a packet and closed the
	// connection (clientError): OnDisconnect does not record it again.
	refused atomic.Bool

	mu sync.Mutex
	// subscribing is true between OnSubscribe and OnSubscribed: mochi then
	// asks OnACLCheck(read) about the SUBSCRIBE's filters (iot:Subscribe),
	// decided in OnSubscribe and kept in subs. Every other read check is a
	// delivery (iot:Receive).
	subscribing bool
	subs        map[string]bool
	// publish rate token bucket
	tokens float64
	last   time.Time
}

// allowPublish takes a token from the connection's bucket.
func (cs *connState) allowPublish(now time.Time, rate int) bool {
	if rate < 0 {
		return true
	}
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if cs.last.IsZero() {
		cs.tokens, cs.last = float64(rate), now
	}
	if d := now.Sub(cs.last); d > 0 {
		cs.tokens = min(float64(rate), cs.tokens+d.Seconds()*float64(rate))
		cs.last = now
	}
	if cs.tokens < 1 {
		return false
	}
	cs.tokens--
	return true
}

// hook plugs the broker's AWS behaviour into mochi.
type hook struct {
	mqtt.HookBase
	b *Broker
}

func (h *hook) ID() string { return "aws-iot-core" }

func (h *hook) Provides(x byte) bool {
	switch x {
	case mqtt.OnConnect, mqtt.OnConnectAuthenticate, mqtt.OnACLCheck, mqtt.OnPacketRead,
		mqtt.OnPublish, mqtt.OnPublished, mqtt.OnSubscribe, mqtt.OnSubscribed,
		mqtt.OnPublishDropped, mqtt.OnSessionEstablish, mqtt.OnDisconnect, mqtt.OnClientExpired:
		return true
	}
	return false
}

func (h *hook) state(cl *mqtt.Client) *connState {
	if v, ok := h.b.conns.Load(cl); ok {
		return v.(*connState)
	}
	return nil
}

// errRefused ends a connection refused at CONNECT (the CONNACK was sent).
var errRefused = errors.New("iotdata: connection refused")

// OnConnect authenticates the client certificate with the registry and
// authorizes iot:Connect. mochi would answer a failed
// OnConnectAuthenticate with "bad user name or password" (0x86) to MQTT 5
// clients; AWS answers "not authorized", so the refusal is sent here.
func (h *hook) OnConnect(cl *mqtt.Client, pk packets.Packet) error {
	b := h.b
	clientID := cl.ID
	refuse := func(certID, reason string, code packets.Code) error {
		b.deny(Denial{ClientID: clientID, CertificateID: certID, Action: ActionConnect, Resource: b.authz.clientARN(clientID), Reason: reason})
		if cl.Properties.ProtocolVersion < 5 && code == packets.ErrNotAuthorized {
			// mochi maps this one to MQTT 3.1.1 return code 5, "not
			// authorized"; 0x87 has no MQTT 3 mapping.
			code = packets.ErrBadUsernameOrPassword
		}
		_ = b.srv.SendConnack(cl, code, false, nil)
		return fmt.Errorf("%w: client %q: %s", errRefused, clip(clientID), reason)
	}
	// AWS: general/latest/gr/iot-core.html, "Client ID size: 128 bytes".
	if len(clientID) > MaxClientIDBytes {
		b.drop(DropClientIDTooBig)
		return refuse("", fmt.Sprintf("client id is %d bytes, over AWS IoT's %d-byte limit", len(clientID), MaxClientIDBytes), packets.ErrClientIdentifierNotValid)
	}
	tc, ok := cl.Net.Conn.(*tls.Conn)
	if !ok {
		return refuse("", "not a TLS connection", packets.ErrNotAuthorized)
	}
	peers := tc.ConnectionState().PeerCertificates
	if len(peers) == 0 {
		return refuse("", "no client certificate", packets.ErrNotAuthorized)
	}
	things, certID, err := b.opts.VerifyClientCertificate(peers[0].Raw)
	if err != nil {
		return refuse(certID, "certificate refused by the IoT registry: "+err.Error(), packets.ErrNotAuthorized)
	}
	id := newIdentity(clientID, certID, things, peers[0])
	if reason := b.authz.decide(id, ActionConnect, b.authz.clientARN(clientID)); reason != "" {
		return refuse(certID, reason, packets.ErrNotAuthorized)
	}
	b.conns.Store(cl, &connState{id: id})
	b.connections.Add(1)
	return nil
}

// OnConnectAuthenticate admits what OnConnect let through.
func (h *hook) OnConnectAuthenticate(cl *mqtt.Client, _ packets.Packet) bool {
	return h.state(cl) != nil
}

// OnPacketRead refuses, before mochi processes them, PUBLISH packets AWS IoT
// refuses by their shape: a payload over the limit (AWS: iot/latest/
// developerguide/life-cycle-events.html, CLIENT_ERROR: "the client attempts
// to publish with a payload exceeding the payload limit" is disconnected),
// and a topic name with a wildcard or NUL, too long, or with too many
// slashes [INF: disconnected the same way].
func (h *hook) OnPacketRead(cl *mqtt.Client, pk packets.Packet) (packets.Packet, error) {
	if pk.FixedHeader.Type != packets.Publish || cl.Net.Inline {
		return pk, nil
	}
	b := h.b
	cs := h.state(cl)
	if len(pk.Payload) > b.opts.MaxPayload {
		b.drop(DropPayloadTooBig)
		return pk, h.clientError(cl, cs, pk.TopicName, fmt.Sprintf("payload is %d bytes, over AWS IoT's %d-byte limit", len(pk.Payload), b.opts.MaxPayload), packets.ErrPacketTooLarge)
	}
	if pk.TopicName != "" {
		if err := ValidateTopic(pk.TopicName); err != nil {
			b.drop(DropInvalidTopic)
			return pk, h.clientError(cl, cs, pk.TopicName, err.Error(), packets.ErrTopicNameInvalid)
		}
	}
	return pk, nil
}

// clientError records a publish refused for its shape and disconnects the
// client (MQTT 5 clients get a DISCONNECT with code first).
func (h *hook) clientError(cl *mqtt.Client, cs *connState, topic, reason string, code packets.Code) error {
	d := Denial{ClientID: cl.ID, Action: ActionPublish, Resource: h.b.authz.topicARN(topic), Reason: reason,
		DisconnectReason: DisconnectClientError}
	if cs != nil {
		d.CertificateID = cs.id.certID
		cs.refused.Store(true)
	}
	h.b.deny(d)
	if cl.Properties.ProtocolVersion == 5 {
		_ = h.b.srv.DisconnectClient(cl, code)
	} else {
		cl.Stop(code)
	}
	return fmt.Errorf("iotdata: client %q disconnected: %s", clip(cl.ID), reason)
}

// OnACLCheck: publishes are decided in OnPublish (after MQTT 5 topic
// aliases are resolved); read checks are iot:Subscribe while a SUBSCRIBE is
// being processed, iot:Receive otherwise.
func (h *hook) OnACLCheck(cl *mqtt.Client, topic string, write bool) bool {
	if write {
		return true
	}
	cs := h.state(cl)
	if cs == nil {
		h.b.drop(DropReceiveDenied)
		return false
	}
	cs.mu.Lock()
	if cs.subscribing {
		// A delivery to this client of a topic spelled exactly like a
		// filter it is subscribing to right now would read the Subscribe
		// decision; mochi gives the hook no way to tell the two apart.
		if ok, found := cs.subs[topic]; found {
			cs.mu.Unlock()
			return ok
		}
	}
	cs.mu.Unlock()
	b := h.b
	res := b.authz.topicARN(topic)
	if reason := b.authz.decide(cs.id, ActionReceive, res); reason != "" {
		b.deny(Denial{ClientID: cl.ID, CertificateID: cs.id.certID, Action: ActionReceive, Resource: res, Reason: reason})
		b.drop(DropReceiveDenied)
		return false
	}
	b.delivered.Add(1)
	return true
}

// OnSubscribe decides iot:Subscribe for each filter of a SUBSCRIBE; mochi
// then asks OnACLCheck per filter and answers a refused one with SUBACK
// 0x80 (MQTT 3.1.1) or 0x87 (MQTT 5). AWS: iot/latest/developerguide/
// mqtt.html; the filter size limits of general/latest/gr/iot-core.html
// refuse the same way [INF].
func (h *hook) OnSubscribe(cl *mqtt.Client, pk packets.Packet) packets.Packet {
	cs := h.state(cl)
	if cs == nil {
		return pk
	}
	b := h.b
	subs := make(map[string]bool, len(pk.Filters))
	for _, f := range pk.Filters {
		res := b.authz.topicFilterARN(f.Filter)
		reason := ""
		if err := ValidateTopicFilter(f.Filter); err != nil {
			reason = err.Error()
		} else {
			reason = b.authz.decide(cs.id, ActionSubscribe, res)
		}
		if reason != "" {
			b.deny(Denial{ClientID: cl.ID, CertificateID: cs.id.certID, Action: ActionSubscribe, Resource: res, Reason: reason})
		}
		subs[f.Filter] = reason == ""
	}
	cs.mu.Lock()
	cs.subscribing, cs.subs = true, subs
	cs.mu.Unlock()
	return pk
}

// OnSubscribed ends the SUBSCRIBE's window.
func (h *hook) OnSubscribed(cl *mqtt.Client, _ packets.Packet, _ []byte) {
	if cs := h.state(cl); cs != nil {
		cs.mu.Lock()
		cs.subscribing, cs.subs = false, nil
		cs.mu.Unlock()
	}
}

// OnPublish authorizes iot:Publish and applies the publish rate quota.
func (h *hook) OnPublish(cl *mqtt.Client, pk packets.Packet) (packets.Packet, error) {
	if cl.Net.Inline {
		return pk, nil // Publish validated it
	}
	b := h.b
	cs := h.state(cl)
	if cs == nil {
		return pk, packets.ErrRejectPacket
	}
	// A topic that came through an MQTT 5 alias is checked here.
	if err := ValidateTopic(pk.TopicName); err != nil {
		b.drop(DropInvalidTopic)
		_ = h.clientError(cl, cs, pk.TopicName, err.Error(), packets.ErrTopicNameInvalid)
		return pk, packets.ErrRejectPacket
	}
	res := b.authz.topicARN(pk.TopicName)
	if reason := b.authz.decide(cs.id, ActionPublish, res); reason != "" {
		b.deny(Denial{ClientID: cl.ID, CertificateID: cs.id.certID, Action: ActionPublish, Resource: res, Reason: reason})
		b.drop(DropNotAuthorized)
		switch {
		case cl.Properties.ProtocolVersion < 5:
			// MQTT 3.1.1 has no negative PUBACK: AWS IoT disconnects.
			// AWS: iot/latest/developerguide/life-cycle-events.html,
			// AUTH_ERROR "The client failed to authenticate or
			// authorization failed".
			cl.Stop(packets.ErrNotAuthorized)
			return pk, packets.ErrRejectPacket
		case pk.FixedHeader.Qos > 0:
			// MQTT 5: PUBACK 0x87 Not authorized. AWS: iot/latest/
			// developerguide/mqtt.html, MQTT 5 reason codes.
			return pk, packets.ErrNotAuthorized
		default:
			// MQTT 5 QoS 0 has no PUBACK to carry the code [INF].
			_ = b.srv.DisconnectClient(cl, packets.ErrNotAuthorized)
			return pk, packets.ErrRejectPacket
		}
	}
	// AWS: general/latest/gr/iot-core.html, "Publish requests per second
	// per connection: 100". Messages over the quota are dropped, not
	// delivered; an MQTT 5 QoS 1 publisher gets PUBACK 0x97 Quota exceeded
	// [INF].
	if !cs.allowPublish(b.opts.Now(), b.opts.PublishRate) {
		b.deny(Denial{ClientID: cl.ID, CertificateID: cs.id.certID, Action: ActionPublish, Resource: res,
			Reason: fmt.Sprintf("throttled: over %d publishes per second on this connection", b.opts.PublishRate)})
		b.drop(DropThrottled)
		if cl.Properties.ProtocolVersion == 5 && pk.FixedHeader.Qos > 0 {
			return pk, packets.ErrQuotaExceeded
		}
		return pk, packets.CodeSuccessIgnore
	}
	return pk, nil
}

// OnPublished hands every accepted message to OnMessage, after mochi gave
// it to the subscribers.
func (h *hook) OnPublished(cl *mqtt.Client, pk packets.Packet) {
	if pk.Ignore {
		return
	}
	b := h.b
	b.published.Add(1)
	if b.opts.OnMessage == nil {
		return
	}
	var m Message
	if cl.Net.Inline {
		if b.injecting == nil { // injectMu is held by Publish
			return
		}
		m = *b.injecting
	} else {
		m = Message{ClientID: cl.ID, Timestamp: b.opts.Now()}
		if cs := h.state(cl); cs != nil {
			m.Principal, m.ThingName = cs.id.certID, cs.id.thingName
		}
	}
	m.Topic, m.Payload, m.QoS, m.Retain = pk.TopicName, bytes.Clone(pk.Payload), pk.FixedHeader.Qos, pk.FixedHeader.Retain
	b.opts.OnMessage(m)
}

// OnPublishDropped counts copies mochi dropped for a full subscriber.
func (h *hook) OnPublishDropped(_ *mqtt.Client, _ packets.Packet) {
	h.b.drop(DropInflightQuota)
}

// OnSessionEstablish forgets the connection this one takes over (same
// client id): mochi disconnects it next, and a disconnected persistent
// session it replaces never expires on its own.
func (h *hook) OnSessionEstablish(cl *mqtt.Client, _ packets.Packet) {
	if old, ok := h.b.srv.Clients.Get(cl.ID); ok && old != cl {
		h.b.conns.Delete(old)
	}
}

// OnClientExpired forgets a persistent session that expired.
func (h *hook) OnClientExpired(cl *mqtt.Client) {
	h.b.conns.Delete(cl)
}
