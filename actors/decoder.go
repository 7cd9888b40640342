package actors

import (
	"context"
	"errors"
	"math"
	"sync/atomic"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/vigil-monitor/vigil/media"
	"github.com/vigil-monitor/vigil/media/detect"
)

// errInputEnded is how a live stream sees its input end: the source went away and
// will be reconnected like any other failure.
var errInputEnded = errors.New("actors: input ended")

// run is everything one stream run shares between its supervisor, its decoder actor
// and the decoder's goroutine. Fields are set before the decoder is spawned and
// read-only afterwards, except the atomics.
type run struct {
	node   *Node
	s      *stream
	media  media.Config
	slots  []*detectorSlot
	video  []*detectorSlot
	audio  []*detectorSlot
	loops  atomic.Int32  // decoder goroutines running (0 or 1)
	pts    atomic.Uint64 // float64 bits of the latest media time seen
	offset atomic.Uint64 // float64 bits: media time the next input starts at
}

// defect records an event in the stream's open set and publishes it. Detector actors
// call it directly rather than sending it to the supervisor: protoactor delivers a
// child's Terminated (a system message) ahead of user messages still queued, so an
// event a detector emits while it closes on the way out would otherwise be dropped
// with the stopping supervisor's mailbox. Safe for concurrent use.
func (r *run) defect(e detect.Event) {
	s := r.s
	s.mu.Lock()
	if e.Ended {
		delete(s.open, e.Type)
	} else {
		s.open[e.Type] = e
		s.defects[e.Type]++
	}
	s.mu.Unlock()
	r.node.publish(s, Event{Kind: DefectEvent, Defect: e})
}

func (r *run) lastPTS() float64 { return math.Float64frombits(r.pts.Load()) }

func (r *run) notePTS(t float64) {
	if t > r.lastPTS() {
		r.pts.Store(math.Float64bits(t))
	}
}

// decoderActor owns the goroutine that opens the input and runs FFmpeg's blocking
// demux/decode loop. Receive never blocks: it starts and cancels the goroutine, and
// turns the goroutine's failure report into an actor failure so that the supervisor's
// strategy restarts it after a backoff.
type decoderActor struct {
	r      *run
	cancel context.CancelFunc
}

func newDecoderActor(r *run) actor.Producer {
	return func() actor.Actor { return &decoderActor{r: r} }
}

// Receive implements actor.Actor.
func (d *decoderActor) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *actor.Started:
		lctx, cancel := context.WithCancel(context.Background())
		d.cancel = cancel
		d.r.loops.Add(1)
		d.r.node.wg.Add(1)
		go d.loop(lctx, ctx.Self(), ctx.Parent())
	case *inputFailed:
		ctx.Send(ctx.Parent(), m)
		if d.r.node.cfg.Mode == Live {
			panic(&inputFailure{err: m.Err})
		}
	case *actor.Stopping, *actor.Restarting:
		if d.cancel != nil {
			d.cancel()
		}
	}
}

// loop opens the input and decodes it until it ends, fails or ctx is cancelled. It
// owns the input: the input is closed before the supervisor hears loopExited.
func (d *decoderActor) loop(ctx context.Context, self, parent *actor.PID) {
	r := d.r
	root := r.node.system.Root
	defer r.node.wg.Done()
	defer func() {
		r.loops.Add(-1)
		root.Send(parent, &loopExited{})
	}()

	cfg := r.media
	cfg.StartAt = math.Float64frombits(r.offset.Load())
	in, err := media.Open(ctx, r.s.spec.URL, cfg)
	if err != nil {
		if ctx.Err() == nil {
			root.Send(self, &inputFailed{Err: err})
		}
		return
	}
	r.s.input.Store(in)
	defer func() {
		r.s.inputClosed(in)
		in.Close()
	}()
	root.Send(parent, &inputOpened{Info: in.Info()})

	sink := &fanout{r: r, ctx: ctx, parent: parent, wait: r.node.cfg.Mode == Scan}
	err = in.Run(ctx, sink)
	// The next input of this stream continues the media timeline after a pause.
	r.offset.Store(math.Float64bits(r.lastPTS() + 1))
	switch {
	case ctx.Err() != nil:
	case err != nil:
		root.Send(self, &inputFailed{Err: err})
	case r.node.cfg.Mode == Live:
		root.Send(self, &inputFailed{Err: errInputEnded})
	default:
		root.Send(parent, &inputEnded{At: r.lastPTS()})
	}
}

// fanout is the decoder's media.Sink: it hands each frame, by reference, to every
// detector that wants it.
type fanout struct {
	r      *run
	ctx    context.Context
	parent *actor.PID
	wait   bool
	first  bool
}

var _ media.Sink = (*fanout)(nil)

func (s *fanout) seen(pts float64) {
	s.r.notePTS(pts)
	if !s.first {
		s.first = true
		s.r.node.system.Root.Send(s.parent, &firstFrame{})
	}
}

// Video implements media.Sink.
func (s *fanout) Video(f *media.VideoFrame) {
	s.seen(f.PTS)
	root := s.r.node.system.Root
	for _, d := range s.r.video {
		if !d.acquire(s.ctx, s.wait) {
			continue
		}
		m := d.videoMsg()
		m.f = f.Retain()
		root.Send(d.pid, m)
	}
	f.Release()
}

// Audio implements media.Sink.
func (s *fanout) Audio(a *media.AudioFrame) {
	s.seen(a.PTS)
	root := s.r.node.system.Root
	for _, d := range s.r.audio {
		if !d.acquire(s.ctx, s.wait) {
			continue
		}
		m := d.audioMsg()
		m.a = a.Retain()
		root.Send(d.pid, m)
	}
	a.Release()
}
