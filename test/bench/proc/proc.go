// Package proc runs child processes and measures what they cost: CPU time from the
// kernel's resource usage of the child (user + system, all threads), and for running
// processes CPU time and resident memory from /proc.
package proc

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Usage is what a finished child process used.
type Usage struct {
	// User and Sys are the CPU time in user and kernel mode, over all threads.
	User, Sys time.Duration
	// Wall is the elapsed time from start to exit.
	Wall time.Duration
	// MaxRSS is the peak resident set size in bytes.
	MaxRSS int64
}

// CPU returns User + Sys.
func (u Usage) CPU() time.Duration { return u.User + u.Sys }

// Run runs name with args, stdout going to stdout (discarded if nil), and returns the
// child's resource usage. A failing child's stderr is in the error.
func Run(ctx context.Context, stdout io.Writer, name string, args ...string) (Usage, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdout = stdout
	var stderr strings.Builder
	cmd.Stderr = &stderr
	began := time.Now()
	err := cmd.Run()
	wall := time.Since(began)
	if err != nil {
		msg := strings.TrimSpace(stderr.String())
		if len(msg) > 1500 {
			msg = msg[len(msg)-1500:]
		}
		return Usage{}, fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, msg)
	}
	ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		return Usage{}, fmt.Errorf("%s: no resource usage", name)
	}
	return Usage{
		User:   time.Duration(ru.Utime.Nano()),
		Sys:    time.Duration(ru.Stime.Nano()),
		Wall:   wall,
		MaxRSS: ru.Maxrss * 1024,
	}, nil
}

// Sample is a running process's counters at one moment.
type Sample struct {
	// CPU is user + system time so far, over all threads.
	CPU time.Duration
	// RSS is the resident set size in bytes.
	RSS int64
}

// Read samples process pid from /proc.
func Read(pid int) (Sample, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return Sample{}, fmt.Errorf("read stat: %w", err)
	}
	// The command name is in parentheses and may contain spaces: fields start after ')'.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return Sample{}, fmt.Errorf("read stat: malformed %q", s)
	}
	f := strings.Fields(s[i+1:])
	// Fields after ')' start at field 3 (state); utime is field 14, stime 15, rss 24.
	if len(f) < 22 {
		return Sample{}, fmt.Errorf("read stat: short %q", s)
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	rss, err3 := strconv.ParseInt(f[21], 10, 64)
	if err1 != nil || err2 != nil || err3 != nil {
		return Sample{}, fmt.Errorf("read stat: malformed %q", s)
	}
	return Sample{
		CPU: time.Duration(utime+stime) * time.Second / clockTicks,
		RSS: rss * int64(os.Getpagesize()),
	}, nil
}

// clockTicks is USER_HZ, the unit of utime and stime in /proc (100 on Linux).
const clockTicks = 100

// LoadAverage returns the 1-minute load average (0 if it cannot be read).
func LoadAverage() float64 {
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
