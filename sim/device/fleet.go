package device

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"time"
)

// FleetOptions configures a Fleet: Count devices built from one template.
type FleetOptions struct {
	Count int
	// Base returns the i-th device's options (i from 1): thing name,
	// broker, TLS, and its events and actions with their topics. The
	// fleet adds the Behaviour's answers to the actions.
	Base      func(ctx context.Context, i int) (Options, error)
	Behaviour Behaviour
	// Seed makes the fleet's draws reproducible: device i draws from
	// DeviceRand(Seed, i).
	Seed uint64
	// Concurrency bounds simultaneous connects (TLS handshakes, SUBACKs);
	// default 32.
	Concurrency int
}

// Member is one device of a fleet.
type Member struct {
	Index  int
	Thing  string
	Device *Device
	// Draws are split by use so that one use cannot shift another's
	// stream: decide draws only action fates, in request order; schedule
	// only emit times; each message's {{rand}} source derives from its
	// seq (msgSeed).
	decide   *lockedRand
	schedule *lockedRand
	msgSeed  uint64

	// opts connect the member again after Disconnect.
	opts Options

	mu     sync.Mutex
	state  map[string]any
	acked  int
	device *Device // m.mu: replaced by Reconnect
	down   bool    // m.mu: closed by Disconnect, not yet reconnected
	// dropped counts the requests earlier connections left unanswered.
	dropped int // m.mu
}

// Dropped returns how many action requests the member left unanswered
// (its failure rate), over all its connections.
func (m *Member) Dropped() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.dropped + m.device.Dropped()
}

// dev is the member's current connection.
func (m *Member) dev() *Device {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.device
}

// State returns a copy of the member's scripted state.
func (m *Member) State() map[string]any {
	m.mu.Lock()
	defer m.mu.Unlock()
	return maps.Clone(m.state)
}

// Acked returns how many of the member's load publishes were acknowledged
// (PUBACK for QoS 1).
func (m *Member) Acked() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.acked
}

// Fleet is a set of connected devices sharing a Behaviour.
type Fleet struct {
	opts    FleetOptions
	Members []*Member
}

// ConnectFleet connects the fleet's devices, at most Concurrency at a
// time. On error the devices already connected are closed.
func ConnectFleet(ctx context.Context, opts FleetOptions) (*Fleet, error) {
	if opts.Concurrency <= 0 {
		opts.Concurrency = 32
	}
	f := &Fleet{opts: opts, Members: make([]*Member, opts.Count)}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sem := make(chan struct{}, opts.Concurrency)
	var wg sync.WaitGroup
	var errOnce sync.Once
	var firstErr error
	for i := 1; i <= opts.Count; i++ {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			m, err := f.connect(ctx, i)
			if err != nil {
				errOnce.Do(func() { firstErr = err; cancel() })
				return
			}
			f.Members[i-1] = m
		}()
	}
	wg.Wait()
	if firstErr == nil && ctx.Err() != nil {
		firstErr = ctx.Err()
	}
	if firstErr != nil {
		f.Close()
		return nil, firstErr
	}
	return f, nil
}

func (f *Fleet) connect(ctx context.Context, i int) (*Member, error) {
	o, err := f.opts.Base(ctx, i)
	if err != nil {
		return nil, err
	}
	b := f.opts.Behaviour
	m := &Member{Index: i, Thing: o.ThingName, state: cloneState(b.State),
		decide:   &lockedRand{r: DeviceRand(f.opts.Seed, i)},
		schedule: &lockedRand{r: DeviceRand(f.opts.Seed^scheduleSalt, i)},
		msgSeed:  DeviceRand(f.opts.Seed^messageSalt, i).Uint64()}
	for k, a := range o.Actions {
		ab, ok := b.Actions[a.Name]
		if !ok {
			continue
		}
		a.Decide = func(int) (delay time.Duration, drop bool) {
			m.decide.draw(func(r *rand.Rand) {
				// Both draws happen for every request, so the n-th
				// request's fate depends only on the seed and n.
				drop = r.Float64() < ab.FailureRate
				delay = ab.Latency.Sample(r)
			})
			return delay, drop
		}
		if ab.Respond != nil || len(ab.Set) > 0 {
			a.Respond = func(seq int, _ []byte) []byte {
				v := m.vars(seq, answerSalt)
				m.mu.Lock()
				for k, p := range ab.Set {
					m.state[k] = p.Expand(v)
				}
				m.mu.Unlock()
				if ab.Respond == nil {
					return []byte("{}")
				}
				out, _ := json.Marshal(ab.Respond.Expand(m.vars(seq, answerSalt)))
				return out
			}
		}
		o.Actions[k] = a
	}
	d, err := Connect(ctx, o)
	if err != nil {
		return nil, err
	}
	m.Device, m.device, m.opts = d, d, o
	return m, nil
}

// Disconnect closes the connections of a fraction of the members (a
// fault: devices losing power or network). They are spread evenly over
// the fleet: n = round(fraction × count) members, the ⌊j·count/n⌋-th for
// j < n, so the same members go down on every run. While down, a
// member's emits fail (not acknowledged) and it answers nothing. It
// returns the members' indexes.
func (f *Fleet) Disconnect(fraction float64) []int {
	var out []int
	for _, k := range Spread(len(f.Members), fraction) {
		m := f.Members[k]
		m.mu.Lock()
		if !m.down {
			m.down = true
			m.device.Close()
		}
		m.mu.Unlock()
		out = append(out, m.Index)
	}
	return out
}

// Reconnect connects every member Disconnect closed again, with the same
// thing, certificate, state and random streams, and returns how many.
func (f *Fleet) Reconnect(ctx context.Context) (int, error) {
	n := 0
	for _, m := range f.Members {
		m.mu.Lock()
		down := m.down
		m.mu.Unlock()
		if !down {
			continue
		}
		d, err := Connect(ctx, m.opts)
		if err != nil {
			return n, fmt.Errorf("reconnect %s: %w", m.Thing, err)
		}
		m.mu.Lock()
		m.dropped += m.device.Dropped()
		m.Device, m.device, m.down = d, d, false
		m.mu.Unlock()
		n++
	}
	return n, nil
}

func cloneState(s map[string]any) map[string]any {
	if s == nil {
		return map[string]any{}
	}
	return maps.Clone(s)
}

// Salts separate a device's random streams (see Member).
const (
	scheduleSalt = 0x5c4ed01e
	messageSalt  = 0x3e55a9e5
	emitSalt     = 1
	answerSalt   = 2
)

// vars are the template variables of the member's seq-th emit or answer
// (salt); the state is a snapshot. {{rand}} draws from a source made from
// the device, the kind and seq alone, so it repeats run after run
// whatever the timing.
func (m *Member) vars(seq int, salt uint64) Vars {
	m.mu.Lock()
	st := maps.Clone(m.state)
	m.mu.Unlock()
	return Vars{Thing: m.Thing, Index: m.Index, Seq: seq, Time: time.Now(), State: st,
		Rand: rand.New(rand.NewPCG(m.msgSeed^salt, uint64(seq)))}
}

// Close disconnects every device.
func (f *Fleet) Close() {
	for _, m := range f.Members {
		if m == nil {
			continue
		}
		if d := m.dev(); d != nil {
			d.Close()
		}
	}
}

// Sent is one load publish.
type Sent struct {
	Member *Member
	Seq    int
	At     time.Time
	// Acked is when the publish completed (PUBACK for QoS 1); zero when
	// it failed.
	Acked time.Time
	Err   error
}

// LoadResult is what a Load measured.
type LoadResult struct {
	Start, End time.Time
	Sent       []Sent
}

// Acked counts the acknowledged publishes.
func (r *LoadResult) Acked() int {
	n := 0
	for _, s := range r.Sent {
		if s.Err == nil {
			n++
		}
	}
	return n
}

// AckLatencies returns publish-to-acknowledgement times, sorted.
func (r *LoadResult) AckLatencies() []time.Duration {
	var out []time.Duration
	for _, s := range r.Sent {
		if s.Err == nil {
			out = append(out, s.Acked.Sub(s.At))
		}
	}
	slices.Sort(out)
	return out
}

// Load makes every member emit the Behaviour's event on its schedule
// (sched overrides the Behaviour's when not nil) and returns once all
// publishes are done or ctx ends. Each member publishes on its own
// goroutine; a slow PUBACK delays only that member's next event.
func (f *Fleet) Load(ctx context.Context, sched *Schedule) (*LoadResult, error) {
	b := f.opts.Behaviour
	if sched == nil {
		sched = b.Schedule
	}
	if sched == nil {
		return nil, fmt.Errorf("the fleet's behaviour has no emit schedule")
	}
	if err := sched.Validate(); err != nil {
		return nil, err
	}
	res := &LoadResult{Start: time.Now()}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, m := range f.Members {
		var offs []time.Duration
		m.schedule.draw(func(r *rand.Rand) { offs = sched.Offsets(r) })
		// Devices of a fixed-rate fleet start staggered over one period,
		// as real devices powered on at different times do, instead of
		// all publishing in the same millisecond.
		if sched.Kind == ScheduleFixed && len(f.Members) > 1 {
			shift := time.Duration(float64(time.Second) / sched.Rate * float64(m.Index-1) / float64(len(f.Members)))
			for i := range offs {
				offs[i] += shift
			}
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []Sent
			defer func() {
				mu.Lock()
				res.Sent = append(res.Sent, mine...)
				mu.Unlock()
			}()
			timer := time.NewTimer(0)
			defer timer.Stop()
			<-timer.C
			for i, off := range offs {
				if wait := time.Until(res.Start.Add(off)); wait > 0 {
					timer.Reset(wait)
					select {
					case <-ctx.Done():
						return
					case <-timer.C:
					}
				}
				seq := i + 1
				payload, _ := json.Marshal(b.Payload.Expand(m.vars(seq, emitSalt)))
				s := Sent{Member: m, Seq: seq, At: time.Now()}
				if s.Err = m.dev().Emit(ctx, b.Event, payload); s.Err == nil {
					s.Acked = time.Now()
					m.mu.Lock()
					m.acked++
					m.mu.Unlock()
				}
				mine = append(mine, s)
			}
		}()
	}
	wg.Wait()
	res.End = time.Now()
	return res, ctx.Err()
}

// Spread picks round(fraction × count) of count items, evenly spaced:
// the ⌊j·count/n⌋-th (0-based) for j < n.
func Spread(count int, fraction float64) []int {
	n := int(math.Round(fraction * float64(count)))
	n = min(max(n, 0), count)
	out := make([]int, 0, n)
	for j := 0; j < n; j++ {
		out = append(out, j*count/n)
	}
	return out
}
