package distributed

import (
	"github.com/vigil-monitor/vigil/media"
	"github.com/vigil-monitor/vigil/media/detect"
	"github.com/vigil-monitor/vigil/test/distributed/framepb"
)

// videoToProto copies f's visible luma, packed, and every field a detector reads into a
// new message. f is not retained.
func videoToProto(f *media.VideoFrame) *framepb.VideoFrame {
	luma := make([]byte, f.Width*f.Height)
	if f.Stride == f.Width {
		copy(luma, f.Y[:len(luma)])
	} else {
		for y := range f.Height {
			copy(luma[y*f.Width:(y+1)*f.Width], f.Row(y))
		}
	}
	return &framepb.VideoFrame{
		Width:            int32(f.Width),
		Height:           int32(f.Height),
		Luma:             luma,
		Pts:              f.PTS,
		Duration:         f.Duration,
		Key:              f.Key,
		Corrupt:          f.Corrupt,
		DecodeErrorFlags: int32(f.DecodeErrorFlags),
		FullRange:        f.FullRange,
		ErrorsBefore:     int32(f.ErrorsBefore),
		Seq:              f.Seq,
	}
}

// videoFromProto rebuilds a frame over m's luma (not copied) with one reference.
func videoFromProto(m *framepb.VideoFrame) *media.VideoFrame {
	f := media.NewVideoFrame(int(m.Width), int(m.Height), int(m.Width), m.Luma, m.Pts)
	f.Duration = m.Duration
	f.Key = m.Key
	f.Corrupt = m.Corrupt
	f.DecodeErrorFlags = int(m.DecodeErrorFlags)
	f.FullRange = m.FullRange
	f.ErrorsBefore = int(m.ErrorsBefore)
	f.Seq = m.Seq
	return f
}

// audioToProto copies a's samples into a new message. a is not retained.
func audioToProto(a *media.AudioFrame) *framepb.AudioFrame {
	return &framepb.AudioFrame{
		Pts:        a.PTS,
		SampleRate: int32(a.SampleRate),
		Channels:   int32(a.Channels),
		Samples:    append([]float32(nil), a.Samples...),
		Seq:        a.Seq,
	}
}

// audioFromProto rebuilds an audio frame over m's samples (not copied).
func audioFromProto(m *framepb.AudioFrame) *media.AudioFrame {
	a := media.NewAudioFrame(int(m.SampleRate), int(m.Channels), m.Samples, m.Pts)
	a.Seq = m.Seq
	return a
}

// defectToProto converts a detector event for the trip back to the decoder node.
func defectToProto(e detect.Event) *framepb.Defect {
	return &framepb.Defect{
		Type: string(e.Type), Ended: e.Ended, Start: e.Start, End: e.End, Score: e.Score,
		Severity: string(e.Severity), Value: e.Value, Detail: e.Detail,
	}
}

// defectFromProto is the inverse of defectToProto.
func defectFromProto(m *framepb.Defect) detect.Event {
	return detect.Event{
		Type: detect.Type(m.Type), Ended: m.Ended, Start: m.Start, End: m.End, Score: m.Score,
		Severity: detect.Severity(m.Severity), Value: m.Value, Detail: m.Detail,
	}
}
