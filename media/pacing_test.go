package media

import (
	"context"
	"errors"
	"math"
	"testing"
	"time"
)

// TestLoopPacing plays a one-second file at its native rate on a fake clock, looping:
// a frame is delivered only once the clock reached its media time, and media time keeps
// increasing across the restarts.
func TestLoopPacing(t *testing.T) {
	path := clip(t, "one-second.ts", "-f", "lavfi", "-i", "testsrc2=size=160x120:rate=25",
		"-f", "lavfi", "-i", "sine=frequency=1000:sample_rate=48000", "-t", "1",
		"-c:v", "libx264", "-g", "25", "-preset", "ultrafast", "-c:a", "aac")
	clock := newFakeClock()
	cfg := ScanConfig()
	cfg.Realtime, cfg.Loop, cfg.Clock, cfg.NoSignalTimeout = true, true, clock, 0
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	in, err := Open(ctx, path, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	rec := &recorder{}
	done := make(chan error, 1)
	go func() { done <- in.Run(ctx, rec) }()

	latest := func() float64 {
		video, audio := rec.snapshot()
		m := math.Inf(-1)
		for _, v := range video {
			m = math.Max(m, v.pts)
		}
		for _, a := range audio {
			m = math.Max(m, a.pts)
		}
		return m
	}
	const step = 100 * time.Millisecond
	for k := 0; k <= 25; k++ {
		if k > 0 {
			clock.Advance(step)
		}
		eventually(t, 10*time.Second, "Run waiting for the clock", func() bool { return clock.Armed() == 1 })
		now := float64(k) * step.Seconds()
		if got := latest(); got > now+1e-6 || got < now-0.045 {
			t.Fatalf("at %.1f s on the clock the latest frame delivered is at %.3f s", now, got)
		}
	}
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Run = %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
	video, _ := rec.snapshot()
	st := in.Stats()
	if st.Loops < 2 || len(video) < 58 {
		t.Fatalf("%d loops, %d video frames in 2.5 s", st.Loops, len(video))
	}
	for i := 1; i < len(video); i++ {
		if d := video[i].pts - video[i-1].pts; d < 0.015 || d > 0.065 || video[i].seq != uint64(i) {
			t.Fatalf("video frame %d: pts %.3f after %.3f", i, video[i].pts, video[i-1].pts)
		}
	}
	t.Logf("%d loops, %d video frames, last at %.3f s, %d discontinuities", st.Loops, len(video), video[len(video)-1].pts, st.Discontinuities)
}
