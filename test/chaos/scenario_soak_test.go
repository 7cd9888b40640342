//go:build chaos

package chaos

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"
	"time"

	vigilv1 "github.com/vigil-monitor/vigil/proto/vigil/v1"
)

// soakFault is one kind of fault the soak injects: inject does it and returns what
// it did and how to undo it.
type soakFault struct {
	name   string
	inject func(t *testing.T, c *cluster, rng *rand.Rand) (what string, undo func())
}

var soakFaults = []soakFault{
	{"kill", func(t *testing.T, c *cluster, rng *rand.Rand) (string, func()) {
		n := c.nodes[rng.IntN(len(c.nodes))]
		c.kill(t, n)
		return "kill -s KILL " + n.name, func() { c.start(t, n) }
	}},
	{"stop", func(t *testing.T, c *cluster, rng *rand.Rand) (string, func()) {
		n := c.nodes[rng.IntN(len(c.nodes))]
		c.stop(t, n)
		return "stop " + n.name, func() { c.start(t, n) }
	}},
	{"pause", func(t *testing.T, c *cluster, rng *rand.Rand) (string, func()) {
		n := c.nodes[rng.IntN(len(c.nodes))]
		c.pause(t, n)
		return "pause " + n.name, func() { c.unpause(t, n) }
	}},
	{"partition", func(t *testing.T, c *cluster, rng *rand.Rand) (string, func()) {
		perm := rng.Perm(len(c.nodes))
		var a, b []*node
		for i, j := range perm {
			if i < 2 {
				a = append(a, c.nodes[j])
			} else {
				b = append(b, c.nodes[j])
			}
		}
		c.partition(t, a, b)
		return fmt.Sprintf("partition %v|%v", a, b), func() { c.healNetwork(t) }
	}},
	{"loss", func(t *testing.T, c *cluster, rng *rand.Rand) (string, func()) {
		c.lossy(t, cfg.lossRate)
		return fmt.Sprintf("%.0f%% loss", cfg.lossRate*100), func() { c.healNetwork(t) }
	}},
	{"source", func(t *testing.T, c *cluster, rng *rand.Rand) (string, func()) {
		ch := rng.IntN(cfg.channels)
		c.source(t, ch, "stall?seconds=6")
		return fmt.Sprintf("stall+reset channel %d", ch), func() { c.source(t, ch, "reset") }
	}},
}

// soak: cfg.soak random faults from the set above, one every cfg.soakEvery, each held
// 3–7 s and undone (a killed or stopped node is started again, without waiting for
// the cluster to settle). At the end: every assignment monitored, none duplicated;
// the distribution of gaps is reported.
func soak(t *testing.T, c *cluster, r *row) {
	c.waitConverged(t, c.nodes, time.Minute)
	seed := cfg.seed
	if seed == 0 {
		seed = time.Now().UnixNano()
	}
	rng := rand.New(rand.NewPCG(uint64(seed), 0))
	t0 := time.Now()
	counts := map[string]int{}
	var log, cleared []string
	for i := range cfg.soak {
		tick := t0.Add(time.Duration(i) * cfg.soakEvery)
		if wait := time.Until(tick); wait > 0 {
			time.Sleep(wait) // the soak's deliberate pace
		}
		if cl := c.clearCrashes(t); len(cl) > 0 {
			cleared = append(cleared, cl...)
		}
		f := soakFaults[rng.IntN(len(soakFaults))]
		hold := 3*time.Second + time.Duration(rng.IntN(4000))*time.Millisecond
		at := time.Since(t0).Round(time.Second)
		what, undo := f.inject(t, c, rng)
		time.Sleep(hold) // the fault's deliberate duration
		undo()
		counts[f.name]++
		log = append(log, fmt.Sprintf("%s %s for %s", at, what, hold.Round(100*time.Millisecond)))
		t.Logf("soak fault %d/%d at %s: %s, held %s", i+1, cfg.soak, at, what, hold.Round(100*time.Millisecond))
	}
	r.faults = cfg.soak
	tEnd := time.Now()
	p, end, why := c.tryConverge(t, c.nodes, 3*time.Minute)
	var kinds []string
	for k, n := range counts {
		kinds = append(kinds, fmt.Sprintf("%s %d", k, n))
	}
	sort.Strings(kinds)
	r.note("seed %d: %d faults in %s (%s)", seed, cfg.soak, tEnd.Sub(t0).Round(time.Second), strings.Join(kinds, ", "))
	r.note("faults: %s", strings.Join(log, "; "))
	if p == nil {
		r.note("no convergence within 3 minutes of the last fault: %s", why)
		t.Errorf("not converged 3 minutes after the last fault: %s", why)
		end = time.Now()
	} else {
		r.note("converged %s after the last fault was undone", secs(end.Sub(tEnd)))
	}
	if len(cleared) > 0 {
		r.note("crash records from the soak's own kills, cleared by assigning the stream again before the next fault (3 within 10 minutes would quarantine it): %s", strings.Join(cleared, ", "))
	}
	quarantined := c.quarantined(t)
	if len(quarantined) > 0 {
		r.note("quarantined (crash records from killed nodes): %v", quarantined)
	}
	_, g, all := c.logGaps(t, t0, end)
	var stretches []time.Duration
	for _, ss := range all {
		for _, s := range ss {
			stretches = append(stretches, s.length())
		}
	}
	var moved []string
	for id := range ownerChanges(c.poll.between(t0, end)) {
		moved = append(moved, id)
	}
	r.setGaps(g, moved)
	r.note("gaps: %d streams had %d gaps: %s", len(g), len(stretches), describe(stretches))
	c.finish(t, r)
}

// quarantined lists the suite's streams a node reports quarantined.
func (c *cluster) quarantined(t *testing.T) []string {
	t.Helper()
	for _, n := range c.upNodes() {
		ss, err := n.list(context.Background())
		if err != nil {
			continue
		}
		var out []string
		for _, s := range ss {
			if s.GetState() == vigilv1.StreamState_STREAM_STATE_QUARANTINED {
				out = append(out, fmt.Sprintf("%s (%d crashes)", s.GetSpec().GetId(), s.GetCrashes()))
			}
		}
		return out
	}
	return nil
}
