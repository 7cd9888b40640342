package cluster

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"sync"

	vigilv1 "github.com/vigil-monitor/vigil/proto/vigil/v1"
)

// ErrSlowWatcher ends a watch whose reader fell more than Config.EventBuffer events
// behind; the watcher should start a new watch (and gets a fresh snapshot).
var ErrSlowWatcher = errors.New("cluster: event watcher too slow")

// EventWatch is one watcher of the cluster's defect events. Read Snapshot (the
// defects open when the watch began), then receive from C until it is closed; Err
// says why it closed. Close ends the watch; it is idempotent.
type EventWatch struct {
	// Snapshot holds the start events of the defects open when the watch began,
	// ordered by stream, then start time.
	Snapshot []*vigilv1.DefectEvent
	// C delivers every event published after the snapshot was taken. Events are
	// shared: do not modify them.
	C <-chan *vigilv1.DefectEvent

	hub    *eventHub
	ch     chan *vigilv1.DefectEvent
	filter map[string]bool
	err    error
	closed bool
}

// Err returns why C was closed: nil after Close, ErrSlowWatcher, or ErrClosed.
func (w *EventWatch) Err() error {
	w.hub.mu.Lock()
	defer w.hub.mu.Unlock()
	return w.err
}

// Close ends the watch.
func (w *EventWatch) Close() {
	w.hub.mu.Lock()
	defer w.hub.mu.Unlock()
	w.hub.endLocked(w, nil)
}

// eventHub tracks the defects open anywhere in the cluster and fans events out to
// watchers. It never blocks on a watcher.
type eventHub struct {
	buf int

	mu     sync.Mutex
	open   map[string]map[string]*vigilv1.DefectEvent // owner → defect key → start event
	ended  recentSet                                  // keys of defects whose end was seen
	subs   map[*EventWatch]struct{}
	closed bool
}

// endedMemory is how many ended defects the hub remembers, so that a start event
// that arrives after its own end (direct messages between nodes travel on separate
// connections and may overtake each other) does not leave a defect open for ever.
const endedMemory = 4096

func newEventHub(buf int) *eventHub {
	return &eventHub{buf: buf, open: make(map[string]map[string]*vigilv1.DefectEvent),
		ended: newRecentSet(endedMemory), subs: make(map[*EventWatch]struct{})}
}

// defectKey identifies one defect of one run: its start event and its end event
// share it.
func defectKey(e *vigilv1.DefectEvent) string {
	return fmt.Sprintf("%s\x00%s\x00%d\x00%g", e.GetStreamId(), e.GetType(), e.GetEpoch(), e.GetStart())
}

// publish records e and delivers it to every watcher interested in its stream.
func (h *eventHub) publish(e *vigilv1.DefectEvent) {
	h.mu.Lock()
	defer h.mu.Unlock()
	owner := e.GetOwner()
	key := defectKey(e)
	switch {
	case e.GetEnded():
		delete(h.open[owner], key)
		h.ended.add(key)
	case h.ended.has(key):
		// The end already came: the defect is not open.
	default:
		if h.open[owner] == nil {
			h.open[owner] = make(map[string]*vigilv1.DefectEvent)
		}
		h.open[owner][key] = e
	}
	for w := range h.subs {
		if w.filter != nil && !w.filter[e.GetStreamId()] {
			continue
		}
		select {
		case w.ch <- e:
		default:
			h.endLocked(w, ErrSlowWatcher)
		}
	}
}

// replaceOpen sets the defects open on owner's streams (from its push/pull state).
func (h *eventHub) replaceOpen(owner string, evs []*vigilv1.DefectEvent) {
	h.mu.Lock()
	defer h.mu.Unlock()
	m := make(map[string]*vigilv1.DefectEvent, len(evs))
	for _, e := range evs {
		if !e.GetEnded() && e.GetOwner() == owner {
			m[defectKey(e)] = e
		}
	}
	h.open[owner] = m
}

// dropOwner forgets the open defects of a node that died or left.
func (h *eventHub) dropOwner(owner string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.open, owner)
}

// openOf returns the defects open on owner's streams.
func (h *eventHub) openOf(owner string) []*vigilv1.DefectEvent {
	h.mu.Lock()
	defer h.mu.Unlock()
	return sortedEvents(h.open[owner], nil)
}

// watch starts a watch of the given streams (all when ids is empty).
func (h *eventHub) watch(ids []string) (*EventWatch, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil, ErrClosed
	}
	w := &EventWatch{hub: h, ch: make(chan *vigilv1.DefectEvent, h.buf)}
	w.C = w.ch
	if len(ids) > 0 {
		w.filter = make(map[string]bool, len(ids))
		for _, id := range ids {
			w.filter[id] = true
		}
	}
	for _, m := range h.open {
		w.Snapshot = append(w.Snapshot, sortedEvents(m, w.filter)...)
	}
	slices.SortStableFunc(w.Snapshot, compareEvents)
	h.subs[w] = struct{}{}
	return w, nil
}

// close ends every watch with ErrClosed.
func (h *eventHub) close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	for w := range h.subs {
		h.endLocked(w, ErrClosed)
	}
}

func (h *eventHub) endLocked(w *EventWatch, err error) {
	if w.closed {
		return
	}
	w.closed = true
	w.err = err
	delete(h.subs, w)
	close(w.ch)
}

func sortedEvents(m map[string]*vigilv1.DefectEvent, filter map[string]bool) []*vigilv1.DefectEvent {
	out := make([]*vigilv1.DefectEvent, 0, len(m))
	for _, e := range m {
		if filter == nil || filter[e.GetStreamId()] {
			out = append(out, e)
		}
	}
	slices.SortFunc(out, compareEvents)
	return out
}

func compareEvents(a, b *vigilv1.DefectEvent) int {
	if c := cmp.Compare(a.GetStreamId(), b.GetStreamId()); c != 0 {
		return c
	}
	if c := cmp.Compare(a.GetStartedAtUnixMs(), b.GetStartedAtUnixMs()); c != 0 {
		return c
	}
	return cmp.Compare(a.GetType(), b.GetType())
}

// recentSet remembers the last n keys added.
type recentSet struct {
	keys []string
	next int
	set  map[string]bool
}

func newRecentSet(n int) recentSet {
	return recentSet{keys: make([]string, n), set: make(map[string]bool, n)}
}

func (r *recentSet) add(k string) {
	if r.set[k] {
		return
	}
	if old := r.keys[r.next]; old != "" {
		delete(r.set, old)
	}
	r.keys[r.next] = k
	r.next = (r.next + 1) % len(r.keys)
	r.set[k] = true
}

func (r *recentSet) has(k string) bool { return r.set[k] }
