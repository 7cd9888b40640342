package distributed

import (
	"context"
	"io"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/vigil-monitor/vigil/media"
	"github.com/vigil-monitor/vigil/media/detect"
)

// TestMain lets the test binary play the benchmark's child processes.
func TestMain(m *testing.M) {
	if code, ok := ChildMain(); ok {
		os.Exit(code)
	}
	os.Exit(m.Run())
}

// tinyClip is a 6 s 320x240@25 clip with a black and a silence window, long enough
// for the default two-second minimum of both detectors.
func tinyClip(tb testing.TB) (Clip, string) {
	tb.Helper()
	c := Clip{Width: 320, Height: 240, FPS: 25, Seconds: 6, BlackFrom: 1, BlackTo: 3.5, SilenceFrom: 3, SilenceTo: 5.5}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	path, err := c.Make(ctx, tb.TempDir())
	if err != nil {
		tb.Fatal(err)
	}
	return c, path
}

// TestDesignsAgree runs every design end to end on a tiny clip, each node in a child
// process, and checks that all analyse every frame, find the same defects, and that
// only the distributed ones move frame bytes.
func TestDesignsAgree(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes and decodes a clip")
	}
	clip, path := tinyClip(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	e := Exec{Path: os.Args[0], Stderr: tbWriter{t}}
	samples, err := Measure(ctx, e, Modes, path, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(samples) != len(Modes) {
		t.Fatalf("got %d samples, want %d", len(samples), len(Modes))
	}
	mono := samples[0]
	var types []string
	for _, d := range ended(mono.Defects) {
		types = append(types, string(d.Type))
	}
	if got := strings.Join(types, ","); got != "black,silence" {
		t.Fatalf("monolith found %q, want black,silence (events %v)", got, mono.Defects)
	}
	luma := int64(clip.Width * clip.Height)
	for _, s := range samples {
		if s.Mode == DecodeOnly {
			if s.VideoFrames != mono.VideoFrames || s.AudioFrames != mono.AudioFrames || len(s.Defects) != 0 {
				t.Errorf("decode only: %d/%d frames, %d defects; monolith decoded %d/%d",
					s.VideoFrames, s.AudioFrames, len(s.Defects), mono.VideoFrames, mono.AudioFrames)
			}
			continue
		}
		t.Run(string(s.Mode), func(t *testing.T) {
			wantFrames := uint64(clip.Seconds * float64(clip.FPS))
			if s.VideoFrames != wantFrames || s.AnalysedVideo != s.VideoFrames || s.AnalysedAudio != s.AudioFrames || s.AudioFrames == 0 {
				t.Errorf("frames decoded %d/%d, analysed %d/%d; want %d video frames, all analysed",
					s.VideoFrames, s.AudioFrames, s.AnalysedVideo, s.AnalysedAudio, wantFrames)
			}
			if !SameDefects(s.Defects, mono.Defects) {
				t.Errorf("defects %v, monolith %v", ended(s.Defects), ended(mono.Defects))
			}
			if s.CPU() <= 0 || len(s.Processes) == 0 {
				t.Errorf("no CPU accounted: %+v", s.Processes)
			}
			copies := map[Mode]int64{Monolith: 0, Distributed: 1, PerDetector: int64(videoDetectors(t))}[s.Mode]
			minPayload := copies * luma * int64(s.VideoFrames)
			if s.PayloadBytes < minPayload || s.PayloadBytes > minPayload*11/10+int64(s.AudioFrames)*int64(copies)*20_000 {
				t.Errorf("payload %d bytes, want just over %d (%d copies of %d frames)", s.PayloadBytes, minPayload, copies, s.VideoFrames)
			}
			if s.Bytes < s.PayloadBytes || (copies == 0) != (s.Bytes == 0) {
				t.Errorf("bytes moved %d, payload %d", s.Bytes, s.PayloadBytes)
			}
		})
	}
	md, err := Report{Clip: clip, Command: "go test", Machine: ThisMachine(), Runs: 1, Samples: samples}.Markdown()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(md, "**no**") || !strings.Contains(md, "| black | 1.0") {
		t.Errorf("report:\n%s", md)
	}
}

// videoDetectors counts the detectors that take pictures.
func videoDetectors(tb testing.TB) int {
	tb.Helper()
	ds, err := detect.New(detect.DefaultConfig())
	if err != nil {
		tb.Fatal(err)
	}
	n := 0
	for _, d := range ds {
		if _, ok := d.(detect.VideoDetector); ok {
			n++
		}
		if f, ok := d.(interface{ Free() }); ok {
			f.Free()
		}
	}
	return n
}

func TestVideoRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name                  string
		width, height, stride int
	}{
		{"packed", 4, 3, 4},
		{"padded", 5, 3, 8},
		{"one row", 7, 1, 16},
	} {
		t.Run(tc.name, func(t *testing.T) {
			y := make([]byte, tc.stride*tc.height)
			for i := range y {
				y[i] = byte(i * 7)
			}
			f := media.NewVideoFrame(tc.width, tc.height, tc.stride, y, 1.5)
			f.Duration, f.Key, f.Corrupt, f.DecodeErrorFlags = 0.04, true, true, 3
			f.FullRange, f.ErrorsBefore, f.Seq = true, 2, 42
			m := videoToProto(f)
			g := videoFromProto(m)
			defer g.Release()
			if len(m.Luma) != tc.width*tc.height {
				t.Errorf("luma %d bytes, want %d", len(m.Luma), tc.width*tc.height)
			}
			for r := range tc.height {
				if string(g.Row(r)) != string(f.Row(r)) {
					t.Errorf("row %d: %v, want %v", r, g.Row(r), f.Row(r))
				}
			}
			if g.Width != f.Width || g.Height != f.Height || g.PTS != f.PTS || g.Duration != f.Duration ||
				g.Key != f.Key || g.Corrupt != f.Corrupt || g.DecodeErrorFlags != f.DecodeErrorFlags ||
				g.FullRange != f.FullRange || g.ErrorsBefore != f.ErrorsBefore || g.Seq != f.Seq {
				t.Errorf("rebuilt %+v, want %+v", g, f)
			}
			f.Release()
		})
	}
}

func TestAudioRoundTrip(t *testing.T) {
	a := media.NewAudioFrame(48000, 2, []float32{0, 0.5, -1, 1, 0.25, -0.25}, 3.25)
	a.Seq = 9
	m := audioToProto(a)
	a.Samples[0] = 0.75 // the message must not share the decoder's buffer
	b := audioFromProto(m)
	defer b.Release()
	a.Release()
	if b.SampleRate != 48000 || b.Channels != 2 || b.PTS != 3.25 || b.Seq != 9 || b.Frames() != 3 {
		t.Errorf("rebuilt %+v", b)
	}
	if b.Samples[0] != 0 || b.Samples[2] != -1 {
		t.Errorf("samples %v", b.Samples)
	}
}

func TestTrafficCounts(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	served := make(chan error, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			served <- err
			return
		}
		defer c.Close()
		buf := make([]byte, 1000)
		if _, err := io.ReadFull(c, buf); err != nil {
			served <- err
			return
		}
		_, err = c.Write(buf[:300])
		served <- err
	}()
	var tr Traffic
	c, err := tr.Dial(context.Background(), ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write(make([]byte, 1000)); err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(c, make([]byte, 300)); err != nil {
		t.Fatal(err)
	}
	if err := <-served; err != nil {
		t.Fatal(err)
	}
	if tr.Written.Load() != 1000 || tr.Read.Load() != 300 || tr.Total() != 1300 || tr.Conns.Load() != 1 {
		t.Errorf("written %d read %d conns %d, want 1000, 300, 1", tr.Written.Load(), tr.Read.Load(), tr.Conns.Load())
	}
}

// tbWriter sends a child's stderr to the test log.
type tbWriter struct{ tb testing.TB }

func (w tbWriter) Write(p []byte) (int, error) {
	w.tb.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
