package media

import (
	"context"
	"errors"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// captureHandler is a slog.Handler that keeps the records it gets.
type captureHandler struct {
	mu      sync.Mutex
	records []slog.Record
}

func (h *captureHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *captureHandler) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	h.records = append(h.records, r.Clone())
	h.mu.Unlock()
	return nil
}
func (h *captureHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *captureHandler) WithGroup(string) slog.Handler      { return h }

func (h *captureHandler) count(level slog.Level) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, r := range h.records {
		if r.Level == level {
			n++
		}
	}
	return n
}

// TestDamagedClip: a clip whose video packets are damaged between 1.2 s and 1.5 s
// (keyframes every second) decodes with corrupt flags or decode errors there, and
// clean before the damage and after the next keyframe.
func TestDamagedClip(t *testing.T) {
	clean := clipTS(t)
	// The ffmpeg CLI shifts the input to start at 0 before the bitstream filter.
	path := clip(t, "damaged.ts", "-i", clean, "-c", "copy",
		"-bsf:v", "noise=amount='if(between(pts*tb,1.2,1.5),200,0)'")
	logs := &captureHandler{}
	cfg := ScanConfig()
	cfg.Logger = slog.New(logs)
	rec, st, _ := decodeFile(t, path, cfg)
	video, _ := rec.snapshot()

	var flaggedIn, flaggedOut int
	for _, v := range video {
		bad := v.corrupt || v.flags != 0 || v.errsBefore > 0
		switch {
		case v.pts < 1.15 || v.pts >= 2.2:
			if bad {
				flaggedOut++
				t.Errorf("frame at %.2f s outside the damage flagged: %+v", v.pts, v)
			}
		case bad:
			flaggedIn++
		}
	}
	if flaggedIn == 0 || st.DecodeErrors == 0 {
		t.Fatalf("no damage seen: %d frames flagged, %d decode errors", flaggedIn, st.DecodeErrors)
	}
	if logs.count(slog.LevelError) == 0 {
		t.Errorf("decoder errors were not logged to the input's logger")
	}
	if n := logs.count(slog.LevelError); n > logBurst {
		t.Errorf("%d error lines logged, the limit is %d per %v", n, logBurst, logWindow)
	}
	t.Logf("%d frames flagged in the damaged window, %d decode errors, %d dropped, %d lines logged",
		flaggedIn, st.DecodeErrors, st.FramesDropped, len(logs.records))
}

// TestTooLarge: pictures above the configured maximum fail Open, or Run when the size
// grows mid-stream.
func TestTooLarge(t *testing.T) {
	grow, _, _ := spliced(t, "grow.ts", "160x120", "320x240", 1)
	cases := []struct {
		name    string
		path    string
		maxW    int
		openErr bool
		runErr  bool
		frames  int
		resizes uint64
	}{
		{"above max at open", clipTS(t), 200, true, false, 0, 0},
		{"grows above max mid-stream", grow, 200, false, true, 25, 0},
		{"grows within max", grow, 0, false, false, 50, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := ScanConfig()
			cfg.MaxWidth = tc.maxW
			ctx := context.Background()
			in, err := Open(ctx, tc.path, cfg)
			if tc.openErr {
				if !errors.Is(err, ErrTooLarge) {
					t.Fatalf("Open = %v, want ErrTooLarge", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer in.Close()
			rec := &recorder{}
			err = in.Run(ctx, rec)
			if tc.runErr != errors.Is(err, ErrTooLarge) || (!tc.runErr && err != nil) {
				t.Fatalf("Run = %v, want ErrTooLarge: %t", err, tc.runErr)
			}
			st := in.Stats()
			if int(st.VideoFrames) != tc.frames || st.ResolutionChanges != tc.resizes {
				t.Fatalf("%d frames, %d resolution changes; want %d, %d", st.VideoFrames, st.ResolutionChanges, tc.frames, tc.resizes)
			}
		})
	}
}

// spliced returns two one-second TS clips of sizes a and b, with audio, concatenated
// byte for byte (and the two parts); the second one's timestamps start offset seconds
// later.
func spliced(tb testing.TB, name, a, b string, offset float64) (path, first, second string) {
	tb.Helper()
	part := func(size string, off float64) string {
		return clip(tb, "part-"+size+"-"+formatFloat(off)+".ts", "-f", "lavfi", "-i", "testsrc2=size="+size+":rate=25",
			"-f", "lavfi", "-i", "sine=frequency=1000:sample_rate=48000", "-t", "1",
			"-c:v", "libx264", "-g", "25", "-preset", "ultrafast", "-c:a", "aac",
			"-output_ts_offset", formatFloat(off))
	}
	first, second = part(a, 0), part(b, offset)
	path = filepath.Join(clipDir, name)
	var data []byte
	for _, p := range []string{first, second} {
		b, err := os.ReadFile(p)
		if err != nil {
			tb.Fatal(err)
		}
		data = append(data, b...)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		tb.Fatal(err)
	}
	return path, first, second
}

func formatFloat(f float64) string { return strconvFloat(f) }

// TestDiscontinuity: a source whose clock jumps keeps continuous media time, with one
// offset for audio and video.
func TestDiscontinuity(t *testing.T) {
	cases := []struct {
		name   string
		offset float64
		disc   uint64
	}{
		{"continuous splice", 1, 0},
		{"clock jumps forward 100 s", 100, 1},
		{"clock jumps back", -1, 1}, // second part restarts at the first one's start
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			off := tc.offset
			if off < 0 {
				off = 0
			}
			path, first, second := spliced(t, "splice-"+formatFloat(tc.offset)+".ts", "320x240", "320x240", off)
			rec, st, _ := decodeFile(t, path, ScanConfig())
			video, audio := rec.snapshot()
			if st.Discontinuities != tc.disc {
				t.Fatalf("%d discontinuities, want %d", st.Discontinuities, tc.disc)
			}
			if len(video) != 50 {
				t.Fatalf("%d video frames, want 50", len(video))
			}
			for i := 1; i < len(video); i++ {
				// The parts' own timestamps leave a 0.019-0.04 s step at the splice.
				if d := video[i].pts - video[i-1].pts; d < 0.015 || d > 0.1 {
					t.Fatalf("video frame %d: pts step %.3f s", i, d)
				}
			}
			// Audio keeps its place relative to video in the second part.
			rec1, _, _ := decodeFile(t, first, ScanConfig())
			rec2, _, _ := decodeFile(t, second, ScanConfig())
			_, audio1 := rec1.snapshot()
			video2, audio2 := rec2.snapshot()
			want := video2[0].pts - audio2[0].pts
			got := video[25].pts - audio[len(audio1)].pts
			if math.Abs(got-want) > 0.002 {
				t.Fatalf("second part: video %.3f s after audio, %.3f s in the part alone", got, want)
			}
			t.Logf("part 2 starts at %.3f s, its video %.3f s after its audio", video[25].pts, got)
		})
	}
}

var _ = time.Second
