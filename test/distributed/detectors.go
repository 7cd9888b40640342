package distributed

import (
	"fmt"
	"log/slog"
	"sync"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/remote"

	"github.com/vigil-monitor/vigil/media/detect"
	"github.com/vigil-monitor/vigil/test/distributed/framepb"
)

// ingestName is the registered name of a detector node's ingest actor.
const ingestName = "ingest"

// DetectorNode is the detector side of the distributed design: an actor system
// reachable over protoactor-go remote whose ingest actor receives a decoder node's
// Hello, spawns one detector actor per detector of cfg, and then receives serialised
// frames, rebuilds them as media frames and runs the detectors on them. It serves one
// decoder run. Close may be called from any goroutine and is idempotent.
type DetectorNode struct {
	system  *actor.ActorSystem
	quiet   func()
	remote  *remote.Remote
	traffic Traffic
	once    sync.Once
}

// StartDetectorNode starts a detector node on a loopback port with detector
// configuration cfg.
func StartDetectorNode(cfg detect.Config, log *slog.Logger) (*DetectorNode, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("detector config: %w", err)
	}
	n := &DetectorNode{}
	n.system, n.quiet = newActorSystem(log)
	r, err := startRemote(n.system, &n.traffic)
	if err != nil {
		n.system.Shutdown()
		return nil, err
	}
	n.remote = r
	props := actor.PropsFromProducer(func() actor.Actor {
		return &ingestActor{cfg: cfg, log: log.With("component", "ingest"), finished: n.quiet}
	})
	if _, err := n.system.Root.SpawnNamed(props, ingestName); err != nil {
		n.Close()
		return nil, fmt.Errorf("spawn ingest actor: %w", err)
	}
	return n, nil
}

// Address is the node's remote address (host:port), which a decoder node dials.
func (n *DetectorNode) Address() string { return n.system.Address() }

// Traffic counts the bytes of the connections this node dialed (acks and defects
// going back to the decoder node).
func (n *DetectorNode) Traffic() *Traffic { return &n.traffic }

// Close stops the remote and the actor system.
func (n *DetectorNode) Close() {
	n.once.Do(func() {
		n.quiet()
		stopRemote(n.remote)
		n.system.Shutdown()
	})
}

// dest is one detector child of the ingest actor.
type dest struct {
	pid          *actor.PID
	typ          detect.Type
	video, audio bool
}

// ingestActor receives a decoder node's frames. With Hello.per_detector unset it
// rebuilds each frame once and hands it by reference to every detector child that
// wants it, acknowledging the frame when the last child releases it; otherwise the
// decoder node sends frames to the children directly and this actor only opens and
// ends the run.
type ingestActor struct {
	cfg      detect.Config
	log      *slog.Logger
	replyTo  *actor.PID
	dests    []dest
	flushing int
	counts   framepb.Finished
	// finished runs once the run is over: the decoder node is about to leave, and
	// protoactor would log its going as a lost connection.
	finished func()
}

// Receive implements actor.Actor.
func (a *ingestActor) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *framepb.Hello:
		a.hello(ctx, m)
	case *framepb.VideoFrame:
		f := videoFromProto(m)
		f.Init(a.acker(ctx))
		for _, d := range a.dests {
			if d.video {
				ctx.Send(d.pid, &localVideo{f: f.Retain()})
			}
		}
		f.Release()
	case *framepb.AudioFrame:
		f := audioFromProto(m)
		f.Init(a.acker(ctx))
		for _, d := range a.dests {
			if d.audio {
				ctx.Send(d.pid, &localAudio{a: f.Retain()})
			}
		}
		f.Release()
	case *framepb.End:
		a.flushing = len(a.dests)
		a.counts = framepb.Finished{}
		for _, d := range a.dests {
			ctx.Request(d.pid, &flush{at: m.At})
		}
		a.maybeFinished(ctx)
	case *flushed:
		a.flushing--
		if m.video && (a.counts.VideoFrames == 0 || m.videoFrames < a.counts.VideoFrames) {
			a.counts.VideoFrames = m.videoFrames
		}
		if m.audio && (a.counts.AudioFrames == 0 || m.audioFrames < a.counts.AudioFrames) {
			a.counts.AudioFrames = m.audioFrames
		}
		a.maybeFinished(ctx)
	}
}

// acker returns the release hook of a rebuilt frame: one Ack to the decoder node. It
// runs on the goroutine of whichever detector releases the frame last.
func (a *ingestActor) acker(ctx actor.Context) func() {
	root, to := ctx.ActorSystem().Root, a.replyTo
	return func() { root.Send(to, &framepb.Ack{Frames: 1}) }
}

func (a *ingestActor) hello(ctx actor.Context, m *framepb.Hello) {
	if a.replyTo != nil {
		a.log.Warn("second hello ignored: a detector node serves one run", "from", m.ReplyToAddress)
		return
	}
	a.replyTo = actor.NewPID(m.ReplyToAddress, m.ReplyToId)
	dets, err := detect.New(a.cfg)
	if err != nil {
		// StartDetectorNode validated cfg; reaching this is a bug.
		a.log.Error("build detectors", "err", err)
		return
	}
	welcome := &framepb.Welcome{}
	for _, d := range dets {
		_, video := d.(detect.VideoDetector)
		_, audio := d.(detect.AudioDetector)
		props := actor.PropsFromProducer(newDetectorActor(d, a.replyTo))
		pid, err := ctx.SpawnNamed(props, "det-"+string(d.Type()))
		if err != nil {
			a.log.Error("spawn detector actor", "type", d.Type(), "err", err)
			return
		}
		a.dests = append(a.dests, dest{pid: pid, typ: d.Type(), video: video, audio: audio})
		welcome.Detectors = append(welcome.Detectors, &framepb.Destination{
			Id: pid.Id, Type: string(d.Type()), Video: video, Audio: audio,
		})
	}
	ctx.Send(a.replyTo, welcome)
}

func (a *ingestActor) maybeFinished(ctx actor.Context) {
	if a.flushing == 0 {
		ctx.Send(a.replyTo, &a.counts)
		a.finished()
	}
}
