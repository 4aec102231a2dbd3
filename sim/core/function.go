package core

import (
	"context"
	"strings"
	"sync"
)

// hostedFunction runs one function: a goroutine hands it queued messages in
// arrival order.
type hostedFunction struct {
	arn    string
	fn     Function
	queue  chan Message
	cancel context.CancelFunc
	done   chan struct{}
	once   sync.Once
}

func startHosted(arn string, fn Function, queueSize int) *hostedFunction {
	ctx, cancel := context.WithCancel(context.Background())
	hf := &hostedFunction{arn: arn, fn: fn, queue: make(chan Message, queueSize), cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(hf.done)
		for {
			select {
			case <-ctx.Done():
				return
			case m := <-hf.queue:
				fn.Handle(ctx, m)
			}
		}
	}()
	return hf
}

// enqueue offers m without blocking; false means the queue is full.
func (hf *hostedFunction) enqueue(m Message) bool {
	select {
	case hf.queue <- m:
		return true
	default:
		return false
	}
}

func (hf *hostedFunction) close() error {
	var err error
	hf.once.Do(func() {
		hf.cancel()
		<-hf.done
		err = hf.fn.Close()
	})
	return err
}

// functionSet is the immutable set of functions of one deployment.
type functionSet struct {
	byARN map[string]*hostedFunction
}

func (fs *functionSet) closeAll() {
	for _, hf := range fs.byARN {
		_ = hf.close()
	}
}

// functionName extracts NAME from arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER].
func functionName(arn string) (string, bool) {
	_, rest, ok := strings.Cut(arn, ":function:")
	if !ok || !strings.HasPrefix(arn, "arn:") {
		return "", false
	}
	name, _, _ := strings.Cut(rest, ":")
	return name, name != ""
}

func isFunctionARN(s string) bool {
	_, ok := functionName(s)
	return ok
}
