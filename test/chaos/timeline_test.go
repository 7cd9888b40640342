//go:build chaos

package chaos

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"
)

// Gaps in monitoring are measured from the nodes' own records, not from polling: with
// --json every agent prints a line for each change of a stream's state on it
// ("running" when its run decodes its first frame, "stopped" when the run ends),
// stamped with its clock — the host's clock, as the containers share its kernel. A
// stream is monitored while some node's run of it is between "running" and
// "stopped" ("retrying" still counts: the node is watching the input and reports
// no_signal). A process the suite kills or pauses prints nothing: its runs end (or
// freeze) at the moment the suite issued the command, which can only make a measured
// gap longer than the real one.

// stateLine is an agent's JSON line for a stream's change of state.
type stateLine struct {
	Event  string    `json:"event"`
	Stream string    `json:"stream"`
	Node   string    `json:"node"`
	Epoch  uint64    `json:"epoch"`
	At     time.Time `json:"at"`
	State  string    `json:"state"`
}

// logLine is a line of an agent's JSON log (stderr).
type logLine struct {
	Time   time.Time `json:"time"`
	Level  string    `json:"level"`
	Msg    string    `json:"msg"`
	Stream string    `json:"stream"`
	Why    string    `json:"why"`
	Err    string    `json:"err"`
	// After and Attempt are a decoder restart's backoff (nanoseconds) and number.
	After   int64 `json:"after"`
	Attempt int   `json:"attempt"`
	node    string
}

// nodeLogs are every node's parsed output (every run of its container).
type nodeLogs struct {
	states []stateLine
	logs   []logLine
}

// readLogs reads and parses every node container's output.
func (c *cluster) readLogs(tb testing.TB) nodeLogs {
	tb.Helper()
	var out nodeLogs
	for _, n := range c.nodes {
		_, _, id := n.addr()
		stdout, stderr, err := logs(id)
		if err != nil {
			tb.Errorf("logs of %s: %v", n, err)
			continue
		}
		for _, l := range strings.Split(stdout, "\n") {
			var s stateLine
			if json.Unmarshal([]byte(l), &s) == nil && s.Event == "state" {
				out.states = append(out.states, s)
			}
		}
		for _, l := range strings.Split(stderr, "\n") {
			var g logLine
			if json.Unmarshal([]byte(l), &g) == nil && g.Msg != "" {
				g.node = n.name
				out.logs = append(out.logs, g)
			}
		}
	}
	sort.SliceStable(out.states, func(i, j int) bool { return out.states[i].At.Before(out.states[j].At) })
	sort.SliceStable(out.logs, func(i, j int) bool { return out.logs[i].Time.Before(out.logs[j].Time) })
	return out
}

// interval is a time one node decoded one stream; to is zero while it lasts.
type interval struct {
	node     string
	epoch    uint64
	from, to time.Time
}

// decodeIntervals returns, per stream, when each node decoded it: from its state
// lines, cut by the times its process was dead or frozen.
func decodeIntervals(states []stateLine, windows []downWindow) map[string][]interval {
	type key struct{ stream, node string }
	open := map[key]*interval{}
	raw := map[string][]interval{}
	for _, s := range states {
		k := key{s.Stream, s.Node}
		switch s.State {
		case "running":
			if iv := open[k]; iv != nil && iv.epoch != s.Epoch {
				// A new run on the same node: the old one ended (its process was
				// killed, so it printed no "stopped"; the down window cuts it earlier).
				iv.to = s.At
				raw[s.Stream] = append(raw[s.Stream], *iv)
				delete(open, k)
			}
			if open[k] == nil {
				open[k] = &interval{node: s.Node, epoch: s.Epoch, from: s.At}
			}
		case "stopped":
			if iv := open[k]; iv != nil {
				iv.to = s.At
				raw[s.Stream] = append(raw[s.Stream], *iv)
				delete(open, k)
			}
		}
	}
	for k, iv := range open {
		raw[k.stream] = append(raw[k.stream], *iv)
	}
	out := map[string][]interval{}
	for id, ivs := range raw {
		for _, iv := range ivs {
			out[id] = append(out[id], clip(iv, windows)...)
		}
	}
	return out
}

// clip cuts an interval by its node's down windows: a dead process ends it, a frozen
// one suspends it until it thaws.
func clip(iv interval, windows []downWindow) []interval {
	var out []interval
	cur := iv
	for _, w := range windows {
		if w.node != iv.node || !w.from.After(cur.from) || (!cur.to.IsZero() && !w.from.Before(cur.to)) {
			continue
		}
		head := cur
		head.to = w.from
		out = append(out, head)
		if !w.frozen || w.to.IsZero() || (!cur.to.IsZero() && !w.to.Before(cur.to)) {
			return out
		}
		cur.from = w.to
	}
	return append(out, cur)
}

// span is a stretch of time.
type span struct{ from, to time.Time }

func (s span) length() time.Duration { return s.to.Sub(s.from) }

// uncovered returns the stretches of [from, to) that no interval covers. Scenarios
// start from a converged cluster, where every stream is covered at from.
func uncovered(ivs []interval, from, to time.Time) []span {
	sort.Slice(ivs, func(i, j int) bool { return ivs[i].from.Before(ivs[j].from) })
	var out []span
	cur := from
	for _, iv := range ivs {
		end := iv.to
		if end.IsZero() || end.After(to) {
			end = to
		}
		if !end.After(cur) {
			continue
		}
		if iv.from.After(cur) {
			if !iv.from.Before(to) {
				break
			}
			out = append(out, span{cur, iv.from})
		}
		cur = end
		if !cur.Before(to) {
			break
		}
	}
	if cur.Before(to) {
		out = append(out, span{cur, to})
	}
	return out
}

// gaps returns each stream's uncovered stretches in [from, to).
func gaps(intervals map[string][]interval, ids []string, from, to time.Time) map[string][]span {
	out := map[string][]span{}
	for _, id := range ids {
		if g := uncovered(intervals[id], from, to); len(g) > 0 {
			out[id] = g
		}
	}
	return out
}

// longest returns the longest span of each stream (0 for none).
func longest(g map[string][]span) map[string]time.Duration {
	out := map[string]time.Duration{}
	for id, ss := range g {
		for _, s := range ss {
			out[id] = max(out[id], s.length())
		}
	}
	return out
}

// firstRunning returns the first "running" line of stream id on node at or after t.
func (l nodeLogs) firstRunning(id, node string, t time.Time) (stateLine, bool) {
	for _, s := range l.states {
		if s.Stream == id && s.Node == node && s.State == "running" && !s.At.Before(t) {
			return s, true
		}
	}
	return stateLine{}, false
}

// firstLog returns node's first log line with message msg about stream id at or
// after t.
func (l nodeLogs) firstLog(node, msg, id string, t time.Time) (logLine, bool) {
	for _, g := range l.logs {
		if g.node == node && g.Msg == msg && g.Stream == id && !g.Time.Before(t) {
			return g, true
		}
	}
	return logLine{}, false
}

// worstGaps describes the n longest gaps in g, relative to t0, with the intervals of
// their stream around them, for a report.
func worstGaps(g map[string][]span, intervals map[string][]interval, t0 time.Time, n int) []string {
	type gap struct {
		id string
		s  span
	}
	var all []gap
	for id, ss := range g {
		for _, s := range ss {
			all = append(all, gap{id, s})
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].s.length() > all[j].s.length() })
	rel := func(t time.Time) string {
		if t.IsZero() {
			return "…"
		}
		return t.Sub(t0).Round(100 * time.Millisecond).String()
	}
	var out []string
	for _, x := range all[:min(n, len(all))] {
		var around []string
		for _, iv := range intervals[x.id] {
			if !iv.to.IsZero() && iv.to.Before(x.s.from.Add(-10*time.Second)) || iv.from.After(x.s.to.Add(10*time.Second)) {
				continue
			}
			around = append(around, fmt.Sprintf("%s %s–%s", iv.node, rel(iv.from), rel(iv.to)))
		}
		out = append(out, fmt.Sprintf("%s unmonitored %s–%s (%s; decoded by %s)", x.id, rel(x.s.from), rel(x.s.to),
			secs(x.s.length()), strings.Join(around, ", ")))
	}
	return out
}
