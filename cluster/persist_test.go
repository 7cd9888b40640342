package cluster

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestWholeClusterRestartKeepsAssignments(t *testing.T) {
	dirs := []string{t.TempDir(), t.TempDir(), t.TempDir()}
	first := []testNode{startNode(t, "n0", nodeOptions{dataDir: dirs[0]})}
	for i := 1; i < 3; i++ {
		first = append(first, startNode(t, []string{"n0", "n1", "n2"}[i], nodeOptions{dataDir: dirs[i], seeds: []string{first[0].GossipAddr()}}))
	}
	assignN(t, first[0], 10)
	waitConverged(t, first, 10)
	if err := first[1].Unassign("cam04"); err != nil {
		t.Fatal(err)
	}
	waitConverged(t, first, 9)
	for _, n := range first {
		if err := n.Close(); err != nil {
			t.Fatalf("close %s: %v", n.Name(), err)
		}
		if _, err := os.Stat(filepath.Join(n.cfg.DataDir, runningFile)); !os.IsNotExist(err) {
			t.Fatalf("%s left a running set after a clean close: %v", n.Name(), err)
		}
	}

	// Every node comes back on a new port; n2 starts first and the others join it.
	second := []testNode{startNode(t, "n2", nodeOptions{dataDir: dirs[2]})}
	for i := 0; i < 2; i++ {
		second = append(second, startNode(t, []string{"n0", "n1"}[i], nodeOptions{dataDir: dirs[i], seeds: []string{second[0].GossipAddr()}}))
	}
	waitConverged(t, second, 9)
	for _, n := range second {
		if _, err := n.Get("cam04"); err == nil {
			t.Fatalf("%s resurrected the unassigned cam04", n.Name())
		}
		if s, err := n.Get("cam09"); err != nil || s.Spec.URL == "" {
			t.Fatalf("%s lost cam09: %v", n.Name(), err)
		}
	}
}

func TestCrashLoopQuarantinesAStream(t *testing.T) {
	dir := t.TempDir()
	n := startNode(t, "solo", nodeOptions{dataDir: dir, mutate: func(c *Config) { c.MaxCrashes = 3 }})
	if _, _, err := n.Assign(StreamSpec{ID: "killer", URL: "http://127.0.0.1:9/x"}, false); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "the stream to run", func() bool { return len(n.runner.running()) == 1 })

	// The process dies (a cgo crash) three times while running the stream; each new
	// process records the crash of the one before.
	for crash := 1; crash <= 3; crash++ {
		n.runner.kill()
		n.Kill()
		if _, err := os.Stat(filepath.Join(dir, runningFile)); err != nil {
			t.Fatalf("crash %d: no running set left behind: %v", crash, err)
		}
		n = startNode(t, "solo", nodeOptions{dataDir: dir, mutate: func(c *Config) { c.MaxCrashes = 3 }})
		s, err := n.Get("killer")
		if err != nil {
			t.Fatal(err)
		}
		if s.Crashes != crash {
			t.Fatalf("after crash %d the stream has %d crash records", crash, s.Crashes)
		}
		if crash < 3 {
			waitFor(t, 5*time.Second, "the stream to run again", func() bool { return len(n.runner.running()) == 1 })
		}
	}
	s, _ := n.Get("killer")
	if s.State != 6 { // STREAM_STATE_QUARANTINED
		t.Fatalf("state %v after 3 crashes, want quarantined", s.State)
	}
	// Another stream starting proves a reconcile pass ran; the quarantined one must
	// not have started in it.
	if _, _, err := n.Assign(StreamSpec{ID: "innocent", URL: "http://127.0.0.1:9/y"}, false); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "the other stream to run", func() bool { _, ok := n.runner.running()["innocent"]; return ok })
	if _, ok := n.runner.running()["killer"]; ok {
		t.Fatal("a quarantined stream was started")
	}
	// Assigning the same spec again lifts the quarantine.
	if _, _, err := n.Assign(StreamSpec{ID: "killer", URL: "http://127.0.0.1:9/x"}, false); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "the stream to run after re-assignment", func() bool { _, ok := n.runner.running()["killer"]; return ok })
}
