package core

import (
	"errors"
	"log/slog"
	"net"
	"runtime/debug"
	"sync"
	"sync/atomic"

	"github.com/mochi-mqtt/server/v2/listeners"
)

// safeListener is a mochi listener that contains a panic to the one
// connection that caused it. mochi's connection goroutines do not recover
// panics (mochi-mqtt/server issue 501: a truncated MQTT 5 SUBSCRIBE ends
// the whole process); mochi runs a connection's read loop inside the
// listener's establish call, so recovering around that call keeps every
// other client served. mochi's own deferred cleanup for the connection
// runs while the panic unwinds.
type safeListener struct {
	id     string
	ln     net.Listener
	log    *slog.Logger
	panics *atomic.Uint64
	// onPanic, when set, is called after a contained panic is counted.
	onPanic func()
	wg      sync.WaitGroup
	closed  atomic.Bool
}

var _ listeners.Listener = (*safeListener)(nil)

func (l *safeListener) ID() string       { return l.id }
func (l *safeListener) Address() string  { return l.ln.Addr().String() }
func (l *safeListener) Protocol() string { return "tcp" }

func (l *safeListener) Init(log *slog.Logger) error {
	if log != nil && l.log == nil {
		l.log = log
	}
	return nil
}

// Serve accepts connections until the listener closes.
func (l *safeListener) Serve(establish listeners.EstablishFn) {
	for {
		conn, err := l.ln.Accept()
		if err != nil {
			if l.closed.Load() || errors.Is(err, net.ErrClosed) {
				return
			}
			l.log.Warn("accept failed", "error", err)
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
						"remote", conn.RemoteAddr().String(), "panic", r, "stack", string(debug.Stack()))
					conn.Close()
				}
			}()
			if err := establish(l.id, conn); err != nil {
				l.log.Debug("connection ended", "remote", conn.RemoteAddr().String(), "error", err)
			}
		}()
	}
}

// Close stops accepting and closes the clients through mochi.
func (l *safeListener) Close(closeClients listeners.CloseFn) {
	l.closed.Store(true)
	l.ln.Close()
	closeClients(l.id)
}
