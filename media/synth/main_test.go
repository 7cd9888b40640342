package synth

import (
	"log/slog"
	"os"
	"testing"

	"github.com/vigil-monitor/vigil/media"
)

func TestMain(m *testing.M) {
	// The encoders' closing statistics and warnings are noise in test output.
	media.SetFFmpegLog(nil, slog.LevelError)
	os.Exit(m.Run())
}
