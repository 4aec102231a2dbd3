package scenario

import (
	"fmt"
	"io"
	"sync"
	"time"
	"unicode/utf8"
)

// ProgressEvent says where a run is: Phase is "setup", "steps" (Step of
// Steps, from 1) or "checks".
type ProgressEvent struct {
	Name  string
	Phase string
	Step  int
	Steps int
}

// progress reports ev to Options.Progress, when set.
func (o Options) progress(ev ProgressEvent) {
	if o.Progress != nil {
		o.Progress(ev)
	}
}

// ProgressDelay is how long a scenario runs before the progress line
// appears: short runs print their report only.
const ProgressDelay = 2 * time.Second

// RenderProgress is the progress line for ev after elapsed, at most width
// runes wide (80 when width < 20): the scenario name, shortened with "…"
// to fit, then where the run is and for how long.
func RenderProgress(ev ProgressEvent, elapsed time.Duration, width int) string {
	if width < 20 {
		width = 80
	}
	where := ev.Phase
	if ev.Phase == "steps" {
		where = fmt.Sprintf("step %d/%d", ev.Step, ev.Steps)
	}
	// A fixed decimal keeps the line's width steady as it is rewritten.
	took := fmt.Sprintf("%.1fs", elapsed.Seconds())
	if elapsed >= time.Minute {
		took = elapsed.Round(time.Second).String()
	}
	tail := fmt.Sprintf(" · %s · %s", where, took)
	room := width - utf8.RuneCountInString(tail)
	name := ev.Name
	if n := utf8.RuneCountInString(name); n > room {
		if room < 2 {
			return string([]rune(tail)[:min(width, utf8.RuneCountInString(tail))])
		}
		name = string([]rune(name)[:room-1]) + "…"
	}
	return name + tail
}

// Progress draws one line, rewritten in place ("\r", then erase to the
// end of the line), for a scenario that has run longer than its delay.
// It is an io.Writer for the log too: a log line first erases the
// progress line, which comes back at the next tick. A nil *Progress does
// nothing. Safe for concurrent use.
type Progress struct {
	w     io.Writer
	delay time.Duration
	width int
	now   func() time.Time

	mu      sync.Mutex
	ev      ProgressEvent
	started time.Time
	active  bool // a scenario is running
	drawn   bool // the line is on the terminal

	stop chan struct{}
	done chan struct{}
}

// NewProgress starts a progress line on w (a terminal), width runes wide
// (0 for 80), drawn only for scenarios running longer than delay. Close
// stops it.
func NewProgress(w io.Writer, delay time.Duration, width int) *Progress {
	p := &Progress{w: w, delay: delay, width: width, now: time.Now, stop: make(chan struct{}), done: make(chan struct{})}
	go p.loop()
	return p
}

func (p *Progress) loop() {
	defer close(p.done)
	t := time.NewTicker(250 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			return
		case <-t.C:
			p.draw()
		}
	}
}

// draw rewrites the line if a scenario has run past the delay.
func (p *Progress) draw() {
	p.mu.Lock()
	defer p.mu.Unlock()
	elapsed := p.now().Sub(p.started)
	if !p.active || elapsed < p.delay {
		return
	}
	fmt.Fprintf(p.w, "\r%s\x1b[K", RenderProgress(p.ev, elapsed, p.width))
	p.drawn = true
}

// eraseLocked erases the line if it is drawn. p.mu held.
func (p *Progress) eraseLocked() {
	if p.drawn {
		_, _ = io.WriteString(p.w, "\r\x1b[K")
		p.drawn = false
	}
}

// Update records where the run is; a "setup" event starts a scenario's
// clock. Pass it as Options.Progress.
func (p *Progress) Update(ev ProgressEvent) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if ev.Phase == "setup" || !p.active {
		p.started = p.now()
	}
	p.ev, p.active = ev, true
}

// Done erases the line and hides it until the next scenario: call it
// before printing the scenario's report.
func (p *Progress) Done() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.eraseLocked()
	p.active = false
}

// Write writes b (a log line) after erasing the progress line.
func (p *Progress) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.eraseLocked()
	return p.w.Write(b)
}

// Close erases the line and stops the ticker; it returns once the ticker's
// goroutine has exited.
func (p *Progress) Close() {
	if p == nil {
		return
	}
	close(p.stop)
	<-p.done
	p.Done()
}
