package synth

import (
	"math"
	"sort"

	"github.com/vigil-monitor/vigil/media/detect"
)

// Truth is one defect a correct detector should report for a synthetic stream.
//
// Start and End are seconds of media time from the first frame. Video windows are
// snapped to the frame grid (the first and one past the last impaired frame). A
// detector needs time to be sure, but the Start it reports should still be near the
// defect's start: compare with a tolerance of about a second (after a freeze the
// encoder keeps refining the still picture for up to a second).
type Truth struct {
	// Type is the defect type a detector should report.
	Type detect.Type `json:"type"`
	// Alternatives are other types that count as reporting this defect: reporting
	// Type or any one of them, overlapping the window, is correct, and so is reporting
	// several. Corruption, for example, shows as decode errors where the decoder
	// notices the damage and as blockiness where it conceals without a word.
	Alternatives []detect.Type `json:"alternatives,omitempty"`
	// Start and End bound the defect in seconds of media time.
	Start float64 `json:"start"`
	End   float64 `json:"end"`
	// Kind is the impairment that caused the defect.
	Kind Kind `json:"kind"`
}

// Thresholds below which an impairment is a trap: synth makes it, and a correct
// detector must not report it (no Truth is returned). They match the defaults of
// vigil's detectors (detect.DefaultConfig); impairments close to a threshold are
// ambiguous, so the default parameters stay well clear of them.
const (
	// MinPictureDefect is the shortest black, freeze or blur window, in seconds, that
	// counts as a defect.
	MinPictureDefect = 2.0
	// MinSilence is the shortest silence, in seconds, that counts as a defect.
	MinSilence = 2.0
	// MinClipping is the shortest clipping window, in seconds, that counts.
	MinClipping = 0.5
	// MinLoudness is the shortest gain (or clipping) window, in seconds, whose
	// loudness counts. It matches the loudness detector's default minimum duration:
	// short-term loudness (a 3 s window) rises out of range within about a second of
	// the change and falls back a few seconds after it ends, so a 3 s window keeps it
	// out of range for longer than 3 s.
	MinLoudness = 3.0
	// MinLoudnessGain is the smallest gain, in dB either way, that takes the sound
	// out of range (programme loudness legitimately swings several LU).
	MinLoudnessGain = 8.0
	// MinAVSync is the shortest time, in seconds, audio and video must stay apart.
	MinAVSync = 1.0
	// MinAVOffset is the smallest A/V offset, in seconds either way, that counts.
	MinAVOffset = 0.15
	// MinBlurRadius is the smallest blur radius, in pixels, that counts.
	MinBlurRadius = 2.0
)

// Truths returns the defects a correct detector should report for spec, sorted by
// Start. It is a pure function of spec: Write returns the same list.
//
// Times are media time as a decoder sees it: every av_offset window moves the time
// stamps of everything after it |offset| seconds later (see shiftOf), and Truths
// moves later windows alike. The rules, impairment by impairment:
//   - black, freeze, blur (radius >= MinBlurRadius): the same type, if the window
//     lasts at least MinPictureDefect. A black window is not also a freeze.
//   - silence: silence if it lasts at least MinSilence.
//   - clipping: clipping if it lasts at least MinClipping, and loudness as well if it
//     lasts at least MinLoudness (driven sound is loud).
//   - loudness: loudness if |gain| >= MinLoudnessGain and it lasts at least
//     MinLoudness.
//   - corruption: decode_error, with blockiness as an alternative, from the window's
//     start to the first key frame at or after its end (damage propagates through
//     predicted frames until then). FFmpeg's H.264 and MPEG-2 decoders report most
//     damaged slices; its HEVC decoder mostly decodes garbage silently.
//   - av_offset: av_sync if |offset| >= MinAVOffset and audio and video stay apart
//     for at least MinAVSync: from Start to the first key frame at or after End for
//     an offset > 0, from the first key frame at or after Start to End for one < 0.
//   - content Dark, Static and Scenes are traps: they add no Truth.
func Truths(spec Spec) []Truth {
	s := spec.withDefaults()
	l := newList(s)
	return truths(s, s.Impairments, l.shift)
}

// truths applies the rules of Truths to ims (sorted by Start), with shift giving the
// cumulative time stamp shift of a stream at a generator time.
func truths(s Spec, ims []Impairment, shift func(video bool, t float64) float64) []Truth {
	fps := float64(s.FPS)
	keyEvery := float64(s.GOP) / fps
	snap := func(t float64) float64 { return math.Ceil(t*fps-1e-9) / fps }
	// media maps a generator time to media time; an end is mapped as the instant
	// just before it, so that a jump at the end itself is not counted.
	media := func(video bool, t float64, end bool) float64 {
		if end {
			return t + shift(video, t-1e-6)
		}
		return t + shift(video, t)
	}
	var out []Truth
	add := func(typ detect.Type, video bool, start, end float64, k Kind) {
		out = append(out, Truth{Type: typ, Start: media(video, start, false), End: media(video, end, true), Kind: k})
	}
	for _, im := range ims {
		d := im.End - im.Start
		p := im.param(s.Width)
		switch im.Kind {
		case Black, Freeze:
			if d >= MinPictureDefect {
				add(detect.Type(im.Kind), true, snap(im.Start), snap(im.End), im.Kind)
			}
		case Blur:
			if d >= MinPictureDefect && p >= MinBlurRadius {
				add(detect.Blur, true, snap(im.Start), snap(im.End), im.Kind)
			}
		case Silence:
			if d >= MinSilence {
				add(detect.Silence, false, im.Start, im.End, im.Kind)
			}
		case Clipping:
			if d >= MinClipping {
				add(detect.Clipping, false, im.Start, im.End, im.Kind)
			}
			if d >= MinLoudness {
				add(detect.Loudness, false, im.Start, im.End, im.Kind)
			}
		case Loudness:
			if d >= MinLoudness && math.Abs(p) >= MinLoudnessGain {
				add(detect.Loudness, false, im.Start, im.End, im.Kind)
			}
		case Corruption:
			add(detect.DecodeError, true, snap(im.Start), nextKey(snap(im.End), keyEvery), im.Kind)
			out[len(out)-1].Alternatives = []detect.Type{detect.Blockiness}
		case AVOffset:
			from, to := offWindow(im, keyEvery, s.Width)
			if to-from >= MinAVSync && math.Abs(p) >= MinAVOffset {
				// Both ends in video media time just before that instant's jump.
				out = append(out, Truth{Type: detect.AVSync, Start: media(true, from, true), End: media(true, to, true), Kind: im.Kind})
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Start < out[j].Start })
	return out
}
