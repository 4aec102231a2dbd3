package core

import (
	"errors"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"

	"github.com/tgsim/tgsim/fakes/mqttsafe"
)

// Refusal reasons of connections mochi closed (Refusals keys). Malformed
// packets and protocol violations are counted under mochi's own reason,
// which starts with RefusedMalformedPrefix or RefusedProtocolPrefix, e.g.
// "malformed packet: variable byte integer out of range", "protocol
// violation: second connect packet", "protocol violation: qos out of
// range", "protocol violation: topic contains wildcards".
const (
	RefusedMalformedPrefix = mqttsafe.MalformedPrefix
	RefusedProtocolPrefix  = mqttsafe.ProtocolPrefix
	RefusedPacketTooLarge  = mqttsafe.PacketTooLarge
	RefusedTopicInvalid    = "topic name invalid"
	RefusedSessionTakeover = mqttsafe.SessionTakeover
)

// refuseClosed counts a connection mochi closed for a protocol error or a
// session takeover; others are ignored.
func (c *Core) refuseClosed(clientID, remote string, cause error) {
	reason, rule, ok := mqttsafe.Refusal(cause)
	if !ok {
		return
	}
	c.dropMu.Lock()
	c.refusals[reason]++
	c.dropMu.Unlock()
	if reason == RefusedSessionTakeover {
		c.takenOver.Add(1)
	} else {
		c.protocolErrors.Add(1)
	}
	c.log.Warn("connection refused", "client_id", clientID, "remote", remote, "reason", reason, "rule", rule, "err", cause)
}

// OnDisconnect counts a connection mochi closed for a protocol error or
// because a new connection took its client id over. The cause is the one
// mochi stopped the client with (a takeover or an MQTT 5 DISCONNECT with a
// code), else the read loop's error.
func (h *routingHook) OnDisconnect(cl *mqtt.Client, err error, _ bool) {
	if cl.Net.Conn != nil {
		h.core.ended.Store(cl.Net.Conn, struct{}{})
	}
	cause := err
	var code packets.Code
	if sc := cl.StopCause(); errors.As(sc, &code) {
		cause = sc
	}
	h.core.refuseClosed(cl.ID, cl.Net.Remote, cause)
}
