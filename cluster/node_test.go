package cluster

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	vigilv1 "github.com/vigil-monitor/vigil/proto/vigil/v1"

	"github.com/vigil-monitor/vigil/cluster/membership"
	"github.com/vigil-monitor/vigil/cluster/placement"
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
	if limit := placement.Capacity(30, 1, 4, placement.DefaultEpsilon); ontoJoiner > limit {
		t.Errorf("%d streams moved onto the joiner, over its capacity %d", ontoJoiner, limit)
	}
	// The balance's cost at 30 streams: an old node pushed below its floor takes a
	// stream from another (cluster/placement's property tests measure ≤ 1.1% at
	// 100 streams per node).
	if others := moved - ontoJoiner; others > 2 {
		t.Errorf("%d streams moved between old nodes", others)
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

// ownersOf returns the owners cluster/placement computes for 30 streams cam00..cam29
// on equal nodes, those in absent away.
func ownersOf(names []string, absent ...string) map[string]string {
	var ms []placement.Member
	for _, n := range names {
		ms = append(ms, placement.Member{Name: n, Weight: 1, Absent: slices.Contains(absent, n)})
	}
	var ids []string
	for i := range 30 {
		ids = append(ids, fmt.Sprintf("cam%02d", i))
	}
	return placement.Place(placement.DefaultConfig(), ms, ids)
}

// TestAbsentNodeKeepsItsPlace: a killed node keeps its place in the layout, so a
// node that joins afterwards (and never saw it) places streams like the others;
// when the dead node restarts from its data dir it takes back exactly its streams;
// once a node has been away for ForgetAfter the layout rebalances without it.
func TestAbsentNodeKeepsItsPlace(t *testing.T) {
	t0 := time.Now()
	dirs := []string{t.TempDir(), t.TempDir(), t.TempDir()}
	opts := func(i int) nodeOptions {
		return nodeOptions{firstFrame: 50 * time.Millisecond, dataDir: dirs[i], mutate: func(c *Config) { c.ForgetAfter = 5 * time.Second }}
	}
	nodes := []testNode{startNode(t, "n0", opts(0))}
	for i := 1; i < 3; i++ {
		o := opts(i)
		o.seeds = []string{nodes[0].GossipAddr()}
		nodes = append(nodes, startNode(t, fmt.Sprintf("n%d", i), o))
	}
	assignN(t, nodes[0], 30)
	waitConverged(t, nodes, 30)
	before, _ := converged(nodes, 30)
	if want := ownersOf([]string{"n0", "n1", "n2"}); !maps.Equal(before, want) {
		t.Fatalf("placement %v, want %v", before, want)
	}

	nodes[2].runner.kill()
	nodes[2].Kill()
	fresh := nodeOptions{firstFrame: 50 * time.Millisecond, seeds: []string{nodes[0].GossipAddr()},
		mutate: func(c *Config) { c.ForgetAfter = 5 * time.Second }}
	n3 := startNode(t, "n3", fresh)
	live := []testNode{nodes[0], nodes[1], n3}
	waitConverged(t, live, 30)
	during, _ := converged(live, 30)
	want := ownersOf([]string{"n0", "n1", "n2", "n3"}, "n2")
	if !maps.Equal(during, want) {
		t.Fatalf("with n2 dead and n3 joined: %v, want %v (n3 must learn n2's place)", during, want)
	}
	// n3 joining changes the layout: beyond the streams onto n3, the balance may
	// move a couple between the old nodes (see TestJoinMovesAFairShareMakeBeforeBreak).
	var shuffled []string
	for id, o := range before {
		if o != "n2" && during[id] != o && during[id] != "n3" {
			shuffled = append(shuffled, fmt.Sprintf("%s %s→%s", id, o, during[id]))
		}
	}
	if len(shuffled) > 2 {
		t.Errorf("streams moved between nodes that stayed: %v", shuffled)
	}
	t.Logf("%v: n2 killed and n3 joined: converged; moved between the others: %v", time.Since(t0).Round(time.Millisecond), shuffled)

	// A process restarting under a dead member's name from a new address is
	// accepted once the death is DeadNodeReclaimTime old (a real restart takes that
	// long anyway).
	waitFor(t, 10*time.Second, "n2 dead for longer than the reclaim time", func() bool {
		for _, m := range nodes[0].Members() {
			if m.Name == "n2" {
				return m.State == membership.StateDead && time.Since(m.Since) > membership.DefaultDeadNodeReclaimTime+500*time.Millisecond
			}
		}
		return false
	})
	restarted := opts(2)
	restarted.seeds = []string{nodes[0].GossipAddr()}
	n2 := startNode(t, "n2", restarted)
	all := []testNode{nodes[0], nodes[1], n2, n3}
	waitConverged(t, all, 30)
	back, _ := converged(all, 30)
	t.Logf("%v: n2 restarted: converged", time.Since(t0).Round(time.Millisecond))
	if want := ownersOf([]string{"n0", "n1", "n2", "n3"}); !maps.Equal(back, want) {
		t.Fatalf("after n2 restarted: %v, want %v", back, want)
	}
	for id, o := range back {
		if o != during[id] && o != "n2" {
			t.Errorf("%s moved %s → %s when n2 came back", id, during[id], o)
		}
	}

	n3.runner.kill()
	n3.Kill()
	rest := []testNode{nodes[0], nodes[1], n2}
	waitConverged(t, rest, 30)
	t.Logf("%v: n3 killed: converged", time.Since(t0).Round(time.Millisecond))
	waitFor(t, 20*time.Second, "n3 forgotten and the layout rebalanced over the three others", func() bool {
		got, ok := converged(rest, 30)
		return ok && maps.Equal(got, ownersOf([]string{"n0", "n1", "n2"}))
	})
	for _, n := range rest {
		for _, e := range n.roster.Entries() {
			if e.Name == "n3" {
				t.Errorf("%s still lists n3 in its roster", n.Name())
			}
		}
	}
}

// TestLateStatusOfDepartedNodeIgnored: a status message that reaches a node after
// the sender left (messages and membership changes travel different queues) does not
// bring the departed node back as a runner.
func TestLateStatusOfDepartedNodeIgnored(t *testing.T) {
	nodes := startCluster(t, 2, nodeOptions{})
	assignN(t, nodes[0], 4)
	waitConverged(t, nodes, 4)
	owners, _ := converged(nodes, 4)
	var id string
	for s, o := range owners {
		if o == "n1" {
			id = s
		}
	}
	if id == "" {
		t.Fatalf("n1 owns nothing: %v", owners)
	}
	if err := nodes[1].Close(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "n0 to run every stream alone", func() bool {
		_, ok := converged(nodes[:1], 4)
		return ok
	})
	late, err := proto.Marshal(&vigilv1.Envelope{Kind: &vigilv1.Envelope_Status{Status: &vigilv1.StatusUpdate{
		Node: "n1", Seq: 1 << 40, BootId: 1, Full: true,
		Runs: []*vigilv1.RunStatus{{Id: id, Epoch: 1, State: vigilv1.StreamState_STREAM_STATE_RUNNING, RunningSinceUnixMs: 1}}}}})
	if err != nil {
		t.Fatal(err)
	}
	(*handler)(nodes[0].Node).NotifyMsg(late)
	s, err := nodes[0].Get(id)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(s.Runners, []string{"n0"}) {
		t.Fatalf("%s runners %v after a late status from the departed n1, want [n0]", id, s.Runners)
	}
}
