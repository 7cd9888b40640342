package detect

import (
	"encoding/binary"
	"math"
	"math/bits"

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

// judge measures p against c (dark pixels at or below level) and reports whether it
// is black. A picture with more bright pixels than a black one may have is given up on
// early, without its statistics: ok is then false and s is zero.
func (c *BlackConfig) judge(p *plane, level int) (s blackStats, black, ok bool) {
	maxBright := int(float64(len(p.pix))*(1-c.Picture)) + 1
	s, ok = p.blackStats(level, maxBright)
	return s, ok && c.isBlack(s), ok
}

// blackStats measures p's dark pixels (at or below level). It gives up, returning ok
// false, once more than maxBright pixels are brighter.
func (p *plane) blackStats(level, maxBright int) (s blackStats, ok bool) {
	bright := 0
	for y := 0; y < p.h; y++ {
		bright += countAbove(p.pix[y*p.w:(y+1)*p.w], level)
		if bright > maxBright {
			return blackStats{}, false
		}
	}
	var dark, sum, sumSq int
	for _, v := range p.pix {
		if int(v) <= level {
			dark++
			sum += int(v)
			sumSq += int(v) * int(v)
		}
	}
	return newBlackStats(len(p.pix), dark, sum, sumSq), true
}

// countAbove returns how many bytes of b are greater than level, eight at a time
// while level < 128.
func countAbove(b []byte, level int) int {
	n, i := 0, 0
	if level >= 0 && level < 128 {
		// For a byte x with its high bit clear, x + (127-level) carries into the high
		// bit exactly when x > level; bytes with the high bit set are above anyway.
		const lo, hi = 0x0101010101010101, 0x8080808080808080
		add := uint64(127-level) * lo
		for ; i+8 <= len(b); i += 8 {
			x := binary.LittleEndian.Uint64(b[i:])
			n += bits.OnesCount64(((x &^ hi) + add | x) & hi)
		}
	}
	for _, v := range b[i:] {
		if int(v) > level {
			n++
		}
	}
	return n
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

// Video looks at one picture (the shared working picture, see analysis.go).
func (d *BlackDetector) Video(f *media.VideoFrame, emit Emit) {
	s, black, _ := d.cfg.judge(&analyze(f).pic, d.level)
	d.ep.step(f.PTS, black, s.ratio, s.ratio, emit)
}

// Close ends an open black defect at media time at.
func (d *BlackDetector) Close(at float64, emit Emit) { d.ep.close(at, emit) }
