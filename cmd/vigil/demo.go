package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"

	"github.com/vigil-monitor/vigil/media/synth"
)

// demoPeriod is the length of one demo clip; channels loop it, so every defect type
// comes round once per period on every channel.
const demoPeriod = 64.0

// demoSchedule is the rolling defect schedule of demo channel ch: every impairment
// synth can make, 8 s apart, rotated by ch so that channels differ at any moment.
func demoSchedule(ch int) []synth.Impairment {
	slots := []struct {
		kind synth.Kind
		dur  float64
	}{
		{synth.Black, 4}, {synth.Freeze, 4}, {synth.Blur, 4}, {synth.Corruption, 2},
		{synth.Silence, 4}, {synth.Clipping, 3}, {synth.Loudness, 6}, {synth.AVOffset, 4},
	}
	var out []synth.Impairment
	for i, s := range slots {
		start := float64((i+ch)%len(slots))*8 + 2
		out = append(out, synth.Impairment{Kind: s.kind, Start: start, End: start + s.dur})
	}
	return out
}

// demoSpec is the synthetic clip of demo channel ch.
func demoSpec(ch int) synth.Spec {
	contents := []synth.Content{synth.Motion, synth.Scenes, synth.Static, synth.Dark}
	return synth.Spec{
		Width: 480, Height: 270, FPS: 25, Duration: demoPeriod,
		Content:     contents[ch%len(contents)],
		Seed:        int64(ch + 1),
		Impairments: demoSchedule(ch),
	}
}

// makeDemoClips writes the clips of n demo channels into dir (reusing ones already
// there from an earlier run) and returns their paths.
func makeDemoClips(ctx context.Context, dir string, n int, log *slog.Logger) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	paths := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for ch := range n {
		paths[ch] = filepath.Join(dir, fmt.Sprintf("demo-%d-v1.ts", ch))
		if _, err := os.Stat(paths[ch]); err == nil {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			log.Info("demo: encoding synthetic channel", "channel", ch, "seconds", demoPeriod)
			tmp := paths[ch] + ".tmp"
			if _, err := synth.WriteFile(ctx, tmp, demoSpec(ch)); err != nil {
				errs[ch] = fmt.Errorf("demo channel %d: %w", ch, err)
				return
			}
			errs[ch] = os.Rename(tmp, paths[ch])
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return paths, nil
}
