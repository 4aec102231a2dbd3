package harness

import (
	"slices"
	"testing"

	"github.com/tgsim/tgsim/sim/core"
)

func TestAdvertisedAddr(t *testing.T) {
	for _, tc := range []struct {
		name, adv, listen, want, wantHost string
	}{
		{"none, loopback listener", "", "127.0.0.1:8883", "127.0.0.1:8883", ""},
		{"none, wildcard listener", "", "0.0.0.0:8883", "127.0.0.1:8883", ""},
		{"host takes the listener's port", "cloud", "0.0.0.0:8883", "cloud:8883", "cloud"},
		{"host and port kept", "cloud:18883", "0.0.0.0:8883", "cloud:18883", "cloud"},
		{"IPv6 host", "[fd00::1]", "[::]:8883", "[fd00::1]:8883", "fd00::1"},
		{"IPv6 host and port", "[fd00::1]:9", "[::]:8883", "[fd00::1]:9", "fd00::1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := advertisedAddr(tc.adv, tc.listen); got != tc.want {
				t.Errorf("advertisedAddr(%q, %q) = %q, want %q", tc.adv, tc.listen, got, tc.want)
			}
			if got := advertisedHost(tc.adv); got != tc.wantHost {
				t.Errorf("advertisedHost(%q) = %q, want %q", tc.adv, got, tc.wantHost)
			}
		})
	}
}

func TestCloudSubjects(t *testing.T) {
	table, err := core.NewTable([]core.Route{
		{ID: "1", Source: "cloud", Subject: "cmd/b", Target: "arn:aws:iot:us-east-1:000000000000:thing/B"},
		{ID: "2", Source: "cloud", Subject: "cmd/+", Target: "arn:aws:iot:us-east-1:000000000000:thing/A"},
		{ID: "3", Source: "cloud", Subject: "cmd/b", Target: "arn:aws:lambda:us-east-1:000000000000:function:f:1"},
		{ID: "4", Source: "arn:aws:iot:us-east-1:000000000000:thing/A", Subject: "up/a", Target: "cloud"},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		table *core.Table
		want  []string
	}{
		{"no table", nil, nil},
		{"distinct cloud-sourced subjects, sorted", table, []string{"cmd/+", "cmd/b"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := cloudSubjects(tc.table); !slices.Equal(got, tc.want) {
				t.Errorf("cloudSubjects = %q, want %q", got, tc.want)
			}
		})
	}
}
