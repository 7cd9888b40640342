package detect

import (
	"context"
	"math"
	"syscall"
	"testing"
	"time"

	"github.com/vigil-monitor/vigil/media"
)

// benchFrames decodes a short 1280x720 clip and returns copies of its luma planes
// (Go-owned, so they outlive the decoder) and its path.
func benchFrames(b testing.TB) ([]*media.VideoFrame, string) {
	b.Helper()
	path := clip{video: testsrc2, size: "1280x720", dur: 2}.render(b)
	var frames []*media.VideoFrame
	decodeClip(b, path, func(f *media.VideoFrame) {
		y := make([]byte, len(f.Y))
		copy(y, f.Y)
		c := media.NewVideoFrame(f.Width, f.Height, f.Stride, y, f.PTS)
		c.Duration, c.Key = f.Duration, f.Key
		frames = append(frames, c)
	}, nil)
	if len(frames) < 10 {
		b.Fatalf("decoded %d frames", len(frames))
	}
	return frames, path
}

// benchAudio returns 1024-sample stereo blocks of a tone.
func benchAudio() []*media.AudioFrame {
	var as []*media.AudioFrame
	for k := 0; k < 50; k++ {
		s := make([]float32, 2048)
		for i := 0; i < 1024; i++ {
			v := float32(0.1 * math.Sin(2*math.Pi*440*float64(k*1024+i)/48000))
			s[2*i], s[2*i+1] = v, v
		}
		as = append(as, media.NewAudioFrame(48000, 2, s, float64(k*1024)/48000))
	}
	return as
}

// runBench feeds ds one 720p video frame per iteration, plus the audio that goes with
// it (1920 samples at 48 kHz and 25 frame/s), with media time increasing throughout.
func runBench(b *testing.B, frames []*media.VideoFrame, ds []Detector) {
	audio := benchAudio()
	emit := func(Event) {}
	span := float64(len(frames)) * 0.04
	aspan := float64(len(audio)) * 1024 / 48000
	var loop, aloop int
	var ai int
	nextAudio := 0.0
	// Warm up: let every buffer reach its steady size.
	feed := func(i int) {
		f := frames[i%len(frames)]
		if i > 0 && i%len(frames) == 0 {
			loop++
		}
		f.PTS = float64(loop)*span + float64(i%len(frames))*0.04
		// A new picture, as far as derived data is concerned: the shared analysis
		// (analysis.go) is recomputed, as it is for every decoded frame.
		f.Init(nil)
		for _, d := range ds {
			if v, ok := d.(VideoDetector); ok {
				v.Video(f, emit)
			}
		}
		for nextAudio < f.PTS+0.04 {
			a := audio[ai]
			a.PTS = float64(aloop)*aspan + float64(ai)*1024/48000
			for _, d := range ds {
				if v, ok := d.(AudioDetector); ok {
					v.Audio(a, emit)
				}
			}
			nextAudio = a.PTS + 1024.0/48000
			if ai++; ai == len(audio) {
				ai, aloop = 0, aloop+1
			}
		}
	}
	warm := max(3*len(frames), 150) // more than any detector's history
	for i := 0; i < warm; i++ {
		feed(i)
	}
	n := warm
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime(b)
	for b.Loop() {
		feed(n)
		n++
	}
	b.StopTimer()
	// CPU time, unlike wall time, does not count the time other processes on a shared
	// machine held the CPU.
	b.ReportMetric(float64(cpuTime(b)-cpu0)/float64(n-warm), "cpu-ns/frame")
	for _, d := range ds {
		d.Close(0, emit)
	}
}

// BenchmarkDetectors measures each detector and the whole default set per 1280x720
// frame (with its audio), next to the cost of decoding that frame.
func BenchmarkDetectors(b *testing.B) {
	frames, path := benchFrames(b)
	cfg := DefaultConfig()
	all, err := New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	for _, d := range all {
		b.Run(string(d.Type()), func(b *testing.B) {
			one, _ := New(only(cfg, d.Type()))
			runBench(b, frames, one)
		})
	}
	b.Run("all", func(b *testing.B) {
		ds, _ := New(cfg)
		runBench(b, frames, ds)
	})
	// The reference: vigil's decoder on the same clip, per video frame, alone and with
	// the whole set looking at every frame as it comes out of the decoder (while its
	// planes are still in cache, as in production). The difference of the two is the
	// set's real cost per frame.
	b.Run("decode-720p-h264", func(b *testing.B) { benchDecode(b, path, nil) })
	b.Run("decode-720p-h264+all", func(b *testing.B) {
		ds, _ := New(cfg)
		benchDecode(b, path, ds)
	})
}

// benchDecode decodes path repeatedly, feeding ds, and reports ns per video frame.
func benchDecode(b *testing.B, path string, ds []Detector) {
	n := 0
	emit := func(Event) {}
	var offset float64
	cpu0 := cpuTime(b)
	for b.Loop() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		in, err := media.Open(ctx, path, media.ScanConfig())
		if err != nil {
			b.Fatal(err)
		}
		sink := &funcSink{
			video: func(f *media.VideoFrame) {
				n++
				f.PTS += offset // media time keeps increasing across passes
				for _, d := range ds {
					if v, ok := d.(VideoDetector); ok {
						v.Video(f, emit)
					}
				}
			},
			audio: func(a *media.AudioFrame) {
				a.PTS += offset
				for _, d := range ds {
					if v, ok := d.(AudioDetector); ok {
						v.Audio(a, emit)
					}
				}
			},
		}
		if err := in.Run(ctx, sink); err != nil {
			b.Fatal(err)
		}
		offset += sink.end + 1
		in.Close()
		cancel()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/frame")
	b.ReportMetric(float64(cpuTime(b)-cpu0)/float64(n), "cpu-ns/frame")
}

// cpuTime returns the CPU time the process has used (all threads, user and system).
func cpuTime(b *testing.B) int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// only returns cfg with every detector but typ disabled.
func only(cfg Config, typ Type) Config {
	for _, t := range Types {
		if t != typ && t != NoSignal {
			_ = cfg.Set(string(t)+".enabled", 0)
		}
	}
	return cfg
}
