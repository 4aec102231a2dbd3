package device

import (
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
			got, err := parseDiscovery("T", []byte(tt.body))
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
