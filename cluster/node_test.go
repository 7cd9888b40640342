package cluster

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestAssignReplicatesAndRunsOnce(t *testing.T) {
	nodes := startCluster(t, 3, nodeOptions{})
	assignN(t, nodes[0], 30)
	waitConverged(t, nodes, 30)
	owners, _ := converged(nodes, 30)
	loads := map[string]int{}
	for _, o := range owners {
		loads[o]++
	}
	t.Logf("loads %v", loads)
	for _, n := range nodes {
		if loads[n.Name()] > 12 { // ⌈1.15·10⌉
			t.Errorf("%s owns %d streams, over the load bound", n.Name(), loads[n.Name()])
		}
	}
	// Every node reports the owner's run as running, with running_since.
	waitFor(t, 5*time.Second, "every node to see every stream running", func() bool {
		for _, n := range nodes {
			for _, s := range n.List() {
				if s.State != 2 || s.RunningSince.IsZero() || s.Epoch == 0 { // STREAM_STATE_RUNNING
					return false
				}
			}
		}
		return true
	})
}

func TestAssignValidationAndErrors(t *testing.T) {
	n := startNode(t, "solo", nodeOptions{})
	ok := StreamSpec{ID: "cam1", URL: "http://example.test/live.ts"}
	tests := []struct {
		name    string
		spec    StreamSpec
		replace bool
		want    error
	}{
		{"new", ok, false, nil},
		{"same again", ok, false, nil},
		{"different spec", StreamSpec{ID: "cam1", URL: "http://example.test/other.ts"}, false, ErrExists},
		{"replace", StreamSpec{ID: "cam1", URL: "http://example.test/other.ts"}, true, nil},
		{"bad id", StreamSpec{ID: "../etc", URL: "http://x/"}, false, ErrInvalid},
		{"empty id", StreamSpec{URL: "http://x/"}, false, ErrInvalid},
		{"file url", StreamSpec{ID: "f", URL: "file:///etc/passwd"}, false, ErrInvalid},
		{"bare path", StreamSpec{ID: "f", URL: "/etc/passwd"}, false, ErrInvalid},
		{"concat", StreamSpec{ID: "f", URL: "concat:a.ts|b.ts"}, false, ErrInvalid},
		{"subfile", StreamSpec{ID: "f", URL: "subfile,,start,0,end,10,,:/etc/passwd"}, false, ErrInvalid},
		{"pipe", StreamSpec{ID: "f", URL: "pipe:0"}, false, ErrInvalid},
		{"data", StreamSpec{ID: "f", URL: "data:text/plain,hi"}, false, ErrInvalid},
		{"chained unsafe", StreamSpec{ID: "f", URL: "cache+file:/x"}, false, ErrInvalid},
		{"unknown scheme", StreamSpec{ID: "f", URL: "gopher://x/"}, false, ErrInvalid},
		{"huge labels", StreamSpec{ID: "f", URL: "http://x/", Labels: bigLabels()}, false, ErrInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := n.Assign(tc.spec, tc.replace)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Assign = %v, want %v", err, tc.want)
			}
		})
	}
	if got, err := n.Get("cam1"); err != nil || got.Spec.URL != "http://example.test/other.ts" {
		t.Fatalf("Get = %+v, %v", got, err)
	}
	if _, err := n.Get("nope"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get missing = %v", err)
	}
	if err := n.Unassign("nope"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Unassign missing = %v", err)
	}
	if err := n.Drain(context.Background(), "nobody", false); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Drain unknown node = %v", err)
	}
}

func bigLabels() map[string]string {
	m := map[string]string{}
	for i := range 40 {
		m[string(rune('a'+i%26))+string(rune('a'+i/26))] = "value"
	}
	return m
}

func TestUnassignPropagatesTombstone(t *testing.T) {
	nodes := startCluster(t, 3, nodeOptions{})
	assignN(t, nodes[0], 6)
	waitConverged(t, nodes, 6)
	if err := nodes[1].Unassign("cam03"); err != nil {
		t.Fatal(err)
	}
	waitConverged(t, nodes, 5)
	for _, n := range nodes {
		e, ok := n.table.Get("cam03")
		if !ok || !e.Deleted {
			t.Fatalf("%s has row %+v, want a tombstone", n.Name(), e)
		}
		if _, err := n.Get("cam03"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("%s Get(cam03) = %v", n.Name(), err)
		}
	}
}

func TestNodeFailureMovesOnlyItsStreams(t *testing.T) {
	nodes := startCluster(t, 3, nodeOptions{firstFrame: 50 * time.Millisecond})
	assignN(t, nodes[0], 30)
	waitConverged(t, nodes, 30)
	before, _ := converged(nodes, 30)
	starts := map[string]fakeRun{}
	for _, n := range nodes[:2] {
		for id, r := range n.runner.running() {
			starts[id] = r
		}
	}
	victim := nodes[2]
	var victims []string
	for id, o := range before {
		if o == victim.Name() {
			victims = append(victims, id)
		}
	}
	killed := time.Now()
	victim.runner.kill()
	victim.Kill()
	survivors := nodes[:2]
	waitFor(t, 10*time.Second, "the victim's streams to run on survivors", func() bool {
		for _, id := range victims {
			found := false
			for _, n := range survivors {
				if r, ok := n.runner.running()[id]; ok && time.Since(r.started) >= n.runner.firstFrame {
					found = true
				}
			}
			if !found {
				return false
			}
		}
		return true
	})
	took := time.Since(killed)
	t.Logf("%d streams of the dead node decoding on survivors %v after the kill", len(victims), took.Round(time.Millisecond))
	if took > 4*time.Second {
		t.Errorf("failover took %v", took)
	}
	// No stream of a survivor moved or restarted.
	for _, n := range survivors {
		running := n.runner.running()
		for id, r := range starts {
			if before[id] != n.Name() {
				continue
			}
			if now, ok := running[id]; !ok || now.epoch != r.epoch {
				t.Errorf("stream %s of survivor %s moved or restarted", id, n.Name())
			}
		}
	}
}

// checkMakeBeforeBreak checks, for every stream that moved, that the old owner
// stopped only after the new owner had decoded its first frame.
func checkMakeBeforeBreak(t *testing.T, nodes []testNode, since time.Time) (moved int) {
	t.Helper()
	var all []runEvent
	for _, n := range nodes {
		all = append(all, n.runner.events()...)
	}
	firstFrame := map[string]time.Time{} // stream → first frame of its newest start since `since`
	for _, n := range nodes {
		for _, e := range n.runner.events() {
			if e.start && e.at.After(since) {
				firstFrame[e.id] = e.at.Add(n.runner.firstFrame)
			}
		}
	}
	for _, e := range all {
		if e.start || !e.at.After(since) {
			continue
		}
		moved++
		ff, ok := firstFrame[e.id]
		if !ok {
			t.Errorf("stream %s stopped on %s at %v but never started elsewhere", e.id, e.node, e.at)
			continue
		}
		if e.at.Before(ff) {
			t.Errorf("stream %s: old owner %s stopped %v before the new owner's first frame", e.id, e.node, ff.Sub(e.at))
		}
	}
	return moved
}

func TestJoinMovesAFairShareMakeBeforeBreak(t *testing.T) {
	opts := nodeOptions{firstFrame: 300 * time.Millisecond}
	nodes := startCluster(t, 3, opts)
	assignN(t, nodes[0], 30)
	waitConverged(t, nodes, 30)
	before, _ := converged(nodes, 30)
	joined := time.Now()
	opts.seeds = []string{nodes[1].GossipAddr()}
	nodes = append(nodes, startNode(t, "n3", opts))
	waitConverged(t, nodes, 30)
	after, _ := converged(nodes, 30)
	moved, ontoJoiner := 0, 0
	for id, o := range after {
		if before[id] != o {
			moved++
			if o == "n3" {
				ontoJoiner++
			}
		}
	}
	t.Logf("join: %d of 30 streams moved, %d onto the joiner", moved, ontoJoiner)
	if stops := checkMakeBeforeBreak(t, nodes, joined); stops != moved {
		t.Errorf("%d stops for %d moves", stops, moved)
	}
	if moved > 9 { // ⌈1.15·30/4⌉: what the load bound allows the joiner
		t.Errorf("%d streams moved", moved)
	}
}

func TestDrainMovesEverythingOff(t *testing.T) {
	nodes := startCluster(t, 3, nodeOptions{firstFrame: 200 * time.Millisecond})
	assignN(t, nodes[0], 18)
	waitConverged(t, nodes, 18)
	start := time.Now()
	if err := nodes[0].Drain(context.Background(), "n2", false); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "n2 to run nothing", func() bool {
		return len(nodes[2].runner.running()) == 0 && len(nodes[2].Running()) == 0
	})
	waitFor(t, 10*time.Second, "every node to see n2 draining with no stream", func() bool {
		for _, n := range nodes {
			for _, m := range n.Members() {
				if m.Name == "n2" && (!m.Meta.Draining || m.Streams != 0) {
					return false
				}
			}
		}
		return true
	})
	checkMakeBeforeBreak(t, nodes, start)
	// Undrain: n2 takes streams again.
	if err := nodes[1].Drain(context.Background(), "n2", true); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "n2 to run streams again", func() bool { return len(nodes[2].runner.running()) > 0 })
}

func TestShutdownHandsOffBeforeLeaving(t *testing.T) {
	nodes := startCluster(t, 3, nodeOptions{firstFrame: 200 * time.Millisecond})
	assignN(t, nodes[0], 12)
	waitConverged(t, nodes, 12)
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := nodes[2].Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if ctx.Err() != nil {
		t.Fatal("shutdown did not finish draining in time")
	}
	checkMakeBeforeBreak(t, nodes, start)
	waitFor(t, 5*time.Second, "n0 to see n2 left", func() bool {
		for _, m := range nodes[0].Members() {
			if m.Name == "n2" {
				return m.State == 2 // StateLeft
			}
		}
		return false
	})
}
