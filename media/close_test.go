package media

import (
	"context"
	"errors"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

func openFDs(tb testing.TB) int {
	tb.Helper()
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		tb.Fatal(err)
	}
	return len(entries)
}

// rssKiB returns the process's resident memory (C allocations included).
func rssKiB(tb testing.TB) int {
	tb.Helper()
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		tb.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			return n
		}
	}
	tb.Fatal("no VmRSS")
	return 0
}

// TestOpenCloseReleasesResources opens and closes an input 2x200 times (every other
// time decoding a few frames and cancelling Run): file descriptors and goroutines come
// back to their baseline, and resident memory (C allocations included) does not keep
// growing from the first 200 cycles to the next 200.
func TestOpenCloseReleasesResources(t *testing.T) {
	path := clipTS(t)
	cycle := func(i int) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		in, err := Open(ctx, path, ScanConfig())
		if err != nil {
			t.Fatal(err)
		}
		if i%2 == 0 {
			rec := &recorder{onVideo: func(f *VideoFrame) {
				if f.Seq == 5 {
					cancel()
				}
			}}
			if err := in.Run(ctx, rec); !errors.Is(err, context.Canceled) {
				t.Fatalf("Run = %v", err)
			}
		}
		in.Close()
		in.Close() // idempotent
		if in.Outstanding() != 0 {
			t.Fatalf("%d frames outstanding", in.Outstanding())
		}
	}
	for i := 0; i < 10; i++ { // warm up FFmpeg's and Go's lazy state
		cycle(i)
	}
	runtime.GC()
	fds, goroutines, rss0 := openFDs(t), runtime.NumGoroutine(), rssKiB(t)
	var rss [2]int
	for half := range rss {
		for i := 0; i < leakCycles; i++ {
			cycle(i)
		}
		eventually(t, 5*time.Second, "goroutines and file descriptors back to baseline", func() bool {
			return runtime.NumGoroutine() <= goroutines && openFDs(t) <= fds
		})
		runtime.GC()
		rss[half] = rssKiB(t)
	}
	t.Logf("after 2x%d open/close: %d fds (baseline %d), %d goroutines (baseline %d), RSS %+d KiB then %+d KiB",
		leakCycles, openFDs(t), fds, runtime.NumGoroutine(), goroutines, rss[0]-rss0, rss[1]-rss[0])
	if grown := rss[1] - rss[0]; grown > 16<<10 {
		t.Fatalf("resident memory grew by %d KiB over the second %d cycles", grown, leakCycles)
	}
}

// TestRunOnce: Run refuses a second call and a closed input.
func TestRunOnce(t *testing.T) {
	ctx := context.Background()
	in, err := Open(ctx, clipTS(t), ScanConfig())
	if err != nil {
		t.Fatal(err)
	}
	if err := in.Run(ctx, &recorder{}); err != nil {
		t.Fatal(err)
	}
	if err := in.Run(ctx, &recorder{}); err == nil {
		t.Fatal("second Run succeeded")
	}
	in.Close()
	in2, err := Open(ctx, clipTS(t), ScanConfig())
	if err != nil {
		t.Fatal(err)
	}
	in2.Close()
	if err := in2.Run(ctx, &recorder{}); !errors.Is(err, ErrClosed) {
		t.Fatalf("Run after Close = %v", err)
	}
}

// leakCycles is the number of open/close cycles TestOpenCloseReleasesResources runs.
var leakCycles = 200
