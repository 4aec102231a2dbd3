package flow

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tgsim/tgsim/sim/tdm"
)

// Execution statuses [API FlowExecutionStatus].
const (
	StatusRunning   = "RUNNING"
	StatusSucceeded = "SUCCEEDED"
	StatusFailed    = "FAILED"
	StatusAborted   = "ABORTED"
)

// Execution is one run of a flow.
type Execution struct {
	ID               string
	FlowID           string
	SystemInstanceID string
	Trigger          string
	Status           string
	CreatedAt        time.Time
	UpdatedAt        time.Time
	Messages         []ExecutionMessage
	// Vars holds the flow variables at the end (out results).
	Vars map[string]any
}

// ExecutionMessage is one recorded transition [API FlowExecutionMessage].
type ExecutionMessage struct {
	MessageID string
	EventType string
	Timestamp time.Time
	Payload   string
}

func (e *Execution) copyLocked() Execution {
	c := *e
	c.Messages = append([]ExecutionMessage(nil), e.Messages...)
	c.Vars = make(map[string]any, len(e.Vars))
	for k, v := range e.Vars {
		c.Vars[k] = v
	}
	return c
}

// record appends a message to an execution.
func (r *Runtime) record(ex *Execution, eventType string, payload map[string]any) {
	b, _ := json.Marshal(payload)
	now := r.opts.Now()
	r.mu.Lock()
	ex.Messages = append(ex.Messages, ExecutionMessage{MessageID: r.opts.NewID(), EventType: eventType, Timestamp: now, Payload: string(b)})
	ex.UpdatedAt = now
	r.notifyLocked()
	snap := r.snapshotForUpdateLocked(ex)
	r.mu.Unlock()
	r.update(snap)
}

func (r *Runtime) setStatus(ex *Execution, status string) {
	r.mu.Lock()
	ex.Status = status
	ex.UpdatedAt = r.opts.Now()
	r.notifyLocked()
	snap := r.snapshotForUpdateLocked(ex)
	r.mu.Unlock()
	r.update(snap)
}

// snapshotForUpdateLocked copies ex for OnUpdate, or returns nil when no
// one listens. r.mu held.
func (r *Runtime) snapshotForUpdateLocked(ex *Execution) *Execution {
	if r.opts.OnUpdate == nil {
		return nil
	}
	c := ex.copyLocked()
	return &c
}

func (r *Runtime) update(snap *Execution) {
	if snap != nil {
		r.opts.OnUpdate(*snap)
	}
}

// startFlow starts the flow in the given system role with positional
// parameters and returns the execution id.
func (r *Runtime) startFlow(p *Plan, role string, args []any, trigger string) (string, error) {
	f, ok := p.Flows[role]
	if !ok {
		return "", fmt.Errorf("ThingsGraph.startFlow(%q): the system %s has no flow role %q", role, p.System.ID, role)
	}
	if len(args) > len(f.Params) {
		return "", fmt.Errorf("ThingsGraph.startFlow(%q): %d arguments for %d flow parameters", role, len(args), len(f.Params))
	}
	vars := map[string]any{}
	for i, prm := range f.Params {
		switch {
		case i < len(args):
			vars[prm.Name] = args[i]
		case prm.Default != nil:
			vars[prm.Name] = prm.Default.Text
		case strings.HasSuffix(prm.Type, "!"):
			return "", fmt.Errorf("ThingsGraph.startFlow(%q): required parameter $%s has no value", role, prm.Name)
		default:
			vars[prm.Name] = nil
		}
	}
	now := r.opts.Now()
	// [DOC ug:iot-tg-greengrass] flowInstanceId = <flow URN>_<ISO-8601 start>_<trigger>_<UUID>.
	id := fmt.Sprintf("%s_%s_%s_%s", f.ID, now.UTC().Format("2006-01-02T15:04:05.000Z"), trigger, r.opts.NewID())
	ex := &Execution{ID: id, FlowID: f.ID, SystemInstanceID: p.Deployment.ID, Trigger: trigger, Status: StatusRunning, CreatedAt: now, UpdatedAt: now, Vars: vars}
	r.mu.Lock()
	r.execs = append(r.execs, ex)
	r.notifyLocked()
	r.mu.Unlock()
	params := map[string]any{}
	for k, v := range vars {
		params[k] = v
	}
	r.record(ex, "START_FLOW_EXECUTION_TASK", map[string]any{"flowInstanceId": id, "flowType": f.ID, "flowParams": params, "trigger": trigger})
	r.record(ex, "EXECUTION_STARTED", map[string]any{"flowInstanceId": id, "templateId": f.ID, "flowParams": params, "additionalContextParams": map[string]any{"SystemTemplateId": p.System.ID}})
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		r.run(p, f, ex)
	}()
	return id, nil
}

type stepResult struct {
	step    *tdm.Step
	skipped bool
	err     error
}

// run executes the flow's steps by the step/event model.
func (r *Runtime) run(p *Plan, f *tdm.Flow, ex *Execution) {
	ctx := r.ctx
	fired := map[string]bool{}
	started := make([]bool, len(f.Steps))
	results := make(chan stepResult)
	running := 0
	var failure error
	for {
		if failure == nil && ctx.Err() == nil {
			var ready []string
			for i := range f.Steps {
				st := &f.Steps[i]
				if started[i] || !allFired(st.InEvents, fired) {
					continue
				}
				started[i] = true
				ready = append(ready, st.Name)
				running++
				go func() { results <- r.runStep(ctx, p, ex, st) }()
			}
			if len(ready) > 0 {
				r.record(ex, "SCHEDULE_NEXT_READY_STEPS_TASK", map[string]any{"readySteps": ready})
			}
		}
		if running == 0 {
			break
		}
		res := <-results
		running--
		switch {
		case res.err != nil:
			if failure == nil {
				failure = fmt.Errorf("step %s: %w", res.step.Name, res.err)
			}
		case !res.skipped:
			for _, e := range res.step.OutEvents {
				fired[e] = true
			}
		}
	}
	switch {
	case ctx.Err() != nil:
		r.record(ex, "EXECUTION_ABORTED", map[string]any{"reason": "runtime stopped"})
		r.setStatus(ex, StatusAborted)
	case failure != nil:
		r.record(ex, "EXECUTION_FAILED", map[string]any{"error": failure.Error()})
		r.setStatus(ex, StatusFailed)
		r.log.Warn("flow execution failed", "execution", ex.ID, "error", failure)
	default:
		r.record(ex, "EXECUTION_SUCCEEDED", map[string]any{"flowInstanceId": ex.ID})
		r.setStatus(ex, StatusSucceeded)
	}
}

func allFired(events []string, fired map[string]bool) bool {
	for _, e := range events {
		if !fired[e] {
			return false
		}
	}
	return true
}

// runStep runs one step's activity.
func (r *Runtime) runStep(ctx context.Context, p *Plan, ex *Execution, st *tdm.Step) stepResult {
	env := r.execEnv(p, ex, nil)
	if st.Condition != "" {
		v, err := evalText(st.Condition, env)
		if err != nil {
			r.record(ex, "STEP_FAILED", map[string]any{"stepId": st.Name, "error": err.Error()})
			return stepResult{step: st, err: fmt.Errorf("condition: %w", err)}
		}
		if !tdm.Truthy(v) {
			r.record(ex, "STEP_SUCCEEDED", map[string]any{"stepId": st.Name, "skipped": true})
			return stepResult{step: st, skipped: true}
		}
	}
	r.record(ex, "STEP_STARTED", map[string]any{"stepId": st.Name})
	r.record(ex, "ACTIVITY_SCHEDULED", map[string]any{"stepId": st.Name, "activity": st.Activity.Kind})
	r.record(ex, "ACTIVITY_STARTED", map[string]any{"stepId": st.Name, "activity": st.Activity.Kind})
	result, err := r.runActivity(ctx, p, ex, st)
	if err != nil {
		r.record(ex, "ACTIVITY_FAILED", map[string]any{"stepId": st.Name, "error": err.Error()})
		r.record(ex, "STEP_FAILED", map[string]any{"stepId": st.Name, "error": err.Error()})
		return stepResult{step: st, err: err}
	}
	if st.Activity.Out != "" {
		r.mu.Lock()
		ex.Vars[st.Activity.Out] = result
		r.mu.Unlock()
	}
	r.record(ex, "ACTIVITY_SUCCEEDED", map[string]any{"stepId": st.Name})
	r.record(ex, "STEP_SUCCEEDED", map[string]any{"stepId": st.Name, "result": result})
	return stepResult{step: st}
}

// runActivity performs a DeviceActivity: publish the action request to the
// bound thing and, if the device answers, wait for the answer.
func (r *Runtime) runActivity(ctx context.Context, p *Plan, ex *Execution, st *tdm.Step) (any, error) {
	act := st.Activity
	if act.Kind != "DEVICE" {
		return nil, fmt.Errorf("%s is not supported by this runtime yet (only DeviceActivity)", act.Kind)
	}
	env := r.execEnv(p, ex, nil)
	thingV, err := evalText(act.DeviceID, env)
	if err != nil {
		return nil, fmt.Errorf("deviceId %q: %w", act.DeviceID, err)
	}
	thing, ok := thingV.(string)
	if !ok || thing == "" {
		return nil, fmt.Errorf("deviceId %q evaluated to %v, want a thing name", act.DeviceID, thingV)
	}
	dev, ok := p.Devices[thing]
	if !ok {
		return nil, fmt.Errorf("thing %q is not bound in flow configuration %s", thing, p.Deployment.ID)
	}
	var da *tdm.DeviceAction
	for i := range dev.Actions {
		if strings.EqualFold(dev.Actions[i].Name, act.Action) {
			da = &dev.Actions[i]
		}
	}
	if da == nil {
		return nil, fmt.Errorf("device %s (thing %s) has no action %q", dev.ID, thing, act.Action)
	}
	// Action arguments, then the request params that reference them as ${arg.value}.
	args := map[string]any{}
	for _, a := range act.Args {
		v, err := evalText(a.Value, env)
		if err != nil {
			return nil, fmt.Errorf("argument %s: %w", a.Name, err)
		}
		args[a.Name] = map[string]any{"value": v}
	}
	reqEnv := r.execEnv(p, ex, args)
	body := map[string]any{}
	for _, prm := range da.RequestParams {
		v, err := evalText(prm.Value, reqEnv)
		if err != nil {
			return nil, fmt.Errorf("request param %s: %w", prm.Name, err)
		}
		body[prm.Name] = v
	}
	reqTopic, err := p.expandTopic(da.RequestTopic, thing)
	if err != nil {
		return nil, fmt.Errorf("request topic: %w", err)
	}
	payload, _ := json.Marshal(body)
	var answer <-chan []byte
	var cancel func()
	var respTopic string
	if da.ResponseTopic != "" {
		if respTopic, err = p.expandTopic(da.ResponseTopic, thing); err != nil {
			return nil, fmt.Errorf("response topic: %w", err)
		}
		answer, cancel = r.await(respTopic)
	}
	r.record(ex, "THING_ACTION_TASK", map[string]any{"stepId": st.Name, "thing": thing, "action": da.Name, "topic": reqTopic, "payload": string(payload)})
	if err := r.opts.Publish(ctx, reqTopic, payload); err != nil {
		if cancel != nil {
			cancel()
		}
		r.record(ex, "THING_ACTION_TASK_FAILED", map[string]any{"stepId": st.Name, "error": err.Error()})
		return nil, err
	}
	if answer == nil {
		r.record(ex, "THING_ACTION_TASK_SUCCEEDED", map[string]any{"stepId": st.Name})
		return nil, nil
	}
	timer := time.NewTimer(r.opts.ActionTimeout)
	defer timer.Stop()
	select {
	case b := <-answer:
		r.record(ex, "THING_ACTION_TASK_SUCCEEDED", map[string]any{"stepId": st.Name, "topic": respTopic, "payload": string(b)})
		r.record(ex, "ACKNOWLEDGE_TASK_MESSAGE", map[string]any{"stepId": st.Name})
		return decodePayload(b), nil
	case <-timer.C:
		cancel()
		err := fmt.Errorf("thing %s did not answer %s on %s within %s", thing, da.Name, respTopic, r.opts.ActionTimeout)
		r.record(ex, "THING_ACTION_TASK_FAILED", map[string]any{"stepId": st.Name, "error": err.Error()})
		return nil, err
	case <-ctx.Done():
		cancel()
		return nil, ctx.Err()
	}
}

// execEnv is what step expressions see: parameters and variables of the
// execution, system config, and (for request params) the action arguments.
func (r *Runtime) execEnv(p *Plan, ex *Execution, extra map[string]any) *mapEnv {
	vals := map[string]any{"systemConfig": systemConfig(p)}
	r.mu.Lock()
	for k, v := range ex.Vars {
		vals[k] = v
	}
	r.mu.Unlock()
	for k, v := range extra {
		vals[k] = v
	}
	return &mapEnv{vals: vals}
}

type mapEnv struct{ vals map[string]any }

func (m *mapEnv) Lookup(name string) (any, bool) {
	v, ok := m.vals[name]
	return v, ok
}

func (m *mapEnv) Call(name string, _ []any) (any, error) {
	return nil, fmt.Errorf("function %s is not available in flow expressions", name)
}

// evalText evaluates an argument as TDM writes them: "${expr}" (the value,
// typed), "$macro(text ${expr} text)" or text with ${...} inside (a string),
// or a plain literal.
func evalText(text string, env tdm.Env) (any, error) {
	t := strings.TrimSpace(text)
	if strings.HasPrefix(t, "${") && strings.HasSuffix(t, "}") && strings.Count(t, "${") == 1 {
		e, err := tdm.ParseExpr(t)
		if err != nil {
			return nil, err
		}
		return tdm.Eval(e, env)
	}
	if strings.Contains(t, "${") {
		var evalErr error
		s, err := tdm.ExpandMacro(t, func(path string) (string, bool) {
			e, err := tdm.ParseExpr(path)
			if err != nil {
				evalErr = err
				return "", false
			}
			v, err := tdm.Eval(e, env)
			if err != nil {
				evalErr = err
				return "", false
			}
			if s, ok := v.(string); ok {
				return s, true
			}
			b, _ := json.Marshal(v)
			return string(b), true
		})
		if evalErr != nil {
			return nil, evalErr
		}
		return s, err
	}
	return text, nil
}

func newUUID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(errors.New("crypto/rand failed"))
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}
