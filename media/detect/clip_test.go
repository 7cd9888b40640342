package detect

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// clip describes a short test clip rendered by the ffmpeg CLI from lavfi sources.
type clip struct {
	// video is a filtergraph producing the picture, ending in no label; it may use
	// {W}x{H}, {R} and {D} placeholders for size, rate and duration.
	video string
	// audio is a filtergraph producing stereo 48 kHz audio; "" means a quiet tone.
	audio string
	// dur is the length in seconds (default 8).
	dur float64
	// size is WxH (default 640x360), rate the frame rate (default 25).
	size string
	rate int
	// vopts are extra video encoder options; bsf a video bitstream filter.
	vopts []string
	bsf   string
	// aopts are extra audio encoder options; copyts remuxes with timestamps as given.
	aopts []string
}

// defaultAudio is a clean signal: a 440 Hz tone, amplitude 0.1 (sine makes 1/8), about
// -20 LUFS.
const defaultAudio = "sine=f=440:r=48000:d={D},volume=0.8"

func (c clip) expand(s string) string {
	size := c.size
	if size == "" {
		size = "640x360"
	}
	rate := c.rate
	if rate == 0 {
		rate = 25
	}
	dur := c.dur
	if dur == 0 {
		dur = 8
	}
	r := strings.NewReplacer("{W}x{H}", size, "{R}", fmt.Sprint(rate), "{D}", fmt.Sprint(dur))
	return r.Replace(s)
}

// render encodes c to an MPEG-TS file (H.264 + AAC) in a fresh temporary directory and
// returns its path.
func (c clip) render(tb testing.TB) string {
	tb.Helper()
	audio := c.audio
	if audio == "" {
		audio = defaultAudio
	}
	out := filepath.Join(tb.TempDir(), "clip.ts")
	graph := c.expand(c.video) + "[v];" + c.expand(audio) + ",aformat=sample_rates=48000:channel_layouts=stereo[a]"
	args := []string{"-hide_banner", "-v", "error", "-y", "-filter_complex", graph,
		"-map", "[v]", "-map", "[a]",
		"-c:v", "libx264", "-preset", "veryfast", "-g", "50", "-pix_fmt", "yuv420p"}
	args = append(args, c.vopts...)
	if c.bsf != "" {
		args = append(args, "-bsf:v", c.bsf)
	}
	args = append(args, "-c:a", "aac", "-b:a", "128k")
	args = append(args, c.aopts...)
	args = append(args, "-t", c.expand("{D}"), out)
	ffmpeg(tb, args...)
	return out
}

// ffmpeg runs the ffmpeg CLI with a deadline and fails tb on error.
func ffmpeg(tb testing.TB, args ...string) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "ffmpeg", args...)
	if out, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("ffmpeg %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}
