package device

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestScheduleValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		s       Schedule
		wantErr string
	}{
		{name: "fixed", s: Schedule{Kind: ScheduleFixed, Rate: 2, Count: 3}},
		{name: "poisson by duration", s: Schedule{Kind: SchedulePoisson, Rate: 2, Duration: time.Second}},
		{name: "bursts", s: Schedule{Kind: ScheduleBursts, BurstSize: 5, BurstEvery: time.Second, Count: 10}},
		{name: "unknown kind", s: Schedule{Kind: "gaussian", Rate: 1, Count: 1}, wantErr: `schedule: "gaussian", expected fixed, poisson or bursts`},
		{name: "zero rate", s: Schedule{Kind: ScheduleFixed, Count: 1}, wantErr: "rate: 0, expected events per second per device > 0"},
		{name: "burst without size", s: Schedule{Kind: ScheduleBursts, BurstEvery: time.Second, Count: 1}, wantErr: "burst.size: 0"},
		{name: "burst without period", s: Schedule{Kind: ScheduleBursts, BurstSize: 1, Count: 1}, wantErr: "burst.every"},
		{name: "endless", s: Schedule{Kind: ScheduleFixed, Rate: 1}, wantErr: "count or duration: one is required"},
		{name: "negative count", s: Schedule{Kind: ScheduleFixed, Rate: 1, Count: -1}, wantErr: "count: -1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.s.Validate()
			if (tt.wantErr == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.wantErr)) {
				t.Errorf("Validate() = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

func TestScheduleOffsets(t *testing.T) {
	t.Parallel()
	ms := time.Millisecond
	tests := []struct {
		name string
		s    Schedule
		want []time.Duration
	}{
		{name: "fixed by count", s: Schedule{Kind: ScheduleFixed, Rate: 4, Count: 3}, want: []time.Duration{0, 250 * ms, 500 * ms}},
		{name: "fixed by duration", s: Schedule{Kind: ScheduleFixed, Rate: 2, Duration: 1500 * ms}, want: []time.Duration{0, 500 * ms, 1000 * ms}},
		{name: "count before duration", s: Schedule{Kind: ScheduleFixed, Rate: 10, Count: 2, Duration: time.Hour}, want: []time.Duration{0, 100 * ms}},
		{name: "bursts", s: Schedule{Kind: ScheduleBursts, BurstSize: 2, BurstEvery: time.Second, Duration: 2 * time.Second}, want: []time.Duration{0, 0, time.Second, time.Second}},
		{name: "bursts cut by count", s: Schedule{Kind: ScheduleBursts, BurstSize: 3, BurstEvery: time.Second, Count: 4}, want: []time.Duration{0, 0, 0, time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, tt.s.Offsets(rand.New(rand.NewPCG(1, 1)))); diff != "" {
				t.Errorf("Offsets() -want +got:\n%s", diff)
			}
		})
	}
}

func TestPoissonOffsets(t *testing.T) {
	t.Parallel()
	s := Schedule{Kind: SchedulePoisson, Rate: 100, Count: 20000}
	offs := s.Offsets(DeviceRand(3, 1))
	if len(offs) != 20000 {
		t.Fatalf("%d offsets, want 20000", len(offs))
	}
	for i := 1; i < len(offs); i++ {
		if offs[i] < offs[i-1] {
			t.Fatalf("offset %d (%s) before offset %d (%s)", i, offs[i], i-1, offs[i-1])
		}
	}
	// Mean gap 10 ms; 20,000 gaps put the mean within 2% (the standard
	// error is 0.7%).
	mean := offs[len(offs)-1] / time.Duration(len(offs))
	if mean < 9800*time.Microsecond || mean > 10200*time.Microsecond {
		t.Errorf("mean gap %s, want 10ms ± 2%%", mean)
	}
	if diff := cmp.Diff(offs[:5], s.Offsets(DeviceRand(3, 1))[:5]); diff != "" {
		t.Errorf("same seed and index, different draws:\n%s", diff)
	}
	if cmp.Equal(offs[:5], s.Offsets(DeviceRand(3, 2))[:5]) {
		t.Errorf("devices 1 and 2 drew the same gaps")
	}
}

func TestLatency(t *testing.T) {
	t.Parallel()
	ms := time.Millisecond
	tests := []struct {
		name     string
		l        Latency
		lo, hi   time.Duration // every sample within
		meanLo   time.Duration // sample mean within [meanLo, meanHi]
		meanHi   time.Duration
		validErr string
	}{
		{name: "fixed", l: Latency{Dist: LatencyFixed, Mean: 5 * ms}, lo: 5 * ms, hi: 5 * ms, meanLo: 5 * ms, meanHi: 5 * ms},
		{name: "uniform", l: Latency{Dist: LatencyUniform, Mean: 20 * ms, Jitter: 10 * ms}, lo: 10 * ms, hi: 30 * ms, meanLo: 19 * ms, meanHi: 21 * ms},
		{name: "normal clamps at zero", l: Latency{Dist: LatencyNormal, Mean: 1 * ms, Jitter: 10 * ms}, lo: 0, hi: time.Second, meanLo: 0, meanHi: 10 * ms},
		{name: "exponential", l: Latency{Dist: LatencyExponential, Mean: 10 * ms}, lo: 0, hi: time.Hour, meanLo: 9 * ms, meanHi: 11 * ms},
		{name: "uniform below zero", l: Latency{Dist: LatencyUniform, Mean: 1 * ms, Jitter: 2 * ms}, validErr: "exceeds mean"},
		{name: "unknown", l: Latency{Dist: "pareto"}, validErr: `distribution: "pareto"`},
		{name: "negative", l: Latency{Mean: -ms}, validErr: "must not be negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.l.Validate()
			if tt.validErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.validErr) {
					t.Errorf("Validate() = %v, want %q", err, tt.validErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			r := rand.New(rand.NewPCG(5, 5))
			var sum time.Duration
			const n = 10000
			for range n {
				d := tt.l.Sample(r)
				if d < tt.lo || d > tt.hi {
					t.Fatalf("Sample() = %s, want within [%s, %s]", d, tt.lo, tt.hi)
				}
				sum += d
			}
			if mean := sum / n; mean < tt.meanLo || mean > tt.meanHi {
				t.Errorf("mean %s, want within [%s, %s]", mean, tt.meanLo, tt.meanHi)
			}
		})
	}
}
