package edge

import (
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// MetricsPath serves Prometheus metrics (text exposition format 0.0.4).
const MetricsPath = "/metrics"

// counters counts requests by service and HTTP status, and authorization
// decisions by outcome.
type counters struct {
	mu        sync.Mutex
	requests  map[[2]string]uint64 // {service, status}
	decisions map[[2]string]uint64 // {decision, enforced}
	faults    map[[3]string]uint64 // {service, operation, error code}
}

func (c *counters) fault(service, op, code string) {
	c.mu.Lock()
	c.faults[[3]string{service, op, code}]++
	c.mu.Unlock()
}

func (c *counters) request(service string, status int) {
	c.mu.Lock()
	c.requests[[2]string{service, strconv.Itoa(status)}]++
	c.mu.Unlock()
}

func (c *counters) decision(d Decision) {
	c.mu.Lock()
	c.decisions[[2]string{string(d.Decision), strconv.FormatBool(d.Enforced)}]++
	c.mu.Unlock()
}

// statusWriter remembers the status a handler wrote.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// MetricsWriter writes Prometheus text lines; see Metric.
type MetricsWriter struct{ w io.Writer }

// Metric writes one sample with a HELP and TYPE header the first time a
// name is seen. Labels are given as name, value pairs.
func (m *MetricsWriter) Metric(name, typ, help string, value float64, labels ...string) {
	if m.w == nil {
		return
	}
	var b strings.Builder
	b.WriteString(name)
	if len(labels) > 0 {
		b.WriteByte('{')
		for i := 0; i+1 < len(labels); i += 2 {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, "%s=%q", labels[i], labels[i+1])
		}
		b.WriteByte('}')
	}
	fmt.Fprintf(m.w, "# HELP %s %s\n# TYPE %s %s\n%s %s\n", name, help, name, typ, b.String(), strconv.FormatFloat(value, 'g', -1, 64))
}

// Histogram writes one histogram (NAME_bucket with le, NAME_sum,
// NAME_count) under a HELP and TYPE header. cumulative[i] counts the
// observations <= bounds[i]; its last element, one past bounds, counts
// them all (+Inf).
func (m *MetricsWriter) Histogram(name, help string, bounds []float64, cumulative []uint64, sum float64, labels ...string) {
	if m.w == nil || len(cumulative) != len(bounds)+1 {
		return
	}
	lbl := func(extra ...string) string {
		all := append(append([]string(nil), labels...), extra...)
		if len(all) == 0 {
			return ""
		}
		var b strings.Builder
		b.WriteByte('{')
		for i := 0; i+1 < len(all); i += 2 {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, "%s=%q", all[i], all[i+1])
		}
		b.WriteByte('}')
		return b.String()
	}
	fmt.Fprintf(m.w, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name)
	for i, c := range cumulative {
		le := "+Inf"
		if i < len(bounds) {
			le = strconv.FormatFloat(bounds[i], 'g', -1, 64)
		}
		fmt.Fprintf(m.w, "%s_bucket%s %d\n", name, lbl("le", le), c)
	}
	fmt.Fprintf(m.w, "%s_sum%s %s\n%s_count%s %d\n", name, lbl(), strconv.FormatFloat(sum, 'g', -1, 64), name, lbl(), cumulative[len(cumulative)-1])
}

func (e *Edge) metrics(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4")
	var body strings.Builder
	mw := &MetricsWriter{w: &body}
	e.counters.mu.Lock()
	reqKeys := make([][2]string, 0, len(e.counters.requests))
	for k := range e.counters.requests {
		reqKeys = append(reqKeys, k)
	}
	sort.Slice(reqKeys, func(i, j int) bool { return reqKeys[i][0]+reqKeys[i][1] < reqKeys[j][0]+reqKeys[j][1] })
	for _, k := range reqKeys {
		mw.Metric("tgsim_requests_total", "counter", "AWS API requests answered, by service and HTTP status.", float64(e.counters.requests[k]), "service", k[0], "status", k[1])
	}
	decKeys := make([][2]string, 0, len(e.counters.decisions))
	for k := range e.counters.decisions {
		decKeys = append(decKeys, k)
	}
	sort.Slice(decKeys, func(i, j int) bool { return decKeys[i][0]+decKeys[i][1] < decKeys[j][0]+decKeys[j][1] })
	for _, k := range decKeys {
		mw.Metric("tgsim_authorization_decisions_total", "counter", "IAM authorization decisions, by decision and whether a denial was enforced.", float64(e.counters.decisions[k]), "decision", k[0], "enforced", k[1])
	}
	faultKeys := make([][3]string, 0, len(e.counters.faults))
	for k := range e.counters.faults {
		faultKeys = append(faultKeys, k)
	}
	sort.Slice(faultKeys, func(i, j int) bool { return strings.Join(faultKeys[i][:], " ") < strings.Join(faultKeys[j][:], " ") })
	for _, k := range faultKeys {
		mw.Metric("tgsim_injected_faults_total", "counter", "AWS API calls failed by an armed fault (/_tgsim/faults), by service, operation and error code.", float64(e.counters.faults[k]), "service", k[0], "operation", k[1], "error", k[2])
	}
	e.counters.mu.Unlock()
	if e.opts.Metrics != nil {
		e.opts.Metrics(mw)
	}
	w.WriteHeader(http.StatusOK)
	_, _ = io.WriteString(w, dedupeHeaders(body.String()))
}

// dedupeHeaders keeps the first HELP/TYPE pair of each metric name, as the
// exposition format requires one per family.
func dedupeHeaders(s string) string {
	seen := map[string]bool{}
	var out strings.Builder
	for _, line := range strings.SplitAfter(s, "\n") {
		if strings.HasPrefix(line, "# HELP ") || strings.HasPrefix(line, "# TYPE ") {
			f := strings.Fields(line)
			if len(f) >= 3 {
				key := f[1] + " " + f[2]
				if seen[key] {
					continue
				}
				seen[key] = true
			}
		}
		out.WriteString(line)
	}
	return out.String()
}
