//go:build chaos

package chaos

import (
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"
)

// scenario is one chaos scenario: it starts from five converged nodes, injects its
// faults, checks its criteria (t.Error for each one missed, with the measured value)
// and leaves the cluster converged again; r receives its summary line.
type scenario struct {
	name string
	run  func(t *testing.T, c *cluster, r *row)
}

var scenarios = []scenario{
	{"bootstrap", bootstrap},
	{"kill -9 a node", killNode},
	{"docker stop a node (drain)", stopNode},
	{"pause a node", pauseNode},
	{"partition 2|3", partitionNodes},
	{"lossy network", lossyNetwork},
	{"source faults", sourceFaults},
	{"rolling restart", rollingRestart},
	{"full down/up", fullRestart},
	{"random soak", soak},
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
	if dir := os.Getenv("VIGIL_CHAOS_LOGS"); dir != "" {
		for _, svc := range append([]string{"source"}, nodeNames...) {
			if id, err := c.dc.containerID(svc); err == nil {
				stdout, stderr, _ := logs(id)
				os.WriteFile(dir+"/"+svc+".out", []byte(stdout), 0o644)
				os.WriteFile(dir+"/"+svc+".err", []byte(stderr), 0o644)
			}
		}
	}
}

// tail returns the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
