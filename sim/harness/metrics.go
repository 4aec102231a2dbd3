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
			byStatus := map[string]uint64{}
			for _, ex := range rt.Executions() {
				byStatus[ex.Status]++
			}
			for _, s := range []string{flow.StatusRunning, flow.StatusSucceeded, flow.StatusFailed, flow.StatusAborted} {
				m.Metric("tgsim_flow_executions", "gauge", "Flow executions of a core's Things Graph runtime, by status.", float64(byStatus[s]), "group", g, "status", s)
			}
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
