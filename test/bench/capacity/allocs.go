package capacity

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"sort"
	"strings"

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
	// Sites are where the per-frame allocations happen, most first: the
	// allocating function (outside the runtime) with its allocations per frame.
	Sites []Site
}

// Site is one place that allocates in steady state.
type Site struct {
	// Func is the function that allocates, and Caller the function that called it.
	Func, Caller string
	// PerFrame is its allocations per video frame.
	PerFrame float64
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
	// Sample every allocation, to say where the per-frame ones come from.
	defer func(rate int) { runtime.MemProfileRate = rate }(runtime.MemProfileRate)
	runtime.MemProfileRate = 1
	var sites map[string]int64 // allocations per site during the last scan
	scan := func(id, path string) (mallocs, bytes, frames uint64, err error) {
		var m0, m1 runtime.MemStats
		p0 := memProfile()
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
		sites = diffProfiles(memProfile(), p0)
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
	shortSites := sites
	ml, bl, fl, err := scan("long", long)
	if err != nil {
		return Allocs{}, err
	}
	longSites := sites
	if fl <= fs {
		return Allocs{}, fmt.Errorf("allocs: long clip has %d frames, short %d", fl, fs)
	}
	n := float64(fl - fs)
	a := Allocs{
		PerFrame:      (float64(ml) - float64(ms)) / n,
		BytesPerFrame: (float64(bl) - float64(bs)) / n,
		Frames:        fl - fs,
	}
	for k, v := range longSites {
		if d := float64(v-shortSites[k]) / n; d >= 0.05 {
			fn, caller, _ := strings.Cut(k, "\x00")
			if strings.HasSuffix(fn, "capacity.memProfile") || strings.HasSuffix(fn, "capacity.diffProfiles") {
				continue // the measurement's own snapshots, larger for the long scan
			}
			a.Sites = append(a.Sites, Site{Func: fn, Caller: caller, PerFrame: d})
		}
	}
	sort.Slice(a.Sites, func(i, j int) bool { return a.Sites[i].PerFrame > a.Sites[j].PerFrame })
	return a, nil
}

// memProfile returns the allocations counted so far per site: the first function
// outside the runtime on the allocation's stack, and its caller. A cycle's
// allocations are published by a later collection, and runtime.GC skips publishing
// when another cycle started meanwhile: collect a few times first.
func memProfile() map[string]int64 {
	for range 4 {
		runtime.GC()
	}
	var recs []runtime.MemProfileRecord
	n, _ := runtime.MemProfile(nil, true)
	for {
		recs = make([]runtime.MemProfileRecord, n+50)
		var ok bool
		if n, ok = runtime.MemProfile(recs, true); ok {
			recs = recs[:n]
			break
		}
	}
	out := map[string]int64{}
	for _, r := range recs {
		frames := runtime.CallersFrames(r.Stack())
		var fn, caller, inner string
		for {
			f, more := frames.Next()
			if inner == "" {
				inner = f.Function
			}
			switch {
			case fn == "" && !strings.HasPrefix(f.Function, "runtime.") && !strings.HasPrefix(f.Function, "internal/"):
				fn = f.Function
			case fn != "" && caller == "":
				caller = f.Function
			}
			if !more || caller != "" {
				break
			}
		}
		if fn == "" { // the runtime's own, e.g. a new goroutine
			fn = inner
		}
		out[fn+"\x00"+caller] += r.AllocObjects
	}
	return out
}

// diffProfiles returns b − a per site.
func diffProfiles(b, a map[string]int64) map[string]int64 {
	out := make(map[string]int64, len(b))
	for k, v := range b {
		if d := v - a[k]; d != 0 {
			out[k] = d
		}
	}
	return out
}
