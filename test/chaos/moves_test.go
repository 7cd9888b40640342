//go:build chaos

package chaos

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/vigil-monitor/vigil/cluster/placement"
	vigilv1 "github.com/vigil-monitor/vigil/proto/vigil/v1"
)

// names returns the nodes' names, sorted.
func names(nodes []*node) []string {
	out := make([]string, 0, len(nodes))
	for _, n := range nodes {
		out = append(out, n.name)
	}
	slices.Sort(out)
	return out
}

// without returns nodes minus the given ones.
func without(nodes []*node, drop ...*node) []*node {
	return slices.DeleteFunc(slices.Clone(nodes), func(n *node) bool { return slices.Contains(drop, n) })
}

// expected is cluster/placement's answer for equal-capacity nodes and ids.
func expected(nodes []string, ids []string, cfg placement.Config) map[string]string {
	ms := make([]placement.Member, 0, len(nodes))
	for _, n := range nodes {
		ms = append(ms, placement.Member{Name: n, Weight: 1})
	}
	return placement.Place(cfg, ms, ids)
}

// overflowed returns the streams whose owner among nodes is not their plain
// rendezvous choice: the balance (floor and capacity) moved them.
func overflowed(p layout, nodes []string) map[string]bool {
	ids := make([]string, 0, len(p))
	for id := range p {
		ids = append(ids, id)
	}
	plain := expected(nodes, ids, placement.Config{Epsilon: -1})
	out := map[string]bool{}
	for id, s := range p {
		if plain[id] != s.owner {
			out[id] = true
		}
	}
	return out
}

// moveReport classifies the changes between two converged placements.
type moveReport struct {
	moved       []string // owner changed
	expected    []string // …because the change explains it
	bound       []string // …off their rendezvous choice: the balance explains it (docs/cluster.md)
	unexplained []string // …for no reason
	restarted   []string // same owner, new epoch: restarted in place
}

// classifyMoves compares before (on beforeNodes) and after (on afterNodes); wanted
// says which moves the change itself explains.
func classifyMoves(before, after layout, beforeNodes, afterNodes []string, wanted func(id string) bool) moveReport {
	var m moveReport
	overBefore, overAfter := overflowed(before, beforeNodes), overflowed(after, afterNodes)
	for id, b := range before {
		a := after[id]
		switch {
		case a.owner == b.owner && a.epoch != b.epoch:
			m.restarted = append(m.restarted, id)
		case a.owner == b.owner:
		case wanted(id):
			m.moved = append(m.moved, id)
			m.expected = append(m.expected, id)
		case overBefore[id] || overAfter[id]:
			m.moved = append(m.moved, id)
			m.bound = append(m.bound, fmt.Sprintf("%s %s→%s", id, b.owner, a.owner))
		default:
			m.moved = append(m.moved, id)
			m.unexplained = append(m.unexplained, fmt.Sprintf("%s %s→%s", id, b.owner, a.owner))
		}
	}
	for _, s := range [][]string{m.moved, m.expected, m.bound, m.unexplained, m.restarted} {
		sort.Strings(s)
	}
	return m
}

// census counts, over the views of every running node, the suite's streams that no
// node reports running (missing from the table, unplaced, quarantined, stopped, or
// not decoding) and those some node reports run by more than one node.
func (c *cluster) census(tb testing.TB) (lost, dup []string) {
	tb.Helper()
	running := map[string]bool{}
	multi := map[string]bool{}
	answered := 0
	for _, n := range c.upNodes() {
		ss, err := n.list(context.Background())
		if err != nil {
			continue
		}
		answered++
		for _, s := range ss {
			id := s.GetSpec().GetId()
			if s.GetState() == vigilv1.StreamState_STREAM_STATE_RUNNING && len(s.GetRunners()) > 0 {
				running[id] = true
			}
			if len(s.GetRunners()) > 1 {
				multi[id] = true
			}
		}
	}
	if answered == 0 {
		tb.Error("census: no node answered")
		return c.ids, nil
	}
	for _, id := range c.ids {
		if !running[id] {
			lost = append(lost, id)
		}
		if multi[id] {
			dup = append(dup, id)
		}
	}
	return lost, dup
}

// finish records the end state of a scenario in its row: lost and duplicated
// streams after the cluster has (or has not) converged again.
func (c *cluster) finish(t *testing.T, r *row) {
	t.Helper()
	lost, dup := c.census(t)
	r.lost, r.dup = len(lost), len(dup)
	if len(lost) > 0 {
		t.Errorf("streams not monitored at the end: %v", lost)
	}
	if len(dup) > 0 {
		t.Errorf("streams run by more than one node at the end: %v", dup)
	}
}

// logGaps reads the nodes' logs and returns the logs and each stream's longest gap in
// [from, to), for streams that had one.
func (c *cluster) logGaps(t *testing.T, from, to time.Time) (nodeLogs, map[string]time.Duration, map[string][]span) {
	t.Helper()
	l := c.readLogs(t)
	ivs := decodeIntervals(l.states, c.downWindows())
	g := gaps(ivs, c.ids, from, to)
	for _, w := range worstGaps(g, ivs, from, 3) {
		t.Logf("gap: %s", w)
	}
	return l, longest(g), g
}

// describe formats durations as "p50 … p99 … max …".
func describe(ds []time.Duration) string {
	if len(ds) == 0 {
		return "none"
	}
	return fmt.Sprintf("p50 %s, p99 %s, max %s (n=%d)", secs(percentile(ds, 50)), secs(percentile(ds, 99)),
		secs(percentile(ds, 100)), len(ds))
}

func listOrNone(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}
