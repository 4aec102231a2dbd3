package flow

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/tgsim/tgsim/sim/tdm"
)

// Error names a failed activity carries, after AWS Step Functions [spec
// §2.9: OnError has Step Functions semantics].
const (
	// ErrAll in errorEquals matches every retriable error.
	ErrAll = "States.ALL"
	// ErrTimeout: a device did not answer within ActionTimeout, or a
	// service call did not complete within it.
	ErrTimeout = "States.Timeout"
	// ErrTaskFailed: any other failure of the activity itself (publish
	// error, HTTP status >= 400, Lambda error).
	ErrTaskFailed = "States.TaskFailed"
	// ErrRuntime: the flow cannot run as written (an unsupported
	// construct, an unbound thing, an unknown service or action, an
	// unregistered Lambda function, an expression that fails). [INF] As in
	// Step Functions it is neither retried nor caught, not even by
	// States.ALL: the step fails.
	ErrRuntime = "States.Runtime"
)

// stateError is an activity error with its Step Functions name.
type stateError struct {
	name string
	err  error
}

func (e *stateError) Error() string { return e.err.Error() }
func (e *stateError) Unwrap() error { return e.err }

func timeoutErr(format string, args ...any) error {
	return &stateError{ErrTimeout, fmt.Errorf(format, args...)}
}

func runtimeErr(format string, args ...any) error {
	return &stateError{ErrRuntime, fmt.Errorf(format, args...)}
}

func taskErr(format string, args ...any) error {
	return &stateError{ErrTaskFailed, fmt.Errorf(format, args...)}
}

// errorName classifies an activity error.
func errorName(err error) string {
	var se *stateError
	if errors.As(err, &se) {
		return se.name
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return ErrTimeout
	}
	var to interface{ Timeout() bool }
	if errors.As(err, &to) && to.Timeout() {
		return ErrTimeout
	}
	return ErrTaskFailed
}

// Step Functions' defaults for a Retrier.
const (
	defaultRetryInterval = 1.0 // seconds
	defaultBackoffRate   = 2.0
	defaultMaxAttempts   = 3
)

// runWithRetries runs the step's activity, retrying per OnError.Retries:
// the first Retry whose errorEquals names the error (or States.ALL) or whose
// condition holds governs; it retries up to maxAttempts times, waiting
// interval × backoffRate^n seconds (× Options.RetryIntervalScale) before
// retry n+1. Each Retry keeps its own count, as in Step Functions; once the
// governing one is exhausted the error goes to the catches.
func (r *Runtime) runWithRetries(ctx context.Context, p *Plan, ex *Execution, st *tdm.Step) (any, error) {
	var retries []tdm.Retry
	if st.OnError != nil {
		retries = st.OnError.Retries
	}
	counts := make([]int, len(retries))
	r.record(ex, "ACTIVITY_SCHEDULED", map[string]any{"stepId": st.Name, "activity": st.Activity.Kind, "attempt": 1})
	for attempt := 1; ; attempt++ {
		result, info, err := r.runActivity(ctx, p, ex, st, attempt)
		payload := map[string]any{"stepId": st.Name, "activity": st.Activity.Kind, "attempt": attempt}
		for k, v := range info {
			payload[k] = v
		}
		if err == nil {
			r.record(ex, "ACTIVITY_SUCCEEDED", payload)
			return result, nil
		}
		name := errorName(err)
		payload["error"], payload["errorName"] = err.Error(), name
		r.record(ex, "ACTIVITY_FAILED", payload)
		if ctx.Err() != nil || name == ErrRuntime {
			return nil, err
		}
		i := r.matchRetry(p, ex, retries, err)
		if i < 0 {
			return nil, attemptsErr(err, attempt)
		}
		rt := retries[i]
		max := defaultMaxAttempts
		if rt.MaxAttempts != nil {
			max = int(*rt.MaxAttempts)
		}
		if counts[i] >= max {
			return nil, attemptsErr(err, attempt)
		}
		interval, perr := parseInterval(rt.Interval)
		if perr != nil {
			return nil, runtimeErr("Retry %s: %v (after: %v)", rt.Name, perr, err)
		}
		rate := defaultBackoffRate
		if rt.BackoffRate != nil {
			rate = *rt.BackoffRate
		}
		secs := interval * math.Pow(rate, float64(counts[i]))
		counts[i]++
		wait := time.Duration(secs * r.opts.RetryIntervalScale * float64(time.Second))
		if wait < 0 || secs > 1e9 {
			wait = r.opts.ExecutionTimeout // absurd values: let the execution timeout decide
		}
		r.record(ex, "ACTIVITY_SCHEDULED", map[string]any{"stepId": st.Name, "activity": st.Activity.Kind, "attempt": attempt + 1,
			"retry": rt.Name, "retryOf": name, "delaySeconds": secs})
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		}
	}
}

// attemptsErr notes how many attempts a failure took.
func attemptsErr(err error, attempts int) error {
	if attempts <= 1 {
		return err
	}
	return &stateError{errorName(err), fmt.Errorf("%w (after %d attempts)", err, attempts)}
}

// matchRetry returns the index of the first Retry that handles err, or -1.
// [INF] A retry condition sees the flow's variables plus error.name and
// error.message; one that fails to evaluate does not match.
func (r *Runtime) matchRetry(p *Plan, ex *Execution, retries []tdm.Retry, err error) int {
	name := errorName(err)
	for i, rt := range retries {
		for _, e := range rt.ErrorEquals {
			if e == ErrAll || strings.EqualFold(e, name) {
				return i
			}
		}
		if rt.Condition != "" {
			v, cerr := evalCond(rt.Condition, r.errorEnv(p, ex, err))
			if cerr != nil {
				r.log.Debug("retry condition not evaluable", "retry", rt.Name, "error", cerr)
				continue
			}
			if tdm.Truthy(v) {
				return i
			}
		}
	}
	return -1
}

// catch finds the first Catch whose condition holds (or that has none),
// evaluates its expr and returns the events it raises. c is nil when no
// catch applies; cerr is set when the catch's expr fails.
func (r *Runtime) catch(p *Plan, ex *Execution, st *tdm.Step, err error) (c *tdm.Catch, events []string, val any, cerr error) {
	if st.OnError == nil || errorName(err) == ErrRuntime {
		return nil, nil, nil, nil
	}
	env := r.errorEnv(p, ex, err)
	for i := range st.OnError.Catches {
		ct := &st.OnError.Catches[i]
		if ct.Condition != "" {
			v, e := evalCond(ct.Condition, env)
			if e != nil {
				r.log.Debug("catch condition not evaluable", "catch", ct.Name, "error", e)
				continue
			}
			if !tdm.Truthy(v) {
				continue
			}
		}
		if ct.Expr != "" {
			v, e := evalText(ct.Expr, env)
			if e != nil {
				return nil, nil, nil, runtimeErr("Catch %s expr %q: %v (handling: %v)", ct.Name, ct.Expr, e, err)
			}
			val = v
		}
		if ct.RaiseEvent != "" {
			events = append(events, ct.RaiseEvent)
		}
		return ct, events, val, nil
	}
	return nil, nil, nil, nil
}

func catchLabel(c *tdm.Catch) string {
	if c.Name != "" {
		return c.Name
	}
	return "(unnamed catch)"
}

// errorEnv is the flow's env plus error {name, message}.
func (r *Runtime) errorEnv(p *Plan, ex *Execution, err error) *mapEnv {
	return r.execEnv(p, ex, map[string]any{"error": map[string]any{"name": errorName(err), "message": err.Error()}})
}

// parseInterval reads a Retry interval in seconds: a number as written
// ("2", "0.5"), or a Go duration ("500ms") [INF]; empty means 1 s.
func parseInterval(s string) (float64, error) {
	s = strings.Trim(strings.TrimSpace(s), `"'`)
	if s == "" {
		return defaultRetryInterval, nil
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && f >= 0 && !math.IsInf(f, 0) && !math.IsNaN(f) {
		return f, nil
	}
	if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return d.Seconds(), nil
	}
	return 0, fmt.Errorf("interval %q is not a number of seconds", s)
}

// evalCond evaluates a condition: an expression with or without its
// ${...} wrapper ("true", "$x > 1", "${x > 1}"). [INF] Text that does not
// parse as one expression is expanded as a template (evalText), so a
// literal "false" is false, not a non-empty string.
func evalCond(text string, env tdm.Env) (any, error) {
	if e, err := tdm.ParseExpr(strings.TrimSpace(text)); err == nil {
		return tdm.Eval(e, env)
	}
	return evalText(text, env)
}
