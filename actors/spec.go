package actors

import (
	"fmt"
	"maps"
	"time"

	"github.com/vigil-monitor/vigil/media"
	"github.com/vigil-monitor/vigil/media/detect"
)

// StreamSpec says what to monitor and how.
type StreamSpec struct {
	// ID names the stream uniquely within the cluster.
	ID string
	// URL is the input, in any form media.Open accepts.
	URL string
	// Thresholds override detector defaults by key (see detect.Config.Set).
	Thresholds map[string]float64
	// Labels are free-form tags carried on events.
	Labels map[string]string
	// Epoch is the ownership epoch the cluster assigned to this node's run of the
	// stream; it is stamped on every event so duplicates can be told apart.
	Epoch uint64
}

// Equal reports whether two specs describe the same run.
func (s StreamSpec) Equal(o StreamSpec) bool {
	return s.ID == o.ID && s.URL == o.URL && s.Epoch == o.Epoch &&
		maps.Equal(s.Thresholds, o.Thresholds) && maps.Equal(s.Labels, o.Labels)
}

// State is where a stream is in its life on this node.
type State string

// Stream states. The values are part of vigil's output contract.
const (
	// Starting: the input is being opened and no frame has been decoded yet.
	Starting State = "starting"
	// Running: frames are being decoded and analysed.
	Running State = "running"
	// Retrying: the input failed; the decoder restarts after a backoff.
	Retrying State = "retrying"
	// Stopped: the stream ended (stopped, end of input in scan mode, or failed).
	Stopped State = "stopped"
)

// Status is a snapshot of one stream on this node.
type Status struct {
	// Spec is what the stream runs.
	Spec StreamSpec
	// State is the current state.
	State State
	// RunningSince is when the current run decoded its first frame (zero before).
	RunningSince time.Time
	// Restarts counts decoder restarts after input failures.
	Restarts int
	// LastError is the most recent input error, empty when none.
	LastError string
	// Media holds the input's counters (frames, errors, bitrate, resolution …).
	Media media.Stats
	// Dropped counts frames each detector skipped because it was behind (Live mode).
	Dropped map[detect.Type]uint64
	// DetectorRestarts counts detector restarts after a panic.
	DetectorRestarts uint64
	// Defects counts the defects that started, by type, over the stream's life on
	// this node.
	Defects map[detect.Type]uint64
	// Open lists the defects that have started and not yet ended.
	Open []detect.Event
}

// String describes the status for logs.
func (s Status) String() string {
	return fmt.Sprintf("%s %s frames=%d open=%d", s.Spec.ID, s.State, s.Media.VideoFrames, len(s.Open))
}
