//go:build chaos

package chaos

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// config is the suite's settings, from its flags (go test … -args -chaos.…).
type config struct {
	project   string        // compose project name
	image     string        // the image the nodes run
	streams   int           // streams assigned
	channels  int           // the source's channels (streams point at them round-robin)
	run       string        // regexp: scenarios to run (bootstrap always runs)
	keep      bool          // leave the cluster running at the end
	record    string        // write the summary table to this file
	full      bool          // the full lengths
	failover  time.Duration // a dead node's streams must decode elsewhere within this (p99)
	converge  time.Duration // "one convergence period"
	pause     time.Duration // how long scenario 4 pauses a node
	partition time.Duration // how long scenario 5 holds the partition
	flapWatch time.Duration // how long scenario 5 watches for flapping after the heal
	loss      time.Duration // how long scenario 6 keeps the network lossy
	lossRate  float64       // the loss probability per packet
	cycles    int           // scenario 7's source fault cycles
	soak      int           // scenario 10's faults
	soakEvery time.Duration // …one every this long
	seed      int64         // the soak's random seed
	command   string        // how this run was started (for the record)
}

var cfg config

func init() {
	flag.StringVar(&cfg.project, "chaos.project", "vigil-chaos", "docker-compose project name (must differ from make cluster's)")
	flag.StringVar(&cfg.image, "chaos.image", "vigil:latest", "image of the nodes and the source (make image builds it)")
	flag.IntVar(&cfg.streams, "chaos.streams", 40, "streams to assign")
	flag.IntVar(&cfg.channels, "chaos.channels", 8, "source channels the streams point at, round-robin")
	flag.StringVar(&cfg.run, "chaos.run", "", "regexp: run only the scenarios whose name matches (bootstrap always runs)")
	flag.BoolVar(&cfg.keep, "chaos.keep", false, "leave the cluster running at the end (docker-compose -p vigil-chaos down -v removes it)")
	flag.StringVar(&cfg.record, "chaos.record", "", "write the summary table (Markdown) to this file, e.g. docs/chaos.md")
	flag.BoolVar(&cfg.full, "chaos.full", false, "the issue's full lengths: 3 minutes of loss, 30 soak faults")
	flag.DurationVar(&cfg.failover, "chaos.failover", 3*time.Second, "limit on a dead node's streams decoding elsewhere (p99)")
	flag.DurationVar(&cfg.converge, "chaos.converge", 15*time.Second, "one convergence period (after unpause, after a partition heals)")
	flag.DurationVar(&cfg.pause, "chaos.pause", 20*time.Second, "how long the pause scenario pauses a node")
	flag.DurationVar(&cfg.partition, "chaos.partition", 20*time.Second, "how long the partition scenario holds the partition")
	flag.DurationVar(&cfg.flapWatch, "chaos.flap-watch", 60*time.Second, "how long to watch for flapping after a partition heals")
	flag.DurationVar(&cfg.loss, "chaos.loss", 60*time.Second, "how long the loss scenario keeps the network lossy (-chaos.full: 3m)")
	flag.Float64Var(&cfg.lossRate, "chaos.loss-rate", 0.10, "packet loss probability of the loss scenario")
	flag.IntVar(&cfg.cycles, "chaos.cycles", 50, "source fault cycles (stall, reset, recover) of the source scenario")
	flag.IntVar(&cfg.soak, "chaos.soak", 12, "random faults of the soak (-chaos.full: 30)")
	flag.Int64Var(&cfg.seed, "chaos.seed", 0, "random seed of the soak (0: from the clock; the seed used is printed)")
	flag.DurationVar(&cfg.soakEvery, "chaos.soak-every", 10*time.Second, "one soak fault every this long")
}

func TestMain(m *testing.M) {
	flag.Parse()
	if cfg.full {
		// Only where the flag was left at its default: an explicit value wins.
		set := map[string]bool{}
		flag.Visit(func(f *flag.Flag) { set[f.Name] = true })
		if !set["chaos.loss"] {
			cfg.loss = 3 * time.Minute
		}
		if !set["chaos.soak"] {
			cfg.soak = 30
		}
	}
	cfg.command = commandLine()
	for _, tool := range []string{"docker", "docker-compose", "nsenter", "iptables"} {
		if _, err := exec.LookPath(tool); err != nil {
			fmt.Fprintf(os.Stderr, "test/chaos: %s not found: the chaos suite needs Docker, docker-compose, nsenter and iptables\n", tool)
			os.Exit(1)
		}
	}
	if os.Geteuid() != 0 {
		fmt.Fprintln(os.Stderr, "test/chaos: must run as root (nsenter into the containers' network namespaces for iptables)")
		os.Exit(1)
	}
	os.Exit(m.Run())
}

// commandLine is the make command that reproduces this run's settings.
func commandLine() string {
	var flags []string
	flag.Visit(func(f *flag.Flag) {
		if strings.HasPrefix(f.Name, "chaos.") && f.Name != "chaos.record" && f.Name != "chaos.full" {
			flags = append(flags, fmt.Sprintf("-%s=%s", f.Name, f.Value))
		}
	})
	cmd := "make chaos"
	if cfg.full {
		cmd += " CHAOS_FULL=1"
	}
	if len(flags) > 0 {
		cmd += fmt.Sprintf(" CHAOS_FLAGS='%s'", strings.Join(flags, " "))
	}
	return cmd
}

// repoRoot is the repository's top directory: the nearest directory with go.mod
// above the working directory (go test runs the suite in test/chaos). It needs no go
// command, so the test binary may run as root without the toolchain on root's PATH
// (make chaos-ci: go test -exec sudo).
func repoRoot(tb testing.TB) string {
	tb.Helper()
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatalf("repository root: %v", err)
	}
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
		if filepath.Dir(d) == d {
			tb.Fatalf("repository root: no go.mod above %s", dir)
		}
	}
}
