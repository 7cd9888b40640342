package distributed

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"google.golang.org/protobuf/proto"

	"github.com/vigil-monitor/vigil/media"
	"github.com/vigil-monitor/vigil/media/detect"
	"github.com/vigil-monitor/vigil/test/distributed/framepb"
)

// ErrNoReply is returned when the detector node does not answer in time.
var ErrNoReply = errors.New("distributed: no reply from the detector node")

// maxInFlight bounds DecoderConfig.Window times the number of destinations; it is the
// capacity of the channel acks arrive on, so that the actor receiving them never blocks.
const maxInFlight = 4096

// DecoderConfig configures RunDecoder.
type DecoderConfig struct {
	// Clip is the input, in any form media.Open accepts with Media.
	Clip string
	// Peer is the detector node's remote address (DetectorNode.Address).
	Peer string
	// PerDetector sends every frame to each detector actor that wants it, one
	// serialised copy per detector, as a design with one service per detector would;
	// otherwise each frame is sent once and fanned out by reference on the detector node.
	PerDetector bool
	// Window is how many frames may be in flight to one destination before the decoder
	// waits, the counterpart of actors.Config.QueueDepth.
	Window int
	// Media configures the input.
	Media media.Config
	// ReplyTimeout bounds each wait for the detector node (Welcome, the last acks,
	// Finished).
	ReplyTimeout time.Duration
	// Logger receives warnings and protoactor's logs.
	Logger *slog.Logger
}

// DecoderResult is what a decoder node saw of one run.
type DecoderResult struct {
	// VideoFrames and AudioFrames were decoded and sent.
	VideoFrames, AudioFrames uint64
	// AnalysedVideo and AnalysedAudio are the fewest frames any one video (audio)
	// detector analysed, as the detector node reported.
	AnalysedVideo, AnalysedAudio uint64
	// MediaSeconds is the media time covered (the latest frame time seen).
	MediaSeconds float64
	// Defects are the events the detectors sent back, in arrival order.
	Defects []detect.Event
	// PayloadBytes is the size of the serialised frame messages sent.
	PayloadBytes int64
	// Written and Read count the bytes of the connections this node dialed.
	Written, Read int64
}

// RunDecoder decodes cfg.Clip and sends every frame to the detector node at cfg.Peer,
// serialised, then waits until the detector node has analysed all of them and sent
// back its defects.
func RunDecoder(ctx context.Context, cfg DecoderConfig) (DecoderResult, error) {
	if cfg.Window < 1 {
		return DecoderResult{}, fmt.Errorf("distributed: window %d: must be at least 1", cfg.Window)
	}
	var traffic Traffic
	system, quiet := newActorSystem(cfg.Logger)
	defer system.Shutdown()
	r, err := startRemote(system, &traffic)
	if err != nil {
		return DecoderResult{}, err
	}
	defer func() {
		quiet()
		stopRemote(r)
	}()

	c := &collector{welcome: make(chan *framepb.Welcome, 1), acks: make(chan uint32, maxInFlight),
		done: make(chan outcome, 1)}
	self, err := system.Root.SpawnNamed(actor.PropsFromProducer(func() actor.Actor { return c }), "collector")
	if err != nil {
		return DecoderResult{}, fmt.Errorf("spawn collector: %w", err)
	}
	ingest := actor.NewPID(cfg.Peer, ingestName)
	system.Root.Send(ingest, &framepb.Hello{ReplyToAddress: self.Address, ReplyToId: self.Id, PerDetector: cfg.PerDetector})
	welcome, err := wait(ctx, c.welcome, cfg.ReplyTimeout, "welcome")
	if err != nil {
		return DecoderResult{}, err
	}

	s := &remoteSink{ctx: ctx, root: system.Root, acks: c.acks}
	for _, d := range welcome.Detectors {
		if !cfg.PerDetector {
			break
		}
		pid := actor.NewPID(cfg.Peer, d.Id)
		if d.Video {
			s.video = append(s.video, pid)
		}
		if d.Audio {
			s.audio = append(s.audio, pid)
		}
	}
	if !cfg.PerDetector {
		s.video, s.audio = []*actor.PID{ingest}, []*actor.PID{ingest}
	}
	s.limit = cfg.Window * max(len(s.video), len(s.audio))
	if s.limit > maxInFlight {
		return DecoderResult{}, fmt.Errorf("distributed: window %d too large for %d destinations", cfg.Window, len(s.video))
	}

	in, err := media.Open(ctx, cfg.Clip, cfg.Media)
	if err != nil {
		return DecoderResult{}, fmt.Errorf("open input: %w", err)
	}
	err = in.Run(ctx, s)
	in.Close()
	if err != nil {
		return DecoderResult{}, fmt.Errorf("decode: %w", err)
	}
	if err := s.drain(cfg.ReplyTimeout); err != nil {
		return DecoderResult{}, err
	}
	system.Root.Send(ingest, &framepb.End{At: s.lastPTS})
	out, err := wait(ctx, c.done, cfg.ReplyTimeout, "finished")
	if err != nil {
		return DecoderResult{}, err
	}
	return DecoderResult{
		VideoFrames: s.videoFrames, AudioFrames: s.audioFrames,
		AnalysedVideo: out.finished.VideoFrames, AnalysedAudio: out.finished.AudioFrames,
		MediaSeconds: s.lastPTS, Defects: out.defects, PayloadBytes: s.payload,
		Written: traffic.Written.Load(), Read: traffic.Read.Load(),
	}, nil
}

// wait receives one value from ch, giving up after d or when ctx ends.
func wait[T any](ctx context.Context, ch <-chan T, d time.Duration, what string) (T, error) {
	t := time.NewTimer(d)
	defer t.Stop()
	var zero T
	select {
	case v := <-ch:
		return v, nil
	case <-t.C:
		return zero, fmt.Errorf("%w: waited %s for %s", ErrNoReply, d, what)
	case <-ctx.Done():
		return zero, ctx.Err()
	}
}

// outcome is a finished run as the collector saw it.
type outcome struct {
	finished *framepb.Finished
	defects  []detect.Event
}

// collector is the decoder node's only actor: the detector node's replies arrive here
// and go on to RunDecoder through channels that never block it (acks: at most the
// in-flight limit are ever outstanding; welcome and done: one each per run).
type collector struct {
	welcome chan *framepb.Welcome
	acks    chan uint32
	done    chan outcome
	defects []detect.Event
}

// Receive implements actor.Actor.
func (c *collector) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *framepb.Welcome:
		select {
		case c.welcome <- m:
		default:
		}
	case *framepb.Ack:
		c.acks <- m.Frames
	case *framepb.Defect:
		c.defects = append(c.defects, defectFromProto(m))
	case *framepb.Finished:
		select {
		case c.done <- outcome{finished: m, defects: c.defects}:
		default:
		}
		c.defects = nil
	}
}

// remoteSink is the decoder's media.Sink: it serialises every frame and sends it to
// the detector node, waiting for credit when limit frames are in flight.
type remoteSink struct {
	ctx          context.Context
	root         *actor.RootContext
	video, audio []*actor.PID
	acks         <-chan uint32
	inFlight     int
	limit        int
	lastPTS      float64
	videoFrames  uint64
	audioFrames  uint64
	payload      int64
}

var _ media.Sink = (*remoteSink)(nil)

// Video implements media.Sink.
func (s *remoteSink) Video(f *media.VideoFrame) {
	s.lastPTS = max(s.lastPTS, f.PTS)
	m := videoToProto(f)
	f.Release()
	s.videoFrames++
	s.send(s.video, m)
}

// Audio implements media.Sink.
func (s *remoteSink) Audio(a *media.AudioFrame) {
	s.lastPTS = max(s.lastPTS, a.PTS)
	m := audioToProto(a)
	a.Release()
	s.audioFrames++
	s.send(s.audio, m)
}

func (s *remoteSink) send(to []*actor.PID, m proto.Message) {
	size := int64(proto.Size(m))
	for _, pid := range to {
		for s.inFlight >= s.limit {
			select {
			case n := <-s.acks:
				s.inFlight -= int(n)
			case <-s.ctx.Done():
				return
			}
		}
		s.inFlight++
		s.payload += size
		s.root.Send(pid, m)
	}
}

// drain waits until every frame sent has been acknowledged.
func (s *remoteSink) drain(d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	for s.inFlight > 0 {
		select {
		case n := <-s.acks:
			s.inFlight -= int(n)
			t.Reset(d)
		case <-t.C:
			return fmt.Errorf("%w: %d frames unacknowledged after %s", ErrNoReply, s.inFlight, d)
		case <-s.ctx.Done():
			return s.ctx.Err()
		}
	}
	return nil
}
