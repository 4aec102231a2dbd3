package device

import (
	"errors"
	"net"
	"strings"
	"testing"
)

func TestParseDiscovery(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, body, wantBroker, wantErr string
	}{
		{name: "first reachable core", body: `{"GGGroups":[{"GGGroupId":"g1","Cores":[{"thingArn":"a","Connectivity":[{"hostAddress":"","portNumber":0},{"hostAddress":"127.0.0.1","portNumber":8883}]}],"CAs":[]}]}`, wantBroker: "127.0.0.1:8883"},
		{name: "IPv6 host", body: `{"GGGroups":[{"GGGroupId":"g1","Cores":[{"Connectivity":[{"hostAddress":"::1","portNumber":9000}]}]}]}`, wantBroker: "[::1]:9000"},
		{name: "no core with connectivity", body: `{"GGGroups":[{"GGGroupId":"g1","Cores":[{"Connectivity":[]}]}]}`, wantErr: "no group with a reachable core"},
		{name: "not JSON", body: `<html>`, wantErr: "answer is not the discovery document"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := parseDiscovery("T", []byte(tt.body), "")
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("parseDiscovery() = %v, want error %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got.Broker != tt.wantBroker || got.GroupID != "g1" {
				t.Errorf("parseDiscovery() = %+v, %v, want broker %s in g1", got, err, tt.wantBroker)
			}
		})
	}
}

// TestParseDiscoveryGroup: asked for one group, the answer's other groups
// do not count, and a group missing from it is ErrNotDiscovered.
func TestParseDiscoveryGroup(t *testing.T) {
	t.Parallel()
	const ca = "-----BEGIN CERTIFICATE-----\nnot base64 but skipped\n-----END CERTIFICATE-----\n"
	for _, tc := range []struct {
		name, body, wantAddr, wantHost, wantErr string
		notDiscovered                           bool
	}{
		{name: "first address of the group's core", body: `{"GGGroups":[{"GGGroupId":"other","Cores":[{"Connectivity":[{"hostAddress":"x","portNumber":1}]}]},
			{"GGGroupId":"g","Cores":[{"thingArn":"a","Connectivity":[{"hostAddress":"","portNumber":1},{"hostAddress":"core","portNumber":8884}]}],"CAs":["` + strings.ReplaceAll(ca, "\n", `\n`) + `"]}]}`, wantAddr: "core:8884", wantHost: "core"},
		{name: "IPv6 address", body: `{"GGGroups":[{"GGGroupId":"g","Cores":[{"Connectivity":[{"hostAddress":"fd00::1","portNumber":8884}]}]}]}`, wantAddr: "[fd00::1]:8884", wantHost: "fd00::1"},
		{name: "port out of range", body: `{"GGGroups":[{"GGGroupId":"g","Cores":[{"Connectivity":[{"hostAddress":"core","portNumber":70000}]}]}]}`, wantErr: "group g lists no core address"},
		{name: "not the group", body: `{"GGGroups":[{"GGGroupId":"other","Cores":[{"Connectivity":[{"hostAddress":"x","portNumber":1}]}]}]}`, wantErr: "no deployed version of the group", notDiscovered: true},
		{name: "not JSON", body: `<html>`, wantErr: "answer is not the discovery document"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseDiscovery("T", []byte(tc.body), "g")
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || errors.Is(err, ErrNotDiscovered) != tc.notDiscovered {
					t.Errorf("parseDiscovery = %+v, %v; want error %q (ErrNotDiscovered: %v)", got, err, tc.wantErr, tc.notDiscovered)
				}
				return
			}
			if err != nil || got.Broker != tc.wantAddr || got.Host != tc.wantHost || got.GroupID != "g" {
				t.Errorf("parseDiscovery = %+v, %v; want %s", got, err, tc.wantAddr)
			}
		})
	}
}

// FuzzParseDiscovery: any answer parses or fails cleanly; an address it
// returns is a host:port with roots.
func FuzzParseDiscovery(f *testing.F) {
	f.Add([]byte(`{"GGGroups":[{"GGGroupId":"g","Cores":[{"Connectivity":[{"hostAddress":"core","portNumber":8884}]}],"CAs":["x"]}]}`), "g")
	f.Add([]byte(`{"GGGroups":null}`), "")
	f.Add([]byte(`{`), "g")
	f.Fuzz(func(t *testing.T, body []byte, group string) {
		got, err := parseDiscovery("T", body, group)
		if err != nil {
			return
		}
		if host, _, herr := net.SplitHostPort(got.Broker); herr != nil || host != got.Host || got.Roots == nil {
			t.Fatalf("parseDiscovery(%q, %q) = %+v with no error", body, group, got)
		}
	})
}
