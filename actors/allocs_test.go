package actors

import (
	"runtime"
	"testing"
	"time"
)

// TestFramePathAllocs scans a short and a long clip of the same kind through a
// scan-mode node — real decoding, fan-out by reference, every detector actor — and
// checks the Go heap allocations the long clip's extra frames cost: start-up and
// shut-down cancel out, what is left is the steady-state frame path, which should not
// allocate. protoactor-go's default mailbox allocated about once per detector per
// frame (2.7 per frame here, 6.5 at 720p), and sync.Pool-recycled
// messages were re-allocated after every garbage collection.
func TestFramePathAllocs(t *testing.T) {
	clip := func(seconds string) string {
		return makeClip(t, "allocs-"+seconds+".ts",
			"-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25",
			"-f", "lavfi", "-i", "sine=f=440:sample_rate=48000",
			"-t", seconds, "-c:v", "libx264", "-preset", "ultrafast", "-g", "25", "-c:a", "aac", "-shortest")
	}
	short, long := clip("2"), clip("20")
	n := testNode(t, ScanConfig())
	scan := func(id, path string) (mallocs, frames uint64) {
		t.Helper()
		var m0, m1 runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&m0)
		if err := n.Start(StreamSpec{ID: id, URL: path}); err != nil {
			t.Fatalf("Start: %v", err)
		}
		done, err := n.Done(id)
		if err != nil {
			t.Fatalf("Done: %v", err)
		}
		select {
		case <-done:
		case <-time.After(60 * time.Second):
			t.Fatalf("scan of %s did not end", path)
		}
		runtime.ReadMemStats(&m1)
		st, err := n.Status(id)
		if err != nil {
			t.Fatalf("Status: %v", err)
		}
		return m1.Mallocs - m0.Mallocs, st.Media.VideoFrames
	}
	scan("warm", short) // fills pools and caches
	ms, fs := scan("short", short)
	ml, fl := scan("long", long)
	if fl < fs+400 {
		t.Fatalf("long clip %d frames, short %d", fl, fs)
	}
	per := (float64(ml) - float64(ms)) / float64(fl-fs)
	t.Logf("%.2f allocations per video frame (%d - %d allocations over %d - %d frames)", per, ml, ms, fl, fs)
	if per > 0.5 {
		t.Errorf("%.2f allocations per video frame in steady state, want about 0", per)
	}
}
