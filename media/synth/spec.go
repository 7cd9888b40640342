package synth

import (
	"errors"
	"fmt"
	"math"
	"sort"

	"github.com/vigil-monitor/vigil/media/detect"
)

// ErrSpec marks an invalid Spec or Impairment.
var ErrSpec = errors.New("synth: invalid spec")

// Kind names an impairment. Kinds that correspond to a defect type carry its name.
type Kind string

// The impairments synth can make. See the package documentation for how each is made
// and Impairment.Param for what Param means for each.
const (
	Black      Kind = Kind(detect.Black)
	Freeze     Kind = Kind(detect.Freeze)
	Blur       Kind = Kind(detect.Blur)
	Silence    Kind = Kind(detect.Silence)
	Clipping   Kind = Kind(detect.Clipping)
	Loudness   Kind = Kind(detect.Loudness)
	Corruption Kind = "corruption"
	AVOffset   Kind = "av_offset"
)

// Kinds lists every impairment kind in a stable order.
var Kinds = []Kind{Black, Freeze, Blur, Silence, Clipping, Loudness, Corruption, AVOffset}

// ParseKind returns the Kind named s.
func ParseKind(s string) (Kind, error) {
	for _, k := range Kinds {
		if string(k) == s {
			return k, nil
		}
	}
	return "", fmt.Errorf("%w: unknown impairment %q", ErrSpec, s)
}

// video reports whether k changes the picture (as opposed to the sound).
func (k Kind) video() bool {
	switch k {
	case Black, Freeze, Blur, Corruption:
		return true
	}
	return false
}

// Impairment is one defect scheduled in a stream.
type Impairment struct {
	// Kind is what goes wrong.
	Kind Kind `json:"kind"`
	// Start and End bound the window in seconds of media time from the first frame;
	// the impairment applies to video frames and audio samples with Start <= t < End.
	Start float64 `json:"start"`
	End   float64 `json:"end"`
	// Param tunes the impairment; 0 selects the default (DefaultParam):
	//   - blur: box filter radius in pixels (applied twice; chroma gets half).
	//   - silence: level of residual noise in dBFS if < 0; otherwise digital zero.
	//   - clipping: drive in dB applied before hard clipping at full scale.
	//   - loudness: gain in dB; > 0 too loud, < 0 too quiet.
	//   - corruption: share of the window's video packets damaged, in (0, 1].
	//   - av_offset: offset in seconds, at most 5 either way; > 0 audio late.
	//   - black, freeze: unused.
	Param float64 `json:"param,omitempty"`
}

// DefaultParam returns the Param used for kind k when an Impairment leaves it 0, for a
// picture width pixels wide.
func DefaultParam(k Kind, width int) float64 {
	switch k {
	case Blur:
		return math.Max(3, float64(width)/80)
	case Clipping:
		return 24
	case Loudness:
		return 12
	case Corruption:
		return 1
	case AVOffset:
		return 0.5
	}
	return 0
}

// param returns im.Param or the default for its kind.
func (im Impairment) param(width int) float64 {
	if im.Param != 0 {
		return im.Param
	}
	return DefaultParam(im.Kind, width)
}

// active reports whether media time t lies in the window.
func (im Impairment) active(t float64) bool { return t >= im.Start && t < im.End }

// Content selects what the picture shows.
type Content string

// The picture contents.
const (
	// Motion is a panning textured scene (edges, gratings, smooth shading) with a
	// bouncing disc and temporal noise. The default.
	Motion Content = "motion"
	// Dark is the Motion scene at low light (luma mostly 20..70, a dim lit disc): dark
	// but not black. A trap for black detectors.
	Dark Content = "dark"
	// Static pans by about one pixel every six frames, with noise and a slow disc: it
	// looks still but never freezes. A trap for freeze detectors.
	Static Content = "static"
	// Scenes cuts between differently lit and coloured scenes every SceneLength
	// seconds, each moving its own way. A trap for freeze and black detectors.
	Scenes Content = "scenes"
)

// SceneLength is the length of one scene of the Scenes content, in seconds.
const SceneLength = 3.0

// Spec describes a synthetic clip. The zero value of every field selects its default.
type Spec struct {
	// Width and Height are the picture size in pixels, both even; default 640x360.
	Width, Height int
	// FPS is the frame rate; default 25. MPEG-2 needs 24, 25, 30, 50 or 60.
	FPS int
	// Duration is the clip length in seconds; default 10. Live channels ignore it.
	Duration float64
	// GOP is the distance between key frames in frames; default FPS (one second).
	// Key frames come exactly every GOP frames (no scene-cut key frames).
	GOP int
	// LowLatency encodes as a live channel does (no B-frames, no lookahead, x264/x265
	// tune zerolatency), for files that behave like a recorded live stream: its key
	// frames re-code a still picture more differently than a file encoder's do.
	// Live channels always encode so.
	LowLatency bool
	// Codec is the video codec: "h264" (default, libx264), "hevc" (libx265) or
	// "mpeg2" (mpeg2video).
	Codec string
	// AudioCodec is the audio codec: "aac" (default) or "mp2".
	AudioCodec string
	// Format is the container: "mpegts" (default), "mp4" or "matroska".
	Format string
	// Content is what the picture shows; default Motion.
	Content Content
	// SampleRate is the audio sample rate in Hz; default 48000.
	SampleRate int
	// Channels is the number of audio channels, 1 or 2; default 2. The sound is a
	// tone/noise mix at about -23 LUFS.
	Channels int
	// Seed seeds every random choice; the same Spec gives the same pictures and sound.
	Seed int64
	// Impairments are the defects to make. Windows of impairments on the same medium
	// (video: black, freeze, blur, corruption; audio: the others) must not overlap.
	Impairments []Impairment
}

// withDefaults returns s with zero fields set to their defaults.
func (s Spec) withDefaults() Spec {
	if s.Width == 0 {
		s.Width = 640
	}
	if s.Height == 0 {
		s.Height = 360
	}
	if s.FPS == 0 {
		s.FPS = 25
	}
	if s.Duration == 0 {
		s.Duration = 10
	}
	if s.GOP == 0 {
		s.GOP = s.FPS
	}
	if s.Codec == "" {
		s.Codec = "h264"
	}
	if s.AudioCodec == "" {
		s.AudioCodec = "aac"
	}
	if s.Format == "" {
		s.Format = "mpegts"
	}
	if s.Content == "" {
		s.Content = Motion
	}
	if s.SampleRate == 0 {
		s.SampleRate = 48000
	}
	if s.Channels == 0 {
		s.Channels = 2
	}
	s.Impairments = append([]Impairment(nil), s.Impairments...)
	sort.SliceStable(s.Impairments, func(i, j int) bool { return s.Impairments[i].Start < s.Impairments[j].Start })
	return s
}

// validate checks a Spec that has its defaults applied. live skips the checks that
// concern a fixed duration.
func (s Spec) validate(live bool) error {
	switch {
	case s.Width < 64 || s.Height < 64 || s.Width > 4096 || s.Height > 2304:
		return fmt.Errorf("%w: size %dx%d out of range", ErrSpec, s.Width, s.Height)
	case s.Width%2 != 0 || s.Height%2 != 0:
		return fmt.Errorf("%w: size %dx%d must be even", ErrSpec, s.Width, s.Height)
	case s.FPS < 1 || s.FPS > 120:
		return fmt.Errorf("%w: fps %d out of range", ErrSpec, s.FPS)
	case !live && (s.Duration <= 0 || math.IsNaN(s.Duration) || s.Duration > 24*3600):
		return fmt.Errorf("%w: duration %v out of range", ErrSpec, s.Duration)
	case s.GOP < 1:
		return fmt.Errorf("%w: gop %d < 1", ErrSpec, s.GOP)
	case s.SampleRate < 8000 || s.SampleRate > 96000:
		return fmt.Errorf("%w: sample rate %d out of range", ErrSpec, s.SampleRate)
	case s.Channels != 1 && s.Channels != 2:
		return fmt.Errorf("%w: %d audio channels, want 1 or 2", ErrSpec, s.Channels)
	}
	if _, ok := videoCodecs[s.Codec]; !ok {
		return fmt.Errorf("%w: unknown video codec %q", ErrSpec, s.Codec)
	}
	if _, ok := audioCodecs[s.AudioCodec]; !ok {
		return fmt.Errorf("%w: unknown audio codec %q", ErrSpec, s.AudioCodec)
	}
	if s.Codec == "mpeg2" {
		switch s.FPS {
		case 24, 25, 30, 50, 60:
		default:
			return fmt.Errorf("%w: mpeg2 cannot encode %d fps", ErrSpec, s.FPS)
		}
	}
	switch s.Format {
	case "mpegts", "mp4", "matroska":
	default:
		return fmt.Errorf("%w: unknown format %q", ErrSpec, s.Format)
	}
	if live && s.Format != "mpegts" {
		return fmt.Errorf("%w: live channels are mpegts, not %q", ErrSpec, s.Format)
	}
	switch s.Content {
	case Motion, Dark, Static, Scenes:
	default:
		return fmt.Errorf("%w: unknown content %q", ErrSpec, s.Content)
	}
	return validateImpairments(s.Impairments, s.Width, live, s.Duration)
}

// validateImpairments checks windows and parameters; ims must be sorted by Start.
func validateImpairments(ims []Impairment, width int, live bool, duration float64) error {
	lastEnd := map[bool]float64{true: math.Inf(-1), false: math.Inf(-1)}
	for _, im := range ims {
		if _, err := ParseKind(string(im.Kind)); err != nil {
			return err
		}
		if !(im.Start >= 0 && im.End > im.Start) || (!live && im.End > duration) {
			return fmt.Errorf("%w: %s window [%v, %v) outside [0, %v]", ErrSpec, im.Kind, im.Start, im.End, duration)
		}
		if im.Start < lastEnd[im.Kind.video()] {
			return fmt.Errorf("%w: %s at %v overlaps another impairment of the same medium", ErrSpec, im.Kind, im.Start)
		}
		lastEnd[im.Kind.video()] = im.End
		p := im.param(width)
		switch {
		case im.Kind == Blur && (p < 1 || p > 64):
			return fmt.Errorf("%w: blur radius %v out of [1, 64]", ErrSpec, p)
		case im.Kind == Corruption && (p <= 0 || p > 1):
			return fmt.Errorf("%w: corruption share %v out of (0, 1]", ErrSpec, p)
		case im.Kind == AVOffset && math.Abs(p) > 5:
			return fmt.Errorf("%w: av_offset %v s beyond 5 s", ErrSpec, p)
		case (im.Kind == Clipping || im.Kind == Loudness) && math.Abs(p) > 60:
			return fmt.Errorf("%w: %s gain %v dB beyond 60 dB", ErrSpec, im.Kind, p)
		}
	}
	return nil
}
