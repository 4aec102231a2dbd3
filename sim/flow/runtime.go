package flow

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/tgsim/tgsim/sim/tdm"
)

// Options configures a Runtime.
type Options struct {
	Plans []*Plan
	// Publish sends a message through the core (source = the runtime).
	Publish func(ctx context.Context, topic string, payload []byte) error
	// ActionTimeout bounds the wait for a device's response; default 10s.
	ActionTimeout time.Duration
	Logger        *slog.Logger
	Now           func() time.Time
	// NewID returns unique ids for executions and messages.
	NewID func() string
	// OnUpdate, when set, is called with a snapshot of an execution every
	// time it changes (a message recorded, a status set), outside the
	// runtime's locks. It must not block: a Reporter queues it. The
	// snapshot's Vars is nil, and its Messages must not be modified.
	OnUpdate func(Execution)
	// MaxExecutions bounds the finished executions the runtime keeps for
	// Executions (the oldest go first; Counts keeps counting); default
	// 10,000. The Things Graph service keeps its own copy of each.
	MaxExecutions int

	// ExecutionTimeout fails an execution when none of its running steps
	// has finished for this long (every step waiting: on a device, a
	// service, a retry interval); default 5 min.
	ExecutionTimeout time.Duration
	// RetryIntervalScale multiplies every OnError Retry wait (tests use a
	// small value); 0 means 1.
	RetryIntervalScale float64
	// AWS holds the credentials and region WebserviceActivity uses to sign
	// requests of REST services with auth: "SigV4". It may be zero: such
	// requests then fail their step.
	AWS aws.Config
	// Lambdas are the functions AwsLambda services invoke, keyed by
	// function ARN (as written, with or without its version) or name.
	Lambdas map[string]func(ctx context.Context, payload []byte) ([]byte, error)
	// HTTPClient performs REST service requests; default a client
	// without its own timeout (each request is bounded by ActionTimeout).
	HTTPClient *http.Client
}

// Runtime runs the flows of one or more flow configurations.
type Runtime struct {
	opts Options
	log  *slog.Logger

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu      sync.Mutex
	waiters map[string][]chan []byte // response topic → FIFO of waiting actions
	execs   []*Execution
	counts  map[string]int         // executions ended, by status, since the start
	byID    map[string]chan []byte // Modbus requests awaiting their response, by id

	stepLatency histogram
	changed     chan struct{}
}

// New starts a runtime; timer triggers start ticking at once.
func New(opts Options) (*Runtime, error) {
	if opts.Publish == nil {
		return nil, errors.New("flow: Options.Publish is required")
	}
	if opts.MaxExecutions <= 0 {
		opts.MaxExecutions = 10_000
	}
	if opts.ActionTimeout <= 0 {
		opts.ActionTimeout = 10 * time.Second
	}
	if opts.ExecutionTimeout <= 0 {
		opts.ExecutionTimeout = 5 * time.Minute
	}
	if opts.RetryIntervalScale <= 0 {
		opts.RetryIntervalScale = 1
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = &http.Client{}
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.NewID == nil {
		opts.NewID = newUUID
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &Runtime{
		opts:    opts,
		log:     opts.Logger.With("component", "flow-runtime"),
		ctx:     ctx,
		cancel:  cancel,
		waiters: map[string][]chan []byte{},
		counts:  map[string]int{},
		changed: make(chan struct{}),
	}
	for _, p := range opts.Plans {
		for _, tr := range p.Triggers {
			if !tr.Every {
				continue
			}
			period, _ := tdm.ParseEvery(tr.Period)
			r.wg.Add(1)
			go r.tick(p, tr, period)
		}
		r.log.Info("flow configuration loaded", "deployment", p.Deployment.ID, "flows", len(p.Flows), "triggers", len(p.Triggers))
	}
	return r, nil
}

func (r *Runtime) tick(p *Plan, tr *Trigger, period time.Duration) {
	defer r.wg.Done()
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		select {
		case <-r.ctx.Done():
			return
		case <-t.C:
			r.fire(p, tr, nil)
		}
	}
}

// Handle takes one message routed to the runtime: an answer some action is
// waiting for, or a device event that may fire triggers.
func (r *Runtime) Handle(_ context.Context, topic string, payload []byte) {
	if topic == ModbusResponseTopic && r.handleModbusResponse(payload) {
		return
	}
	r.mu.Lock()
	if q := r.waiters[topic]; len(q) > 0 {
		ch := q[0]
		if len(q) == 1 {
			delete(r.waiters, topic)
		} else {
			r.waiters[topic] = q[1:]
		}
		r.mu.Unlock()
		ch <- payload // buffered, never blocks
		return
	}
	r.mu.Unlock()
	handled := false
	for _, p := range r.opts.Plans {
		src, ok := p.Events[topic]
		if !ok {
			continue
		}
		handled = true
		ev := &firedEvent{source: src, payload: decodePayload(payload)}
		for _, tr := range p.Triggers {
			if !tr.Every {
				r.fire(p, tr, ev)
			}
		}
	}
	if !handled {
		r.log.Warn("message for no waiting action and no event", "topic", topic)
	}
}

type firedEvent struct {
	source  EventSource
	payload any
}

// fire evaluates a trigger and runs its actions when it holds.
func (r *Runtime) fire(p *Plan, tr *Trigger, ev *firedEvent) {
	env := &triggerEnv{plan: p, event: ev, runtime: r, trigger: tr}
	if tr.Condition != nil {
		v, err := tdm.Eval(tr.Condition, env)
		if err != nil {
			if raw, ok := ev.payload.(string); ok {
				// Most likely a corrupt event: say so where it shows.
				r.log.Warn("event not handled: its payload is not JSON and the trigger condition cannot read it",
					"trigger", tr.Name, "payload_bytes", len(raw), "error", err)
				return
			}
			// Routine for a condition on another device's event.
			r.log.Debug("trigger condition not evaluable", "trigger", tr.Name, "error", err)
			return
		}
		if !tdm.Truthy(v) {
			return
		}
	}
	r.log.Debug("trigger condition met", "trigger", tr.Name, "condition", tr.Trigger.Condition)
	for _, a := range tr.Actions {
		if _, err := tdm.Eval(a, env); err != nil {
			r.log.Error("trigger action failed", "trigger", tr.Name, "error", err)
		}
	}
}

// triggerEnv is what trigger expressions see: devices (with the event that
// just arrived), bindings, and ThingsGraph.startFlow.
type triggerEnv struct {
	plan    *Plan
	event   *firedEvent
	runtime *Runtime
	trigger *Trigger
}

func (e *triggerEnv) Lookup(name string) (any, bool) {
	switch name {
	case "devices":
		var out []any
		for _, b := range e.plan.Deployment.Bindings {
			var events []any
			if e.event != nil && e.event.source.Role == b.Role {
				events = append(events, map[string]any{"name": e.event.source.Event, "lastEvent": e.event.payload})
			}
			out = append(out, map[string]any{"name": b.Role, "deviceId": b.ThingName, "events": events})
		}
		return out, true
	case "bindings":
		var out []any
		for _, b := range e.plan.Deployment.Bindings {
			out = append(out, map[string]any{"name": b.Role, "deviceId": b.ThingName})
		}
		return out, true
	case "systemConfig":
		return systemConfig(e.plan), true
	}
	return nil, false
}

func (e *triggerEnv) Call(name string, args []any) (any, error) {
	if name != "ThingsGraph.startFlow" {
		return nil, fmt.Errorf("unknown function %s; the only trigger action is ThingsGraph.startFlow", name)
	}
	if len(args) == 0 {
		return nil, errors.New("ThingsGraph.startFlow needs the flow's role name as its first argument")
	}
	role, ok := args[0].(string)
	if !ok {
		return nil, fmt.Errorf("ThingsGraph.startFlow: first argument must be a flow role name, got %T", args[0])
	}
	id, err := e.runtime.startFlow(e.plan, role, args[1:], e.trigger.Name)
	return id, err
}

func systemConfig(p *Plan) map[string]any {
	return map[string]any{"awsRegion": p.Manifest.Region, "awsAccountId": p.Manifest.AccountID, "accountId": p.Manifest.AccountID}
}

func decodePayload(b []byte) any {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return string(b)
	}
	return v
}

// await registers interest in the next message on topic. The returned
// cancel removes the registration if the answer never came.
func (r *Runtime) await(topic string) (<-chan []byte, func()) {
	ch := make(chan []byte, 1)
	r.mu.Lock()
	r.waiters[topic] = append(r.waiters[topic], ch)
	r.mu.Unlock()
	return ch, func() {
		r.mu.Lock()
		defer r.mu.Unlock()
		q := r.waiters[topic]
		for i, c := range q {
			if c == ch {
				r.waiters[topic] = append(q[:i:i], q[i+1:]...)
				if len(r.waiters[topic]) == 0 {
					delete(r.waiters, topic)
				}
				return
			}
		}
	}
}

// Counts returns how many executions ended with each status since the
// runtime started, and how many are running now (StatusRunning), however
// many Executions still keeps.
func (r *Runtime) Counts() map[string]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[string]int, len(r.counts)+1)
	for k, v := range r.counts {
		out[k] = v
	}
	for _, e := range r.execs {
		if e.Status == StatusRunning {
			out[StatusRunning]++
		}
	}
	return out
}

// trimLocked drops the oldest finished executions beyond MaxExecutions.
// r.mu held.
func (r *Runtime) trimLocked() {
	extra := len(r.execs) - r.opts.MaxExecutions
	if extra <= 0 {
		return
	}
	keep := r.execs[:0]
	for _, e := range r.execs {
		if extra > 0 && e.Status != StatusRunning {
			extra--
			continue
		}
		keep = append(keep, e)
	}
	clear(r.execs[len(keep):])
	r.execs = keep
}

// Executions returns a snapshot of the executions kept (MaxExecutions),
// oldest first.
func (r *Runtime) Executions() []Execution {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.snapshotLocked()
}

// snapshotLocked copies every execution. r.mu held.
func (r *Runtime) snapshotLocked() []Execution {
	out := make([]Execution, len(r.execs))
	for i, e := range r.execs {
		out[i] = e.copyLocked()
	}
	return out
}

// WaitExecutions blocks until pred holds over the executions or ctx ends.
func (r *Runtime) WaitExecutions(ctx context.Context, pred func([]Execution) bool) error {
	for {
		// Snapshot and wake-up channel under one lock, so a change between
		// them cannot be missed.
		r.mu.Lock()
		execs := r.snapshotLocked()
		ch := r.changed
		r.mu.Unlock()
		if pred(execs) {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-ch:
		}
	}
}

// notifyLocked wakes WaitExecutions. r.mu held.
func (r *Runtime) notifyLocked() {
	close(r.changed)
	r.changed = make(chan struct{})
}

// Close aborts running executions and waits for every goroutine.
func (r *Runtime) Close() error {
	r.cancel()
	r.wg.Wait()
	return nil
}
