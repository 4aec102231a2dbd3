package core

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"time"
)

// ShadowService is the subscription source and target of the core's local
// shadow service (AWS: Greengrass v1 developer guide, "Device shadow
// synchronization": GGShadowService).
const ShadowService = "GGShadowService"

// shadowService keeps the group's local device shadows and answers the
// shadow topics as AWS IoT's Device Shadow service does (AWS: IoT
// developer guide, "Device Shadow service MQTT topics" and "Device Shadow
// service documents"): update, get and delete of classic and named
// shadows, with accepted/rejected replies, update/delta and
// update/documents. Replies go out with source GGShadowService, so they
// reach a device only where a subscription allows.
//
// [INF] Local shadows live in memory: a restarted core starts empty (real
// cores keep them in a local database and may sync them with the cloud;
// cloud sync is not modelled).
type shadowService struct {
	publish func(topic string, payload []byte) error
	now     func() time.Time

	mu   sync.Mutex
	docs map[string]*shadowDoc // by thing + "\x00" + shadow name
}

type shadowDoc struct {
	Desired, Reported map[string]any
	// Metadata mirrors the state with {"timestamp": epoch} leaves.
	MetaDesired, MetaReported map[string]any
	Version                   int64
}

// newShadowService returns the service as a Function: the core hosts it
// like a Lambda (one goroutine, a bounded queue, arrival order).
func newShadowService(publish func(topic string, payload []byte) error, now func() time.Time) *shadowService {
	return &shadowService{publish: publish, now: now, docs: map[string]*shadowDoc{}}
}

// Handle answers one request routed to GGShadowService.
func (s *shadowService) Handle(_ context.Context, m Message) {
	for _, r := range s.handle(m.Topic, m.Payload) {
		_ = s.publish(r.topic, r.payload)
	}
}

// Close keeps nothing to release: shadows live in memory.
func (s *shadowService) Close() error { return nil }

type reply struct {
	topic   string
	payload []byte
}

// parseShadowTopic splits $aws/things/THING/shadow[/name/NAME]/OP.
func parseShadowTopic(topic string) (thing, name, op string, ok bool) {
	rest, ok := strings.CutPrefix(topic, "$aws/things/")
	if !ok {
		return "", "", "", false
	}
	thing, rest, ok = strings.Cut(rest, "/shadow/")
	if !ok || thing == "" {
		return "", "", "", false
	}
	if n, after, isNamed := strings.Cut(strings.TrimPrefix(rest, "name/"), "/"); strings.HasPrefix(rest, "name/") {
		if !isNamed || n == "" {
			return "", "", "", false
		}
		name, rest = n, after
	}
	switch rest {
	case "update", "get", "delete":
		return thing, name, rest, true
	}
	return "", "", "", false
}

// handle answers one request and returns the replies to publish.
func (s *shadowService) handle(topic string, payload []byte) []reply {
	thing, name, op, ok := parseShadowTopic(topic)
	if !ok {
		return nil // not a request topic (e.g. a device publishing a reply topic)
	}
	base := topic[:len(topic)-len(op)]
	now := s.now()
	ts := now.Unix()
	var req struct {
		State       *struct{ Desired, Reported json.RawMessage } `json:"state"`
		ClientToken string                                       `json:"clientToken"`
		Version     *int64                                       `json:"version"`
	}
	reject := func(code int, msg string) []reply {
		doc := map[string]any{"code": code, "message": msg, "timestamp": ts}
		if req.ClientToken != "" {
			doc["clientToken"] = req.ClientToken
		}
		b, _ := json.Marshal(doc)
		return []reply{{base + op + "/rejected", b}}
	}
	if op == "update" && len(payload) > 8*1024 {
		// AWS: Device Shadow service quotas, 8 KB per request document.
		return reject(413, "The payload exceeds the maximum size allowed")
	}
	if len(payload) > 0 && json.Unmarshal(payload, &req) != nil {
		return reject(400, "Payload contains invalid json")
	}
	key := thing + "\x00" + name
	s.mu.Lock()
	defer s.mu.Unlock()
	doc := s.docs[key]
	missing := func() []reply {
		if name == "" {
			return reject(404, fmt.Sprintf("No shadow exists with name: '%s'", thing))
		}
		return reject(404, fmt.Sprintf("No shadow exists with name: '%s~%s'", thing, name))
	}
	withToken := func(m map[string]any) []byte {
		if req.ClientToken != "" {
			m["clientToken"] = req.ClientToken
		}
		b, _ := json.Marshal(m)
		return b
	}
	switch op {
	case "get":
		if doc == nil {
			return missing()
		}
		return []reply{{base + "get/accepted", withToken(doc.full(ts))}}
	case "delete":
		if doc == nil {
			return missing()
		}
		delete(s.docs, key)
		return []reply{{base + "delete/accepted", withToken(map[string]any{"version": doc.Version, "timestamp": ts})}}
	}
	// update
	if req.State == nil {
		return reject(400, "Missing required node: state")
	}
	if req.Version != nil && doc != nil && *req.Version != doc.Version {
		return reject(409, "Version conflict")
	}
	var desired, reported any
	for _, part := range []struct {
		raw json.RawMessage
		dst *any
		key string
	}{{req.State.Desired, &desired, "desired"}, {req.State.Reported, &reported, "reported"}} {
		if len(part.raw) == 0 {
			continue
		}
		if err := json.Unmarshal(part.raw, part.dst); err != nil {
			return reject(400, "Payload contains invalid json")
		}
		if _, isObj := (*part.dst).(map[string]any); !isObj && *part.dst != nil {
			return reject(400, "State node must be an object")
		}
	}
	var previous map[string]any
	if doc == nil {
		doc = &shadowDoc{}
	} else {
		previous = doc.state(ts)
	}
	meta := func(v any) any { return metadataOf(v, ts) }
	if len(req.State.Desired) > 0 {
		if desired == nil {
			doc.Desired, doc.MetaDesired = nil, nil
		} else {
			doc.Desired = mergeState(doc.Desired, desired.(map[string]any))
			doc.MetaDesired = mergeMeta(doc.MetaDesired, desired.(map[string]any), ts)
		}
	}
	if len(req.State.Reported) > 0 {
		if reported == nil {
			doc.Reported, doc.MetaReported = nil, nil
		} else {
			doc.Reported = mergeState(doc.Reported, reported.(map[string]any))
			doc.MetaReported = mergeMeta(doc.MetaReported, reported.(map[string]any), ts)
		}
	}
	doc.Version++
	s.docs[key] = doc

	accepted := map[string]any{"state": map[string]any{}, "metadata": map[string]any{}, "version": doc.Version, "timestamp": ts}
	if len(req.State.Desired) > 0 {
		accepted["state"].(map[string]any)["desired"] = desired
		accepted["metadata"].(map[string]any)["desired"] = meta(desired)
	}
	if len(req.State.Reported) > 0 {
		accepted["state"].(map[string]any)["reported"] = reported
		accepted["metadata"].(map[string]any)["reported"] = meta(reported)
	}
	out := []reply{{base + "update/accepted", withToken(accepted)}}
	current := doc.state(ts)
	documents := map[string]any{"previous": previous, "current": current, "timestamp": ts}
	if previous == nil {
		delete(documents, "previous")
	}
	out = append(out, reply{base + "update/documents", withToken(documents)})
	if d := delta(doc.Desired, doc.Reported); len(d) > 0 && len(req.State.Desired) > 0 {
		out = append(out, reply{base + "update/delta", withToken(map[string]any{"state": d, "metadata": metadataOf(d, ts), "version": doc.Version, "timestamp": ts})})
	}
	return out
}

// state is the document's state and metadata, as update/documents shows.
func (d *shadowDoc) state(_ int64) map[string]any {
	st, md := map[string]any{}, map[string]any{}
	if d.Desired != nil {
		st["desired"], md["desired"] = d.Desired, d.MetaDesired
	}
	if d.Reported != nil {
		st["reported"], md["reported"] = d.Reported, d.MetaReported
	}
	return map[string]any{"state": st, "metadata": md, "version": d.Version}
}

// full is what get/accepted returns: state with delta, metadata, version.
func (d *shadowDoc) full(ts int64) map[string]any {
	m := d.state(ts)
	if dl := delta(d.Desired, d.Reported); len(dl) > 0 {
		m["state"].(map[string]any)["delta"] = dl
	}
	m["timestamp"] = ts
	return m
}

// mergeState applies an update: members set to null are removed, objects
// merge recursively, anything else replaces.
func mergeState(cur map[string]any, upd map[string]any) map[string]any {
	if cur == nil {
		cur = map[string]any{}
	}
	for k, v := range upd {
		switch x := v.(type) {
		case nil:
			delete(cur, k)
		case map[string]any:
			sub, _ := cur[k].(map[string]any)
			cur[k] = mergeState(sub, x)
		default:
			cur[k] = v
		}
	}
	if len(cur) == 0 {
		return nil
	}
	return cur
}

func mergeMeta(cur map[string]any, upd map[string]any, ts int64) map[string]any {
	if cur == nil {
		cur = map[string]any{}
	}
	for k, v := range upd {
		switch x := v.(type) {
		case nil:
			delete(cur, k)
		case map[string]any:
			sub, _ := cur[k].(map[string]any)
			cur[k] = mergeMeta(sub, x, ts)
		default:
			cur[k] = metadataOf(v, ts)
		}
	}
	if len(cur) == 0 {
		return nil
	}
	return cur
}

// metadataOf mirrors a value with {"timestamp": ts} at each leaf.
func metadataOf(v any, ts int64) any {
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			if e != nil {
				out[k] = metadataOf(e, ts)
			}
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = metadataOf(e, ts)
		}
		return out
	}
	return map[string]any{"timestamp": ts}
}

// delta is what desired has that reported lacks or differs in, recursively
// for objects (AWS: "Delta state"; arrays compare whole).
func delta(desired, reported map[string]any) map[string]any {
	out := map[string]any{}
	for k, dv := range desired {
		rv, ok := reported[k]
		dm, dIsObj := dv.(map[string]any)
		rm, rIsObj := rv.(map[string]any)
		switch {
		case dIsObj && rIsObj:
			if sub := delta(dm, rm); len(sub) > 0 {
				out[k] = sub
			}
		case !ok || !reflect.DeepEqual(dv, rv):
			out[k] = dv
		}
	}
	return out
}
