package mqttsafe

import (
	"fmt"
	"io"
	"testing"

	"github.com/mochi-mqtt/server/v2/packets"
)

func TestRefusal(t *testing.T) {
	for _, tc := range []struct {
		name   string
		err    error
		reason string
		ok     bool
	}{
		{"malformed, wrapped by mochi", fmt.Errorf("invalid utf-8 string: %w", packets.ErrMalformedPacket), MalformedPrefix, true},
		{"protocol violation", packets.ErrProtocolViolationSecondConnect, "protocol violation: second connect packet", true},
		{"too large", packets.ErrPacketTooLarge, PacketTooLarge, true},
		{"takeover", packets.ErrSessionTakenOver, SessionTakeover, true},
		{"client closed", io.EOF, "", false},
		{"ordinary disconnect", packets.CodeDisconnect, "", false},
		{"nil", nil, "", false},
	} {
		reason, rule, ok := Refusal(tc.err)
		if ok != tc.ok || reason != tc.reason || (ok && rule == "") {
			t.Errorf("%s: Refusal = %q, %q, %v; want %q, %v", tc.name, reason, rule, ok, tc.reason, tc.ok)
		}
	}
}
