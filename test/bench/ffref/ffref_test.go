package ffref

import (
	"context"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/vigil-monitor/vigil/test/bench/corpus"
	"github.com/vigil-monitor/vigil/test/bench/score"
)

func TestFromLog(t *testing.T) {
	tests := []struct {
		name string
		log  []string
		want []score.Detection
	}{
		{"black", []string{"[blackdetect @ 0x1] black_start:3 black_end:7.04 black_duration:4.04"},
			[]score.Detection{{Type: "black", Start: 3, End: 7.04}}},
		{"freeze closed", []string{"[freezedetect @ 0x2] lavfi.freezedetect.freeze_start: 4.04",
			"[freezedetect @ 0x2] lavfi.freezedetect.freeze_duration: 4", "[freezedetect @ 0x2] lavfi.freezedetect.freeze_end: 8.04"},
			[]score.Detection{{Type: "freeze", Start: 4.04, End: 8.04}}},
		{"freeze open at the end", []string{"[freezedetect @ 0x2] lavfi.freezedetect.freeze_start: 9"},
			[]score.Detection{{Type: "freeze", Start: 9, End: 12}}},
		{"silence", []string{"[silencedetect @ 0x3] silence_start: 9.02", "[silencedetect @ 0x3] silence_end: 13.03 | silence_duration: 4.01"},
			[]score.Detection{{Type: "silence", Start: 9.02, End: 13.03}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := DefaultConfig().fromLog(tt.log, 12)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

// series returns samples every 0.1 s with key set to vals[i].
func series(key string, vals ...float64) []Sample {
	out := make([]Sample, len(vals))
	for i, v := range vals {
		out[i] = Sample{T: float64(i) / 10, Vals: map[string]float64{key: v}}
	}
	return out
}

func TestRuns(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Block, cfg.BlockMin, cfg.BlockHold = 5, 0.3, 0.15
	tests := []struct {
		name string
		vals []float64
		want []score.Detection
	}{
		{"too short", []float64{1, 9, 9, 1, 1}, nil},
		{"long enough", []float64{1, 9, 9, 9, 1}, []score.Detection{{Type: "blockiness", Start: 0.1, End: 0.4}}},
		{"gap bridged", []float64{9, 9, 1, 9, 9, 1, 1, 1}, []score.Detection{{Type: "blockiness", Start: 0, End: 0.5}}},
		{"gap too long", []float64{9, 9, 9, 1, 1, 1, 9, 9, 9}, []score.Detection{
			{Type: "blockiness", Start: 0, End: 0.3}, {Type: "blockiness", Start: 0.6, End: 0.9}}},
		{"open at the end", []float64{1, 9, 9, 9, 9}, []score.Detection{{Type: "blockiness", Start: 0.1, End: 0.5}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := cfg.blocky(series("lavfi.block", tt.vals...))
			if len(got) != len(tt.want) {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
			for i := range got {
				if abs(got[i].Start-tt.want[i].Start) > 1e-9 || abs(got[i].End-tt.want[i].End) > 1e-9 {
					t.Errorf("got %+v, want %+v", got, tt.want)
				}
			}
		})
	}
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

func TestParseMeta(t *testing.T) {
	in := "frame:0    pts:0       pts_time:0\nlavfi.block=2.5\nlavfi.blur=3.25\nlavfi.black_start=0\n" +
		"frame:1    pts:3003    pts_time:0.0333667\nlavfi.block=2.75\n"
	got, err := parseMeta(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []Sample{{T: 0, Vals: map[string]float64{"lavfi.block": 2.5, "lavfi.blur": 3.25}},
		{T: 0.0333667, Vals: map[string]float64{"lavfi.block": 2.75}}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

// TestRunnerOnRealClip runs the filters on a clip made with the ffmpeg CLI, then
// again with a broken ffmpeg path to show the second answer comes from the cache.
func TestRunnerOnRealClip(t *testing.T) {
	dir := t.TempDir()
	clip := filepath.Join(dir, "c.ts")
	out, err := exec.Command("ffmpeg", "-nostdin", "-v", "error", "-f", "lavfi", "-i",
		"testsrc2=s=160x120:r=10,trim=duration=8,drawbox=c=black:t=fill:enable='between(t,2,5)'",
		"-f", "lavfi", "-i", "sine=f=440:r=48000,atrim=duration=8,volume=volume=0:enable='between(t,5,7.5)'",
		"-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", "-f", "mpegts", clip).CombinedOutput()
	if err != nil {
		t.Fatalf("make clip: %v\n%s", err, out)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cache := filepath.Join(dir, "cache")
	cfg := DefaultConfig()
	raw, err := Runner{FFmpeg: "ffmpeg", Cache: cache, Version: "test"}.Raw(ctx, cfg, "c", clip)
	if err != nil {
		t.Fatal(err)
	}
	if len(raw.Video) < 70 || len(raw.Audio) == 0 {
		t.Fatalf("%d video and %d audio samples", len(raw.Video), len(raw.Audio))
	}
	dets := cfg.Detect(raw, "c", 8)
	found := map[string]score.Detection{}
	for _, d := range dets {
		found[d.Type] = d
	}
	for typ, start := range map[string]float64{"black": 2, "silence": 5} {
		d, ok := found[typ]
		if !ok || abs(d.Start-start) > 0.15 || d.Clip != "c" {
			t.Errorf("%s: got %+v in %+v, want a start near %v", typ, d, dets, start)
		}
	}
	again, err := Runner{FFmpeg: "/nonexistent/ffmpeg", Cache: cache, Version: "test"}.Raw(ctx, cfg, "c", clip)
	if err != nil {
		t.Fatalf("cached run: %v", err)
	}
	if !reflect.DeepEqual(again, raw) {
		t.Error("cached result differs")
	}
	if _, err := (Runner{FFmpeg: "/nonexistent/ffmpeg", Cache: cache, Version: "other"}).Raw(ctx, cfg, "c", clip); err == nil {
		t.Error("a different ffmpeg version reused the cache")
	}
}

func TestTune(t *testing.T) {
	// Clip "bad" is blocky (score 9) from 1 s to 2 s; clean clips score up to 4.
	items := []corpus.Item{
		{Name: "bad", Duration: 3, Truths: []corpus.Truth{{Type: "decode_error", Alternatives: []string{"blockiness"}, Start: 1, End: 2}}},
		{Name: "clean", Duration: 3},
	}
	bad := make([]float64, 30)
	clean := make([]float64, 30)
	for i := range bad {
		bad[i] = 2
		if i >= 10 && i < 20 {
			bad[i] = 9
		}
		clean[i] = float64(i%5) * 1.0
	}
	raws := map[string]Raw{"bad": {Video: series("lavfi.block", bad...)}, "clean": {Video: series("lavfi.block", clean...)}}
	cfg, tuned := Tune(DefaultConfig(), items, raws)
	if cfg.Block < 4 || cfg.Block >= 9 {
		t.Errorf("block threshold %v, want one that separates 4 from 9", cfg.Block)
	}
	if tuned[0].F1 != 1 {
		t.Errorf("tuned %+v, want F1 1", tuned[0])
	}
}
