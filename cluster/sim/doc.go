package sim

import (
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// ScaleDoc is the measured part of docs/scale.md: the inputs, the model checked
// against the simulation, and the projection.
type ScaleDoc struct {
	// Entries are the per-stream sizes, one per shape.
	Entries []EntrySizes
	// SimEntry is the per-stream sizes of the simulation's own table (its rows, at
	// its size), to take the table apart from a push/pull exchange.
	SimEntry EntrySizes
	// Sim is the simulation's measurement; SimParams the gossip settings it ran with.
	Sim       ScaleReport
	SimParams Params
	// Params are a default vigil node's settings, used for the projection.
	Params Params
	// Start, Took and Load (1-minute load average at start and end) describe the run.
	Start time.Time
	Took  time.Duration
	Load  [2]float64
}

// MemberBytes derives what each member adds to a push/pull payload from the
// simulation: half an exchange's bytes, less the table and status parts, per member.
func (d ScaleDoc) MemberBytes() float64 {
	e := d.SimEntry
	n, s := float64(d.Sim.Config.Nodes), float64(d.Sim.Config.Streams)
	user := s*e.PushPull + s/n*e.Status
	return max(0, (d.Sim.BytesPerPushPull()/2-user)/n)
}

// Inputs returns the projection's inputs for the shape at index i of Entries.
func (d ScaleDoc) Inputs(i int) Inputs {
	return Inputs{Entry: d.Entries[i], ProbeBytes: d.Sim.BytesPerProbe(), MemberBytes: d.MemberBytes()}
}

// Check is one comparison of the model with the simulation.
type Check struct {
	Name            string
	Measured, Model float64
	Unit            string
	// Tolerance is the factor by which the two may differ before the model is
	// considered wrong; 0 when the simulation cannot measure the quantity fairly
	// (see Markdown) and the pair is only reported.
	Tolerance float64
}

// Check compares the model, with the simulation's settings, to what the simulation
// measured.
func (d ScaleDoc) Check() []Check {
	r, p := d.Sim, d.SimParams
	n := r.Config.Nodes
	secs := r.Elapsed.Seconds()
	med := func(ds []time.Duration) float64 {
		if len(ds) == 0 {
			return 0
		}
		return ds[len(ds)/2].Seconds()
	}
	return []Check{
		{"probes per node per second", r.Steady.Probes / float64(n) / secs, 1 / p.ProbeInterval.Seconds(), "/s", 1.5},
		{"push/pull exchanges started per node per second", r.Steady.PushPulls / float64(n) / secs,
			1 / p.PushPullPeriod(n).Seconds(), "/s", 1.5},
		{"share of nodes knowing a new row 1 s after Assign returned", r.Rows.Reach1s, p.Share(n, time.Second), "", 0},
		{"share of nodes knowing a new row 3 s after Assign returned", r.Rows.Reach3s, p.Share(n, 3*time.Second), "", 1.5},
		{"new row known to half the nodes (median of the rows)", med(r.Rows.Half), p.SpreadTime(n, 0.5).Seconds(), "s", 2.5},
		{"new row known to every node (median of the rows)", med(r.Rows.All), p.SpreadTime(n, 1-1/float64(n)).Seconds(), "s", 2.5},
		{"new node: from the first node listing it alive to every node", (r.JoinSeen - r.JoinFirst).Seconds(),
			p.EpidemicRounds(n) * p.GossipInterval.Seconds(), "s", 0},
		{"killed node held dead by every survivor", r.DeadSeen.Seconds(), p.DeadTime(n - 1).Seconds(), "s", 2},
	}
}

// Markdown renders the generated section of docs/scale.md.
func (d ScaleDoc) Markdown() string {
	var b strings.Builder
	r := d.Sim
	fmt.Fprintf(&b, "Run %s, %d cores (%s), %s, vigil at `%s`; took %v; load average %.1f at the start, %.1f at the end "+
		"(the machine is shared: other work competes for the same cores).\n\n",
		d.Start.UTC().Format("2006-01-02 15:04 UTC"), runtime.NumCPU(), cpuModel(), runtime.Version(), gitDescribe(),
		d.Took.Round(time.Second), d.Load[0], d.Load[1])
	b.WriteString("Reproduce: `VIGIL_SCALE_WRITE=1 go test -run TestScaleInputs -v -timeout 30m ./cluster/sim` " +
		"(without `VIGIL_SCALE_WRITE` it only prints this section).\n\n")

	b.WriteString("#### Bytes per stream\n\n")
	fmt.Fprintf(&b, "Tables of %d rows built and encoded as a node does (`MeasureEntries`); run status and a defect "+
		"event are single messages.\n\n", d.Entries[0].Rows)
	b.WriteString("| streams shaped like | persisted table, per row | push/pull payload, per row | one gossiped row (whole message) | Go heap of the table, per row | run status in push/pull, per stream | one defect event message |\n")
	b.WriteString("|---|---:|---:|---:|---:|---:|---:|\n")
	for _, e := range d.Entries {
		fmt.Fprintf(&b, "| %s | %.1f B | %.1f B | %.0f B | %.0f B | %.1f B | %.0f B |\n", e.Shape, e.File, e.PushPull, e.Delta, e.Heap, e.Status, e.Event)
	}

	fmt.Fprintf(&b, "\n#### The simulation\n\n%d nodes in one process over loopback, %d streams (the simulation's rows), "+
		"probe interval %v, probe timeout %v, suspicion multiplier %d, gossip interval %v to %d nodes, push/pull every %v "+
		"at this size. Traffic is memberlist's own count of bytes it sent (go-metrics `memberlist.udp.sent`, "+
		"`memberlist.tcp.sent`), all nodes together, over %v of steady state, from %v after the start (when the cluster had "+
		"converged and the run status gossiped as every stream started had died down).\n\n",
		r.Config.Nodes, r.Config.Streams, d.SimParams.ProbeInterval, d.SimParams.ProbeTimeout, d.SimParams.SuspicionMult,
		d.SimParams.GossipInterval, d.SimParams.GossipNodes, d.SimParams.PushPullPeriod(r.Config.Nodes),
		r.Elapsed.Round(time.Second), (r.Converged + r.Settled).Round(100*time.Millisecond))
	if c := r.Config.ChangeStreams; c > 0 && c != r.Config.Streams {
		fmt.Fprintf(&b, "Changes — new rows, a join, a death — are timed in a second cluster of %d nodes with %d streams "+
			"and the same settings: every node recomputes placement (streams × nodes hashes) for each row it learns, and "+
			"%d nodes doing that for %d streams on %d shared cores would delay what is timed, which itself does not "+
			"depend on the number of streams.\n\n", r.Config.Nodes, c, r.Config.Nodes, r.Config.Streams, runtime.NumCPU())
	}
	b.WriteString("| measured | value |\n|---|---:|\n")
	fmt.Fprintf(&b, "| UDP sent per node (probes, acks, gossip) | %s |\n", rate(r.UDPPerNode()))
	fmt.Fprintf(&b, "| TCP sent per node (push/pull) | %s |\n", rate(r.TCPPerNode()))
	fmt.Fprintf(&b, "| UDP bytes per probe (ping and ack) | %.0f B |\n", r.BytesPerProbe())
	fmt.Fprintf(&b, "| TCP bytes per push/pull exchange (both directions) | %s |\n", size(r.BytesPerPushPull()))
	fmt.Fprintf(&b, "| of which memberlist's member list, per member (derived: half an exchange less the table and status) | %.0f B |\n", d.MemberBytes())
	fmt.Fprintf(&b, "| %d new rows assigned at once on random nodes: Assign's own time (it saves the table, with fsync, "+
		"before gossiping the row; median, max) | %s |\n", r.Rows.Rows, spread(r.Rows.Assign))
	fmt.Fprintf(&b, "| … share of nodes that knew a row 1 s and 3 s after Assign returned | %.2f, %.2f |\n", r.Rows.Reach1s, r.Rows.Reach3s)
	fmt.Fprintf(&b, "| … known to half the nodes, from Assign's return (median, max) | %s |\n", spread(r.Rows.Half))
	fmt.Fprintf(&b, "| … known to every node (median, max) | %s |\n", spread(r.Rows.All))
	fmt.Fprintf(&b, "| … decoded by its owner (median, max; first frame 500 ms after start) | %s |\n", spread(r.Rows.Owner))
	fmt.Fprintf(&b, "| a node joins: listed alive by the first node (a seed it joined through) after, by every node after | %v, %v |\n",
		r.JoinFirst.Round(10*time.Millisecond), r.JoinSeen.Round(10*time.Millisecond))
	fmt.Fprintf(&b, "| a node is killed: held dead by every survivor after | %v |\n", r.DeadSeen.Round(10*time.Millisecond))

	b.WriteString("\n#### The model against the simulation\n\nThe model with the simulation's settings; " +
		"`TestScaleInputs` fails when a pair is further apart than the factor shown. A node counts as knowing a row " +
		"once its placement has it. All the nodes recompute placement for every row that arrives, and all at once when " +
		"a node joins, on the same few cores here, which delays what the simulation sees in the first second after a " +
		"change: those pairs are shown but not checked (\"—\"); a real node has its own cores.\n\n")
	b.WriteString("| quantity | simulation | model | allowed factor |\n|---|---:|---:|---:|\n")
	for _, c := range d.Check() {
		tol := "—"
		if c.Tolerance > 0 {
			tol = fmt.Sprintf("%.1f×", c.Tolerance)
		}
		fmt.Fprintf(&b, "| %s | %.3g%s | %.3g%s | %s |\n", c.Name, c.Measured, c.Unit, c.Model, c.Unit, tol)
	}

	b.WriteString("\n#### Projection\n\nThe model with a default vigil node's settings (probe interval " +
		d.Params.ProbeInterval.String() + ", suspicion multiplier " + strconv.Itoa(d.Params.SuspicionMult) +
		", gossip every " + d.Params.GossipInterval.String() + " to " + strconv.Itoa(d.Params.GossipNodes) +
		" nodes, push/pull base interval " + d.Params.PushPullInterval.String() + ") and the measured sizes. " +
		"Traffic is what each node sends; it receives as much on average.\n\n")
	type scen struct {
		nodes, streams, shape int
	}
	scens := []scen{{r.Config.Nodes, r.Config.Streams, 0}, {1000, 100000, 0}, {1000, 100000, 1}}
	b.WriteString("| | ")
	for _, s := range scens {
		fmt.Fprintf(&b, "%d nodes, %d streams, rows like the %s | ", s.nodes, s.streams, shortShape(d.Entries[s.shape].Shape))
	}
	b.WriteString("\n|---|")
	for range scens {
		b.WriteString("---:|")
	}
	b.WriteString("\n")
	prs := make([]Projection, len(scens))
	for i, s := range scens {
		prs[i] = d.Params.Project(d.Inputs(s.shape), s.nodes, s.streams)
	}
	row := func(name string, f func(Projection) string) {
		fmt.Fprintf(&b, "| %s |", name)
		for _, p := range prs {
			fmt.Fprintf(&b, " %s |", f(p))
		}
		b.WriteString("\n")
	}
	row("push/pull interval (memberlist scales it with the cluster)", func(p Projection) string { return p.PushPullPeriod.String() })
	row("push/pull payload, one direction", func(p Projection) string {
		s := size(p.PushPullState)
		if p.OverLimit {
			s += " — **over memberlist's 20 MiB limit**"
		}
		return s
	})
	row("push/pull traffic per node", func(p Projection) string { return rate(p.PushPullRate) })
	row("probe traffic per node", func(p Projection) string { return rate(p.ProbeRate) })
	row("**steady-state gossip per node**", func(p Projection) string { return "**" + rate(p.PushPullRate+p.ProbeRate) + "**" })
	row("persisted table per node", func(p Projection) string { return size(p.TableFile) })
	row("table in Go heap per node", func(p Projection) string { return size(p.TableHeap) })
	row("one row change (assign, unassign) or status change: gossip bytes, whole cluster", func(p Projection) string {
		return size(p.ChangeBytes)
	})
	row("… share of nodes it reaches by gossip", func(p Projection) string { return fmt.Sprintf("%.1f%%", 100*p.GossipReach) })
	row("**new row known to half the nodes** (median time until its owner starts it)", func(p Projection) string {
		return "**" + p.RowHalf.Round(100*time.Millisecond).String() + "**"
	})
	row("new row known to every node", func(p Projection) string { return p.RowAll.Round(100 * time.Millisecond).String() })
	row("**dead node held dead by every node** (its streams restart on the survivors right after)", func(p Projection) string {
		return "**" + p.DeadTime.Round(100*time.Millisecond).String() + "**"
	})
	b.WriteString("\nLargest table a push/pull can carry (memberlist refuses a payload over 20 MiB): ")
	for i, e := range d.Entries {
		if i > 0 {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "about %s streams with rows like the %s", thousands(int(MaxPushStateBytes/e.PushPull)), shortShape(e.Shape))
	}
	b.WriteString(" (a node's own run status adds its share of the streams times the status bytes, a few KiB).\n")
	return b.String()
}

func shortShape(s string) string {
	if i := strings.Index(s, " ("); i > 0 {
		return s[:i]
	}
	return s
}

func spread(ds []time.Duration) string {
	if len(ds) == 0 {
		return "—"
	}
	return fmt.Sprintf("%v, %v", ds[len(ds)/2].Round(10*time.Millisecond), ds[len(ds)-1].Round(10*time.Millisecond))
}

func size(b float64) string {
	switch {
	case b >= 1<<20:
		return fmt.Sprintf("%.1f MiB", b/(1<<20))
	case b >= 1<<10:
		return fmt.Sprintf("%.1f KiB", b/(1<<10))
	}
	return fmt.Sprintf("%.0f B", b)
}

func rate(bps float64) string {
	return fmt.Sprintf("%s/s (%.2f Mbit/s)", size(bps), bps*8/1e6)
}

func thousands(n int) string {
	s := strconv.Itoa(n)
	var out []byte
	for i := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	return string(out)
}

func loadAverage() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 0
	}
	v, _ := strconv.ParseFloat(f[0], 64)
	return v
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	for _, l := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}

func gitDescribe() string {
	out, err := exec.Command("git", "describe", "--always", "--dirty").Output()
	if err != nil {
		return "unknown"
	}
	return strings.TrimSpace(string(out))
}

// updateSection replaces the text between `<!-- begin id -->` and `<!-- end id -->`
// in the file at path with body.
func updateSection(path, id, body string) error {
	old, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("sim: %w", err)
	}
	re := regexp.MustCompile(`(?s)(<!-- begin ` + regexp.QuoteMeta(id) + ` -->\n).*?(<!-- end ` + regexp.QuoteMeta(id) + ` -->)`)
	if !re.Match(old) {
		return fmt.Errorf("sim: %s has no section %s", path, id)
	}
	body = strings.TrimRight(body, "\n") + "\n"
	out := re.ReplaceAllStringFunc(string(old), func(m string) string {
		sm := re.FindStringSubmatch(m)
		return sm[1] + body + sm[2]
	})
	return os.WriteFile(path, []byte(out), 0o644)
}
