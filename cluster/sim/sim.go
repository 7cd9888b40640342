// Package sim runs many vigil cluster nodes in one process — real memberlist gossip
// over loopback, real placement, tables and reconciliation, in-memory runners — and
// measures how the cluster behaves when a node dies, joins or leaves.
package sim

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/vigil-monitor/vigil/cluster"
	"github.com/vigil-monitor/vigil/cluster/hlc"
	"github.com/vigil-monitor/vigil/cluster/table"
)

// Config sizes a simulation.
type Config struct {
	// Nodes is the cluster size at the start.
	Nodes int
	// Streams is the number of streams assigned.
	Streams int
	// FirstFrame is how long a run takes to decode its first frame.
	FirstFrame time.Duration
	// PhaseTimeout bounds each phase.
	PhaseTimeout time.Duration
	// Dir is a scratch directory for the nodes' data dirs.
	Dir string
	// Seed makes the choice of victims reproducible.
	Seed uint64
	// Logger receives the nodes' logs (discarded when nil).
	Logger *slog.Logger
	// ProbeInterval, ProbeTimeout and SuspicionMult override the nodes'
	// failure-detection settings when non-zero: all the nodes of a simulation share
	// one machine's cores, unlike a real cluster, and starve each other's probes.
	ProbeInterval, ProbeTimeout time.Duration
	SuspicionMult               int
}

// Phase is one measured event.
type Phase struct {
	// Name says what happened.
	Name string
	// Converged is how long until every node agreed on the owners and every stream
	// decoded on its owner alone.
	Converged time.Duration
	// Recovered is, for a failure, how long until every stream of the dead node
	// decoded again on a survivor.
	Recovered time.Duration
	// Moved counts streams whose owner changed.
	Moved int
	// MovedOther counts moves not explained by the event (not off the dead or
	// departed node, not onto the joiner).
	MovedOther int
	// Nodes is the cluster size after the event.
	Nodes int
	// MaxLoad and MeanLoad are streams per node after the event.
	MaxLoad  int
	MeanLoad float64
}

// Report is the outcome of a simulation.
type Report struct {
	Config Config
	Phases []Phase
}

type simNode struct {
	*cluster.Node
	runner *runner
}

// Run runs the simulation: start, kill one node, join one, gracefully shut one down.
func Run(ctx context.Context, cfg Config) (Report, error) {
	rep := Report{Config: cfg}
	if err := seedTables(cfg); err != nil {
		return rep, err
	}
	r := rand.New(rand.NewPCG(cfg.Seed, 1))
	var nodes []simNode
	defer func() {
		var wg sync.WaitGroup
		for _, n := range nodes {
			wg.Go(n.Kill)
		}
		wg.Wait()
	}()
	start := time.Now()
	var err error
	if nodes, err = startNodes(cfg); err != nil {
		return rep, err
	}
	owners, err := waitConverged(ctx, cfg, nodes, nil)
	if err != nil {
		return rep, fmt.Errorf("start: %w", err)
	}
	rep.Phases = append(rep.Phases, phase("start", time.Since(start), 0, nil, owners, len(nodes), cfg.Streams))

	// A node dies (no leave): its streams must decode elsewhere.
	vi := 1 + r.IntN(len(nodes)-1)
	victim := nodes[vi]
	nodes = append(nodes[:vi:vi], nodes[vi+1:]...)
	var lost []string
	for id, o := range owners {
		if o == victim.Name() {
			lost = append(lost, id)
		}
	}
	start = time.Now()
	victim.runner.kill()
	victim.Kill()
	recovered := time.Duration(0)
	after, err := waitConverged(ctx, cfg, nodes, func() {
		if recovered == 0 && decodingAll(nodes, lost) {
			recovered = time.Since(start)
		}
	})
	if err != nil {
		return rep, fmt.Errorf("failure: %w", err)
	}
	if recovered == 0 {
		recovered = time.Since(start)
	}
	p := phase("node killed", time.Since(start), recovered, owners, after, len(nodes), cfg.Streams)
	p.MovedOther = movedExcept(owners, after, func(from, to string) bool { return from == victim.Name() })
	rep.Phases = append(rep.Phases, p)
	owners = after

	// A node joins.
	start = time.Now()
	joiner, err := startNode(cfg, cfg.Nodes, nodes)
	if err != nil {
		return rep, err
	}
	nodes = append(nodes, joiner)
	if after, err = waitConverged(ctx, cfg, nodes, nil); err != nil {
		return rep, fmt.Errorf("join: %w", err)
	}
	p = phase("node joined", time.Since(start), 0, owners, after, len(nodes), cfg.Streams)
	p.MovedOther = movedExcept(owners, after, func(from, to string) bool { return to == joiner.Name() })
	rep.Phases = append(rep.Phases, p)
	owners = after

	// A node shuts down gracefully (drain, make-before-break, leave).
	li := 1 + r.IntN(len(nodes)-1)
	leaver := nodes[li]
	nodes = append(nodes[:li:li], nodes[li+1:]...)
	start = time.Now()
	sctx, cancel := context.WithTimeout(ctx, cfg.PhaseTimeout)
	err = leaver.Shutdown(sctx)
	cancel()
	if err != nil {
		return rep, fmt.Errorf("shutdown: %w", err)
	}
	if after, err = waitConverged(ctx, cfg, nodes, nil); err != nil {
		return rep, fmt.Errorf("leave: %w", err)
	}
	p = phase("node drained and left", time.Since(start), 0, owners, after, len(nodes), cfg.Streams)
	p.MovedOther = movedExcept(owners, after, func(from, to string) bool { return from == leaver.Name() })
	rep.Phases = append(rep.Phases, p)
	return rep, nil
}

// seedWriter is the node name in the versions of the seeded rows.
const seedWriter = "sim"

// seedTables writes the same table, holding every stream, into each node's data
// dir: the simulation starts as a whole-cluster restart would.
func seedTables(cfg Config) error {
	t := table.New(seedWriter, hlc.New(time.Now))
	for i := range cfg.Streams {
		t.Put(table.Spec{ID: fmt.Sprintf("ch%05d", i), URL: fmt.Sprintf("http://127.0.0.1:8000/ch/%d.ts", i)})
	}
	for i := 0; i <= cfg.Nodes; i++ {
		dir := nodeDir(cfg, i)
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return err
		}
		if err := t.Save(filepath.Join(dir, cluster.TableFile), time.Now()); err != nil {
			return err
		}
	}
	return nil
}

func nodeDir(cfg Config, i int) string { return filepath.Join(cfg.Dir, fmt.Sprintf("node%03d", i)) }

func startNode(cfg Config, i int, seeds []simNode) (simNode, error) {
	name := fmt.Sprintf("node%03d", i)
	c := cluster.LoopbackConfig(name)
	c.DataDir = nodeDir(cfg, i)
	c.AdminAddr = name + ":7070"
	c.HandoffGrace = 30 * time.Second
	if cfg.Logger != nil {
		c.Logger = cfg.Logger.With("node", name)
	}
	for j, s := range seeds {
		if j < 3 {
			c.Membership.Join = append(c.Membership.Join, s.GossipAddr())
		}
	}
	c.Membership.ReadyTimeout = 10 * time.Second
	if cfg.ProbeInterval > 0 {
		c.Membership.Memberlist.ProbeInterval = cfg.ProbeInterval
	}
	if cfg.ProbeTimeout > 0 {
		c.Membership.Memberlist.ProbeTimeout = cfg.ProbeTimeout
	}
	if cfg.SuspicionMult > 0 {
		c.Membership.Memberlist.SuspicionMult = cfg.SuspicionMult
	}
	rn := newRunner(cfg.FirstFrame, time.Now)
	n, err := cluster.Open(c, rn)
	if err != nil {
		return simNode{}, fmt.Errorf("open %s: %w", name, err)
	}
	return simNode{Node: n, runner: rn}, nil
}

// waitConverged waits until every node has the same placement of every stream, on
// the nodes given and only them, and every stream decodes on its owner alone.
func waitConverged(ctx context.Context, cfg Config, nodes []simNode, each func()) (map[string]string, error) {
	deadline := time.Now().Add(cfg.PhaseTimeout)
	names := map[string]bool{}
	for _, n := range nodes {
		names[n.Name()] = true
	}
	for {
		if each != nil {
			each()
		}
		if owners, ok := converged(cfg, nodes, names); ok {
			return owners, nil
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("no convergence within %v: %s", cfg.PhaseTimeout, whyNot(cfg, nodes, names))
		}
		// Every look copies each node's placement: looking more often than this
		// loads the process that runs the nodes being measured.
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func converged(cfg Config, nodes []simNode, names map[string]bool) (map[string]string, bool) {
	ref := nodes[0].Owners()
	if len(ref) != cfg.Streams {
		return nil, false
	}
	for _, o := range ref {
		if !names[o] {
			return nil, false
		}
	}
	for _, n := range nodes[1:] {
		o := n.Owners()
		if len(o) != len(ref) {
			return nil, false
		}
		for id, owner := range ref {
			if o[id] != owner {
				return nil, false
			}
		}
	}
	total := 0
	for _, n := range nodes {
		d := n.runner.decoding()
		if n.runner.count() != len(d) {
			return nil, false // something still starting
		}
		for id := range d {
			if ref[id] != n.Name() {
				return nil, false
			}
		}
		total += len(d)
	}
	return ref, total == cfg.Streams
}

func decodingAll(nodes []simNode, ids []string) bool {
	dec := map[string]bool{}
	for _, n := range nodes {
		for id := range n.runner.decoding() {
			dec[id] = true
		}
	}
	for _, id := range ids {
		if !dec[id] {
			return false
		}
	}
	return true
}

func movedExcept(before, after map[string]string, explained func(from, to string) bool) int {
	n := 0
	for id, b := range before {
		if a := after[id]; a != b && !explained(b, a) {
			n++
		}
	}
	return n
}

func phase(name string, took, recovered time.Duration, before, after map[string]string, nodes, streams int) Phase {
	p := Phase{Name: name, Converged: took, Recovered: recovered, Nodes: nodes}
	loads := map[string]int{}
	for id, o := range after {
		loads[o]++
		if before != nil && before[id] != o {
			p.Moved++
		}
	}
	for _, l := range loads {
		p.MaxLoad = max(p.MaxLoad, l)
	}
	p.MeanLoad = float64(streams) / float64(nodes)
	return p
}

// Markdown formats the report as a table.
func (r Report) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d nodes, %d streams, in one process over loopback (first frame after %v; probe interval %v, probe timeout %v, suspicion multiplier %d):\n\n",
		r.Config.Nodes, r.Config.Streams, r.Config.FirstFrame, r.Config.ProbeInterval, r.Config.ProbeTimeout, r.Config.SuspicionMult)
	b.WriteString("| event | nodes after | converged in | dead node's streams decoding again in | streams moved | moved for no reason | max / mean load |\n")
	b.WriteString("|---|---:|---:|---:|---:|---:|---:|\n")
	for _, p := range r.Phases {
		rec := "—"
		if p.Recovered > 0 {
			rec = p.Recovered.Round(10 * time.Millisecond).String()
		}
		moved := "—"
		other := "—"
		if p.Name != "start" {
			moved = fmt.Sprintf("%d (%.1f%%)", p.Moved, 100*float64(p.Moved)/float64(r.Config.Streams))
			other = fmt.Sprint(p.MovedOther)
		}
		fmt.Fprintf(&b, "| %s | %d | %v | %s | %s | %s | %d / %.1f = %.3f |\n", p.Name, p.Nodes,
			p.Converged.Round(10*time.Millisecond), rec, moved, other, p.MaxLoad, p.MeanLoad, float64(p.MaxLoad)/p.MeanLoad)
	}
	return b.String()
}

// whyNot describes what keeps the nodes from converging.
func whyNot(cfg Config, nodes []simNode, names map[string]bool) string {
	ref := nodes[0].Owners()
	var b strings.Builder
	fmt.Fprintf(&b, "%s places %d of %d streams", nodes[0].Name(), len(ref), cfg.Streams)
	for _, n := range nodes[1:] {
		o := n.Owners()
		diff := 0
		for id, owner := range ref {
			if o[id] != owner {
				diff++
			}
		}
		if diff > 0 || len(o) != len(ref) {
			var notAlive []string
			for _, m := range n.Members() {
				if m.State != 0 || m.Meta.Draining {
					notAlive = append(notAlive, m.Name+"="+m.State.String())
				}
			}
			fmt.Fprintf(&b, "; %s places %d, %d differently, sees %d members, not alive: %v", n.Name(), len(o), diff, len(n.Members()), notAlive)
		}
	}
	running := map[string]bool{}
	for _, n := range nodes {
		for id := range n.runner.decoding() {
			running[id] = true
		}
	}
	var missing []string
	for id, o := range ref {
		if !running[id] {
			missing = append(missing, id+"@"+o)
		}
	}
	if len(missing) > 0 {
		fmt.Fprintf(&b, "; %d streams run nowhere, e.g. %v", len(missing), missing[:min(5, len(missing))])
	}
	for _, n := range nodes {
		d := n.runner.decoding()
		wrong := 0
		for id := range d {
			if ref[id] != n.Name() {
				wrong++
			}
		}
		if n.runner.count() != len(d) || wrong > 0 {
			fmt.Fprintf(&b, "; %s runs %d, decodes %d, %d not its own", n.Name(), n.runner.count(), len(d), wrong)
		}
	}
	return b.String()
}
