package distributed

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Clip describes the test clip: H.264 + AAC in MPEG-TS from FFmpeg's testsrc2 pattern
// (moving) and a 440 Hz tone, with a black window and a silence window so that both
// designs have defects to find.
type Clip struct {
	// Width, Height and FPS are the picture size and frame rate.
	Width, Height, FPS int
	// Seconds is the clip's length.
	Seconds float64
	// BlackFrom and BlackTo bound the window in which the picture is black.
	BlackFrom, BlackTo float64
	// SilenceFrom and SilenceTo bound the window in which the audio is silent.
	SilenceFrom, SilenceTo float64
}

// DefaultClip is the clip the results are measured on: 20 s of 720p30.
func DefaultClip() Clip {
	return Clip{Width: 1280, Height: 720, FPS: 30, Seconds: 20,
		BlackFrom: 6, BlackTo: 9, SilenceFrom: 12, SilenceTo: 15}
}

// String describes the clip for the results table.
func (c Clip) String() string {
	return fmt.Sprintf("%gs %dx%d@%d H.264+AAC (MPEG-TS), black %g–%gs, silence %g–%gs",
		c.Seconds, c.Width, c.Height, c.FPS, c.BlackFrom, c.BlackTo, c.SilenceFrom, c.SilenceTo)
}

// ffmpegArgs returns the ffmpeg command line that encodes the clip to out.
func (c Clip) ffmpegArgs(out string) []string {
	return []string{"-v", "error", "-y",
		"-f", "lavfi", "-i", fmt.Sprintf("testsrc2=size=%dx%d:rate=%d", c.Width, c.Height, c.FPS),
		"-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
		"-t", fmt.Sprint(c.Seconds),
		"-vf", fmt.Sprintf("drawbox=c=black:t=fill:enable='between(t,%g,%g)'", c.BlackFrom, c.BlackTo),
		"-af", fmt.Sprintf("volume=0:enable='between(t,%g,%g)'", c.SilenceFrom, c.SilenceTo),
		"-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", "-g", fmt.Sprint(2 * c.FPS),
		"-c:a", "aac", "-ac", "2", "-b:a", "128k", "-shortest",
		"-f", "mpegts", out}
}

// Make returns the path of the clip in dir, encoding it with the ffmpeg CLI unless a
// clip made with the same command line is already there.
func (c Clip) Make(ctx context.Context, dir string) (string, error) {
	sum := sha256.Sum256([]byte(strings.Join(c.ffmpegArgs(""), "\x00")))
	path := filepath.Join(dir, fmt.Sprintf("clip-%dp%d-%s.ts", c.Height, c.FPS, hex.EncodeToString(sum[:6])))
	if _, err := os.Stat(path); err == nil {
		return path, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("make clip: %w", err)
	}
	tmp := path + ".part"
	out, err := exec.CommandContext(ctx, "ffmpeg", c.ffmpegArgs(tmp)...).CombinedOutput()
	if err != nil {
		os.Remove(tmp)
		return "", fmt.Errorf("make clip: ffmpeg: %w: %s", err, out)
	}
	if err := os.Rename(tmp, path); err != nil {
		return "", fmt.Errorf("make clip: %w", err)
	}
	return path, nil
}
