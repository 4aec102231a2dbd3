package thingsgraph

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/tgsim/tgsim/fakes/awsproto"
	"github.com/tgsim/tgsim/sim/tdm"
)

// ExecutionsPath is the tgsim-internal route on which a Greengrass core's
// Things Graph runtime reports flow executions (POST, application/json,
// SigV4-signed for service iotthingsgraph). Not part of the AWS API: AWS's
// runtime reported over an undocumented channel.
const ExecutionsPath = "/_tgsim/iotthingsgraph/flowExecutions"

// Memory bounds of the execution store.
const (
	// MaxExecutionsPerInstance is how many executions are kept per system
	// instance; the oldest (by createdAt) are dropped first.
	MaxExecutionsPerInstance = 10000
	// MaxMessagesPerExecution is how many messages are kept per execution;
	// the oldest (by timestamp) are dropped first.
	MaxMessagesPerExecution = 10000
)

var flowExecutionStatuses = map[string]bool{"RUNNING": true, "ABORTED": true, "SUCCEEDED": true, "FAILED": true}

var flowExecutionEventTypes = map[string]bool{"EXECUTION_STARTED": true, "EXECUTION_FAILED": true, "EXECUTION_ABORTED": true,
	"EXECUTION_SUCCEEDED": true, "STEP_STARTED": true, "STEP_FAILED": true, "STEP_SUCCEEDED": true, "ACTIVITY_SCHEDULED": true,
	"ACTIVITY_STARTED": true, "ACTIVITY_FAILED": true, "ACTIVITY_SUCCEEDED": true, "START_FLOW_EXECUTION_TASK": true,
	"SCHEDULE_NEXT_READY_STEPS_TASK": true, "THING_ACTION_TASK": true, "THING_ACTION_TASK_FAILED": true,
	"THING_ACTION_TASK_SUCCEEDED": true, "ACKNOWLEDGE_TASK_MESSAGE": true}

// execution is one flow execution as last reported.
type execution struct {
	id, instanceKey, instanceID, flowID, status string
	created, updated                            time.Time
	messages                                    []execMessage // ascending timestamp
	seen                                        map[string]bool
}

type execMessage struct {
	id, eventType, payload string
	ts                     time.Time
}

// seconds is an epoch-seconds JSON number (fraction allowed), decoded
// from its decimal text so that 1764000000.123 is exactly 123 ms.
type seconds struct{ t time.Time }

func (s *seconds) UnmarshalJSON(b []byte) error {
	text := string(b)
	if text == "null" {
		return nil
	}
	f, err := strconv.ParseFloat(text, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return fmt.Errorf("timestamp %s is not a number of epoch seconds", text)
	}
	intPart, frac, _ := strings.Cut(strings.TrimPrefix(text, "-"), ".")
	if strings.ContainsAny(intPart+frac, "eE+") {
		sec, fr := math.Modf(f)
		s.t = time.Unix(int64(sec), int64(math.Round(fr*1e6))*1e3).UTC()
		return nil
	}
	sec, err := strconv.ParseInt(intPart, 10, 64)
	if err != nil {
		return fmt.Errorf("timestamp %s is out of range", text)
	}
	frac = (frac + "000000000")[:9]
	ns, _ := strconv.ParseInt(frac, 10, 64)
	if strings.HasPrefix(text, "-") {
		sec, ns = -sec, -ns
	}
	s.t = time.Unix(sec, ns).UTC()
	return nil
}

func (s seconds) time() time.Time { return s.t }

type reportInput struct {
	Executions []struct {
		FlowExecutionID  string  `json:"flowExecutionId"`
		SystemInstanceID string  `json:"systemInstanceId"`
		FlowTemplateID   string  `json:"flowTemplateId"`
		Status           string  `json:"status"`
		CreatedAt        seconds `json:"createdAt"`
		UpdatedAt        seconds `json:"updatedAt"`
		Messages         []struct {
			MessageID string  `json:"messageId"`
			EventType string  `json:"eventType"`
			Timestamp seconds `json:"timestamp"`
			Payload   string  `json:"payload"`
		} `json:"messages"`
	} `json:"executions"`
}

// ReportFlowExecutions serves ExecutionsPath: upsert each execution by
// flowExecutionId (status and updatedAt replaced, messages appended,
// deduplicated by messageId and kept in timestamp order). Executions of an
// unknown (or deleted) system instance are dropped: nothing could read
// them. The whole report is validated before anything is stored.
func (s *Service) ReportFlowExecutions(ctx context.Context, body []byte) (any, error) {
	var in reportInput
	if err := decode(body, &in); err != nil {
		// The contract answers malformed reports with InvalidRequestException.
		if ae := awsproto.AsError(err); ae != nil {
			return nil, invalidRequest("%s", ae.Message)
		}
		return nil, err
	}
	for i, e := range in.Executions {
		m := "executions[" + itoa(i) + "]"
		switch {
		case e.FlowExecutionID == "":
			return nil, invalidRequest("%s.flowExecutionId is required", m)
		case e.SystemInstanceID == "":
			return nil, invalidRequest("%s.systemInstanceId is required", m)
		case !flowExecutionStatuses[e.Status]:
			return nil, invalidRequest("%s.status %q is not one of RUNNING, ABORTED, SUCCEEDED, FAILED", m, e.Status)
		}
		for j, msg := range e.Messages {
			if msg.MessageID == "" {
				return nil, invalidRequest("%s.messages[%d].messageId is required", m, j)
			}
			if !flowExecutionEventTypes[msg.EventType] {
				return nil, invalidRequest("%s.messages[%d].eventType %q is not a FlowExecutionEventType", m, j, msg.EventType)
			}
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	dropped := 0
	ch := &change{}
	for _, e := range in.Executions {
		key := tdm.Key(e.SystemInstanceID)
		inst := s.instances[key]
		if inst == nil || inst.status == statusPendingDelete {
			dropped++
			continue
		}
		x := s.execByID[e.FlowExecutionID]
		if x == nil {
			x = &execution{id: e.FlowExecutionID, instanceKey: key, instanceID: inst.id, created: e.CreatedAt.time(), seen: map[string]bool{}}
			s.execByID[x.id] = x
			s.execsByInstance[key] = append(s.execsByInstance[key], x)
			for _, gone := range s.trimExecutionsLocked(key) {
				ch.execs = append(ch.execs, [2]string{key, gone.id})
			}
		}
		ch.execs = append(ch.execs, [2]string{key, x.id})
		x.status, x.updated = e.Status, e.UpdatedAt.time()
		if e.FlowTemplateID != "" {
			x.flowID = e.FlowTemplateID
		}
		added := false
		for _, m := range e.Messages {
			if x.seen[m.MessageID] {
				continue
			}
			x.seen[m.MessageID] = true
			x.messages = append(x.messages, execMessage{id: m.MessageID, eventType: m.EventType, payload: m.Payload, ts: m.Timestamp.time()})
			added = true
		}
		if added {
			sort.SliceStable(x.messages, func(i, j int) bool { return x.messages[i].ts.Before(x.messages[j].ts) })
			if n := len(x.messages) - MaxMessagesPerExecution; n > 0 {
				for _, m := range x.messages[:n] {
					delete(x.seen, m.id)
				}
				x.messages = append([]execMessage(nil), x.messages[n:]...)
			}
		}
	}
	if dropped > 0 {
		s.log.DebugContext(ctx, "executions of unknown instances dropped", "count", dropped)
	}
	if err := s.commitLocked(ch); err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

// trimExecutionsLocked keeps the newest MaxExecutionsPerInstance
// executions of an instance, ordered by createdAt. s.mu held.
func (s *Service) trimExecutionsLocked(key string) (dropped []*execution) {
	list := s.execsByInstance[key]
	// The list is kept sorted: only the execution just appended may be out
	// of place (reports arrive roughly in start order), so move it back
	// into place instead of sorting the whole list on every report.
	for i := len(list) - 1; i > 0 && list[i].created.Before(list[i-1].created); i-- {
		list[i], list[i-1] = list[i-1], list[i]
	}
	if n := len(list) - MaxExecutionsPerInstance; n > 0 {
		dropped = list[:n]
		for _, x := range list[:n] {
			delete(s.execByID, x.id)
		}
		list = append([]*execution(nil), list[n:]...)
	}
	s.execsByInstance[key] = list
	return dropped
}

// dropExecutionsLocked forgets a deleted instance's executions. s.mu held.
func (s *Service) dropExecutionsLocked(key string) {
	for _, x := range s.execsByInstance[key] {
		delete(s.execByID, x.id)
	}
	delete(s.execsByInstance, key)
}

// SearchFlowExecutions lists a system instance's executions, oldest first
// (by createdAt, the start time; startTime and endTime bound it,
// inclusive). An unknown instance is ResourceNotFoundException.
// AWS: SearchFlowExecutions.
func (s *Service) SearchFlowExecutions(ctx context.Context, body []byte) (any, error) {
	var in struct {
		SystemInstanceID string   `json:"systemInstanceId"`
		FlowExecutionID  *string  `json:"flowExecutionId"`
		StartTime        *seconds `json:"startTime"`
		EndTime          *seconds `json:"endTime"`
		NextToken        *string  `json:"nextToken"`
		MaxResults       *int64   `json:"maxResults"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if err := validateURN("systemInstanceId", in.SystemInstanceID); err != nil {
		return nil, err
	}
	if in.StartTime != nil && in.EndTime != nil && in.EndTime.time().Before(in.StartTime.time()) {
		return nil, invalidRequest("endTime is before startTime")
	}
	key := tdm.Key(in.SystemInstanceID)
	q := newPageQuery("SearchFlowExecutions", []any{key, in.FlowExecutionID, in.StartTime, in.EndTime})
	if s.lookupInstance(in.SystemInstanceID) == nil {
		return nil, notFound("system instance %s not found", in.SystemInstanceID)
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	var found []*execution
	for _, x := range s.execsByInstance[key] {
		switch {
		case in.FlowExecutionID != nil && x.id != *in.FlowExecutionID:
		case in.StartTime != nil && x.created.Before(in.StartTime.time()):
		case in.EndTime != nil && x.created.After(in.EndTime.time()):
		default:
			found = append(found, x)
		}
	}
	from, to, next, err := q.page(len(found), in.NextToken, in.MaxResults)
	if err != nil {
		return nil, err
	}
	out := make([]map[string]any, 0, to-from)
	for _, x := range found[from:to] {
		m := map[string]any{"flowExecutionId": x.id, "status": x.status, "systemInstanceId": x.instanceID,
			"createdAt": epoch(x.created), "updatedAt": epoch(x.updated)}
		if x.flowID != "" {
			m["flowTemplateId"] = x.flowID
		}
		out = append(out, m)
	}
	return pageOut(map[string]any{"summaries": out}, next), nil
}

// ListFlowExecutionMessages lists an execution's messages in timestamp
// order. An unknown execution is ResourceNotFoundException.
// AWS: ListFlowExecutionMessages.
func (s *Service) ListFlowExecutionMessages(ctx context.Context, body []byte) (any, error) {
	var in struct {
		FlowExecutionID string  `json:"flowExecutionId"`
		NextToken       *string `json:"nextToken"`
		MaxResults      *int64  `json:"maxResults"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if in.FlowExecutionID == "" {
		return nil, invalidRequest("flowExecutionId is required")
	}
	q := newPageQuery("ListFlowExecutionMessages", in.FlowExecutionID)
	s.mu.RLock()
	defer s.mu.RUnlock()
	x := s.execByID[in.FlowExecutionID]
	if x == nil {
		return nil, notFound("flow execution %s not found", in.FlowExecutionID)
	}
	from, to, next, err := q.page(len(x.messages), in.NextToken, in.MaxResults)
	if err != nil {
		return nil, err
	}
	out := make([]map[string]any, 0, to-from)
	for _, m := range x.messages[from:to] {
		out = append(out, map[string]any{"messageId": m.id, "eventType": m.eventType, "timestamp": epoch(m.ts), "payload": m.payload})
	}
	return pageOut(map[string]any{"messages": out}, next), nil
}

// serveReport handles POST ExecutionsPath.
func (s *Service) serveReport(w http.ResponseWriter, r *http.Request, errOpts awsproto.JSONErrorOptions) {
	ctx := r.Context()
	if r.Method != http.MethodPost {
		awsproto.WriteJSONError(ctx, w, awsproto.NewError(http.StatusMethodNotAllowed, codeInvalidRequest, "%s %s: use POST", r.Method, r.URL.Path), errOpts)
		return
	}
	body, err := awsproto.ReadBody(r)
	if err != nil {
		awsproto.WriteJSONError(ctx, w, err, errOpts)
		return
	}
	if _, err := s.ReportFlowExecutions(ctx, body); err != nil {
		awsproto.WriteJSONError(ctx, w, err, errOpts)
		return
	}
	awsproto.WriteJSON(w, http.StatusOK, "application/json", json.RawMessage(`{}`))
}
