package detect

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
)

// ErrUnknownKey is returned (wrapped) by Config.Set for a key Keys does not list.
var ErrUnknownKey = errors.New("detect: unknown config key")

// ErrInvalid is returned (wrapped) for a configuration value out of its range.
var ErrInvalid = errors.New("detect: invalid config value")

// Config configures the detectors of one stream: one sub-struct per detector. The zero
// value is not useful; start from DefaultConfig and override single values with Set.
// A Config is validated by Validate and by New, and read-only once detectors are built.
type Config struct {
	Black       BlackConfig
	Freeze      FreezeConfig
	Blockiness  BlockinessConfig
	DecodeError DecodeErrorConfig
	Blur        BlurConfig
	Silence     SilenceConfig
	Clipping    ClippingConfig
	Loudness    LoudnessConfig
	AVSync      AVSyncConfig
}

// DefaultConfig returns the configuration vigil uses unless a stream overrides it:
// every detector enabled, with thresholds documented on each sub-struct.
func DefaultConfig() Config {
	return Config{
		Black:       DefaultBlackConfig(),
		Freeze:      DefaultFreezeConfig(),
		Blockiness:  DefaultBlockinessConfig(),
		DecodeError: DefaultDecodeErrorConfig(),
		Blur:        DefaultBlurConfig(),
		Silence:     DefaultSilenceConfig(),
		Clipping:    DefaultClippingConfig(),
		Loudness:    DefaultLoudnessConfig(),
		AVSync:      DefaultAVSyncConfig(),
	}
}

// Validate reports the first value out of its range, naming its key.
func (c *Config) Validate() error {
	for _, f := range c.fields() {
		if f.num == nil {
			continue
		}
		v := *f.num
		if math.IsNaN(v) || v < f.min || v > f.max {
			return errRange(f.key, v, f.min, f.max)
		}
	}
	return nil
}

// Keys lists every key Set accepts, sorted.
func (c *Config) Keys() []string {
	fs := c.fields()
	keys := make([]string, len(fs))
	for i, f := range fs {
		keys[i] = f.key
	}
	sort.Strings(keys)
	return keys
}

// Set overrides one value by key, as "black.picture" or "silence.threshold_db". Keys
// ending in ".enabled" take 0 (off) or 1 (on). A value out of range leaves c unchanged
// and returns an error wrapping ErrInvalid; an unknown key returns one wrapping
// ErrUnknownKey that lists the valid keys.
func (c *Config) Set(key string, value float64) error {
	for _, f := range c.fields() {
		if f.key != key {
			continue
		}
		if f.flag != nil {
			if value != 0 && value != 1 {
				return fmt.Errorf("%w: %s must be 0 or 1, got %g", ErrInvalid, key, value)
			}
			*f.flag = value == 1
			return nil
		}
		if math.IsNaN(value) || value < f.min || value > f.max {
			return errRange(key, value, f.min, f.max)
		}
		*f.num = value
		return nil
	}
	return fmt.Errorf("%w %q (valid keys: %s)", ErrUnknownKey, key, strings.Join(c.Keys(), ", "))
}

// Range returns the smallest and largest value Set accepts for key (0 and 1 for
// ".enabled" keys), or an error wrapping ErrUnknownKey.
func (c *Config) Range(key string) (lo, hi float64, err error) {
	for _, f := range c.fields() {
		if f.key != key {
			continue
		}
		if f.flag != nil {
			return 0, 1, nil
		}
		return f.min, f.max, nil
	}
	return 0, 0, fmt.Errorf("%w %q", ErrUnknownKey, key)
}

// Get returns the value of key as Set takes it (1 or 0 for ".enabled" keys).
func (c *Config) Get(key string) (float64, error) {
	for _, f := range c.fields() {
		if f.key != key {
			continue
		}
		if f.flag != nil {
			if *f.flag {
				return 1, nil
			}
			return 0, nil
		}
		return *f.num, nil
	}
	return 0, fmt.Errorf("%w %q (valid keys: %s)", ErrUnknownKey, key, strings.Join(c.Keys(), ", "))
}

// field is one settable value: either a flag or a number with its valid range.
type field struct {
	key      string
	flag     *bool
	num      *float64
	min, max float64
}

func flag(key string, p *bool) field { return field{key: key, flag: p} }

func num(key string, p *float64, min, max float64) field {
	return field{key: key, num: p, min: min, max: max}
}

// episodeFields lists the timing keys every detector has.
func episodeFields(prefix string, e *EpisodeConfig) []field {
	return []field{
		num(prefix+".min_duration", &e.MinDuration, 0, 3600),
		num(prefix+".end_hold", &e.EndHold, 0, 600),
	}
}

// fields is the single table behind Set, Get, Keys and Validate.
func (c *Config) fields() []field {
	var fs []field
	add := func(prefix string, enabled *bool, e *EpisodeConfig, more ...field) {
		fs = append(fs, flag(prefix+".enabled", enabled))
		fs = append(fs, episodeFields(prefix, e)...)
		fs = append(fs, more...)
	}
	b := &c.Black
	add("black", &b.Enabled, &b.EpisodeConfig,
		num("black.pixel", &b.Pixel, 0, 1),
		num("black.picture", &b.Picture, 0.5, 1),
		num("black.max_spread", &b.MaxSpread, 0, 128))
	f := &c.Freeze
	add("freeze", &f.Enabled, &f.EpisodeConfig,
		num("freeze.threshold", &f.Threshold, 0.01, 64),
		num("freeze.hold_factor", &f.HoldFactor, 1, 10),
		num("freeze.noise_factor", &f.NoiseFactor, 0, 10),
		num("freeze.max_noise", &f.MaxNoise, 0, 64),
		num("freeze.lookback", &f.Lookback, 0, 10),
		num("freeze.min_shift", &f.MinShift, 0, 64),
		num("freeze.shift_fit", &f.ShiftFit, 0.05, 1))
	k := &c.Blockiness
	add("blockiness", &k.Enabled, &k.EpisodeConfig,
		num("blockiness.threshold", &k.Threshold, 0.1, 10),
		num("blockiness.error_window", &k.ErrorWindow, 0, 60),
		num("blockiness.error_factor", &k.ErrorFactor, 0.05, 1))
	d := &c.DecodeError
	add("decode_error", &d.Enabled, &d.EpisodeConfig,
		num("decode_error.min_frames", &d.MinFrames, 1, 1e6))
	u := &c.Blur
	add("blur", &u.Enabled, &u.EpisodeConfig,
		num("blur.ratio", &u.Ratio, 0.01, 0.99),
		num("blur.adapt", &u.Adapt, 1, 86400),
		num("blur.warmup", &u.Warmup, 0, 600))
	s := &c.Silence
	add("silence", &s.Enabled, &s.EpisodeConfig,
		num("silence.threshold_db", &s.ThresholdDB, -150, 0))
	p := &c.Clipping
	add("clipping", &p.Enabled, &p.EpisodeConfig,
		num("clipping.level", &p.Level, 0.5, 1),
		num("clipping.ratio", &p.Ratio, 1e-6, 1),
		num("clipping.window", &p.Window, 0.01, 10))
	l := &c.Loudness
	add("loudness", &l.Enabled, &l.EpisodeConfig,
		num("loudness.target", &l.Target, -70, 0),
		num("loudness.tolerance", &l.Tolerance, 0.5, 40))
	a := &c.AVSync
	add("av_sync", &a.Enabled, &a.EpisodeConfig,
		num("av_sync.threshold", &a.Threshold, 0.001, 60),
		num("av_sync.window", &a.Window, 0.1, 60),
		num("av_sync.settle", &a.Settle, 0, 600),
		num("av_sync.jump_tolerance", &a.JumpTolerance, 0, 1),
		num("av_sync.max_jump", &a.MaxJump, 0.1, 3600))
	return fs
}

func errRange(key string, v, min, max float64) error {
	return fmt.Errorf("%w: %s = %g, want %g..%g", ErrInvalid, key, v, min, max)
}
