package core

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/tgsim/tgsim/fakes/mqtttest"
)

// The fuzz target's thing: every route it has is open to fuzzed publishes,
// so a fuzzed PUBLISH reaches the routing code (deliverToClient, a hosted
// function's queue), not only mochi's decoder.
const (
	fuzzThingArn  = "arn:aws:iot:us-east-1:000000000000:thing/Fuzz"
	fuzzProbeTopc = "probe/health"
)

// nopFn is a hosted function that takes whatever it is routed.
type nopFn struct{}

func (nopFn) Handle(context.Context, Message) {}
func (nopFn) Close() error                    { return nil }

// The packet helpers are fakes/mqtttest's, under this file's short names.
type fzConn = mqtttest.Conn

var (
	fzVarint    = mqtttest.Varint
	fzPacket    = mqtttest.Packet
	fzStr       = mqtttest.Str
	fzConnect   = mqtttest.Connect
	fzSubscribe = mqtttest.Subscribe
	fzPublish   = mqtttest.Publish
	fzPingreq   = mqtttest.Pingreq
)

// fzDialCore connects clientID over MQTT 3.1.1 or 5 and waits for a
// successful CONNACK.
func fzDialCore(addr, clientID string, v5 bool) (*fzConn, error) {
	nc, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		return nil, err
	}
	return mqtttest.Handshake(nc, clientID, v5)
}

// fzSeeds are the shapes the project rule names, each the stream after a
// successful CONNECT; the first byte picks MQTT 5 (odd) or 3.1.1 (even).
func fzSeeds() [][]byte {
	seed := func(v5 bool, parts ...[]byte) []byte {
		b := byte(0)
		if v5 {
			b = 1
		}
		return append([]byte{b}, bytes.Join(parts, nil)...)
	}
	return [][]byte{
		// mochi-mqtt issue 501: MQTT 5 SUBSCRIBE whose filter lacks its
		// options byte.
		seed(true, []byte{0x82, 0x06, 0x00, 0x01, 0x00, 0x00, 0x01, 'a'}),
		// Topic names with wildcards and NUL.
		seed(false, fzPublish("fuzz/+/x", 0, 0, []byte("p"), false)),
		seed(true, fzPublish("fuzz/#", 1, 7, []byte("p"), true)),
		seed(false, fzPublish("fuzz/a\x00b", 0, 0, []byte("p"), false)),
		seed(true, fzPublish("fuzz/a\x00b", 1, 1, []byte("p"), true)),
		// Remaining length of 268435455 with almost nothing behind it.
		seed(false, []byte{0x30, 0xff, 0xff, 0xff, 0x7f, 0x00, 0x01, 'a'}),
		// A fifth remaining-length byte (malformed).
		seed(true, []byte{0x30, 0xff, 0xff, 0xff, 0xff, 0x01}),
		// A second CONNECT on the same connection, taking another
		// client's id.
		seed(false, fzConnect("Camera", false)),
		seed(true, fzConnect("Sensor", true)),
		// PUBLISH with QoS 3.
		seed(false, []byte{0x36, 0x07, 0x00, 0x03, 'f', '/', 'x', 0x00, 0x01}),
		// SUBSCRIBE with an empty filter.
		seed(false, fzSubscribe(1, "", 0, false)),
		seed(true, fzSubscribe(1, "", 1, true)),
		// Valid PUBLISHes, routed and not, QoS 0 and 1, then a DISCONNECT.
		seed(false, fzPublish("fuzz/ok", 0, 0, []byte(`{"a":1}`), false), []byte{0xe0, 0x00}),
		seed(true, fzPublish("fuzz/ok", 1, 2, []byte(`{"a":1}`), true), fzPingreq),
		seed(false, fzPublish("unrouted", 1, 3, []byte("x"), false)),
		// A valid SUBSCRIBE then an UNSUBSCRIBE.
		seed(true, fzSubscribe(4, "fuzz/#", 1, true), fzPacket(0xa2, append([]byte{0x00, 0x05, 0x00}, fzStr("fuzz/#")...))),
		// Reserved packet type 0 and 15 (AUTH on 3.1.1).
		seed(false, []byte{0x00, 0x00}),
		seed(false, []byte{0xf0, 0x00}),
	}
}

// fuzzPanicDir, when set, receives (in the testdata/fuzz corpus format)
// every input after which the broker counted a contained panic.
var fuzzPanicDir = os.Getenv("TGSIM_FUZZ_PANIC_DIR")

func fzSavePanic(tb testing.TB, target string, data []byte) {
	mqtttest.SavePanicInput(tb.Logf, fuzzPanicDir, target, data)
}

// startFuzzCore runs a plain-TCP core with routes from Sensor to Camera
// (the health probe) and from Fuzz to Camera and to a hosted function.
func startFuzzCore(tb testing.TB) *Core {
	tb.Helper()
	c, err := New(Options{MQTTAddr: "127.0.0.1:0", GroupName: "fuzz"})
	if err != nil {
		tb.Fatal(err)
	}
	tab, err := NewTable([]Route{
		{ID: "probe", Source: sensorArn, Subject: "probe/#", Target: cameraArn},
		{ID: "fuzz-camera", Source: fuzzThingArn, Subject: "fuzz/#", Target: cameraArn},
		{ID: "fuzz-fn", Source: fuzzThingArn, Subject: "#", Target: fnArn},
	}, []Device{
		{ThingName: "Sensor", ThingArn: sensorArn},
		{ThingName: "Camera", ThingArn: cameraArn},
		{ThingName: "Fuzz", ThingArn: fuzzThingArn},
	})
	if err != nil {
		tb.Fatal(err)
	}
	c.table.Store(tab)
	c.funcs.Store(&functionSet{byARN: map[string]*hostedFunction{fnArn: startHosted(fnArn, nopFn{}, 10)}})
	if err := c.broker.Serve(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		c.funcs.Load().closeAll()
		c.broker.Close()
	})
	return c
}

// FuzzCorePackets writes arbitrary bytes after a valid CONNECT of an
// admitted thing and checks, after every input, that the core still
// serves others: a long-lived subscriber (Camera) still gets what a fresh
// device (Sensor) publishes on its route, and both still answer PINGREQ.
func FuzzCorePackets(f *testing.F) {
	for _, s := range fzSeeds() {
		f.Add(s)
	}
	c := startFuzzCore(f)
	addr := c.MQTTAddr()
	camera, err := fzDialCore(addr, "Camera", false)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { camera.Close() })
	camera.SetWriteDeadline(time.Now().Add(2 * time.Second))
	if _, err := camera.Write(fzSubscribe(1, "#", 0, false)); err != nil {
		f.Fatal(err)
	}
	if _, err := camera.ExpectPacket(9, 2*time.Second); err != nil {
		f.Fatalf("camera SUBACK: %v", err)
	}
	var probes int

	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 {
			return
		}
		v5, stream := data[0]&1 == 1, data[1:]
		panicsBefore := c.Stats().Panics

		fc, err := fzDialCore(addr, "Fuzz", v5)
		if err != nil {
			t.Fatalf("the fuzz client's CONNECT was refused: %v", err)
		}
		fc.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
		_, _ = fc.Write(stream)
		fc.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
		_, _ = io.Copy(io.Discard, fc)
		fc.Close()

		// The broker still serves everyone else.
		probes++
		payload := fmt.Appendf(nil, "probe %d", probes)
		sensor, err := fzDialCore(addr, "Sensor", false)
		if err != nil {
			t.Fatalf("a well-behaved device cannot connect after the input: %v", err)
		}
		defer sensor.Close()
		sensor.SetWriteDeadline(time.Now().Add(2 * time.Second))
		if _, err := sensor.Write(append(fzPublish(fuzzProbeTopc, 0, 0, payload, false), fzPingreq...)); err != nil {
			t.Fatalf("sensor publish: %v", err)
		}
		if _, err := sensor.ExpectPacket(13, 2*time.Second); err != nil {
			t.Fatalf("sensor PINGRESP: %v", err)
		}
		camera.SetWriteDeadline(time.Now().Add(2 * time.Second))
		if _, err := camera.Write(fzPingreq); err != nil {
			t.Fatalf("camera PINGREQ: %v", err)
		}
		deadline := time.Now().Add(2 * time.Second)
		for {
			typ, body, err := camera.ReadPacket(time.Until(deadline))
			if err != nil {
				t.Fatalf("camera did not get the probe %q (Stats %+v, drops %v): %v", payload, c.Stats(), c.Drops(), err)
			}
			if typ == 3 && bytes.Equal(body, append(fzStr(fuzzProbeTopc), payload...)) {
				break
			}
		}
		if n := c.Stats().Panics; n > panicsBefore {
			t.Logf("contained panic after input %x (Stats().Panics %d -> %d)", data, panicsBefore, n)
			fzSavePanic(t, "FuzzCorePackets", data)
		}
	})
}

// mochi allocates a packet's declared remaining length before reading it,
// the first CONNECT included: unauthenticated 5-byte headers claiming 256
// MiB each must not make the core allocate that (a few dozen of them ended
// the process with "fatal error: out of memory" before capabilities() set
// MaximumPacketSize).
func TestOversizeHeadersDoNotExhaustMemory(t *testing.T) {
	c := startFuzzCore(t)
	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i := 0; i < 16; i++ {
		nc, err := net.Dial("tcp", c.MQTTAddr())
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		// A CONNECT, then a PUBLISH after a valid CONNECT: both claim
		// 268435455 bytes.
		hdr := []byte{0x10, 0xff, 0xff, 0xff, 0x7f}
		if i%2 == 1 {
			hdr = append(fzConnect("Fuzz", false), 0x30, 0xff, 0xff, 0xff, 0x7f)
		}
		if _, err := nc.Write(hdr); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(300 * time.Millisecond)
	for time.Now().Before(deadline) {
		var now runtime.MemStats
		runtime.ReadMemStats(&now)
		if grown := int64(now.HeapAlloc) - int64(before.HeapAlloc); grown > 512<<20 {
			t.Fatalf("heap grew by %d MiB for 16 connections that sent 5-byte headers", grown>>20)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
