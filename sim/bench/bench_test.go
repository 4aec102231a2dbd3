package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/tgsim/tgsim/sim/harness"
)

func TestPercentileAndHistogram(t *testing.T) {
	r := &Result{Options: Options{Duration: 2 * time.Second}, Completed: 10}
	for _, ms := range []float64{0.15, 0.3, 0.3, 0.7, 1.5, 3, 7, 15, 40, 2000} {
		r.Latencies = append(r.Latencies, time.Duration(ms*float64(time.Millisecond)))
	}
	if got := r.Percentile(50); got != 1500*time.Microsecond {
		t.Errorf("p50 = %s, want 1.5ms", got)
	}
	if got := r.Percentile(100); got != 2*time.Second {
		t.Errorf("max = %s", got)
	}
	if got := r.Throughput(); got != 5 {
		t.Errorf("throughput = %g, want 5/s", got)
	}
	c := r.histogram()
	var labels []string
	for _, b := range c.Bars {
		if b.H > 0 {
			labels = append(labels, b.Label)
		}
	}
	want := []string{"<0.2 ms: 1", "<0.5 ms: 2", "<1 ms: 1", "<2 ms: 1", "<5 ms: 1", "<10 ms: 1", "<20 ms: 1", "<50 ms: 1", "≥1000 ms: 1"}
	if strings.Join(labels, "|") != strings.Join(want, "|") {
		t.Errorf("histogram bars = %v, want %v", labels, want)
	}
	if (&Result{}).Percentile(99) != 0 {
		t.Error("percentile of nothing is not 0")
	}
}

// TestRun drives two rooms for a second: every event completes, the
// figures add up, and the HTML report carries the three charts.
func TestRun(t *testing.T) {
	if testing.Short() {
		t.Skip("drives a real core for a second")
	}
	h, err := harness.Start(harness.Options{CoreTLS: true})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	res, err := Run(context.Background(), h, Options{Rooms: 2, Rate: 40, Duration: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if res.Sent < 30 || res.Completed != res.Sent || res.Lost != 0 || res.Failed != 0 || res.PublishErrors != 0 {
		t.Fatalf("sent %d completed %d lost %d failed %d publish errors %d", res.Sent, res.Completed, res.Lost, res.Failed, res.PublishErrors)
	}
	if p := res.Percentile(50); p <= 0 || p > time.Second {
		t.Errorf("p50 = %s", p)
	}
	total := 0
	for _, s := range res.Timeline {
		total += s.Sent
	}
	if total != res.Sent {
		t.Errorf("timeline sums to %d sent, want %d", total, res.Sent)
	}
	var html bytes.Buffer
	if err := res.WriteHTML(&html); err != nil {
		t.Fatal(err)
	}
	out := html.String()
	for _, want := range []string{"<svg", "Throughput over time", "Latency histogram", "Latency over time", "<polyline", "The core dropped nothing"} {
		if !strings.Contains(out, want) {
			t.Errorf("HTML report lacks %q", want)
		}
	}
	if strings.Contains(out, "<script") || strings.Contains(out, "http://") && !strings.Contains(out, "http://www.w3.org") {
		t.Error("the HTML report loads something: it must open offline")
	}
	b, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil || doc["completed"] != float64(res.Completed) {
		t.Errorf("JSON = %s", b)
	}
	if !strings.Contains(res.Table(), "flows completed") {
		t.Errorf("table = %s", res.Table())
	}
}
