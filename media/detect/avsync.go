package detect

import (
	"math"

	"github.com/vigil-monitor/vigil/media"
)

// AVSyncConfig configures the audio/video synchronisation detector.
//
// A player presents audio and video by their timestamps, so what moves them apart is
// timestamps that stop telling the truth about the content. The detector estimates the
// offset two ways and reports the larger in magnitude (positive: audio late):
//
//  1. Timeline discontinuities. Within each stream, the next frame should start where
//     the previous one ended: audio at PTS + samples/rate, video at PTS + frame
//     duration. A jump of one timeline that the other does not make (a splice makes
//     both jump alike, which cancels) shifts that stream's content against the other:
//     the offset is the sum of audio jumps minus the sum of video jumps. Jumps below
//     JumpTolerance are timestamp rounding; jumps above MaxJump are a reset of the
//     input (a loop, a restart) and are not counted.
//
//  2. Arrival skew. As frames arrive in demux order, the skew is where the audio
//     timeline has got to minus where the video timeline has got to. Muxers interleave
//     with some constant lead of one stream (a live encoder's video buffer can lead by
//     hundreds of milliseconds), so the skew is judged against the stream's own
//     baseline: its median over the first Settle seconds, then fixed. The current skew
//     is the median over the last Window seconds, which ignores the short excursions
//     of normal interleaving and of gaps. Because the baseline is fixed once settled
//     (not a running average), a shift that is present from the start of a window, or
//     that lasts for ever, is still measured. This catches a live source whose audio
//     and video clocks have parted; a file muxed by timestamp hides it (and then
//     measure 1 sees the jump).
//
// Known limit: a gap left by lost packets in one stream looks like a jump of that
// timeline and is counted, although a player would keep sync across it.
type AVSyncConfig struct {
	// Enabled turns the detector on (key av_sync.enabled).
	Enabled bool
	// EpisodeConfig: an offset must last MinDuration (default 1 s) and ends after
	// EndHold (default 1 s) back within Threshold.
	EpisodeConfig
	// Threshold is the largest tolerated offset in seconds (default 0.15).
	Threshold float64
	// Window is the arrival-skew median window in seconds (default 2).
	Window float64
	// Settle is how long, in seconds from the first frame of both streams, the
	// arrival-skew baseline is learned (default 5).
	Settle float64
	// JumpTolerance is the smallest timeline jump in seconds that counts (default
	// 0.005).
	JumpTolerance float64
	// MaxJump is the largest timeline jump in seconds that counts as a shift rather
	// than a reset of the input (default 10).
	MaxJump float64
}

// DefaultAVSyncConfig returns the defaults documented on AVSyncConfig.
func DefaultAVSyncConfig() AVSyncConfig {
	return AVSyncConfig{
		Enabled:       true,
		EpisodeConfig: EpisodeConfig{MinDuration: 1, EndHold: 1},
		Threshold:     0.15,
		Window:        2,
		Settle:        5,
		JumpTolerance: 0.005,
		MaxJump:       10,
	}
}

const skewRing = 1024 // arrival-skew samples remembered

// timeline follows one stream's timestamps and reports jumps.
type timeline struct {
	seen     bool
	last     float64 // start of the latest frame
	next     float64 // where the next frame should start
	end      float64 // where the latest frame ended
	interval float64 // typical frame duration, for frames without one
}

// advance takes a frame starting at pts lasting dur (0 if unknown) and returns how far
// it jumped from where it should have started.
func (l *timeline) advance(pts, dur float64) float64 {
	var jump float64
	switch {
	case !l.seen:
	case dur <= 0 && l.interval == 0:
		// No duration known yet: learn it from the first interval.
		l.interval = pts - l.last
	default:
		jump = pts - l.next
	}
	if dur > 0 {
		l.interval = dur
	}
	l.seen, l.last = true, pts
	l.next = pts + l.interval
	l.end = math.Max(l.end, l.next)
	return jump
}

// AVSyncDetector reports audio and video drifting or jumping apart. It must be given
// both the video and the audio frames of a stream, in the order they are decoded.
type AVSyncDetector struct {
	cfg AVSyncConfig

	audio, video timeline
	jumps        float64 // audio jumps minus video jumps

	skewT, skewV [skewRing]float64 // arrival skew samples: time and value
	skewHead     int
	skewN        int
	scratch      [skewRing]float64
	settleFrom   float64
	settled      bool
	base         float64

	ep episode
}

var (
	_ VideoDetector = (*AVSyncDetector)(nil)
	_ AudioDetector = (*AVSyncDetector)(nil)
)

// NewAVSyncDetector returns an A/V sync detector. cfg must be valid.
func NewAVSyncDetector(cfg AVSyncConfig) *AVSyncDetector {
	return &AVSyncDetector{
		cfg: cfg,
		ep:  newEpisode(AVSync, Error, cfg.EpisodeConfig, "audio %+.3f s against video"),
	}
}

// Type returns AVSync.
func (d *AVSyncDetector) Type() Type { return AVSync }

// counts reports whether a jump is a shift (not rounding, not a reset).
func (d *AVSyncDetector) counts(jump float64) bool {
	a := math.Abs(jump)
	return a > d.cfg.JumpTolerance && a <= d.cfg.MaxJump
}

// Audio follows the audio timeline.
func (d *AVSyncDetector) Audio(a *media.AudioFrame, emit Emit) {
	if j := d.audio.advance(a.PTS, a.Duration()); d.counts(j) {
		d.jumps += j
	}
	d.arrival()
}

// Video follows the video timeline and judges the offset.
func (d *AVSyncDetector) Video(f *media.VideoFrame, emit Emit) {
	if j := d.video.advance(f.PTS, f.Duration); d.counts(j) {
		d.jumps -= j
	}
	d.arrival()
	if !d.audio.seen {
		return
	}
	off, from := d.jumps, f.PTS
	if skew, ok := d.skew(f.PTS); ok && math.Abs(skew) > math.Abs(off) {
		// The window median reaches a shift about half a window after it happened.
		off, from = skew, f.PTS-d.cfg.Window/2
	}
	cond := math.Abs(off) > d.cfg.Threshold
	d.ep.stepFrom(f.PTS, from, cond, math.Abs(off)/(2*d.cfg.Threshold), off, emit)
}

// arrival records the skew between the timelines as a frame arrives.
func (d *AVSyncDetector) arrival() {
	if !d.audio.seen || !d.video.seen {
		return
	}
	t := d.video.end
	d.skewT[d.skewHead], d.skewV[d.skewHead] = t, d.audio.end-d.video.end
	d.skewHead = (d.skewHead + 1) % skewRing
	d.skewN = min(d.skewN+1, skewRing)
	if d.skewN == 1 {
		d.settleFrom = t
	}
}

// skew returns the median arrival skew over the last Window seconds relative to the
// settled baseline, once there is one.
func (d *AVSyncDetector) skew(now float64) (float64, bool) {
	if d.skewN == 0 {
		return 0, false
	}
	if !d.settled {
		if now-d.settleFrom < d.cfg.Settle {
			return 0, false
		}
		d.base = d.median(now - d.cfg.Settle - 1)
		d.settled = true
	}
	return d.median(now-d.cfg.Window) - d.base, true
}

// median returns the median of the skew samples taken after since.
func (d *AVSyncDetector) median(since float64) float64 {
	n := 0
	for i := 0; i < d.skewN; i++ {
		j := (d.skewHead - 1 - i + skewRing) % skewRing
		if d.skewT[j] < since {
			break
		}
		d.scratch[n] = d.skewV[j]
		n++
	}
	if n == 0 {
		return d.base
	}
	return selectNth(d.scratch[:n], n/2)
}

// selectNth reorders s and returns the value that would be at index k if s were
// sorted (quickselect with a median-of-three pivot: linear time on average, which
// matters as the median is taken for every video frame).
func selectNth(s []float64, k int) float64 {
	lo, hi := 0, len(s)-1
	for lo < hi {
		mid := lo + (hi-lo)/2
		// Order s[lo], s[mid], s[hi]; the median of the three is the pivot.
		if s[mid] < s[lo] {
			s[mid], s[lo] = s[lo], s[mid]
		}
		if s[hi] < s[lo] {
			s[hi], s[lo] = s[lo], s[hi]
		}
		if s[hi] < s[mid] {
			s[hi], s[mid] = s[mid], s[hi]
		}
		pivot := s[mid]
		i, j := lo, hi
		for i <= j {
			for s[i] < pivot {
				i++
			}
			for s[j] > pivot {
				j--
			}
			if i <= j {
				s[i], s[j] = s[j], s[i]
				i, j = i+1, j-1
			}
		}
		switch {
		case k <= j:
			hi = j
		case k >= i:
			lo = i
		default:
			return s[k]
		}
	}
	return s[k]
}

// Close ends an open A/V sync defect at media time at and forgets both timelines.
func (d *AVSyncDetector) Close(at float64, emit Emit) {
	d.ep.close(at, emit)
	d.audio, d.video = timeline{}, timeline{}
	d.jumps, d.skewN, d.skewHead, d.settled, d.base = 0, 0, 0, false, 0
}
