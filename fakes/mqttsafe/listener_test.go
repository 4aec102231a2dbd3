package mqttsafe_test

import (
	"bytes"
	"io"
	"net"
	"sync/atomic"
	"testing"
	"time"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/hooks/auth"
	"github.com/mochi-mqtt/server/v2/packets"

	"github.com/tgsim/tgsim/fakes/mqttsafe"
)

// panicHook panics while handling any packet of the client "boom".
type panicHook struct{ mqtt.HookBase }

func (h *panicHook) ID() string           { return "panic" }
func (h *panicHook) Provides(b byte) bool { return b == mqtt.OnPacketRead }
func (h *panicHook) OnPacketRead(cl *mqtt.Client, pk packets.Packet) (packets.Packet, error) {
	if cl.ID == "boom" {
		panic("boom")
	}
	return pk, nil
}

// connect sends an MQTT 3.1.1 CONNECT and reads the CONNACK.
func connect(t *testing.T, addr, id string) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	vh := []byte{0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0x02, 0x00, 0x3c}
	payload := append([]byte{0x00, byte(len(id))}, id...)
	if _, err := conn.Write(append([]byte{0x10, byte(len(vh) + len(payload))}, append(vh, payload...)...)); err != nil {
		t.Fatal(err)
	}
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	ack := make([]byte, 4)
	if _, err := io.ReadFull(conn, ack); err != nil || !bytes.Equal(ack, []byte{0x20, 0x02, 0x00, 0x00}) {
		t.Fatalf("CONNACK for %s = %x, %v", id, ack, err)
	}
	return conn
}

func TestPanicIsContained(t *testing.T) {
	srv := mqtt.New(&mqtt.Options{InlineClient: false})
	if err := srv.AddHook(new(auth.AllowHook), nil); err != nil {
		t.Fatal(err)
	}
	if err := srv.AddHook(new(panicHook), nil); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var notified atomic.Int32
	l := mqttsafe.New("t", ln, mqttsafe.Options{OnPanic: func() { notified.Add(1) }})
	if err := srv.AddListener(l); err != nil {
		t.Fatal(err)
	}
	if err := srv.Serve(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })

	boom := connect(t, l.Address(), "boom")
	if _, err := boom.Write([]byte{0xc0, 0x00}); err != nil { // PINGREQ
		t.Fatal(err)
	}
	io.ReadAll(boom) // closed by the recovery
	deadline := time.Now().Add(5 * time.Second)
	for l.Panics() == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if l.Panics() != 1 || notified.Load() != 1 {
		t.Fatalf("Panics() = %d, OnPanic calls = %d; want 1, 1", l.Panics(), notified.Load())
	}
	ok := connect(t, l.Address(), "fine")
	if _, err := ok.Write([]byte{0xc0, 0x00}); err != nil {
		t.Fatal(err)
	}
	resp := make([]byte, 2)
	if _, err := io.ReadFull(ok, resp); err != nil || resp[0] != 0xd0 {
		t.Fatalf("PINGRESP = %x, %v", resp, err)
	}
}
