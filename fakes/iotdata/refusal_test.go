package iotdata_test

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/tgsim/tgsim/fakes/iotdata"
)

// TestProtocolRefusalsAreRecorded sends, over a real mutual-TLS
// connection, each packet mochi (or AWS IoT's rules) refuses and checks
// that the broker records one Denial with the reason, AWS IoT's
// disconnectReason, and that it keeps serving others.
func TestProtocolRefusalsAreRecorded(t *testing.T) {
	over := 4096 + 64*1024 + 1 // one byte over MaximumPacketSize for MaxPayload 4096
	tests := []struct {
		name string
		// send runs after the fuzz client's successful CONNECT on conn, or
		// with preConn on a fresh TLS connection before any CONNECT.
		send       func(t *testing.T, e *fzEnv, conn net.Conn, v5 bool)
		preConn    bool
		wantAction string // "" = nothing recorded
		wantReason string // prefix of Denial.Reason
		wantAWS    string
	}{
		{name: "PUBLISH with # in the topic", wantAction: iotdata.ActionPublish, wantReason: `topic name "fuzz/#" holds an MQTT wildcard`, wantAWS: iotdata.DisconnectClientError,
			send: func(t *testing.T, _ *fzEnv, conn net.Conn, v5 bool) {
				write(t, conn, fzPublish("fuzz/#", 0, 0, []byte("x"), v5))
			}},
		{name: "PUBLISH with NUL in the topic", wantAction: iotdata.ActionDisconnect, wantReason: "malformed packet: topic", wantAWS: iotdata.DisconnectClientError,
			send: func(t *testing.T, _ *fzEnv, conn net.Conn, v5 bool) {
				write(t, conn, fzPublish("fuzz/a\x00b", 0, 0, []byte("x"), v5))
			}},
		{name: "PUBLISH with invalid UTF-8 in the topic", wantAction: iotdata.ActionDisconnect, wantReason: "malformed packet: topic", wantAWS: iotdata.DisconnectClientError,
			send: func(t *testing.T, _ *fzEnv, conn net.Conn, v5 bool) {
				write(t, conn, fzPublish("fuzz/\xff\xfe", 0, 0, []byte("x"), v5))
			}},
		{name: "QoS 3", wantAction: iotdata.ActionDisconnect, wantReason: "protocol violation: qos out of range", wantAWS: iotdata.DisconnectClientError,
			send: func(t *testing.T, _ *fzEnv, conn net.Conn, v5 bool) {
				pk := fzPublish("fuzz/a", 1, 7, []byte("x"), v5)
				pk[0] |= 0x06
				write(t, conn, pk)
			}},
		{name: "second CONNECT", wantAction: iotdata.ActionDisconnect, wantReason: "protocol violation: second connect packet", wantAWS: iotdata.DisconnectClientError,
			send: func(t *testing.T, _ *fzEnv, conn net.Conn, v5 bool) {
				write(t, conn, fzConnect("fuzz", v5))
			}},
		{name: "packet over MaximumPacketSize", wantAction: iotdata.ActionDisconnect, wantReason: iotdata.ReasonPacketTooLarge, wantAWS: iotdata.DisconnectClientError,
			send: func(t *testing.T, _ *fzEnv, conn net.Conn, _ bool) {
				write(t, conn, append([]byte{0x30}, fzVarint(over)...))
			}},
		{name: "malformed remaining length", wantAction: iotdata.ActionDisconnect, wantReason: "malformed packet: variable byte integer out of range", wantAWS: iotdata.DisconnectClientError,
			send: func(t *testing.T, _ *fzEnv, conn net.Conn, _ bool) {
				write(t, conn, []byte{0x30, 0xff, 0xff, 0xff, 0xff, 0x7f})
			}},
		{name: "malformed remaining length before CONNECT", preConn: true, wantAction: iotdata.ActionDisconnect, wantReason: "malformed packet: variable byte integer out of range", wantAWS: iotdata.DisconnectClientError,
			send: func(t *testing.T, _ *fzEnv, conn net.Conn, _ bool) {
				write(t, conn, []byte{0x10, 0xff, 0xff, 0xff, 0xff, 0x7f})
			}},
		{name: "first packet is not CONNECT", preConn: true, wantAction: iotdata.ActionDisconnect, wantReason: "protocol violation: first packet must be connect", wantAWS: iotdata.DisconnectClientError,
			send: func(t *testing.T, _ *fzEnv, conn net.Conn, v5 bool) {
				write(t, conn, fzPublish("fuzz/a", 0, 0, nil, v5))
			}},
		{name: "client-id takeover by a second client", wantAction: iotdata.ActionDisconnect, wantReason: iotdata.ReasonSessionTakeover, wantAWS: iotdata.DisconnectDuplicateClientID,
			send: func(t *testing.T, e *fzEnv, _ net.Conn, v5 bool) {
				second, err := fzDial(e.b.Addr(), e.fuzzTLS, "fuzz", v5)
				if err != nil {
					t.Fatalf("second client: %v", err)
				}
				t.Cleanup(func() { second.Close() })
			}},
		{name: "clean DISCONNECT",
			send: func(t *testing.T, _ *fzEnv, conn net.Conn, _ bool) {
				write(t, conn, []byte{0xe0, 0x00})
			}},
		{name: "connection closed by the client",
			send: func(t *testing.T, _ *fzEnv, conn net.Conn, _ bool) {
				conn.Close()
			}},
	}
	for _, tt := range tests {
		for _, v5 := range []bool{false, true} {
			name := tt.name + "/mqtt3"
			if v5 {
				name = tt.name + "/mqtt5"
			}
			t.Run(name, func(t *testing.T) {
				e := newFuzzEnv(t)
				var conn net.Conn
				if tt.preConn {
					nc, err := tls.DialWithDialer(&net.Dialer{Timeout: 2 * time.Second}, "tcp", e.b.Addr(), e.fuzzTLS)
					if err != nil {
						t.Fatal(err)
					}
					conn = nc
				} else {
					fc, err := fzDial(e.b.Addr(), e.fuzzTLS, "fuzz", v5)
					if err != nil {
						t.Fatal(err)
					}
					conn = fc
				}
				defer conn.Close()
				tt.send(t, e, conn, v5)
				// The broker closes the connection (or the client did).
				conn.SetReadDeadline(time.Now().Add(5 * time.Second))
				_, _ = bufio.NewReader(conn).Discard(1 << 30)
				if tt.wantAction == "" {
					// OnDisconnect runs before the client is counted out.
					waitFor(t, "the fuzz client to be disconnected", func() bool { return e.b.Stats().Connected == 0 })
					if got := e.b.Denials(); len(got) != 0 {
						t.Errorf("Denials() = %+v, want none", got)
					}
					return
				}
				waitFor(t, "a denial", func() bool { return len(e.b.Denials()) > 0 })
				if tt.wantAWS == iotdata.DisconnectDuplicateClientID {
					// The second client is connected; the first is gone.
					waitFor(t, "the taken-over client to go", func() bool { return e.b.Stats().Connected == 1 })
				}
				got := e.b.Denials()
				if len(got) != 1 {
					t.Fatalf("Denials() = %+v, want exactly one", got)
				}
				d := got[0]
				if d.Action != tt.wantAction || !strings.HasPrefix(d.Reason, tt.wantReason) || d.DisconnectReason != tt.wantAWS {
					t.Errorf("Denial = %+v, want Action %q, Reason %q..., DisconnectReason %q", d, tt.wantAction, tt.wantReason, tt.wantAWS)
				}
				if !tt.preConn && (d.ClientID != "fuzz" || d.CertificateID == "") {
					t.Errorf("Denial = %+v, want the fuzz client and its certificate", d)
				}
				if st := e.b.Stats(); st.Denied[tt.wantAction] != 1 {
					t.Errorf("Stats().Denied = %v, want %s: 1", st.Denied, tt.wantAction)
				}
				// The broker keeps serving everyone else.
				other, err := fzDial(e.b.Addr(), e.probe, fmt.Sprintf("probe-%d", time.Now().UnixNano()), v5)
				if err != nil {
					t.Fatalf("another client after the refusal: %v", err)
				}
				defer other.Close()
				write(t, other, fzPingreq)
				if _, err := other.ExpectPacket(13, 2*time.Second); err != nil {
					t.Fatalf("PINGREQ after the refusal: %v", err)
				}
				if n := len(e.b.Denials()); n != 1 {
					t.Errorf("%d denials after the probe, want 1: %+v", n, e.b.Denials())
				}
			})
		}
	}
}

func write(t *testing.T, conn net.Conn, b []byte) {
	t.Helper()
	conn.SetWriteDeadline(time.Now().Add(2 * time.Second))
	if _, err := conn.Write(b); err != nil {
		t.Fatalf("write: %v", err)
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
