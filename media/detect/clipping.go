package detect

import (
	"math"

	"github.com/vigil-monitor/vigil/media"
)

// ClippingConfig configures the clipping detector: samples at or near full scale, over
// a window, more often than Ratio of all samples.
type ClippingConfig struct {
	// Enabled turns the detector on (key clipping.enabled).
	Enabled bool
	// EpisodeConfig: clipping must last MinDuration (default 0.5 s) and ends after
	// EndHold (default 0.5 s) without.
	EpisodeConfig
	// Level is the absolute sample value that counts as clipped (default 0.97). Lossy
	// codecs cannot keep the flat tops of clipped audio: decoded, they ripple by several
	// per cent below and above full scale (AAC at 128 kb/s: only about 0.1% of the
	// samples of a hard-clipped tone reach 0.999, 1.7% reach 0.97), so "near full
	// scale" has to allow for that.
	Level float64
	// Ratio is the fraction of samples (all channels) at or above Level that makes a
	// window clipped (default 0.001: about 10 samples in 100 ms of stereo at 48 kHz;
	// an occasional full-scale peak is not clipping).
	Ratio float64
	// Window is the window length in seconds (default 0.1).
	Window float64
}

// DefaultClippingConfig returns the defaults documented on ClippingConfig.
func DefaultClippingConfig() ClippingConfig {
	return ClippingConfig{
		Enabled:       true,
		EpisodeConfig: EpisodeConfig{MinDuration: 0.5, EndHold: 0.5},
		Level:         0.97,
		Ratio:         0.001,
		Window:        0.1,
	}
}

// ClippingDetector reports clipped audio.
type ClippingDetector struct {
	cfg     ClippingConfig
	level   float32
	win     audioWindow
	clipped int
	ep      episode
}

var _ AudioDetector = (*ClippingDetector)(nil)

// NewClippingDetector returns a clipping detector. cfg must be valid.
func NewClippingDetector(cfg ClippingConfig) *ClippingDetector {
	return &ClippingDetector{
		cfg:   cfg,
		level: float32(cfg.Level),
		win:   audioWindow{length: cfg.Window},
		ep:    newEpisode(Clipping, Warning, cfg.EpisodeConfig, "clipped sample ratio %.4f"),
	}
}

// Type returns Clipping.
func (d *ClippingDetector) Type() Type { return Clipping }

// Audio listens to one block.
func (d *ClippingDetector) Audio(a *media.AudioFrame, emit Emit) {
	if d.win.format(a) {
		d.clipped = 0
	}
	d.win.split(a, func(s []float32, full bool) {
		d.clipped += countClipped(s, d.level)
		if !full {
			return
		}
		ratio := float64(d.clipped) / float64(d.win.size*d.win.channels)
		d.clipped = 0
		cond := ratio >= d.cfg.Ratio
		// 0.5 at the threshold, 1 at a hundred times it.
		score := 0.5 + 0.25*math.Log10(math.Max(ratio, 1e-12)/d.cfg.Ratio)
		d.ep.step(d.win.start, cond, score, ratio, emit)
	})
}

// countClipped returns how many samples of s are at or beyond ±level (level > 0).
// It compares magnitudes as bit patterns, which order like the values for
// non-negative floats, and counts without branching.
func countClipped(s []float32, level float32) int {
	lb := math.Float32bits(level)
	n := 0
	for _, v := range s {
		d := lb - 1 - math.Float32bits(v)&0x7fffffff // wraps (high bit set) when |v| >= level
		n += int(d >> 31)
	}
	return n
}

// Close ends open clipping at media time at.
func (d *ClippingDetector) Close(at float64, emit Emit) {
	d.ep.close(at, emit)
	d.win.rate, d.win.filled, d.clipped = 0, 0, 0
}
