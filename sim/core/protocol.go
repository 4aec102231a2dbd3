package core

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/listeners"
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
	RefusedMalformedPrefix = "malformed packet"
	RefusedProtocolPrefix  = "protocol violation"
	RefusedPacketTooLarge  = "packet too large"
	RefusedTopicInvalid    = "topic name invalid"
	RefusedSessionTakeover = "session taken over by a new connection"
)

// protocolRefusal classifies why mochi closed a connection: the reason to
// count and the rule that decided it, or ok false for an ordinary end (a
// DISCONNECT, the client closing the connection, a keep-alive timeout,
// the server shutting down, a CONNECT refusal already counted).
func protocolRefusal(err error) (reason, rule string, ok bool) {
	var code packets.Code
	if !errors.As(err, &code) {
		return "", "", false
	}
	hex := fmt.Sprintf("MQTT reason code 0x%02X", code.Code)
	switch code.Code {
	case packets.ErrMalformedPacket.Code: // 0x81
		reason = code.Reason
		if !strings.HasPrefix(reason, RefusedMalformedPrefix) {
			reason = RefusedMalformedPrefix + ": " + reason
		}
		return reason, "mochi packet decoder: " + hex, true
	case packets.ErrProtocolViolation.Code: // 0x82
		reason = code.Reason
		if !strings.HasPrefix(reason, RefusedProtocolPrefix) {
			reason = RefusedProtocolPrefix + ": " + reason
		}
		return reason, "mochi protocol check: " + hex, true
	case packets.ErrPacketTooLarge.Code: // 0x95
		return RefusedPacketTooLarge, "MaximumPacketSize [MQTT-3.2.2-15]: " + hex, true
	case packets.ErrTopicNameInvalid.Code, packets.ErrTopicAliasInvalid.Code, packets.ErrReceiveMaximum.Code,
		packets.ErrQosNotSupported.Code, packets.ErrUnsupportedProtocolVersion.Code, packets.ErrClientIdentifierNotValid.Code:
		return code.Reason, "mochi protocol check: " + hex, true
	case packets.ErrSessionTakenOver.Code: // 0x8E
		return RefusedSessionTakeover, "client-id takeover [MQTT-3.1.4-3]: the older connection is closed, " + hex, true
	}
	return "", "", false
}

// refuseClosed counts a connection mochi closed for a protocol error or a
// session takeover; others are ignored.
func (c *Core) refuseClosed(clientID, remote string, cause error) {
	reason, rule, ok := protocolRefusal(cause)
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

// refusingListener sees how each connection's handling ended, to count the
// ones mochi refused before a session existed (a malformed or oversize
// first packet, a first packet that is not CONNECT): mochi calls no hook
// for those.
type refusingListener struct {
	*mqttsafe.Listener
	ended   *sync.Map // net.Conn → struct{}: OnDisconnect already saw it
	onError func(remote string, err error)
}

func (l *refusingListener) Serve(establish listeners.EstablishFn) {
	l.Listener.Serve(func(id string, conn net.Conn) (err error) {
		defer func() {
			// Also on a panic (mqttsafe recovers it above): forget conn.
			if _, seen := l.ended.LoadAndDelete(conn); !seen && err != nil {
				l.onError(conn.RemoteAddr().String(), err)
			}
		}()
		return establish(id, conn)
	})
}

// Close, ID, Address, Protocol and Init are the mqttsafe.Listener's.
var _ listeners.Listener = (*refusingListener)(nil)
