package detect

import "fmt"

// New validates cfg and returns the enabled detectors of one stream, in the order of
// Types. Video detectors implement VideoDetector, audio detectors AudioDetector, and
// the A/V sync detector both. no_signal is not among them: it is reported by whoever
// runs the decoder, which knows when no frames come at all.
//
// The caller owns the detectors and must Close each when the stream stops: the blur
// detector holds OpenCV memory that only Close releases.
func New(cfg Config) ([]Detector, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("detector config: %w", err)
	}
	var ds []Detector
	if cfg.Black.Enabled {
		ds = append(ds, NewBlackDetector(cfg.Black))
	}
	if cfg.Freeze.Enabled {
		ds = append(ds, NewFreezeDetector(cfg.Freeze, cfg.Black))
	}
	if cfg.Blockiness.Enabled {
		ds = append(ds, NewBlockinessDetector(cfg.Blockiness))
	}
	if cfg.Blur.Enabled {
		ds = append(ds, NewBlurDetector(cfg.Blur))
	}
	if cfg.Silence.Enabled {
		ds = append(ds, NewSilenceDetector(cfg.Silence))
	}
	if cfg.Clipping.Enabled {
		ds = append(ds, NewClippingDetector(cfg.Clipping))
	}
	if cfg.Loudness.Enabled {
		ds = append(ds, NewLoudnessDetector(cfg.Loudness))
	}
	if cfg.AVSync.Enabled {
		ds = append(ds, NewAVSyncDetector(cfg.AVSync))
	}
	if cfg.DecodeError.Enabled {
		ds = append(ds, NewDecodeErrorDetector(cfg.DecodeError))
	}
	return ds, nil
}
