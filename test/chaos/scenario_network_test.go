//go:build chaos

package chaos

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// partitionNodes: cut the cluster 2|3 with iptables for cfg.partition. Both sides
// keep every stream monitored; after the heal there is one owner per stream within
// one convergence period, and no stream changes owner or epoch for cfg.flapWatch.
func partitionNodes(t *testing.T, c *cluster, r *row) {
	c.waitConverged(t, c.nodes, time.Minute)
	a := []*node{c.byName["vigil1"], c.byName["vigil2"]}
	b := []*node{c.byName["vigil3"], c.byName["vigil4"], c.byName["vigil5"]}
	t0 := c.partition(t, a, b)
	r.faults = 1
	sides := [][]*node{a, b}
	convAt := make([]time.Time, 2)
	waitFor(t, "both sides to converge on their own", cfg.partition, func() (bool, string) {
		var why []string
		for i, side := range sides {
			if !convAt[i].IsZero() {
				continue
			}
			if p, w := c.converged(side); p != nil {
				convAt[i] = time.Now()
			} else {
				why = append(why, w)
			}
		}
		return !convAt[0].IsZero() && !convAt[1].IsZero(), fmt.Sprint(why)
	})
	r.note("partitioned %v | %v for %s; each side ran every stream on its own, converged %s and %s after the cut",
		a, b, cfg.partition, secs(convAt[0].Sub(t0)), secs(convAt[1].Sub(t0)))
	if wait := time.Until(t0.Add(cfg.partition)); wait > 0 {
		time.Sleep(wait) // the fault's deliberate duration
	}
	th := c.healNetwork(t)
	p, healedAt, why := c.tryConverge(t, c.nodes, 2*time.Minute)
	if p == nil {
		r.note("after the heal the two sides did not merge within 2 minutes: %s", why)
		t.Fatalf("no single owner per stream within 2 minutes of the heal (limit %s): %s", secs(cfg.converge), why)
	}
	conv := healedAt.Sub(th)
	if merged := allAlive(c.poll.between(th, healedAt.Add(time.Second)), names(c.nodes), th, healedAt.Add(time.Second)); !merged.IsZero() {
		r.note("healed: every node saw all 5 alive %s after the heal", secs(merged.Sub(th)))
	}
	r.note("healed: one owner per stream on all 5 nodes %s after the heal (limit %s)", secs(conv), secs(cfg.converge))
	if conv > cfg.converge {
		t.Errorf("converged %s after the heal, over the limit %s", secs(conv), secs(cfg.converge))
	}

	time.Sleep(cfg.flapWatch) // the deliberate observation period
	samples := c.poll.between(healedAt, healedAt.Add(cfg.flapWatch))
	changes := ownerChanges(samples)
	multi := multiRun(samples)
	final, _, why := c.tryConverge(t, c.nodes, 10*time.Second)
	if final == nil {
		t.Errorf("not converged at the end of the watch: %s", why)
	}
	changed := 0
	for id, s := range final {
		if s.owner != p[id].owner || s.epoch != p[id].epoch {
			changed++
		}
	}
	r.note("for %s after convergence (%d samples of the 5 nodes' views): %d owner/epoch changes, %d streams seen with two runners, %d streams different at the end",
		cfg.flapWatch, len(samples), len(changes), len(multi), changed)
	if len(changes) > 0 || len(multi) > 0 || changed > 0 {
		t.Errorf("flapping after the heal: owner changes %v, double runs %v, %d changed by the end", changes, multi, changed)
		for id := range changes {
			t.Logf("views of %s from the heal on:%s", id, history(c.poll.between(th, healedAt.Add(cfg.flapWatch)), id))
			break
		}
	}

	l, g, _ := c.logGaps(t, t0, healedAt)
	intervals := decodeIntervals(l.states, c.downWindows())
	for _, side := range sides {
		sideNames := names(side)
		var takeover []time.Duration
		for _, id := range c.ids {
			var theirs []interval
			for _, iv := range intervals[id] {
				if slices.Contains(sideNames, iv.node) {
					theirs = append(theirs, iv)
				}
			}
			// How long after the cut this side first decoded the stream, if it did not already.
			if u := uncovered(theirs, t0, th); len(u) > 0 && u[0].from.Equal(t0) {
				takeover = append(takeover, u[0].length())
			}
		}
		r.note("side %v took over %d streams it did not run: %s", side, len(takeover), describe(takeover))
	}
	var moved []string
	for id := range ownerChanges(c.poll.between(t0, healedAt)) {
		moved = append(moved, id)
	}
	r.setGaps(g, moved)
	var gs []time.Duration
	for _, d := range g {
		gs = append(gs, d)
	}
	r.note("streams unmonitored by both sides at some point: %d (%s)", len(g), describe(gs))
	if len(g) > 0 {
		t.Errorf("%d streams had a gap although both sides ran them", len(g))
	}
	c.finish(t, r)
}

// lossyNetwork: every node loses cfg.lossRate of its packets for cfg.loss, delayed
// 100±30 ms where the kernel has netem (see cluster.lossy). No node is declared dead
// and no stream moves.
func lossyNetwork(t *testing.T, c *cluster, r *row) {
	before, _ := c.waitConverged(t, c.nodes, time.Minute)
	t0, how := c.lossy(t, cfg.lossRate)
	r.faults = len(c.nodes)
	if strings.HasPrefix(how, "tc netem") {
		r.name += " (netem loss+delay)"
	} else {
		r.name += " (no netem: iptables loss, no delay)"
	}
	time.Sleep(cfg.loss) // the fault's deliberate duration
	t1 := c.healNetwork(t)
	samples := c.poll.between(t0, t1)
	dead := deaths(samples)
	changes := ownerChanges(samples)
	multi := multiRun(samples)
	after, _ := c.waitConverged(t, c.nodes, time.Minute)
	changed := 0
	for id, s := range after {
		if s.owner != before[id].owner || s.epoch != before[id].epoch {
			changed++
		}
	}
	r.note("%s, on all 5 nodes for %s; %d samples of the nodes' views", how, cfg.loss, len(samples))
	r.note("members declared dead: %d %v; owner/epoch changes: %d; streams with two runners: %d; changed at the end: %d",
		len(dead), dead, len(changes), len(multi), changed)
	if len(dead) > 0 {
		t.Errorf("nodes declared dead under loss: %v (by whom)", dead)
	}
	if len(changes) > 0 || changed > 0 {
		t.Errorf("streams moved under loss: %v", changes)
	}
	_, g, _ := c.logGaps(t, t0, t1)
	var moved []string
	for id := range changes {
		moved = append(moved, id)
	}
	r.setGaps(g, moved)
	c.finish(t, r)
}
