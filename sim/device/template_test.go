package device

import (
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseTemplateErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, wantErr string
	}{
		{name: "unclosed", in: "a{{seq", wantErr: "offset 1: unclosed {{, expected }}"},
		{name: "empty placeholder", in: "x{{ }}", wantErr: "offset 1: {{}}: empty placeholder"},
		{name: "unknown name", in: "{{colour}}", wantErr: `unknown placeholder "colour", expected thing, index, seq, time, rand A B or state.KEY`},
		{name: "seq with argument", in: "{{seq 2}}", wantErr: "seq takes no arguments"},
		{name: "rand with one bound", in: "{{rand 1}}", wantErr: "rand takes two numbers, A and B, found 1 arguments"},
		{name: "rand not numbers", in: "{{rand a b}}", wantErr: `rand bounds "a" "b", expected two numbers`},
		{name: "rand reversed", in: "{{rand 5 1}}", wantErr: "expected finite A <= B"},
		{name: "rand NaN", in: "{{rand NaN 1}}", wantErr: "expected finite A <= B"},
		{name: "index width not padded", in: "{{index:4}}", wantErr: `index width "4", expected a zero-padded width`},
		{name: "index width too wide", in: "{{index:013}}", wantErr: "1 to 12 digits"},
		{name: "state without key", in: "{{state.}}", wantErr: "state takes a key"},
		{name: "offset counts earlier placeholders", in: "{{seq}}-{{nope}}", wantErr: "offset 8:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := ParseTemplate(tt.in)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseTemplate(%q) = %v, want error containing %q", tt.in, err, tt.wantErr)
			}
		})
	}
}

func TestTemplateValue(t *testing.T) {
	t.Parallel()
	at := time.UnixMilli(1700000000123)
	vars := Vars{Thing: "Sensor7", Index: 7, Seq: 3, Time: at, State: map[string]any{"on": true, "level": 4.5}}
	tests := []struct {
		name string
		in   string
		want any
	}{
		{name: "plain text", in: "hello", want: "hello"},
		{name: "empty", in: "", want: ""},
		{name: "thing in text", in: "https://x/{{thing}}/{{seq}}.jpg", want: "https://x/Sensor7/3.jpg"},
		{name: "lone seq keeps its type", in: "{{seq}}", want: 3},
		{name: "lone index", in: "{{index}}", want: 7},
		{name: "padded index is text", in: "{{index:04}}", want: "0007"},
		{name: "padded in a name", in: "Meter{{index:04}}", want: "Meter0007"},
		{name: "time in ms", in: "{{time}}", want: int64(1700000000123)},
		{name: "state boolean keeps its type", in: "{{state.on}}", want: true},
		{name: "state in text", in: "level={{state.level}}", want: "level=4.5"},
		{name: "missing state is null", in: "{{state.nope}}", want: nil},
		{name: "spaces inside braces", in: "{{ seq }}", want: 3},
		{name: "single braces are text", in: "{a}", want: "{a}"},
		{name: "rand with equal bounds", in: "{{rand 5 5}}", want: int64(5)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tm, err := ParseTemplate(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, tm.Value(vars)); diff != "" {
				t.Errorf("ParseTemplate(%q).Value() -want +got:\n%s", tt.in, diff)
			}
		})
	}
}

func TestTemplateRand(t *testing.T) {
	t.Parallel()
	ints, _ := ParseTemplate("{{rand 1 3}}")
	floats, _ := ParseTemplate("{{rand 0.5 0.75}}")
	r := rand.New(rand.NewPCG(1, 1))
	seen := map[int64]bool{}
	for range 200 {
		n := ints.Value(Vars{Rand: r}).(int64)
		if n < 1 || n > 3 {
			t.Fatalf("{{rand 1 3}} = %d, want 1..3", n)
		}
		seen[n] = true
		f := floats.Value(Vars{Rand: r}).(float64)
		if f < 0.5 || f > 0.75 {
			t.Fatalf("{{rand 0.5 0.75}} = %g, want 0.5..0.75", f)
		}
	}
	if len(seen) != 3 {
		t.Errorf("{{rand 1 3}} drew %v in 200 tries, want all of 1, 2, 3", seen)
	}
	// The same seed draws the same values.
	a := ints.Value(Vars{Rand: rand.New(rand.NewPCG(9, 9))})
	b := ints.Value(Vars{Rand: rand.New(rand.NewPCG(9, 9))})
	if a != b {
		t.Errorf("same seed drew %v and %v", a, b)
	}
}

func TestStatic(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]bool{"Sensor{{index:03}}": true, "{{thing}}": true, "x{{seq}}": false, "{{rand 1 2}}": false, "{{state.a}}": false, "{{time}}": false} {
		tm, err := ParseTemplate(in)
		if err != nil {
			t.Fatal(err)
		}
		if got := tm.Static(); got != want {
			t.Errorf("ParseTemplate(%q).Static() = %v, want %v", in, got, want)
		}
	}
}

func TestPayload(t *testing.T) {
	t.Parallel()
	p, err := ParsePayload(map[string]any{
		"sensor": "{{thing}}", "n": "{{seq}}", "on": "{{state.on}}", "fixed": 3,
		"list": []any{"a{{index}}", true},
	})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(p.Expand(Vars{Thing: "T1", Index: 1, Seq: 2, State: map[string]any{"on": false}}))
	want := `{"fixed":3,"list":["a1",true],"n":2,"on":false,"sensor":"T1"}`
	if string(got) != want {
		t.Errorf("Expand() = %s, want %s", got, want)
	}
	if got, _ := json.Marshal((*Payload)(nil).Expand(Vars{})); string(got) != "{}" {
		t.Errorf("nil payload expands to %s, want {}", got)
	}
	_, err = ParsePayload(map[string]any{"a": []any{"ok", "{{bad}}"}})
	if err == nil || !strings.Contains(err.Error(), "payload.a[1]: offset 0: {{bad}}") {
		t.Errorf("ParsePayload(bad nested) = %v, want the path payload.a[1]", err)
	}
}

// FuzzParseTemplate: parsing never panics, the source round-trips, and a
// parsed template always expands.
func FuzzParseTemplate(f *testing.F) {
	for _, s := range []string{"", "x", "{{seq}}", "{{index:04}}", "a{{rand 1 9}}b", "{{rand -1.5 2e3}}", "{{state.k}}", "{{", "}}", "{{{{}}}}", "{{index:0}}", "{{rand 1 1e400}}"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tm, err := ParseTemplate(s)
		if err != nil {
			return
		}
		if tm.String() != s {
			t.Fatalf("String() = %q, want %q", tm.String(), s)
		}
		again, err := ParseTemplate(tm.String())
		if err != nil {
			t.Fatalf("reparse of %q: %v", s, err)
		}
		v := Vars{Thing: "t", Index: 2, Seq: 1, State: map[string]any{"k": 1}, Rand: rand.New(rand.NewPCG(1, 1))}
		v2 := v
		v2.Rand = rand.New(rand.NewPCG(1, 1))
		if a, b := tm.Value(v), again.Value(v2); !cmp.Equal(a, b) {
			t.Fatalf("expansions differ after reparse: %v vs %v", a, b)
		}
	})
}
