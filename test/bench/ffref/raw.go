package ffref

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/vigil-monitor/vigil/test/bench/score"
)

// Raw is what the filters said about one clip: the log lines of the filters that
// report intervals and the per-frame scores of those that do not.
type Raw struct {
	Log   []string `json:"log"`
	Video []Sample `json:"video"`
	Audio []Sample `json:"audio"`
}

// Sample is one frame's time and scores.
type Sample struct {
	T    float64            `json:"t"`
	Vals map[string]float64 `json:"vals"`
}

// keep lists the per-frame keys Raw keeps.
var keep = map[string]bool{"lavfi.block": true, "lavfi.blur": true, "lavfi.r128.S": true}

// reLog matches the log lines Raw keeps.
var reLog = regexp.MustCompile(`black_start|freezedetect\.freeze_(start|end)|silence_(start|end)`)

// Runner runs the filters, caching what they said (the filters are deterministic: a
// clip's result changes only with the clip, the filter graph or ffmpeg).
type Runner struct {
	// FFmpeg is the ffmpeg binary.
	FFmpeg string
	// Cache is the cache directory; empty disables caching.
	Cache string
	// Version is `ffmpeg -version`'s first line, part of the cache key.
	Version string
}

// Raw runs cfg's filters on the clip at path (named name), or returns the cached
// result.
func (r Runner) Raw(ctx context.Context, cfg Config, name, path string) (Raw, error) {
	h := sha256.New()
	fmt.Fprintf(h, "%s\n%s\n%s\n", r.Version, filepath.Base(path), cfg.Filters("V", "A"))
	cached := ""
	if r.Cache != "" {
		cached = filepath.Join(r.Cache, name+"-"+hex.EncodeToString(h.Sum(nil))[:12]+".ffref.json")
		if b, err := os.ReadFile(cached); err == nil {
			var raw Raw
			if json.Unmarshal(b, &raw) == nil {
				return raw, nil
			}
		}
	}
	tmp, err := os.MkdirTemp("", "ffref-")
	if err != nil {
		return Raw{}, fmt.Errorf("ffmpeg filters: %w", err)
	}
	defer os.RemoveAll(tmp)
	vm, am := filepath.Join(tmp, "video.txt"), filepath.Join(tmp, "audio.txt")
	if !safePath.MatchString(vm) {
		return Raw{}, fmt.Errorf("ffmpeg filters on %s: score file path %q needs escaping", name, vm)
	}
	cmd := exec.CommandContext(ctx, r.FFmpeg, cfg.Args(path, vm, am)...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return Raw{}, fmt.Errorf("ffmpeg filters on %s: %w: %s", name, err, tail(stderr.String(), 1500))
	}
	var raw Raw
	for _, line := range strings.Split(stderr.String(), "\n") {
		if reLog.MatchString(line) {
			raw.Log = append(raw.Log, strings.TrimSpace(line))
		}
	}
	if raw.Video, err = readMeta(vm); err != nil {
		return Raw{}, err
	}
	if raw.Audio, err = readMeta(am); err != nil {
		return Raw{}, err
	}
	if cached != "" {
		if b, err := json.Marshal(raw); err == nil {
			if err := os.MkdirAll(r.Cache, 0o755); err == nil {
				_ = os.WriteFile(cached, b, 0o644)
			}
		}
	}
	return raw, nil
}

func readMeta(path string) ([]Sample, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("ffmpeg filters: %w", err)
	}
	defer f.Close()
	return parseMeta(f)
}

// Detect turns what the filters said into detections for clip name lasting duration
// seconds.
func (c Config) Detect(raw Raw, name string, duration float64) []score.Detection {
	dets := c.fromLog(raw.Log, duration)
	dets = append(dets, c.fromSeries(raw.Video, raw.Audio)...)
	for i := range dets {
		dets[i].Clip = name
	}
	return dets
}
