package cluster

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/vigil-monitor/vigil/cluster/placement"
	vigilv1 "github.com/vigil-monitor/vigil/proto/vigil/v1"
)

// node is one agent of the test cluster, across restarts.
type node struct {
	name                string
	gossip, admin, http int
	dataDir             string
	procs               []*proc // every process it ran as, the current one last
	client              vigilv1.AdminClient
}

func (n *node) proc() *proc               { return n.procs[len(n.procs)-1] }
func (n *node) gossipAddr() string        { return fmt.Sprintf("127.0.0.1:%d", n.gossip) }
func (n *node) adminAddr() string         { return fmt.Sprintf("127.0.0.1:%d", n.admin) }
func (n *node) running() bool             { return len(n.procs) > 0 && n.proc().running() }
func (n *node) String() string            { return n.name }
func (f *fixture) node(name string) *node { return f.nodes[name] }

// fixture is a test cluster: a live source and agents on loopback.
type fixture struct {
	tb        testing.TB
	dir       string
	logDir    string // where process output is copied (VIGIL_TEST_KEEP)
	source    *proc
	sourceURL string
	nodes     map[string]*node
	order     []*node // in the order they were added
}

func newFixture(tb testing.TB) *fixture {
	tb.Helper()
	f := &fixture{tb: tb, dir: tb.TempDir(), nodes: map[string]*node{}}
	if os.Getenv("VIGIL_TEST_KEEP") != "" {
		f.logDir, _ = os.MkdirTemp("", "vigil-cluster-logs-")
		tb.Logf("process logs in %s", f.logDir)
	}
	tb.Cleanup(func() {
		if tb.Failed() {
			for _, n := range f.order {
				tb.Logf("last log lines of %s:\n%s", n.name, n.proc().stderr.tail(15))
			}
		}
	})
	return f
}

// startSource starts `vigil source` with channels live channels of 320x180 at 25
// frames per second with a key frame every second.
func (f *fixture) startSource(channels int) {
	f.tb.Helper()
	port := freePort(f.tb)
	f.source = startProc(f.tb, "source", f.logDir, "source", "--listen", fmt.Sprintf("127.0.0.1:%d", port),
		"--channels", fmt.Sprint(channels), "--width", "320", "--height", "180", "--fps", "25", "--gop", "25", "--log-level", "warn")
	f.sourceURL = fmt.Sprintf("http://127.0.0.1:%d", port)
	waitFor(f.tb, 30*time.Second, "the source serving", func() bool {
		return strings.Contains(f.source.stdout.tail(5), "channel(s) on")
	})
}

// addNode allocates a node's ports and data dir.
func (f *fixture) addNode(name string) *node {
	f.tb.Helper()
	n := &node{name: name, gossip: freePort(f.tb), admin: freePort(f.tb), http: freePort(f.tb),
		dataDir: filepath.Join(f.dir, name)}
	conn, err := grpc.NewClient(n.adminAddr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		f.tb.Fatal(err)
	}
	f.tb.Cleanup(func() { conn.Close() })
	n.client = vigilv1.NewAdminClient(conn)
	f.nodes[name] = n
	f.order = append(f.order, n)
	return n
}

// start starts (or restarts) n's agent, with every other node as a seed.
func (f *fixture) start(n *node) {
	f.tb.Helper()
	var seeds []string
	for _, o := range f.order {
		if o != n {
			seeds = append(seeds, o.gossipAddr())
		}
	}
	args := []string{"agent", "--name", n.name, "--bind", n.gossipAddr(), "--grpc", n.adminAddr(),
		"--http", fmt.Sprintf("127.0.0.1:%d", n.http), "--data-dir", n.dataDir, "--json", "--log-format", "json",
		"--drain-timeout", "30s"}
	if len(seeds) > 0 {
		args = append(args, "--join", strings.Join(seeds, ","))
	}
	name := fmt.Sprintf("%s.%d", n.name, len(n.procs))
	n.procs = append(n.procs, startProc(f.tb, name, f.logDir, args...))
}

// cli runs a vigil client command against n and fails the test if it fails.
func (f *fixture) cli(tb testing.TB, n *node, args ...string) string {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, errOut, err := runCLI(ctx, append(args, "--addr", n.adminAddr())...)
	if err != nil {
		tb.Fatalf("vigil %s: %v\n%s%s", strings.Join(args, " "), err, out, errOut)
	}
	return out
}

// list returns n's view of the streams (nil when n does not answer).
func list(n *node) []*vigilv1.Stream {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	resp, err := n.client.ListStreams(ctx, &vigilv1.ListStreamsRequest{})
	if err != nil {
		return nil
	}
	return resp.GetStreams()
}

// members returns n's view of the members (nil when n does not answer).
func members(n *node) []*vigilv1.Member {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	resp, err := n.client.ListMembers(ctx, &vigilv1.ListMembersRequest{})
	if err != nil {
		return nil
	}
	return resp.GetMembers()
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

func names(nodes []*node) []string {
	var out []string
	for _, n := range nodes {
		out = append(out, n.name)
	}
	slices.Sort(out)
	return out
}

// placed is the agreed state of one stream.
type placed struct {
	owner        string
	epoch        uint64
	runningSince time.Time
	url          string
}

// converged reports the agreed placement if every node sees exactly the given
// nodes alive and want streams, all running with running_since on the owner every
// node agrees on, and run by that owner alone.
func converged(nodes []*node, want int) (map[string]placed, bool) {
	var agreed map[string]placed
	for _, n := range nodes {
		if !slices.Equal(aliveNames(members(n)), names(nodes)) {
			return nil, false
		}
		streams := list(n)
		if len(streams) != want {
			return nil, false
		}
		view := map[string]placed{}
		for _, s := range streams {
			if s.GetState() != vigilv1.StreamState_STREAM_STATE_RUNNING || s.GetRunningSinceUnixMs() == 0 ||
				!slices.Equal(s.GetRunners(), []string{s.GetOwner()}) {
				return nil, false
			}
			view[s.GetSpec().GetId()] = placed{owner: s.GetOwner(), epoch: s.GetEpoch(),
				runningSince: time.UnixMilli(s.GetRunningSinceUnixMs()), url: s.GetSpec().GetUrl()}
		}
		if agreed == nil {
			agreed = view
		} else if !mapsEqual(agreed, view) {
			return nil, false
		}
	}
	return agreed, true
}

func mapsEqual(a, b map[string]placed) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w.owner != v.owner || w.epoch != v.epoch {
			return false
		}
	}
	return true
}

// waitConverged waits for converged and returns the placement.
func waitConverged(tb testing.TB, nodes []*node, want int, timeout time.Duration) map[string]placed {
	tb.Helper()
	var got map[string]placed
	waitFor(tb, timeout, fmt.Sprintf("%v to converge on %d streams each running once", names(nodes), want), func() bool {
		var ok bool
		got, ok = converged(nodes, want)
		return ok
	})
	return got
}

func loads(p map[string]placed) map[string]int {
	out := map[string]int{}
	for _, s := range p {
		out[s.owner]++
	}
	return out
}

// stateEvent is an agent's JSON line for a stream's change of state.
type stateEvent struct {
	Event  string    `json:"event"`
	Stream string    `json:"stream"`
	Node   string    `json:"node"`
	Epoch  uint64    `json:"epoch"`
	At     time.Time `json:"at"`
	State  string    `json:"state"`
}

// states returns the state events n printed (every process of it), in order.
func (n *node) states() []stateEvent {
	var out []stateEvent
	for _, p := range n.procs {
		for _, l := range p.stdout.snapshot() {
			var e stateEvent
			if json.Unmarshal([]byte(l), &e) == nil && e.Event == "state" {
				out = append(out, e)
			}
		}
	}
	return out
}

// firstState returns the first event of n about stream id in state st at or after
// since.
func (n *node) firstState(id, st string, since time.Time) (stateEvent, bool) {
	for _, e := range n.states() {
		if e.Stream == id && e.State == st && !e.At.Before(since) {
			return e, true
		}
	}
	return stateEvent{}, false
}

// logLine is a line of an agent's JSON log.
type logLine struct {
	Time   time.Time `json:"time"`
	Msg    string    `json:"msg"`
	Stream string    `json:"stream"`
	Why    string    `json:"why"`
}

// logged returns the first line n logged with message msg about stream id at or
// after since.
func (n *node) logged(msg, id string, since time.Time) (logLine, bool) {
	for _, p := range n.procs {
		for _, l := range p.stderr.snapshot() {
			var e logLine
			if json.Unmarshal([]byte(l), &e) == nil && e.Msg == msg && e.Stream == id && !e.Time.Before(since) {
				return e, true
			}
		}
	}
	return logLine{}, false
}

// stopReason returns why n's cluster layer stopped stream id (the first time at
// or after since).
func (n *node) stopReason(id string, since time.Time) (string, bool) {
	e, ok := n.logged("stop", id, since)
	return e.Why, ok
}

// move is a stream that changed owner.
type move struct{ id, from, to string }

func moves(before, after map[string]placed) []move {
	var out []move
	for id, b := range before {
		if a := after[id]; a.owner != b.owner {
			out = append(out, move{id: id, from: b.owner, to: a.owner})
		}
	}
	slices.SortFunc(out, func(a, b move) int { return strings.Compare(a.id, b.id) })
	return out
}

// checkMakeBeforeBreak checks, from the agents' own event lines and logs, that
// every planned move since t0 was make-before-break: the new owner printed that
// its run decoded ("running") before the old owner printed that its run stopped,
// and the old owner's cluster layer stopped it because the new owner decodes (not
// because the hand-off grace ran out). It waits for the events to be printed.
func (f *fixture) checkMakeBeforeBreak(tb testing.TB, ms []move, t0 time.Time) {
	tb.Helper()
	var overlaps []string
	for _, m := range ms {
		from, to := f.node(m.from), f.node(m.to)
		var running, stopped stateEvent
		waitFor(tb, 15*time.Second, fmt.Sprintf("%s's hand-off events (%s → %s)", m.id, m.from, m.to), func() bool {
			var ok1, ok2 bool
			running, ok1 = to.firstState(m.id, "running", t0)
			stopped, ok2 = from.firstState(m.id, "stopped", t0)
			return ok1 && ok2
		})
		if running.At.After(stopped.At) {
			tb.Errorf("%s: gap: %s stopped at %s, %s decoded only at %s", m.id, m.from,
				stopped.At.Format(time.StampMilli), m.to, running.At.Format(time.StampMilli))
		}
		why, _ := from.stopReason(m.id, t0)
		if want := "new owner " + m.to + " decodes"; why != want {
			tb.Errorf("%s: %s stopped it because %q, want %q", m.id, m.from, why, want)
		}
		overlaps = append(overlaps, fmt.Sprintf("%s %s→%s %v", m.id, m.from, m.to, stopped.At.Sub(running.At).Round(time.Millisecond)))
	}
	tb.Logf("hand-offs (overlap of old and new owner decoding): %s", strings.Join(overlaps, ", "))
}

// checkMoves checks a change of placement from before to after. After must be what
// cluster/placement computes for layout (every node the cluster remembers, running
// or not) with only the present nodes owning streams, and every stream that changed
// owner must be one the change explains (expected). A node going away or coming
// back leaves the layout as it is, so nothing else may move. When the layout itself
// changed (beforeLayout differs: a node joined), a stream may also move between
// other nodes if it is off its plain rendezvous choice before or after: the
// balance's documented cost (docs/cluster.md, "Placement"). It logs those and
// returns every move.
func checkMoves(tb testing.TB, before, after map[string]placed, beforeLayout, layout, present []string, expected func(move) bool) []move {
	tb.Helper()
	want := placementOf(layout, present, after, placement.DefaultConfig())
	for id, s := range after {
		if want[id] != s.owner {
			tb.Errorf("%s runs on %s; placement for %v with %v present says %s", id, s.owner, layout, present, want[id])
		}
	}
	changed := !slices.Equal(beforeLayout, layout)
	overBefore := overflowed(before, beforeLayout)
	overAfter := overflowed(after, layout)
	ms := moves(before, after)
	var bound []string
	for _, m := range ms {
		switch {
		case expected(m):
		case changed && (overBefore[m.id] || overAfter[m.id]):
			bound = append(bound, fmt.Sprintf("%s %s→%s", m.id, m.from, m.to))
		case changed:
			tb.Errorf("%s moved %s → %s, which neither the change nor the balance explains", m.id, m.from, m.to)
		default:
			tb.Errorf("%s moved %s → %s: the layout did not change, so only the streams of the node that went or came may move", m.id, m.from, m.to)
		}
	}
	if len(bound) > 0 {
		tb.Logf("moves caused by the balance (a stream returning to, or moving off, its first choice): %s", strings.Join(bound, ", "))
	}
	return ms
}

// placementOf is cluster/placement's answer for equal-capacity nodes (layout, of
// which only present own streams) and p's streams.
func placementOf(layout, present []string, p map[string]placed, cfg placement.Config) map[string]string {
	ms := make([]placement.Member, 0, len(layout))
	for _, n := range layout {
		ms = append(ms, placement.Member{Name: n, Weight: 1, Absent: !slices.Contains(present, n)})
	}
	ids := make([]string, 0, len(p))
	for id := range p {
		ids = append(ids, id)
	}
	return placement.Place(cfg, ms, ids)
}

// overflowed returns the streams of p not on their plain rendezvous owner among
// nodes.
func overflowed(p map[string]placed, nodes []string) map[string]bool {
	plain := placementOf(nodes, nodes, p, placement.Config{Epsilon: -1})
	out := map[string]bool{}
	for id, s := range p {
		if plain[id] != s.owner {
			out[id] = true
		}
	}
	return out
}
