package detect

import (
	"math"

	"github.com/vigil-monitor/vigil/media"
)

// LoudnessConfig configures the loudness detector: EBU R128 short-term loudness (the
// K-weighted mean square over a sliding 3 s window, updated every 100 ms, in LUFS)
// outside Target ± Tolerance.
//
// The defaults suit broadcast programme normalised to EBU R128's -23 LUFS: programme
// loudness legitimately swings several LU around the target in the short term, so
// only a short-term loudness more than 8 LU off for 3 s is reported. Periods of
// silence (short-term loudness below R128's absolute gate of -70 LUFS) are left to the
// silence detector.
type LoudnessConfig struct {
	// Enabled turns the detector on (key loudness.enabled).
	Enabled bool
	// EpisodeConfig: out-of-band loudness must last MinDuration (default 3 s) and ends
	// after EndHold (default 1 s) back in band.
	EpisodeConfig
	// Target is the programme loudness in LUFS (default -23).
	Target float64
	// Tolerance is the half-width of the band, in LU (default 8).
	Tolerance float64
}

// DefaultLoudnessConfig returns the defaults documented on LoudnessConfig.
func DefaultLoudnessConfig() LoudnessConfig {
	return LoudnessConfig{
		Enabled:       true,
		EpisodeConfig: EpisodeConfig{MinDuration: 3, EndHold: 1},
		Target:        -23,
		Tolerance:     8,
	}
}

const (
	loudBlock    = 0.1 // seconds per block
	loudBlocks   = 30  // blocks per short-term window (3 s)
	absoluteGate = -70 // LUFS
)

// LoudnessDetector reports short-term loudness outside the configured band.
type LoudnessDetector struct {
	cfg LoudnessConfig
	win audioWindow

	shelf, hp biquad
	state     [][2]biquadState // per channel: shelf then high-pass
	weights   []float64
	acc       float64 // weighted K-filtered sum of squares in the current block

	blocks [loudBlocks]float64 // weighted mean square per block, ring
	starts [loudBlocks]float64 // each block's media start time
	head   int
	count  int

	ep episode
}

var _ AudioDetector = (*LoudnessDetector)(nil)

// NewLoudnessDetector returns a loudness detector. cfg must be valid.
func NewLoudnessDetector(cfg LoudnessConfig) *LoudnessDetector {
	return &LoudnessDetector{
		cfg: cfg,
		win: audioWindow{length: loudBlock},
		ep:  newEpisode(Loudness, Warning, cfg.EpisodeConfig, "short-term loudness %.1f LUFS"),
	}
}

// Type returns Loudness.
func (d *LoudnessDetector) Type() Type { return Loudness }

// lufs converts a weighted mean square to loudness.
func lufs(ms float64) float64 {
	if ms <= 0 {
		return minDB
	}
	return math.Max(minDB, -0.691+10*math.Log10(ms))
}

// Audio listens to one block of audio.
func (d *LoudnessDetector) Audio(a *media.AudioFrame, emit Emit) {
	if d.win.format(a) {
		d.shelf, d.hp = kWeighting(float64(a.SampleRate))
		d.state = make([][2]biquadState, a.Channels)
		d.weights = make([]float64, a.Channels)
		for c := range d.weights {
			d.weights[c] = channelWeight(c, a.Channels)
		}
		d.acc, d.count = 0, 0
	}
	ch := a.Channels
	d.win.split(a, func(s []float32, full bool) {
		if ch == 2 {
			l, r := kSumSquares2(&d.shelf, &d.hp, &d.state[0], &d.state[1], s)
			d.acc += d.weights[0]*l + d.weights[1]*r
		} else {
			for c := 0; c < ch; c++ {
				d.acc += d.weights[c] * kSumSquares(&d.shelf, &d.hp, &d.state[c], s, c, ch)
			}
		}
		if full {
			d.block(emit)
		}
	})
}

// block closes one 100 ms block and judges the short-term loudness.
func (d *LoudnessDetector) block(emit Emit) {
	d.blocks[d.head] = d.acc / float64(d.win.size)
	d.starts[d.head] = d.win.start
	d.head = (d.head + 1) % loudBlocks
	d.acc = 0
	if d.count < loudBlocks {
		d.count++
		if d.count < loudBlocks {
			return
		}
	}
	var sum float64
	for _, ms := range d.blocks {
		sum += ms
	}
	st := lufs(sum / loudBlocks)
	dev := st - d.cfg.Target
	cond := st > absoluteGate && math.Abs(dev) > d.cfg.Tolerance
	now := d.starts[(d.head-1+loudBlocks)%loudBlocks]
	from := now
	if cond && !d.ep.active {
		from = d.onset(dev > 0)
	}
	d.ep.stepFrom(now, from, cond, math.Abs(dev)/(2*d.cfg.Tolerance), st, emit)
}

// onset returns the start of the trailing run of blocks that are themselves out of
// band on the same side (too loud or too quiet): when the loudness changes, the 3 s
// window reaches the band edge some time after the change, but the blocks show when
// it happened.
func (d *LoudnessDetector) onset(loud bool) float64 {
	start := d.starts[(d.head-1+loudBlocks)%loudBlocks]
	for i := 1; i <= loudBlocks; i++ {
		j := (d.head - i + loudBlocks) % loudBlocks
		l := lufs(d.blocks[j])
		out := l > d.cfg.Target+d.cfg.Tolerance
		if !loud {
			// Silent blocks are the silence detector's, not quiet programme.
			out = l < d.cfg.Target-d.cfg.Tolerance && l > absoluteGate
		}
		if !out {
			break
		}
		start = d.starts[j]
	}
	return start
}

// Close ends an open loudness defect at media time at.
func (d *LoudnessDetector) Close(at float64, emit Emit) {
	d.ep.close(at, emit)
	d.win.rate, d.win.channels, d.win.filled = 0, 0, 0
}
