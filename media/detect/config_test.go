package detect

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestDefaultConfigValid(t *testing.T) {
	cfg := DefaultConfig()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	ds, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var got []Type
	for _, d := range ds {
		got = append(got, d.Type())
	}
	want := []Type{Black, Freeze, Blockiness, Blur, Silence, Clipping, Loudness, AVSync, DecodeError}
	if !slices.Equal(got, want) {
		t.Errorf("New(DefaultConfig()) types %v, want %v", got, want)
	}
}

func TestConfigSet(t *testing.T) {
	cases := []struct {
		name    string
		key     string
		value   float64
		wantErr error
		check   func(Config) bool
	}{
		{"black pixel", "black.pixel", 0.2, nil, func(c Config) bool { return c.Black.Pixel == 0.2 }},
		{"black min duration", "black.min_duration", 5, nil, func(c Config) bool { return c.Black.MinDuration == 5 }},
		{"silence threshold", "silence.threshold_db", -50, nil, func(c Config) bool { return c.Silence.ThresholdDB == -50 }},
		{"av sync threshold", "av_sync.threshold", 0.08, nil, func(c Config) bool { return c.AVSync.Threshold == 0.08 }},
		{"disable blur", "blur.enabled", 0, nil, func(c Config) bool { return !c.Blur.Enabled }},
		{"enabled takes 0 or 1", "blur.enabled", 0.5, ErrInvalid, func(c Config) bool { return c.Blur.Enabled }},
		{"out of range is refused", "black.picture", 1.5, ErrInvalid, func(c Config) bool { return c.Black.Picture == 0.98 }},
		{"NaN is refused", "loudness.target", nan(), ErrInvalid, func(c Config) bool { return c.Loudness.Target == -23 }},
		{"unknown key", "black.pixels", 0.1, ErrUnknownKey, func(c Config) bool { return c == DefaultConfig() }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := DefaultConfig()
			err := cfg.Set(c.key, c.value)
			if !errors.Is(err, c.wantErr) || (c.wantErr == nil) != (err == nil) {
				t.Fatalf("Set(%q, %g) = %v, want %v", c.key, c.value, err, c.wantErr)
			}
			if !c.check(cfg) {
				t.Errorf("Set(%q, %g) left config %+v", c.key, c.value, cfg)
			}
			if err := cfg.Validate(); err != nil {
				t.Errorf("config invalid after Set: %v", err)
			}
		})
	}
}

func nan() float64 {
	var z float64
	return z / z
}

func TestConfigUnknownKeyListsKeys(t *testing.T) {
	cfg := DefaultConfig()
	err := cfg.Set("nope", 1)
	for _, k := range []string{"black.pixel", "black.picture", "black.min_duration", "silence.threshold_db", "av_sync.threshold"} {
		if !strings.Contains(err.Error(), k) {
			t.Errorf("error %q does not list %s", err, k)
		}
	}
}

func TestConfigKeysRoundTrip(t *testing.T) {
	cfg := DefaultConfig()
	keys := cfg.Keys()
	if !slices.IsSorted(keys) {
		t.Errorf("Keys not sorted: %v", keys)
	}
	for _, k := range keys {
		t.Run(k, func(t *testing.T) {
			v, err := cfg.Get(k)
			if err != nil {
				t.Fatal(err)
			}
			c := DefaultConfig()
			if err := c.Set(k, v); err != nil {
				t.Fatalf("Set(%q, Get(%q)=%g): %v", k, k, v, err)
			}
			if c != DefaultConfig() {
				t.Errorf("Set(%q, its own default) changed the config", k)
			}
		})
	}
	prefixes := map[string]bool{}
	for _, k := range keys {
		p, _, _ := strings.Cut(k, ".")
		prefixes[p] = true
	}
	for _, typ := range Types {
		if typ == NoSignal {
			continue
		}
		if !prefixes[string(typ)] {
			t.Errorf("no keys for %s", typ)
		}
	}
}

func TestNewSkipsDisabled(t *testing.T) {
	for _, typ := range Types {
		if typ == NoSignal {
			continue
		}
		t.Run(string(typ), func(t *testing.T) {
			cfg := DefaultConfig()
			if err := cfg.Set(string(typ)+".enabled", 0); err != nil {
				t.Fatal(err)
			}
			ds, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range ds {
				if d.Type() == typ {
					t.Errorf("disabled %s still built", typ)
				}
			}
			if len(ds) != 8 {
				t.Errorf("got %d detectors, want 8", len(ds))
			}
		})
	}
}

func TestNewRejectsInvalid(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Clipping.Level = 2
	if _, err := New(cfg); !errors.Is(err, ErrInvalid) {
		t.Errorf("New with clipping level 2: %v, want ErrInvalid", err)
	}
}
