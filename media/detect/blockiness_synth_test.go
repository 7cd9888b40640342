package detect_test

import (
	"testing"

	"github.com/vigil-monitor/vigil/media/detect"
	"github.com/vigil-monitor/vigil/media/synth"
)

// TestSynthDarkHEVCConcealment damages dark HEVC clips within the blockiness
// detector's first seconds, while it still learns the stream's usual steps. The
// damage must be reported for most of the damaged window (it shows until the next key
// frame, 7 s) and nothing may be reported outside it.
//
//   - silent: the clip of the accuracy corpus (synth-dark-hevc-mkv): the decoder
//     conceals the damage without a word, so only the picture tells, and the damaged
//     frames must not teach the detector that their steps are usual.
//   - reported late: the decoder reports the error while decoding the damaged key
//     frame's packet, a few frames before it delivers that frame; the damaged key
//     frame must not end the window in which the decoder's word lowers the threshold.
func TestSynthDarkHEVCConcealment(t *testing.T) {
	im := func(k synth.Kind, start, end, p float64) synth.Impairment {
		return synth.Impairment{Kind: k, Start: start, End: end, Param: p}
	}
	cases := []struct {
		name string
		spec synth.Spec
	}{
		{"silent", synth.Spec{Width: 854, Height: 480, Duration: 20, Seed: 19, Impairments: []synth.Impairment{
			im(synth.Silence, 2, 5, -70), im(synth.Corruption, 6, 6.5, 0), im(synth.Loudness, 9, 16, -14)}}},
		{"reported late", synth.Spec{Width: 640, Height: 360, Duration: 9, Seed: 19, Impairments: []synth.Impairment{
			im(synth.Corruption, 6, 6.5, 0)}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			c.spec.Content, c.spec.Codec, c.spec.Format = synth.Dark, "hevc", "matroska"
			path, truth := writeSynth(t, c.spec)
			var w *synth.Truth
			for i := range truth {
				if truth[i].Kind == synth.Corruption {
					w = &truth[i]
				}
			}
			if w == nil {
				t.Fatalf("ground truth %+v has no corruption", truth)
			}
			ds, err := detect.New(detect.DefaultConfig())
			if err != nil {
				t.Fatal(err)
			}
			var evs []detect.Event
			var covered float64
			for _, e := range detect.RunDetectors(t, path, ds) {
				if e.Type != detect.Blockiness && e.Type != detect.DecodeError {
					continue // the audio impairments are other detectors' business
				}
				evs = append(evs, e)
				if e.Type == detect.Blockiness && e.Ended {
					covered += max(0, min(e.End, w.End)-max(e.Start, w.Start))
				}
			}
			detect.CheckDamage(t, evs, [][2]float64{{w.Start, w.End}})
			if minCover := 0.4 * (w.End - w.Start); covered < minCover {
				t.Errorf("blockiness covers %.2f s of the damaged %.2f..%.2f, want at least %.2f s", covered, w.Start, w.End, minCover)
				for _, e := range evs {
					t.Logf("  %v", e)
				}
			}
		})
	}
}
