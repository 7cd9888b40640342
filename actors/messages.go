package actors

import (
	"github.com/vigil-monitor/vigil/media"
	"github.com/vigil-monitor/vigil/media/detect"
)

// Messages between the actors of one node. Frames travel by reference: a message
// holds one reference, which its receiver releases.

// startStream asks the NodeActor to run a stream.
type startStream struct {
	s      *stream
	detCfg detect.Config
}

// stopStream asks the NodeActor (and then the stream's supervisor) to stop a run.
type stopStream struct{ s *stream }

// videoMsg carries one reference to a picture to one detector.
type videoMsg struct {
	f    *media.VideoFrame
	slot *detectorSlot
}

// audioMsg carries one reference to an audio block to one detector.
type audioMsg struct {
	a    *media.AudioFrame
	slot *detectorSlot
}

// release gives back the frame reference and the detector's queue slot.
func (m *videoMsg) release() {
	f, slot := m.f, m.slot
	m.f = nil
	slot.putVideoMsg(m)
	f.Release()
	slot.free()
}

func (m *audioMsg) release() {
	a, slot := m.a, m.slot
	m.a = nil
	slot.putAudioMsg(m)
	a.Release()
	slot.free()
}

// releaser is implemented by messages that hold frame references, so that a message
// which ends up undelivered (dead letter) still gives its frame back.
type releaser interface{ release() }

// flushDetector ends the detector's open defects at media time At.
type flushDetector struct{ At float64 }

// loopExited tells the supervisor that the decoder goroutine has returned and closed
// its input; no frame from it can arrive any more.
type loopExited struct{}

// inputOpened reports that the input was opened.
type inputOpened struct{ Info media.Info }

// firstFrame reports that the current input decoded its first picture or audio block.
type firstFrame struct{}

// inputFailed reports an input error (open, read, decode or no signal).
type inputFailed struct{ Err error }

// inputEnded reports the end of a (non-looping) input.
type inputEnded struct{ At float64 }

// inputFailure is the panic value a Decoder fails with so that its supervisor's
// strategy restarts it after a backoff.
type inputFailure struct{ err error }

func (f *inputFailure) Error() string { return "input failed: " + f.err.Error() }
