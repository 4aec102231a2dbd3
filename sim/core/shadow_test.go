package core

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tgsim/tgsim/sim/device"
)

func decodeReplies(t *testing.T, rs []reply) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{}
	for _, r := range rs {
		var m map[string]any
		if err := json.Unmarshal(r.payload, &m); err != nil {
			t.Fatalf("%s: %v", r.topic, err)
		}
		out[r.topic] = m
	}
	return out
}

func TestShadowDocuments(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	s := &shadowService{now: func() time.Time { return now }, docs: map[string]*shadowDoc{}}
	const base = "$aws/things/Lamp/shadow/"
	ts := float64(now.Unix())
	steps := []struct {
		name    string
		topic   string
		payload string
		want    map[string]map[string]any // by reply topic; nil value: the topic is present, content unchecked
	}{
		{"get before any update", base + "get", "", map[string]map[string]any{
			base + "get/rejected": {"code": 404.0, "message": "No shadow exists with name: 'Lamp'", "timestamp": ts}}},
		{"desired creates, with a delta", base + "update", `{"state":{"desired":{"on":true,"color":{"r":255}}},"clientToken":"t1"}`, map[string]map[string]any{
			base + "update/accepted": {"state": map[string]any{"desired": map[string]any{"on": true, "color": map[string]any{"r": 255.0}}},
				"metadata": map[string]any{"desired": map[string]any{"on": map[string]any{"timestamp": ts}, "color": map[string]any{"r": map[string]any{"timestamp": ts}}}},
				"version":  1.0, "timestamp": ts, "clientToken": "t1"},
			base + "update/documents": nil,
			base + "update/delta": {"state": map[string]any{"on": true, "color": map[string]any{"r": 255.0}},
				"metadata": map[string]any{"on": map[string]any{"timestamp": ts}, "color": map[string]any{"r": map[string]any{"timestamp": ts}}},
				"version":  1.0, "timestamp": ts, "clientToken": "t1"}}},
		{"reported catches up in part", base + "update", `{"state":{"reported":{"on":true,"color":{"r":0}}}}`, map[string]map[string]any{
			base + "update/accepted": nil, base + "update/documents": nil}},
		{"get shows what is still desired", base + "get", "", map[string]map[string]any{
			base + "get/accepted": {"state": map[string]any{
				"desired":  map[string]any{"on": true, "color": map[string]any{"r": 255.0}},
				"reported": map[string]any{"on": true, "color": map[string]any{"r": 0.0}},
				"delta":    map[string]any{"color": map[string]any{"r": 255.0}}},
				"metadata": map[string]any{
					"desired":  map[string]any{"on": map[string]any{"timestamp": ts}, "color": map[string]any{"r": map[string]any{"timestamp": ts}}},
					"reported": map[string]any{"on": map[string]any{"timestamp": ts}, "color": map[string]any{"r": map[string]any{"timestamp": ts}}}},
				"version": 2.0, "timestamp": ts}}},
		{"stale version", base + "update", `{"state":{"desired":{"on":false}},"version":1}`, map[string]map[string]any{
			base + "update/rejected": {"code": 409.0, "message": "Version conflict", "timestamp": ts}}},
		{"null removes a member", base + "update", `{"state":{"desired":{"color":null}},"version":2}`, map[string]map[string]any{
			base + "update/accepted": nil, base + "update/documents": nil}},
		{"no delta left", base + "get", "", map[string]map[string]any{base + "get/accepted": nil}},
		{"invalid json", base + "update", `{"state":`, map[string]map[string]any{
			base + "update/rejected": {"code": 400.0, "message": "Payload contains invalid json", "timestamp": ts}}},
		{"no state", base + "update", `{"desired":{}}`, map[string]map[string]any{
			base + "update/rejected": {"code": 400.0, "message": "Missing required node: state", "timestamp": ts}}},
		{"named shadow is separate", "$aws/things/Lamp/shadow/name/cfg/get", "", map[string]map[string]any{
			"$aws/things/Lamp/shadow/name/cfg/get/rejected": {"code": 404.0, "message": "No shadow exists with name: 'Lamp~cfg'", "timestamp": ts}}},
		{"delete", base + "delete", "", map[string]map[string]any{base + "delete/accepted": {"version": 3.0, "timestamp": ts}}},
		{"gone", base + "get", "", map[string]map[string]any{base + "get/rejected": nil}},
		{"a reply topic is not a request", base + "update/accepted", `{}`, map[string]map[string]any{}},
		{"oversize", base + "update", `{"state":{"desired":{"x":"` + strings.Repeat("a", 9000) + `"}}}`, map[string]map[string]any{
			base + "update/rejected": {"code": 413.0, "message": "The payload exceeds the maximum size allowed", "timestamp": ts}}},
	}
	for _, st := range steps {
		got := decodeReplies(t, s.handle(st.topic, []byte(st.payload)))
		if len(got) != len(st.want) {
			t.Fatalf("%s: replies on %v, want %d topics", st.name, keys(got), len(st.want))
		}
		for topic, want := range st.want {
			g, ok := got[topic]
			if !ok {
				t.Fatalf("%s: no reply on %s (got %v)", st.name, topic, keys(got))
			}
			if want == nil {
				continue
			}
			if diff := cmp.Diff(want, g); diff != "" {
				t.Errorf("%s: %s (-want +got):\n%s", st.name, topic, diff)
			}
		}
		if st.name == "no delta left" {
			if _, has := got[base+"get/accepted"]["state"].(map[string]any)["delta"]; has {
				t.Errorf("delta after desired and reported agree: %v", got)
			}
		}
	}
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestShadowThroughTheCore: a device updates its shadow through the core
// and gets the replies only where subscriptions allow.
func TestShadowThroughTheCore(t *testing.T) {
	c, _ := startTestCore(t)
	lampArn := "arn:aws:iot:us-east-1:000000000000:thing/Lamp"
	tab, err := NewTable([]Route{
		{ID: "1", Source: lampArn, Subject: "$aws/things/Lamp/shadow/update", Target: ShadowService},
		{ID: "2", Source: ShadowService, Subject: "$aws/things/Lamp/shadow/update/accepted", Target: lampArn},
	}, []Device{{ThingName: "Lamp", ThingArn: lampArn}})
	if err != nil {
		t.Fatal(err)
	}
	c.table.Store(tab)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	lamp, err := device.Connect(ctx, device.Options{ThingName: "Lamp", Broker: c.MQTTAddr()})
	if err != nil {
		t.Fatal(err)
	}
	defer lamp.Close()
	if err := lamp.Subscribe(ctx, "$aws/things/Lamp/shadow/update/#"); err != nil {
		t.Fatal(err)
	}
	if err := lamp.Publish(ctx, "$aws/things/Lamp/shadow/update", []byte(`{"state":{"reported":{"on":true}}}`)); err != nil {
		t.Fatal(err)
	}
	if err := lamp.WaitReceived(ctx, func(r []device.Received) bool { return len(r) >= 1 }); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)
	got := lamp.Received()
	if len(got) != 1 || got[0].Topic != "$aws/things/Lamp/shadow/update/accepted" || !strings.Contains(string(got[0].Payload), `"version":1`) {
		t.Errorf("received %v, want only update/accepted (documents has no subscription)", got)
	}
	drops := c.Drops()
	if drops[DropKey{Source: ShadowService, Topic: "$aws/things/Lamp/shadow/update/documents", Reason: DropNoRoute}] != 1 {
		t.Errorf("drops = %v, want update/documents dropped for lack of a subscription", drops)
	}
}
