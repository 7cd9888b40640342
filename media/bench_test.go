package media

import (
	"context"
	"errors"
	"runtime"
	"testing"
	"time"
)

// BenchmarkDecode720p decodes a 720p30 H.264 clip (looping) as fast as possible and
// reports the time and allocations per video frame; compare with
// `ffmpeg -i 720p30.ts -an -f null -` (same decoder, threads auto).
func BenchmarkDecode720p(b *testing.B) {
	path := clip(b, "720p30.ts", "-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=30", "-t", "10",
		"-c:v", "libx264", "-preset", "veryfast", "-g", "60", "-b:v", "4M", "-an")
	cfg := ScanConfig()
	cfg.Loop = true
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	in, err := Open(ctx, path, cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer in.Close()
	const warm = 30
	target := uint64(warm + b.N)
	var m0, m1 runtime.MemStats
	var start time.Time
	sink := sinkFuncs{
		video: func(f *VideoFrame) {
			switch f.Seq {
			case warm:
				runtime.ReadMemStats(&m0)
				b.ResetTimer()
				start = time.Now()
			case target:
				b.StopTimer()
				runtime.ReadMemStats(&m1)
				cancel()
			}
			f.Release()
		},
		audio: func(a *AudioFrame) { a.Release() },
	}
	if err := in.Run(ctx, sink); !errors.Is(err, context.Canceled) {
		b.Fatalf("Run = %v", err)
	}
	elapsed := time.Since(start)
	b.ReportMetric(float64(elapsed.Nanoseconds())/float64(b.N), "ns/frame")
	b.ReportMetric(float64(m1.Mallocs-m0.Mallocs)/float64(b.N), "allocs/frame")
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "frames/s")
}
