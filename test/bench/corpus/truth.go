package corpus

import (
	"math"
	"sort"
)

// Truth is one defect a correct detector reports for a clip.
type Truth struct {
	// Type is the defect type (vigil's names: black, freeze, blockiness, blur,
	// silence, clipping, loudness, av_sync, decode_error).
	Type string `json:"type"`
	// Alternatives are other types that count as reporting the same defect.
	Alternatives []string `json:"alternatives,omitempty"`
	// Start and End bound the defect in seconds of media time from the first frame.
	Start float64 `json:"start"`
	End   float64 `json:"end"`
	// Optional marks a window where reporting Type is neither required nor wrong:
	// a detection there is ignored, and missing it is no miss (loudness during a
	// silence or a short burst of clipping, for example).
	Optional bool `json:"optional,omitempty"`
	// Cause is the impairment that made the defect.
	Cause string `json:"cause"`
}

// Accepts reports whether a detection of type typ reports t.
func (t Truth) Accepts(typ string) bool {
	if typ == t.Type {
		return true
	}
	for _, a := range t.Alternatives {
		if a == typ {
			return true
		}
	}
	return false
}

// Trap is a window (or a whole clip) that looks like a defect to a naive detector but
// is not one: a correct detector reports nothing there.
type Trap struct {
	What  string  `json:"what"`
	Start float64 `json:"start"`
	End   float64 `json:"end"`
}

// Thresholds of the ground truth, the same as media/synth's (and so vigil's detector
// defaults): shorter or weaker impairments are traps.
const (
	minPicture      = 2.0  // black, freeze, blur
	minSilence      = 2.0  // silence
	minClipping     = 0.5  // clipping
	minLoudness     = 5.0  // loudness window
	minLoudnessGain = 8.0  // dB either way
	minAVOffset     = 0.15 // seconds
	minAVSync       = 1.0  // seconds apart
	minBlurSigma    = 2.0  // gblur sigma that counts as loss of detail
)

// truths returns the ground truth and the traps of an ffmpeg-made clip.
func (c Clip) truths() ([]Truth, []Trap) {
	var ts []Truth
	var traps []Trap
	add := func(typ string, start, end float64, im Impairment) {
		ts = append(ts, Truth{Type: typ, Start: start, End: end, Cause: string(im.Kind)})
	}
	trap := func(what string, im Impairment) {
		traps = append(traps, Trap{What: what, Start: im.Start, End: im.End})
	}
	if c.Content.Dark {
		traps = append(traps, Trap{What: "dark scene", End: c.Duration})
	}
	if p := c.Content.Pan * float64(c.Width); p > 0 && p < 1 {
		traps = append(traps, Trap{What: "static-looking but moving picture", End: c.Duration})
	}
	if c.Cut != nil {
		traps = append(traps, Trap{What: "scene cut", Start: c.Cut.At, End: c.Cut.At})
	}
	for _, im := range c.Impairments {
		d := im.End - im.Start
		first, last := c.frames(im.Start, im.End)
		vs, ve := c.at(first), c.at(last+1)
		switch im.Kind {
		case Black:
			if d >= minPicture {
				add("black", vs, ve, im)
			} else {
				trap("short black flash", im)
			}
		case Freeze:
			if d >= minPicture {
				add("freeze", vs, ve, im)
			} else {
				trap("short freeze", im)
			}
		case Blur:
			if d >= minPicture && im.Param >= minBlurSigma {
				add("blur", vs, ve, im)
			} else {
				trap("mild or short blur", im)
			}
		case Corrupt, Drop:
			// Damage propagates through predicted frames to the next key frame.
			add("decode_error", vs, c.nextKey(im.End), im)
			ts[len(ts)-1].Alternatives = []string{"blockiness"}
		case Silence:
			if d >= minSilence {
				add("silence", im.Start, im.End, im)
			} else {
				trap("short silence", im)
			}
		case Clipping:
			if d >= minClipping {
				add("clipping", im.Start, im.End, im)
			}
			if d >= minLoudness {
				add("loudness", im.Start, im.End, im)
			}
		case Loudness:
			if d >= minLoudness && math.Abs(im.Param) >= minLoudnessGain {
				add("loudness", im.Start, im.End, im)
			} else {
				trap("loudness change within range", im)
			}
		case AVOffset:
			// The delayed sound starts playing at Start+Param (before that there is a
			// gap): that is when sound and picture are first seen apart.
			if late := im.Start + im.Param; im.Param >= minAVOffset && c.Duration-late >= minAVSync {
				add("av_sync", late, c.Duration, im)
			} else {
				trap("small A/V offset", im)
			}
		}
	}
	return withOptional(ts), traps
}

// withOptional adds the windows where a second type is neither required nor wrong,
// sorted by start: loudness during a silence (the sound is out of range because it is
// silent) and during clipping too short to be a loudness defect of its own.
func withOptional(ts []Truth) []Truth {
	loud := func(t Truth) bool {
		for _, o := range ts {
			if o.Type == "loudness" && o.Start < t.End && t.Start < o.End {
				return true
			}
		}
		return false
	}
	out := append([]Truth(nil), ts...)
	for _, t := range ts {
		if (t.Type == "silence" || t.Type == "clipping") && !loud(t) {
			out = append(out, Truth{Type: "loudness", Start: t.Start, End: t.End, Optional: true, Cause: t.Cause})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Start < out[j].Start })
	return out
}
