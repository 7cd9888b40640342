package actors

import (
	"fmt"
	"sync/atomic"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/vigil-monitor/vigil/media/detect"
)

// supervisorActor is a StreamSupervisor: it owns one stream run's Decoder and Detector
// children, keeps the stream's state and open defects, publishes events, and stops
// the run in order — decoder first, then (once the decoder's goroutine has closed the
// input) detectors after they have drained their queues — so that every frame
// reference is released and every C resource freed before the run counts as stopped.
type supervisorActor struct {
	r        *run
	strategy *restartStrategy
	detCfg   detect.Config
	decoder  *actor.PID
	children map[string]bool // live detector children by PID id
	stopping bool
	poisoned bool
	noSignal *detect.Event // the open no_signal defect, if any
}

func newSupervisorActor(r *run, st *restartStrategy, detCfg detect.Config) actor.Producer {
	return func() actor.Actor {
		return &supervisorActor{r: r, strategy: st, detCfg: detCfg, children: make(map[string]bool)}
	}
}

// Receive implements actor.Actor.
func (a *supervisorActor) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *actor.Started:
		a.start(ctx)
	case *loopExited:
		a.maybeFinish(ctx)
	case *inputOpened:
		a.r.node.log.Debug("input opened", "stream", a.r.s.spec.ID, "info", m.Info)
	case *firstFrame:
		a.strategy.reset()
		a.endNoSignal()
		a.r.s.mu.Lock()
		if a.r.s.runningSince.IsZero() {
			a.r.s.runningSince = a.r.node.cfg.Clock.Now()
		}
		a.r.s.mu.Unlock()
		a.setState(Running, "")
	case *inputFailed:
		a.inputFailed(ctx, m.Err)
	case *inputEnded:
		a.beginStop(ctx)
	case *stopStream:
		a.beginStop(ctx)
	case *actor.Terminated:
		if a.decoder != nil && m.Who.Equal(a.decoder) {
			a.decoder = nil
		}
		delete(a.children, m.Who.Id)
		a.maybeFinish(ctx)
	case *actor.Stopped:
		a.strategy.stop()
		a.endNoSignal()
		a.r.s.finish()
		a.r.node.publish(a.r.s, Event{Kind: StateEvent, State: Stopped, Err: a.r.s.status().LastError})
	}
}

func (a *supervisorActor) start(ctx actor.Context) {
	r := a.r
	dets, err := r.node.cfg.Detectors(a.detCfg)
	if err != nil {
		// Start validated the configuration; reaching this is a bug.
		r.s.setState(Stopped, fmt.Sprintf("detectors: %v", err))
		ctx.Stop(ctx.Self())
		return
	}
	for i, d := range dets {
		typ := d.Type()
		_, video := d.(detect.VideoDetector)
		_, audio := d.(detect.AudioDetector)
		dropped := new(atomic.Uint64)
		r.s.mu.Lock()
		r.s.dropped[typ] = dropped
		r.s.mu.Unlock()
		first := d // the first incarnation reuses the detector built here
		idx := i
		props := actor.PropsFromProducer(newDetectorActor(func() (detect.Detector, error) {
			if first != nil {
				d := first
				first = nil
				return d, nil
			}
			all, err := r.node.cfg.Detectors(a.detCfg)
			if err != nil {
				return nil, err
			}
			for j, o := range all {
				if j != idx {
					o.Close(0, func(detect.Event) {}) // releases what it holds
				}
			}
			return all[idx], nil
		}, r.defect), actor.WithMailbox(newFrameMailbox), actor.WithDispatcher(detectorDispatcher(r.node.cfg.Mode)))
		pid := ctx.Spawn(props)
		a.children[pid.Id] = true
		slot := newDetectorSlot(typ, pid, video, audio, r.node.cfg.QueueDepth, dropped, &r.s.outstanding)
		r.slots = append(r.slots, slot)
		if video {
			r.video = append(r.video, slot)
		}
		if audio {
			r.audio = append(r.audio, slot)
		}
	}
	a.decoder = ctx.Spawn(actor.PropsFromProducer(newDecoderActor(r)))
}

func (a *supervisorActor) setState(st State, errText string) {
	if a.r.s.setState(st, errText) {
		a.r.node.publish(a.r.s, Event{Kind: StateEvent, State: st, Err: errText})
	}
}

func (a *supervisorActor) inputFailed(ctx actor.Context, err error) {
	s := a.r.s
	a.r.node.log.Warn("input failed", "stream", s.spec.ID, "err", err)
	if a.r.node.cfg.Mode == Scan || a.stopping {
		s.setState(s.status().State, err.Error())
		a.beginStop(ctx)
		return
	}
	s.mu.Lock()
	s.restarts++
	s.mu.Unlock()
	at := a.r.lastPTS()
	for _, d := range a.r.slots {
		ctx.Send(d.pid, &flushDetector{At: at})
	}
	if a.noSignal == nil {
		e := detect.Event{Type: detect.NoSignal, Start: at, Score: 1, Severity: detect.Error, Detail: err.Error()}
		a.noSignal = &e
		a.defect(e)
	}
	a.setState(Retrying, err.Error())
}

func (a *supervisorActor) endNoSignal() {
	if a.noSignal == nil {
		return
	}
	e := *a.noSignal
	a.noSignal = nil
	e.Ended = true
	e.End = max(a.r.lastPTS(), e.Start)
	a.defect(e)
}

// defect records an event of the stream (see run.defect).
func (a *supervisorActor) defect(e detect.Event) { a.r.defect(e) }

func (a *supervisorActor) beginStop(ctx actor.Context) {
	if !a.stopping {
		a.stopping = true
		a.strategy.stop()
		if a.decoder != nil {
			ctx.Stop(a.decoder)
		}
	}
	a.maybeFinish(ctx)
}

// maybeFinish advances an orderly stop: once the decoder and its goroutine are gone,
// detectors close their open defects and drain their queues (Poison is queued behind
// the frames); once they are gone too, the supervisor stops itself.
func (a *supervisorActor) maybeFinish(ctx actor.Context) {
	if !a.stopping || a.decoder != nil || a.r.loops.Load() > 0 {
		return
	}
	if !a.poisoned {
		a.poisoned = true
		at := a.r.lastPTS()
		for _, d := range a.r.slots {
			if a.children[d.pid.Id] {
				ctx.Send(d.pid, &flushDetector{At: at})
				ctx.Poison(d.pid)
			}
		}
	}
	if len(a.children) == 0 {
		ctx.Stop(ctx.Self())
	}
}
