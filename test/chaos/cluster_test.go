//go:build chaos

package chaos

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	vigilv1 "github.com/vigil-monitor/vigil/proto/vigil/v1"
)

// nodeNames are the compose file's vigil services.
var nodeNames = []string{"vigil1", "vigil2", "vigil3", "vigil4", "vigil5"}

// cluster is the suite's compose project: its nodes, its source, the streams the
// suite assigned, the faults it injected, and the recorders watching it.
type cluster struct {
	dc      *compose
	nodes   []*node
	byName  map[string]*node
	streams map[string]string // id → URL, as assigned
	ids     []string          // sorted

	mu       sync.Mutex
	sourceIP string
	gateway  string // the host's address on the project network (the suite's own traffic)
	windows  []downWindow

	netemTried, netemOK bool  // whether lossy tried netem, and whether it worked
	netemErr            error // why not
	kills               int   // node processes the suite ended with SIGKILL

	poll  *poller
	watch *watcher
}

// downWindow is a time a node's process was dead (killed, stopped) or frozen
// (paused); to is zero while it lasts.
type downWindow struct {
	node     string
	from, to time.Time
	frozen   bool
}

func newCluster(tb testing.TB) *cluster {
	tb.Helper()
	c := &cluster{dc: newCompose(repoRoot(tb)), byName: map[string]*node{}, streams: map[string]string{}}
	for _, name := range nodeNames {
		n := &node{name: name}
		c.nodes = append(c.nodes, n)
		c.byName[name] = n
	}
	for i := range cfg.streams {
		id := fmt.Sprintf("s%02d", i)
		c.streams[id] = fmt.Sprintf("http://source:8090/ch/%d.ts", i%cfg.channels)
		c.ids = append(c.ids, id)
	}
	return c
}

// up starts the project — from scratch when fresh is set, removing what an earlier
// run left — and waits until every container is healthy by its Docker health check
// (when fresh; the health checks are checked once) or running and serving (when
// not: on a loaded machine a health check that starts the 580-library vigil binary
// can take minutes to pass once, and the cluster's own convergence is what a
// scenario judges).
func (c *cluster) up(tb testing.TB, fresh bool) {
	tb.Helper()
	if _, err := docker("image", "inspect", cfg.image); err != nil {
		tb.Fatalf("image %s: %v (build it with make image)", cfg.image, err)
	}
	if fresh {
		if _, err := c.dc.run("down", "-v", "-t", "5"); err != nil {
			tb.Fatalf("clean up an earlier run: %v", err)
		}
	}
	t0 := time.Now()
	if _, err := c.dc.run("up", "-d"); err != nil {
		tb.Fatal(err)
	}
	t1 := time.Now()
	c.refreshAll(tb)
	ids := map[string]string{}
	for _, svc := range append([]string{"source"}, nodeNames...) {
		id, err := c.dc.containerID(svc)
		if err != nil {
			tb.Fatal(err)
		}
		ids[svc] = id
	}
	what := "every container healthy"
	if !fresh {
		what = "every container running, every node serving its admin API"
	}
	waitFor(tb, what, 3*time.Minute, func() (bool, string) {
		var waiting []string
		for svc, id := range ids {
			st, err := inspect(id)
			switch {
			case err != nil:
				waiting = append(waiting, fmt.Sprintf("%s: %v", svc, err))
			case fresh && st.Health != "healthy":
				waiting = append(waiting, fmt.Sprintf("%s=%s", svc, st.Health))
			case !st.Running || st.Health == "unhealthy":
				waiting = append(waiting, fmt.Sprintf("%s running=%v health=%s", svc, st.Running, st.Health))
			}
		}
		if !fresh {
			for _, n := range c.nodes {
				if _, err := n.members(context.Background()); err != nil {
					waiting = append(waiting, err.Error())
				}
			}
		}
		slices.Sort(waiting)
		return len(waiting) == 0, strings.Join(waiting, " ")
	})
	tb.Logf("docker-compose up -d took %s; %s %s later", secs(t1.Sub(t0)), what, secs(time.Since(t1)))
	for _, n := range c.nodes {
		n.setStatus(nodeUp)
	}
}

// refreshAll looks every container up again.
func (c *cluster) refreshAll(tb testing.TB) {
	tb.Helper()
	for _, n := range c.nodes {
		if err := n.refresh(c.dc); err != nil {
			tb.Fatal(err)
		}
	}
	id, err := c.dc.containerID("source")
	if err != nil {
		tb.Fatal(err)
	}
	st, err := inspect(id)
	if err != nil {
		tb.Fatal(err)
	}
	c.mu.Lock()
	c.sourceIP, c.gateway = st.IP, st.Gateway
	c.mu.Unlock()
}

// down removes the project (with its volumes when volumes is set).
func (c *cluster) down(tb testing.TB, volumes bool) {
	tb.Helper()
	c.saveLogs(tb) // the containers and their output go with the project
	args := []string{"down", "-t", "60"}
	if volumes {
		args = append(args, "-v")
	}
	at := time.Now()
	if _, err := c.dc.run(args...); err != nil {
		tb.Error(err)
	}
	for _, n := range c.nodes {
		n.setStatus(nodeDown)
		c.markDown(n, at, false)
	}
}

// assignAll assigns the suite's streams through one node's admin API.
func (c *cluster) assignAll(tb testing.TB, via *node) {
	tb.Helper()
	for _, id := range c.ids {
		ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
		_, err := via.admin().AssignStream(ctx, &vigilv1.AssignStreamRequest{Spec: &vigilv1.StreamSpec{
			Id: id, Url: c.streams[id], Labels: map[string]string{"suite": "chaos"}}})
		cancel()
		if err != nil {
			tb.Fatalf("assign %s via %s: %v", id, via, err)
		}
	}
}

// upNodes returns the nodes the suite has not killed, stopped or paused.
func (c *cluster) upNodes() []*node {
	var out []*node
	for _, n := range c.nodes {
		if n.getStatus() == nodeUp {
			out = append(out, n)
		}
	}
	return out
}

func (c *cluster) markDown(n *node, at time.Time, frozen bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.windows = append(c.windows, downWindow{node: n.name, from: at, frozen: frozen})
}

func (c *cluster) markUp(n *node, at time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := len(c.windows) - 1; i >= 0; i-- {
		if w := &c.windows[i]; w.node == n.name && w.to.IsZero() {
			w.to = at
		}
	}
}

func (c *cluster) downWindows() []downWindow {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.windows)
}

// kill sends SIGKILL to a node. Its process is dead from the moment the command is
// issued (an upper bound on its last decoded frame: gaps are measured from here).
func (c *cluster) kill(tb testing.TB, n *node) time.Time {
	tb.Helper()
	_, _, id := n.addr()
	at := time.Now()
	n.setStatus(nodeDown)
	c.markDown(n, at, false)
	c.mu.Lock()
	c.kills++
	c.mu.Unlock()
	if _, err := docker("kill", "-s", "KILL", id); err != nil {
		tb.Fatal(err)
	}
	return at
}

// stop stops a node gracefully (SIGTERM: it drains, then exits) and requires exit
// status 0. It returns when the process has exited.
func (c *cluster) stop(tb testing.TB, n *node) time.Time {
	tb.Helper()
	_, _, id := n.addr()
	at := time.Now()
	n.setStatus(nodeDown)
	if _, err := docker("stop", "-t", "45", id); err != nil {
		tb.Fatal(err)
	}
	st, err := inspect(id)
	if err != nil {
		tb.Fatal(err)
	}
	c.markDown(n, st.FinishedAt, false)
	if st.ExitCode != 0 {
		tb.Errorf("%s exited with status %d after SIGTERM, want 0", n, st.ExitCode)
		c.mu.Lock()
		c.kills++ // Docker's SIGKILL after the grace period, most likely
		c.mu.Unlock()
	}
	return at
}

// start starts a stopped or killed node again, and waits until its process serves
// its admin API: `docker start` returns once the process exists, seconds before
// vigil runs on a loaded machine (the loader maps ~580 libraries), and a fault
// injected in between would hit a process that is not vigil yet.
func (c *cluster) start(tb testing.TB, n *node) {
	tb.Helper()
	_, _, id := n.addr()
	if _, err := docker("start", id); err != nil {
		tb.Fatal(err)
	}
	c.markUp(n, time.Now())
	if err := n.refresh(c.dc); err != nil {
		tb.Fatal(err)
	}
	waitFor(tb, n.name+" to serve its admin API after its start", time.Minute, func() (bool, string) {
		_, err := n.members(context.Background())
		return err == nil, fmt.Sprint(err)
	})
	n.setStatus(nodeUp)
}

// clearCrashes assigns again, unchanged, every stream that carries crash records, and
// returns their ids. A node the suite kills leaves a crash record on every stream
// it ran (vigil cannot tell a SIGKILL from a crash inside FFmpeg), and three within
// ten minutes quarantine a stream: a suite that kills nodes on purpose clears the
// records it caused, as an operator would, so that the soak tests failover, not
// the quarantine. Assigning an identical spec keeps the stream running where it is.
// A stream with more records than the suite has killed processes had a real crash:
// that is an error, and it is not cleared. (A node process that dies by itself
// is also seen directly: nothing restarts it, and the cluster stops converging.)
func (c *cluster) clearCrashes(tb testing.TB) []string {
	tb.Helper()
	c.mu.Lock()
	kills := c.kills
	c.mu.Unlock()
	var cleared []string
	for _, n := range c.upNodes() {
		ss, err := n.list(context.Background())
		if err != nil {
			continue
		}
		for _, s := range ss {
			if s.GetCrashes() == 0 {
				continue
			}
			if int(s.GetCrashes()) > kills {
				tb.Errorf("%s has %d crash records, but the suite killed only %d node processes: a real crash", s.GetSpec().GetId(), s.GetCrashes(), kills)
				continue
			}
			ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
			_, err := n.admin().AssignStream(ctx, &vigilv1.AssignStreamRequest{Spec: s.GetSpec()})
			cancel()
			if err != nil {
				tb.Errorf("clear the crash records of %s via %s: %v", s.GetSpec().GetId(), n, err)
				continue
			}
			cleared = append(cleared, fmt.Sprintf("%s (%d)", s.GetSpec().GetId(), s.GetCrashes()))
		}
		return cleared
	}
	return nil
}

// pause freezes a node (SIGSTOP of its cgroup).
func (c *cluster) pause(tb testing.TB, n *node) time.Time {
	tb.Helper()
	_, _, id := n.addr()
	at := time.Now()
	n.setStatus(nodePaused)
	c.markDown(n, at, true)
	if _, err := docker("pause", id); err != nil {
		tb.Fatal(err)
	}
	return at
}

func (c *cluster) unpause(tb testing.TB, n *node) time.Time {
	tb.Helper()
	_, _, id := n.addr()
	if _, err := docker("unpause", id); err != nil {
		tb.Fatal(err)
	}
	at := time.Now()
	c.markUp(n, at)
	n.setStatus(nodeUp)
	return at
}

// partition cuts the nodes into the given groups: every node drops every packet
// from the nodes of the other groups. The source and the host stay reachable.
func (c *cluster) partition(tb testing.TB, groups ...[]*node) time.Time {
	tb.Helper()
	at := time.Now()
	for gi, g := range groups {
		var others []string
		for gj, o := range groups {
			if gj != gi {
				for _, n := range o {
					ip, _, _ := n.addr()
					others = append(others, ip)
				}
			}
		}
		for _, n := range g {
			_, pid, _ := n.addr()
			if err := dropFrom(pid, others); err != nil {
				tb.Fatalf("partition %s: %v", n, err)
			}
		}
	}
	return at
}

// lossy makes every running node lose a random share p of its packets: with netem
// (loss, and a delay of netemDelay±netemJitter) where the kernel has it, otherwise
// with iptables (loss of incoming packets only, no delay). It returns when the fault
// began and how it was injected, for the report.
func (c *cluster) lossy(tb testing.TB, p float64) (time.Time, string) {
	tb.Helper()
	c.mu.Lock()
	spare := []string{c.gateway}
	c.mu.Unlock()
	at := time.Now()
	for _, n := range c.upNodes() {
		_, pid, _ := n.addr()
		if c.useNetem(pid, p) {
			continue
		}
		if err := lose(pid, p, spare); err != nil {
			tb.Fatalf("loss on %s: %v", n, err)
		}
	}
	return at, c.lossMethod(p)
}

// useNetem tries netem on the node once per suite (where it fails, every later call
// says no at once) and reports whether the node's loss is now netem's.
func (c *cluster) useNetem(pid int, p float64) bool {
	c.mu.Lock()
	tried, ok := c.netemTried, c.netemOK
	c.mu.Unlock()
	if tried && !ok {
		return false
	}
	err := netem(pid, p)
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.netemTried {
		c.netemTried, c.netemOK = true, err == nil
		c.netemErr = err
	}
	return err == nil && c.netemOK
}

// lossMethod describes how lossy injects loss, for the report.
func (c *cluster) lossMethod(p float64) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.netemOK {
		return fmt.Sprintf("tc netem: %.0f%% loss, %s±%s delay on every node's egress", p*100, netemDelay, netemJitter)
	}
	why := "not tried"
	if c.netemErr != nil {
		why = c.netemErr.Error()
		if i := strings.LastIndex(why, ": "); i >= 0 {
			why = why[i+2:] // tc's own message
		}
	}
	return fmt.Sprintf("iptables statistic: %.0f%% of incoming packets dropped (the suite's own polls from the host spared), no delay (netem unavailable: %s)", p*100, why)
}

// healNetwork removes every network fault from every running node.
func (c *cluster) healNetwork(tb testing.TB) time.Time {
	tb.Helper()
	for _, n := range c.nodes {
		if n.getStatus() == nodeDown {
			continue
		}
		_, pid, _ := n.addr()
		if err := heal(pid); err != nil {
			tb.Errorf("heal %s: %v", n, err)
		}
	}
	return time.Now()
}

// source sends a fault request to the live source: "stall?seconds=S" or "reset".
func (c *cluster) source(tb testing.TB, channel int, what string) {
	tb.Helper()
	c.mu.Lock()
	ip := c.sourceIP
	c.mu.Unlock()
	url := fmt.Sprintf("http://%s:8090/ch/%d/%s", ip, channel, what)
	resp, err := http.Post(url, "", nil)
	if err != nil {
		tb.Fatalf("source %s: %v", url, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		tb.Fatalf("source %s: %s", url, resp.Status)
	}
}

// waitFor polls cond every 250 ms until it holds or within passes; cond describes
// what it saw, for the failure message.
func waitFor(tb testing.TB, what string, within time.Duration, cond func() (bool, string)) {
	tb.Helper()
	if !poll(within, cond) {
		_, saw := cond()
		tb.Fatalf("%s: not within %v; last seen: %s", what, within, saw)
	}
}

// poll polls cond every 250 ms until it holds (true) or within passes (false).
func poll(within time.Duration, cond func() (bool, string)) bool {
	deadline := time.Now().Add(within)
	for {
		if ok, _ := cond(); ok {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(250 * time.Millisecond)
	}
}
