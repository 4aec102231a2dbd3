package core

import (
	"sync"
	"sync/atomic"
)

// RouteKey is one route a message took: from a source, on a topic, to a
// target (a thing ARN, a function ARN, cloud or GGShadowService).
type RouteKey struct {
	Source, Topic, Target string
}

// routedCounts counts messages routed per RouteKey. A sync.Map of atomic
// counters: after a route's first message, counting is a lookup and an
// add, with no lock shared by the router's goroutines.
type routedCounts struct{ m sync.Map } // RouteKey → *atomic.Uint64

func (r *routedCounts) add(k RouteKey) {
	v, ok := r.m.Load(k)
	if !ok {
		v, _ = r.m.LoadOrStore(k, new(atomic.Uint64))
	}
	v.(*atomic.Uint64).Add(1)
}

// Routed returns how many messages the core handed to each target (a
// connected device's session, a function's queue, the cloud spool or the
// shadow service), per source and topic. Drops are in Drops.
func (c *Core) Routed() map[RouteKey]uint64 {
	out := map[RouteKey]uint64{}
	c.routed.m.Range(func(k, v any) bool {
		out[k.(RouteKey)] = v.(*atomic.Uint64).Load()
		return true
	})
	return out
}
