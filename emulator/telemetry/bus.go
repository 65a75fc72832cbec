// Package telemetry is the event bus every part of slsx publishes to: the
// Lambda pools, the builders, the AWS services. The dashboard, the plain log
// printer and tests subscribe. Publishing never blocks: a subscriber that
// cannot keep up loses events (counted in Dropped) rather than stalling an
// invocation.
package telemetry

import (
	"context"
	"sync"
	"sync/atomic"
)

// DefaultBuffer is the per-subscriber channel size. 4096 events absorb a
// burst of about four seconds at 1,000 invocations a second before a slow
// subscriber starts to drop.
const DefaultBuffer = 4096

// Bus fans events out to subscribers.
type Bus struct {
	mu      sync.RWMutex
	subs    map[*sub]struct{}
	dropped atomic.Uint64
}

type sub struct {
	ch     chan Event
	closed bool
}

// New returns an empty bus.
func New() *Bus { return &Bus{subs: make(map[*sub]struct{})} }

// Publish sends e to every subscriber without blocking. A nil bus is valid
// and discards everything, so components can run without telemetry.
func (b *Bus) Publish(e Event) {
	if b == nil {
		return
	}
	b.mu.RLock()
	for s := range b.subs {
		select {
		case s.ch <- e:
		default:
			b.dropped.Add(1)
		}
	}
	b.mu.RUnlock()
}

// Subscribe returns a channel of events published from now on. The channel
// is closed when ctx is done.
func (b *Bus) Subscribe(ctx context.Context) <-chan Event {
	return b.SubscribeN(ctx, DefaultBuffer)
}

// SubscribeN is Subscribe with an explicit buffer size.
func (b *Bus) SubscribeN(ctx context.Context, buffer int) <-chan Event {
	s := &sub{ch: make(chan Event, buffer)}
	b.mu.Lock()
	b.subs[s] = struct{}{}
	b.mu.Unlock()
	go func() {
		<-ctx.Done()
		b.mu.Lock()
		delete(b.subs, s)
		close(s.ch)
		b.mu.Unlock()
	}()
	return s.ch
}

// Dropped reports how many events were discarded because a subscriber's
// buffer was full.
func (b *Bus) Dropped() uint64 { return b.dropped.Load() }
