//go:build chaos

package chaos

import (
	"context"
	"maps"
	"testing"
	"time"
)

// rollingGapLimit is the bound on any stream's gap during a rolling restart.
const rollingGapLimit = 3 * time.Second

// rollingRestart: restart the five nodes one at a time (SIGTERM, drain, exit, start),
// waiting for the cluster to converge in between. The assignments are identical
// before and after, and no stream is unmonitored for more than 3 s.
func rollingRestart(t *testing.T, c *cluster, r *row) {
	before, _ := c.waitConverged(t, c.nodes, time.Minute)
	table0 := c.table(t)
	t0 := time.Now()
	var took []time.Duration
	for _, n := range c.nodes {
		s := time.Now()
		c.stop(t, n)
		c.start(t, n)
		c.waitConverged(t, c.nodes, 2*time.Minute)
		took = append(took, time.Since(s))
		r.faults++
	}
	after, end := c.waitConverged(t, c.nodes, time.Minute)
	table1 := c.table(t)
	if !maps.Equal(table0, table1) {
		t.Errorf("assignments differ after the rolling restart:\nbefore %v\nafter  %v", table0, table1)
	}
	same := 0
	for id, s := range after {
		if s.owner == before[id].owner {
			same++
		}
	}
	r.note("restarted %v one at a time; each stop→converged took %s", names(c.nodes), describe(took))
	r.note("assignments (id → URL) identical before and after: %v; %d of %d streams on the same owner as before", maps.Equal(table0, table1), same, len(after))
	_, g, _ := c.logGaps(t, t0, end)
	var gs []time.Duration
	for id, d := range g {
		gs = append(gs, d)
		if d > rollingGapLimit {
			t.Errorf("%s unmonitored for %s, over %s", id, secs(d), secs(rollingGapLimit))
		}
	}
	r.note("streams with a gap: %d (%s); limit %s per stream", len(g), describe(gs), secs(rollingGapLimit))
	r.setGaps(g, c.ids) // every stream moved at least once (off its node and back)
	c.finish(t, r)
}

// fullRestart: docker-compose down (graceful, volumes kept) then up. Every assignment
// comes back from the nodes' data volumes.
func fullRestart(t *testing.T, c *cluster, r *row) {
	c.waitConverged(t, c.nodes, time.Minute)
	table0 := c.table(t)
	t0 := time.Now()
	c.down(t, false)
	tDown := time.Now()
	c.up(t, false)
	for _, n := range c.nodes {
		c.markUp(n, time.Now())
	}
	r.faults = 1
	_, end := c.waitConverged(t, c.nodes, 3*time.Minute)
	table1 := c.table(t)
	r.note("docker-compose down took %s; up until every stream ran again once %s", secs(tDown.Sub(t0)), secs(end.Sub(tDown)))
	r.note("assignments restored from the volumes: %d of %d, identical: %v", len(table1), len(table0), maps.Equal(table0, table1))
	if !maps.Equal(table0, table1) {
		t.Errorf("assignments differ after down/up:\nbefore %v\nafter  %v", table0, table1)
	}
	// Everything was down by design: every stream's gap is the downtime (not judged).
	r.affected = len(c.ids)
	r.note("every stream was unmonitored while the whole cluster was down (by design; not a criterion, gaps not counted)")
	c.finish(t, r)
}

// table returns the stream table (id → URL) as one node lists it.
func (c *cluster) table(t *testing.T) map[string]string {
	t.Helper()
	for _, n := range c.upNodes() {
		ss, err := n.list(context.Background())
		if err != nil {
			continue
		}
		out := map[string]string{}
		for _, s := range ss {
			out[s.GetSpec().GetId()] = s.GetSpec().GetUrl()
		}
		return out
	}
	t.Fatal("no node answered for the stream table")
	return nil
}
