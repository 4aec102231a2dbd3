package scenario

import (
	"encoding/json"
	"io"
	"time"
)

// jsonRun is the document `tgsim run --json` prints. Field names are part
// of the CLI's interface: scripts and CI read them.
type jsonRun struct {
	Scenarios  []jsonScenario `json:"scenarios"`
	Passed     int            `json:"passed"`
	Failed     int            `json:"failed"`
	WallTimeMs int64          `json:"wallTimeMs"`
}

type jsonScenario struct {
	Name       string      `json:"name"`
	Path       string      `json:"path"`
	Passed     bool        `json:"passed"`
	DurationMs int64       `json:"durationMs"`
	Error      *string     `json:"error"` // null when the run completed
	Checks     []jsonCheck `json:"checks"`
}

type jsonCheck struct {
	Name   string `json:"name"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail"`
}

// WriteJSON writes one JSON document describing a batch of runs:
//
//	{"scenarios":[{"name","path","passed","durationMs","error","checks":[{"name","ok","detail"}]}],
//	 "passed":N,"failed":N,"wallTimeMs":N}
//
// error is null for a run that completed, and checks is [] (never null)
// when there are none. wallTime is the whole batch's elapsed time.
func WriteJSON(w io.Writer, reports []*Report, wallTime time.Duration) error {
	doc := jsonRun{Scenarios: make([]jsonScenario, 0, len(reports)), WallTimeMs: wallTime.Milliseconds()}
	for _, r := range reports {
		s := jsonScenario{
			Name:       r.Name,
			Path:       r.Path,
			Passed:     r.Passed(),
			DurationMs: r.Duration.Milliseconds(),
			Checks:     make([]jsonCheck, 0, len(r.Checks)),
		}
		if r.Err != nil {
			msg := r.Err.Error()
			s.Error = &msg
		}
		for _, c := range r.Checks {
			s.Checks = append(s.Checks, jsonCheck(c))
		}
		if s.Passed {
			doc.Passed++
		} else {
			doc.Failed++
		}
		doc.Scenarios = append(doc.Scenarios, s)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false) // details quote policies and topics; keep <, > and & readable
	return enc.Encode(doc)
}
