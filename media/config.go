package media

import (
	"fmt"
	"log/slog"
	"time"
)

// Default picture limits: DCI-ish 4K width, UHD-ish height. Larger pictures are
// rejected with ErrTooLarge rather than decoded.
const (
	DefaultMaxWidth  = 4096
	DefaultMaxHeight = 2304
)

// HLSNoSignalFloor is the smallest no-signal timeout applied to HLS inputs.
const HLSNoSignalFloor = 20 * time.Second

// Config sets how an input is opened and decoded. Open validates it once; it is
// read-only afterwards. Start from DefaultConfig (live inputs) or ScanConfig (files and
// URLs analysed as fast as possible) and change fields as needed.
type Config struct {
	// AllowFile permits local file paths and file: URLs. Live monitoring leaves it off
	// so that an admin request cannot make a node read its own disk; scans, tests and
	// demos turn it on.
	AllowFile bool
	// ProbeSize caps how many bytes FFmpeg reads to detect the streams (its
	// probesize). 0 keeps FFmpeg's default (5,000,000); otherwise at least 32.
	ProbeSize int64
	// AnalyzeDuration caps how much media FFmpeg reads to find stream parameters (its
	// analyzeduration). FFmpeg's default of 5 s delays a live input's first frame by as
	// much; 0 keeps that default.
	AnalyzeDuration time.Duration
	// ReadTimeout is the socket timeout of network protocols (rw_timeout and, where
	// the protocol has it, timeout). A read that waits longer fails with an error
	// wrapping ErrNoSignal. 0 means none (NoSignalTimeout still applies).
	ReadTimeout time.Duration
	// NoSignalTimeout ends Run with an error wrapping ErrNoSignal when no packet
	// arrived for this long while Run was waiting for one (time spent in the Sink or in
	// pacing does not count). A blocked socket read is interrupted. 0 disables it. For
	// HLS it is at least HLSNoSignalFloor: the demuxer reads segments in bursts and then
	// legitimately waits up to a segment's duration for the next one.
	NoSignalTimeout time.Duration
	// MaxWidth and MaxHeight bound the picture size; a larger picture fails Open or Run
	// with an error wrapping ErrTooLarge. 0 means DefaultMaxWidth/DefaultMaxHeight.
	MaxWidth, MaxHeight int
	// Realtime paces file inputs at their native rate (for monitoring a file as if it
	// were live). Network inputs arrive in real time already and are never paced.
	Realtime bool
	// Loop restarts a file input at its end; media time keeps increasing across the
	// restart. Network inputs end when their source ends.
	Loop bool
	// StartAt is the media time, in seconds, given to the input's first decoded frame
	// (0 by default). A caller that reconnects a live stream passes where the previous
	// input left off, so that media time keeps increasing across reconnects.
	StartAt float64
	// Threads is the number of decoder threads; 0 lets FFmpeg choose (one per core).
	Threads int
	// Clock drives pacing and the no-signal watchdog; nil means SystemClock.
	Clock Clock
	// Logger receives FFmpeg's messages about this input (rate-limited); nil means the
	// logger set with SetFFmpegLog.
	Logger *slog.Logger
}

// DefaultConfig returns the configuration for live network inputs: small probing so
// the first frame comes quickly, 5 s socket and no-signal timeouts, files rejected.
func DefaultConfig() Config {
	return Config{
		ProbeSize:       512 << 10,
		AnalyzeDuration: time.Second,
		ReadTimeout:     5 * time.Second,
		NoSignalTimeout: 5 * time.Second,
		MaxWidth:        DefaultMaxWidth,
		MaxHeight:       DefaultMaxHeight,
		Realtime:        true,
	}
}

// ScanConfig returns the configuration of `vigil scan`: files allowed, FFmpeg's full
// probing, no pacing, no looping, generous timeouts for URLs.
func ScanConfig() Config {
	return Config{
		AllowFile:       true,
		ReadTimeout:     15 * time.Second,
		NoSignalTimeout: 30 * time.Second,
		MaxWidth:        DefaultMaxWidth,
		MaxHeight:       DefaultMaxHeight,
	}
}

// validate checks c and returns it with defaults filled in.
func (c Config) validate() (Config, error) {
	switch {
	case c.ProbeSize < 0 || (c.ProbeSize > 0 && c.ProbeSize < 32):
		return c, fmt.Errorf("config: probe size %d: want 0 or at least 32", c.ProbeSize)
	case c.AnalyzeDuration < 0:
		return c, fmt.Errorf("config: negative analyze duration %v", c.AnalyzeDuration)
	case c.ReadTimeout < 0:
		return c, fmt.Errorf("config: negative read timeout %v", c.ReadTimeout)
	case c.NoSignalTimeout < 0:
		return c, fmt.Errorf("config: negative no-signal timeout %v", c.NoSignalTimeout)
	case c.MaxWidth < 0 || c.MaxHeight < 0:
		return c, fmt.Errorf("config: negative max size %dx%d", c.MaxWidth, c.MaxHeight)
	case c.Threads < 0:
		return c, fmt.Errorf("config: negative thread count %d", c.Threads)
	}
	if c.MaxWidth == 0 {
		c.MaxWidth = DefaultMaxWidth
	}
	if c.MaxHeight == 0 {
		c.MaxHeight = DefaultMaxHeight
	}
	if c.Clock == nil {
		c.Clock = SystemClock
	}
	return c, nil
}
