//go:build chaos

package chaos

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// scenario is one chaos scenario: it starts from five converged nodes, injects its
// faults, checks its criteria (t.Error for each one missed, with the measured value)
// and leaves the cluster converged again; r receives its summary line.
type scenario struct {
	name   string
	checks string // the pass criteria, for the record
	run    func(t *testing.T, c *cluster, r *row)
}

var scenarios = []scenario{
	{"bootstrap", "every node sees 5 members alive; every stream runs on exactly one node, the owner all 5 agree on (cluster/placement's answer); per-node counts within ±15% of the mean", bootstrap},
	{"kill -9 a node", "`docker kill -s KILL` one node: its streams decode on survivors within 3 s p99 (first decoded frame on the new owner − kill); no other stream moves or restarts; survivors converge with none orphaned or duplicated; the node restarts and takes its streams back", killNode},
	{"docker stop a node (drain)", "`docker stop` (SIGTERM): the node exits 0 after handing every stream off make-before-break, so no stream is unmonitored longer than its new owner's time to first frame (in practice: no gap at all); no gap when the streams move back after its restart", stopNode},
	{"pause a node", "`docker pause` for 20 s: its streams fail over during the pause; after the unpause one runner per stream within one convergence period (15 s); defects two nodes reported for the same stream carry different ownership epochs", pauseNode},
	{"partition 2|3", "iptables DROP between {vigil1, vigil2} and the other three for 20 s: each side runs every stream (no gap); after the heal one owner per stream within 15 s, and no owner or epoch change and no double runner for the next 60 s", partitionNodes},
	{"lossy network", "10% packet loss on every node (tc netem with 100±30 ms delay where the kernel has netem, else iptables' statistic match, loss only) for 60 s (3 min with CHAOS_FULL): no node declared dead, no stream moves", lossyNetwork},
	{"source faults", "50 cycles of the live source stalling a channel (6 s; the first round 14 s), resetting its connections and recovering: every affected stream opens no_signal and clears it, its decoder restarts with backoff doubling from 1 s and runs again on the same owner; each node's goroutines, open files and RSS stay flat (last three samples against the first three after the first round)", sourceFaults},
	{"rolling restart", "stop and start the five nodes one at a time, converging in between: assignments identical before and after, no stream unmonitored for more than 3 s", rollingRestart},
	{"full down/up", "`docker-compose down` (graceful, volumes kept) then `up`: every assignment restored from the nodes' data volumes", fullRestart},
	{"random soak", "12 random faults (30 with CHAOS_FULL) from kill, stop, pause, partition, loss and source stall, one every 10 s, each held 3–7 s: at the end every stream runs on exactly one node (0 lost, 0 duplicated); the gap distribution is reported", soak},
}

// TestChaos brings the compose cluster up, assigns the streams and runs the
// scenarios in order on it, then prints the summary table. Each scenario is a
// subtest; one that fails leaves its row failed, the cluster is repaired, and the
// next one runs.
func TestChaos(t *testing.T) {
	started := time.Now()
	var only *regexp.Regexp
	if cfg.run != "" {
		only = regexp.MustCompile(cfg.run)
	}
	c := newCluster(t)
	t.Logf("starting compose project %s (%s, %s)", cfg.project, c.dc.file, cfg.image)
	c.up(t, true)
	t.Cleanup(func() {
		if t.Failed() {
			c.dumpLogs(t)
		}
		for _, n := range c.nodes {
			n.close()
		}
		if cfg.keep {
			c.saveLogs(t) // down saves them otherwise
			t.Logf("cluster kept: docker-compose -f %s -p %s down -v", c.dc.file, cfg.project)
			return
		}
		c.down(t, true)
	})
	c.poll = startPoller(c)
	t.Cleanup(c.poll.close)
	c.watch = startWatcher(c)
	t.Cleanup(c.watch.close)
	c.assignAll(t, c.nodes[0])
	t.Logf("assigned %d streams over %d channels", len(c.ids), cfg.channels)

	var rows []*row
	for i, s := range scenarios {
		r := &row{name: s.name}
		rows = append(rows, r)
		if i > 0 && only != nil && !only.MatchString(s.name) {
			continue
		}
		r.ran = true
		if cleared := c.clearCrashes(t); len(cleared) > 0 {
			t.Logf("crash records left by the suite's kills cleared before %s: %v", s.name, cleared)
		}
		t0 := time.Now()
		c.poll.forget(t0.Add(-time.Minute))
		r.pass = t.Run(s.name, func(t *testing.T) { s.run(t, c, r) })
		r.took = time.Since(t0)
		r.note("load average at the end: %s", loadAverage())
		for _, n := range r.notes {
			t.Logf("%s: %s", s.name, n)
		}
		if !r.pass {
			t.Run("restore after "+s.name, func(t *testing.T) { c.restore(t, time.Minute) })
		}
	}

	total := time.Since(started)
	fmt.Printf("\nchaos suite: %s, %d streams, %s total, load average %s\n\n%s\n", cfg.project, len(c.ids),
		total.Round(time.Second), loadAverage(), table(rows))
	if cfg.record != "" {
		path := cfg.record
		if !strings.HasPrefix(path, "/") {
			path = repoRoot(t) + "/" + path
		}
		if err := record(path, rows, started, total, loadAverage()); err != nil {
			t.Errorf("record: %v", err)
		} else {
			t.Logf("summary written to %s", path)
		}
	}
}

// dumpLogs logs the last lines of every container's output.
func (c *cluster) dumpLogs(t *testing.T) {
	for _, svc := range append([]string{"source"}, nodeNames...) {
		id, err := c.dc.containerID(svc)
		if err != nil {
			continue
		}
		stdout, stderr, err := logs(id)
		if err != nil {
			t.Logf("logs of %s: %v", svc, err)
			continue
		}
		t.Logf("last output of %s:\n%s\n%s", svc, tail(stdout, 8), tail(stderr, 12))
	}
}

// saveLogs appends every container's output to files in the directory
// $VIGIL_CHAOS_LOGS, if that is set: <service>.out (stdout) and <service>.err.
func (c *cluster) saveLogs(tb testing.TB) {
	tb.Helper()
	dir := os.Getenv("VIGIL_CHAOS_LOGS")
	if dir == "" {
		return
	}
	for _, svc := range append([]string{"source"}, nodeNames...) {
		id, err := c.dc.containerID(svc)
		if err != nil || id == "" {
			continue
		}
		stdout, stderr, err := logs(id)
		if err != nil {
			tb.Logf("logs of %s: %v", svc, err)
			continue
		}
		for name, text := range map[string]string{svc + ".out": stdout, svc + ".err": stderr} {
			f, err := os.OpenFile(filepath.Join(dir, name), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
			if err != nil {
				tb.Logf("save logs: %v", err)
				continue
			}
			f.WriteString(text)
			f.Close()
		}
	}
}

// tail returns the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
