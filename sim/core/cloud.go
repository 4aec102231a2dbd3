package core

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/mochi-mqtt/server/v2/packets"
)

// CloudTarget is the subscription source and target that stands for AWS IoT
// Core (AWS: Greengrass v1 developer guide, "Managed subscriptions in the
// MQTT messaging workflow": a subscription's source or target may be
// "cloud").
const CloudTarget = "cloud"

// DefaultSpoolBytes is the default size of the core's MQTT message queue
// for cloud targets: 2.5 MB (AWS: Greengrass v1 developer guide, gg-core.html,
// "MQTT message queue for cloud targets", GG_CONFIG_MAX_SIZE_BYTES default
// 2621440).
const DefaultSpoolBytes = 2621440

// Drop reasons of the cloud route.
const (
	DropSpoolFull          = "spool full"
	DropCloudPublishFailed = "cloud publish failed"
	DropNoCloud            = "no cloud connection configured"
)

// CloudPublisher publishes to AWS IoT Core as the core's identity.
type CloudPublisher interface {
	Publish(ctx context.Context, topic string, payload []byte) error
}

// CloudFunc adapts a function to CloudPublisher.
type CloudFunc func(ctx context.Context, topic string, payload []byte) error

// Publish calls f.
func (f CloudFunc) Publish(ctx context.Context, topic string, payload []byte) error {
	return f(ctx, topic, payload)
}

// CloudStats are the counters of the core's cloud route.
type CloudStats struct {
	// Connected is whether the core reaches AWS IoT Core (SetCloudConnected).
	Connected bool
	// Queued and QueuedBytes are what waits in the spool now.
	Queued      int
	QueuedBytes int
	// Spooled counts messages accepted into the spool; Published those
	// AWS IoT Core accepted; Failed those it refused (each also a drop,
	// DropCloudPublishFailed); SpoolFull those refused because the spool
	// was full (each a drop, DropSpoolFull).
	Spooled, Published, Failed, SpoolFull uint64
	// LastError is the last error Publish returned.
	LastError string
	// FromCloud counts messages from AWS IoT Core the core routed
	// (DeliverFromCloud with a matching cloud-sourced subscription).
	FromCloud uint64
}

// spooled is one cloud-bound message waiting in the spool.
type spooled struct {
	source, topic string
	payload       []byte
}

func (m spooled) size() int { return len(m.topic) + len(m.payload) }

// cloudSpool is the core's MQTT message queue for cloud targets: a FIFO in
// memory, bounded in bytes, drained in order by one goroutine while the
// core is connected.
//
// Greengrass v1 behaviours modelled (AWS: Greengrass v1 developer guide,
// gg-core.html, "MQTT message queue for cloud targets"): messages for
// cloud targets wait in a FIFO queue and are removed once published to
// AWS IoT Core; the queue is in memory by default and bounded by
// GG_CONFIG_MAX_SIZE_BYTES (default 2.5 MB); a message that does not fit
// is rejected (the new one is dropped, the queued ones are kept).
//
// [INF] QoS 0 and QoS 1 messages are both spooled (the simulator does
// not distinguish them on the cloud route). [INF] A Publish that AWS IoT
// Core refuses (not authorized, over a limit) is counted as a drop with
// the error logged and the message is not retried: the refusal would
// repeat. A partition is not a failure: while disconnected nothing is
// attempted. [INF] The spool is in memory: a restarted core starts empty
// (Greengrass's FileSystem storage type is not modelled).
type cloudSpool struct {
	c   *Core
	pub CloudPublisher
	max int

	mu        sync.Mutex
	queue     []spooled
	bytes     int
	connected bool
	lastErr   string
	wake      chan struct{} // buffered(1): something changed

	spooledN, published, failed, full, fromCloud atomic.Uint64

	stop context.CancelFunc
	done chan struct{}
}

func newCloudSpool(c *Core, pub CloudPublisher, max int) *cloudSpool {
	ctx, cancel := context.WithCancel(context.Background())
	s := &cloudSpool{c: c, pub: pub, max: max, connected: true, wake: make(chan struct{}, 1), stop: cancel, done: make(chan struct{})}
	go s.run(ctx)
	return s
}

func (s *cloudSpool) signal() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// enqueue offers a message; false means the spool is full.
func (s *cloudSpool) enqueue(m spooled) bool {
	s.mu.Lock()
	if s.bytes+m.size() > s.max {
		s.mu.Unlock()
		s.full.Add(1)
		return false
	}
	s.queue = append(s.queue, m)
	s.bytes += m.size()
	s.mu.Unlock()
	s.spooledN.Add(1)
	s.signal()
	return true
}

func (s *cloudSpool) setConnected(v bool) {
	s.mu.Lock()
	s.connected = v
	s.mu.Unlock()
	s.signal()
}

func (s *cloudSpool) isConnected() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.connected
}

// next pops the head of the queue when connected.
func (s *cloudSpool) next() (spooled, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.connected || len(s.queue) == 0 {
		return spooled{}, false
	}
	m := s.queue[0]
	s.queue[0] = spooled{}
	s.queue = s.queue[1:]
	s.bytes -= m.size()
	return m, true
}

func (s *cloudSpool) run(ctx context.Context) {
	defer close(s.done)
	for {
		for {
			m, ok := s.next()
			if !ok {
				break
			}
			if err := s.pub.Publish(ctx, m.topic, m.payload); err != nil {
				if ctx.Err() != nil {
					return
				}
				s.failed.Add(1)
				s.mu.Lock()
				s.lastErr = err.Error()
				s.mu.Unlock()
				s.c.log.Warn("cloud publish failed", "topic", m.topic, "error", err)
				s.c.drop(DropKey{Source: m.source, Topic: m.topic, Target: CloudTarget, Reason: DropCloudPublishFailed})
				continue
			}
			s.published.Add(1)
		}
		select {
		case <-ctx.Done():
			return
		case <-s.wake:
		}
	}
}

func (s *cloudSpool) close() {
	s.stop()
	<-s.done
}

func (s *cloudSpool) stats() CloudStats {
	s.mu.Lock()
	st := CloudStats{Connected: s.connected, Queued: len(s.queue), QueuedBytes: s.bytes, LastError: s.lastErr}
	s.mu.Unlock()
	st.Spooled, st.Published, st.Failed, st.SpoolFull = s.spooledN.Load(), s.published.Load(), s.failed.Load(), s.full.Load()
	st.FromCloud = s.fromCloud.Load()
	return st
}

// SetCloudConnected partitions the core from AWS IoT Core (false) or heals
// the partition (true). While disconnected, cloud-bound messages stay in
// the spool (until it is full) and messages from the cloud do not reach
// the core; on heal the spool drains in order. A core starts connected.
func (c *Core) SetCloudConnected(connected bool) {
	if c.cloud != nil {
		c.cloud.setConnected(connected)
	} else {
		c.cloudDown.Store(!connected)
	}
}

// CloudConnected reports whether the core reaches AWS IoT Core.
func (c *Core) CloudConnected() bool {
	if c.cloud != nil {
		return c.cloud.isConnected()
	}
	return !c.cloudDown.Load()
}

// CloudStats returns the counters of the cloud route.
func (c *Core) CloudStats() CloudStats {
	if c.cloud == nil {
		return CloudStats{Connected: !c.cloudDown.Load()}
	}
	return c.cloud.stats()
}

// DeliverFromCloud hands the core a message AWS IoT Core accepted on
// topic. The core routes it with source "cloud" when it is connected and
// a subscription with source cloud matches the topic (those subscriptions'
// subjects are what a Greengrass v1 core subscribes to in AWS IoT Core);
// otherwise the core never received it and nothing is counted. It does not
// block on the targets.
func (c *Core) DeliverFromCloud(topic string, payload []byte) {
	if !c.CloudConnected() {
		return
	}
	if len(c.table.Load().Targets(CloudTarget, topic)) == 0 {
		return
	}
	if c.cloud != nil {
		c.cloud.fromCloud.Add(1)
	}
	c.route(CloudTarget, packets.Packet{
		FixedHeader: packets.FixedHeader{Type: packets.Publish, Qos: 1},
		TopicName:   topic,
		Payload:     append([]byte(nil), payload...),
		Origin:      CloudTarget,
	})
}
