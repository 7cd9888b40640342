package report

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"
)

// Machine describes where and on what a benchmark ran.
type Machine struct {
	// CPU is the model name from /proc/cpuinfo; Cores the number of online CPUs.
	CPU   string
	Cores int
	// MemGB is the total memory.
	MemGB float64
	// Kernel is the kernel release; Go the Go version the tools were built with.
	Kernel, Go string
	// FFmpeg is the first line of `ffmpeg -version`.
	FFmpeg string
	// Commit is `git describe --always --dirty` of the working tree.
	Commit string
	// Load is /proc/loadavg's 1-, 5- and 15-minute load when the benchmark started:
	// the machine is shared, and other work competes for the same cores.
	Load string
	// Date is when the benchmark started (UTC).
	Date time.Time
}

// Describe gathers the description; fields it cannot read are left empty.
func Describe(ctx context.Context, now time.Time) Machine {
	m := Machine{Cores: runtime.NumCPU(), Go: runtime.Version(), Date: now.UTC()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb float64
		if _, err := fmt.Sscanf(string(b), "MemTotal: %f kB", &kb); err == nil {
			m.MemGB = kb / (1 << 20)
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		f := strings.Fields(string(b))
		if len(f) >= 3 {
			m.Load = strings.Join(f[:3], " ")
		}
	}
	if out, err := exec.CommandContext(ctx, "ffmpeg", "-version").Output(); err == nil {
		line, _, _ := strings.Cut(string(out), "\n")
		m.FFmpeg = strings.TrimSpace(line)
	}
	if out, err := exec.CommandContext(ctx, "git", "describe", "--always", "--dirty").Output(); err == nil {
		m.Commit = strings.TrimSpace(string(out))
	}
	return m
}

// Markdown renders the description as a short paragraph.
func (m Machine) Markdown() string {
	return fmt.Sprintf("Machine: %s, %d cores, %.0f GB RAM, Linux %s; %s; %s; vigil at `%s`; load average at start %s; run %s.\n",
		m.CPU, m.Cores, m.MemGB, m.Kernel, m.FFmpeg, m.Go, m.Commit, m.Load, m.Date.Format("2006-01-02 15:04 UTC"))
}
