package scenario

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const fleetBase = `apiVersion: tgsim/v1
name: fleet
setup:
  greengrassGroups: [g]
fleets:
  - name: sensors
    thing: "S{{index:03}}"
    count: 3
    device: urn:tdm:aws/examples:Device:HCSR501MotionSensor
    greengrassGroup: g
    behaviour:
      emit: {event: StateChanged, schedule: fixed, rate: 2, count: 4, payload: {n: "{{seq}}"}}
      actions:
        capture: {latency: {distribution: uniform, mean: 10ms, jitter: 5ms}, failureRate: 0.5}
steps:
  - load: {fleet: sensors}
expect:
  fleets: [{fleet: sensors, lost: 0}]
`

func TestParseFleets(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		old     string // replaced in fleetBase by new
		new     string
		wantErr string // "" means valid
	}{
		{name: "valid"},
		{name: "zero count names its line", old: "count: 3", new: "count: 0", wantErr: "line 8: fleets[0].count: 0, expected at least 1"},
		{name: "pattern without index", old: `"S{{index:03}}"`, new: "S", wantErr: `line 7: fleets[0].thing: "S" names every device alike, expected {{index}} or {{index:0N}} in it`},
		{name: "per-message variable in a name", old: `"S{{index:03}}"`, new: `"S{{index}}-{{seq}}"`, wantErr: "only {{index}} and {{index:0N}} may appear in a name pattern"},
		{name: "bad pattern", old: `"S{{index:03}}"`, new: `"S{{index:3}}"`, wantErr: `line 7: fleets[0].thing: offset 1: {{index:3}}: index width "3"`},
		{name: "unknown group", old: "greengrassGroup: g", new: "greengrassGroup: h", wantErr: `line 10: fleets[0].greengrassGroup: "h" is not listed in setup.greengrassGroups`},
		{name: "missing group points at the fleet", old: "    greengrassGroup: g\n", new: "", wantErr: `line 6: fleets[0].greengrassGroup: "" is not listed`},
		{name: "bad schedule", old: "schedule: fixed", new: "schedule: gauss", wantErr: `line 12: fleets[0].behaviour.emit: schedule: "gauss", expected fixed, poisson or bursts`},
		{name: "zero rate", old: "rate: 2", new: "rate: 0", wantErr: "line 12: fleets[0].behaviour.emit: rate: 0, expected events per second per device > 0"},
		{name: "endless", old: "count: 4, ", new: "", wantErr: "count or duration: one is required"},
		{name: "burst on fixed", old: "rate: 2,", new: "rate: 2, burst: {size: 2, every: 1s},", wantErr: "line 12: fleets[0].behaviour.emit.burst: only the bursts schedule takes a burst"},
		{name: "bursts", old: "schedule: fixed, rate: 2,", new: "schedule: bursts, burst: {size: 2, every: 1s},"},
		{name: "bad payload template", old: `n: "{{seq}}"`, new: `n: "{{sequence}}"`, wantErr: `line 12: fleets[0].behaviour.emit.payload: payload.n: offset 0: {{sequence}}: unknown placeholder "sequence"`},
		{name: "failure rate over 1", old: "failureRate: 0.5", new: "failureRate: 1.5", wantErr: "line 14: fleets[0].behaviour.actions.capture.failureRate: 1.5, expected a fraction from 0 to 1"},
		{name: "bad latency", old: "distribution: uniform", new: "distribution: zipf", wantErr: `line 14: fleets[0].behaviour.actions.capture.latency: distribution: "zipf"`},
		{name: "load of an unknown fleet", old: "load: {fleet: sensors}", new: "load: {fleet: nope}", wantErr: `line 16: steps[0].load.fleet: "nope" is not listed in fleets`},
		{name: "expect of an unknown fleet", old: "fleets: [{fleet: sensors, lost: 0}]", new: "fleets: [{fleet: nope}]", wantErr: `line 18: expect.fleets[0].fleet: "nope" is not listed in fleets`},
		{name: "unknown key", old: "count: 3", new: "count: 3\n    colour: red", wantErr: "field colour not found"},
		{name: "disconnect a fraction", old: "  - load: {fleet: sensors}\n", new: "  - disconnect: {fleet: sensors, fraction: 0.5}\n  - load: {fleet: sensors}\n  - reconnect: {fleet: sensors}\n"},
		{name: "disconnect an unknown fleet", old: "  - load: {fleet: sensors}\n", new: "  - disconnect: {fleet: nope}\n", wantErr: `steps[0].disconnect.fleet: "nope" is not listed in fleets`},
		{name: "disconnect a thing and a fleet", old: "  - load: {fleet: sensors}\n", new: "  - disconnect: {fleet: sensors, thing: S001}\n", wantErr: "steps[0].disconnect: exactly one of thing, fleet must be set"},
		{name: "fraction over 1", old: "  - load: {fleet: sensors}\n", new: "  - disconnect: {fleet: sensors, fraction: 1.5}\n", wantErr: "steps[0].disconnect.fraction: 1.5, expected a number in (0, 1]"},
		{name: "reconnect takes no fraction", old: "  - load: {fleet: sensors}\n", new: "  - reconnect: {fleet: sensors, fraction: 0.5}\n", wantErr: "steps[0].reconnect.fraction: 0.5"},
		{name: "name clash with setup.things", old: "greengrassGroups: [g]", new: "greengrassGroups: [g]\n  things: [{name: S001}]", wantErr: `"S001" is also in setup.things`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			in := fleetBase
			if tt.old != "" {
				if !strings.Contains(in, tt.old) {
					t.Fatalf("%q is not in the base", tt.old)
				}
				in = strings.Replace(in, tt.old, tt.new, 1)
			}
			_, err := Parse([]byte(in))
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("Parse() = %v, want success", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("Parse() = %v, want error containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestKeyLines(t *testing.T) {
	t.Parallel()
	got := keyLines([]byte("a: 1\nb:\n  - x: 2\n    y: [3]\n"))
	want := map[string]int{"a": 1, "b": 2, "b[0]": 3, "b[0].x": 3, "b[0].y": 4, "b[0].y[0]": 4}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("keyLines() -want +got:\n%s", diff)
	}
	if got := keyLines([]byte("{{{")); got != nil {
		t.Errorf("keyLines(bad YAML) = %v, want nil", got)
	}
}

// FuzzParseFleets: Parse (with keyLines and the fleet validation) never
// panics on a mutated fleet scenario.
func FuzzParseFleets(f *testing.F) {
	f.Add(fleetBase)
	f.Add(strings.Replace(fleetBase, "schedule: fixed, rate: 2,", "schedule: bursts, burst: {size: 2, every: 1s},", 1))
	f.Add("fleets: [{thing: '{{', count: -1}]\n")
	f.Fuzz(func(t *testing.T, s string) {
		_, _ = Parse([]byte(s))
	})
}
