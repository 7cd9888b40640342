package sim

import (
	"cmp"
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/vigil-monitor/vigil/cluster"
	"github.com/vigil-monitor/vigil/cluster/membership"
)

// Counters are gossip traffic totals of every node in the process together, as
// memberlist reports them through its metrics.
type Counters struct {
	// UDPBytes and TCPBytes are bytes sent (probes and gossip; push/pull and direct
	// messages).
	UDPBytes, TCPBytes float64
	// Probes counts failure-detection probes started; PushPulls push/pull exchanges
	// started.
	Probes, PushPulls float64
}

// ScaleConfig sizes a scale measurement.
type ScaleConfig struct {
	Config
	// Window is how long steady-state traffic is measured.
	Window time.Duration
	// Assigns is how many new rows are assigned at once (on random nodes) to time
	// their dissemination.
	Assigns int
	// ChangeStreams, when set, is the number of streams of a second cluster, of as
	// many nodes, in which changes (new rows, a join, a death) are timed.
	ChangeStreams int
	// Counters reads the traffic counters; the caller routes memberlist's metrics
	// to it.
	Counters func() Counters
}

// Dissemination is how long the rows assigned at once took to reach the nodes.
type Dissemination struct {
	// Rows is how many rows were assigned.
	Rows int
	// Reach1s and Reach3s are the shares of nodes that knew a row 1 s and 3 s after
	// Assign returned (averaged over the rows).
	Reach1s, Reach3s float64
	// Assign is, per row, how long Assign took (it saves the table, with fsync,
	// before it gossips the row). Half, All and Owner are, per row and from the
	// moment Assign returned, the time until half the nodes knew it, until every node
	// knew it, and until its owner decoded it. All sorted.
	Assign, Half, All, Owner []time.Duration
}

// ScaleReport is what MeasureScale measured.
type ScaleReport struct {
	Config ScaleConfig
	// Converged is how long the cluster took to converge at start; Settled how long
	// after that the status gossip of the start took to die down.
	Converged, Settled time.Duration
	// Steady is the traffic over Window, all nodes together.
	Steady Counters
	// Elapsed is the exact length of the steady window.
	Elapsed time.Duration
	// Rows is the dissemination of newly assigned rows.
	Rows Dissemination
	// JoinFirst and JoinSeen are how long after a new node opened the first node
	// (a seed it joined through) and every node listed it alive.
	JoinFirst, JoinSeen time.Duration
	// DeadSeen is how long after a node was killed every survivor held it dead.
	DeadSeen time.Duration
}

// UDPPerNode returns UDP bytes sent per node per second in steady state.
func (r ScaleReport) UDPPerNode() float64 {
	return r.Steady.UDPBytes / float64(r.Config.Nodes) / r.Elapsed.Seconds()
}

// TCPPerNode returns TCP bytes sent per node per second in steady state.
func (r ScaleReport) TCPPerNode() float64 {
	return r.Steady.TCPBytes / float64(r.Config.Nodes) / r.Elapsed.Seconds()
}

// BytesPerProbe returns the UDP bytes of one probe (ping and ack) in steady state,
// when nothing else is gossiped.
func (r ScaleReport) BytesPerProbe() float64 {
	if r.Steady.Probes == 0 {
		return 0
	}
	return r.Steady.UDPBytes / r.Steady.Probes
}

// BytesPerPushPull returns the TCP bytes of one push/pull exchange, both directions.
func (r ScaleReport) BytesPerPushPull() float64 {
	if r.Steady.PushPulls == 0 {
		return 0
	}
	return r.Steady.TCPBytes / r.Steady.PushPulls
}

// MeasureScale starts cfg.Nodes nodes with cfg.Streams streams (a whole-cluster
// restart, as Run does), waits until they converge and measures the steady-state
// gossip traffic over cfg.Window; then, in a cluster with cfg.ChangeStreams streams
// if set, times the dissemination of cfg.Assigns new rows assigned at once, a node
// joining, and a node dying.
func MeasureScale(ctx context.Context, cfg ScaleConfig) (ScaleReport, error) {
	rep := ScaleReport{Config: cfg}
	if cfg.Counters == nil {
		return rep, fmt.Errorf("sim: no traffic counters")
	}
	r := rand.New(rand.NewPCG(cfg.Seed, 2))

	// Steady state: nothing changes, so what flows is probes and push/pull — once
	// the run status gossiped when every stream started has been sent its
	// retransmissions' worth of times.
	start := time.Now()
	nodes, err := startCluster(ctx, cfg.Config)
	defer func() { killAll(nodes) }()
	if err != nil {
		return rep, err
	}
	rep.Converged = time.Since(start)
	t0 := time.Now()
	if err := waitQuiet(ctx, cfg); err != nil {
		return rep, err
	}
	rep.Settled = time.Since(t0)
	c0, t0 := cfg.Counters(), time.Now()
	if err := sleepCtx(ctx, cfg.Window); err != nil {
		return rep, err
	}
	c1 := cfg.Counters()
	rep.Elapsed = time.Since(t0)
	rep.Steady = Counters{UDPBytes: c1.UDPBytes - c0.UDPBytes, TCPBytes: c1.TCPBytes - c0.TCPBytes,
		Probes: c1.Probes - c0.Probes, PushPulls: c1.PushPulls - c0.PushPulls}

	// Changes: in a cluster of as many nodes with fewer streams. Every node
	// recomputes placement for every row it learns (S × N hashes): fifty of them
	// doing it for thousands of streams on two shared cores would delay what is
	// timed here, which does not depend on the number of streams.
	if cfg.ChangeStreams > 0 && cfg.ChangeStreams != cfg.Streams {
		killAll(nodes)
		cc := cfg.Config
		cc.Streams, cc.Dir = cfg.ChangeStreams, filepath.Join(cfg.Dir, "changes")
		if nodes, err = startCluster(ctx, cc); err != nil {
			return rep, fmt.Errorf("second cluster: %w", err)
		}
	}
	// memberlist starts a node's periodic push/pull only after a random stagger of
	// up to the base interval plus one whole period: right after a whole-cluster
	// start no exchange happens at all for that long. A long-running cluster has its
	// exchanges spread evenly; wait for that.
	p := DefaultParams()
	if err := sleepCtx(ctx, p.PushPullInterval+p.PushPullPeriod(cfg.Nodes)); err != nil {
		return rep, err
	}
	if rep.Rows, err = disseminate(ctx, cfg, nodes, r); err != nil {
		return rep, err
	}

	// A node joins: how long until everybody lists it alive.
	t0 = time.Now()
	cc := cfg.Config
	if cfg.ChangeStreams > 0 && cfg.ChangeStreams != cfg.Streams {
		cc.Streams, cc.Dir = cfg.ChangeStreams, filepath.Join(cfg.Dir, "changes")
	}
	joiner, err := startNode(cc, cfg.Nodes, nodes[:3])
	if err != nil {
		return rep, err
	}
	nodes = append(nodes, joiner)
	if rep.JoinFirst, rep.JoinSeen, err = waitMembers(ctx, cfg, nodes, t0, joiner.Name(), true); err != nil {
		return rep, fmt.Errorf("join: %w", err)
	}

	// A node dies: how long until every survivor holds it dead.
	vi := 3 + r.IntN(len(nodes)-3)
	victim := nodes[vi]
	nodes = slices.Delete(nodes, vi, vi+1)
	t0 = time.Now()
	victim.runner.kill()
	victim.Kill()
	if _, rep.DeadSeen, err = waitMembers(ctx, cfg, nodes, t0, victim.Name(), false); err != nil {
		return rep, fmt.Errorf("death: %w", err)
	}
	return rep, nil
}

// startCluster seeds cfg.Streams rows into every node's data dir and starts
// cfg.Nodes nodes (three seeds first, the rest at once, as after a whole-cluster
// restart), and waits until they converge. The nodes it returns, also on error,
// are the caller's to kill.
func startCluster(ctx context.Context, cfg Config) ([]simNode, error) {
	if err := seedTables(cfg); err != nil {
		return nil, err
	}
	nodes, err := startNodes(cfg)
	if err != nil {
		return nodes, err
	}
	if _, err := waitConverged(ctx, cfg, nodes, nil); err != nil {
		return nodes, fmt.Errorf("start: %w", err)
	}
	return nodes, nil
}

// startNodes starts cfg.Nodes nodes: the first three, everyone's seeds, one by one,
// then the rest at once, as after a whole-cluster restart. It returns every node it
// started, also with an error, so that the caller can kill them.
func startNodes(cfg Config) ([]simNode, error) {
	var nodes []simNode
	for i := range min(3, cfg.Nodes) {
		n, err := startNode(cfg, i, nodes)
		if err != nil {
			return nodes, err
		}
		nodes = append(nodes, n)
	}
	rest := make([]simNode, cfg.Nodes-len(nodes))
	errs := make([]error, len(rest))
	var wg sync.WaitGroup
	for i := range rest {
		wg.Go(func() { rest[i], errs[i] = startNode(cfg, len(nodes)+i, nodes[:3]) })
	}
	wg.Wait()
	var first error
	for i, err := range errs {
		if err != nil {
			first = cmp.Or(first, err)
			continue
		}
		nodes = append(nodes, rest[i])
	}
	return nodes, first
}

// killAll kills the nodes at once.
func killAll(nodes []simNode) {
	var wg sync.WaitGroup
	for _, n := range nodes {
		wg.Go(n.Kill)
	}
	wg.Wait()
}

// pollInterval is how often waitMembers looks at every node.
const pollInterval = 100 * time.Millisecond

// disseminate assigns cfg.Assigns new rows at once, each on a random node, and times
// how they spread from the moment Assign returned (it saves the table before it
// gossips the row). A node knows a row once its placement has it (placement follows
// a table change at once). Every node has a watcher of its own, woken by the node's
// change notifications, so that one slow node does not delay the timestamps of the
// others.
func disseminate(ctx context.Context, cfg ScaleConfig, nodes []simNode, r *rand.Rand) (Dissemination, error) {
	d := Dissemination{Rows: cfg.Assigns}
	ids := make([]string, cfg.Assigns)
	for i := range ids {
		ids[i] = fmt.Sprintf("new%04d", i)
	}
	// known[j][i] and runs[j][i]: when node j first had row i, and first decoded it.
	var mu sync.Mutex
	known := make([][]time.Time, len(nodes))
	runs := make([][]time.Time, len(nodes))
	for j := range nodes {
		known[j], runs[j] = make([]time.Time, len(ids)), make([]time.Time, len(ids))
	}
	pctx, stop := context.WithCancel(ctx)
	var pollers sync.WaitGroup
	defer pollers.Wait()
	defer stop()
	for j, n := range nodes {
		changes, unsubscribe := n.Changes()
		pollers.Go(func() {
			defer unsubscribe()
			// Owners copies the placement: look only when the node signals a change
			// (a merged row, a new placement, run status), or every second to see
			// the owner's first frame. Polling must not starve the nodes it measures.
			tick := time.NewTicker(time.Second)
			defer tick.Stop()
			for {
				select {
				case <-pctx.Done():
					return
				case _, ok := <-changes:
					if !ok {
						return // the node closed
					}
				case <-tick.C:
				}
				now := time.Now()
				owners := n.Owners()
				mu.Lock()
				for i, id := range ids {
					if _, ok := owners[id]; ok && known[j][i].IsZero() {
						known[j][i] = now
					}
					if runs[j][i].IsZero() && n.runner.decodes(id) {
						runs[j][i] = now
					}
				}
				mu.Unlock()
			}
		})
	}
	returned := make([]time.Time, len(ids))
	took := make([]time.Duration, len(ids))
	errs := make([]error, len(ids))
	var assigns sync.WaitGroup
	for i, id := range ids {
		n := nodes[r.IntN(len(nodes))]
		assigns.Go(func() {
			t0 := time.Now()
			_, _, errs[i] = n.Assign(cluster.StreamSpec{ID: id, URL: fmt.Sprintf("http://127.0.0.1:8000/new/%d.ts", i)}, false)
			returned[i] = time.Now()
			took[i] = returned[i].Sub(t0)
		})
	}
	assigns.Wait()
	for _, err := range errs {
		if err != nil {
			return d, fmt.Errorf("assign: %w", err)
		}
	}
	// Wait until every node knows every row and every row's owner decodes it.
	deadline := time.Now().Add(cfg.PhaseTimeout)
	for {
		mu.Lock()
		done := true
		for i := range ids {
			running := false
			for j := range nodes {
				running = running || !runs[j][i].IsZero()
				done = done && !known[j][i].IsZero()
			}
			done = done && running
		}
		mu.Unlock()
		if done {
			break
		}
		if time.Now().After(deadline) {
			return d, fmt.Errorf("new rows not known everywhere and decoded within %v", cfg.PhaseTimeout)
		}
		if err := sleepCtx(ctx, 50*time.Millisecond); err != nil {
			return d, err
		}
	}
	stop()
	pollers.Wait()
	d.Assign = took
	for i := range ids {
		var ts []time.Duration
		owner := time.Duration(-1)
		for j := range nodes {
			ts = append(ts, max(0, known[j][i].Sub(returned[i])))
			if !runs[j][i].IsZero() {
				if t := max(0, runs[j][i].Sub(returned[i])); owner < 0 || t < owner {
					owner = t
				}
			}
		}
		slices.Sort(ts)
		share := func(by time.Duration) float64 {
			within := 0
			for _, t := range ts {
				if t <= by {
					within++
				}
			}
			return float64(within) / float64(len(nodes)) / float64(len(ids))
		}
		d.Reach1s += share(time.Second)
		d.Reach3s += share(3 * time.Second)
		d.Half = append(d.Half, ts[(len(ts)+1)/2-1])
		d.All = append(d.All, ts[len(ts)-1])
		d.Owner = append(d.Owner, owner)
	}
	for _, ds := range [][]time.Duration{d.Assign, d.Half, d.All, d.Owner} {
		slices.Sort(ds)
	}
	return d, nil
}

// waitMembers waits until every node lists name alive (alive true) or not alive,
// and returns the times since t0 when the first node and when every node did.
func waitMembers(ctx context.Context, cfg ScaleConfig, nodes []simNode, t0 time.Time, name string, alive bool) (first, all time.Duration, err error) {
	deadline := time.Now().Add(cfg.PhaseTimeout)
	for {
		count, others := 0, 0
		for _, n := range nodes {
			if n.Name() == name {
				continue
			}
			others++
			seen := false
			for _, m := range n.Members() {
				if m.Name == name {
					seen = m.State == membership.StateAlive
				}
			}
			if seen == alive {
				count++
			}
		}
		if count > 0 && first == 0 {
			first = time.Since(t0)
		}
		if count == others {
			return first, time.Since(t0), nil
		}
		if time.Now().After(deadline) {
			return 0, 0, fmt.Errorf("%s not seen %s by every node within %v", name, map[bool]string{true: "alive", false: "dead"}[alive], cfg.PhaseTimeout)
		}
		if err := sleepCtx(ctx, pollInterval); err != nil { // Members costs a pass over the placement
			return 0, 0, err
		}
	}
}

// quietProbeBytes is the UDP traffic per probe below which gossip counts as quiet:
// a ping and its ack take about a hundred bytes.
const quietProbeBytes = 400

// waitQuiet waits until two consecutive seconds carry no more UDP traffic than the
// probes need (or PhaseTimeout passes).
func waitQuiet(ctx context.Context, cfg ScaleConfig) error {
	deadline := time.Now().Add(cfg.PhaseTimeout)
	prev, quiet := cfg.Counters(), 0
	for quiet < 2 && time.Now().Before(deadline) {
		if err := sleepCtx(ctx, time.Second); err != nil {
			return err
		}
		c := cfg.Counters()
		if probes := c.Probes - prev.Probes; probes > 0 && (c.UDPBytes-prev.UDPBytes)/probes < quietProbeBytes {
			quiet++
		} else {
			quiet = 0
		}
		prev = c
	}
	return nil
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
