package detect

import "github.com/vigil-monitor/vigil/media"

// BlockinessConfig configures the block-corruption detector: damaged macroblocks as a
// viewer sees them after packet loss or bit errors (see the block-grid measure in
// blockmeasure.go).
type BlockinessConfig struct {
	// Enabled turns the detector on (key blockiness.enabled).
	Enabled bool
	// EpisodeConfig: blockiness must last MinDuration (default 0.2 s) and ends after
	// EndHold (default 0.4 s) of clean pictures.
	EpisodeConfig
	// Threshold is the fraction of 64x64 tiles whose change since the previous frame is
	// blocky, averaged over the last five frames, that makes a picture blocky (default
	// 0.10; clean content measures 0 to 0.08). The score must also be at least twice
	// the stream's own slowly adapting level, so content that always measures high does
	// not alarm.
	Threshold float64
	// ErrorWindow is how long, in seconds, after the decoder flagged a frame as corrupt
	// or reported a decode error, the threshold is halved (default 2): the decoder's
	// word and a weaker picture measure together are enough.
	ErrorWindow float64
}

// DefaultBlockinessConfig returns the defaults documented on BlockinessConfig.
func DefaultBlockinessConfig() BlockinessConfig {
	return BlockinessConfig{
		Enabled:       true,
		EpisodeConfig: EpisodeConfig{MinDuration: 0.2, EndHold: 0.4},
		Threshold:     0.10,
		ErrorWindow:   2,
	}
}

const (
	blockSmooth      = 5    // frames averaged
	blockBaseFactor  = 2    // score must exceed this multiple of the stream's level
	blockBaseUpTau   = 20.0 // seconds for the level to follow the score up
	blockWarmTau     = 2.0  // the same during the first blockWarmup seconds
	blockWarmup      = 10.0 // seconds
	blockBaseDownTau = 2.0  // and down
)

// BlockinessDetector reports block corruption.
type BlockinessDetector struct {
	cfg    BlockinessConfig
	grid   blockGrid
	recent [blockSmooth]float64
	n      int
	base   float64 // the stream's own slowly adapting score level
	seen   float64 // seconds of pictures measured
	last   float64 // PTS of the previous frame
	errAt  float64 // PTS of the last frame the decoder flagged
	errSet bool
	ep     episode
}

var _ VideoDetector = (*BlockinessDetector)(nil)

// NewBlockinessDetector returns a blockiness detector. cfg must be valid.
func NewBlockinessDetector(cfg BlockinessConfig) *BlockinessDetector {
	return &BlockinessDetector{
		cfg: cfg,
		ep:  newEpisode(Blockiness, Error, cfg.EpisodeConfig, "blocky tile fraction %.3f"),
	}
}

// Type returns Blockiness.
func (d *BlockinessDetector) Type() Type { return Blockiness }

// Video looks at one picture.
func (d *BlockinessDetector) Video(f *media.VideoFrame, emit Emit) {
	if frameFlagged(f) {
		d.errAt, d.errSet = f.PTS, true
	}
	v, ok := d.grid.measure(f)
	if !ok {
		d.last = f.PTS
		return
	}
	d.recent[d.n%blockSmooth] = v
	d.n++
	var m float64
	k := min(d.n, blockSmooth)
	for _, x := range d.recent[:k] {
		m += x
	}
	m /= float64(k)

	th := d.cfg.Threshold
	if d.errSet && f.PTS-d.errAt <= d.cfg.ErrorWindow {
		th /= 2
	}
	cond := m >= th && m >= blockBaseFactor*d.base
	d.ep.step(f.PTS, cond, m/(2*th), m, emit)

	dt := f.PTS - d.last
	if dt < 0 || dt > 1 {
		dt = 0
	}
	tau := blockBaseDownTau
	if m > d.base {
		tau = blockBaseUpTau
		if d.seen < blockWarmup {
			tau = blockWarmTau
		}
	}
	d.base += (m - d.base) * min(1, dt/tau)
	d.seen += dt
	d.last = f.PTS
}

// Close ends an open blockiness defect at media time at and forgets the picture
// history.
func (d *BlockinessDetector) Close(at float64, emit Emit) {
	d.ep.close(at, emit)
	d.grid.havePrev = false
	d.n, d.base, d.seen, d.errSet = 0, 0, 0, false
}

// frameFlagged reports whether the decoder flagged f or errors just before it.
func frameFlagged(f *media.VideoFrame) bool {
	return f.Corrupt || f.DecodeErrorFlags != 0 || f.ErrorsBefore > 0
}
