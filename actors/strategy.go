package actors

import (
	"log/slog"
	"sync"
	"time"

	"github.com/asynkron/protoactor-go/actor"
)

// restartStrategy is a stream supervisor's protoactor SupervisorStrategy:
//   - a Decoder that fails with an input failure is restarted after an exponential
//     backoff (Backoff.Initial doubling to Backoff.Max), counted until the input
//     decodes again;
//   - any other child (a Detector) that panics is restarted alone, at once; one that
//     keeps panicking (more than maxDetectorFailures in detectorWindow) is stopped.
type restartStrategy struct {
	backoff Backoff
	clock   Clock
	log     *slog.Logger
	s       *stream

	mu       sync.Mutex
	failures int
	pending  func() bool
	stopped  bool
}

const (
	maxDetectorFailures = 5
	detectorWindow      = time.Minute
)

var _ actor.SupervisorStrategy = (*restartStrategy)(nil)

// HandleFailure implements actor.SupervisorStrategy. It runs on the supervisor's
// mailbox goroutine and never blocks: a delayed restart is scheduled on the clock.
func (st *restartStrategy) HandleFailure(_ *actor.ActorSystem, sup actor.Supervisor, child *actor.PID, rs *actor.RestartStatistics, reason, _ any) {
	if f, ok := reason.(*inputFailure); ok {
		st.mu.Lock()
		defer st.mu.Unlock()
		if st.stopped {
			sup.StopChildren(child)
			return
		}
		st.failures++
		d := st.backoff.Delay(st.failures)
		st.log.Info("input failed; restarting decoder", "after", d, "attempt", st.failures, "err", f.err)
		st.pending = st.clock.AfterFunc(d, func() { sup.RestartChildren(child) })
		return
	}
	st.s.detRestarts.Add(1)
	rs.Fail()
	if rs.NumberOfFailures(detectorWindow) > maxDetectorFailures {
		st.log.Error("detector keeps failing; stopping it", "child", child.Id, "reason", reason)
		sup.StopChildren(child)
		return
	}
	st.log.Warn("detector panicked; restarting it", "child", child.Id, "reason", reason)
	sup.RestartChildren(child)
}

// reset forgets past input failures once the input decodes again.
func (st *restartStrategy) reset() {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.failures = 0
}

// stop cancels a pending restart; later input failures stop the decoder instead.
func (st *restartStrategy) stop() {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.stopped = true
	if st.pending != nil {
		st.pending()
		st.pending = nil
	}
}
