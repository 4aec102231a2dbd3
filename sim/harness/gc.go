package harness

import (
	"os"
	"runtime/debug"
)

// GCPercent is the garbage collector target tgsim's binary runs with.
// A simulated world allocates steadily (MQTT packets, execution records,
// signed reports) and keeps a modest live heap, so the default target
// (100) runs a collection every few hundred milliseconds and its pauses
// dominate the latency tail: BenchmarkMediatedRoundTrip's p99 at 1,000
// flows/s was 6–11 ms at GOGC=100 and 3.5–5.6 ms at 400 in one session.
const GCPercent = 400

// TuneGC sets GCPercent unless the environment sets GOGC. tgsim's
// commands call it; benchmarks call it to measure what the binary runs.
func TuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(GCPercent)
	}
}
