package detect

import (
	"math"

	"github.com/vigil-monitor/vigil/media"
)

// BlackConfig configures the black-picture detector.
type BlackConfig struct {
	// Enabled turns the detector on (key black.enabled).
	Enabled bool
	// EpisodeConfig: a black picture must last MinDuration (default 2 s, as FFmpeg's
	// blackdetect) and ends after EndHold (default 0.1 s) of non-black pictures.
	EpisodeConfig
	// Pixel is the luma threshold of a dark pixel, as a fraction of the 16..235 video
	// range above video black: 0.10 (the default, as blackdetect's pixel_black_th)
	// counts luma <= 37 as dark.
	Pixel float64
	// Picture is the fraction of dark pixels that makes a picture black (default
	// 0.98, as blackdetect's picture_black_ratio_th).
	Picture float64
	// MaxSpread is the largest standard deviation, in 8-bit luma levels, of the dark
	// pixels of a black picture (default 4). Real black is flat; a dark scene whose
	// pixels all sit below the threshold still has texture and is not black.
	MaxSpread float64
}

// DefaultBlackConfig returns the defaults documented on BlackConfig.
func DefaultBlackConfig() BlackConfig {
	return BlackConfig{
		Enabled:       true,
		EpisodeConfig: EpisodeConfig{MinDuration: 2, EndHold: 0.1},
		Pixel:         0.10,
		Picture:       0.98,
		MaxSpread:     4,
	}
}

// blackMaxWidth bounds the sampling grid: the statistics of some ten thousand pixels
// (160x90 for 16:9) are as good as those of a million.
const blackMaxWidth = 160

// blackStats measures how black a picture is.
type blackStats struct {
	ratio  float64 // fraction of sampled pixels at or below the dark level
	mean   float64 // mean luma of the dark pixels
	spread float64 // standard deviation of the dark pixels' luma
}

// isBlack reports whether s describes a black picture under c.
func (c *BlackConfig) isBlack(s blackStats) bool {
	return s.ratio >= c.Picture && s.spread <= c.MaxSpread
}

// measureBlack samples f's luma on a grid at most blackMaxWidth wide and counts the
// pixels at or below level.
func measureBlack(f *media.VideoFrame, level int) blackStats {
	step := stepFor(f.Width, blackMaxWidth)
	var n, dark, sum, sumSq int
	for y := 0; y < f.Height; y += step {
		row := f.Row(y)
		for x := 0; x < len(row); x += step {
			v := int(row[x])
			if v <= level {
				dark++
				sum += v
				sumSq += v * v
			}
		}
		n += (len(row) + step - 1) / step
	}
	return newBlackStats(n, dark, sum, sumSq)
}

// blackStats measures p like measureBlack measures a frame.
func (p *plane) blackStats(level int) blackStats {
	var dark, sum, sumSq int
	for _, v := range p.pix {
		if int(v) <= level {
			dark++
			sum += int(v)
			sumSq += int(v) * int(v)
		}
	}
	return newBlackStats(len(p.pix), dark, sum, sumSq)
}

func newBlackStats(n, dark, sum, sumSq int) blackStats {
	if n == 0 {
		return blackStats{}
	}
	s := blackStats{ratio: float64(dark) / float64(n)}
	if dark > 0 {
		s.mean = float64(sum) / float64(dark)
		s.spread = math.Sqrt(math.Max(0, float64(sumSq)/float64(dark)-s.mean*s.mean))
	}
	return s
}

// BlackDetector reports black pictures: nearly all luma below a dark level, with
// little spread, for at least MinDuration.
type BlackDetector struct {
	cfg   BlackConfig
	level int
	ep    episode
}

var _ VideoDetector = (*BlackDetector)(nil)

// NewBlackDetector returns a black detector. cfg must be valid (see Config.Validate).
func NewBlackDetector(cfg BlackConfig) *BlackDetector {
	return &BlackDetector{
		cfg:   cfg,
		level: int(videoLevel(cfg.Pixel)),
		ep:    newEpisode(Black, Error, cfg.EpisodeConfig, "dark pixel ratio %.3f"),
	}
}

// Type returns Black.
func (d *BlackDetector) Type() Type { return Black }

// Video looks at one picture.
func (d *BlackDetector) Video(f *media.VideoFrame, emit Emit) {
	s := measureBlack(f, d.level)
	d.ep.step(f.PTS, d.cfg.isBlack(s), s.ratio, s.ratio, emit)
}

// Close ends an open black defect at media time at.
func (d *BlackDetector) Close(at float64, emit Emit) { d.ep.close(at, emit) }
