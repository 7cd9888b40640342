package detect

import "github.com/vigil-monitor/vigil/media"

// DecodeErrorConfig configures the decode-error detector, which reports what the
// decoder itself says: frames flagged corrupt, decode_error_flags, and packets it
// failed to decode.
type DecodeErrorConfig struct {
	// Enabled turns the detector on (key decode_error.enabled).
	Enabled bool
	// EpisodeConfig: MinDuration (default 0) and EndHold (default 2 s), which is also
	// the window that groups errors: a burst of errors with gaps shorter than EndHold
	// is one event, from the first flagged frame to the first clean frame after the
	// last one.
	EpisodeConfig
	// MinFrames is how many flagged frames within EndHold it takes to report
	// (default 1).
	MinFrames float64
}

// DefaultDecodeErrorConfig returns the defaults documented on DecodeErrorConfig.
func DefaultDecodeErrorConfig() DecodeErrorConfig {
	return DecodeErrorConfig{
		Enabled:       true,
		EpisodeConfig: EpisodeConfig{MinDuration: 0, EndHold: 2},
		MinFrames:     1,
	}
}

// decodeErrorRing bounds how many recent flagged frames are remembered.
const decodeErrorRing = 64

// DecodeErrorDetector reports decoder errors. Errors before the first key frame are
// start-up (joining a live stream mid-GOP gives "non-existing PPS" errors until the
// next key frame) and are not reported.
type DecodeErrorDetector struct {
	cfg     DecodeErrorConfig
	started bool // a key frame has been seen
	times   [decodeErrorRing]float64
	n       int // flagged frames remembered (up to decodeErrorRing)
	head    int
	ep      episode
}

var _ VideoDetector = (*DecodeErrorDetector)(nil)

// NewDecodeErrorDetector returns a decode-error detector. cfg must be valid.
func NewDecodeErrorDetector(cfg DecodeErrorConfig) *DecodeErrorDetector {
	return &DecodeErrorDetector{
		cfg: cfg,
		ep:  newEpisode(DecodeError, Error, cfg.EpisodeConfig, "%.0f flagged frames"),
	}
}

// Type returns DecodeError.
func (d *DecodeErrorDetector) Type() Type { return DecodeError }

// Video looks at one frame's decoder flags.
func (d *DecodeErrorDetector) Video(f *media.VideoFrame, emit Emit) {
	if !d.started {
		if !f.Key {
			return
		}
		d.started = true
		if f.ErrorsBefore > 0 && !f.Corrupt && f.DecodeErrorFlags == 0 {
			// Errors before the first key frame are start-up, not damage.
			d.ep.step(f.PTS, false, 0, 0, emit)
			return
		}
	}
	bad := frameFlagged(f)
	if bad {
		d.times[d.head] = f.PTS
		d.head = (d.head + 1) % decodeErrorRing
		d.n = min(d.n+1, decodeErrorRing)
	}
	// Count flagged frames within the window and find the oldest of them.
	count, first := 0, f.PTS
	for i := 0; i < d.n; i++ {
		t := d.times[(d.head-1-i+2*decodeErrorRing)%decodeErrorRing]
		if f.PTS-t > d.cfg.EndHold || t > f.PTS {
			break
		}
		count++
		first = t
	}
	cond := bad && float64(count) >= d.cfg.MinFrames
	score := 0.5 + 0.5*min(1, float64(count)/25)
	d.ep.stepFrom(f.PTS, first, cond, score, float64(count), emit)
}

// Close ends an open decode-error defect at media time at.
func (d *DecodeErrorDetector) Close(at float64, emit Emit) {
	d.ep.close(at, emit)
	d.started, d.n, d.head = false, 0, 0
}
