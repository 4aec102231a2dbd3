package device

import (
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/hooks/auth"

	"github.com/tgsim/tgsim/fakes/mqttsafe"
)

// broker starts an allow-all MQTT broker on a loopback port.
func broker(t *testing.T) string {
	t.Helper()
	quiet := slog.New(slog.DiscardHandler)
	b := mqtt.New(&mqtt.Options{Logger: quiet, InlineClient: true})
	if err := b.AddHook(new(auth.AllowHook), nil); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := b.AddListener(mqttsafe.New("tcp", ln, mqttsafe.Options{Logger: quiet})); err != nil {
		t.Fatal(err)
	}
	if err := b.Serve(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return ln.Addr().String()
}

// client is a plain paho client standing in for the Things Graph runtime.
func client(t *testing.T, addr string) paho.Client {
	t.Helper()
	c := paho.NewClient(paho.NewClientOptions().AddBroker("tcp://" + addr).SetClientID("runtime").SetOrderMatters(false))
	if err := wait(context.Background(), c.Connect(), 5*time.Second); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Disconnect(0) })
	return c
}

func testFleet(t *testing.T, addr string, count int, b Behaviour) *Fleet {
	t.Helper()
	f, err := ConnectFleet(context.Background(), FleetOptions{
		Count: count, Behaviour: b, Seed: 42, Concurrency: 2,
		Base: func(_ context.Context, i int) (Options, error) {
			name := "Dev" + strconv.Itoa(i)
			return Options{ThingName: name, Broker: addr,
				Events:  []Event{{Name: "reading", Topic: name + "/reading"}},
				Actions: []Action{{Name: "toggle", RequestTopic: name + "/toggle", ResponseTopic: name + "/toggle/done"}}}, nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Close)
	return f
}

// The scripted state: the action sets a field from the request's seq,
// the answer and the next emits read it.
func TestFleetStateAndAnswers(t *testing.T) {
	t.Parallel()
	addr := broker(t)
	set, _ := ParsePayload("{{seq}}")
	respond, _ := ParsePayload(map[string]any{"by": "{{thing}}", "toggles": "{{state.toggles}}"})
	emit, _ := ParsePayload(map[string]any{"toggles": "{{state.toggles}}", "i": "{{index}}"})
	f := testFleet(t, addr, 3, Behaviour{
		Event: "reading", Schedule: &Schedule{Kind: ScheduleFixed, Rate: 100, Count: 2}, Payload: emit,
		State:   map[string]any{"toggles": 0},
		Actions: map[string]ActionBehaviour{"toggle": {Set: map[string]*Payload{"toggles": set}, Respond: respond, Latency: Latency{Dist: LatencyFixed, Mean: time.Millisecond}}},
	})
	rt := client(t, addr)
	var mu sync.Mutex
	got := map[string][]string{}
	done := make(chan struct{}, 16)
	for _, topic := range []string{"Dev2/toggle/done", "Dev2/reading"} {
		if err := wait(context.Background(), rt.Subscribe(topic, 1, func(_ paho.Client, m paho.Message) {
			mu.Lock()
			got[m.Topic()] = append(got[m.Topic()], string(m.Payload()))
			mu.Unlock()
			done <- struct{}{}
		}), 5*time.Second); err != nil {
			t.Fatal(err)
		}
	}
	for range 2 {
		if err := wait(context.Background(), rt.Publish("Dev2/toggle", 1, false, "{}"), 5*time.Second); err != nil {
			t.Fatal(err)
		}
		<-done
	}
	if st := f.Members[1].State(); st["toggles"] != 2 {
		t.Errorf("Dev2 state after 2 toggles = %v, want toggles 2", st)
	}
	if st := f.Members[0].State(); st["toggles"] != 0 {
		t.Errorf("Dev1 state = %v, want its own copy, untouched", st)
	}
	res, err := f.Load(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Acked() != 6 || len(res.AckLatencies()) != 6 {
		t.Errorf("Load acked %d of %d publishes, want 6", res.Acked(), len(res.Sent))
	}
	for range 2 {
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatal("Dev2's emits never arrived")
		}
	}
	mu.Lock()
	defer mu.Unlock()
	want := []string{`{"by":"Dev2","toggles":1}`, `{"by":"Dev2","toggles":2}`}
	if len(got["Dev2/toggle/done"]) != 2 || got["Dev2/toggle/done"][0] != want[0] && got["Dev2/toggle/done"][0] != want[1] {
		t.Errorf("answers %v, want %v in some order", got["Dev2/toggle/done"], want)
	}
	for _, p := range got["Dev2/reading"] {
		var v map[string]any
		if err := json.Unmarshal([]byte(p), &v); err != nil || v["toggles"] != float64(2) || v["i"] != float64(2) {
			t.Errorf("emit %s, want toggles 2 and index 2", p)
		}
	}
	if f.Members[1].Acked() != 2 {
		t.Errorf("Dev2 acked %d, want 2", f.Members[1].Acked())
	}
}

// A failure rate of 1 leaves every request unanswered; 0 answers all.
func TestFleetFailureRate(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		rate        float64
		wantDropped int
	}{{1, 5}, {0, 0}} {
		addr := broker(t)
		f := testFleet(t, addr, 1, Behaviour{Actions: map[string]ActionBehaviour{"toggle": {FailureRate: tt.rate}}})
		rt := client(t, addr)
		answered := make(chan struct{}, 8)
		if err := wait(context.Background(), rt.Subscribe("Dev1/toggle/done", 1, func(paho.Client, paho.Message) { answered <- struct{}{} }), 5*time.Second); err != nil {
			t.Fatal(err)
		}
		for range 5 {
			if err := wait(context.Background(), rt.Publish("Dev1/toggle", 1, false, "{}"), 5*time.Second); err != nil {
				t.Fatal(err)
			}
		}
		d := f.Members[0].Device
		if err := d.WaitReceived(context.Background(), func(r []Received) bool { return len(r) == 5 }); err != nil {
			t.Fatal(err)
		}
		if got := d.Dropped(); got != tt.wantDropped {
			t.Errorf("failureRate %g: %d dropped, want %d", tt.rate, got, tt.wantDropped)
		}
		for range 5 - tt.wantDropped {
			select {
			case <-answered:
			case <-time.After(5 * time.Second):
				t.Fatalf("failureRate %g: an answer never came", tt.rate)
			}
		}
	}
}

func TestSpread(t *testing.T) {
	for _, tc := range []struct {
		count    int
		fraction float64
		want     []int
	}{
		{8, 0.25, []int{0, 4}},
		{10, 0.3, []int{0, 3, 6}},
		{4, 1, []int{0, 1, 2, 3}},
		{5, 0.01, []int{}},
		{3, 2, []int{0, 1, 2}},
		{0, 0.5, []int{}},
	} {
		if got := Spread(tc.count, tc.fraction); !slices.Equal(got, tc.want) {
			t.Errorf("Spread(%d, %v) = %v, want %v", tc.count, tc.fraction, got, tc.want)
		}
	}
}
