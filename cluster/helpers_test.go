package cluster

import (
	"fmt"
	"testing"
	"time"

	"github.com/vigil-monitor/vigil/cluster/membership"
)

// testNode is a Node with its fake runner.
type testNode struct {
	*Node
	runner *fakeRunner
	cfg    Config
}

// nodeOptions tunes startNode.
type nodeOptions struct {
	dataDir    string
	seeds      []string
	firstFrame time.Duration
	grace      time.Duration
	mutate     func(*Config)
}

func testConfig(name string, o nodeOptions) Config {
	cfg := LoopbackConfig(name)
	cfg.DataDir = o.dataDir
	cfg.AdminAddr = name + ":7070"
	cfg.Membership.Join = o.seeds
	cfg.Membership.JoinBackoff = 50 * time.Millisecond
	cfg.Membership.JoinMaxBackoff = 500 * time.Millisecond
	cfg.Membership.ReadyTimeout = 500 * time.Millisecond
	cfg.HandoffGrace = 5 * time.Second
	if o.grace > 0 {
		cfg.HandoffGrace = o.grace
	}
	cfg.ReconcileDelay = 20 * time.Millisecond
	cfg.StatusInterval = 50 * time.Millisecond
	if o.mutate != nil {
		o.mutate(&cfg)
	}
	return cfg
}

func startNode(tb testing.TB, name string, o nodeOptions) testNode {
	tb.Helper()
	if o.firstFrame == 0 {
		o.firstFrame = 100 * time.Millisecond
	}
	cfg := testConfig(name, o)
	r := newFakeRunner(name, o.firstFrame)
	n, err := Open(cfg, r)
	if err != nil {
		tb.Fatalf("open %s: %v", name, err)
	}
	tb.Cleanup(func() { n.Close() })
	waitFor(tb, 5*time.Second, name+" ready", func() bool {
		select {
		case <-n.Ready():
			return true
		default:
			return false
		}
	})
	return testNode{Node: n, runner: r, cfg: cfg}
}

// startCluster starts size nodes named n0, n1, … joined through n0.
func startCluster(tb testing.TB, size int, o nodeOptions) []testNode {
	tb.Helper()
	nodes := []testNode{startNode(tb, "n0", o)}
	for i := 1; i < size; i++ {
		oi := o
		oi.seeds = []string{nodes[0].GossipAddr()}
		nodes = append(nodes, startNode(tb, fmt.Sprintf("n%d", i), oi))
	}
	waitConverged(tb, nodes, 0)
	return nodes
}

// waitFor polls cond until it holds or timeout passes.
func waitFor(tb testing.TB, timeout time.Duration, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func aliveCount(n testNode) int {
	c := 0
	for _, m := range n.Members() {
		if m.State == membership.StateAlive {
			c++
		}
	}
	return c
}

// waitConverged waits until every node sees all the others alive, knows streams
// rows, and every stream runs on exactly one node, the owner every node agrees on.
// The deadline is generous (a CI run once needed more than 15 s at a load average
// near 30): how fast convergence is, is measured elsewhere (docs/cluster.md).
func waitConverged(tb testing.TB, nodes []testNode, streams int) {
	tb.Helper()
	waitFor(tb, 30*time.Second, "convergence", func() bool {
		_, ok := converged(nodes, streams)
		return ok
	})
}

// converged reports the agreed owners if the cluster has converged.
func converged(nodes []testNode, streams int) (map[string]string, bool) {
	owners := map[string]string{}
	for i, n := range nodes {
		if aliveCount(n) != len(nodes) {
			return nil, false
		}
		list := n.List()
		if len(list) != streams {
			return nil, false
		}
		for _, s := range list {
			if i == 0 {
				owners[s.Spec.ID] = s.Owner
			} else if owners[s.Spec.ID] != s.Owner {
				return nil, false
			}
		}
	}
	runners := map[string][]string{}
	for _, n := range nodes {
		for id := range n.runner.running() {
			runners[id] = append(runners[id], n.Name())
		}
	}
	if len(runners) != streams {
		return nil, false
	}
	for id, rs := range runners {
		if len(rs) != 1 || rs[0] != owners[id] {
			return nil, false
		}
	}
	return owners, true
}

func assignN(tb testing.TB, n testNode, count int) {
	tb.Helper()
	for i := range count {
		spec := StreamSpec{ID: fmt.Sprintf("cam%02d", i), URL: fmt.Sprintf("http://127.0.0.1:8080/ch/%d", i)}
		if _, _, err := n.Assign(spec, false); err != nil {
			tb.Fatalf("assign %s: %v", spec.ID, err)
		}
	}
}
