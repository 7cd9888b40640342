//go:build chaos

package chaos

import (
	"context"
	"slices"
	"sync"
	"time"

	vigilv1 "github.com/vigil-monitor/vigil/proto/vigil/v1"
)

// watchers keeps this many WatchEvents streams open, each to a different node when
// it can: during a partition each side forwards only its own side's events.
const watchers = 2

// event is one defect event as the suite received it.
type event struct {
	got time.Time // when the suite received it
	via string    // the node whose WatchEvents delivered it
	ev  *vigilv1.DefectEvent
}

// eventKey identifies an event across watches (each delivers it once).
type eventKey struct {
	stream, typ, owner string
	ended              bool
	startedAt          int64
	epoch              uint64
}

func keyOf(e *vigilv1.DefectEvent) eventKey {
	return eventKey{stream: e.GetStreamId(), typ: e.GetType(), owner: e.GetOwner(), ended: e.GetEnded(),
		startedAt: e.GetStartedAtUnixMs(), epoch: e.GetEpoch()}
}

// watcher records the cluster's defect events through WatchEvents on running
// nodes, reconnecting to another node when its node goes away. Events are
// deduplicated across its watches; snapshots (defects already open when a watch
// starts) are skipped.
type watcher struct {
	c      *cluster
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu     sync.Mutex
	seen   map[eventKey]bool
	events []event
	using  map[string]int // node → watches on it
}

func startWatcher(c *cluster) *watcher {
	ctx, cancel := context.WithCancel(context.Background())
	w := &watcher{c: c, ctx: ctx, cancel: cancel, seen: map[eventKey]bool{}, using: map[string]int{}}
	for range watchers {
		w.wg.Add(1)
		go w.loop()
	}
	return w
}

func (w *watcher) close() {
	w.cancel()
	w.wg.Wait()
}

func (w *watcher) loop() {
	defer w.wg.Done()
	for w.ctx.Err() == nil {
		n := w.pick()
		if n != nil {
			w.watch(n)
			w.release(n)
		}
		select {
		case <-w.ctx.Done():
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// pick chooses the up node with the fewest watches.
func (w *watcher) pick() *node {
	w.mu.Lock()
	defer w.mu.Unlock()
	var best *node
	for _, n := range w.c.upNodes() {
		if best == nil || w.using[n.name] < w.using[best.name] {
			best = n
		}
	}
	if best != nil {
		w.using[best.name]++
	}
	return best
}

func (w *watcher) release(n *node) {
	w.mu.Lock()
	w.using[n.name]--
	w.mu.Unlock()
}

// watch follows one node's event stream until it fails, the node is taken down,
// or the watcher closes.
func (w *watcher) watch(n *node) {
	client := n.admin()
	if client == nil {
		return
	}
	ctx, cancel := context.WithCancel(w.ctx)
	defer cancel()
	go func() { // end the watch when the suite takes the node down
		t := time.NewTicker(pollEvery)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if n.getStatus() != nodeUp {
					cancel()
					return
				}
			}
		}
	}()
	stream, err := client.WatchEvents(ctx, &vigilv1.WatchEventsRequest{SkipSnapshot: true})
	if err != nil {
		return
	}
	for {
		m, err := stream.Recv()
		if err != nil {
			return
		}
		e := m.GetEvent()
		if e == nil {
			continue
		}
		k := keyOf(e)
		w.mu.Lock()
		if !w.seen[k] {
			w.seen[k] = true
			w.events = append(w.events, event{got: time.Now(), via: n.name, ev: e})
		}
		w.mu.Unlock()
	}
}

// between returns the events received in [from, to).
func (w *watcher) between(from, to time.Time) []event {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.DeleteFunc(slices.Clone(w.events), func(e event) bool {
		return e.got.Before(from) || !e.got.Before(to)
	})
}
