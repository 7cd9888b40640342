package detect_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/vigil-monitor/vigil/media/detect"
	"github.com/vigil-monitor/vigil/media/synth"
)

// synthSizes are the picture sizes the synthetic conformance clips are made at: from
// the smallest vigil is meant for to HD. The agent's demo channels are 480x270.
var synthSizes = [][2]int{{320, 180}, {480, 270}, {640, 360}, {1280, 720}}

// synthSize reports whether a size is tested: -short keeps the demo's.
func synthSize(size [2]int) bool {
	return !testing.Short() || size == [2]int{480, 270}
}

// writeSynth renders spec into a fresh temporary directory and returns its path and
// ground truth.
func writeSynth(tb testing.TB, spec synth.Spec) (string, []synth.Truth) {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "clip.ts")
	truth, err := synth.WriteFile(context.Background(), path, spec)
	if err != nil {
		tb.Fatalf("write synthetic clip: %v", err)
	}
	return path, truth
}

// TestSynthCleanConformance runs the whole default detector set over clean synthetic
// clips of every content at every size: each content is a trap for some detector
// (fine moving texture and grid-aligned rectangles for blockiness, scene cuts for
// freeze, black and blur, low light for black, a near-still pan for freeze), and none
// may raise anything.
func TestSynthCleanConformance(t *testing.T) {
	for _, size := range synthSizes {
		if !synthSize(size) {
			continue
		}
		for _, content := range []synth.Content{synth.Motion, synth.Scenes, synth.Static, synth.Dark} {
			if size[0] > 640 && (content == synth.Static || content == synth.Dark) {
				continue // the slowest clips to make, and no trap at HD the others miss
			}
			t.Run(fmt.Sprintf("%s %dx%d", content, size[0], size[1]), func(t *testing.T) {
				t.Parallel()
				path, _ := writeSynth(t, synth.Spec{Width: size[0], Height: size[1], Duration: 8, Content: content})
				ds, err := detect.New(detect.DefaultConfig())
				if err != nil {
					t.Fatal(err)
				}
				for _, e := range detect.RunDetectors(t, path, ds) {
					t.Errorf("clean clip: %v", e)
				}
			})
		}
	}
}

// TestSynthCorruptionConformance damages synthetic clips the way transmission errors
// do, every packet of half a second and then of a fifth of a second, at every size:
// the damage must be reported (decode_error where the decoder notices, blockiness
// where the picture shows it, here both) and nothing else.
//
// Not covered: damage to a share of the packets that the decoder conceals without a
// word and that stays small (a few macroblocks of one frame): the picture measure
// cannot tell it from clean motion.
func TestSynthCorruptionConformance(t *testing.T) {
	for _, size := range synthSizes {
		if !synthSize(size) {
			continue
		}
		t.Run(fmt.Sprintf("%dx%d", size[0], size[1]), func(t *testing.T) {
			t.Parallel()
			path, truth := writeSynth(t, synth.Spec{Width: size[0], Height: size[1], Duration: 10, Seed: 11,
				Impairments: []synth.Impairment{
					{Kind: synth.Corruption, Start: 3, End: 3.5},
					{Kind: synth.Corruption, Start: 6.3, End: 6.5},
				}})
			var damaged [][2]float64
			for _, tr := range truth {
				damaged = append(damaged, [2]float64{tr.Start, tr.End})
			}
			if len(damaged) != 2 {
				t.Fatalf("ground truth %+v, want two corruption windows", truth)
			}
			ds, err := detect.New(detect.DefaultConfig())
			if err != nil {
				t.Fatal(err)
			}
			detect.CheckDamage(t, detect.RunDetectors(t, path, ds), damaged)
		})
	}
}
