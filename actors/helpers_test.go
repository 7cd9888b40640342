package actors

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/vigil-monitor/vigil/media/detect"
)

// makeClip encodes a clip with the ffmpeg CLI into dir and returns its path. args go
// between the lavfi inputs and the output name.
func makeClip(tb testing.TB, name string, args ...string) string {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), name)
	full := append([]string{"-v", "error", "-y"}, args...)
	full = append(full, path)
	if out, err := exec.Command("ffmpeg", full...).CombinedOutput(); err != nil {
		tb.Fatalf("ffmpeg %v: %v\n%s", full, err, out)
	}
	return path
}

// blackClip is a 320x240 25 fps H.264+AAC clip of seconds length whose picture is black
// between 2 and 5 s.
func blackClip(tb testing.TB, seconds string) string {
	tb.Helper()
	return makeClip(tb, "black.ts",
		"-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25",
		"-f", "lavfi", "-i", "sine=f=440:sample_rate=48000",
		"-t", seconds, "-vf", "drawbox=c=black:t=fill:enable='between(t,2,5)'",
		"-c:v", "libx264", "-preset", "ultrafast", "-g", "25", "-c:a", "aac", "-shortest")
}

// testNode starts a node for a test and closes it at cleanup.
func testNode(tb testing.TB, cfg Config) *Node {
	tb.Helper()
	n, err := NewNode(cfg)
	if err != nil {
		tb.Fatalf("NewNode: %v", err)
	}
	tb.Cleanup(func() {
		if err := n.Close(); err != nil {
			tb.Errorf("Close: %v", err)
		}
	})
	return n
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(tb testing.TB, what string, d time.Duration, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// collect reads events from sub until stop returns true for one (which is included)
// or the timeout passes.
func collect(tb testing.TB, sub *Subscription, timeout time.Duration, stop func(Event) bool) []Event {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var out []Event
	for {
		e, err := sub.Next(ctx)
		if err != nil {
			if errors.Is(err, context.DeadlineExceeded) {
				tb.Fatalf("timed out after %s; events so far: %v", timeout, out)
			}
			return out
		}
		out = append(out, e)
		if stop(e) {
			return out
		}
	}
}

func defects(evs []Event, ended bool) []detect.Event {
	var out []detect.Event
	for _, e := range evs {
		if e.Kind == DefectEvent && e.Defect.Ended == ended {
			out = append(out, e.Defect)
		}
	}
	return out
}

// fakeClock is a manual Clock: timers fire only when Advance passes their deadline.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*fakeTimer
}

type fakeTimer struct {
	at      time.Time
	f       func()
	stopped bool
}

func newFakeClock() *fakeClock { return &fakeClock{now: time.Unix(1_800_000_000, 0)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) AfterFunc(d time.Duration, f func()) func() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &fakeTimer{at: c.now.Add(d), f: f}
	c.timers = append(c.timers, t)
	return func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		was := !t.stopped
		t.stopped = true
		return was
	}
}

// pending returns the delays of timers not yet fired or stopped, in order.
func (c *fakeClock) pending() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []time.Duration
	for _, t := range c.timers {
		if !t.stopped {
			out = append(out, t.at.Sub(c.now))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// Advance moves time forward by d and runs the timers that fall due.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	var due []func()
	for _, t := range c.timers {
		if !t.stopped && !t.at.After(c.now) {
			t.stopped = true
			due = append(due, t.f)
		}
	}
	c.mu.Unlock()
	for _, f := range due {
		f()
	}
}

// openFDs counts this process's open file descriptors.
func openFDs(tb testing.TB) int {
	tb.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		tb.Fatalf("read fds: %v", err)
	}
	return len(ents)
}
