package detect

import (
	"math"

	"github.com/vigil-monitor/vigil/media"
)

// SilenceConfig configures the silence detector: every channel quieter than
// ThresholdDB, measured as RMS over 50 ms windows.
type SilenceConfig struct {
	// Enabled turns the detector on (key silence.enabled).
	Enabled bool
	// EpisodeConfig: silence must last MinDuration (default 2 s) and ends after
	// EndHold (default 0.1 s) of sound.
	EpisodeConfig
	// ThresholdDB is the level in dBFS (RMS, full-scale sine at -3 dBFS) below which a
	// channel is silent (default -60).
	ThresholdDB float64
}

// DefaultSilenceConfig returns the defaults documented on SilenceConfig.
func DefaultSilenceConfig() SilenceConfig {
	return SilenceConfig{
		Enabled:       true,
		EpisodeConfig: EpisodeConfig{MinDuration: 2, EndHold: 0.1},
		ThresholdDB:   -60,
	}
}

const (
	silenceWindow = 0.05 // seconds per measurement
	minDB         = -150 // level reported for digital silence
)

// SilenceDetector reports silence on all channels.
type SilenceDetector struct {
	cfg   SilenceConfig
	win   audioWindow
	sumSq []float64 // per channel, current window
	ep    episode
}

var _ AudioDetector = (*SilenceDetector)(nil)

// NewSilenceDetector returns a silence detector. cfg must be valid.
func NewSilenceDetector(cfg SilenceConfig) *SilenceDetector {
	return &SilenceDetector{
		cfg: cfg,
		win: audioWindow{length: silenceWindow},
		ep:  newEpisode(Silence, Error, cfg.EpisodeConfig, "loudest channel %.1f dBFS"),
	}
}

// Type returns Silence.
func (d *SilenceDetector) Type() Type { return Silence }

// Audio listens to one block.
func (d *SilenceDetector) Audio(a *media.AudioFrame, emit Emit) {
	if d.win.format(a) {
		d.sumSq = make([]float64, a.Channels)
	}
	ch := a.Channels
	d.win.split(a, func(s []float32, full bool) {
		for c := range d.sumSq {
			d.sumSq[c] += sumSquares(s, c, ch)
		}
		if !full {
			return
		}
		var loudest float64
		for c, sum := range d.sumSq {
			loudest = math.Max(loudest, sum)
			d.sumSq[c] = 0
		}
		level := dbfs(math.Sqrt(loudest / float64(d.win.size)))
		cond := level < d.cfg.ThresholdDB
		d.ep.step(d.win.start, cond, 0.5+(d.cfg.ThresholdDB-level)/20, level, emit)
	})
}

// Close ends an open silence at media time at.
func (d *SilenceDetector) Close(at float64, emit Emit) {
	d.ep.close(at, emit)
	d.win.rate, d.win.filled = 0, 0
}

// sumSquares returns the sum of the squares of channel c of the interleaved samples s
// (ch channels), in four independent sums so that the additions overlap.
func sumSquares(s []float32, c, ch int) float64 {
	var s0, s1, s2, s3 float64
	i := c
	for ; i+3*ch < len(s); i += 4 * ch {
		a, b, x, y := float64(s[i]), float64(s[i+ch]), float64(s[i+2*ch]), float64(s[i+3*ch])
		s0, s1, s2, s3 = s0+a*a, s1+b*b, s2+x*x, s3+y*y
	}
	for ; i < len(s); i += ch {
		s0 += float64(s[i]) * float64(s[i])
	}
	return s0 + s1 + s2 + s3
}

// dbfs converts an amplitude to dBFS, floored at minDB.
func dbfs(amp float64) float64 {
	if amp <= 0 {
		return minDB
	}
	return math.Max(minDB, 20*math.Log10(amp))
}
