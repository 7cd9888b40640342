package synth

import (
	"os"
	"testing"

	"github.com/asticode/go-astiav"
)

func TestMain(m *testing.M) {
	// The encoders' closing statistics are noise in test output.
	astiav.SetLogLevel(astiav.LogLevelError)
	os.Exit(m.Run())
}
