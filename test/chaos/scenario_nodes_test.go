//go:build chaos

package chaos

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigil-monitor/vigil/cluster/placement"
)

// bootstrap: every node sees five members, every stream has exactly one owner (the
// one cluster/placement computes for these members and ids), and per-node counts are
// within ±15% of the mean. The band is the criterion; cluster/placement keeps
// every node between its floor and its capacity, which for 5 nodes and 40 streams is
// the same band (7 to 9).
func bootstrap(t *testing.T, c *cluster, r *row) {
	p, _ := c.waitConverged(t, c.nodes, 3*time.Minute)
	r.note("every node sees 5 members alive; every stream runs on exactly the owner all 5 agree on")
	want := expected(names(c.nodes), c.ids, placement.DefaultConfig())
	for id, s := range p {
		if want[id] != s.owner {
			t.Errorf("%s runs on %s; cluster/placement says %s", id, s.owner, want[id])
		}
	}
	mean := float64(len(p)) / float64(len(c.nodes))
	lo, hi := mean*0.85, mean*1.15
	loads := p.loads()
	var counts []int
	var out []string
	for _, n := range c.nodes {
		counts = append(counts, loads[n.name])
		if l := float64(loads[n.name]); l < lo || l > hi {
			out = append(out, fmt.Sprintf("%s %d", n, loads[n.name]))
		}
	}
	r.note("per-node streams %v (%s); mean %.1f, ±15%% band [%.1f, %.1f]", counts, p, mean, lo, hi)
	if len(out) == 0 {
		r.note("within ±15%% of the mean")
	} else {
		n, k := len(p), float64(len(c.nodes))
		r.note("outside ±15%% of the mean: %s (cluster/placement's floor and capacity for this size: %d and %d)",
			strings.Join(out, ", "), placement.Floor(n, 1, k, placement.DefaultEpsilon), placement.Capacity(n, 1, k, placement.DefaultEpsilon))
		t.Errorf("per-node stream counts %v not within ±15%% of the mean %.1f [%.1f, %.1f]: %s", counts, mean, lo, hi, strings.Join(out, ", "))
	}
	c.finish(t, r)
}

// killNode: docker kill -s KILL one node. Its streams decode elsewhere within the
// failover limit (p99, by running_since on the new owners); nothing else moves; the
// survivors converge with none orphaned or duplicated. Then the node is started
// again and takes its streams back.
func killNode(t *testing.T, c *cluster, r *row) {
	before, _ := c.waitConverged(t, c.nodes, time.Minute)
	victim := c.byName["vigil3"]
	theirs := before.ownedBy(victim.name)
	survivors := without(c.nodes, victim)
	t0 := c.kill(t, victim)
	r.faults = 1
	after, convAt := c.waitConverged(t, survivors, time.Minute)
	var failover []time.Duration
	for _, id := range theirs {
		failover = append(failover, after[id].since.Sub(t0))
	}
	r.note("killed %s running %d streams; the 4 survivors converged %s later (%s)", victim, len(theirs), secs(convAt.Sub(t0)), after)
	r.note("its streams decoding on survivors after the kill (running_since − kill): %s; limit p99 ≤ %s", describe(failover), secs(cfg.failover))
	if p99 := percentile(failover, 99); p99 > cfg.failover {
		t.Errorf("failover p99 %s over the limit %s", secs(p99), secs(cfg.failover))
	}
	m := classifyMoves(before, after, names(c.nodes), names(survivors), func(id string) bool { return slices.Contains(theirs, id) })
	r.note("other streams moved: %d off their rendezvous choice (%s), %d others, %d restarted in place", len(m.bound), listOrNone(m.bound), len(m.unexplained), len(m.restarted))
	// "Nothing else moves": the killed node keeps its place in the layout, so any
	// other move is a failure, balance-explained or not.
	if len(m.bound) > 0 || len(m.unexplained) > 0 || len(m.restarted) > 0 {
		t.Errorf("streams not on %s moved: %d off their rendezvous choice (%s), %d others (%s); restarted in place: %s",
			victim, len(m.bound), listOrNone(m.bound), len(m.unexplained), listOrNone(m.unexplained), listOrNone(m.restarted))
	}

	c.start(t, victim)
	back, backAt := c.waitConverged(t, c.nodes, 2*time.Minute)
	mb := classifyMoves(after, back, names(survivors), names(c.nodes), func(id string) bool { return back[id].owner == victim.name })
	r.note("%s started again: 5 nodes converged %s after its start; %d streams moved back to it", victim, secs(backAt.Sub(convAt)), len(mb.expected))
	l, g, _ := c.logGaps(t, t0, backAt)
	r.setGaps(g, append(m.moved, mb.moved...))
	// Failover = detection and placement (kill → "start" on the new owner) + the new
	// owner's time to its first frame (connect, probe, wait for a key frame, decode).
	var detect, ttff []time.Duration
	for _, id := range theirs {
		to := after[id].owner
		started, ok1 := l.firstLog(to, "start", id, t0)
		run, ok2 := l.firstRunning(id, to, t0)
		if ok1 && ok2 {
			detect = append(detect, started.Time.Sub(t0))
			ttff = append(ttff, run.At.Sub(started.Time))
		}
	}
	r.note("failover split: detection and placement (kill → start on the new owner) %s; the new owner's time to first frame %s", describe(detect), describe(ttff))
	var ours, others []time.Duration
	for id, d := range g {
		if slices.Contains(theirs, id) {
			ours = append(ours, d)
		} else {
			others = append(others, d)
		}
	}
	r.note("gaps (nodes' state lines): the killed node's streams %s; other streams %s", describe(ours), describe(others))
	c.finish(t, r)
}

// stopNode: docker stop (SIGTERM) one node. It drains: every stream it ran starts on
// its new owner before it stops here (make-before-break), so no stream is
// unmonitored for longer than its new owner took to its first frame; it exits 0.
func stopNode(t *testing.T, c *cluster, r *row) {
	before, _ := c.waitConverged(t, c.nodes, time.Minute)
	victim := c.byName["vigil4"]
	theirs := before.ownedBy(victim.name)
	survivors := without(c.nodes, victim)
	t0 := c.stop(t, victim)
	r.faults = 1
	after, convAt := c.waitConverged(t, survivors, time.Minute)
	r.note("stopped %s (SIGTERM, exit status checked) running %d streams; the survivors converged %s after the stop began", victim, len(theirs), secs(convAt.Sub(t0)))
	l, g, _ := c.logGaps(t, t0, convAt)
	var overlaps, ttffs []time.Duration
	for _, id := range theirs {
		to := after[id].owner
		run, ok1 := l.firstRunning(id, to, t0)
		started, ok2 := l.firstLog(to, "start", id, t0)
		stop, ok3 := l.firstLog(victim.name, "stop", id, t0)
		if !ok1 || !ok2 || !ok3 {
			t.Errorf("%s: hand-off %s → %s not in the logs (running %v, start %v, stop %v)", id, victim, to, ok1, ok2, ok3)
			continue
		}
		ttff := run.At.Sub(started.Time)
		ttffs = append(ttffs, ttff)
		overlaps = append(overlaps, stop.Time.Sub(run.At))
		if gap := g[id]; gap > ttff {
			t.Errorf("%s: unmonitored %s, longer than the new owner's time to first frame %s", id, secs(gap), secs(ttff))
		}
		if want := "new owner " + to + " decodes"; stop.Why != want {
			t.Errorf("%s: %s stopped it because %q, want %q", id, victim, stop.Why, want)
		}
	}
	r.note("new owners' time to first frame: %s", describe(ttffs))
	r.note("old owner stopped after the new one decoded by (make-before-break overlap): %s", describe(overlaps))
	var gs []time.Duration
	for _, d := range g {
		gs = append(gs, d)
	}
	r.note("streams with a gap: %d (%s)", len(g), describe(gs))

	c.start(t, victim)
	back, backAt := c.waitConverged(t, c.nodes, 2*time.Minute)
	mb := classifyMoves(after, back, names(survivors), names(c.nodes), func(id string) bool { return back[id].owner == victim.name })
	_, g2, _ := c.logGaps(t, t0, backAt)
	r.note("%s started again: converged %s later, %d streams moved back; gaps over the whole scenario: %d streams", victim, secs(backAt.Sub(convAt)), len(mb.expected), len(g2))
	r.setGaps(g2, append(theirs, mb.moved...))
	for id, d := range g2 {
		if !slices.Contains(theirs, id) && d > 0 {
			t.Errorf("%s: unmonitored for %s on the way back (a hand-off with a gap)", id, secs(d))
		}
	}
	c.finish(t, r)
}

// pauseNode: docker pause one node for cfg.pause, then unpause. Its streams fail
// over during the pause; after the unpause the cluster is back to one runner per
// stream within one convergence period; alarms that two nodes raised for the same
// stream carry different epochs.
func pauseNode(t *testing.T, c *cluster, r *row) {
	before, _ := c.waitConverged(t, c.nodes, time.Minute)
	victim := c.byName["vigil2"]
	theirs := before.ownedBy(victim.name)
	survivors := without(c.nodes, victim)
	t0 := c.pause(t, victim)
	r.faults = 1
	during, convAt := c.waitConverged(t, survivors, cfg.pause)
	var failover []time.Duration
	for _, id := range theirs {
		failover = append(failover, during[id].since.Sub(t0))
	}
	r.note("paused %s (running %d streams) for %s; its streams decoded on survivors after %s; survivors converged %s into the pause",
		victim, len(theirs), cfg.pause, describe(failover), secs(convAt.Sub(t0)))
	if wait := time.Until(t0.Add(cfg.pause)); wait > 0 {
		time.Sleep(wait) // the fault's deliberate duration
	}
	tu := c.unpause(t, victim)
	after, backAt, why := c.tryConverge(t, c.nodes, 2*time.Minute)
	if after == nil {
		t.Fatalf("no convergence within 2 minutes of the unpause: %s", why)
	}
	conv := backAt.Sub(tu)
	if merged := allAlive(c.poll.between(tu, backAt.Add(time.Second)), names(c.nodes), tu, backAt.Add(time.Second)); !merged.IsZero() {
		r.note("unpaused: every node saw all 5 alive %s later", secs(merged.Sub(tu)))
	}
	r.note("unpaused: one runner per stream on all 5 nodes %s later (limit %s)", secs(conv), secs(cfg.converge))
	if conv > cfg.converge {
		t.Errorf("stale copies still running %s after the unpause, over one convergence period (%s)", secs(conv), secs(cfg.converge))
	}
	mb := classifyMoves(during, after, names(survivors), names(c.nodes), func(id string) bool { return after[id].owner == victim.name })
	kept := 0
	for _, id := range mb.expected {
		if after[id].epoch == before[id].epoch {
			kept++
		}
	}
	r.note("%d streams went back to %s, %d of them in the run it had before the pause (same epoch)", len(mb.expected), victim, kept)
	checkDuplicateAlarms(t, c, r, theirs, t0, backAt.Add(2*time.Second))
	_, g, _ := c.logGaps(t, t0, backAt)
	r.setGaps(g, append(theirs, mb.moved...))
	c.finish(t, r)
}

// checkDuplicateAlarms finds defects of the given streams that two nodes reported
// between from and to (the same stream and type, starting within 5 s of each other
// by the wall clock), and checks that each report carries its own run's epoch:
// distinct nodes, distinct epochs.
func checkDuplicateAlarms(t *testing.T, c *cluster, r *row, ids []string, from, to time.Time) {
	t.Helper()
	type report struct {
		owner   string
		epoch   uint64
		started int64
	}
	type key struct{ stream, typ string }
	reports := map[key][]report{}
	untagged := 0
	for _, e := range c.watch.between(from, to) {
		ev := e.ev
		if !slices.Contains(ids, ev.GetStreamId()) || ev.GetEnded() {
			continue
		}
		if ev.GetEpoch() == 0 {
			untagged++
		}
		k := key{ev.GetStreamId(), ev.GetType()}
		reports[k] = append(reports[k], report{ev.GetOwner(), ev.GetEpoch(), ev.GetStartedAtUnixMs()})
	}
	dups := 0
	for k, rs := range reports {
		for i, a := range rs {
			for _, b := range rs[i+1:] {
				if a.owner == b.owner || math.Abs(float64(a.started-b.started)) > 5000 {
					continue
				}
				dups++
				if a.epoch == b.epoch {
					t.Errorf("%s %s reported by %s and %s with the same epoch %d", k.stream, k.typ, a.owner, b.owner, a.epoch)
				}
			}
		}
	}
	r.note("alarms on the paused node's streams: %d defects reported by two nodes, each pair with distinct epochs unless listed as an error; %d alarms without an epoch", dups, untagged)
	if untagged > 0 {
		t.Errorf("%d alarms carry no ownership epoch", untagged)
	}
}
