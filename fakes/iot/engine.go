package iot

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// RulesOptions connects a rules engine to what its actions act on.
type RulesOptions struct {
	// Republish publishes on the data plane as AWS IoT itself (the
	// republish action).
	Republish func(ctx context.Context, topic string, qos int, payload []byte) error
	// Invoke hands a payload to a Lambda function (the lambda action).
	// AWS invokes the function asynchronously; an unknown function is an
	// action failure.
	Invoke func(ctx context.Context, functionARN string, payload []byte) error
	// Authorize decides whether AWS IoT, having assumed an action's role
	// (trusting iot.amazonaws.com), may perform action on resource. Nil
	// allows everything.
	Authorize func(ctx context.Context, roleARN, action, resource string) error
	// QueueSize bounds the messages waiting for the engine; default 10,000.
	// A message that finds the queue full is dropped and counted.
	QueueSize int
	Logger    *slog.Logger
}

// RuleError is one failed rule action.
type RuleError struct {
	Time   time.Time
	Rule   string
	Action string // the model's member name: republish, lambda, ...
	Topic  string
	Err    string
}

// RulesStats counts what an engine did.
type RulesStats struct {
	Messages, Matched, Actions, Failures, Dropped uint64
}

// RulesEngine runs the account's enabled topic rules against every message
// it is handed, in arrival order, on one goroutine. AWS: IoT developer
// guide, "Rules for AWS IoT". Supported actions: republish (topic with
// substitution templates, qos, roleArn checked through Authorize) and
// lambda; any other action fails with a RuleError naming it, as an action
// whose target does not exist fails in AWS. A failed action runs the
// rule's errorAction with AWS's error message document.
type RulesEngine struct {
	svc   *Service
	opts  RulesOptions
	log   *slog.Logger
	queue chan Message
	done  chan struct{}
	stop  context.CancelFunc
	ctx   context.Context

	gen   uint64
	rules []TopicRule // enabled rules, cached until rulesGen changes

	messages, matched, actions, failures, dropped atomic.Uint64

	mu     sync.Mutex
	errors []RuleError
	closed atomic.Bool
}

// NewRulesEngine starts an engine over the service's topic rules.
func (s *Service) NewRulesEngine(opts RulesOptions) *RulesEngine {
	if opts.QueueSize <= 0 {
		opts.QueueSize = 10_000
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(context.Background())
	e := &RulesEngine{svc: s, opts: opts, log: opts.Logger.With("component", "iot-rules"),
		queue: make(chan Message, opts.QueueSize), done: make(chan struct{}), stop: cancel, ctx: ctx, gen: ^uint64(0)}
	go e.run()
	return e
}

// Handle queues a message for the rules; it never blocks.
func (e *RulesEngine) Handle(m Message) {
	if e.closed.Load() {
		return
	}
	select {
	case e.queue <- m:
	default:
		e.dropped.Add(1)
		e.log.Warn("rules engine queue full; message dropped", "topic", m.Topic, "queue", cap(e.queue))
	}
}

// Close stops the engine; queued messages are discarded.
func (e *RulesEngine) Close() {
	if e.closed.Swap(true) {
		return
	}
	e.stop()
	<-e.done
}

// Stats returns the engine's counters.
func (e *RulesEngine) Stats() RulesStats {
	return RulesStats{e.messages.Load(), e.matched.Load(), e.actions.Load(), e.failures.Load(), e.dropped.Load()}
}

// Errors returns every failed action so far, oldest first.
func (e *RulesEngine) Errors() []RuleError {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]RuleError(nil), e.errors...)
}

func (e *RulesEngine) run() {
	defer close(e.done)
	for {
		select {
		case <-e.ctx.Done():
			return
		case m := <-e.queue:
			e.process(m)
		}
	}
}

// current returns the enabled rules, re-read after any change.
func (e *RulesEngine) current() []TopicRule {
	if g := e.svc.rulesGen.Load(); g != e.gen {
		var enabled []TopicRule
		for _, r := range e.svc.TopicRules() {
			if !r.Disabled && r.Query != nil {
				enabled = append(enabled, r)
			}
		}
		e.rules, e.gen = enabled, g
	}
	return e.rules
}

func (e *RulesEngine) process(m Message) {
	e.messages.Add(1)
	if m.Timestamp.IsZero() {
		m.Timestamp = time.Now()
	}
	for _, r := range e.current() {
		out, ok, err := r.Query.Evaluate(m)
		if err != nil {
			e.fail(r, m, "sql", "", err)
			continue
		}
		if !ok {
			continue
		}
		e.matched.Add(1)
		for _, a := range r.Actions {
			e.actions.Add(1)
			if resource, err := e.act(r, a, m, out); err != nil {
				e.fail(r, m, a.Kind, resource, err)
			}
		}
	}
}

// act runs one action; resource names what it acted on, for errors.
func (e *RulesEngine) act(r TopicRule, a RuleAction, m Message, out []byte) (resource string, err error) {
	switch a.Kind {
	case "republish":
		var p struct {
			Topic   string `json:"topic"`
			QoS     int    `json:"qos"`
			RoleArn string `json:"roleArn"`
		}
		if err := json.Unmarshal(a.Params, &p); err != nil {
			return "", err
		}
		topic, err := substitute(p.Topic, m)
		if err != nil {
			return p.Topic, err
		}
		if e.opts.Authorize != nil {
			arn := fmt.Sprintf("arn:aws:iot:%s:%s:topic/%s", e.svc.opts.Region, e.svc.opts.AccountID, topic)
			if err := e.opts.Authorize(e.ctx, p.RoleArn, "iot:Publish", arn); err != nil {
				return topic, err
			}
		}
		if e.opts.Republish == nil {
			return topic, errors.New("no data plane to republish to")
		}
		return topic, e.opts.Republish(e.ctx, topic, p.QoS, out)
	case "lambda":
		var p struct {
			FunctionArn string `json:"functionArn"`
		}
		if err := json.Unmarshal(a.Params, &p); err != nil {
			return "", err
		}
		if e.opts.Invoke == nil {
			return p.FunctionArn, errors.New("no Lambda functions are hosted here")
		}
		return p.FunctionArn, e.opts.Invoke(e.ctx, p.FunctionArn, out)
	}
	return "", fmt.Errorf("the %s action is not supported by tgsim's rules engine", a.Kind)
}

// failedActionNames are the names AWS's error messages give action kinds.
var failedActionNames = map[string]string{"republish": "RepublishAction", "lambda": "LambdaAction"}

func (e *RulesEngine) fail(r TopicRule, m Message, kind, resource string, err error) {
	e.failures.Add(1)
	re := RuleError{Time: time.Now(), Rule: r.Name, Action: kind, Topic: m.Topic, Err: err.Error()}
	e.mu.Lock()
	if len(e.errors) < 10_000 {
		e.errors = append(e.errors, re)
	}
	e.mu.Unlock()
	e.log.Warn("rule action failed", "rule", r.Name, "action", kind, "resource", resource, "topic", m.Topic, "error", err)
	if r.ErrorAction == nil || kind == "sql" {
		return
	}
	// AWS: IoT developer guide, "Error action message format".
	name := failedActionNames[kind]
	if name == "" {
		name = kind
	}
	doc, _ := json.Marshal(map[string]any{
		"ruleName": r.Name, "topic": m.Topic, "clientId": m.ClientID,
		"base64OriginalPayload": base64.StdEncoding.EncodeToString(m.Payload),
		"failures":              []map[string]string{{"failedAction": name, "failedResource": resource, "errorMessage": err.Error()}},
	})
	if _, err := e.act(r, *r.ErrorAction, m, doc); err != nil {
		e.log.Warn("rule error action failed too", "rule", r.Name, "action", r.ErrorAction.Kind, "error", err)
	}
}

// substitute expands ${expression} substitution templates with the
// message's values (AWS: IoT developer guide, "Substitution templates"):
// each expression is evaluated as a SELECT item.
func substitute(tmpl string, m Message) (string, error) {
	if !strings.Contains(tmpl, "${") {
		return tmpl, nil
	}
	var b strings.Builder
	rest := tmpl
	for {
		i := strings.Index(rest, "${")
		if i < 0 {
			b.WriteString(rest)
			return b.String(), nil
		}
		b.WriteString(rest[:i])
		j := strings.IndexByte(rest[i:], '}')
		if j < 0 {
			return "", fmt.Errorf("substitution template %q: unclosed ${", tmpl)
		}
		expr := rest[i+2 : i+j]
		q, err := ParseSQL("SELECT " + expr + " AS v FROM '#'")
		if err != nil {
			return "", fmt.Errorf("substitution template %q: %w", tmpl, err)
		}
		q.Topic = m.Topic // the expression applies to this message, whatever its topic
		out, ok, err := q.Evaluate(m)
		if err != nil {
			return "", fmt.Errorf("substitution template %q: %w", tmpl, err)
		}
		var v struct {
			V any `json:"v"`
		}
		if ok {
			_ = json.Unmarshal(out, &v)
		}
		switch x := v.V.(type) {
		case nil:
		case string:
			b.WriteString(x)
		default:
			enc, _ := json.Marshal(x)
			b.WriteString(string(enc))
		}
		rest = rest[i+j+1:]
	}
}
