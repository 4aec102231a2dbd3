package flow

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"
)

// collector records posted bodies; it fails the first failN posts.
type collector struct {
	mu     sync.Mutex
	bodies []ReportBody
	failN  int
	got    chan struct{}
}

func (c *collector) post(_ context.Context, b []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.failN > 0 {
		c.failN--
		return errors.New("service unavailable")
	}
	var body ReportBody
	if err := json.Unmarshal(b, &body); err != nil {
		return err
	}
	c.bodies = append(c.bodies, body)
	select {
	case c.got <- struct{}{}:
	default:
	}
	return nil
}

// messages returns every reported message id per execution, in order, and
// the last status.
func (c *collector) messages() (map[string][]string, map[string]string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ids, status := map[string][]string{}, map[string]string{}
	for _, b := range c.bodies {
		for _, e := range b.Executions {
			for _, m := range e.Messages {
				ids[e.FlowExecutionID] = append(ids[e.FlowExecutionID], m.MessageID)
			}
			status[e.FlowExecutionID] = e.Status
		}
	}
	return ids, status
}

func TestReporterDeliversEveryMessageOnceInOrder(t *testing.T) {
	c := &collector{failN: 2, got: make(chan struct{}, 1)}
	rep := NewReporter(c.post, nil)
	ex := Execution{ID: "e1", FlowID: "urn:f", SystemInstanceID: "urn:d", Status: StatusRunning, CreatedAt: time.Unix(1, 0)}
	var want []string
	for i := 0; i < 20; i++ {
		id := string(rune('a' + i))
		ex.Messages = append(ex.Messages, ExecutionMessage{MessageID: id, EventType: "STEP_STARTED", Timestamp: time.Unix(int64(i), 0)})
		want = append(want, id)
		rep.Update(ex)
	}
	ex.Status = StatusSucceeded
	rep.Update(ex)
	if err := rep.Close(); err != nil {
		t.Fatal(err)
	}
	got, status := c.messages()
	if len(got["e1"]) != len(want) {
		t.Fatalf("reported %d messages %v, want %d %v", len(got["e1"]), got["e1"], len(want), want)
	}
	for i := range want {
		if got["e1"][i] != want[i] {
			t.Fatalf("message %d = %s, want %s (order %v)", i, got["e1"][i], want[i], got["e1"])
		}
	}
	if status["e1"] != StatusSucceeded {
		t.Errorf("last reported status = %s, want %s", status["e1"], StatusSucceeded)
	}
}

func TestRuntimeReportsExecutions(t *testing.T) {
	p, err := Compile(workedExample(t))
	if err != nil {
		t.Fatal(err)
	}
	c := &collector{got: make(chan struct{}, 1)}
	rep := NewReporter(c.post, nil)
	devs := &simDevices{}
	rt, err := New(Options{Plans: []*Plan{p}, Publish: devs.publish, OnUpdate: rep.Update})
	if err != nil {
		t.Fatal(err)
	}
	devs.rt = rt
	rt.Handle(context.Background(), "Room215Motion/motion", []byte(`{"isMotionDetected":true}`))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := rt.WaitExecutions(ctx, func(ex []Execution) bool { return countStatus(ex, StatusSucceeded) == 1 }); err != nil {
		t.Fatal(err)
	}
	rt.Close()
	if err := rep.Close(); err != nil {
		t.Fatal(err)
	}
	ex := rt.Executions()[0]
	got, status := c.messages()
	if len(got[ex.ID]) != len(ex.Messages) || status[ex.ID] != StatusSucceeded {
		t.Errorf("reported %d messages, status %s; runtime has %d, %s", len(got[ex.ID]), status[ex.ID], len(ex.Messages), ex.Status)
	}
}

func TestHistogram(t *testing.T) {
	var h histogram
	for _, d := range []time.Duration{500 * time.Microsecond, time.Millisecond, 3 * time.Millisecond, 2 * time.Second, time.Minute} {
		h.observe(d)
	}
	got := h.snapshot()
	// Buckets: ≤1ms: 2; ≤2.5ms: 2; ≤5ms: 3; ... ≤2.5s: 4; ... ≤10s: 4; +Inf: 5.
	want := []uint64{2, 2, 3, 3, 3, 3, 3, 3, 3, 3, 4, 4, 4, 5}
	if len(got.Counts) != len(want) {
		t.Fatalf("%d buckets, want %d", len(got.Counts), len(want))
	}
	for i := range want {
		if got.Counts[i] != want[i] {
			t.Errorf("bucket %d = %d, want %d (%v)", i, got.Counts[i], want[i], got.Counts)
		}
	}
	if got.Sum < 62 || got.Sum > 62.01 {
		t.Errorf("sum = %g s", got.Sum)
	}
}
