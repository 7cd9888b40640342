// Package media opens live and file inputs with FFmpeg, demuxes and decodes them, and
// hands decoded pictures and audio to the rest of vigil without copying them.
//
// It is the only package in vigil that imports go-astiav (FFmpeg). A decoded picture
// never leaves the process that decoded it: a VideoFrame refers to the decoder's own
// planes and returns them to FFmpeg when its last holder calls Release.
package media

import (
	"fmt"
	"sync"
	"sync/atomic"
)

// VideoFrame is one decoded picture. Y refers to the decoder's luma plane in C memory
// (or, for a frame made with NewVideoFrame, to a Go slice); it is valid only until the
// last reference is released.
//
// A frame starts with one reference, owned by whoever received it. Each additional
// holder (for example each detector a frame is fanned out to) takes its own with Retain
// and gives it back with Release. Retain and Release may be called from any goroutine.
// The fields are read-only once a frame has been handed out.
type VideoFrame struct {
	// Width and Height are the visible picture size in pixels.
	Width, Height int
	// Stride is the number of bytes between the starts of two luma rows (>= Width).
	Stride int
	// Y is the 8-bit luma plane: Height rows of Stride bytes (the last row may be
	// only Width bytes long).
	Y []byte
	// PTS is the presentation time in seconds from the input's first decoded frame.
	PTS float64
	// Duration is the nominal frame duration in seconds, 0 when unknown.
	Duration float64
	// Key reports whether the frame is a key frame (an IDR or intra picture).
	Key bool
	// Corrupt reports that the decoder flagged the frame as corrupt
	// (AV_FRAME_FLAG_CORRUPT), e.g. concealment after lost or damaged data.
	Corrupt bool
	// DecodeErrorFlags is the decoder's decode_error_flags bitmask; 0 means clean.
	DecodeErrorFlags int
	// FullRange reports full-range ("JPEG") luma, 0 to 255; otherwise luma is limited
	// range, black at 16 and white at 235.
	FullRange bool
	// ErrorsBefore counts decode errors the decoder reported (packets it rejected or
	// failed to decode) since the previous delivered video frame.
	ErrorsBefore int
	// Seq numbers delivered video frames of one input from 0.
	Seq uint64

	refs    atomic.Int32
	release func()
	derived [maxDerivations]derivedSlot
}

// NewVideoFrame returns a frame over a Go-owned luma plane with one reference and no
// release hook. It is meant for tests and for synthetic pictures; the decoder uses its
// own pooled frames that refer to FFmpeg's planes.
func NewVideoFrame(width, height, stride int, y []byte, pts float64) *VideoFrame {
	f := &VideoFrame{Width: width, Height: height, Stride: stride, Y: y, PTS: pts}
	f.refs.Store(1)
	return f
}

// Init resets f to carry a new picture with one reference and the given release hook,
// which runs once, when the last reference is released. Decoders that pool frames
// call it; everybody else uses NewVideoFrame.
func (f *VideoFrame) Init(release func()) {
	f.release = release
	f.refs.Store(1)
	for i := range f.derived {
		f.derived[i].done.Store(false) // the values stay, for their buffers
	}
}

// Retain takes one more reference to f and returns f.
func (f *VideoFrame) Retain() *VideoFrame {
	if f.refs.Add(1) <= 1 {
		panic("media: Retain of a released VideoFrame")
	}
	return f
}

// Release gives back one reference. When the last one is released the planes return
// to the decoder and f must not be used again.
func (f *VideoFrame) Release() {
	n := f.refs.Add(-1)
	switch {
	case n == 0:
		if r := f.release; r != nil {
			f.release = nil
			r()
		}
	case n < 0:
		panic("media: Release of a released VideoFrame")
	}
}

// Refs reports the current number of references (for tests and leak checks).
func (f *VideoFrame) Refs() int32 { return f.refs.Load() }

// Row returns luma row y (Width bytes).
func (f *VideoFrame) Row(y int) []byte {
	o := y * f.Stride
	return f.Y[o : o+f.Width]
}

// maxDerivations bounds how many kinds of derived data frames carry.
const maxDerivations = 4

// registered counts the Derivations made so far.
var registered atomic.Int32

// Derivation is one kind of data derived from a picture (for example a subsampled luma
// plane) that several holders of a frame need. The frame computes it once, for the first
// holder that asks, and keeps it with the picture, so that detectors running in
// parallel on the same frame share one computation instead of repeating it.
type Derivation struct {
	slot    int
	compute func(f *VideoFrame, reuse any) any
}

// NewDerivation registers a kind of derived data; call it once per kind, at package
// initialisation (it panics after a handful of kinds). compute makes the data from f's
// picture. reuse is what compute returned for an earlier picture carried by the same
// (pooled) frame, nil the first time: compute should refill and return it rather than
// allocate, so that steady-state decoding allocates nothing. compute must not call
// Derived on f for the same Derivation.
func NewDerivation(compute func(f *VideoFrame, reuse any) any) *Derivation {
	slot := int(registered.Add(1)) - 1
	if slot >= maxDerivations {
		panic("media: too many Derivations")
	}
	return &Derivation{slot: slot, compute: compute}
}

// derivedSlot holds one Derivation's data for the frame's current picture.
type derivedSlot struct {
	mu   sync.Mutex
	done atomic.Bool // val is current
	val  any
}

// Derived returns d's data for f's picture, computing it on the first call. Any holder
// of a reference may call it from any goroutine; concurrent first callers wait for one
// computation. The data is shared by all holders: treat it as read-only, and do not use
// it after releasing f (the frame's next picture recomputes it in place).
func (f *VideoFrame) Derived(d *Derivation) any {
	s := &f.derived[d.slot]
	if s.done.Load() {
		return s.val
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.done.Load() {
		s.val = d.compute(f, s.val)
		s.done.Store(true)
	}
	return s.val
}

// String describes the frame for logs.
func (f *VideoFrame) String() string {
	return fmt.Sprintf("video %dx%d pts=%.3f key=%t corrupt=%t", f.Width, f.Height, f.PTS, f.Key, f.Corrupt)
}

// AudioFrame is one block of decoded audio, converted to interleaved float32 in
// [-1, 1] at the stream's own sample rate. Reference counting works as for VideoFrame.
type AudioFrame struct {
	// PTS is the presentation time of the first sample, in seconds from the input's
	// first decoded frame (the same origin as video).
	PTS float64
	// SampleRate is in Hz.
	SampleRate int
	// Channels is the number of interleaved channels.
	Channels int
	// Samples holds Frames()*Channels interleaved samples.
	Samples []float32
	// Seq numbers delivered audio frames of one input from 0.
	Seq uint64

	refs    atomic.Int32
	release func()
}

// NewAudioFrame returns an audio frame over Go-owned samples with one reference.
func NewAudioFrame(sampleRate, channels int, samples []float32, pts float64) *AudioFrame {
	a := &AudioFrame{SampleRate: sampleRate, Channels: channels, Samples: samples, PTS: pts}
	a.refs.Store(1)
	return a
}

// Init resets a to carry new samples with one reference and the given release hook.
func (a *AudioFrame) Init(release func()) {
	a.release = release
	a.refs.Store(1)
}

// Frames returns the number of samples per channel.
func (a *AudioFrame) Frames() int {
	if a.Channels == 0 {
		return 0
	}
	return len(a.Samples) / a.Channels
}

// Duration returns the length of the block in seconds.
func (a *AudioFrame) Duration() float64 {
	if a.SampleRate == 0 {
		return 0
	}
	return float64(a.Frames()) / float64(a.SampleRate)
}

// Retain takes one more reference to a and returns a.
func (a *AudioFrame) Retain() *AudioFrame {
	if a.refs.Add(1) <= 1 {
		panic("media: Retain of a released AudioFrame")
	}
	return a
}

// Release gives back one reference; the last one returns the buffer to its pool.
func (a *AudioFrame) Release() {
	n := a.refs.Add(-1)
	switch {
	case n == 0:
		if r := a.release; r != nil {
			a.release = nil
			r()
		}
	case n < 0:
		panic("media: Release of a released AudioFrame")
	}
}

// Refs reports the current number of references.
func (a *AudioFrame) Refs() int32 { return a.refs.Load() }
