package core

import (
	"context"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/tgsim/tgsim/sim/device"
)

const (
	sensorArn = "arn:aws:iot:us-east-1:000000000000:thing/Sensor"
	cameraArn = "arn:aws:iot:us-east-1:000000000000:thing/Camera"
	fnArn     = "arn:aws:lambda:us-east-1:000000000000:function:Echo:1"
)

// echoFn forwards every message it gets to "Camera/capture" and records it.
type echoFn struct {
	mu   sync.Mutex
	got  []Message
	env  FunctionEnv
	errs []error
}

func (f *echoFn) Handle(ctx context.Context, m Message) {
	f.mu.Lock()
	f.got = append(f.got, m)
	f.mu.Unlock()
	if err := f.env.Publish(ctx, "Camera/capture", m.Payload); err != nil {
		f.mu.Lock()
		f.errs = append(f.errs, err)
		f.mu.Unlock()
	}
	// Also try a topic with no route: must be refused, never delivered.
	_ = f.env.Publish(ctx, "Camera/secret", m.Payload)
}

func (f *echoFn) Close() error { return nil }

// startTestCore runs a core with a fixed table and one hosted function,
// without the deployment agent.
func startTestCore(t *testing.T) (*Core, *echoFn) {
	t.Helper()
	c, err := New(Options{MQTTAddr: "127.0.0.1:0", GroupName: "g"})
	if err != nil {
		t.Fatal(err)
	}
	tab, err := NewTable([]Route{
		{ID: "1", Source: sensorArn, Subject: "Sensor/motion", Target: fnArn},
		{ID: "2", Source: fnArn, Subject: "Camera/capture", Target: cameraArn},
	}, []Device{{ThingName: "Sensor", ThingArn: sensorArn}, {ThingName: "Camera", ThingArn: cameraArn}})
	if err != nil {
		t.Fatal(err)
	}
	c.table.Store(tab)
	fn := &echoFn{}
	fn.env = FunctionEnv{ARN: fnArn, Publish: func(_ context.Context, topic string, p []byte) error { return c.publishFrom(fnArn, topic, p) }}
	c.funcs.Store(&functionSet{byARN: map[string]*hostedFunction{fnArn: startHosted(fnArn, fn, 10)}})
	if err := c.broker.Serve(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c.funcs.Load().closeAll()
		_ = c.shadow.close()
		c.broker.Close()
	})
	return c, fn
}

func TestCoreRoutesOnlyBySubscriptions(t *testing.T) {
	c, fn := startTestCore(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	camera, err := device.Connect(ctx, device.Options{ThingName: "Camera", Broker: c.MQTTAddr()})
	if err != nil {
		t.Fatal(err)
	}
	defer camera.Close()
	// The camera listens on everything, so only the table limits delivery.
	if err := camera.Subscribe(ctx, "#"); err != nil {
		t.Fatal(err)
	}
	sensor, err := device.Connect(ctx, device.Options{ThingName: "Sensor", Broker: c.MQTTAddr(), Events: []device.Event{{Name: "motion", Topic: "Sensor/motion"}}})
	if err != nil {
		t.Fatal(err)
	}
	defer sensor.Close()

	// Unrouted publishes first: device-to-device and an unlisted topic.
	if err := sensor.Publish(ctx, "Camera/capture", []byte(`{"direct":true}`)); err != nil {
		t.Fatal(err)
	}
	if err := sensor.Publish(ctx, "Sensor/unlisted", []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		if err := sensor.Emit(ctx, "motion", []byte(`{"isMotionDetected":true}`)); err != nil {
			t.Fatal(err)
		}
	}
	if err := camera.WaitReceived(ctx, func(r []device.Received) bool { return len(r) >= 3 }); err != nil {
		t.Fatalf("camera got %d messages, want 3: %v", len(camera.Received()), err)
	}
	for _, r := range camera.Received() {
		if r.Topic != "Camera/capture" || string(r.Payload) != `{"isMotionDetected":true}` {
			t.Errorf("camera received %s %s, want only Camera/capture from the function", r.Topic, r.Payload)
		}
	}
	drops := c.Drops()
	for _, k := range []DropKey{
		{Source: sensorArn, Topic: "Camera/capture", Reason: DropNoRoute},
		{Source: sensorArn, Topic: "Sensor/unlisted", Reason: DropNoRoute},
		{Source: fnArn, Topic: "Camera/secret", Reason: DropNoRoute},
	} {
		if drops[k] == 0 {
			t.Errorf("Drops()[%+v] = 0, want > 0 (all drops: %v)", k, drops)
		}
	}
	fn.mu.Lock()
	if len(fn.got) != 3 || len(fn.errs) != 0 {
		t.Errorf("function got %d messages with errors %v, want 3 and none", len(fn.got), fn.errs)
	}
	fn.mu.Unlock()
}

func TestCoreRefusesUnknownThing(t *testing.T) {
	c, _ := startTestCore(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	d, err := device.Connect(ctx, device.Options{ThingName: "Impostor", Broker: c.MQTTAddr(), Timeout: 2 * time.Second})
	if err == nil {
		d.Close()
		t.Fatal("Connect(Impostor) succeeded, want refusal: not a thing of the group")
	}
}

// mochi-mqtt issue 501: an MQTT 5 SUBSCRIBE whose topic filter is not
// followed by its options byte panics in the decoder. The core must close
// that one connection and keep serving everyone else.
func TestTruncatedSubscribeIsContained(t *testing.T) {
	c, _ := startTestCore(t)
	conn, err := net.Dial("tcp", c.MQTTAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	id := "Sensor"
	// CONNECT, MQTT 5: protocol name, level 5, clean start, keepalive 60,
	// no properties, client id.
	vh := []byte{0x00, 0x04, 'M', 'Q', 'T', 'T', 0x05, 0x02, 0x00, 0x3c, 0x00}
	payload := append([]byte{0x00, byte(len(id))}, id...)
	connect := append([]byte{0x10, byte(len(vh) + len(payload))}, append(vh, payload...)...)
	if _, err := conn.Write(connect); err != nil {
		t.Fatal(err)
	}
	ack := make([]byte, 4)
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.ReadFull(conn, ack); err != nil || ack[0] != 0x20 {
		t.Fatalf("CONNACK = %x, %v", ack, err)
	}
	// SUBSCRIBE: packet id 1, no properties, topic filter "a", and no
	// subscription options byte.
	if _, err := conn.Write([]byte{0x82, 0x06, 0x00, 0x01, 0x00, 0x00, 0x01, 'a'}); err != nil {
		t.Fatal(err)
	}
	// The connection is closed...
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.ReadAll(conn); err != nil {
		t.Logf("read after bad SUBSCRIBE: %v", err)
	}
	// ...and the broker still serves a well-behaved device.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	d, err := device.Connect(ctx, device.Options{ThingName: "Camera", Broker: c.MQTTAddr()})
	if err != nil {
		t.Fatalf("connect after the contained panic: %v", err)
	}
	d.Close()
	// mochi's own deferred cleanup closes the connection before the core's
	// recover counts the panic: wait for the count.
	if err := c.WaitPanics(ctx, 1); err != nil {
		t.Errorf("waiting for the contained panic: %v (Stats().Panics = %d)", err, c.Stats().Panics)
	}
}
