package capacity

import (
	"math"
	"strings"
	"testing"
)

func TestParseMetrics(t *testing.T) {
	in := `# HELP vigil_stream_video_frames_total Video frames decoded.
# TYPE vigil_stream_video_frames_total counter
vigil_stream_video_frames_total{stream="s000"} 300
vigil_stream_detector_dropped_frames_total{detector="black",stream="s000"} 2
vigil_stream_detector_dropped_frames_total{detector="freeze",stream="s000"} 3
vigil_stream_state{state="running",stream="s000"} 1
vigil_stream_state{state="retrying",stream="s000"} 0
go_goroutines 42
`
	ms, err := parseMetrics(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 6 || ms[5].name != "go_goroutines" || ms[5].value != 42 || ms[1].labels["detector"] != "black" {
		t.Errorf("metrics %+v", ms)
	}
	if _, err := parseMetrics(strings.NewReader("broken{ 1\n")); err == nil {
		t.Error("broken line accepted")
	}
}

func TestSlopeAndRSS(t *testing.T) {
	if s := slope([]float64{0, 1, 2, 3}, []float64{1, 31, 59, 91}); math.Abs(s-29.8) > 1e-9 {
		t.Errorf("slope %v", s)
	}
	r := Result{Steps: []Step{{Streams: 1, RSS: 110 << 20}, {Streams: 2, RSS: 120 << 20}, {Streams: 4, RSS: 140 << 20}}}
	base, per, ok := r.RSSPerStream()
	if !ok || math.Abs(base-100*(1<<20)) > 1 || math.Abs(per-10*(1<<20)) > 1 {
		t.Errorf("RSS fit %v + %v per stream (ok %v)", base, per, ok)
	}
	if _, _, ok := (Result{Steps: []Step{{Streams: 1, RSS: 1}}}).RSSPerStream(); ok {
		t.Error("fit from one point")
	}
	cfg := DefaultConfig()
	src := Result{Config: cfg, Best: 1, Steps: []Step{{Streams: 1, Sustained: true, SourceRate: 1}, {Streams: 2, SourceRate: 0.8}}}
	if n, ok := src.SourceBound(); !ok || n != 2 {
		t.Errorf("source bound %d %v, want 2", n, ok)
	}
	src.Steps[1].SourceRate = 1 // the agent fell behind, not the source
	if _, ok := src.SourceBound(); ok {
		t.Error("source bound when the source kept up")
	}
	r = Result{Best: 4, Steps: []Step{{Streams: 4, Sustained: true, AgentCores: 0.6}, {Streams: 8, AgentCores: 1.5}}}
	if per, ok := r.CorePerStream(); !ok || math.Abs(per-0.15) > 1e-9 {
		t.Errorf("core per stream %v (ok %v)", per, ok)
	}
}
