package media

import (
	"math"
	"testing"
)

type tsIn struct {
	stream   int
	raw, dur float64
	restart  bool // call restart before this frame
}

func TestTimeline(t *testing.T) {
	v := func(raw float64) tsIn { return tsIn{stream: streamVideo, raw: raw, dur: 0.04} }
	a := func(raw float64) tsIn { return tsIn{stream: streamAudio, raw: raw, dur: 0.02} }
	restart := func(in tsIn) tsIn { in.restart = true; return in }
	cases := []struct {
		name string
		in   []tsIn
		want []float64
		disc uint64
	}{
		{"origin is the first frame of either stream",
			[]tsIn{a(1.38), v(1.40), a(1.40), v(1.44)},
			[]float64{0, 0.02, 0.02, 0.06}, 0},
		{"small gap is kept",
			[]tsIn{v(5), v(5.04), v(8.04), v(8.08)},
			[]float64{0, 0.04, 3.04, 3.08}, 0},
		{"forward jump, video first, audio follows with the same offset",
			[]tsIn{v(10), a(10.01), v(10.04), a(10.03), v(200), a(10.05), a(200.01), v(200.04)},
			[]float64{0, 0.01, 0.04, 0.03, 0.08, 0.05, 0.09, 0.12}, 1},
		{"backward jump (source restart at zero)",
			[]tsIn{v(50), a(50), v(50.04), a(0.5), v(0.5), v(0.54)},
			[]float64{0, 0, 0.04, 0.08, 0.08, 0.12}, 1},
		{"loop restart continues after the last frame, no discontinuity",
			[]tsIn{v(1.4), a(1.38), v(1.44), restart(v(1.4)), a(1.38), v(1.44)},
			[]float64{0, -0.02, 0.04, 0.08, 0.06, 0.12}, 0},
		{"two jumps in a row",
			[]tsIn{v(0), v(0.04), v(100), v(100.04), v(300), v(300.04)},
			[]float64{0, 0.04, 0.08, 0.12, 0.16, 0.20}, 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var tl timeline
			for i, in := range tc.in {
				if in.restart {
					tl.restart()
				}
				if got := tl.media(in.stream, in.raw, in.dur); math.Abs(got-tc.want[i]) > 1e-9 {
					t.Fatalf("frame %d (stream %d raw %.2f): media %.4f, want %.4f", i, in.stream, in.raw, got, tc.want[i])
				}
			}
			if tl.discontinuities != tc.disc {
				t.Fatalf("%d discontinuities, want %d", tl.discontinuities, tc.disc)
			}
		})
	}
}

func TestTimelineStartAt(t *testing.T) {
	tl := timeline{base: 100}
	got := []float64{tl.media(streamVideo, 1.4, 0.04), tl.media(streamAudio, 1.38, 0.02), tl.media(streamVideo, 500, 0.04)}
	want := []float64{100, 99.98, 100.04}
	for i := range want {
		if math.Abs(got[i]-want[i]) > 1e-9 {
			t.Fatalf("frame %d: media %.4f, want %.4f", i, got[i], want[i])
		}
	}
	if now := tl.now(); math.Abs(now-100.08) > 1e-9 {
		t.Fatalf("now %.4f, want 100.08", now)
	}
}

func TestFPSMeter(t *testing.T) {
	var m fpsMeter
	tm := 0.0
	feed := func(fps float64, seconds float64) (last float64, changes int) {
		for end := tm + seconds; tm < end-1e-9; tm += 1 / fps {
			if r, changed, ok := m.frame(tm); ok {
				last = r
				if changed {
					changes++
				}
			}
		}
		return last, changes
	}
	if r, c := feed(25, 6); math.Abs(r-25) > 0.01 || c != 0 {
		t.Fatalf("steady 25 fps: rate %.2f, %d changes", r, c)
	}
	if r, c := feed(50, 2.1); math.Abs(r-25) > 0.01 || c != 0 {
		t.Fatalf("one window at 50 fps must not count yet: rate %.2f, %d changes", r, c)
	}
	if r, c := feed(50, 4); math.Abs(r-50) > 1 || c != 1 {
		t.Fatalf("lasting 50 fps: rate %.2f, %d changes", r, c)
	}
}

func TestBitrate(t *testing.T) {
	var b bitrate
	for i := 0; i < 100; i++ { // 10 s at 10 packets/s of 1250 bytes: 100 kbit/s
		b.add(float64(i)/10, 1250)
	}
	if got := b.bps(); math.Abs(got-100000) > 1 {
		t.Fatalf("bitrate %.0f, want 100000", got)
	}
	b.add(30, 1250) // after a long gap the window holds only the gap's empty seconds
	if got := b.bps(); got != 0 {
		t.Fatalf("bitrate after a 20 s gap %.0f, want 0", got)
	}
}
