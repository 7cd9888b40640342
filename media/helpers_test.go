package media

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"
)

// clipDir holds the clips the tests make with the ffmpeg CLI, shared by all tests of
// one run so each clip is encoded once.
var clipDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "vigil-media-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	clipDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

var clipMu sync.Mutex

// clip returns the path of clip name, making it with `ffmpeg -y <args> <path>` the first
// time it is asked for.
func clip(tb testing.TB, name string, args ...string) string {
	tb.Helper()
	clipMu.Lock()
	defer clipMu.Unlock()
	path := filepath.Join(clipDir, name)
	if _, err := os.Stat(path); err == nil {
		return path
	}
	tmp := filepath.Join(clipDir, "tmp-"+name)
	ffmpeg(tb, append(args, tmp)...)
	if err := os.Rename(tmp, path); err != nil {
		tb.Fatal(err)
	}
	return path
}

// ffmpeg runs the ffmpeg CLI quietly and fails tb on error.
func ffmpeg(tb testing.TB, args ...string) []byte {
	tb.Helper()
	cmd := exec.Command("ffmpeg", append([]string{"-hide_banner", "-loglevel", "error", "-nostdin", "-y"}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		tb.Fatalf("ffmpeg %v: %v\n%s", args, err, stderr.String())
	}
	return out
}

// Common clips.
func clipTS(tb testing.TB) string {
	tb.Helper()
	return clip(tb, "testsrc.ts", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25",
		"-f", "lavfi", "-i", "sine=frequency=1000:sample_rate=48000", "-t", "3",
		"-c:v", "libx264", "-g", "25", "-preset", "veryfast", "-c:a", "aac", "-b:a", "96k")
}

// videoRec is what the recording sink keeps of a video frame.
type videoRec struct {
	pts, dur          float64
	w, h, stride      int
	key, corrupt      bool
	flags, errsBefore int
	seq               uint64
	meanY             float64
}

type audioRec struct {
	pts        float64
	rate, ch   int
	n          int
	seq        uint64
	sumSquares float64
}

// recorder is a Sink that records and releases every frame. onVideo/onAudio, when
// set, run first (with the frame still held).
type recorder struct {
	mu      sync.Mutex
	video   []videoRec
	audio   []audioRec
	onVideo func(f *VideoFrame)
	onAudio func(a *AudioFrame)
}

func meanLuma(f *VideoFrame) float64 {
	var sum uint64
	for y := 0; y < f.Height; y++ {
		for _, b := range f.Row(y) {
			sum += uint64(b)
		}
	}
	return float64(sum) / float64(f.Width*f.Height)
}

func (r *recorder) Video(f *VideoFrame) {
	if r.onVideo != nil {
		r.onVideo(f)
	}
	rec := videoRec{pts: f.PTS, dur: f.Duration, w: f.Width, h: f.Height, stride: f.Stride,
		key: f.Key, corrupt: f.Corrupt, flags: f.DecodeErrorFlags, errsBefore: f.ErrorsBefore,
		seq: f.Seq, meanY: meanLuma(f)}
	f.Release()
	r.mu.Lock()
	r.video = append(r.video, rec)
	r.mu.Unlock()
}

func (r *recorder) Audio(a *AudioFrame) {
	if r.onAudio != nil {
		r.onAudio(a)
	}
	rec := audioRec{pts: a.PTS, rate: a.SampleRate, ch: a.Channels, n: a.Frames(), seq: a.Seq}
	for _, s := range a.Samples {
		rec.sumSquares += float64(s) * float64(s)
	}
	a.Release()
	r.mu.Lock()
	r.audio = append(r.audio, rec)
	r.mu.Unlock()
}

func (r *recorder) snapshot() ([]videoRec, []audioRec) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]videoRec(nil), r.video...), append([]audioRec(nil), r.audio...)
}

// decodeFile opens path with cfg, runs it to the end and returns what it delivered.
func decodeFile(tb testing.TB, path string, cfg Config) (*recorder, Stats, Info) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	in, err := Open(ctx, path, cfg)
	if err != nil {
		tb.Fatalf("Open(%s): %v", path, err)
	}
	defer in.Close()
	rec := &recorder{}
	if err := in.Run(ctx, rec); err != nil {
		tb.Fatalf("Run(%s): %v", path, err)
	}
	if n := in.Outstanding(); n != 0 {
		tb.Fatalf("%d frames outstanding after Run", n)
	}
	return rec, in.Stats(), in.Info()
}

// eventually waits for cond, failing tb after d.
func eventually(tb testing.TB, d time.Duration, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func strconvFloat(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }
