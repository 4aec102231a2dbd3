package flow

import (
	"context"
	"encoding/json"
	"log/slog"
	"strconv"
	"sync"
	"time"
)

// ReportPath is where the runtime reports executions to the Things Graph
// service: a tgsim-internal route (AWS's runtime reported to the service
// over a channel it never documented). The body is ReportBody.
const ReportPath = "/_tgsim/iotthingsgraph/flowExecutions"

// ReportBody is one batch of execution updates.
type ReportBody struct {
	Executions []ReportedExecution `json:"executions"`
}

// ReportedExecution is an execution's summary and the messages not yet
// reported; the service upserts by flowExecutionId and appends messages.
type ReportedExecution struct {
	FlowExecutionID  string            `json:"flowExecutionId"`
	SystemInstanceID string            `json:"systemInstanceId"`
	FlowTemplateID   string            `json:"flowTemplateId"`
	Status           string            `json:"status"`
	CreatedAt        epochSeconds      `json:"createdAt"`
	UpdatedAt        epochSeconds      `json:"updatedAt"`
	Messages         []ReportedMessage `json:"messages"`
}

// ReportedMessage is one FlowExecutionMessage.
type ReportedMessage struct {
	MessageID string       `json:"messageId"`
	EventType string       `json:"eventType"`
	Timestamp epochSeconds `json:"timestamp"`
	Payload   string       `json:"payload"`
}

// epochSeconds encodes a time as AWS JSON's epoch seconds with milliseconds.
type epochSeconds time.Time

func (e epochSeconds) MarshalJSON() ([]byte, error) {
	return []byte(strconv.FormatFloat(float64(time.Time(e).UnixMilli())/1000, 'f', 3, 64)), nil
}

func (e *epochSeconds) UnmarshalJSON(b []byte) error {
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return err
	}
	*e = epochSeconds(time.UnixMilli(int64(f * 1000)))
	return nil
}

// Reporter batches execution updates and posts them, in order, by one
// goroutine. Update never blocks; a failed post is retried with backoff
// and nothing is lost while the reporter runs.
type Reporter struct {
	post func(ctx context.Context, body []byte) error
	log  *slog.Logger

	mu      sync.Mutex
	latest  map[string]Execution // executions changed since the last post
	order   []string             // their ids in first-change order
	sent    map[string]int       // messages already reported, per execution
	kick    chan struct{}
	cancel  context.CancelFunc
	done    chan struct{}
	closing bool
}

// NewReporter starts a reporter that posts with post.
func NewReporter(post func(ctx context.Context, body []byte) error, log *slog.Logger) *Reporter {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &Reporter{post: post, log: log, latest: map[string]Execution{}, sent: map[string]int{},
		kick: make(chan struct{}, 1), cancel: cancel, done: make(chan struct{})}
	go r.run(ctx)
	return r
}

// Update queues an execution's new state (Options.OnUpdate).
func (r *Reporter) Update(ex Execution) {
	r.mu.Lock()
	if _, ok := r.latest[ex.ID]; !ok {
		r.order = append(r.order, ex.ID)
	}
	r.latest[ex.ID] = ex
	r.mu.Unlock()
	select {
	case r.kick <- struct{}{}:
	default:
	}
}

// batch takes the pending updates as a body; sent counts are advanced only
// by commit, after a successful post.
func (r *Reporter) batch() (body []byte, ids []string, counts map[string]int) {
	b, ids, counts := r.pending()
	if ids == nil {
		return nil, nil, nil
	}
	// Encoded outside the lock: Update (the runtime's record path) never
	// waits for JSON.
	body, _ = json.Marshal(b)
	return body, ids, counts
}

// pending collects what is not yet reported, under the lock.
func (r *Reporter) pending() (b ReportBody, ids []string, counts map[string]int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.order) == 0 {
		return ReportBody{}, nil, nil
	}
	counts = map[string]int{}
	for _, id := range r.order {
		ex := r.latest[id]
		from := r.sent[id]
		re := ReportedExecution{FlowExecutionID: ex.ID, SystemInstanceID: ex.SystemInstanceID, FlowTemplateID: ex.FlowID,
			Status: ex.Status, CreatedAt: epochSeconds(ex.CreatedAt), UpdatedAt: epochSeconds(ex.UpdatedAt), Messages: []ReportedMessage{}}
		if from < len(ex.Messages) {
			for _, m := range ex.Messages[from:] {
				re.Messages = append(re.Messages, ReportedMessage{MessageID: m.MessageID, EventType: m.EventType, Timestamp: epochSeconds(m.Timestamp), Payload: m.Payload})
			}
		}
		counts[id] = len(ex.Messages)
		b.Executions = append(b.Executions, re)
	}
	return b, append([]string(nil), r.order...), counts
}

// commit forgets what a successful post delivered, unless it changed since.
func (r *Reporter) commit(ids []string, counts map[string]int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	keep := r.order[:0]
	done := map[string]bool{}
	for _, id := range ids {
		r.sent[id] = counts[id]
		if ex := r.latest[id]; len(ex.Messages) == counts[id] {
			delete(r.latest, id)
			done[id] = true
		}
	}
	for _, id := range r.order {
		if !done[id] {
			keep = append(keep, id)
		}
	}
	r.order = keep
}

// ReportInterval is how long the reporter gathers updates before it
// posts: at high rates many executions' messages share one request
// instead of one request each (the service's view trails the runtime's by
// about this much).
const ReportInterval = 25 * time.Millisecond

func (r *Reporter) run(ctx context.Context) {
	defer close(r.done)
	backoff := 50 * time.Millisecond
	for {
		select {
		case <-ctx.Done():
			return
		case <-r.kick:
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(ReportInterval):
		}
		for {
			body, ids, counts := r.batch()
			if body == nil {
				break
			}
			if err := r.post(ctx, body); err != nil {
				if ctx.Err() != nil {
					return
				}
				r.log.Warn("reporting flow executions failed", "error", err, "retry_in", backoff)
				select {
				case <-ctx.Done():
					return
				case <-time.After(backoff):
				}
				backoff = min(2*backoff, 5*time.Second)
				continue
			}
			backoff = 50 * time.Millisecond
			r.commit(ids, counts)
		}
	}
}

// Flush posts everything pending, retrying failed posts, until nothing is
// pending or ctx ends.
func (r *Reporter) Flush(ctx context.Context) error {
	backoff := 10 * time.Millisecond
	for {
		body, ids, counts := r.batch()
		if body == nil {
			return nil
		}
		if err := r.post(ctx, body); err != nil {
			select {
			case <-ctx.Done():
				return err
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, 500*time.Millisecond)
			continue
		}
		r.commit(ids, counts)
	}
}

// Close stops the reporter after a last flush (bounded to two seconds).
func (r *Reporter) Close() error {
	r.cancel()
	<-r.done
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	return r.Flush(ctx)
}
