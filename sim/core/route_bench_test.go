package core

import (
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/hooks/auth"

	"github.com/tgsim/tgsim/fakes/mqttsafe"
)

// The routing benchmarks compare the core's subscription-table routing with
// raw mochi-mqtt on the same load: 100 publishing devices, 10 receiving
// devices and 1,000 subscriptions (each publisher has 10 topics, each topic
// routed to one receiver). Every receiver subscribes to exactly the topics
// routed to it, so raw mochi's own fan-out delivers the same messages the
// table does: one copy per publish. Both brokers have the same limits and
// listener; the only difference is the routing hook.
//
// The load is closed loop (a window of messages in flight, released on
// delivery), as unthrottled publishers make any broker drop QoS 0 messages
// (shared notes, finding 4). Compare the two in one run:
//
//	go test -run '^$' -bench Route -benchtime 20000x ./sim/core
const (
	routePublishers = 100
	routeReceivers  = 10
	routeTopicsEach = 10 // per publisher: 1,000 subscriptions in all
	// routeWindow is the messages in flight per receiver, released when
	// its handler runs. Both brokers allow 100 unacknowledged QoS 1
	// messages per client and drop beyond (counted, and failing the run);
	// paho acknowledges only after the handler, so a window of 50 already
	// crossed that limit now and then. 20 never did.
	routeWindow  = 20
	routePayload = 256
)

func routeTopic(pub, j int) string { return fmt.Sprintf("pub%03d/t%d", pub, j) }
func routeReceiver(pub, j int) int { return (pub*routeTopicsEach + j) % routeReceivers }
func routeThingArn(name string) string {
	return "arn:aws:iot:us-east-1:000000000000:thing/" + name
}

// routeTable is the group's subscription table for the load.
func routeTable(tb testing.TB) *Table {
	var routes []Route
	var devices []Device
	for i := range routePublishers {
		name := fmt.Sprintf("pub%03d", i)
		devices = append(devices, Device{ThingName: name, ThingArn: routeThingArn(name)})
		for j := range routeTopicsEach {
			routes = append(routes, Route{
				ID:      fmt.Sprintf("s%d-%d", i, j),
				Source:  routeThingArn(name),
				Subject: routeTopic(i, j),
				Target:  routeThingArn(fmt.Sprintf("recv%02d", routeReceiver(i, j))),
			})
		}
	}
	for k := range routeReceivers {
		name := fmt.Sprintf("recv%02d", k)
		devices = append(devices, Device{ThingName: name, ThingArn: routeThingArn(name)})
	}
	t, err := NewTable(routes, devices)
	if err != nil {
		tb.Fatal(err)
	}
	return t
}

// routeBroker starts either raw mochi (table nil) or a core routing by the
// table, and returns its address, a drop counter and a stop function.
func routeBroker(tb testing.TB, table *Table) (addr string, dropped func() uint64, stop func()) {
	quiet := slog.New(slog.DiscardHandler)
	if table != nil {
		c, err := New(Options{MQTTAddr: "127.0.0.1:0", GroupName: "bench", Logger: quiet})
		if err != nil {
			tb.Fatal(err)
		}
		c.table.Store(table)
		if err := c.broker.Serve(); err != nil {
			tb.Fatal(err)
		}
		return c.MQTTAddr(), func() uint64 { return c.dropped.Load() + mochiDropped(c.broker) }, func() { c.broker.Close() }
	}
	b := mqtt.New(&mqtt.Options{Logger: quiet, Capabilities: capabilities()})
	if err := b.AddHook(new(auth.AllowHook), nil); err != nil {
		tb.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	if err := b.AddListener(mqttsafe.New("tcp", ln, mqttsafe.Options{Logger: quiet})); err != nil {
		tb.Fatal(err)
	}
	if err := b.Serve(); err != nil {
		tb.Fatal(err)
	}
	return ln.Addr().String(), func() uint64 { return mochiDropped(b) }, func() { b.Close() }
}

// routeLoad connects the devices, then sends n messages through the broker
// at addr and waits until every one is delivered. It returns the time from
// the first publish to the last delivery.
func routeLoad(tb testing.TB, addr string, qos byte, n int, dropped func() uint64) time.Duration {
	connect := func(id string) paho.Client {
		co := paho.NewClientOptions().AddBroker("tcp://" + addr).SetClientID(id).
			SetAutoReconnect(false).SetConnectRetry(false).SetOrderMatters(false).SetCleanSession(true)
		c := paho.NewClient(co)
		if tok := c.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
			tb.Fatalf("connect %s: %v", id, tok.Error())
		}
		tb.Cleanup(func() { c.Disconnect(0) })
		return c
	}
	slots := make([]chan struct{}, routeReceivers)
	for k := range slots {
		slots[k] = make(chan struct{}, routeWindow)
	}
	var delivered atomic.Int64
	done := make(chan struct{})
	for k := range routeReceivers {
		c := connect(fmt.Sprintf("recv%02d", k))
		filters := map[string]byte{}
		for i := range routePublishers {
			for j := range routeTopicsEach {
				if routeReceiver(i, j) == k {
					filters[routeTopic(i, j)] = qos
				}
			}
		}
		tok := c.SubscribeMultiple(filters, func(paho.Client, paho.Message) {
			select {
			case <-slots[k]:
			default: // a copy nobody published: counted, caught below
			}
			if delivered.Add(1) == int64(n) {
				close(done)
			}
		})
		if !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
			tb.Fatalf("subscribe recv%02d: %v", k, tok.Error())
		}
	}
	pubs := make([]paho.Client, routePublishers)
	for i := range pubs {
		pubs[i] = connect(fmt.Sprintf("pub%03d", i))
	}
	payload := make([]byte, routePayload)
	var next atomic.Int64
	var wg sync.WaitGroup
	if b, ok := tb.(*testing.B); ok {
		b.ResetTimer()
	}
	start := time.Now()
	for i, c := range pubs {
		wg.Go(func() {
			for seq := 0; ; seq++ {
				if next.Add(1) > int64(n) {
					return
				}
				j := seq % routeTopicsEach
				slots[routeReceiver(i, j)] <- struct{}{}
				c.Publish(routeTopic(i, j), qos, false, payload)
			}
		})
	}
	timeout := time.Duration(n)*time.Millisecond + 30*time.Second
	select {
	case <-done:
	case <-time.After(timeout):
		tb.Fatalf("%d of %d messages delivered after %s; dropped %d", delivered.Load(), n, timeout, dropped())
	}
	elapsed := time.Since(start)
	if b, ok := tb.(*testing.B); ok {
		b.StopTimer()
	}
	wg.Wait()
	if d := dropped(); d != 0 {
		tb.Fatalf("%d messages dropped", d)
	}
	if _, ok := tb.(*testing.B); !ok {
		// A test also waits for stray copies: each publish is delivered once.
		time.Sleep(100 * time.Millisecond)
		if got := delivered.Load(); got != int64(n) {
			tb.Fatalf("%d deliveries for %d publishes", got, n)
		}
	}
	return elapsed
}

func benchmarkRoute(b *testing.B, table bool) {
	for _, qos := range []byte{0, 1} {
		b.Run(fmt.Sprintf("qos%d", qos), func(b *testing.B) {
			var t *Table
			if table {
				t = routeTable(b)
			}
			addr, dropped, stop := routeBroker(b, t)
			defer stop()
			elapsed := routeLoad(b, addr, qos, b.N, dropped)
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "msgs/s")
		})
	}
}

// BenchmarkRouteRaw is raw mochi-mqtt: its own fan-out, no routing hook.
func BenchmarkRouteRaw(b *testing.B) { benchmarkRoute(b, false) }

// BenchmarkRouteTable is the core routing every message by its
// subscription table (source, subject, target).
func BenchmarkRouteTable(b *testing.B) { benchmarkRoute(b, true) }

// TestRouteLoad runs the benchmarks' load once on each broker, so the
// benchmark cannot rot, and checks the table delivers every message of a
// route that raw mochi delivers, with nothing dropped.
func TestRouteLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("connects 110 devices twice")
	}
	for _, table := range []bool{false, true} {
		for _, qos := range []byte{0, 1} {
			t.Run(fmt.Sprintf("table=%v/qos%d", table, qos), func(t *testing.T) {
				var tab *Table
				if table {
					tab = routeTable(t)
				}
				addr, dropped, stop := routeBroker(t, tab)
				defer stop()
				routeLoad(t, addr, qos, 2000, dropped)
			})
		}
	}
}

// mochiDropped is what mochi dropped on its own (slow subscribers, full
// inflight windows): a silent loss a benchmark must not hide.
func mochiDropped(b *mqtt.Server) uint64 {
	return uint64(atomic.LoadInt64(&b.Info.MessagesDropped) + atomic.LoadInt64(&b.Info.InflightDropped))
}
