package device

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"time"
)

// Schedule kinds of a Behaviour's emits.
const (
	ScheduleFixed   = "fixed"   // one event every 1/Rate
	SchedulePoisson = "poisson" // exponential gaps of mean 1/Rate
	ScheduleBursts  = "bursts"  // BurstSize events back to back every BurstEvery
)

// Schedule says when a device emits: how the gaps between events are drawn,
// and when it stops (Count events, or Duration, whichever comes first;
// at least one of them must be set).
type Schedule struct {
	Kind string
	// Rate is events per second per device (fixed and poisson).
	Rate       float64
	BurstSize  int
	BurstEvery time.Duration
	Count      int
	Duration   time.Duration
}

// Validate reports the first problem of s, naming the field.
func (s Schedule) Validate() error {
	switch s.Kind {
	case ScheduleFixed, SchedulePoisson:
		if !(s.Rate > 0) || math.IsInf(s.Rate, 0) {
			return fmt.Errorf("rate: %g, expected events per second per device > 0", s.Rate)
		}
	case ScheduleBursts:
		if s.BurstSize < 1 {
			return fmt.Errorf("burst.size: %d, expected at least 1", s.BurstSize)
		}
		if s.BurstEvery <= 0 {
			return fmt.Errorf("burst.every: %s, expected a positive duration", s.BurstEvery)
		}
	default:
		return fmt.Errorf("schedule: %q, expected fixed, poisson or bursts", s.Kind)
	}
	if s.Count < 0 {
		return fmt.Errorf("count: %d, expected at least 0", s.Count)
	}
	if s.Count == 0 && s.Duration <= 0 {
		return fmt.Errorf("count or duration: one is required, or the device would emit forever")
	}
	return nil
}

// Offsets returns when each event is due, relative to the start, drawing
// gaps from rng. offset[0] is 0 for fixed and bursts, and one drawn gap
// for poisson (a Poisson process has no event at t=0).
func (s Schedule) Offsets(rng *rand.Rand) []time.Duration {
	var out []time.Duration
	more := func(at time.Duration) bool {
		if s.Count > 0 && len(out) >= s.Count {
			return false
		}
		return s.Duration <= 0 || at < s.Duration
	}
	switch s.Kind {
	case ScheduleFixed:
		gap := time.Duration(float64(time.Second) / s.Rate)
		for at := time.Duration(0); more(at); at += gap {
			out = append(out, at)
		}
	case SchedulePoisson:
		mean := float64(time.Second) / s.Rate
		for at := time.Duration(rng.ExpFloat64() * mean); more(at); at += time.Duration(rng.ExpFloat64() * mean) {
			out = append(out, at)
		}
	case ScheduleBursts:
		for at := time.Duration(0); more(at); at += s.BurstEvery {
			for range s.BurstSize {
				if !more(at) {
					break
				}
				out = append(out, at)
			}
		}
	}
	return out
}

// Latency distributions of an action's answer.
const (
	LatencyFixed       = "fixed"       // always Mean
	LatencyUniform     = "uniform"     // Mean ± Jitter
	LatencyNormal      = "normal"      // mean Mean, standard deviation Jitter, clamped at 0
	LatencyExponential = "exponential" // exponential with mean Mean
)

// Latency is how long a device takes to answer an action.
type Latency struct {
	Dist   string
	Mean   time.Duration
	Jitter time.Duration
}

// Validate reports the first problem of l, naming the field.
func (l Latency) Validate() error {
	switch l.Dist {
	case "", LatencyFixed, LatencyUniform, LatencyNormal, LatencyExponential:
	default:
		return fmt.Errorf("distribution: %q, expected fixed, uniform, normal or exponential", l.Dist)
	}
	if l.Mean < 0 || l.Jitter < 0 {
		return fmt.Errorf("mean and jitter must not be negative")
	}
	if l.Dist == LatencyUniform && l.Jitter > l.Mean {
		return fmt.Errorf("jitter: %s exceeds mean %s, a uniform latency would go below zero", l.Jitter, l.Mean)
	}
	return nil
}

// Sample draws one latency.
func (l Latency) Sample(rng *rand.Rand) time.Duration {
	switch l.Dist {
	case LatencyUniform:
		return l.Mean - l.Jitter + time.Duration(rng.Float64()*float64(2*l.Jitter))
	case LatencyNormal:
		return max(0, l.Mean+time.Duration(rng.NormFloat64()*float64(l.Jitter)))
	case LatencyExponential:
		return time.Duration(rng.ExpFloat64() * float64(l.Mean))
	}
	return l.Mean
}

// Behaviour is how a device acts on its own: its emit schedule, how it
// answers actions, and the state it reports.
type Behaviour struct {
	// Event is the event the schedule emits; Payload its payload template.
	Event    string
	Schedule *Schedule
	Payload  *Payload
	Actions  map[string]ActionBehaviour
	// State is the device's initial scripted state, copied per device.
	State map[string]any
}

// ActionBehaviour is how a device answers one action.
type ActionBehaviour struct {
	Latency Latency
	// FailureRate is the fraction of requests the device never answers.
	// A Things Graph flow sees no error payload from a failing device
	// (TDM actions have no error channel): the runtime waits for the
	// response until its action timeout and fails the execution with
	// States.Timeout. [INF] Dropping the request is what a crashed or
	// hung device does; an "error" payload would be a successful answer.
	FailureRate float64
	// Respond is the answer's payload template (nil: {}).
	Respond *Payload
	// Set changes state fields before answering (values are templates).
	Set map[string]*Payload
}

// lockedRand is a random source safe for concurrent use: action handlers
// run concurrently (paho with OrderMatters(false)).
type lockedRand struct {
	mu sync.Mutex
	r  *rand.Rand
}

// draw runs f with the source locked.
func (l *lockedRand) draw(f func(r *rand.Rand)) {
	l.mu.Lock()
	defer l.mu.Unlock()
	f(l.r)
}

// DeviceRand returns the random source of the index-th device of a run
// seeded with seed: the same seed and index always give the same draws.
func DeviceRand(seed uint64, index int) *rand.Rand {
	return rand.New(rand.NewPCG(seed, uint64(index)))
}
