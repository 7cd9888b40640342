package actors

import (
	"context"
	"sync/atomic"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/vigil-monitor/vigil/media/detect"
)

// detectorSlot is the decoder's view of one detector child: where to send frames and
// how many may be waiting for it.
type detectorSlot struct {
	typ     detect.Type
	pid     *actor.PID
	video   bool
	audio   bool
	queue   chan struct{} // one token per frame waiting for or inside the detector
	dropped *atomic.Uint64
	out     *atomic.Int64 // the stream's outstanding frame count
	// videoFree and audioFree keep the slot's released messages for reuse: at most
	// cap(queue) are ever in flight, so a steady stream of frames allocates none
	// (sync.Pool would drop them at every garbage collection).
	videoFree chan *videoMsg
	audioFree chan *audioMsg
}

func newDetectorSlot(typ detect.Type, pid *actor.PID, video, audio bool, depth int, dropped *atomic.Uint64, out *atomic.Int64) *detectorSlot {
	return &detectorSlot{typ: typ, pid: pid, video: video, audio: audio,
		queue: make(chan struct{}, depth), dropped: dropped, out: out,
		videoFree: make(chan *videoMsg, depth), audioFree: make(chan *audioMsg, depth)}
}

// videoMsg returns a message addressed to this slot's detector, reused if one is free.
func (d *detectorSlot) videoMsg() *videoMsg {
	select {
	case m := <-d.videoFree:
		return m
	default:
		return &videoMsg{slot: d}
	}
}

func (d *detectorSlot) putVideoMsg(m *videoMsg) {
	select {
	case d.videoFree <- m:
	default:
	}
}

// audioMsg returns a message addressed to this slot's detector, reused if one is free.
func (d *detectorSlot) audioMsg() *audioMsg {
	select {
	case m := <-d.audioFree:
		return m
	default:
		return &audioMsg{slot: d}
	}
}

func (d *detectorSlot) putAudioMsg(m *audioMsg) {
	select {
	case d.audioFree <- m:
	default:
	}
}

// acquire reserves a queue slot. With wait false (Live) it fails at once when the
// detector is behind; with wait true (Scan) it waits for room or for ctx.
func (d *detectorSlot) acquire(ctx context.Context, wait bool) bool {
	select {
	case d.queue <- struct{}{}:
		d.out.Add(1)
		return true
	default:
	}
	if !wait {
		d.dropped.Add(1)
		return false
	}
	select {
	case d.queue <- struct{}{}:
		d.out.Add(1)
		return true
	case <-ctx.Done():
		return false
	}
}

func (d *detectorSlot) free() {
	d.out.Add(-1)
	<-d.queue
}

// detectorActor runs one detector over the frames its slot receives and records the
// defects it finds with emit (run.defect: the stream's open set and the event bus).
type detectorActor struct {
	det    detect.Detector
	last   float64 // media time of the latest frame seen
	newDet func() (detect.Detector, error)
	emit   detect.Emit
}

func newDetectorActor(newDet func() (detect.Detector, error), emit detect.Emit) actor.Producer {
	return func() actor.Actor { return &detectorActor{newDet: newDet, emit: emit} }
}

// Receive handles frames and control messages. A panic in the detector restarts this
// actor alone (the supervisor's strategy); the frame that caused it is released by the
// deferred release on the way out.
func (a *detectorActor) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *actor.Started:
		d, err := a.newDet()
		if err != nil {
			panic(err) // configuration was validated before spawning; this is a bug
		}
		a.det = d
	case *videoMsg:
		defer m.release()
		a.last = max(a.last, m.f.PTS)
		if v, ok := a.det.(detect.VideoDetector); ok {
			v.Video(m.f, a.emit)
		}
	case *audioMsg:
		defer m.release()
		a.last = max(a.last, m.a.PTS)
		if v, ok := a.det.(detect.AudioDetector); ok {
			v.Audio(m.a, a.emit)
		}
	case *flushDetector:
		a.det.Close(m.At, a.emit)
	case *actor.Stopped, *actor.Restarting:
		// Close ends an open defect (a restarted detector starts afresh) and releases
		// what the detector holds outside the Go heap (OpenCV matrices).
		if a.det != nil {
			a.det.Close(a.last, a.emit)
			a.det = nil
		}
	}
}
