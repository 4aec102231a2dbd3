package flow

import (
	"sync"
	"time"
)

// StepLatencyBuckets are the upper bounds, in seconds, of the step latency
// histogram (Prometheus style: each bucket counts the steps at or below
// its bound).
var StepLatencyBuckets = []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

// Histogram is a cumulative latency histogram.
type Histogram struct {
	// Counts[i] counts observations <= StepLatencyBuckets[i]; the last
	// element counts all observations (+Inf).
	Counts []uint64
	Sum    float64 // seconds
}

type histogram struct {
	mu     sync.Mutex
	counts []uint64 // per bucket, not cumulative; last is +Inf
	sum    float64
}

func (h *histogram) observe(d time.Duration) {
	s := d.Seconds()
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.counts == nil {
		h.counts = make([]uint64, len(StepLatencyBuckets)+1)
	}
	i := 0
	for i < len(StepLatencyBuckets) && s > StepLatencyBuckets[i] {
		i++
	}
	h.counts[i]++
	h.sum += s
}

func (h *histogram) snapshot() Histogram {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := Histogram{Counts: make([]uint64, len(StepLatencyBuckets)+1), Sum: h.sum}
	var run uint64
	for i := range out.Counts {
		if h.counts != nil {
			run += h.counts[i]
		}
		out.Counts[i] = run
	}
	return out
}

// StepLatency returns the histogram of step durations (from a step's
// start to its end, retries included) since the runtime started.
func (r *Runtime) StepLatency() Histogram { return r.stepLatency.snapshot() }
