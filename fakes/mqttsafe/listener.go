// Package mqttsafe holds a mochi-mqtt listener that contains a panic to the
// one connection that caused it.
//
// mochi's connection goroutines do not recover panics (mochi-mqtt/server
// issue 501: a truncated MQTT 5 SUBSCRIBE ends the whole process). mochi
// runs a connection's read loop inside the listener's establish call, so
// recovering around that call keeps every other client served; mochi's own
// deferred cleanup for the connection runs while the panic unwinds. Both the
// Greengrass core (sim/core) and the AWS IoT data plane (fakes/iotdata)
// serve MQTT through it.
package mqttsafe

import (
	"errors"
	"log/slog"
	"net"
	"runtime/debug"
	"sync"
	"sync/atomic"

	"github.com/mochi-mqtt/server/v2/listeners"
)

// Options configures a Listener.
type Options struct {
	// Logger receives accept failures and contained panics. Nil takes the
	// logger mochi passes to Init, or discards.
	Logger *slog.Logger
	// OnPanic, when set, is called after a contained panic is counted.
	OnPanic func()
}

// Listener is a mochi listener over a net.Listener (plain TCP or a
// tls.Listener) that recovers a panic in one connection's handling, closes
// that connection and keeps serving the others.
type Listener struct {
	id      string
	ln      net.Listener
	log     *slog.Logger
	onPanic func()
	panics  atomic.Uint64
	wg      sync.WaitGroup
	closed  atomic.Bool
}

var _ listeners.Listener = (*Listener)(nil)

// New wraps ln as the mochi listener id.
func New(id string, ln net.Listener, opts Options) *Listener {
	return &Listener{id: id, ln: ln, log: opts.Logger, onPanic: opts.OnPanic}
}

// ID is the listener id mochi knows it by.
func (l *Listener) ID() string { return l.id }

// Address is the address the listener accepts on.
func (l *Listener) Address() string { return l.ln.Addr().String() }

// Protocol is "tcp".
func (l *Listener) Protocol() string { return "tcp" }

// Panics is how many connections panicked and were contained.
func (l *Listener) Panics() uint64 { return l.panics.Load() }

// Init takes mochi's logger when Options.Logger was nil.
func (l *Listener) Init(log *slog.Logger) error {
	if l.log == nil {
		l.log = log
	}
	if l.log == nil {
		l.log = slog.New(slog.DiscardHandler)
	}
	return nil
}

// Serve accepts connections until the listener closes.
func (l *Listener) Serve(establish listeners.EstablishFn) {
	if l.log == nil {
		l.log = slog.New(slog.DiscardHandler)
	}
	for {
		conn, err := l.ln.Accept()
		if err != nil {
			if l.closed.Load() || errors.Is(err, net.ErrClosed) {
				return
			}
			l.log.Warn("accept failed", "listener", l.id, "error", err)
			continue
		}
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			defer func() {
				if r := recover(); r != nil {
					l.panics.Add(1)
					if l.onPanic != nil {
						l.onPanic()
					}
					l.log.Error("connection panicked; closed it, the broker keeps serving",
						"listener", l.id, "remote", conn.RemoteAddr().String(), "panic", r, "stack", string(debug.Stack()))
					conn.Close()
				}
			}()
			if err := establish(l.id, conn); err != nil {
				l.log.Debug("connection ended", "listener", l.id, "remote", conn.RemoteAddr().String(), "error", err)
			}
		}()
	}
}

// Close stops accepting and closes the clients through mochi.
func (l *Listener) Close(closeClients listeners.CloseFn) {
	l.closed.Store(true)
	l.ln.Close()
	closeClients(l.id)
}
