package detect

import "github.com/vigil-monitor/vigil/media"

// audioWindow cuts a stream of audio frames into analysis windows of a fixed length
// in seconds, whatever the frames' sizes, and tracks each window's media start time.
type audioWindow struct {
	length   float64 // seconds
	rate     int     // sample rate the window size was computed for
	channels int
	size     int     // samples per channel per window
	filled   int     // samples per channel in the current window
	start    float64 // media time of the current window's first sample
}

// format reports whether a's rate or channel count differs from the last frame's,
// and adopts them (restarting the current window) if so.
func (w *audioWindow) format(a *media.AudioFrame) (changed bool) {
	if a.SampleRate == w.rate && a.Channels == w.channels {
		return false
	}
	w.rate, w.channels, w.filled = a.SampleRate, a.Channels, 0
	w.size = max(1, int(w.length*float64(a.SampleRate)+0.5))
	return true
}

// split hands consecutive pieces of a's interleaved samples to chunk; full is true
// for the piece that completes a window, whose start time is then w.start.
func (w *audioWindow) split(a *media.AudioFrame, chunk func(samples []float32, full bool)) {
	frames, ch := a.Frames(), a.Channels
	if ch <= 0 || a.SampleRate <= 0 {
		return
	}
	for i := 0; i < frames; {
		if w.filled == 0 {
			w.start = a.PTS + float64(i)/float64(a.SampleRate)
		}
		take := min(frames-i, w.size-w.filled)
		w.filled += take
		full := w.filled == w.size
		chunk(a.Samples[i*ch:(i+take)*ch], full)
		if full {
			w.filled = 0
		}
		i += take
	}
}
