package actors

import (
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigil-monitor/vigil/media"
	"github.com/vigil-monitor/vigil/media/detect"
)

// rssBytes reads this process's resident set size.
func rssBytes(tb testing.TB) int64 {
	tb.Helper()
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		tb.Fatal(err)
	}
	f := strings.Fields(string(b))
	pages, err := strconv.ParseInt(f[1], 10, 64)
	if err != nil {
		tb.Fatal(err)
	}
	return pages * int64(os.Getpagesize())
}

type usage struct {
	goroutines, fds int
	rss             int64
}

func measure(tb testing.TB) usage {
	runtime.GC()
	debug.FreeOSMemory()
	media.TrimMemory()
	return usage{runtime.NumGoroutine(), openFDs(tb), rssBytes(tb)}
}

// TestStartStop200StreamsReturnsToBaseline starts and stops 200 live streams, 20 at a
// time, each decoding a real clip, and checks that goroutines, open files and RSS come
// back to where they were: every decoder goroutine ends, every FFmpeg context and
// frame is freed.
func TestStartStop200StreamsReturnsToBaseline(t *testing.T) {
	if testing.Short() {
		t.Skip("starts 200 decoders")
	}
	clip := blackClip(t, "3")
	cfg := DefaultConfig()
	cfg.Media.AllowFile = true
	cfg.Media.Loop = true
	cfg.Media.Threads = 1
	// The detectors' pixel loops are tested elsewhere; under the race detector they
	// are slow, and this test is about the actor tree and FFmpeg's resources, so one
	// cheap detector per medium is enough.
	cfg.Detectors = func(c detect.Config) ([]detect.Detector, error) {
		return []detect.Detector{detect.NewBlackDetector(c.Black), detect.NewSilenceDetector(c.Silence)}, nil
	}
	n := testNode(t, cfg)

	round := func(r int) {
		ids := make([]string, 20)
		for i := range ids {
			ids[i] = fmt.Sprintf("r%d-s%d", r, i)
			if err := n.Start(StreamSpec{ID: ids[i], URL: clip}); err != nil {
				t.Fatal(err)
			}
		}
		for _, id := range ids {
			waitFor(t, id+" to decode", time.Minute, func() bool {
				st, err := n.Status(id)
				return err == nil && st.State == Running && st.Media.VideoFrames > 0
			})
		}
		for _, id := range ids {
			if err := n.Stop(id); err != nil {
				t.Fatal(err)
			}
		}
	}
	round(0) // warm up pools, the actor system and FFmpeg's one-time allocations
	base := measure(t)
	for r := 1; r < 10; r++ {
		round(r)
		if os.Getenv("VIGIL_LEAK_TRACE") != "" {
			t.Logf("round %d: %+v", r, measure(t))
		}
	}
	if o := n.Outstanding(); o != 0 {
		t.Errorf("outstanding frame references: %d", o)
	}
	var after usage
	waitFor(t, "goroutines to settle", 10*time.Second, func() bool {
		after = measure(t)
		return after.goroutines <= base.goroutines
	})
	t.Logf("baseline %+v, after 200 streams %+v", base, after)
	if after.fds > base.fds {
		t.Errorf("open files grew from %d to %d", base.fds, after.fds)
	}
	const slack = 32 << 20
	if after.rss > base.rss+slack {
		t.Errorf("RSS grew by %d MiB after 180 more streams (allowed %d MiB)", (after.rss-base.rss)>>20, slack>>20)
	}
}
