package actors

import (
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vigil-monitor/vigil/media"
	"github.com/vigil-monitor/vigil/media/detect"
)

// stream is the node's shared record of one stream run: written by its supervisor
// actor and decoder goroutine, read by Node.Status. Everything mutable is behind mu
// or atomic.
type stream struct {
	spec StreamSpec
	done chan struct{} // closed when the run has stopped and released everything

	input       atomic.Pointer[media.Input]
	outstanding atomic.Int64 // frame references handed to detectors and not yet released
	detRestarts atomic.Uint64

	mu           sync.Mutex
	state        State
	runningSince time.Time
	restarts     int
	lastErr      string
	frames       uint64      // video frames decoded by earlier runs of the input
	stats        media.Stats // last stats of the previous input, kept after it closed
	open         map[detect.Type]detect.Event
	defects      map[detect.Type]uint64
	dropped      map[detect.Type]*atomic.Uint64 // per detector, filled when the supervisor starts
	finished     bool
}

func newStream(spec StreamSpec) *stream {
	return &stream{
		spec:    spec,
		done:    make(chan struct{}),
		state:   Starting,
		dropped: make(map[detect.Type]*atomic.Uint64),
		open:    make(map[detect.Type]detect.Event),
		defects: make(map[detect.Type]uint64),
	}
}

// setState records a new state and reports whether it changed.
func (s *stream) setState(st State, errText string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if errText != "" {
		s.lastErr = errText
	}
	if s.state == st {
		return false
	}
	s.state = st
	return true
}

func (s *stream) status() Status {
	st := Status{Spec: s.spec, DetectorRestarts: s.detRestarts.Load()}
	in := s.input.Load()
	s.mu.Lock()
	defer s.mu.Unlock()
	st.Dropped = make(map[detect.Type]uint64, len(s.dropped))
	for t, c := range s.dropped {
		st.Dropped[t] = c.Load()
	}
	st.State = s.state
	st.RunningSince = s.runningSince
	st.Restarts = s.restarts
	st.LastError = s.lastErr
	st.Media = s.stats
	if in != nil {
		st.Media = in.Stats()
	}
	st.Media.VideoFrames += s.frames
	st.Defects = maps.Clone(s.defects)
	st.Open = slices.SortedFunc(maps.Values(s.open), func(a, b detect.Event) int {
		switch {
		case a.Start < b.Start:
			return -1
		case a.Start > b.Start:
			return 1
		}
		return 0
	})
	return st
}

// inputClosed folds the counters of a closed input into the stream's totals.
func (s *stream) inputClosed(in *media.Input) {
	st := in.Stats()
	s.input.CompareAndSwap(in, nil)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.frames += st.VideoFrames
	st.VideoFrames = 0
	s.stats = st
}

func (s *stream) finish() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.finished {
		return
	}
	s.finished = true
	s.state = Stopped
	close(s.done)
}
