package harness

import (
	"context"
	"fmt"

	"github.com/tgsim/tgsim/fakes/iotdata"
	"github.com/tgsim/tgsim/sim/core"
)

// maxCloudMessages bounds the kept record of what AWS IoT Core accepted.
const maxCloudMessages = 100000

// CoreClientID is the identity a group's core publishes to AWS IoT Core
// with (iotdata.Message ClientID and Principal).
func CoreClientID(group string) string { return "greengrass-core:" + group }

// corePublisher is a core's connection to AWS IoT Core: its cloud-bound
// messages enter the data plane as QoS 1 publishes by the core's identity
// (the rules engine and subscribers see them as any other publish).
func (h *Harness) corePublisher(group string) core.CloudPublisher {
	id := CoreClientID(group)
	return core.CloudFunc(func(_ context.Context, topic string, payload []byte) error {
		return h.IoTData.Publish(iotdata.Message{Topic: topic, Payload: payload, QoS: 1, ClientID: id, Principal: id})
	})
}

// fromCloud is the data plane's second consumer (after the rules engine):
// it records the message and hands it to every running core but the one
// that published it; a core routes it only where a subscription with
// source "cloud" matches (DeliverFromCloud). Called from the publisher's
// goroutine: it must not block.
func (h *Harness) fromCloud(m iotdata.Message) {
	rec := m
	rec.Payload = append([]byte(nil), m.Payload...)
	h.cloudMu.Lock()
	// A ring once full: the oldest record is overwritten in place, not
	// shifted out on every message.
	if len(h.cloudMsgs) < maxCloudMessages {
		h.cloudMsgs = append(h.cloudMsgs, rec)
	} else {
		h.cloudMsgs[h.cloudNext] = rec
		h.cloudNext = (h.cloudNext + 1) % maxCloudMessages
	}
	h.cloudMu.Unlock()
	h.mu.Lock()
	cores := make([]*RunningCore, 0, len(h.cores))
	for _, rc := range h.cores {
		cores = append(cores, rc)
	}
	h.mu.Unlock()
	for _, rc := range cores {
		if m.ClientID == CoreClientID(rc.Group) {
			continue
		}
		rc.DeliverFromCloud(m.Topic, rec.Payload)
	}
}

// CloudMessages returns the messages AWS IoT Core's data plane accepted
// (MQTT clients, the Publish API, republish actions and cores' cloud
// routes), oldest first; the most recent 100000 are kept.
func (h *Harness) CloudMessages() []iotdata.Message {
	h.cloudMu.Lock()
	defer h.cloudMu.Unlock()
	out := make([]iotdata.Message, 0, len(h.cloudMsgs))
	out = append(out, h.cloudMsgs[h.cloudNext:]...)
	return append(out, h.cloudMsgs[:h.cloudNext]...)
}

// Partition cuts a group's core off from AWS IoT Core (connected false) or
// heals the cut (true): while cut, the core spools its cloud-bound
// messages and receives nothing from the cloud; on heal the spool drains
// in order. The state outlives a core restart. The group's core must run.
func (h *Harness) Partition(group string, connected bool) error {
	h.cloudMu.Lock()
	if h.partitioned == nil {
		h.partitioned = map[string]bool{}
	}
	h.partitioned[group] = !connected
	h.cloudMu.Unlock()
	rc := h.Core(group)
	if rc == nil {
		return fmt.Errorf("harness: no core runs for group %q", group)
	}
	rc.SetCloudConnected(connected)
	return nil
}

func (h *Harness) isPartitioned(group string) bool {
	h.cloudMu.Lock()
	defer h.cloudMu.Unlock()
	return h.partitioned[group]
}
