package scenario

import (
	"bytes"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestRenderProgress(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("a very long scenario name ", 10)
	tests := []struct {
		name    string
		ev      ProgressEvent
		elapsed time.Duration
		width   int
		want    string
	}{
		{"step", ProgressEvent{Name: "throttled calls", Phase: "steps", Step: 3, Steps: 7}, 12340 * time.Millisecond, 80, "throttled calls · step 3/7 · 12.3s"},
		{"setup", ProgressEvent{Name: "x", Phase: "setup", Steps: 7}, 2 * time.Second, 80, "x · setup · 2.0s"},
		{"checks", ProgressEvent{Name: "x", Phase: "checks", Steps: 7}, 61 * time.Second, 80, "x · checks · 1m1s"},
		{"long name is shortened to the width", ProgressEvent{Name: long, Phase: "steps", Step: 1, Steps: 2}, time.Second, 40,
			"a very long scenario … · step 1/2 · 1.0s"},
		{"narrow width means 80", ProgressEvent{Name: long, Phase: "setup"}, time.Second, 5,
			string([]rune(long)[:80-utf8.RuneCountInString(" · setup · 1.0s")-1]) + "… · setup · 1.0s"},
		{"no room for a name", ProgressEvent{Name: "name", Phase: "steps", Step: 100000, Steps: 100000}, time.Hour, 20, " · step 100000/10000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := RenderProgress(tt.ev, tt.elapsed, tt.width)
			if got != tt.want {
				t.Errorf("RenderProgress(%+v, %s, %d) = %q, want %q", tt.ev, tt.elapsed, tt.width, got, tt.want)
			}
			w := tt.width
			if w < 20 {
				w = 80
			}
			if n := utf8.RuneCountInString(got); n > w {
				t.Errorf("RenderProgress(...) is %d runes, over the width %d", n, w)
			}
		})
	}
}

// TestProgressDrawing drives the line with a fake clock: nothing before
// the delay, a rewritten line after, erased before a log line and when
// the scenario is done.
func TestProgressDrawing(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	// The ticker never fires within the test (draw is called by hand).
	p := &Progress{w: &buf, delay: 2 * time.Second, width: 80, now: func() time.Time { return now }, stop: make(chan struct{}), done: make(chan struct{})}
	p.draw()
	if buf.Len() != 0 {
		t.Fatalf("drew %q before any scenario started", buf.String())
	}
	p.Update(ProgressEvent{Name: "s", Phase: "setup", Steps: 2})
	now = now.Add(time.Second)
	p.draw()
	if buf.Len() != 0 {
		t.Fatalf("drew %q 1s into the run, before the 2s delay", buf.String())
	}
	now = now.Add(1500 * time.Millisecond)
	p.Update(ProgressEvent{Name: "s", Phase: "steps", Step: 1, Steps: 2})
	p.draw()
	if want := "\rs · step 1/2 · 2.5s\x1b[K"; buf.String() != want {
		t.Fatalf("line = %q, want %q", buf.String(), want)
	}
	buf.Reset()
	if _, err := p.Write([]byte("level=WARN msg=x\n")); err != nil {
		t.Fatal(err)
	}
	if want := "\r\x1b[Klevel=WARN msg=x\n"; buf.String() != want {
		t.Errorf("log write = %q, want the line erased first: %q", buf.String(), want)
	}
	buf.Reset()
	p.Write([]byte("again\n"))
	if buf.String() != "again\n" {
		t.Errorf("second log write = %q, want no erase (the line is not drawn)", buf.String())
	}
	p.draw()
	buf.Reset()
	p.Done()
	if buf.String() != "\r\x1b[K" {
		t.Errorf("Done wrote %q, want the line erased", buf.String())
	}
	buf.Reset()
	now = now.Add(time.Minute)
	p.draw()
	if buf.Len() != 0 {
		t.Errorf("drew %q after Done, before the next scenario", buf.String())
	}
	// The next scenario's clock starts at its setup event.
	p.Update(ProgressEvent{Name: "t", Phase: "setup"})
	p.draw()
	if buf.Len() != 0 {
		t.Errorf("drew %q at the start of the next scenario", buf.String())
	}
}

func TestProgressCloseAndNil(t *testing.T) {
	t.Parallel()
	var nilP *Progress
	nilP.Update(ProgressEvent{})
	nilP.Done()
	nilP.Close()
	p := NewProgress(&bytes.Buffer{}, time.Hour, 0)
	p.Update(ProgressEvent{Name: "s", Phase: "setup"})
	p.Close() // returns once the ticker goroutine has exited
	select {
	case <-p.done:
	default:
		t.Fatal("Close returned before the ticker goroutine exited")
	}
}
