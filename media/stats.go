package media

import (
	"math"
	"sync"
	"time"
)

// Stats are the counters of one input since Open. Input.Stats returns a snapshot.
type Stats struct {
	// VideoFrames and AudioFrames count frames delivered to the Sink.
	VideoFrames, AudioFrames uint64
	// FramesDropped counts pictures the video decoder discarded: packets that went in
	// without a frame coming out (damaged or undecodable pictures). While running it is
	// a lower bound that allows for the decoder's delay; at the end of an input (and at
	// each loop) it is exact. Packets skipped before the first key frame are counted in
	// PacketsSkipped instead.
	FramesDropped uint64
	// DecodeErrors counts errors the decoders reported after their first frame: failed
	// send/receive calls and error messages of the decoder (one per message, so a badly
	// damaged picture may count several). Errors before the first frame of a stream
	// (joining mid-stream) are start-up noise and not counted.
	DecodeErrors uint64
	// Packets and Bytes count demuxed packets of all streams.
	Packets, Bytes uint64
	// PacketsSkipped counts video packets dropped before the first key frame.
	PacketsSkipped uint64
	// BitrateBPS is the input's bitrate in bits per second over the last few seconds
	// of media time (0 until one full second was read).
	BitrateBPS float64
	// Width and Height are the size of the latest picture.
	Width, Height int
	// FrameRate is the measured video frame rate (frames per second of media time over
	// windows of two seconds), or the container's nominal rate until measured.
	FrameRate float64
	// ResolutionChanges counts picture size changes after the first picture.
	ResolutionChanges uint64
	// FrameRateChanges counts lasting changes (two windows in a row) of the measured
	// frame rate by more than 10%.
	FrameRateChanges uint64
	// Discontinuities counts timestamp jumps (forward by more than 10 s or backward by
	// more than 0.5 s: a source restart, spliced files) that media time was kept
	// continuous across.
	Discontinuities uint64
	// Loops counts restarts of a looping file input.
	Loops uint64
	// MediaTime is the end of the latest delivered frame in media time (seconds).
	MediaTime float64
	// LastPacket is when the latest packet arrived (by the input's Clock).
	LastPacket time.Time
}

// statsState is the mutable state behind Stats, updated by Run and read by Stats.
type statsState struct {
	mu   sync.Mutex
	s    Stats
	rate bitrate
	fps  fpsMeter
}

// packet records one demuxed packet of n bytes at media time t, arriving at now.
func (st *statsState) packet(n int, t float64, now time.Time) {
	st.mu.Lock()
	st.s.Packets++
	st.s.Bytes += uint64(n)
	st.s.LastPacket = now
	st.rate.add(t, n)
	st.mu.Unlock()
}

// video records a delivered picture; disc is the timeline's discontinuity count.
func (st *statsState) video(w, h int, t, end float64, disc uint64) {
	st.mu.Lock()
	s := &st.s
	s.Discontinuities = disc
	if s.VideoFrames > 0 && (w != s.Width || h != s.Height) {
		s.ResolutionChanges++
	}
	s.VideoFrames++
	s.Width, s.Height = w, h
	if fps, changed, ok := st.fps.frame(t); ok {
		s.FrameRate = fps
		if changed {
			s.FrameRateChanges++
		}
	}
	s.MediaTime = math.Max(s.MediaTime, end)
	st.mu.Unlock()
}

// audio records a delivered audio block; disc is the timeline's discontinuity count.
func (st *statsState) audio(end float64, disc uint64) {
	st.mu.Lock()
	st.s.Discontinuities = disc
	st.s.AudioFrames++
	st.s.MediaTime = math.Max(st.s.MediaTime, end)
	st.mu.Unlock()
}

// update applies f to the counters under the lock (for rare events).
func (st *statsState) update(f func(s *Stats)) {
	st.mu.Lock()
	f(&st.s)
	st.mu.Unlock()
}

func (st *statsState) snapshot() Stats {
	st.mu.Lock()
	defer st.mu.Unlock()
	s := st.s
	s.BitrateBPS = st.rate.bps()
	return s
}

// bitrateSeconds is the bitrate window in seconds of media time.
const bitrateSeconds = 5

// bitrate sums packet bytes per second of media time in a ring of buckets.
type bitrate struct {
	started    bool
	first, sec int64
	buckets    [bitrateSeconds + 1]uint64
}

func bucket(s int64) int {
	n := int64(bitrateSeconds + 1)
	return int(((s % n) + n) % n)
}

func (b *bitrate) add(t float64, n int) {
	s := int64(math.Floor(t))
	if !b.started {
		b.started, b.first, b.sec = true, s, s
	}
	if s > b.sec {
		for k := b.sec + 1; k <= s && k-b.sec <= bitrateSeconds+1; k++ {
			b.buckets[bucket(k)] = 0
		}
		b.sec = s
	}
	b.buckets[bucket(b.sec)] += uint64(n)
}

// bps returns bits per second over the complete seconds in the window.
func (b *bitrate) bps() float64 {
	full := b.sec - b.first
	if !b.started || full <= 0 {
		return 0
	}
	if full > bitrateSeconds {
		full = bitrateSeconds
	}
	var sum uint64
	for k := b.sec - full; k < b.sec; k++ {
		sum += b.buckets[bucket(k)]
	}
	return float64(sum) * 8 / float64(full)
}

// fpsWindow is the span of media time one frame-rate measurement covers.
const fpsWindow = 2.0

// fpsMeter measures the frame rate over windows of media time and reports lasting
// changes: a window more than 10% off the current rate becomes a candidate, and a
// second window agreeing with the candidate makes it the new rate.
type fpsMeter struct {
	started   bool
	start     float64
	n         int
	measured  bool
	current   float64
	candidate float64
}

// frame records a picture at media time t; ok reports a completed window with its rate.
func (m *fpsMeter) frame(t float64) (fps float64, changed, ok bool) {
	if !m.started || t < m.start {
		m.started, m.start, m.n = true, t, 0
		return 0, false, false
	}
	m.n++
	span := t - m.start
	if span < fpsWindow {
		return 0, false, false
	}
	fps = float64(m.n) / span
	m.start, m.n = t, 0
	switch {
	case !m.measured:
		m.measured, m.current = true, fps
	case near(fps, m.current):
		m.candidate = 0
		m.current = fps
	case m.candidate != 0 && near(fps, m.candidate):
		m.current, m.candidate, changed = fps, 0, true
	default:
		m.candidate = fps
	}
	return m.current, changed, true
}

func near(a, b float64) bool { return math.Abs(a-b) <= 0.1*b }
