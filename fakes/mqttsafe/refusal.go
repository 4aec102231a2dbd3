package mqttsafe

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"

	"github.com/mochi-mqtt/server/v2/listeners"
	"github.com/mochi-mqtt/server/v2/packets"
)

// Reasons a broker on mochi records for a connection mochi closed.
// Malformed packets and protocol violations carry mochi's own reason,
// which starts with MalformedPrefix or ProtocolPrefix, e.g. "malformed
// packet: topic", "protocol violation: second connect packet",
// "protocol violation: qos out of range".
const (
	MalformedPrefix = "malformed packet"
	ProtocolPrefix  = "protocol violation"
	PacketTooLarge  = "packet too large"
	SessionTakeover = "session taken over by a new connection"
)

// Refusal classifies why mochi closed a connection: the reason to record
// and the rule that decided it, or ok false for an ordinary end (a
// DISCONNECT, the client closing the connection, a keep-alive timeout,
// the server shutting down, a CONNECT refusal a hook already recorded).
// mochi wraps some codes ("invalid utf-8 string: malformed packet:
// topic"); the innermost Code is the reason. Both brokers tgsim runs on
// mochi (a Greengrass core, AWS IoT Core's data plane) classify with it.
func Refusal(err error) (reason, rule string, ok bool) {
	var code packets.Code
	if !errors.As(err, &code) {
		return "", "", false
	}
	hex := fmt.Sprintf("MQTT reason code 0x%02X", code.Code)
	switch code.Code {
	case packets.ErrMalformedPacket.Code: // 0x81
		reason = code.Reason
		if !strings.HasPrefix(reason, MalformedPrefix) {
			reason = MalformedPrefix + ": " + reason
		}
		return reason, "mochi packet decoder: " + hex, true
	case packets.ErrProtocolViolation.Code: // 0x82
		reason = code.Reason
		if !strings.HasPrefix(reason, ProtocolPrefix) {
			reason = ProtocolPrefix + ": " + reason
		}
		return reason, "mochi protocol check: " + hex, true
	case packets.ErrPacketTooLarge.Code: // 0x95
		return PacketTooLarge, "MaximumPacketSize [MQTT-3.2.2-15]: " + hex, true
	case packets.ErrTopicNameInvalid.Code, packets.ErrTopicAliasInvalid.Code, packets.ErrReceiveMaximum.Code,
		packets.ErrQosNotSupported.Code, packets.ErrUnsupportedProtocolVersion.Code, packets.ErrClientIdentifierNotValid.Code:
		return code.Reason, "mochi protocol check: " + hex, true
	case packets.ErrSessionTakenOver.Code: // 0x8E
		return SessionTakeover, "client-id takeover [MQTT-3.1.4-3]: the older connection is closed, " + hex, true
	}
	return "", "", false
}

// RefusingListener sees how each connection's handling ended, to record
// the ones mochi refused before a session existed (a malformed or oversize
// first packet, a first packet that is not CONNECT): mochi calls no hook
// for those. Ended holds the connections a hook's OnDisconnect already
// saw (net.Conn → struct{}); OnError hears the others that ended with an
// error.
type RefusingListener struct {
	*Listener
	Ended   *sync.Map
	OnError func(conn net.Conn, err error)
}

func (l *RefusingListener) Serve(establish listeners.EstablishFn) {
	l.Listener.Serve(func(id string, conn net.Conn) (err error) {
		defer func() {
			// Also on a panic (Listener recovers it above): forget conn.
			if _, seen := l.Ended.LoadAndDelete(conn); !seen && err != nil {
				l.OnError(conn, err)
			}
		}()
		return establish(id, conn)
	})
}

// Close, ID, Address, Protocol and Init are the Listener's.
var _ listeners.Listener = (*RefusingListener)(nil)
