package actors

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/vigil-monitor/vigil/media"
	"github.com/vigil-monitor/vigil/media/detect"
)

// Mode selects how a node treats its inputs.
type Mode int

const (
	// Live monitors inputs in real time: a detector that falls behind drops frames
	// (and counts them) rather than slowing the decoder, and a failed input is retried
	// with exponential backoff while the stream reports no_signal.
	Live Mode = iota
	// Scan analyses inputs as fast as the CPU allows: the decoder waits for the
	// slowest detector so that no frame is skipped, and a failed input ends the stream.
	Scan
)

// String names the mode.
func (m Mode) String() string {
	if m == Scan {
		return "scan"
	}
	return "live"
}

// Backoff is the decoder restart schedule after an input failure: Initial, doubled on
// every consecutive failure, capped at Max. It resets once the input decodes again.
type Backoff struct {
	// Initial is the delay before the first restart.
	Initial time.Duration
	// Max caps the delay.
	Max time.Duration
}

// Delay returns the delay before restart number n (1 = first restart).
func (b Backoff) Delay(n int) time.Duration {
	d := b.Initial
	for i := 1; i < n && d < b.Max; i++ {
		d *= 2
	}
	return min(d, b.Max)
}

// Config configures a Node. It is validated once by NewNode and read-only afterwards.
type Config struct {
	// Name is the node name stamped on every event.
	Name string
	// Mode is Live (agent) or Scan (vigil scan).
	Mode Mode
	// Media is the input configuration every stream starts from.
	Media media.Config
	// Detect is the default detector configuration; a stream's Thresholds override it.
	Detect detect.Config
	// Detectors builds one stream's detector set from its configuration; it is called
	// again to rebuild a detector that panicked. nil means detect.New. Every call must
	// return the same types in the same order.
	Detectors func(detect.Config) ([]detect.Detector, error)
	// QueueDepth is how many frames may wait for one detector. In Live mode the
	// decoder drops frames for a detector whose queue is full; in Scan mode it waits.
	QueueDepth int
	// Backoff is the decoder restart schedule (Live mode only).
	Backoff Backoff
	// StopTimeout bounds how long Stop and Close wait for a stream to release its
	// input and frames.
	StopTimeout time.Duration
	// Clock is the time source; nil means RealClock.
	Clock Clock
	// Logger receives the node's logs and protoactor's; nil means slog.Default().
	Logger *slog.Logger
}

// DefaultConfig returns the configuration for a live monitoring node.
func DefaultConfig() Config {
	return Config{
		Name:        "local",
		Mode:        Live,
		Media:       media.DefaultConfig(),
		Detect:      detect.DefaultConfig(),
		QueueDepth:  8,
		Backoff:     Backoff{Initial: time.Second, Max: 30 * time.Second},
		StopTimeout: 10 * time.Second,
	}
}

// ScanConfig returns the configuration for `vigil scan`: no pacing, no retries, no
// dropped frames, files allowed.
func ScanConfig() Config {
	c := DefaultConfig()
	c.Mode = Scan
	c.Media = media.ScanConfig()
	return c
}

func (c *Config) validate() error {
	if c.QueueDepth < 1 {
		return fmt.Errorf("actors: queue depth %d: must be at least 1", c.QueueDepth)
	}
	if c.Backoff.Initial <= 0 || c.Backoff.Max < c.Backoff.Initial {
		return errors.New("actors: backoff needs 0 < initial <= max")
	}
	if c.StopTimeout <= 0 {
		return errors.New("actors: stop timeout must be positive")
	}
	if c.Clock == nil {
		c.Clock = RealClock{}
	}
	if c.Detectors == nil {
		c.Detectors = detect.New
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return nil
}
