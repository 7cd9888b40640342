package detect_test

import (
	"testing"

	"github.com/vigil-monitor/vigil/media/detect"
	"github.com/vigil-monitor/vigil/media/synth"
)

// TestSynthBlurredPanIsNotFrozen blurs the near-still pan of synthetic Static content
// (about a pixel every six frames): blurred, each step changes the picture by less
// than an encoder's drift on a frozen one, and the blur's onset is a large change
// just before it, where a freeze's start would be backdated to. It is motion, so only
// the blur may be reported, never a freeze. MPEG-2 (as in the accuracy corpus) and
// H.264.
func TestSynthBlurredPanIsNotFrozen(t *testing.T) {
	for _, codec := range []string{"mpeg2", "h264"} {
		t.Run(codec, func(t *testing.T) {
			t.Parallel()
			spec := synth.Spec{Width: 640, Height: 360, Duration: 10, Seed: 7, Content: synth.Static, Codec: codec,
				Impairments: []synth.Impairment{{Kind: synth.Blur, Start: 3, End: 7.5}}}
			if codec == "mpeg2" {
				spec.AudioCodec = "mp2"
			}
			path, _ := writeSynth(t, spec)
			ds, err := detect.New(detect.DefaultConfig())
			if err != nil {
				t.Fatal(err)
			}
			blur := false
			for _, e := range detect.RunDetectors(t, path, ds) {
				switch {
				case e.Type == detect.Blur && !e.Ended:
				case e.Type == detect.Blur && e.Start < 7.5 && e.End > 3:
					blur = true
				default:
					t.Errorf("blurred pan: %v", e)
				}
			}
			if !blur {
				t.Error("blur 3..7.5 not reported")
			}
		})
	}
}
