package detect

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/vigil-monitor/vigil/media"
)

// funcSink adapts two functions to media.Sink, releasing each frame after its
// function returns.
type funcSink struct {
	video func(*media.VideoFrame)
	audio func(*media.AudioFrame)
	end   float64 // media time at which the last frame seen ends
}

func (s *funcSink) Video(f *media.VideoFrame) {
	defer f.Release()
	s.end = math.Max(s.end, f.PTS+f.Duration)
	if s.video != nil {
		s.video(f)
	}
}

func (s *funcSink) Audio(a *media.AudioFrame) {
	defer a.Release()
	s.end = math.Max(s.end, a.PTS+a.Duration())
	if s.audio != nil {
		s.audio(a)
	}
}

// decodeClip decodes path with vigil's own decoder (media.Open, as `vigil scan` does)
// and calls video or audio for every frame in decode order. Frames are released when
// the callee returns. It returns the media time at which the input ends.
func decodeClip(tb testing.TB, path string, video func(*media.VideoFrame), audio func(*media.AudioFrame)) float64 {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	in, err := media.Open(ctx, path, media.ScanConfig())
	if err != nil {
		tb.Fatalf("open %s: %v", path, err)
	}
	defer in.Close()
	sink := &funcSink{video: video, audio: audio}
	if err := in.Run(ctx, sink); err != nil {
		tb.Fatalf("decode %s: %v", path, err)
	}
	if n := in.Outstanding(); n != 0 {
		tb.Errorf("decode %s: %d frames not released", path, n)
	}
	return sink.end
}
