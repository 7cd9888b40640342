package capacity

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"runtime"

	"github.com/vigil-monitor/vigil/actors"
)

// Allocs is the Go heap allocation rate of vigil's whole hot path — decoder, frame
// fan-out to the detector actors, every detector — in steady state.
type Allocs struct {
	// PerFrame is allocations per decoded video frame (the audio that goes with it
	// included); BytesPerFrame the bytes they take.
	PerFrame, BytesPerFrame float64
	// Frames is how many video frames the difference is over.
	Frames uint64
}

// AllocsPerFrame scans a short and a long clip of the same kind through a scan-mode
// actors.Node (the path `vigil scan` and, paced, `vigil agent` use) and returns the
// allocations the extra frames of the long clip cost: start-up and shut-down cancel
// out. A throw-away scan of the short clip first warms pools and caches. C memory
// (FFmpeg's own) is not counted.
func AllocsPerFrame(ctx context.Context, short, long string) (Allocs, error) {
	cfg := actors.ScanConfig()
	cfg.Name = "allocs"
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	node, err := actors.NewNode(cfg)
	if err != nil {
		return Allocs{}, err
	}
	defer node.Close()
	scan := func(id, path string) (mallocs, bytes, frames uint64, err error) {
		var m0, m1 runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&m0)
		if err := node.Start(actors.StreamSpec{ID: id, URL: path}); err != nil {
			return 0, 0, 0, err
		}
		done, err := node.Done(id)
		if err != nil {
			return 0, 0, 0, err
		}
		select {
		case <-done:
		case <-ctx.Done():
			return 0, 0, 0, ctx.Err()
		}
		runtime.ReadMemStats(&m1)
		st, err := node.Status(id)
		if err != nil {
			return 0, 0, 0, err
		}
		if st.Media.VideoFrames == 0 {
			return 0, 0, 0, fmt.Errorf("allocs: %s: no frame decoded: %s", path, st.LastError)
		}
		return m1.Mallocs - m0.Mallocs, m1.TotalAlloc - m0.TotalAlloc, st.Media.VideoFrames, nil
	}
	if _, _, _, err := scan("warm", short); err != nil {
		return Allocs{}, err
	}
	ms, bs, fs, err := scan("short", short)
	if err != nil {
		return Allocs{}, err
	}
	ml, bl, fl, err := scan("long", long)
	if err != nil {
		return Allocs{}, err
	}
	if fl <= fs {
		return Allocs{}, fmt.Errorf("allocs: long clip has %d frames, short %d", fl, fs)
	}
	n := float64(fl - fs)
	return Allocs{
		PerFrame:      (float64(ml) - float64(ms)) / n,
		BytesPerFrame: (float64(bl) - float64(bs)) / n,
		Frames:        fl - fs,
	}, nil
}
