package cluster

import (
	"slices"
	"time"

	"github.com/vigil-monitor/vigil/cluster/table"
)

// StreamSpec is a stream as assigned by an operator.
type StreamSpec = table.Spec

// RunState is where one local run of a stream is.
type RunState int

// Run states, as the Runner reports them.
const (
	// RunStarting: opening the input; no frame decoded yet.
	RunStarting RunState = iota + 1
	// RunRunning: decoding.
	RunRunning
	// RunRetrying: the input failed; retrying with backoff.
	RunRetrying
	// RunStopped: stopped (or not running at all).
	RunStopped
)

// String names s as in `vigil streams ls`.
func (s RunState) String() string {
	switch s {
	case RunStarting:
		return "starting"
	case RunRunning:
		return "running"
	case RunRetrying:
		return "retrying"
	case RunStopped:
		return "stopped"
	}
	return "unknown"
}

// StreamStatus is how one local run of a stream is doing.
type StreamStatus struct {
	// ID is the stream's id.
	ID string
	// Epoch is the epoch the run was started with.
	Epoch uint64
	// State is where the run is.
	State RunState
	// RunningSince is when the run decoded its first frame; zero before. A non-zero
	// RunningSince is what lets the previous owner of a moved stream stop.
	RunningSince time.Time
	// Restarts counts reconnects to the input in this run.
	Restarts uint64
	// Defects counts defects reported in this run.
	Defects uint64
	// LastError is the last input error, if any.
	LastError string
}

// Runner runs streams on this node: the actor side implements it (cmd/vigil wires
// the NodeActor to it), and cluster calls it from one goroutine at a time.
//
// Start and Stop must not block on the stream's input: Start begins opening it in
// the background and returns; Stop asks the run to end and returns (the run may
// take a moment to wind down; it must not report first frames after Stop). A
// Start for a stream already running replaces the run. Status returns the state of
// every run that has not been stopped; the Runner owns nothing it returns.
type Runner interface {
	// Start runs spec. epoch identifies the run: it goes on every event the run
	// emits so that consumers can drop duplicates from an older owner. An error
	// means the run could not even begin (cluster retries later).
	Start(spec StreamSpec, epoch uint64) error
	// Stop ends the run of stream id, if any.
	Stop(id string)
	// Status reports every current run.
	Status() []StreamStatus
}

func slicesKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
