package core

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

// fakeCloud records what the core publishes to AWS IoT Core.
type fakeCloud struct {
	mu   sync.Mutex
	got  []string // topic + " " + payload
	fail func(topic string) error
}

func (f *fakeCloud) Publish(_ context.Context, topic string, payload []byte) error {
	if f.fail != nil {
		if err := f.fail(topic); err != nil {
			return err
		}
	}
	f.mu.Lock()
	f.got = append(f.got, topic+" "+string(payload))
	f.mu.Unlock()
	return nil
}

func (f *fakeCloud) messages() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.got...)
}

// cloudCore is a core whose sensor's telemetry goes to the cloud.
func cloudCore(t *testing.T, cloud CloudPublisher, spool int) *Core {
	t.Helper()
	c, err := New(Options{MQTTAddr: "127.0.0.1:0", GroupName: "g", Cloud: cloud, SpoolBytes: spool})
	if err != nil {
		t.Fatal(err)
	}
	tab, err := NewTable([]Route{
		{ID: "1", Source: sensorArn, Subject: "Sensor/telemetry/#", Target: CloudTarget},
		{ID: "2", Source: CloudTarget, Subject: "Sensor/config", Target: fnArn},
	}, []Device{{ThingName: "Sensor", ThingArn: sensorArn}})
	if err != nil {
		t.Fatal(err)
	}
	c.table.Store(tab)
	t.Cleanup(func() {
		c.cloud.close()
		_ = c.shadow.close()
		c.broker.Close()
	})
	return c
}

func waitCloud(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(2 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

func want(n int, from int) []string {
	var out []string
	for i := from; i < from+n; i++ {
		out = append(out, fmt.Sprintf("Sensor/telemetry %d", i))
	}
	return out
}

func equal(a, b []string) bool { return fmt.Sprint(a) == fmt.Sprint(b) }

func TestCloudSpoolDeliversInOrder(t *testing.T) {
	fc := &fakeCloud{}
	c := cloudCore(t, fc, 0)
	for i := 1; i <= 200; i++ {
		if err := c.publishFrom(sensorArn, "Sensor/telemetry", fmt.Appendf(nil, "%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	waitCloud(t, "200 messages", func() bool { return len(fc.messages()) == 200 })
	if got := fc.messages(); !equal(got, want(200, 1)) {
		t.Fatalf("out of order: %v", got)
	}
	if st := c.CloudStats(); st.Spooled != 200 || st.Published != 200 || st.Queued != 0 || st.QueuedBytes != 0 {
		t.Fatalf("stats %+v", st)
	}
}

func TestCloudPartitionThenHealDrainsInOrder(t *testing.T) {
	fc := &fakeCloud{}
	c := cloudCore(t, fc, 0)
	for i := 1; i <= 3; i++ {
		_ = c.publishFrom(sensorArn, "Sensor/telemetry", fmt.Appendf(nil, "%d", i))
	}
	waitCloud(t, "3 messages", func() bool { return len(fc.messages()) == 3 })
	c.SetCloudConnected(false)
	for i := 4; i <= 6; i++ {
		_ = c.publishFrom(sensorArn, "Sensor/telemetry", fmt.Appendf(nil, "%d", i))
	}
	time.Sleep(50 * time.Millisecond)
	if got := fc.messages(); len(got) != 3 {
		t.Fatalf("partitioned core published %v", got)
	}
	if st := c.CloudStats(); st.Connected || st.Queued != 3 {
		t.Fatalf("stats while partitioned %+v", st)
	}
	// Messages from the cloud do not reach a partitioned core.
	c.DeliverFromCloud("Sensor/config", []byte("x"))
	if st := c.Stats(); st.Received != 6 {
		t.Fatalf("received %d, want 6 (the cloud message must not count)", st.Received)
	}
	c.SetCloudConnected(true)
	waitCloud(t, "6 messages", func() bool { return len(fc.messages()) == 6 })
	if got := fc.messages(); !equal(got, want(6, 1)) {
		t.Fatalf("out of order: %v", got)
	}
}

func TestCloudSpoolFullDropsTheNewMessage(t *testing.T) {
	fc := &fakeCloud{}
	// Each message is len("Sensor/telemetry")+1 = 17 bytes: 3 fit in 60.
	c := cloudCore(t, fc, 60)
	c.SetCloudConnected(false)
	for i := 1; i <= 5; i++ {
		_ = c.publishFrom(sensorArn, "Sensor/telemetry", fmt.Appendf(nil, "%d", i))
	}
	st := c.CloudStats()
	if st.Queued != 3 || st.SpoolFull != 2 || st.QueuedBytes != 51 {
		t.Fatalf("stats %+v", st)
	}
	if n := c.Drops()[DropKey{Source: sensorArn, Topic: "Sensor/telemetry", Target: CloudTarget, Reason: DropSpoolFull}]; n != 2 {
		t.Fatalf("spool-full drops %d, want 2: %v", n, c.Drops())
	}
	c.SetCloudConnected(true)
	waitCloud(t, "3 messages", func() bool { return len(fc.messages()) == 3 })
	// The oldest were kept, the new ones dropped.
	if got := fc.messages(); !equal(got, want(3, 1)) {
		t.Fatalf("got %v", got)
	}
}

func TestCloudPublishFailureIsCountedNotRetried(t *testing.T) {
	fc := &fakeCloud{fail: func(topic string) error {
		if topic == "Sensor/telemetry/bad" {
			return errors.New("not authorized")
		}
		return nil
	}}
	c := cloudCore(t, fc, 0)
	_ = c.publishFrom(sensorArn, "Sensor/telemetry", []byte("1"))
	_ = c.publishFrom(sensorArn, "Sensor/telemetry/bad", []byte("2"))
	_ = c.publishFrom(sensorArn, "Sensor/telemetry", []byte("3"))
	waitCloud(t, "2 messages", func() bool { return len(fc.messages()) == 2 })
	waitCloud(t, "the failure", func() bool { return c.CloudStats().Failed == 1 })
	st := c.CloudStats()
	if st.Published != 2 || st.LastError != "not authorized" {
		t.Fatalf("stats %+v", st)
	}
	if n := c.Drops()[DropKey{Source: sensorArn, Topic: "Sensor/telemetry/bad", Target: CloudTarget, Reason: DropCloudPublishFailed}]; n != 1 {
		t.Fatalf("drops %v", c.Drops())
	}
	if got := fc.messages(); !equal(got, []string{"Sensor/telemetry 1", "Sensor/telemetry 3"}) {
		t.Fatalf("got %v", got)
	}
}

func TestCloudWithoutPublisherDrops(t *testing.T) {
	c, _ := startTestCore(t)
	tab, _ := NewTable([]Route{{ID: "1", Source: sensorArn, Subject: "Sensor/telemetry", Target: CloudTarget}}, nil)
	c.table.Store(tab)
	_ = c.publishFrom(sensorArn, "Sensor/telemetry", []byte("1"))
	if n := c.Drops()[DropKey{Source: sensorArn, Topic: "Sensor/telemetry", Target: CloudTarget, Reason: DropNoCloud}]; n != 1 {
		t.Fatalf("drops %v", c.Drops())
	}
}

func TestDeliverFromCloudRoutesOnlyMatchingSubscriptions(t *testing.T) {
	fc := &fakeCloud{}
	c := cloudCore(t, fc, 0)
	fn := &echoFn{env: FunctionEnv{ARN: fnArn, Publish: func(context.Context, string, []byte) error { return nil }}}
	c.funcs.Store(&functionSet{byARN: map[string]*hostedFunction{fnArn: startHosted(fnArn, fn, 10)}})
	t.Cleanup(func() { c.funcs.Load().closeAll() })
	c.DeliverFromCloud("Other/topic", []byte("ignored"))
	c.DeliverFromCloud("Sensor/config", []byte("on"))
	waitCloud(t, "the function's message", func() bool {
		fn.mu.Lock()
		defer fn.mu.Unlock()
		return len(fn.got) == 1
	})
	fn.mu.Lock()
	m := fn.got[0]
	fn.mu.Unlock()
	if m.Source != CloudTarget || m.Topic != "Sensor/config" || string(m.Payload) != "on" {
		t.Fatalf("got %+v", m)
	}
	if st := c.CloudStats(); st.FromCloud != 1 {
		t.Fatalf("stats %+v", st)
	}
	if st := c.Stats(); st.Received != 1 || st.Dropped != 0 {
		t.Fatalf("core stats %+v", st)
	}
}
