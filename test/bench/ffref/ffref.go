// Package ffref runs FFmpeg's own detection filters on a clip — what a script around
// the ffmpeg CLI would do — and turns their output into detections in vigil's terms,
// so that vigil can be scored against them on the same clips.
//
// blackdetect, freezedetect and silencedetect report intervals themselves.
// blockdetect and blurdetect only give a score per frame, and ebur128 a short-term
// loudness every 100 ms; for those a threshold and a minimum duration turn the series
// into intervals (Config). FFmpeg has no filter for clipping, A/V sync or decode
// errors, so those rows are not covered.
package ffref

import (
	"fmt"
	"regexp"
	"strings"
)

// Config holds the thresholds. The defaults mirror vigil's detector defaults where
// the filters have the same knob.
type Config struct {
	// BlackDuration, BlackPicture and BlackPixel are blackdetect's d, pic_th and pix_th.
	BlackDuration, BlackPicture, BlackPixel float64
	// FreezeNoise (dB) and FreezeDuration are freezedetect's n and d.
	FreezeNoise, FreezeDuration float64
	// SilenceNoise (dB) and SilenceDuration are silencedetect's n and d.
	SilenceNoise, SilenceDuration float64
	// Block is the blockdetect score above which a frame counts as blocky; a blocky
	// run must last BlockMin seconds (gaps up to BlockHold are bridged).
	Block, BlockMin, BlockHold float64
	// Blur is the blurdetect score above which a frame counts as blurred; a run must
	// last BlurMin seconds (gaps up to BlurHold are bridged).
	Blur, BlurMin, BlurHold float64
	// LoudLow and LoudHigh (LUFS) bound the short-term loudness; out of range for
	// LoudMin seconds is a loudness defect.
	LoudLow, LoudHigh, LoudMin float64
}

// DefaultConfig returns the starting thresholds. Block and Blur have no natural
// default (the filters' scores depend on the content); Tune picks them per corpus.
func DefaultConfig() Config {
	return Config{
		BlackDuration: 2, BlackPicture: 0.98, BlackPixel: 0.10,
		FreezeNoise: -60, FreezeDuration: 2,
		SilenceNoise: -60, SilenceDuration: 2,
		Block: 6, BlockMin: 0.2, BlockHold: 0.4,
		Blur: 6, BlurMin: 2, BlurHold: 0.3,
		LoudLow: -31, LoudHigh: -15, LoudMin: 3,
	}
}

// Covers lists the score rows FFmpeg's filters can report.
var Covers = map[string]bool{"black": true, "freeze": true, "blur": true, "corruption": true,
	"silence": true, "loudness": true}

// Filters returns the filter graph: video filters on the first video stream, audio
// filters on the first audio stream, per-frame scores printed to the two files.
func (c Config) Filters(videoMeta, audioMeta string) string {
	return fmt.Sprintf("[0:v:0]blackdetect=d=%g:pic_th=%g:pix_th=%g,freezedetect=n=%gdB:d=%g,blockdetect,blurdetect,"+
		"metadata=mode=print:file=%s[vo];"+
		"[0:a:0]silencedetect=n=%gdB:d=%g,ebur128=metadata=1,ametadata=mode=print:key=lavfi.r128.S:file=%s[ao]",
		c.BlackDuration, c.BlackPicture, c.BlackPixel, c.FreezeNoise, c.FreezeDuration, videoMeta,
		c.SilenceNoise, c.SilenceDuration, audioMeta)
}

// safePath matches paths that need no escaping inside a filter graph.
var safePath = regexp.MustCompile(`^[A-Za-z0-9_./+-]+$`)

// Args returns the ffmpeg arguments that run the filters on clip.
func (c Config) Args(clip, videoMeta, audioMeta string) []string {
	return []string{"-nostdin", "-hide_banner", "-nostats", "-v", "info", "-i", clip,
		"-filter_complex", c.Filters(videoMeta, audioMeta), "-map", "[vo]", "-map", "[ao]", "-f", "null", "-"}
}

func tail(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}
