package scenario

import (
	"encoding/xml"
	"io"
	"strconv"
	"time"
)

// The JUnit XML shape most CI systems read (Jenkins, GitLab, GitHub
// actions that publish test results, CircleCI, Azure Pipelines): the
// attributes below are the common subset of the Ant/Surefire format.
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Errors   int         `xml:"errors,attr"`
	Skipped  int         `xml:"skipped,attr"`
	Time     string      `xml:"time,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitProblem `xml:"failure,omitempty"`
	Error     *junitProblem `xml:"error,omitempty"`
}

type junitProblem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

// runStopped names the test case that carries a run's error.
const runStopped = "run stopped"

// seconds formats a duration the way JUnit time attributes are read.
func seconds(d time.Duration) string {
	return strconv.FormatFloat(d.Seconds(), 'f', 3, 64)
}

// WriteJUnit writes a JUnit XML report of a batch of runs: one testsuite
// per scenario file (named by its path; a matrix file's combinations share
// it), one testcase per check, classname being the scenario's name so that
// the combinations' checks stay apart. A failed check has a <failure>; a
// run that stopped (setup or a step failed, or the file is invalid) adds a
// "run stopped" testcase with an <error>, which carries the run's duration.
// Checks have no duration of their own and report time 0; a suite's time
// is the sum of its scenarios' durations.
func WriteJUnit(w io.Writer, reports []*Report, wallTime time.Duration) error {
	doc := junitSuites{Name: "tgsim", Time: seconds(wallTime)}
	index := map[string]int{} // path → position in doc.Suites
	durations := map[string]time.Duration{}
	for _, r := range reports {
		i, ok := index[r.Path]
		if !ok {
			i = len(doc.Suites)
			index[r.Path] = i
			doc.Suites = append(doc.Suites, junitSuite{Name: r.Path})
		}
		s := &doc.Suites[i]
		durations[r.Path] += r.Duration
		for _, c := range r.Checks {
			tc := junitCase{Name: c.Name, Classname: r.Name, Time: seconds(0)}
			if !c.OK {
				tc.Failure = &junitProblem{Message: c.Detail, Type: "check", Text: c.Detail}
				s.Failures++
			}
			s.Cases = append(s.Cases, tc)
		}
		if r.Err != nil {
			msg := r.Err.Error()
			s.Cases = append(s.Cases, junitCase{Name: runStopped, Classname: r.Name, Time: seconds(r.Duration),
				Error: &junitProblem{Message: msg, Type: "error", Text: msg}})
			s.Errors++
		}
	}
	for i := range doc.Suites {
		s := &doc.Suites[i]
		s.Tests = len(s.Cases)
		s.Time = seconds(durations[s.Name])
		doc.Tests += s.Tests
		doc.Failures += s.Failures
		doc.Errors += s.Errors
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}
