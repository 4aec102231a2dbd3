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
	// Messages are only ever appended: the copy shares the array up to
	// its length (a later append cannot write within it).
	c.Messages = e.Messages[:len(e.Messages):len(e.Messages)]
	c.Vars = make(map[string]any, len(e.Vars))
	for k, v := range e.Vars {
		c.Vars[k] = v
	}
	return c
}

// record appends a message to an execution. Messages of steps still
// running after the execution ended (timed out) are dropped.
func (r *Runtime) record(ex *Execution, eventType string, payload map[string]any) {
	r.recordStatus(ex, eventType, payload, "")
}

// finish records the terminal message and sets the status under one lock.
func (r *Runtime) finish(ex *Execution, eventType string, payload map[string]any, status string) {
	r.recordStatus(ex, eventType, payload, status)
}

func (r *Runtime) recordStatus(ex *Execution, eventType string, payload map[string]any, status string) {
	b, err := json.Marshal(payload)
	if err != nil {
		b, _ = json.Marshal(map[string]any{"unencodable": fmt.Sprint(payload)})
	}
	r.mu.Lock()
	// Under the lock: the order messages are appended in is also their
	// time order, which ListFlowExecutionMessages sorts by.
	now := r.opts.Now()
	if ex.Status != StatusRunning {
		r.mu.Unlock()
		return
	}
	if status != "" {
		ex.Status = status
	}
	ex.Messages = append(ex.Messages, ExecutionMessage{MessageID: r.opts.NewID(), EventType: eventType, Timestamp: now, Payload: string(b)})
	ex.UpdatedAt = now
	if status != "" {
		// WaitExecutions predicates look at statuses: wake them on a
		// status change only, not on every message.
		r.counts[status]++
		r.trimLocked()
		r.notifyLocked()
	}
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
	// Reporters read the header and the messages: no Vars copy.
	c := *ex
	c.Messages = ex.Messages[:len(ex.Messages):len(ex.Messages)]
	c.Vars = nil
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

// stepResult is what a finished step tells the scheduler: the events to
// fire (none when skipped or handled without raiseEvent) or its error.
type stepResult struct {
	idx    int
	step   *tdm.Step
	events []string
	err    error
}

// run executes the flow's steps by the step/event model.
func (r *Runtime) run(p *Plan, f *tdm.Flow, ex *Execution) {
	ctx, cancel := context.WithCancel(r.ctx)
	defer cancel()
	fired := map[string]bool{}
	started := make([]bool, len(f.Steps))
	// Buffered so that steps still running after a timeout never block.
	results := make(chan stepResult, len(f.Steps))
	running := map[int]bool{}
	var failure error
	idle := time.NewTimer(r.opts.ExecutionTimeout)
	defer idle.Stop()
	timedOut := false
loop:
	for {
		if failure == nil && ctx.Err() == nil {
			var ready []string
			var launch []int
			for i := range f.Steps {
				st := &f.Steps[i]
				if started[i] || !allFired(st.InEvents, fired) {
					continue
				}
				started[i] = true
				ready = append(ready, st.Name)
				launch = append(launch, i)
			}
			// The schedule is recorded before its steps start, so their
			// STEP_STARTED messages always follow it.
			if len(ready) > 0 {
				r.record(ex, "SCHEDULE_NEXT_READY_STEPS_TASK", map[string]any{"readySteps": ready})
			}
			for _, i := range launch {
				st := &f.Steps[i]
				running[i] = true
				go func() {
					t0 := time.Now()
					res := r.runStep(ctx, p, ex, st)
					r.stepLatency.observe(time.Since(t0))
					res.idx, res.step = i, st
					results <- res
				}()
			}
		}
		if len(running) == 0 {
			break
		}
		select {
		case res := <-results:
			delete(running, res.idx)
			idle.Reset(r.opts.ExecutionTimeout)
			if res.err != nil {
				if failure == nil {
					failure = fmt.Errorf("step %s: %w", res.step.Name, res.err)
				}
				continue
			}
			for _, e := range res.events {
				fired[e] = true
			}
		case <-idle.C:
			var names []string
			for i := range f.Steps {
				if running[i] {
					names = append(names, f.Steps[i].Name)
				}
			}
			timedOut = true
			if failure != nil { // an earlier step failed; the others hang
				cancel()
				break loop
			}
			failure = fmt.Errorf("execution timed out: no step finished within the execution timeout %s (still waiting: %s)", r.opts.ExecutionTimeout, strings.Join(names, ", "))
			cancel()
			break loop
		}
	}
	switch {
	case r.ctx.Err() != nil && !timedOut:
		r.finish(ex, "EXECUTION_ABORTED", map[string]any{"reason": "runtime stopped"}, StatusAborted)
	case failure != nil:
		r.finish(ex, "EXECUTION_FAILED", map[string]any{"error": failure.Error()}, StatusFailed)
		r.log.Warn("flow execution failed", "execution", ex.ID, "error", failure)
	default:
		r.finish(ex, "EXECUTION_SUCCEEDED", map[string]any{"flowInstanceId": ex.ID}, StatusSucceeded)
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

// runStep runs one step: its condition, its activity (with OnError), its
// OnSuccess checks. The scheduler fills idx and step.
func (r *Runtime) runStep(ctx context.Context, p *Plan, ex *Execution, st *tdm.Step) stepResult {
	fail := func(err error) stepResult {
		r.record(ex, "STEP_FAILED", map[string]any{"stepId": st.Name, "error": err.Error()})
		return stepResult{err: err}
	}
	if st.Condition != "" {
		v, err := evalCond(st.Condition, r.execEnv(p, ex, nil))
		if err != nil {
			return fail(fmt.Errorf("condition: %w", err))
		}
		if !tdm.Truthy(v) {
			r.record(ex, "STEP_SUCCEEDED", map[string]any{"stepId": st.Name, "skipped": true})
			return stepResult{}
		}
	}
	if st.Activity.Choice != nil {
		return r.runChoice(p, ex, st)
	}
	r.record(ex, "STEP_STARTED", map[string]any{"stepId": st.Name, "activity": st.Activity.Kind})
	result, err := r.runWithRetries(ctx, p, ex, st)
	if err != nil {
		if ctx.Err() != nil {
			return fail(err)
		}
		c, events, val, cerr := r.catch(p, ex, st, err)
		if cerr != nil {
			return fail(cerr)
		}
		if c == nil {
			return fail(err)
		}
		payload := map[string]any{"stepId": st.Name, "caught": catchLabel(c), "error": err.Error(), "errorName": errorName(err), "raisedEvents": events}
		if c.Expr != "" {
			payload["exprResult"] = val
		}
		r.record(ex, "STEP_SUCCEEDED", payload)
		return stepResult{events: events}
	}
	if st.Activity.Out != "" {
		r.mu.Lock()
		ex.Vars[st.Activity.Out] = result
		r.mu.Unlock()
	}
	events := append([]string(nil), st.OutEvents...)
	payload := map[string]any{"stepId": st.Name, "result": result}
	if st.OnSuccess != nil {
		checks, more, err := r.runChecks(p, ex, st)
		if err != nil {
			return fail(err)
		}
		payload["checks"] = checks
		events = append(events, more...)
	}
	r.record(ex, "STEP_SUCCEEDED", payload)
	return stepResult{events: events}
}

// runChoice evaluates a ChoiceActivity: the first rule whose expression is
// truthy fires its setEvent, else the default rule's; the step's own
// outEvents fire too.
func (r *Runtime) runChoice(p *Plan, ex *Execution, st *tdm.Step) stepResult {
	ch := st.Activity.Choice
	r.record(ex, "STEP_STARTED", map[string]any{"stepId": st.Name, "activity": "ChoiceActivity", "title": ch.Title})
	fail := func(err error) stepResult {
		r.record(ex, "STEP_FAILED", map[string]any{"stepId": st.Name, "error": err.Error()})
		return stepResult{err: err}
	}
	env := r.execEnv(p, ex, nil)
	var chosen *tdm.ChoiceRule
	label := ""
	for i := range ch.Rules {
		rule := &ch.Rules[i]
		name := ruleLabel(rule, i)
		e := rule.Parsed
		if e == nil {
			var err error
			if e, err = tdm.ParseExpr(rule.Expr); err != nil || strings.TrimSpace(rule.Expr) == "" {
				return fail(fmt.Errorf("ChoiceActivity %s: expression %q does not parse: %v", name, rule.Expr, err))
			}
		}
		v, err := tdm.Eval(e, env)
		if err != nil {
			return fail(fmt.Errorf("ChoiceActivity %s (%s): %w", name, rule.Expr, err))
		}
		if tdm.Truthy(v) {
			chosen, label = rule, name
			break
		}
	}
	if chosen == nil {
		if ch.Default == nil {
			return fail(errors.New("ChoiceActivity: no rule's expression is true and the choice has no default rule"))
		}
		chosen, label = ch.Default, "default"
	}
	var events []string
	if chosen.SetEvent != "" {
		events = append(events, chosen.SetEvent)
	}
	events = append(events, st.OutEvents...)
	r.record(ex, "STEP_SUCCEEDED", map[string]any{"stepId": st.Name, "rule": label, "expr": chosen.Expr, "event": chosen.SetEvent})
	return stepResult{events: events}
}

func ruleLabel(rule *tdm.ChoiceRule, i int) string {
	switch {
	case rule.Name != "":
		return "rule " + rule.Name
	case rule.Title != "":
		return "rule " + rule.Title
	}
	return fmt.Sprintf("rule #%d", i+1)
}

// runChecks evaluates OnSuccess checks after the step's out variable is
// set; each raises its OnPass or OnFail events.
func (r *Runtime) runChecks(p *Plan, ex *Execution, st *tdm.Step) ([]any, []string, error) {
	env := r.execEnv(p, ex, nil)
	var report []any
	var events []string
	for _, c := range st.OnSuccess.Checks {
		v, err := evalCond(c.Condition, env)
		if err != nil {
			return nil, nil, runtimeErr("OnSuccess Check %s condition %q: %v", c.Name, c.Condition, err)
		}
		pass := tdm.Truthy(v)
		b, which := c.OnFail, "OnFail"
		if pass {
			b, which = c.OnPass, "OnPass"
		}
		var raised []string
		if b != nil {
			for _, fld := range b.Fields {
				if !strings.EqualFold(fld.Name, "raiseEvent") && !strings.EqualFold(fld.Name, "setEvent") {
					return nil, nil, runtimeErr("OnSuccess Check %s: %s { %s } is not supported by this runtime (only raiseEvent / setEvent)", c.Name, which, fld.Name)
				}
			}
			raised = b.Events
		}
		events = append(events, raised...)
		report = append(report, map[string]any{"check": c.Name, "passed": pass, "raisedEvents": raised})
	}
	return report, events, nil
}

// runActivity performs the step's activity once. info is extra payload for
// the ACTIVITY_SUCCEEDED / ACTIVITY_FAILED message.
func (r *Runtime) runActivity(ctx context.Context, p *Plan, ex *Execution, st *tdm.Step, attempt int) (result any, info map[string]any, err error) {
	switch st.Activity.Kind {
	case tdm.ActivityDevice:
		return r.runDevice(ctx, p, ex, st, attempt)
	case tdm.ActivityWebservice:
		return r.runService(ctx, p, ex, st, attempt)
	}
	return nil, nil, runtimeErr("activity %s is not supported by this runtime (DeviceActivity, WebserviceActivity and ChoiceActivity are)", st.Activity.Kind)
}

// runDevice performs a DeviceActivity: publish the action request to the
// bound thing and, if the device answers, wait for the answer.
func (r *Runtime) runDevice(ctx context.Context, p *Plan, ex *Execution, st *tdm.Step, attempt int) (any, map[string]any, error) {
	act := st.Activity
	env := r.execEnv(p, ex, nil)
	thingV, err := evalText(act.DeviceID, env)
	if err != nil {
		return nil, nil, runtimeErr("deviceId %q: %v", act.DeviceID, err)
	}
	thing, ok := thingV.(string)
	if !ok || thing == "" {
		return nil, nil, runtimeErr("deviceId %q evaluated to %v, want a thing name", act.DeviceID, thingV)
	}
	dev, ok := p.Devices[thing]
	if !ok {
		return nil, nil, runtimeErr("thing %q is not bound in flow configuration %s", thing, p.Deployment.ID)
	}
	var da *tdm.DeviceAction
	for i := range dev.Actions {
		if strings.EqualFold(dev.Actions[i].Name, act.Action) {
			da = &dev.Actions[i]
		}
	}
	if da == nil {
		return nil, nil, runtimeErr("device %s (thing %s) has no action %q", dev.ID, thing, act.Action)
	}
	reqEnv, err := r.argEnv(p, ex, act.Args)
	if err != nil {
		return nil, nil, err
	}
	if da.Modbus != nil {
		return r.runModbus(ctx, ex, st, attempt, thing, dev, da, reqEnv)
	}
	if da.RequestTopic == "" {
		return nil, nil, runtimeErr("device %s action %s: %s %s has no request topic", dev.ID, da.Name, dev.Protocol, da.Operation)
	}
	body := map[string]any{}
	for _, prm := range da.RequestParams {
		v, err := evalText(prm.Value, reqEnv)
		if err != nil {
			return nil, nil, runtimeErr("request param %s: %v", prm.Name, err)
		}
		body[prm.Name] = v
	}
	reqTopic, err := p.expandTopic(da.RequestTopic, thing)
	if err != nil {
		return nil, nil, runtimeErr("request topic: %v", err)
	}
	payload, _ := json.Marshal(body)
	var answer <-chan []byte
	var cancel func()
	var respTopic string
	if da.ResponseTopic != "" {
		if respTopic, err = p.expandTopic(da.ResponseTopic, thing); err != nil {
			return nil, nil, runtimeErr("response topic: %v", err)
		}
		answer, cancel = r.await(respTopic)
	}
	info := map[string]any{"thing": thing, "action": da.Name}
	r.record(ex, "ACTIVITY_STARTED", map[string]any{"stepId": st.Name, "activity": act.Kind, "attempt": attempt, "thing": thing, "action": da.Name})
	r.record(ex, "THING_ACTION_TASK", map[string]any{"stepId": st.Name, "thing": thing, "action": da.Name, "topic": reqTopic, "payload": string(payload)})
	if err := r.opts.Publish(ctx, reqTopic, payload); err != nil {
		if cancel != nil {
			cancel()
		}
		r.record(ex, "THING_ACTION_TASK_FAILED", map[string]any{"stepId": st.Name, "error": err.Error()})
		return nil, info, err
	}
	if answer == nil {
		r.record(ex, "THING_ACTION_TASK_SUCCEEDED", map[string]any{"stepId": st.Name})
		return nil, info, nil
	}
	timer := time.NewTimer(r.opts.ActionTimeout)
	defer timer.Stop()
	select {
	case b := <-answer:
		r.record(ex, "THING_ACTION_TASK_SUCCEEDED", map[string]any{"stepId": st.Name, "topic": respTopic, "payload": string(b)})
		r.record(ex, "ACKNOWLEDGE_TASK_MESSAGE", map[string]any{"stepId": st.Name})
		return decodePayload(b), info, nil
	case <-timer.C:
		cancel()
		err := timeoutErr("thing %s did not answer %s on %s within %s", thing, da.Name, respTopic, r.opts.ActionTimeout)
		r.record(ex, "THING_ACTION_TASK_FAILED", map[string]any{"stepId": st.Name, "error": err.Error()})
		return nil, info, err
	case <-ctx.Done():
		cancel()
		return nil, info, ctx.Err()
	}
}

// argEnv evaluates the action call's arguments and returns the env the
// action's request params see: the flow's, plus each argument as
// name.value.
func (r *Runtime) argEnv(p *Plan, ex *Execution, params []tdm.Param) (*mapEnv, error) {
	env := r.execEnv(p, ex, nil)
	args := map[string]any{}
	for _, a := range params {
		v, err := evalText(a.Value, env)
		if err != nil {
			return nil, runtimeErr("argument %s: %v", a.Name, err)
		}
		args[a.Name] = map[string]any{"value": v}
	}
	return r.execEnv(p, ex, args), nil
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
