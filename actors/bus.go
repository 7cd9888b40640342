package actors

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/vigil-monitor/vigil/media/detect"
)

// EventKind tells a defect from a lifecycle change.
type EventKind int

const (
	// DefectEvent carries the start or end of a defect.
	DefectEvent EventKind = iota
	// StateEvent carries a stream's change of State.
	StateEvent
)

// Event is what a node publishes about its streams.
type Event struct {
	// Kind says which of Defect or State is set.
	Kind EventKind
	// Stream is the stream id.
	Stream string
	// Node is the name of the node that observed the event.
	Node string
	// Epoch is the stream's ownership epoch on that node.
	Epoch uint64
	// Labels are the stream's labels.
	Labels map[string]string
	// At is the wall-clock time the node observed the event.
	At time.Time
	// Defect is the defect start or end (Kind == DefectEvent).
	Defect detect.Event
	// State is the stream's new state (Kind == StateEvent).
	State State
	// Err explains a Retrying or failed Stopped state.
	Err string
}

// ErrClosed is returned by Subscription.Next once the subscription or its node is closed
// and every queued event has been read.
var ErrClosed = errors.New("actors: subscription closed")

// Bus fans events out to subscribers. Publishing never blocks: each subscriber has its
// own queue, bounded or not.
type Bus struct {
	mu     sync.Mutex
	subs   map[*Subscription]struct{}
	closed bool
}

func newBus() *Bus { return &Bus{subs: make(map[*Subscription]struct{})} }

// Subscribe returns a new subscription. With limit > 0 at most limit events wait in its
// queue and older ones are dropped (and counted) when a slow reader falls behind; with
// limit 0 the queue is unbounded, for readers that must see every event (vigil scan).
func (b *Bus) Subscribe(limit int) *Subscription {
	s := &Subscription{bus: b, limit: limit, notify: make(chan struct{}, 1)}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		s.closed = true
		return s
	}
	b.subs[s] = struct{}{}
	return s
}

func (b *Bus) publish(e Event) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for s := range b.subs {
		s.push(e)
	}
}

func (b *Bus) close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	for s := range b.subs {
		s.shut()
		delete(b.subs, s)
	}
}

// Subscription is one reader's queue of events. Next may be called from one goroutine
// at a time; Close from any.
type Subscription struct {
	bus     *Bus
	limit   int
	notify  chan struct{}
	mu      sync.Mutex
	queue   []Event
	dropped uint64
	closed  bool
}

func (s *Subscription) push(e Event) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	if s.limit > 0 && len(s.queue) >= s.limit {
		copy(s.queue, s.queue[1:])
		s.queue = s.queue[:len(s.queue)-1]
		s.dropped++
	}
	s.queue = append(s.queue, e)
	s.mu.Unlock()
	s.wake()
}

func (s *Subscription) wake() {
	select {
	case s.notify <- struct{}{}:
	default:
	}
}

func (s *Subscription) shut() {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.wake()
}

// Next returns the next event, waiting until one is published, ctx is done, or the
// subscription is closed (ErrClosed, after the queue is drained).
func (s *Subscription) Next(ctx context.Context) (Event, error) {
	for {
		s.mu.Lock()
		if len(s.queue) > 0 {
			e := s.queue[0]
			s.queue[0] = Event{}
			s.queue = s.queue[1:]
			s.mu.Unlock()
			return e, nil
		}
		closed := s.closed
		s.mu.Unlock()
		if closed {
			return Event{}, ErrClosed
		}
		select {
		case <-s.notify:
		case <-ctx.Done():
			return Event{}, ctx.Err()
		}
	}
}

// Dropped reports how many events were dropped because the reader fell behind.
func (s *Subscription) Dropped() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dropped
}

// Close ends the subscription; queued events can still be read. Close is idempotent.
func (s *Subscription) Close() {
	s.bus.mu.Lock()
	delete(s.bus.subs, s)
	s.bus.mu.Unlock()
	s.shut()
}
