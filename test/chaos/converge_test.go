//go:build chaos

package chaos

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	vigilv1 "github.com/vigil-monitor/vigil/proto/vigil/v1"
)

// placed is the agreed state of one stream.
type placed struct {
	owner string
	epoch uint64
	since time.Time // running_since: the owner's first decoded frame
	url   string
}

// layout maps stream ids to their agreed state.
type layout map[string]placed

func (p layout) loads() map[string]int {
	out := map[string]int{}
	for _, s := range p {
		out[s.owner]++
	}
	return out
}

// ownedBy returns the streams p gives to node, sorted.
func (p layout) ownedBy(node string) []string {
	var out []string
	for id, s := range p {
		if s.owner == node {
			out = append(out, id)
		}
	}
	sort.Strings(out)
	return out
}

func (p layout) String() string {
	loads := p.loads()
	var parts []string
	for _, n := range nodeNames {
		if loads[n] > 0 {
			parts = append(parts, fmt.Sprintf("%s:%d", n, loads[n]))
		}
	}
	return strings.Join(parts, " ")
}

// converged reports the agreed layout if every node in nodes answers, sees
// exactly those nodes alive, lists exactly the suite's streams, and every stream is
// running (decoded a first frame) on the owner all of them agree on, and on it
// alone. Otherwise it says what is missing.
func (c *cluster) converged(nodes []*node) (layout, string) {
	want := make([]string, 0, len(nodes))
	for _, n := range nodes {
		want = append(want, n.name)
	}
	slices.Sort(want)
	type answer struct {
		streams []*vigilv1.Stream
		members []*vigilv1.Member
		err     error
	}
	answers := make([]answer, len(nodes))
	var wg sync.WaitGroup
	for i, n := range nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx := context.Background()
			ms, err := n.members(ctx)
			if err != nil {
				answers[i].err = err
				return
			}
			ss, err := n.list(ctx)
			answers[i] = answer{streams: ss, members: ms, err: err}
		}()
	}
	wg.Wait()
	var agreed layout
	for i, n := range nodes {
		a := answers[i]
		if a.err != nil {
			return nil, a.err.Error()
		}
		if alive := aliveNames(a.members); !slices.Equal(alive, want) {
			return nil, fmt.Sprintf("%s sees alive %v, want %v", n, alive, want)
		}
		view := layout{}
		for _, s := range a.streams {
			id := s.GetSpec().GetId()
			if _, ours := c.streams[id]; !ours {
				return nil, fmt.Sprintf("%s lists an unknown stream %s", n, id)
			}
			switch {
			case s.GetState() != vigilv1.StreamState_STREAM_STATE_RUNNING || s.GetRunningSinceUnixMs() == 0:
				return nil, fmt.Sprintf("%s: %s is %s on %q", n, id, stateName(s.GetState()), s.GetOwner())
			case !slices.Equal(s.GetRunners(), []string{s.GetOwner()}):
				return nil, fmt.Sprintf("%s: %s owned by %s, run by %v", n, id, s.GetOwner(), s.GetRunners())
			case !slices.Contains(want, s.GetOwner()):
				return nil, fmt.Sprintf("%s: %s owned by %s, not one of %v", n, id, s.GetOwner(), want)
			}
			view[id] = placed{owner: s.GetOwner(), epoch: s.GetEpoch(),
				since: time.UnixMilli(s.GetRunningSinceUnixMs()), url: s.GetSpec().GetUrl()}
		}
		if len(view) != len(c.streams) {
			return nil, fmt.Sprintf("%s lists %d streams, want %d", n, len(view), len(c.streams))
		}
		if agreed == nil {
			agreed = view
			continue
		}
		for id, v := range view {
			if a := agreed[id]; a.owner != v.owner || a.epoch != v.epoch {
				return nil, fmt.Sprintf("%s: %s on %s (epoch %d), %s says %s (epoch %d)",
					n, id, v.owner, v.epoch, nodes[0], a.owner, a.epoch)
			}
		}
	}
	return agreed, ""
}

// slowConvergence is how long a convergence may take before the suite logs what was
// missing on the way (each change of the first thing missing, with its time).
const slowConvergence = 5 * time.Second

// converge polls until the nodes converge or within passes, and returns the layout
// (nil if they did not), when convergence was first seen (or the last poll), and
// what was missing, each time it changed.
func (c *cluster) converge(nodes []*node, within time.Duration) (layout, time.Time, []string) {
	var p layout
	var at time.Time
	var whys []string
	start := time.Now()
	poll(within, func() (bool, string) {
		var why string
		p, why = c.converged(nodes)
		at = time.Now()
		if p == nil && (len(whys) == 0 || !strings.HasSuffix(whys[len(whys)-1], ": "+why)) {
			whys = append(whys, fmt.Sprintf("%s: %s", secs(at.Sub(start)), why))
		}
		return p != nil, why
	})
	return p, at, whys
}

// waitConverged waits until the nodes converge and returns the layout and when
// convergence was first seen; it fails the test if they do not within the limit.
func (c *cluster) waitConverged(tb testing.TB, nodes []*node, within time.Duration) (layout, time.Time) {
	tb.Helper()
	start := time.Now()
	p, at, whys := c.converge(nodes, within)
	if p == nil {
		tb.Fatalf("%v to converge: not within %v; what was missing, as it changed:\n  %s", nodes, within, trace(whys))
	}
	if at.Sub(start) > slowConvergence {
		tb.Logf("%v took %s to converge; what was missing, as it changed:\n  %s", nodes, secs(at.Sub(start)), trace(whys))
	}
	return p, at
}

// tryConverge is waitConverged without failing: nil and the last thing missing when
// the nodes do not converge. A slow convergence is logged as waitConverged does.
func (c *cluster) tryConverge(tb testing.TB, nodes []*node, within time.Duration) (layout, time.Time, string) {
	tb.Helper()
	start := time.Now()
	p, at, whys := c.converge(nodes, within)
	if at.Sub(start) > slowConvergence {
		outcome := "converged"
		if p == nil {
			outcome = "not converged"
		}
		tb.Logf("%v %s after %s; what was missing, as it changed:\n  %s", nodes, outcome, secs(at.Sub(start)), trace(whys))
	}
	why := ""
	if len(whys) > 0 {
		_, why, _ = strings.Cut(whys[len(whys)-1], ": ")
	}
	return p, at, why
}

// trace formats what was missing for a log: the first and last 15 changes at most.
func trace(whys []string) string {
	if len(whys) > 30 {
		whys = append(append(slices.Clip(whys[:15]), fmt.Sprintf("… %d more …", len(whys)-30)), whys[len(whys)-15:]...)
	}
	return strings.Join(whys, "\n  ")
}

func aliveNames(ms []*vigilv1.Member) []string {
	var out []string
	for _, m := range ms {
		if m.GetState() == vigilv1.MemberState_MEMBER_STATE_ALIVE {
			out = append(out, m.GetName())
		}
	}
	slices.Sort(out)
	return out
}

// stateName is a stream state as the CLI prints it.
func stateName(s vigilv1.StreamState) string {
	return strings.ToLower(strings.TrimPrefix(s.String(), "STREAM_STATE_"))
}

// restore brings the cluster back to five converged nodes after a scenario: network
// faults healed, paused nodes unpaused, dead nodes started. A cluster that does not
// converge within the limit has its nodes restarted one at a time (a split that
// never heals by itself is healed by a node rejoining); each such repair is
// reported as a failure of the scenario that needed it.
func (c *cluster) restore(tb testing.TB, within time.Duration) layout {
	tb.Helper()
	c.healNetwork(tb)
	for _, n := range c.nodes {
		switch n.getStatus() {
		case nodePaused:
			c.unpause(tb, n)
		case nodeDown:
			c.start(tb, n)
		}
	}
	p, _, why := c.tryConverge(tb, c.nodes, within)
	if p != nil {
		return p
	}
	tb.Errorf("cluster did not converge within %v of the repair (%s); restarting the nodes one at a time", within, why)
	for _, n := range c.nodes {
		c.stop(tb, n)
		c.start(tb, n)
		if p, _, _ = c.tryConverge(tb, c.nodes, within); p != nil {
			tb.Logf("converged again after restarting %s", n)
			return p
		}
	}
	p, _ = c.waitConverged(tb, c.nodes, 2*within)
	return p
}
