// Package corpus makes vigil's accuracy corpus: impaired clips with a ground-truth file
// each. Most clips are made independently of vigil with the ffmpeg CLI (lavfi sources,
// filters for picture and sound impairments, the noise bitstream filter for corruption);
// the rest come from vigil's own synthetic source (media/synth). Clips are cached on
// disk under a name derived from everything that shapes them, so a corpus is generated
// once and reused until its definition or the tools change.
package corpus

import (
	"errors"
	"fmt"
	"math"
)

// ErrClip marks an invalid clip definition.
var ErrClip = errors.New("corpus: invalid clip")

// Kind names an impairment the ffmpeg generator makes.
type Kind string

// The impairments of ffmpeg-made clips. Param means, per kind:
//   - black: unused (the picture is filled with black).
//   - freeze: unused (the first frame of the window is repeated to its end).
//   - blur: Gaussian sigma in pixels (gblur).
//   - corrupt: the noise bitstream filter damages on average one byte in Param of
//     every video packet whose time stamp falls in the window.
//   - drop: the noise bitstream filter drops video packets in the window, on average
//     one in Param.
//   - silence: level in dB applied to the sound (-200 or lower: digital zero; about -50
//     leaves residual noise near -73 dBFS).
//   - clipping: gain in dB before hard clipping at full scale.
//   - loudness: gain in dB (> 0 too loud, < 0 too quiet).
//   - av_offset: seconds the audio is delayed from the window's start to the end of
//     the clip (End is ignored); > 0 only. The audio time stamps jump by Param at
//     Start, leaving a gap; the defect starts when the late sound starts playing.
const (
	Black    Kind = "black"
	Freeze   Kind = "freeze"
	Blur     Kind = "blur"
	Corrupt  Kind = "corrupt"
	Drop     Kind = "drop"
	Silence  Kind = "silence"
	Clipping Kind = "clipping"
	Loudness Kind = "loudness"
	AVOffset Kind = "av_offset"
)

// video reports whether k changes the picture.
func (k Kind) video() bool {
	switch k {
	case Black, Freeze, Blur:
		return true
	}
	return false
}

// bitstream reports whether k damages the encoded video stream.
func (k Kind) bitstream() bool { return k == Corrupt || k == Drop }

// Impairment is one defect made in a clip, over [Start, End) seconds of media time.
type Impairment struct {
	Kind  Kind    `json:"kind"`
	Start float64 `json:"start"`
	End   float64 `json:"end"`
	Param float64 `json:"param,omitempty"`
}

// Content is what a picture shows: a lavfi source plus modifiers.
type Content struct {
	// Source is the lavfi video source: testsrc2, mandelbrot, life, cellauto,
	// smptehdbars or gradients.
	Source string `json:"source"`
	// Render, when set ("640x360"), renders the source at that size and scales it to
	// the clip's size (for sources too slow to render large).
	Render string `json:"render,omitempty"`
	// Noise adds temporal noise of this strength (noise filter, 0..100).
	Noise int `json:"noise,omitempty"`
	// Dark maps luma into a dim range (about 17..80 of 255): a dark scene, not black.
	Dark bool `json:"dark,omitempty"`
	// Pan scrolls the picture horizontally by this fraction of its width per frame,
	// so that still sources move (slowly for a static-looking picture).
	Pan float64 `json:"pan,omitempty"`
	// Speed sets the gradients rotation speed (default 0.01).
	Speed float64 `json:"speed,omitempty"`
	// Seed varies sources that take one.
	Seed int `json:"seed,omitempty"`
}

// Cut switches the picture to another content at a time: a scene cut.
type Cut struct {
	At      float64 `json:"at"`
	Content Content `json:"content"`
}

// Clip is one clip made with the ffmpeg CLI.
type Clip struct {
	Name    string  `json:"name"`
	Content Content `json:"content"`
	Cut     *Cut    `json:"cut,omitempty"`
	Width   int     `json:"width"`
	Height  int     `json:"height"`
	FPS     int     `json:"fps"`
	// Duration is the clip length in seconds.
	Duration float64 `json:"duration"`
	// Codec is h264, hevc or mpeg2; AudioCodec is aac or mp2.
	Codec      string `json:"codec"`
	AudioCodec string `json:"audio_codec"`
	// Format is mpegts, mp4 or matroska.
	Format string `json:"format"`
	// GOP is the key frame interval in frames (key frames come exactly every GOP).
	GOP int `json:"gop"`
	// Tone is the base frequency of the programme sound in Hz.
	Tone        float64      `json:"tone"`
	Impairments []Impairment `json:"impairments,omitempty"`
	// Note says what the clip tests.
	Note string `json:"note,omitempty"`
}

var sources = map[string]bool{"testsrc2": true, "mandelbrot": true, "life": true, "cellauto": true,
	"smptehdbars": true, "gradients": true}

// Validate checks a clip definition.
func (c Clip) Validate() error {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: %s: %s", ErrClip, c.Name, fmt.Sprintf(format, a...))
	}
	switch {
	case c.Name == "":
		return fmt.Errorf("%w: no name", ErrClip)
	case c.Width < 64 || c.Height < 64 || c.Width%2 != 0 || c.Height%2 != 0:
		return bad("size %dx%d", c.Width, c.Height)
	case c.FPS < 1 || c.FPS > 60:
		return bad("fps %d", c.FPS)
	case c.Duration <= 0 || c.Duration > 600:
		return bad("duration %v", c.Duration)
	case c.GOP < 1:
		return bad("gop %d", c.GOP)
	case c.Tone < 50 || c.Tone > 4000:
		return bad("tone %v Hz", c.Tone)
	}
	if _, ok := encoders[c.Codec]; !ok {
		return bad("codec %q", c.Codec)
	}
	if _, ok := audioEncoders[c.AudioCodec]; !ok {
		return bad("audio codec %q", c.AudioCodec)
	}
	if _, ok := extensions[c.Format]; !ok {
		return bad("format %q", c.Format)
	}
	contents := []Content{c.Content}
	if c.Cut != nil {
		if c.Cut.At <= 0 || c.Cut.At >= c.Duration {
			return bad("cut at %v", c.Cut.At)
		}
		contents = append(contents, c.Cut.Content)
	}
	for _, ct := range contents {
		if !sources[ct.Source] {
			return bad("source %q", ct.Source)
		}
	}
	last := map[bool]float64{true: math.Inf(-1), false: math.Inf(-1)}
	bitstream := 0
	for _, im := range c.Impairments {
		if im.Start < 0 || im.End <= im.Start || im.End > c.Duration {
			return bad("%s window [%v, %v)", im.Kind, im.Start, im.End)
		}
		switch im.Kind {
		case Black, Freeze, Blur, Silence, Clipping, Loudness, AVOffset:
		case Corrupt, Drop:
			if im.Param < 1 {
				return bad("%s param %v < 1", im.Kind, im.Param)
			}
			bitstream++
		default:
			return bad("unknown impairment %q", im.Kind)
		}
		if im.Kind == AVOffset && im.Param <= 0 {
			return bad("av_offset %v: only a delay (> 0) can be made", im.Param)
		}
		if im.Kind.bitstream() {
			continue
		}
		if im.Start < last[im.Kind.video()] {
			return bad("%s at %v overlaps another impairment", im.Kind, im.Start)
		}
		last[im.Kind.video()] = im.End
	}
	if bitstream > 1 {
		return bad("at most one corrupt or drop window")
	}
	return nil
}

// frame returns the index of the first frame at or after t.
func (c Clip) frame(t float64) int { return int(math.Ceil(t*float64(c.FPS) - 1e-9)) }

// frames returns the first and last frame index of the window [start, end).
func (c Clip) frames(start, end float64) (first, last int) {
	return c.frame(start), c.frame(end) - 1
}

// at returns the media time of frame n.
func (c Clip) at(n int) float64 { return float64(n) / float64(c.FPS) }

// nextKey returns the time of the first key frame at or after t.
func (c Clip) nextKey(t float64) float64 {
	n := c.frame(t)
	k := (n + c.GOP - 1) / c.GOP * c.GOP
	return math.Min(c.at(k), c.Duration)
}
