package sim

import (
	"sync"
	"time"

	"github.com/vigil-monitor/vigil/cluster"
)

// runner is an in-memory cluster.Runner: a run decodes its first frame firstFrame
// after it starts.
type runner struct {
	firstFrame time.Duration
	now        func() time.Time

	mu   sync.Mutex
	runs map[string]runInfo
	dead bool
}

type runInfo struct {
	epoch   uint64
	started time.Time
}

func newRunner(firstFrame time.Duration, now func() time.Time) *runner {
	return &runner{firstFrame: firstFrame, now: now, runs: map[string]runInfo{}}
}

func (r *runner) Start(spec cluster.StreamSpec, epoch uint64) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.dead {
		r.runs[spec.ID] = runInfo{epoch: epoch, started: r.now()}
	}
	return nil
}

func (r *runner) Stop(id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.runs, id)
}

func (r *runner) Status() []cluster.StreamStatus {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	out := make([]cluster.StreamStatus, 0, len(r.runs))
	for id, ri := range r.runs {
		st := cluster.StreamStatus{ID: id, Epoch: ri.epoch, State: cluster.RunStarting}
		if ff := ri.started.Add(r.firstFrame); !now.Before(ff) {
			st.State, st.RunningSince = cluster.RunRunning, ff
		}
		out = append(out, st)
	}
	return out
}

// decoding returns the streams whose run has decoded its first frame.
func (r *runner) decoding() map[string]bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	out := make(map[string]bool, len(r.runs))
	for id, ri := range r.runs {
		if !now.Before(ri.started.Add(r.firstFrame)) {
			out[id] = true
		}
	}
	return out
}

// decodes reports whether the run of id has decoded its first frame.
func (r *runner) decodes(id string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	ri, ok := r.runs[id]
	return ok && !r.now().Before(ri.started.Add(r.firstFrame))
}

func (r *runner) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.runs)
}

// kill drops every run, as the death of the process would.
func (r *runner) kill() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.dead = true
	r.runs = map[string]runInfo{}
}
