// Package device runs virtual devices: MQTT clients (paho) that behave like
// the device a TDM device definition describes. A device publishes its
// events on their topics, listens on the request topic of each action, and
// answers actions that declare a response topic.
//
// A device connects with client id = thing name, over mutual TLS with its
// AWS IoT certificate when Options.TLS is set, else over plain TCP.
package device

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
)

// Action is one action the device implements.
type Action struct {
	Name          string
	RequestTopic  string
	ResponseTopic string // empty: the action has no response
	// Respond builds the response payload for the seq-th request (1-based).
	// Nil answers "{}".
	Respond func(seq int, request []byte) []byte
	// Decide, when set, is asked first for each request: how long to wait
	// before answering, and whether to leave the request unanswered (a
	// failing device; see ActionBehaviour.FailureRate).
	Decide func(seq int) (delay time.Duration, drop bool)
}

// Event is one event the device can emit.
type Event struct {
	Name  string
	Topic string
}

// Options configures a Device.
type Options struct {
	ThingName string
	// Broker is host:port of the core's MQTT listener.
	Broker string
	// TLS, when set, connects over TLS (the device's certificate and key,
	// and the CA that signed the core's server certificate).
	TLS     *tls.Config
	Actions []Action
	Events  []Event
	// QoS of the device's publishes and subscriptions; default 1.
	QoS *byte
	// Timeout bounds connect, subscribe and publish; default 5s.
	Timeout time.Duration
	Logger  *slog.Logger
}

// Received is one message the device got.
type Received struct {
	Topic   string
	Action  string // the action whose request topic it arrived on
	Payload []byte
	At      time.Time
}

// Device is a connected virtual device.
type Device struct {
	opts   Options
	qos    byte
	log    *slog.Logger
	client paho.Client

	mu       sync.Mutex
	received []Received
	seq      map[string]int
	changed  chan struct{} // closed and replaced on every received message
	errs     []error
	dropped  int // requests left unanswered by Decide
}

// Connect connects the device and subscribes to its action request topics.
func Connect(ctx context.Context, opts Options) (*Device, error) {
	if opts.Timeout == 0 {
		opts.Timeout = 5 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	qos := byte(1)
	if opts.QoS != nil {
		qos = *opts.QoS
	}
	d := &Device{
		opts:    opts,
		qos:     qos,
		log:     opts.Logger.With("component", "device", "thing", opts.ThingName),
		seq:     map[string]int{},
		changed: make(chan struct{}),
	}
	scheme := "tcp://"
	if opts.TLS != nil {
		scheme = "ssl://"
	}
	co := paho.NewClientOptions().
		AddBroker(scheme + opts.Broker).
		SetTLSConfig(opts.TLS).
		SetClientID(opts.ThingName).
		SetCleanSession(true).
		SetAutoReconnect(false).
		SetConnectRetry(false).
		SetConnectTimeout(opts.Timeout).
		SetOrderMatters(false)
	d.client = paho.NewClient(co)
	if err := wait(ctx, d.client.Connect(), opts.Timeout); err != nil {
		return nil, fmt.Errorf("device %s: connect %s: %w", opts.ThingName, opts.Broker, err)
	}
	for _, a := range opts.Actions {
		a := a
		tok := d.client.Subscribe(a.RequestTopic, qos, func(_ paho.Client, m paho.Message) { d.onRequest(a, m) })
		if err := wait(ctx, tok, opts.Timeout); err != nil {
			d.client.Disconnect(0)
			return nil, fmt.Errorf("device %s: subscribe %s: %w", opts.ThingName, a.RequestTopic, err)
		}
	}
	return d, nil
}

// Subscribe listens on an extra topic filter; messages are recorded with an
// empty Action.
func (d *Device) Subscribe(ctx context.Context, filter string) error {
	tok := d.client.Subscribe(filter, d.qos, func(_ paho.Client, m paho.Message) {
		// paho hands a message to every matching handler: one on an
		// action's request topic is already recorded by onRequest.
		for _, a := range d.opts.Actions {
			if a.RequestTopic == m.Topic() {
				return
			}
		}
		d.record(Received{Topic: m.Topic(), Payload: append([]byte(nil), m.Payload()...), At: time.Now()})
	})
	return wait(ctx, tok, d.opts.Timeout)
}

func (d *Device) onRequest(a Action, m paho.Message) {
	payload := append([]byte(nil), m.Payload()...)
	d.mu.Lock()
	d.seq[a.Name]++
	seq := d.seq[a.Name]
	d.mu.Unlock()
	d.log.Debug("action request", "action", a.Name, "topic", m.Topic(), "seq", seq)
	drop := false
	if a.Decide != nil {
		var delay time.Duration
		delay, drop = a.Decide(seq)
		if drop {
			d.mu.Lock()
			d.dropped++
			d.mu.Unlock()
		} else if delay > 0 {
			// Handlers run on their own goroutines (OrderMatters(false)):
			// a slow answer holds back no other message.
			time.Sleep(delay)
		}
	}
	if a.ResponseTopic != "" && !drop {
		resp := []byte("{}")
		if a.Respond != nil {
			resp = a.Respond(seq, payload)
		}
		tok := d.client.Publish(a.ResponseTopic, d.qos, false, resp)
		// The callback runs on paho's router goroutine: waiting for the
		// PUBACK here is fine with SetOrderMatters(false).
		if err := wait(context.Background(), tok, d.opts.Timeout); err != nil {
			d.mu.Lock()
			d.errs = append(d.errs, fmt.Errorf("respond to %s #%d: %w", a.Name, seq, err))
			d.mu.Unlock()
		}
	}
	d.record(Received{Topic: m.Topic(), Action: a.Name, Payload: payload, At: time.Now()})
}

func (d *Device) record(r Received) {
	d.mu.Lock()
	d.received = append(d.received, r)
	close(d.changed)
	d.changed = make(chan struct{})
	d.mu.Unlock()
}

// Emit publishes one event.
func (d *Device) Emit(ctx context.Context, event string, payload []byte) error {
	for _, e := range d.opts.Events {
		if e.Name == event {
			return d.Publish(ctx, e.Topic, payload)
		}
	}
	names := make([]string, 0, len(d.opts.Events))
	for _, e := range d.opts.Events {
		names = append(names, e.Name)
	}
	if len(names) == 0 {
		names = append(names, "none")
	}
	return fmt.Errorf("device %s has no event %q (its events: %s)", d.opts.ThingName, event, strings.Join(names, ", "))
}

// Publish publishes payload on any topic (including ones with no route).
func (d *Device) Publish(ctx context.Context, topic string, payload []byte) error {
	if err := wait(ctx, d.client.Publish(topic, d.qos, false, payload), d.opts.Timeout); err != nil {
		return fmt.Errorf("device %s: publish %s: %w", d.opts.ThingName, topic, err)
	}
	return nil
}

// Received returns a copy of everything the device got.
func (d *Device) Received() []Received {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]Received(nil), d.received...)
}

// Dropped returns how many action requests the device left unanswered.
func (d *Device) Dropped() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.dropped
}

// Errors returns errors met while answering actions.
func (d *Device) Errors() []error {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]error(nil), d.errs...)
}

// WaitReceived blocks until pred holds over the received messages or ctx ends.
func (d *Device) WaitReceived(ctx context.Context, pred func([]Received) bool) error {
	for {
		d.mu.Lock()
		ok := pred(d.received)
		ch := d.changed
		d.mu.Unlock()
		if ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-ch:
		}
	}
}

// Close disconnects the device.
func (d *Device) Close() {
	d.client.Disconnect(100)
}

// wait waits for a paho token, ctx and a timeout, whichever comes first.
func wait(ctx context.Context, tok paho.Token, timeout time.Duration) error {
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-tok.Done():
		return tok.Error()
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return errors.New("timed out")
	}
}
