package harness_test

import (
	"testing"

	"github.com/tgsim/tgsim/fakes/iotdata"
	"github.com/tgsim/tgsim/sim/harness"
)

func TestCoreCloudWiring(t *testing.T) {
	h, err := harness.Start(harness.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	if _, err := h.StartCore("g", ""); err != nil {
		t.Fatal(err)
	}
	if err := h.IoTData.Publish(iotdata.Message{Topic: "a/b", Payload: []byte("x"), QoS: 1, ClientID: "someone"}); err != nil {
		t.Fatal(err)
	}
	msgs := h.CloudMessages()
	if len(msgs) != 1 || msgs[0].Topic != "a/b" || string(msgs[0].Payload) != "x" {
		t.Fatalf("recorded %+v", msgs)
	}
	if err := h.Partition("nope", false); err == nil {
		t.Fatal("partition of a group without a core: no error")
	}
	if err := h.Partition("g", false); err != nil {
		t.Fatal(err)
	}
	if h.Core("g").CloudConnected() {
		t.Fatal("partitioned core reports connected")
	}
	// The partition outlives a restart, and heals.
	rc, err := h.RestartCore("g")
	if err != nil {
		t.Fatal(err)
	}
	if rc.CloudConnected() {
		t.Fatal("restarted core forgot its partition")
	}
	if err := h.Partition("g", true); err != nil {
		t.Fatal(err)
	}
	if !rc.CloudConnected() {
		t.Fatal("healed core reports disconnected")
	}
	if st := rc.CloudStats(); st.FromCloud != 0 {
		t.Fatalf("a core with no cloud subscription routed a cloud message: %+v", st)
	}
	if harness.CoreClientID("g") != "greengrass-core:g" {
		t.Fatal(harness.CoreClientID("g"))
	}
}
