package core

import (
	"slices"
	"testing"
)

func TestMatchFilter(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name          string
		filter, topic string
		want          bool
	}{
		{"exact", "a/b", "a/b", true},
		{"exact mismatch", "a/b", "a/c", false},
		{"plus one level", "a/+", "a/b", true},
		{"plus not two levels", "a/+", "a/b/c", false},
		{"plus middle", "a/+/c", "a/b/c", true},
		{"hash all", "#", "a/b/c", true},
		{"hash tail", "a/#", "a/b/c", true},
		{"hash matches parent", "a/#", "a", true},
		{"hash other root", "a/#", "b/c", false},
		{"plus empty level", "a/+", "a/", true},
		{"shorter topic", "a/b/c", "a/b", false},
		{"longer topic", "a/b", "a/b/c", false},
		{"dollar not by hash", "#", "$aws/things/x", false},
		{"dollar not by plus", "+/things/x", "$aws/things/x", false},
		{"dollar exact", "$aws/things/x", "$aws/things/x", true},
		{"dollar under literal", "$aws/#", "$aws/things/x", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := MatchFilter(tt.filter, tt.topic); got != tt.want {
				t.Errorf("MatchFilter(%q, %q) = %v, want %v", tt.filter, tt.topic, got, tt.want)
			}
		})
	}
}

func TestValidateFilter(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		filter  string
		wantErr bool
	}{
		{"plain", "a/b", false},
		{"hash", "a/#", false},
		{"plus", "+/b/+", false},
		{"empty", "", true},
		{"hash not last", "a/#/b", true},
		{"hash in level", "a/b#", true},
		{"plus in level", "a/b+/c", true},
		{"nul", "a/\x00", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := ValidateFilter(tt.filter)
			if (err != nil) != tt.wantErr {
				t.Errorf("ValidateFilter(%q) = %v, want error %v", tt.filter, err, tt.wantErr)
			}
		})
	}
}

func TestTableTargets(t *testing.T) {
	t.Parallel()
	const (
		sensor = "arn:aws:iot:us-east-1:000000000000:thing/Sensor"
		camera = "arn:aws:iot:us-east-1:000000000000:thing/Camera"
		fn     = "arn:aws:lambda:us-east-1:000000000000:function:ThingsGraphRuntime:1"
	)
	tab, err := NewTable([]Route{
		{ID: "1", Source: sensor, Subject: "Sensor/motion", Target: fn},
		{ID: "2", Source: fn, Subject: "Camera/capture", Target: camera},
		{ID: "3", Source: camera, Subject: "Camera/capture/+", Target: fn},
		{ID: "4", Source: camera, Subject: "Camera/capture/finished", Target: fn},
	}, []Device{{ThingName: "Sensor", ThingArn: sensor}, {ThingName: "Camera", ThingArn: camera}})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name          string
		source, topic string
		want          []string
	}{
		{"event to runtime", sensor, "Sensor/motion", []string{fn}},
		{"action to device", fn, "Camera/capture", []string{camera}},
		{"exact and wildcard deduplicated", camera, "Camera/capture/finished", []string{fn}},
		{"wildcard only", camera, "Camera/capture/other", []string{fn}},
		{"no route for topic", sensor, "Sensor/unlisted", nil},
		{"device never reaches device directly", sensor, "Camera/capture", nil},
		{"unknown source", "cloud", "Sensor/motion", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tab.Targets(tt.source, tt.topic); !slices.Equal(got, tt.want) {
				t.Errorf("Targets(%q, %q) = %v, want %v", tt.source, tt.topic, got, tt.want)
			}
		})
	}
	if arn, ok := tab.ThingArn("Camera"); !ok || arn != camera {
		t.Errorf("ThingArn(Camera) = %q, %v; want %q, true", arn, ok, camera)
	}
	if _, err := NewTable([]Route{{ID: "bad", Source: sensor, Subject: "a/#/b", Target: fn}}, nil); err == nil {
		t.Error("NewTable with subject a/#/b: want error, got nil")
	}
}

func FuzzMatchFilter(f *testing.F) {
	for _, s := range [][2]string{{"a/+", "a/b"}, {"#", "x"}, {"a/#", "a"}, {"+/+", "/"}, {"$x/#", "$x/y"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, filter, topic string) {
		if ValidateFilter(filter) != nil || ValidateTopic(topic) != nil {
			return
		}
		got := MatchFilter(filter, topic)
		if want := matchOracle(filter, topic); got != want {
			t.Errorf("MatchFilter(%q, %q) = %v, oracle says %v", filter, topic, got, want)
		}
	})
}

// matchOracle is a direct level-by-level reading of the MQTT matching rules,
// slower and simpler than MatchFilter.
func matchOracle(filter, topic string) bool {
	if len(topic) > 0 && topic[0] == '$' && len(filter) > 0 && (filter[0] == '+' || filter[0] == '#') {
		return false
	}
	fl := splitLevels(filter)
	tl := splitLevels(topic)
	for i, f := range fl {
		if f == "#" {
			return true
		}
		if i >= len(tl) {
			return false
		}
		if f != "+" && f != tl[i] {
			return false
		}
	}
	return len(fl) == len(tl)
}

func splitLevels(s string) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); i++ {
		if s[i] == '/' {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}
