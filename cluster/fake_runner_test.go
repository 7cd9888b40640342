package cluster

import (
	"errors"
	"sync"
	"time"
)

// fakeRunner is an in-memory Runner: a run "decodes its first frame" firstFrame
// after it starts. It keeps a log of what happened for the tests to check.
type fakeRunner struct {
	node       string
	firstFrame time.Duration

	mu      sync.Mutex
	runs    map[string]*fakeRun
	dead    bool
	failing map[string]bool
	log     []runEvent
}

type fakeRun struct {
	spec    StreamSpec
	epoch   uint64
	started time.Time
}

// runEvent is a start or a stop, as the fake saw it.
type runEvent struct {
	node  string
	id    string
	start bool
	epoch uint64
	at    time.Time
}

func newFakeRunner(node string, firstFrame time.Duration) *fakeRunner {
	return &fakeRunner{node: node, firstFrame: firstFrame, runs: map[string]*fakeRun{}, failing: map[string]bool{}}
}

var errFakeDead = errors.New("fake runner: process dead")

func (f *fakeRunner) Start(spec StreamSpec, epoch uint64) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.dead {
		return errFakeDead
	}
	if f.failing[spec.ID] {
		return errors.New("fake runner: cannot start " + spec.ID)
	}
	now := time.Now()
	f.runs[spec.ID] = &fakeRun{spec: spec, epoch: epoch, started: now}
	f.log = append(f.log, runEvent{node: f.node, id: spec.ID, start: true, epoch: epoch, at: now})
	return nil
}

func (f *fakeRunner) Stop(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.runs[id]; ok {
		delete(f.runs, id)
		f.log = append(f.log, runEvent{node: f.node, id: id, at: time.Now()})
	}
}

func (f *fakeRunner) Status() []StreamStatus {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := time.Now()
	var out []StreamStatus
	for id, r := range f.runs {
		st := StreamStatus{ID: id, Epoch: r.epoch, State: RunStarting}
		if ff := r.started.Add(f.firstFrame); !now.Before(ff) {
			st.State, st.RunningSince = RunRunning, ff
		}
		out = append(out, st)
	}
	return out
}

// kill makes the fake behave like a dead process: its runs vanish.
func (f *fakeRunner) kill() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.dead = true
	f.runs = map[string]*fakeRun{}
}

// running returns the ids this runner runs, with their start times.
func (f *fakeRunner) running() map[string]fakeRun {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string]fakeRun{}
	for id, r := range f.runs {
		out[id] = *r
	}
	return out
}

func (f *fakeRunner) events() []runEvent {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]runEvent(nil), f.log...)
}

var _ Runner = (*fakeRunner)(nil)
