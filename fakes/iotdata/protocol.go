package iotdata

import (
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"net"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"

	"github.com/tgsim/tgsim/fakes/mqttsafe"
)

// ActionDisconnect is the Denial.Action of a connection the broker closed
// because the client broke MQTT's rules (a malformed packet, a protocol
// violation, a packet over the size cap) or because a new connection took
// its client id over. It is no IoT policy action: no policy decides it.
const ActionDisconnect = "mqtt:Disconnect"

// AWS IoT's disconnect reasons (the disconnectReason of the lifecycle
// event $aws/events/presence/disconnected/clientId). AWS: iot/latest/
// developerguide/life-cycle-events.html.
const (
	// DisconnectClientError: "The client did something wrong that causes
	// it to disconnect", e.g. more than one CONNECT on a connection, or a
	// publish over the payload limit.
	DisconnectClientError = "CLIENT_ERROR"
	// DisconnectDuplicateClientID: "The client is using a client ID that
	// is already in use"; the already connected client is disconnected.
	DisconnectDuplicateClientID = "DUPLICATE_CLIENTID"
)

// Denial.Reason of the ActionDisconnect refusals. Malformed packets and
// protocol violations carry mochi's own reason, which starts with
// ReasonMalformedPrefix or ReasonProtocolPrefix, e.g. "malformed packet:
// topic", "protocol violation: second connect packet", "protocol
// violation: qos out of range".
const (
	ReasonMalformedPrefix = mqttsafe.MalformedPrefix
	ReasonProtocolPrefix  = mqttsafe.ProtocolPrefix
	ReasonPacketTooLarge  = mqttsafe.PacketTooLarge
	ReasonSessionTakeover = mqttsafe.SessionTakeover
)

// protocolRefusal is mqttsafe.Refusal with AWS IoT's disconnectReason:
// DUPLICATE_CLIENTID for a takeover, CLIENT_ERROR for the rest.
func protocolRefusal(err error) (reason, awsReason, rule string, ok bool) {
	reason, rule, ok = mqttsafe.Refusal(err)
	awsReason = DisconnectClientError
	if reason == ReasonSessionTakeover {
		awsReason = DisconnectDuplicateClientID
	}
	return reason, awsReason, rule, ok
}

// refuseClosed records a connection mochi closed for a protocol error or a
// client-id takeover; others are ignored.
func (b *Broker) refuseClosed(clientID, certID, remote string, cause error) {
	reason, awsReason, rule, ok := protocolRefusal(cause)
	if !ok {
		return
	}
	d := Denial{Time: b.opts.Now(), ClientID: clientID, CertificateID: certID, Action: ActionDisconnect,
		Resource: b.authz.clientARN(clientID), Reason: reason, DisconnectReason: awsReason}
	b.record(d)
	b.log.Warn("AWS IoT disconnected the client", "client_id", clientID, "certificate_id", certID, "remote", remote,
		"reason", reason, "disconnect_reason", awsReason, "rule", rule, "err", cause)
}

// OnDisconnect forgets a connection whose session ends with it or was
// taken over by a new connection with the same client id (which has its own
// state), and records a connection mochi closed for a protocol error or a
// takeover. The cause is the one mochi stopped the client with (a takeover,
// an MQTT 5 DISCONNECT with a code), else the read loop's error. A refusal
// the hooks already recorded (clientError) is not recorded again.
func (h *hook) OnDisconnect(cl *mqtt.Client, err error, expire bool) {
	if cl.Net.Conn != nil {
		h.b.ended.Store(cl.Net.Conn, struct{}{})
	}
	cs := h.state(cl)
	if expire || cl.IsTakenOver() {
		h.b.conns.Delete(cl)
	}
	if cs != nil && cs.refused.Load() {
		return
	}
	cause := err
	var code packets.Code
	if sc := cl.StopCause(); errors.As(sc, &code) {
		cause = sc
	}
	certID := ""
	if cs != nil {
		certID = cs.id.certID
	} else {
		certID = peerCertID(cl.Net.Conn)
	}
	h.b.refuseClosed(cl.ID, certID, cl.Net.Remote, cause)
}

// peerCertID is the certificate id (hex SHA-256 of the DER) of the TLS
// peer, or "".
func peerCertID(c net.Conn) string {
	tc, ok := c.(*tls.Conn)
	if !ok {
		return ""
	}
	peers := tc.ConnectionState().PeerCertificates
	if len(peers) == 0 {
		return ""
	}
	sum := sha256.Sum256(peers[0].Raw)
	return hex.EncodeToString(sum[:])
}
