package scenario

import (
	"fmt"
	"io"
	"time"
)

// Print writes a readable report of one scenario.
func (r *Report) Print(w io.Writer) {
	verdict := "PASS"
	if !r.Passed() {
		verdict = "FAIL"
	}
	fmt.Fprintf(w, "%s  %s (%s)\n", verdict, r.Name, r.Path)
	for _, c := range r.Checks {
		mark := "ok  "
		if !c.OK {
			mark = "FAIL"
		}
		fmt.Fprintf(w, "      %s %s: %s\n", mark, c.Name, c.Detail)
	}
	if r.Err != nil {
		fmt.Fprintf(w, "      FAIL run stopped: %v\n", r.Err)
	}
	passed := 0
	for _, c := range r.Checks {
		if c.OK {
			passed++
		}
	}
	fmt.Fprintf(w, "      %d/%d checks held in %s\n", passed, len(r.Checks), r.Duration.Round(time.Millisecond))
}
