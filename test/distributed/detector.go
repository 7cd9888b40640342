package distributed

import (
	"github.com/asynkron/protoactor-go/actor"

	"github.com/vigil-monitor/vigil/media"
	"github.com/vigil-monitor/vigil/media/detect"
	"github.com/vigil-monitor/vigil/test/distributed/framepb"
)

// Messages inside a detector node. A local frame message holds one reference, which
// its receiver releases.
type (
	localVideo struct{ f *media.VideoFrame }
	localAudio struct{ a *media.AudioFrame }
	// flush asks a detector actor to close its open defects at media time at.
	flush struct{ at float64 }
	// flushed answers flush with what the detector analysed.
	flushed struct {
		video, audio             bool
		videoFrames, audioFrames uint64
	}
)

// detectorActor runs one detector. It takes frames by reference from its ingest
// parent, or serialised straight from the decoder node (then it rebuilds each frame
// and acknowledges it itself), and sends its defects to the decoder node.
type detectorActor struct {
	det         detect.Detector
	replyTo     *actor.PID
	emit        detect.Emit
	videoFrames uint64
	audioFrames uint64
}

func newDetectorActor(d detect.Detector, replyTo *actor.PID) actor.Producer {
	return func() actor.Actor { return &detectorActor{det: d, replyTo: replyTo} }
}

// Receive implements actor.Actor.
func (a *detectorActor) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *actor.Started:
		a.emit = func(e detect.Event) { ctx.Send(a.replyTo, defectToProto(e)) }
	case *localVideo:
		defer m.f.Release()
		a.video(m.f)
	case *localAudio:
		defer m.a.Release()
		a.audio(m.a)
	case *framepb.VideoFrame:
		f := videoFromProto(m)
		a.video(f)
		f.Release()
		ctx.Send(a.replyTo, &framepb.Ack{Frames: 1})
	case *framepb.AudioFrame:
		f := audioFromProto(m)
		a.audio(f)
		f.Release()
		ctx.Send(a.replyTo, &framepb.Ack{Frames: 1})
	case *flush:
		a.det.Close(m.at, a.emit)
		_, video := a.det.(detect.VideoDetector)
		_, audio := a.det.(detect.AudioDetector)
		ctx.Respond(&flushed{video: video, audio: audio, videoFrames: a.videoFrames, audioFrames: a.audioFrames})
	case *actor.Stopped:
		if f, ok := a.det.(interface{ Free() }); ok {
			f.Free()
		}
	}
}

func (a *detectorActor) video(f *media.VideoFrame) {
	if v, ok := a.det.(detect.VideoDetector); ok {
		v.Video(f, a.emit)
		a.videoFrames++
	}
}

func (a *detectorActor) audio(f *media.AudioFrame) {
	if v, ok := a.det.(detect.AudioDetector); ok {
		v.Audio(f, a.emit)
		a.audioFrames++
	}
}
