package detect

import (
	"math"

	"github.com/vigil-monitor/vigil/media"
)

// BlockinessConfig configures the block-corruption detector: damaged macroblocks as a
// viewer sees them after packet loss or bit errors.
//
// Every frame is compared with the previous one at points on the 16-pixel macroblock
// grid and at control points half a macroblock off it (blockmeasure.go): damaged
// blocks make steps in the change on the grid, clean content as often beside it as on
// it. The counts of the last few frames are pooled and compared with the stream's own
// usual ratio of on-grid to control steps (learnt slowly, as some content is aligned
// with the grid, and hardly at all from pictures that look damaged), so the excess of on-grid steps is judged by three tests, all of
// which must pass: it is statistically significant (a z-score of at least 7), large
// relative to the steps counted (at least 35% above the usual ratio) and large
// relative to the picture (at least 0.35% of the points analysed). The picture's
// strength is the smallest of the three as a multiple of its level; it is blocky at
// Threshold times that.
//
// The decoder's word counts too: from a frame the decoder flagged as corrupt (or
// errors reported before it) until the next key frame decoded without error (a few
// frames later: the decoder reports an error before it delivers the damaged picture,
// often the key frame itself), or for at most ErrorWindow seconds, damage is likely, and a strength of ErrorFactor times the
// threshold is enough. Decode errors themselves are the decode_error detector's;
// damage the decoder conceals without a word, and damage carried on to later frames by
// prediction, is this detector's.
type BlockinessConfig struct {
	// Enabled turns the detector on (key blockiness.enabled).
	Enabled bool
	// EpisodeConfig: blockiness must last MinDuration (default 0.2 s) and ends after
	// EndHold (default 0.4 s) of clean pictures.
	EpisodeConfig
	// Threshold scales the three tests' levels (default 1; larger is less sensitive).
	// Clean content measures up to about 0.7 of the levels.
	Threshold float64
	// ErrorWindow is how long, in seconds, after the decoder flagged a frame the lower
	// threshold applies at most (default 2); a clean key frame ends it earlier.
	ErrorWindow float64
	// ErrorFactor is the fraction of the threshold that makes a picture blocky while
	// the decoder's errors are recent (default 0.3).
	ErrorFactor float64
}

// DefaultBlockinessConfig returns the defaults documented on BlockinessConfig.
func DefaultBlockinessConfig() BlockinessConfig {
	return BlockinessConfig{
		Enabled:       true,
		EpisodeConfig: EpisodeConfig{MinDuration: 0.2, EndHold: 0.4},
		Threshold:     1,
		ErrorWindow:   2,
		ErrorFactor:   0.3,
	}
}

const (
	blockPool    = 5      // frames whose counts are pooled
	blockZ       = 7      // z-score level of the on-grid excess
	blockRatio   = 0.35   // level of the excess relative to the steps counted
	blockExcess  = 0.0035 // level of the excess relative to the points analysed
	blockPrior   = 4      // pseudo-count that keeps the tests sane on tiny counts
	blockBaseTau = 20.0   // seconds for the stream's ratio to follow the content
	blockWarmTau = 2.0    // the same during the first blockWarmup seconds
	blockWarmup  = 10.0   // seconds
	// Frames whose strength is blockLearnGate of the threshold or more are suspect:
	// once the base has learnt from blockSettle frames, they teach it only at
	// blockSuspectTau, so damage cannot teach the base that damage is usual.
	// A key frame ends the decoder's error window only when it comes more than
	// blockErrorLag frames after the last flagged one: errors are reported when a
	// packet is decoded, and its picture (the damaged key frame itself, often) is
	// delivered some frames later by a frame-threaded, reordering decoder.
	blockErrorLag   = 8
	blockLearnGate  = 0.5
	blockSettle     = 25
	blockSuspectTau = 60.0 // seconds
)

// BlockinessDetector reports block corruption.
type BlockinessDetector struct {
	cfg  BlockinessConfig
	grid blockGrid

	recent [blockPool]blockCounts // ring of the last frames' counts
	n      int                    // frames in the ring (up to blockPool) ...
	head   int                    // ... and where the next goes

	baseOn, baseOff float64 // the stream's usual on-grid and control steps per frame
	based           int     // frames the base has learnt from
	seen            float64 // seconds of pictures measured
	last            float64 // PTS of the previous frame
	hasLast         bool

	started  bool    // a key frame has been seen
	errMode  bool    // the decoder's errors are recent
	errAt    float64 // PTS of the last frame the decoder flagged
	sinceErr int     // frames since then

	ep episode
}

var _ VideoDetector = (*BlockinessDetector)(nil)

// NewBlockinessDetector returns a blockiness detector. cfg must be valid.
func NewBlockinessDetector(cfg BlockinessConfig) *BlockinessDetector {
	return &BlockinessDetector{
		cfg: cfg,
		ep:  newEpisode(Blockiness, Error, cfg.EpisodeConfig, "blockiness %.2f of the alarm level"),
	}
}

// Type returns Blockiness.
func (d *BlockinessDetector) Type() Type { return Blockiness }

// Video looks at one picture.
func (d *BlockinessDetector) Video(f *media.VideoFrame, emit Emit) {
	d.sinceErr++
	switch {
	case !d.started && !f.Key:
		// Before the first key frame: joining a live stream mid-GOP gives errors
		// ("non-existing PPS") that are start-up, not damage.
	case frameFlagged(f) && (d.started || f.Corrupt || f.DecodeErrorFlags != 0):
		d.errMode, d.errAt, d.sinceErr = true, f.PTS, 0
	case f.Key && d.sinceErr > blockErrorLag, f.PTS-d.errAt > d.cfg.ErrorWindow:
		d.errMode = false
	}
	d.started = d.started || f.Key
	dt := 0.0
	if d.hasLast {
		dt = f.PTS - d.last
		if dt < 0 || dt > 1 {
			dt = 0
		}
	}
	d.last, d.hasLast = f.PTS, true
	c, ok := d.grid.measure(f)
	if !ok {
		return
	}
	d.recent[d.head] = c
	d.head = (d.head + 1) % blockPool
	d.n = min(d.n+1, blockPool)

	s := d.strength()
	th := d.cfg.Threshold
	if d.errMode {
		th *= d.cfg.ErrorFactor
	}
	d.ep.step(f.PTS, s >= th, s/(2*th), s/d.cfg.Threshold, emit)

	if !d.errMode {
		d.learn(c, dt, s >= blockLearnGate*d.cfg.Threshold)
	}
	d.seen += dt
}

// strength judges the pooled counts against the stream's usual ratio of on-grid to
// control steps: the smallest of the three tests' values as a multiple of its level.
func (d *BlockinessDetector) strength() float64 {
	var on, off, points int
	for _, c := range d.recent[:d.n] {
		on, off, points = on+c.on, off+c.off, points+c.points
	}
	if points == 0 {
		return 0
	}
	beta := 1.0
	if d.baseOff > 0 {
		beta = max(1, d.baseOn/d.baseOff)
	}
	o, k := float64(on), beta*float64(off)
	excess := o - k
	z := excess / math.Sqrt(o+beta*k+blockPrior)
	ratio := excess / (o + k + blockPrior)
	share := excess / float64(points)
	return min(z/blockZ, ratio/blockRatio, share/blockExcess)
}

// learn moves the stream's usual step counts towards this frame's: a plain mean over
// the first frames, then an exponential average.
func (d *BlockinessDetector) learn(c blockCounts, dt float64, suspect bool) {
	tau := blockBaseTau
	if d.seen < blockWarmup {
		tau = blockWarmTau
	}
	if suspect && d.based >= blockSettle {
		tau = blockSuspectTau
		a := min(1, dt/tau)
		d.baseOn += (float64(c.on) - d.baseOn) * a
		d.baseOff += (float64(c.off) - d.baseOff) * a
		return
	}
	d.based++
	a := min(1, max(dt/tau, 1/float64(d.based)))
	d.baseOn += (float64(c.on) - d.baseOn) * a
	d.baseOff += (float64(c.off) - d.baseOff) * a
}

// Close ends an open blockiness defect at media time at and forgets the picture
// history.
func (d *BlockinessDetector) Close(at float64, emit Emit) {
	d.ep.close(at, emit)
	d.grid.havePrev = false
	d.n, d.head = 0, 0
	d.baseOn, d.baseOff, d.based, d.seen, d.hasLast = 0, 0, 0, 0, false
	d.errMode, d.started = false, false
}

// frameFlagged reports whether the decoder flagged f or errors just before it.
func frameFlagged(f *media.VideoFrame) bool {
	return f.Corrupt || f.DecodeErrorFlags != 0 || f.ErrorsBefore > 0
}
