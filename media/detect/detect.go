// Package detect holds vigil's defect detectors: pure state machines that look at
// decoded pictures and audio and report when a defect a viewer would notice starts and
// ends. Detectors do no I/O, start no goroutines and read time only from the frames.
package detect

import (
	"fmt"

	"github.com/vigil-monitor/vigil/media"
)

// Type names a kind of defect. The values are part of vigil's output contract.
type Type string

// The defect types vigil reports.
const (
	Black       Type = "black"
	Freeze      Type = "freeze"
	Blockiness  Type = "blockiness"
	Blur        Type = "blur"
	Silence     Type = "silence"
	Clipping    Type = "clipping"
	Loudness    Type = "loudness"
	AVSync      Type = "av_sync"
	NoSignal    Type = "no_signal"
	DecodeError Type = "decode_error"
)

// Types lists every defect type in a stable order.
var Types = []Type{Black, Freeze, Blockiness, Blur, Silence, Clipping, Loudness, AVSync, NoSignal, DecodeError}

// ParseType returns the Type named s.
func ParseType(s string) (Type, error) {
	for _, t := range Types {
		if string(t) == s {
			return t, nil
		}
	}
	return "", fmt.Errorf("detect: unknown defect type %q", s)
}

// Severity grades a defect for whoever is alerted.
type Severity string

// Severities, from least to most urgent.
const (
	Warning Severity = "warning"
	Error   Severity = "error"
)

// Event is the start or the end of one defect.
//
// A detector emits a start event (Ended false) the moment a defect has lasted long
// enough to count, with Start set to the media time at which it began, and an end
// event (Ended true) with the same Start, End and the peak score over the whole defect.
type Event struct {
	// Type is the kind of defect.
	Type Type
	// Ended is false for the start of a defect and true for its end.
	Ended bool
	// Start is the media time in seconds (from the input's first decoded frame) at
	// which the defect began.
	Start float64
	// End is the media time in seconds at which the defect ended; set when Ended.
	End float64
	// Score is the peak strength of the defect so far, in [0, 1].
	Score float64
	// Severity grades the defect.
	Severity Severity
	// Value is the detector's measured quantity at the peak where one applies (for
	// example integrated loudness in LUFS or the audio/video offset in seconds).
	Value float64
	// Detail is a short human-readable explanation.
	Detail string
}

// String formats the event for logs.
func (e Event) String() string {
	if e.Ended {
		return fmt.Sprintf("%s end start=%.3f end=%.3f score=%.2f", e.Type, e.Start, e.End, e.Score)
	}
	return fmt.Sprintf("%s start start=%.3f score=%.2f", e.Type, e.Start, e.Score)
}

// Emit receives events from a detector. It is called synchronously from the detector's
// Video, Audio or Close method and must not retain the detector.
type Emit func(Event)

// Detector is one defect detector for one stream. A detector is used by one goroutine
// at a time; it is not safe for concurrent use.
type Detector interface {
	// Type is the defect type the detector reports.
	Type() Type
	// Close ends any defect still open at media time at (end of input or stream stop)
	// and emits its end event. The detector may be used again afterwards as if new.
	Close(at float64, emit Emit)
}

// VideoDetector looks at pictures. Video must not retain f, its planes or slices of
// them after it returns; a detector that needs history copies what it needs.
type VideoDetector interface {
	Detector
	Video(f *media.VideoFrame, emit Emit)
}

// AudioDetector listens to audio. Audio must not retain a or its samples after it
// returns.
type AudioDetector interface {
	Detector
	Audio(a *media.AudioFrame, emit Emit)
}
