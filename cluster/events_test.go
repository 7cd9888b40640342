package cluster

import (
	"testing"
	"time"

	vigilv1 "github.com/vigil-monitor/vigil/proto/vigil/v1"
)

func recv(tb testing.TB, w *EventWatch) *vigilv1.DefectEvent {
	tb.Helper()
	select {
	case e, ok := <-w.C:
		if !ok {
			tb.Fatalf("watch closed: %v", w.Err())
		}
		return e
	case <-time.After(5 * time.Second):
		tb.Fatal("no event within 5s")
	}
	return nil
}

func TestEventsReachEveryNode(t *testing.T) {
	nodes := startCluster(t, 3, nodeOptions{})
	w0, err := nodes[0].WatchEvents(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer w0.Close()
	filtered, err := nodes[1].WatchEvents([]string{"other"})
	if err != nil {
		t.Fatal(err)
	}
	defer filtered.Close()

	start := &vigilv1.DefectEvent{StreamId: "cam1", Type: "black", Start: 8, Epoch: 7, Score: 0.9,
		Severity: vigilv1.Severity_SEVERITY_ERROR, StartedAtUnixMs: 1000}
	nodes[2].PublishEvent(start)
	got := recv(t, w0)
	if got.GetStreamId() != "cam1" || got.GetOwner() != "n2" || got.GetEpoch() != 7 {
		t.Fatalf("n0 got %v", got)
	}

	t.Run("late watcher gets the open defect as a snapshot", func(t *testing.T) {
		waitFor(t, 5*time.Second, "n1 to know the open defect", func() bool {
			w, err := nodes[1].WatchEvents(nil)
			if err != nil {
				t.Fatal(err)
			}
			defer w.Close()
			return len(w.Snapshot) == 1 && w.Snapshot[0].GetType() == "black"
		})
	})

	end := &vigilv1.DefectEvent{StreamId: "cam1", Type: "black", Ended: true, Start: 8, End: 12, Epoch: 7, Score: 0.95}
	nodes[2].PublishEvent(end)
	if got := recv(t, w0); !got.GetEnded() || got.GetEnd() != 12 {
		t.Fatalf("n0 got %v, want the end", got)
	}
	t.Run("ended defects leave the snapshot", func(t *testing.T) {
		waitFor(t, 5*time.Second, "n1 to see the defect end", func() bool {
			w, err := nodes[1].WatchEvents(nil)
			if err != nil {
				t.Fatal(err)
			}
			defer w.Close()
			return len(w.Snapshot) == 0
		})
	})
	t.Run("filter", func(t *testing.T) {
		nodes[0].PublishEvent(&vigilv1.DefectEvent{StreamId: "other", Type: "silence", Start: 1})
		if got := recv(t, filtered); got.GetStreamId() != "other" {
			t.Fatalf("filtered watch got %v", got)
		}
	})
	t.Run("dead owner's defects close", func(t *testing.T) {
		nodes[2].PublishEvent(&vigilv1.DefectEvent{StreamId: "cam2", Type: "freeze", Start: 3})
		waitFor(t, 5*time.Second, "n0 to see the defect", func() bool {
			w, _ := nodes[0].WatchEvents([]string{"cam2"})
			defer w.Close()
			return len(w.Snapshot) == 1
		})
		nodes[2].Kill()
		waitFor(t, 10*time.Second, "n0 to drop the dead node's open defects", func() bool {
			w, _ := nodes[0].WatchEvents([]string{"cam2"})
			defer w.Close()
			return len(w.Snapshot) == 0
		})
	})
}

func TestSlowWatcherIsCutOff(t *testing.T) {
	h := newEventHub(2)
	w, err := h.watch(nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		h.publish(&vigilv1.DefectEvent{StreamId: "s", Type: "black", Start: float64(i)})
	}
	n := 0
	for range w.C {
		n++
	}
	if n != 2 || w.Err() != ErrSlowWatcher {
		t.Fatalf("got %d events then %v; want 2 then ErrSlowWatcher", n, w.Err())
	}
	w.Close() // idempotent after a cut-off
	h.close()
	if _, err := h.watch(nil); err != ErrClosed {
		t.Fatalf("watch after close: %v", err)
	}
}

func TestEndArrivingBeforeItsStartLeavesNothingOpen(t *testing.T) {
	h := newEventHub(16)
	start := &vigilv1.DefectEvent{StreamId: "s", Type: "black", Start: 4, Owner: "n2", Epoch: 9}
	end := &vigilv1.DefectEvent{StreamId: "s", Type: "black", Start: 4, End: 6, Ended: true, Owner: "n2", Epoch: 9}
	other := &vigilv1.DefectEvent{StreamId: "s", Type: "freeze", Start: 5, Owner: "n2", Epoch: 9}
	h.publish(end) // overtook its start on the way here
	h.publish(start)
	h.publish(other)
	open := h.openOf("n2")
	if len(open) != 1 || open[0].GetType() != "freeze" {
		t.Fatalf("open defects = %v, want only the freeze", open)
	}
}

func TestRecentSetForgetsOldest(t *testing.T) {
	r := newRecentSet(2)
	r.add("a")
	r.add("b")
	r.add("a") // already there: no eviction
	r.add("c")
	if r.has("a") || !r.has("b") || !r.has("c") {
		t.Fatalf("after a,b,c in a set of 2: a=%t b=%t c=%t, want false true true", r.has("a"), r.has("b"), r.has("c"))
	}
}
