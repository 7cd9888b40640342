package detect

import (
	"io"
	"log/slog"
	"os"
	"testing"

	"github.com/vigil-monitor/vigil/media"
)

func TestMain(m *testing.M) {
	// The damaged clips make FFmpeg log every concealed macroblock; the detectors see
	// the damage through the frames' flags.
	media.SetFFmpegLog(slog.New(slog.NewTextHandler(io.Discard, nil)), slog.LevelError)
	os.Exit(m.Run())
}
