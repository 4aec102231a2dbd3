package scenario

import (
	"strings"
	"testing"
	"time"

	awsv1 "github.com/aws/aws-sdk-go/aws"
	"github.com/aws/aws-sdk-go/service/iotthingsgraph"
)

func TestMatchOutput(t *testing.T) {
	out := &iotthingsgraph.SearchEntitiesOutput{Descriptions: []*iotthingsgraph.EntityDescription{
		{Id: awsv1.String("urn:tdm:us-east-1/000000000000/default:device:Lamp"), Type: awsv1.String("DEVICE"), CreatedAt: awsv1.Time(time.Unix(0, 0))},
	}}
	empty := &iotthingsgraph.SearchEntitiesOutput{}
	for _, tc := range []struct {
		name   string
		want   any
		output any
		diff   string // "" when it must match; else a fragment of the difference
	}{
		{"camelCase names a PascalCase member", map[string]any{"descriptions": []any{map[string]any{"id": "urn:tdm:us-east-1/000000000000/default:device:Lamp"}}}, out, ""},
		{"unnamed members are ignored", map[string]any{"Descriptions": []any{map[string]any{"type": "DEVICE"}}}, out, ""},
		{"a different value", map[string]any{"descriptions": []any{map[string]any{"type": "FLOW"}}}, out, `output.Descriptions[0].Type: "DEVICE", want "FLOW"`},
		{"a list's length counts", map[string]any{"descriptions": []any{}}, out, "output.Descriptions: 1 elements, want 0"},
		{"an empty list matches an absent member", map[string]any{"descriptions": []any{}}, empty, ""},
		{"an absent member names the others", map[string]any{"nextToken": "x"}, out, "output.nextToken: absent (members: Descriptions)"},
		{"types count: a string is not a number", map[string]any{"descriptions": []any{map[string]any{"type": 1}}}, out, `output.Descriptions[0].Type: "DEVICE", want 1`},
		{"an object where a list is", map[string]any{"descriptions": map[string]any{"id": "x"}}, out, "want an object"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := matchOutput(tc.want, tc.output)
			if tc.diff == "" && d != "" {
				t.Fatalf("matchOutput = %q, want a match", d)
			}
			if tc.diff != "" && !strings.Contains(d, tc.diff) {
				t.Fatalf("matchOutput = %q, want it to contain %q", d, tc.diff)
			}
		})
	}
}

func TestIsSubsequence(t *testing.T) {
	got := []string{"A", "B", "C", "B", "D"}
	for _, tc := range []struct {
		want []string
		ok   bool
	}{
		{nil, true},
		{[]string{"A", "D"}, true},
		{[]string{"B", "B"}, true},
		{[]string{"D", "A"}, false},
		{[]string{"B", "B", "B"}, false},
		{[]string{"E"}, false},
	} {
		if isSubsequence(tc.want, got) != tc.ok {
			t.Errorf("isSubsequence(%v) = %v, want %v", tc.want, !tc.ok, tc.ok)
		}
	}
}

func TestSpeedSlack(t *testing.T) {
	for _, tc := range []struct {
		slack     float64
		lat       time.Duration
		rate      float64
		relaxNote bool
	}{
		{0, 100 * time.Millisecond, 50, false},
		{1, 100 * time.Millisecond, 50, false},
		{5, 500 * time.Millisecond, 10, true},
	} {
		r := &runner{opts: Options{SpeedSlack: tc.slack}}
		if got := r.latencyBound(Duration(100 * time.Millisecond)); got != tc.lat {
			t.Errorf("slack %v: latency bound %s, want %s", tc.slack, got, tc.lat)
		}
		if got := r.rateBound(50); got != tc.rate {
			t.Errorf("slack %v: rate bound %v, want %v", tc.slack, got, tc.rate)
		}
		if _, note := r.slack(); (note != "") != tc.relaxNote {
			t.Errorf("slack %v: note %q", tc.slack, note)
		}
	}
}
