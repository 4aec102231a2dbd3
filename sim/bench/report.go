package bench

import (
	"fmt"
	"html/template"
	"io"
	"maps"
	"math"
	"slices"
	"strings"
	"time"
)

// Table is the final report for a terminal.
func (r *Result) Table() string {
	var b strings.Builder
	row := func(k, format string, args ...any) { fmt.Fprintf(&b, "  %-26s %s\n", k, fmt.Sprintf(format, args...)) }
	o := r.Options
	fmt.Fprintf(&b, "tgsim bench: %d rooms (motion → camera → screen), %.0f events/s for %s, shard %d/%d\n",
		o.Rooms, o.Rate, o.Duration, o.ShardIndex, o.ShardCount)
	row("setup", "%s", r.Setup.Round(time.Millisecond))
	row("events sent", "%d (%.1f/s)", r.Sent, float64(r.Sent)/math.Max(o.Duration.Seconds(), 1e-9))
	row("flows completed", "%d (%.1f/s)", r.Completed, r.Throughput())
	row("lost (no display)", "%d", r.Lost)
	row("failed executions", "%d", r.Failed)
	row("publish errors", "%d", r.PublishErrors)
	row("latency p50 / p90 / p99", "%s / %s / %s", ms(r.Percentile(50)), ms(r.Percentile(90)), ms(r.Percentile(99)))
	row("latency max", "%s", ms(r.Percentile(100)))
	row("bench overhead per event", "%s", r.Overhead)
	switch {
	case r.Remote != "":
		row("core drops", "not visible here: the core runs apart (see its log)")
	case len(r.Drops) == 0:
		row("core drops", "none")
	}
	for _, k := range slices.Sorted(maps.Keys(r.Drops)) {
		row("core drops: "+k, "%d", r.Drops[k])
	}
	return b.String()
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d.Microseconds())/1000) }

// chart geometry
const (
	chartW, chartH = 720, 230
	padL, padB     = 50, 30
	plotTop        = 24 // room for the legend above the plot
)

type bar struct {
	X, Y, W, H float64
	Label      string
}

type line struct {
	Points string
	Color  string
	Name   string
}

type axis struct {
	Ticks []tick
}

type tick struct {
	Pos   float64
	Label string
}

type chart struct {
	Title       string
	W, H        int
	PadL, PadB  int
	Bars        []bar
	Lines       []line
	XTicks      []tick
	YTicks      []tick
	XLabel      string
	YLabel      string
	PlotW       float64
	PlotH       float64
	Description string
}

func newChart(title, xl, yl string) *chart {
	return &chart{Title: title, W: chartW, H: chartH, PadL: padL, PadB: padB, XLabel: xl, YLabel: yl,
		PlotW: chartW - padL - 10, PlotH: chartH - padB - plotTop}
}

func (c *chart) yTicks(max float64, format func(float64) string) {
	for i := 0; i <= 4; i++ {
		v := max * float64(i) / 4
		c.YTicks = append(c.YTicks, tick{Pos: plotTop + c.PlotH - c.PlotH*float64(i)/4, Label: format(v)})
	}
}

// throughputChart: events sent and flows completed per second.
func (r *Result) throughputChart() *chart {
	c := newChart("Throughput over time", "second", "per second")
	maxV := 1.0
	for _, s := range r.Timeline {
		maxV = math.Max(maxV, math.Max(float64(s.Sent), float64(s.Completed)))
	}
	n := math.Max(float64(len(r.Timeline)), 1)
	pts := func(v func(Sample) int) string {
		var p []string
		for i, s := range r.Timeline {
			x := float64(padL) + c.PlotW*(float64(i)+0.5)/n
			y := plotTop + c.PlotH - c.PlotH*float64(v(s))/maxV
			p = append(p, fmt.Sprintf("%.1f,%.1f", x, y))
		}
		return strings.Join(p, " ")
	}
	c.Lines = []line{
		{Points: pts(func(s Sample) int { return s.Sent }), Color: "#888", Name: "events sent"},
		{Points: pts(func(s Sample) int { return s.Completed }), Color: "#1f77b4", Name: "flows completed"},
	}
	c.yTicks(maxV, func(v float64) string { return fmt.Sprintf("%.0f", v) })
	step := int(math.Max(1, math.Ceil(n/10)))
	for i := 0; i < len(r.Timeline); i += step {
		c.XTicks = append(c.XTicks, tick{Pos: float64(padL) + c.PlotW*(float64(i)+0.5)/n, Label: fmt.Sprint(r.Timeline[i].Second)})
	}
	return c
}

// latencyChart: p50 and p99 per second.
func (r *Result) latencyOverTime() *chart {
	c := newChart("Latency over time (event → display)", "second", "ms")
	maxV := 0.001
	for _, s := range r.Timeline {
		maxV = math.Max(maxV, float64(s.P99.Microseconds())/1000)
	}
	n := math.Max(float64(len(r.Timeline)), 1)
	pts := func(v func(Sample) time.Duration) string {
		var p []string
		for i, s := range r.Timeline {
			if s.Completed == 0 {
				continue
			}
			x := float64(padL) + c.PlotW*(float64(i)+0.5)/n
			y := plotTop + c.PlotH - c.PlotH*(float64(v(s).Microseconds())/1000)/maxV
			p = append(p, fmt.Sprintf("%.1f,%.1f", x, y))
		}
		return strings.Join(p, " ")
	}
	c.Lines = []line{
		{Points: pts(func(s Sample) time.Duration { return s.P50 }), Color: "#2ca02c", Name: "p50"},
		{Points: pts(func(s Sample) time.Duration { return s.P99 }), Color: "#d62728", Name: "p99"},
	}
	c.yTicks(maxV, func(v float64) string { return fmt.Sprintf("%.1f", v) })
	step := int(math.Max(1, math.Ceil(n/10)))
	for i := 0; i < len(r.Timeline); i += step {
		c.XTicks = append(c.XTicks, tick{Pos: float64(padL) + c.PlotW*(float64(i)+0.5)/n, Label: fmt.Sprint(r.Timeline[i].Second)})
	}
	return c
}

// histogram: latencies in logarithmic buckets from 0.1 ms.
func (r *Result) histogram() *chart {
	c := newChart("Latency histogram", "ms (log buckets)", "flows")
	edges := []float64{0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, math.Inf(1)}
	counts := make([]int, len(edges))
	for _, d := range r.Latencies {
		v := float64(d.Microseconds()) / 1000
		for i, e := range edges {
			if v < e {
				counts[i]++
				break
			}
		}
	}
	maxC := 1
	for _, n := range counts {
		maxC = max(maxC, n)
	}
	w := c.PlotW / float64(len(edges))
	for i, n := range counts {
		h := c.PlotH * float64(n) / float64(maxC)
		label := "≥1000"
		if i < len(edges)-1 {
			label = "<" + trimFloat(edges[i])
		}
		c.Bars = append(c.Bars, bar{X: float64(padL) + w*float64(i) + 2, Y: plotTop + c.PlotH - h, W: w - 4, H: h, Label: fmt.Sprintf("%s ms: %d", label, n)})
		c.XTicks = append(c.XTicks, tick{Pos: float64(padL) + w*(float64(i)+0.5), Label: label})
	}
	c.yTicks(float64(maxC), func(v float64) string { return fmt.Sprintf("%.0f", v) })
	return c
}

func trimFloat(f float64) string {
	return strings.TrimSuffix(strings.TrimSuffix(fmt.Sprintf("%.1f", f), "0"), ".")
}

var page = template.Must(template.New("report").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>tgsim bench report</title>
<style>
body{font-family:system-ui,sans-serif;margin:2em;color:#222;max-width:800px}
table{border-collapse:collapse;margin:1em 0}td,th{padding:.25em .8em;border-bottom:1px solid #ddd;text-align:left}
td.n{text-align:right;font-variant-numeric:tabular-nums}
svg{background:#fafafa;border:1px solid #eee;margin:.5em 0}
.axis{font-size:11px;fill:#555}.legend{font-size:12px}
</style></head><body>
<h1>tgsim bench</h1>
<p>{{.R.Options.Rooms}} rooms (the guide's motion → camera → screen flow, one flow configuration each, one Greengrass core over mutual TLS),
{{printf "%.0f" .R.Options.Rate}} motion events per second for {{.R.Options.Duration}}, shard {{.R.Options.ShardIndex}}/{{.R.Options.ShardCount}}.
Latency is measured from the motion sensor's publish to the screen receiving its display request: two device actions mediated by the Things Graph runtime.
Started {{.R.Started.UTC.Format "2006-01-02 15:04:05 UTC"}}.</p>
<table>
{{range .Rows}}<tr><th>{{index . 0}}</th><td class="n">{{index . 1}}</td></tr>
{{end}}</table>
{{range .Charts}}{{template "chart" .}}
{{end}}
<h2>Drops by reason</h2>
{{if .Drops}}<table>{{range .Drops}}<tr><th>{{index . 0}}</th><td class="n">{{index . 1}}</td></tr>{{end}}</table>{{else if .R.Remote}}<p>The core runs apart from the bench: its drops are in its own log.</p>{{else}}<p>The core dropped nothing.</p>{{end}}
</body></html>
{{define "chart"}}
<h2>{{.Title}}</h2>
<svg width="{{.W}}" height="{{.H}}" viewBox="0 0 {{.W}} {{.H}}" role="img" aria-label="{{.Title}}">
{{range .YTicks}}<line x1="{{$.PadL}}" x2="{{$.PlotRight}}" y1="{{.Pos}}" y2="{{.Pos}}" stroke="#e5e5e5"/><text class="axis" x="{{$.TickX}}" y="{{.Pos}}" text-anchor="end" dominant-baseline="middle">{{.Label}}</text>
{{end}}{{range .XTicks}}<text class="axis" x="{{.Pos}}" y="{{$.XTickY}}" text-anchor="middle">{{.Label}}</text>
{{end}}{{range .Bars}}<rect x="{{.X}}" y="{{.Y}}" width="{{.W}}" height="{{.H}}" fill="#1f77b4"><title>{{.Label}}</title></rect>
{{end}}{{range $i, $l := .Lines}}<polyline fill="none" stroke="{{.Color}}" stroke-width="2" points="{{.Points}}"/><text class="legend" x="{{$.LegendX $i}}" y="14" fill="{{.Color}}">{{.Name}}</text>
{{end}}<text class="axis" x="{{.PadL}}" y="{{.H}}">{{.XLabel}}</text>
</svg>
{{end}}`))

// svgChart adds layout helpers for the template.
type svgChart struct {
	*chart
}

func (c svgChart) PlotRight() float64 { return float64(c.PadL) + c.PlotW }
func (c svgChart) TickX() float64     { return float64(c.PadL) - 6 }
func (c svgChart) XTickY() float64    { return plotTop + c.PlotH + 16 }
func (c svgChart) LegendX(i int) float64 {
	return float64(c.PadL) + 10 + float64(i)*140
}

// WriteHTML writes the self-contained report.
func (r *Result) WriteHTML(w io.Writer) error {
	rows := [][2]string{
		{"events sent", fmt.Sprint(r.Sent)},
		{"flows completed", fmt.Sprintf("%d (%.1f/s)", r.Completed, r.Throughput())},
		{"lost (no display)", fmt.Sprint(r.Lost)},
		{"failed executions", fmt.Sprint(r.Failed)},
		{"latency p50", ms(r.Percentile(50))},
		{"latency p90", ms(r.Percentile(90))},
		{"latency p99", ms(r.Percentile(99))},
		{"latency max", ms(r.Percentile(100))},
		{"bench overhead per event", r.Overhead.String()},
		{"setup", r.Setup.Round(time.Millisecond).String()},
	}
	var drops [][2]string
	for _, k := range slices.Sorted(maps.Keys(r.Drops)) {
		drops = append(drops, [2]string{k, fmt.Sprint(r.Drops[k])})
	}
	charts := []svgChart{{r.throughputChart()}, {r.latencyOverTime()}, {r.histogram()}}
	return page.Execute(w, map[string]any{"R": r, "Rows": rows, "Charts": charts, "Drops": drops})
}
