//go:build chaos

package chaos

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// sourceStall is how long a cycle stalls a channel: longer than the agents'
// no-signal timeout (5 s), so that no_signal opens before the reset.
const sourceStall = 6 * time.Second

// longStall is the first round's stall: long enough for a reconnect attempt to
// time out too (5 s), so that the second restart waits twice as long as the first.
const longStall = 14 * time.Second

// sourceFaults: cfg.cycles cycles of "stall a channel, reset its connections,
// recover", every channel at once (a round), the first round with a long stall. Every stream on a faulted
// channel opens no_signal and clears it, reconnects with backoff (restart delays
// doubling from 1 s), runs again on the same owner; the nodes' goroutines, open
// files and resident memory stay flat across the cycles.
func sourceFaults(t *testing.T, c *cluster, r *row) {
	before, _ := c.waitConverged(t, c.nodes, time.Minute)
	t0 := time.Now()
	byChannel := map[int][]string{}
	for i, id := range c.ids {
		byChannel[i%cfg.channels] = append(byChannel[i%cfg.channels], id)
	}
	samples := map[string][]procMetrics{}
	sample := func() {
		for _, n := range c.nodes {
			m, err := scrape(n)
			if err != nil {
				t.Errorf("metrics: %v", err)
				continue
			}
			samples[n.name] = append(samples[n.name], m)
		}
	}
	var episodes []time.Duration // no_signal open → clear
	sample()
	next := 0
	affected := map[string]bool{}
	for done := 0; done < cfg.cycles; {
		k := min(cfg.channels, cfg.cycles-done)
		stall := sourceStall
		if done == 0 {
			stall = longStall
		}
		var chans []int
		var ids []string
		for range k {
			ch := next % cfg.channels
			next++
			chans = append(chans, ch)
			ids = append(ids, byChannel[ch]...)
		}
		start := time.Now()
		for _, ch := range chans {
			c.source(t, ch, "stall?seconds="+strconv.FormatFloat(stall.Seconds(), 'f', -1, 64))
		}
		waitFor(t, fmt.Sprintf("no_signal on every stream of channels %v", chans), 30*time.Second, func() (bool, string) {
			opened, _, _ := noSignal(c.watch.between(start, time.Now().Add(time.Second)), ids)
			return len(opened) == len(ids), fmt.Sprintf("%d of %d opened", len(opened), len(ids))
		})
		if wait := time.Until(start.Add(stall)); wait > 0 {
			time.Sleep(wait) // the rest of the stall: the reset comes after it
		}
		for _, ch := range chans {
			c.source(t, ch, "reset")
		}
		waitFor(t, fmt.Sprintf("every stream of channels %v running again with no_signal cleared", chans), time.Minute, func() (bool, string) {
			_, cleared, open := noSignal(c.watch.between(start, time.Now().Add(time.Second)), ids)
			for _, id := range ids {
				if cleared[id].IsZero() || open[id] > 0 {
					return false, fmt.Sprintf("%s: no_signal still open (%d)", id, open[id])
				}
			}
			p, why := c.converged(c.nodes)
			return p != nil, why
		})
		opened, cleared, _ := noSignal(c.watch.between(start, time.Now().Add(time.Second)), ids)
		for _, id := range ids {
			affected[id] = true
			episodes = append(episodes, cleared[id].Sub(opened[id]))
		}
		done += k
		sample()
	}
	r.faults = cfg.cycles
	after, _ := c.waitConverged(t, c.nodes, time.Minute)
	moved := classifyMoves(before, after, names(c.nodes), names(c.nodes), func(string) bool { return false })
	if len(moved.moved) > 0 {
		t.Errorf("source faults moved streams between nodes: %v", moved.moved)
	}
	r.note("%d cycles (stall %s — the first round %s —, reset, recover), %d channels at a time: every stream of a faulted channel opened no_signal and cleared it in each round; open for %s",
		cfg.cycles, sourceStall, longStall, cfg.channels, describe(episodes))
	checkBackoff(t, c, r, t0)
	checkFlat(t, r, samples)
	_, g, _ := c.logGaps(t, t0, time.Now())
	var ids []string
	for id := range affected {
		ids = append(ids, id)
	}
	r.setGaps(g, ids)
	c.finish(t, r)
}

// noSignal returns, for the given streams, when the first no_signal opened, when
// the last one cleared, and how many are still open, among events.
func noSignal(events []event, ids []string) (opened, cleared map[string]time.Time, open map[string]int) {
	opened, cleared, open = map[string]time.Time{}, map[string]time.Time{}, map[string]int{}
	for _, e := range events {
		id := e.ev.GetStreamId()
		if e.ev.GetType() != "no_signal" || !slices.Contains(ids, id) {
			continue
		}
		switch {
		case !e.ev.GetEnded():
			if opened[id].IsZero() {
				opened[id] = e.got
			}
			open[id]++
		case !opened[id].IsZero():
			cleared[id] = e.got
			open[id]--
		}
	}
	return opened, cleared, open
}

// checkBackoff checks the decoders' restart schedule from the nodes' logs: restart
// n waits 1 s·2^(n-1) (capped), and a restart never comes sooner than its delay.
func checkBackoff(t *testing.T, c *cluster, r *row, from time.Time) {
	t.Helper()
	l := c.readLogs(t)
	attempts := map[int]int{}
	bad := 0
	var early []string
	type key struct{ node, stream string }
	last := map[key]logLine{}
	for _, g := range l.logs {
		if g.Time.Before(from) || g.Msg != "input failed; restarting decoder" {
			continue
		}
		attempts[g.Attempt]++
		want := time.Second << max(g.Attempt-1, 0)
		if d := time.Duration(g.After); g.Attempt < 1 || d != min(want, 30*time.Second) {
			bad++
		}
		k := key{g.node, g.Stream}
		if p, ok := last[k]; ok && g.Attempt == p.Attempt+1 && g.Time.Sub(p.Time) < time.Duration(p.After) {
			early = append(early, fmt.Sprintf("%s attempt %d after %s", g.Stream, g.Attempt, g.Time.Sub(p.Time)))
		}
		last[k] = g
	}
	var parts []string
	for n := 1; n <= 6; n++ {
		if attempts[n] > 0 {
			parts = append(parts, fmt.Sprintf("#%d (%s): %d", n, time.Second<<(n-1), attempts[n]))
		}
	}
	r.note("decoder restarts by attempt (delay): %s", strings.Join(parts, ", "))
	if len(attempts) == 0 {
		t.Error("no decoder restart in the nodes' logs")
	}
	if bad > 0 {
		t.Errorf("%d restarts with a delay other than 1 s·2^(attempt-1)", bad)
	}
	if len(early) > 0 {
		t.Errorf("restarts sooner than their backoff: %v", early)
	}
}

// checkFlat checks each node's goroutines, open files and resident memory: the
// smallest of the last three samples against the smallest of the first three after
// the first round (which warms the reconnect path up). A leak raises the floor;
// transient goroutines (a stream of another node's channel reconnecting at the
// moment of a sample) only add to one sample: with medians, counts that went
// 47 47 48 47 47 56 56 over a run failed the +5%+5 limit.
func checkFlat(t *testing.T, r *row, samples map[string][]procMetrics) {
	t.Helper()
	for _, name := range nodeNames {
		s := samples[name]
		if len(s) < 5 {
			t.Errorf("%s: %d metric samples, too few to judge", name, len(s))
			continue
		}
		pick := func(f func(procMetrics) float64, from, to int) float64 {
			var v []float64
			for _, m := range s[from:to] {
				v = append(v, f(m))
			}
			return slices.Min(v)
		}
		g0, g1 := pick(func(m procMetrics) float64 { return m.goroutines }, 1, 4), pick(func(m procMetrics) float64 { return m.goroutines }, len(s)-3, len(s))
		f0, f1 := pick(func(m procMetrics) float64 { return m.fds }, 1, 4), pick(func(m procMetrics) float64 { return m.fds }, len(s)-3, len(s))
		m0, m1 := pick(func(m procMetrics) float64 { return m.rss }, 1, 4), pick(func(m procMetrics) float64 { return m.rss }, len(s)-3, len(s))
		var gs, rs []string
		for _, m := range s {
			gs = append(gs, fmt.Sprintf("%.0f", m.goroutines))
			rs = append(rs, fmt.Sprintf("%.0f", m.rss/(1<<20)))
		}
		r.note("%s over %d samples: goroutines %.0f → %.0f (%s), open fds %.0f → %.0f, RSS %.0f → %.0f MiB (%s)",
			name, len(s), g0, g1, strings.Join(gs, " "), f0, f1, m0/(1<<20), m1/(1<<20), strings.Join(rs, " "))
		if g1 > g0*1.05+5 {
			t.Errorf("%s: goroutines grew %.0f → %.0f (limit +5%% +5)", name, g0, g1)
		}
		if f1 > f0+5 {
			t.Errorf("%s: open fds grew %.0f → %.0f (limit +5)", name, f0, f1)
		}
		if m1 > m0*1.10 {
			t.Errorf("%s: RSS grew %.0f → %.0f MiB (limit +10%%)", name, m0/(1<<20), m1/(1<<20))
		}
	}
}
