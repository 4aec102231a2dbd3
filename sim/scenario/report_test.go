package scenario

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// batch is a run of three scenarios from two files: a matrix file whose
// first combination passed and whose second has a failed check, and a file
// whose run stopped.
func batch() []*Report {
	return []*Report{
		{Name: "deploy [x=a]", Path: "m.yaml", Duration: 1500 * time.Millisecond,
			Checks: []Check{{Name: "deploy room", OK: true, Detail: "status DEPLOYED_IN_TARGET"}}},
		{Name: "deploy [x=b]", Path: "m.yaml", Duration: 250 * time.Millisecond,
			Checks: []Check{{Name: "deploy room", OK: true, Detail: "ok"}, {Name: "executions succeeded", OK: false, Detail: "5 SUCCEEDED, want <6> & more"}}},
		{Name: "broken", Path: "b.yaml", Duration: 20 * time.Millisecond, Err: errors.New("setup: CreateBucket: boom")},
	}
}

func TestWriteJSON(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	if err := WriteJSON(&buf, batch(), 2*time.Second); err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	dec := json.NewDecoder(&buf)
	if err := dec.Decode(&got); err != nil {
		t.Fatalf("WriteJSON output is not JSON: %v", err)
	}
	if dec.More() {
		t.Errorf("WriteJSON wrote more than one document")
	}
	want := map[string]any{
		"passed": 1.0, "failed": 2.0, "wallTimeMs": 2000.0,
		"scenarios": []any{
			map[string]any{"name": "deploy [x=a]", "path": "m.yaml", "passed": true, "durationMs": 1500.0, "error": nil,
				"checks": []any{map[string]any{"name": "deploy room", "ok": true, "detail": "status DEPLOYED_IN_TARGET"}}},
			map[string]any{"name": "deploy [x=b]", "path": "m.yaml", "passed": false, "durationMs": 250.0, "error": nil,
				"checks": []any{
					map[string]any{"name": "deploy room", "ok": true, "detail": "ok"},
					map[string]any{"name": "executions succeeded", "ok": false, "detail": "5 SUCCEEDED, want <6> & more"},
				}},
			map[string]any{"name": "broken", "path": "b.yaml", "passed": false, "durationMs": 20.0, "error": "setup: CreateBucket: boom",
				"checks": []any{}},
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("WriteJSON mismatch (-want +got):\n%s", diff)
	}
}

// The shape CI systems read, declared here independently of the writer's
// types so that a change to those shows up as a failure.
type xmlSuites struct {
	XMLName  xml.Name `xml:"testsuites"`
	Tests    int      `xml:"tests,attr"`
	Failures int      `xml:"failures,attr"`
	Errors   int      `xml:"errors,attr"`
	Time     string   `xml:"time,attr"`
	Suites   []struct {
		Name     string `xml:"name,attr"`
		Tests    int    `xml:"tests,attr"`
		Failures int    `xml:"failures,attr"`
		Errors   int    `xml:"errors,attr"`
		Time     string `xml:"time,attr"`
		Cases    []struct {
			Name      string `xml:"name,attr"`
			Classname string `xml:"classname,attr"`
			Time      string `xml:"time,attr"`
			Failure   *struct {
				Message string `xml:"message,attr"`
				Text    string `xml:",chardata"`
			} `xml:"failure"`
			Error *struct {
				Message string `xml:"message,attr"`
			} `xml:"error"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

// parseJUnit decodes a report and checks what holds for any report: time
// attributes are seconds, and counts add up.
func parseJUnit(t *testing.T, b []byte) xmlSuites {
	t.Helper()
	var doc xmlSuites
	if err := xml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("JUnit report is not XML: %v\n%s", err, b)
	}
	isSeconds := func(where, s string) {
		if v, err := strconv.ParseFloat(s, 64); err != nil || v < 0 {
			t.Errorf("%s time=%q, want seconds", where, s)
		}
	}
	isSeconds("testsuites", doc.Time)
	tests, failures, errs := 0, 0, 0
	for _, s := range doc.Suites {
		isSeconds("testsuite "+s.Name, s.Time)
		f, e := 0, 0
		for _, c := range s.Cases {
			isSeconds("testcase "+c.Name, c.Time)
			if c.Failure != nil {
				f++
			}
			if c.Error != nil {
				e++
			}
		}
		if s.Tests != len(s.Cases) || s.Failures != f || s.Errors != e {
			t.Errorf("testsuite %s: tests=%d failures=%d errors=%d, its testcases say %d, %d, %d", s.Name, s.Tests, s.Failures, s.Errors, len(s.Cases), f, e)
		}
		tests, failures, errs = tests+s.Tests, failures+s.Failures, errs+s.Errors
	}
	if doc.Tests != tests || doc.Failures != failures || doc.Errors != errs {
		t.Errorf("testsuites: tests=%d failures=%d errors=%d, the suites add up to %d, %d, %d", doc.Tests, doc.Failures, doc.Errors, tests, failures, errs)
	}
	return doc
}

func TestWriteJUnit(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	if err := WriteJUnit(&buf, batch(), 2*time.Second); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(buf.Bytes(), []byte(`<?xml version="1.0" encoding="UTF-8"?>`)) {
		t.Errorf("JUnit report lacks the XML declaration:\n%s", buf.String())
	}
	doc := parseJUnit(t, buf.Bytes())
	if doc.Tests != 4 || doc.Failures != 1 || doc.Errors != 1 || doc.Time != "2.000" || len(doc.Suites) != 2 {
		t.Fatalf("testsuites tests=%d failures=%d errors=%d time=%s suites=%d, want 4, 1, 1, 2.000, 2\n%s",
			doc.Tests, doc.Failures, doc.Errors, doc.Time, len(doc.Suites), buf.String())
	}
	m, b := doc.Suites[0], doc.Suites[1]
	if m.Name != "m.yaml" || m.Tests != 3 || m.Failures != 1 || m.Time != "1.750" {
		t.Errorf("suite 0 = %s tests=%d failures=%d time=%s, want m.yaml, 3, 1, 1.750", m.Name, m.Tests, m.Failures, m.Time)
	}
	if c := m.Cases[2]; c.Classname != "deploy [x=b]" || c.Name != "executions succeeded" || c.Failure == nil || c.Failure.Message != "5 SUCCEEDED, want <6> & more" {
		t.Errorf("failed check = %+v, want classname deploy [x=b] and the detail as failure message", c)
	}
	if m.Cases[0].Classname == m.Cases[1].Classname {
		t.Errorf("matrix combinations share classname %q; CI would merge their checks", m.Cases[0].Classname)
	}
	if b.Name != "b.yaml" || b.Tests != 1 || b.Errors != 1 || b.Cases[0].Name != runStopped || b.Cases[0].Time != "0.020" ||
		b.Cases[0].Error == nil || b.Cases[0].Error.Message != "setup: CreateBucket: boom" {
		t.Errorf("stopped run's suite = %+v, want one %q testcase with the error", b, runStopped)
	}
}

// TestJUnitValidatesAgainstSchema: the JUnit report is valid against the
// format's schema (testdata/junit.xsd) as xmllint checks it, for passed,
// failed and stopped runs alike; and the schema is strict enough to
// refuse a report that is not JUnit.
func TestJUnitValidatesAgainstSchema(t *testing.T) {
	xmllint, err := exec.LookPath("xmllint")
	if err != nil {
		t.Skip("no xmllint on PATH (apt-get install libxml2-utils); .ci/run installs it")
	}
	dir := t.TempDir()
	var buf bytes.Buffer
	if err := WriteJUnit(&buf, batch(), 2*time.Second); err != nil {
		t.Fatal(err)
	}
	good := filepath.Join(dir, "report.xml")
	if err := os.WriteFile(good, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(xmllint, "--noout", "--schema", "testdata/junit.xsd", good).CombinedOutput(); err != nil {
		t.Fatalf("xmllint refuses the JUnit report: %v\n%s\n%s", err, out, buf.String())
	}
	bad := filepath.Join(dir, "bad.xml")
	// A testcase without a name, and a count that is not a number.
	if err := os.WriteFile(bad, []byte(`<testsuites><testsuite name="s" tests="many"><testcase classname="c"/></testsuite></testsuites>`), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(xmllint, "--noout", "--schema", "testdata/junit.xsd", bad).CombinedOutput(); err == nil {
		t.Fatalf("xmllint accepts a report that is not JUnit:\n%s", out)
	}
}
