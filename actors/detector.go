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
