package harness

import (
	"sort"

	"github.com/tgsim/tgsim/fakes/edge"
	"github.com/tgsim/tgsim/sim/flow"
)

// writeMetrics adds every running core's counters to /metrics.
func (h *Harness) writeMetrics(m *edge.MetricsWriter) {
	h.mu.Lock()
	cores := make([]*RunningCore, 0, len(h.cores))
	for _, c := range h.cores {
		cores = append(cores, c)
	}
	h.mu.Unlock()
	sort.Slice(cores, func(i, j int) bool { return cores[i].Group < cores[j].Group })
	for _, c := range cores {
		st := c.Stats()
		g := c.Group
		m.Metric("tgsim_core_messages_received_total", "counter", "Messages published to a core by devices and functions.", float64(st.Received), "group", g)
		m.Metric("tgsim_core_messages_delivered_total", "counter", "Message copies a core delivered where a subscription allowed.", float64(st.Delivered), "group", g)
		m.Metric("tgsim_core_connection_panics_total", "counter", "Connections whose handling panicked; each was closed, the core kept serving.", float64(st.Panics), "group", g)
		byReason := map[string]uint64{}
		for k, v := range c.Drops() {
			byReason[k.Reason] += v
		}
		for _, reason := range sortedKeys(byReason) {
			m.Metric("tgsim_core_messages_dropped_total", "counter", "Messages or copies a core dropped, by reason.", float64(byReason[reason]), "group", g, "reason", reason)
		}
		refused := c.Refusals()
		for _, reason := range sortedKeys(refused) {
			m.Metric("tgsim_core_connections_refused_total", "counter", "Device connections a core refused, by reason.", float64(refused[reason]), "group", g, "reason", reason)
		}
		if rt := c.Runtime(); rt != nil {
			writeRuntime(m, rt, "group", g)
		}
	}
	h.cloud.mu.Lock()
	runs := make([]*cloudRun, 0, len(h.cloud.runs))
	for _, r := range h.cloud.runs {
		runs = append(runs, r)
	}
	h.cloud.mu.Unlock()
	sort.Slice(runs, func(i, j int) bool { return runs[i].id < runs[j].id })
	for _, r := range runs {
		writeRuntime(m, r.rt, "flow_configuration", r.id)
	}
	if h.IoTData != nil {
		st := h.IoTData.Stats()
		m.Metric("tgsim_iot_connections", "gauge", "MQTT connections open on the AWS IoT data plane.", float64(st.Connected))
		m.Metric("tgsim_iot_messages_published_total", "counter", "Messages the AWS IoT data plane accepted (MQTT and HTTPS).", float64(st.Published))
		m.Metric("tgsim_iot_messages_delivered_total", "counter", "Message copies the AWS IoT data plane delivered to subscribers.", float64(st.Delivered))
		for _, a := range sortedKeys(st.Denied) {
			m.Metric("tgsim_iot_denied_total", "counter", "Requests the AWS IoT data plane refused, by action (IoT policies, limits, protocol errors).", float64(st.Denied[a]), "action", a)
		}
		for _, reason := range sortedKeys(st.Dropped) {
			m.Metric("tgsim_iot_messages_dropped_total", "counter", "Messages the AWS IoT data plane dropped, by reason.", float64(st.Dropped[reason]), "reason", reason)
		}
	}
	if h.Rules != nil {
		st := h.Rules.Stats()
		m.Metric("tgsim_iot_rules_messages_total", "counter", "Messages the rules engine evaluated.", float64(st.Messages))
		m.Metric("tgsim_iot_rules_matched_total", "counter", "Rule matches (FROM and WHERE held).", float64(st.Matched))
		m.Metric("tgsim_iot_rules_action_failures_total", "counter", "Rule actions that failed.", float64(st.Failures))
		m.Metric("tgsim_iot_rules_dropped_total", "counter", "Messages the rules engine dropped because its queue was full.", float64(st.Dropped))
	}
}

// writeRuntime writes a Things Graph runtime's executions by status and
// its step latency histogram, labelled by where it runs.
func writeRuntime(m *edge.MetricsWriter, rt *flow.Runtime, labels ...string) {
	counts := rt.Counts()
	m.Metric("tgsim_flow_executions_running", "gauge", "Flow executions running now.", float64(counts[flow.StatusRunning]), labels...)
	for _, s := range []string{flow.StatusSucceeded, flow.StatusFailed, flow.StatusAborted} {
		m.Metric("tgsim_flow_executions_total", "counter", "Flow executions ended, by status.", float64(counts[s]), append(append([]string(nil), labels...), "status", s)...)
	}
	lat := rt.StepLatency()
	m.Histogram("tgsim_flow_step_duration_seconds", "Flow step durations, retries included.", flow.StepLatencyBuckets, lat.Counts, lat.Sum, labels...)
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
