package bench

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/tgsim/tgsim/sim/harness"
)

// TestRunRemote: a bench that reaches tgsim only over the network, with
// the group served by a standalone core: shard 0 creates the group, the
// core waits for it, the rooms deploy, the devices find the core through
// discovery, every event completes, and with CloudRoute the motion events
// reach AWS IoT Core through the core, in order per room.
func TestRunRemote(t *testing.T) {
	if testing.Short() {
		t.Skip("drives a real core for a second")
	}
	h, err := harness.Start(harness.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	type started struct {
		sc  *harness.StandaloneCore
		err error
	}
	coreUp := make(chan started, 1)
	go func() {
		sc, err := harness.StartStandaloneCore(ctx, harness.StandaloneCoreOptions{Group: "home", Endpoint: h.URL, AWS: h.AWS, MQTTAddr: "127.0.0.1:0"})
		coreUp <- started{sc, err}
	}()
	defer func() {
		if s := <-coreUp; s.err == nil {
			s.sc.Close()
		}
	}()
	res, err := RunRemote(ctx, Remote{Endpoint: h.URL, AWS: h.AWS, Group: "home", DiscoveryURL: h.DiscoveryURL, Prefix: "T", CloudRoute: true},
		Options{Rooms: 2, Rate: 40, Duration: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if res.Sent < 30 || res.Completed != res.Sent || res.Lost != 0 || res.Failed != 0 || res.PublishErrors != 0 {
		t.Fatalf("sent %d completed %d lost %d failed %d publish errors %d", res.Sent, res.Completed, res.Lost, res.Failed, res.PublishErrors)
	}
	if !strings.Contains(res.Table(), "not visible here") {
		t.Errorf("table of a remote run claims to know the core's drops:\n%s", res.Table())
	}
	// Every event of each room reached AWS IoT Core from the core, in
	// order (the spool drains within the bench's drain, but the last
	// PUBACKs may still be on their way: wait for them).
	deadline := time.Now().Add(10 * time.Second)
	for {
		seqs := map[string][]int{}
		total := 0
		for _, m := range h.CloudMessages() {
			if m.ClientID != harness.CoreClientID("home") {
				continue
			}
			var p struct{ Seq int }
			if err := json.Unmarshal(m.Payload, &p); err != nil {
				t.Fatalf("cloud message %s: %v", m.Payload, err)
			}
			seqs[m.Topic] = append(seqs[m.Topic], p.Seq)
			total++
		}
		if total >= res.Sent {
			if len(seqs) != 2 {
				t.Fatalf("cloud topics %v, want TRoom1Motion/motion and TRoom2Motion/motion", seqs)
			}
			for topic, s := range seqs {
				for i, v := range s {
					if v != i {
						t.Fatalf("%s: seqs %v, want 0, 1, 2, ... in order", topic, s)
					}
				}
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("AWS IoT Core got %d of %d motion events from the core", total, res.Sent)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestRunRemoteNeedsEndpointAndGroup(t *testing.T) {
	for _, r := range []Remote{{Group: "g"}, {Endpoint: "http://127.0.0.1:1"}} {
		if _, err := RunRemote(context.Background(), r, Options{}); err == nil || !strings.Contains(err.Error(), "an endpoint and a group") {
			t.Errorf("RunRemote(%+v) = %v, want the missing endpoint or group named", r, err)
		}
	}
}

func TestValidPrefix(t *testing.T) {
	for _, tc := range []struct {
		name, prefix, wantErr string
	}{
		{"letters and digits", "S0xabc1", ""},
		{"underscore", "_a_1", ""},
		{"leading digit", "1a", "position 1"},
		{"dash", "a-b", "position 2"},
		{"non-ASCII", "aé", "position 2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := validPrefix(tc.prefix)
			if (err == nil) != (tc.wantErr == "") || err != nil && !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("validPrefix(%q) = %v, want %q", tc.prefix, err, tc.wantErr)
			}
		})
	}
	if p := randomLetters(6); len(p) != 6 || validPrefix(p) != nil {
		t.Errorf("randomLetters(6) = %q", p)
	}
}
