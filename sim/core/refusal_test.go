package core

import (
	"bufio"
	"maps"
	"net"
	"testing"
	"time"
)

// TestProtocolRefusalsAreRecorded sends, over a real connection, each
// packet mochi itself refuses and checks that the core counts the refusal
// under its reason, and that it keeps serving others.
func TestProtocolRefusalsAreRecorded(t *testing.T) {
	over := 128*1024 + 64*1024 + 1 // one byte over capabilities().MaximumPacketSize
	tests := []struct {
		name string
		// send runs after the Fuzz thing's successful CONNECT on conn (nil
		// conn: before any CONNECT, on a fresh connection).
		send     func(t *testing.T, c *Core, conn net.Conn, v5 bool)
		preConn  bool
		want     string // "" = nothing recorded
		takeover bool
	}{
		{name: "PUBLISH with # in the topic", want: "protocol violation: topic contains wildcards",
			send: func(t *testing.T, _ *Core, conn net.Conn, v5 bool) {
				write(t, conn, fzPublish("fuzz/#", 0, 0, []byte("x"), v5))
			}},
		{name: "PUBLISH with + in the topic", want: "protocol violation: topic contains wildcards",
			send: func(t *testing.T, _ *Core, conn net.Conn, v5 bool) {
				write(t, conn, fzPublish("fuzz/+/x", 1, 7, []byte("x"), v5))
			}},
		{name: "PUBLISH with NUL in the topic", want: "malformed packet: topic", // mochi: "invalid utf-8 string: malformed packet: topic"
			send: func(t *testing.T, _ *Core, conn net.Conn, v5 bool) {
				write(t, conn, fzPublish("fuzz/a\x00b", 0, 0, []byte("x"), v5))
			}},
		{name: "PUBLISH with invalid UTF-8 in the topic", want: "malformed packet: topic", // mochi: "invalid utf-8 string: malformed packet: topic"
			send: func(t *testing.T, _ *Core, conn net.Conn, v5 bool) {
				write(t, conn, fzPublish("fuzz/\xff\xfe", 0, 0, []byte("x"), v5))
			}},
		{name: "QoS 3", want: "protocol violation: qos out of range",
			send: func(t *testing.T, _ *Core, conn net.Conn, v5 bool) {
				pk := fzPublish("fuzz/a", 1, 7, []byte("x"), v5)
				pk[0] |= 0x06
				write(t, conn, pk)
			}},
		{name: "second CONNECT", want: "protocol violation: second connect packet",
			send: func(t *testing.T, _ *Core, conn net.Conn, v5 bool) {
				write(t, conn, fzConnect("Fuzz", v5))
			}},
		{name: "packet over MaximumPacketSize", want: RefusedPacketTooLarge,
			send: func(t *testing.T, _ *Core, conn net.Conn, _ bool) {
				write(t, conn, append([]byte{0x30}, fzVarint(over)...))
			}},
		{name: "malformed remaining length", want: "malformed packet: variable byte integer out of range",
			send: func(t *testing.T, _ *Core, conn net.Conn, _ bool) {
				write(t, conn, []byte{0x30, 0xff, 0xff, 0xff, 0xff, 0x7f})
			}},
		{name: "malformed remaining length before CONNECT", preConn: true, want: "malformed packet: variable byte integer out of range",
			send: func(t *testing.T, _ *Core, conn net.Conn, _ bool) {
				write(t, conn, []byte{0x10, 0xff, 0xff, 0xff, 0xff, 0x7f})
			}},
		{name: "first packet over MaximumPacketSize", preConn: true, want: RefusedPacketTooLarge,
			send: func(t *testing.T, _ *Core, conn net.Conn, _ bool) {
				write(t, conn, append([]byte{0x10}, fzVarint(over)...))
			}},
		{name: "first packet is not CONNECT", preConn: true, want: "protocol violation: first packet must be connect",
			send: func(t *testing.T, _ *Core, conn net.Conn, v5 bool) {
				write(t, conn, fzPublish("fuzz/a", 0, 0, nil, v5))
			}},
		{name: "client-id takeover by a second client", want: RefusedSessionTakeover, takeover: true,
			send: func(t *testing.T, c *Core, _ net.Conn, v5 bool) {
				second, err := fzDialCore(c.MQTTAddr(), "Fuzz", v5)
				if err != nil {
					t.Fatalf("second client: %v", err)
				}
				t.Cleanup(func() { second.Close() })
			}},
		{name: "clean DISCONNECT", want: "",
			send: func(t *testing.T, _ *Core, conn net.Conn, _ bool) {
				write(t, conn, []byte{0xe0, 0x00})
			}},
		{name: "connection closed by the client", want: "",
			send: func(t *testing.T, _ *Core, conn net.Conn, _ bool) {
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
				c := startFuzzCore(t)
				var conn net.Conn
				if tt.preConn {
					nc, err := net.DialTimeout("tcp", c.MQTTAddr(), 2*time.Second)
					if err != nil {
						t.Fatal(err)
					}
					conn = nc
				} else {
					fc, err := fzDialCore(c.MQTTAddr(), "Fuzz", v5)
					if err != nil {
						t.Fatal(err)
					}
					conn = fc
				}
				defer conn.Close()
				tt.send(t, c, conn, v5)
				// The broker closes the connection (or the client did).
				conn.SetReadDeadline(time.Now().Add(5 * time.Second))
				_, _ = bufio.NewReader(conn).Discard(1 << 30)
				if tt.want == "" {
					// OnDisconnect runs before a clean session is removed.
					waitFor(t, "Fuzz's session to end", func() bool {
						_, ok := c.broker.Clients.Get("Fuzz")
						return !ok
					})
					if got := c.Refusals(); len(got) != 0 {
						t.Errorf("Refusals() = %v, want none", got)
					}
					if st := c.Stats(); st.ProtocolErrors != 0 || st.TakenOver != 0 {
						t.Errorf("Stats() = %+v, want no protocol errors or takeovers", st)
					}
					return
				}
				waitFor(t, "refusal "+tt.want, func() bool { return c.Refusals()[tt.want] > 0 })
				if got := c.Refusals(); len(got) != 1 || got[tt.want] != 1 {
					t.Errorf("Refusals() = %v, want exactly {%q: 1}", got, tt.want)
				}
				st := c.Stats()
				if tt.takeover && (st.TakenOver != 1 || st.ProtocolErrors != 0) {
					t.Errorf("Stats() = %+v, want TakenOver 1, ProtocolErrors 0", st)
				}
				if !tt.takeover && (st.ProtocolErrors != 1 || st.TakenOver != 0) {
					t.Errorf("Stats() = %+v, want ProtocolErrors 1, TakenOver 0", st)
				}
				// The broker keeps serving everyone else.
				other, err := fzDialCore(c.MQTTAddr(), "Sensor", v5)
				if err != nil {
					t.Fatalf("another device after the refusal: %v", err)
				}
				defer other.Close()
				write(t, other, fzPingreq)
				if _, err := other.ExpectPacket(13, 2*time.Second); err != nil {
					t.Fatalf("PINGREQ after the refusal: %v", err)
				}
				if got := c.Refusals(); !maps.Equal(got, map[string]uint64{tt.want: 1}) {
					t.Errorf("Refusals() after = %v, want exactly {%q: 1}", got, tt.want)
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
