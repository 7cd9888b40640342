package cpucost

import (
	"bytes"
	"context"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/vigil-monitor/vigil/test/bench/proc"
)

func TestMeasure(t *testing.T) {
	burn := func(n int) func(string) (string, []string) {
		return func(string) (string, []string) {
			return "sh", []string{"-c", strings.Replace(`i=0; while [ $i -lt N ]; do i=$((i+1)); done`, "N", itoa(n), 1)}
		}
	}
	cmds := []Command{{Name: "light", Args: burn(1000)}, {Name: "heavy", Args: burn(300000)}, {Name: "once", Args: burn(1000), Runs: 1}}
	clips := []Clip{{Name: "c", Path: "unused", Duration: 1}}
	var log bytes.Buffer
	ms, err := Measure(context.Background(), clips, cmds, 3, &log)
	if err != nil {
		t.Fatal(err)
	}
	runs := map[string]int{}
	med := map[string]time.Duration{}
	for _, m := range ms {
		runs[m.Command] = len(m.Runs)
		med[m.Command] = m.MedianCPU()
	}
	if runs["light"] != 3 || runs["heavy"] != 3 || runs["once"] != 1 {
		t.Errorf("runs %v", runs)
	}
	if med["heavy"] <= med["light"] {
		t.Errorf("median CPU heavy %v <= light %v", med["heavy"], med["light"])
	}
	// Rounds start at a different command each time.
	lines := strings.Split(strings.TrimSpace(log.String()), "\n")
	if len(lines) != 7 || strings.Contains(lines[0], "heavy") == strings.Contains(lines[3], "heavy") {
		t.Errorf("order not rotated:\n%s", log.String())
	}
	table := Table(clips, ms, []string{"light", "heavy"}, []Ratio{{A: "heavy", B: "light"}})
	if !strings.Contains(table, "| c (1 s) |") || !strings.Contains(table, "×** |") {
		t.Errorf("table:\n%s", table)
	}
}

func itoa(n int) string {
	var b []byte
	for n > 0 {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
	}
	return string(b)
}

func TestMedian(t *testing.T) {
	us := func(ds ...time.Duration) []proc.Usage {
		var out []proc.Usage
		for _, d := range ds {
			out = append(out, proc.Usage{User: d})
		}
		return out
	}
	tests := []struct {
		name string
		runs []proc.Usage
		want time.Duration
	}{
		{"odd", us(3, 1, 2), 2},
		{"even", us(4, 1, 2, 3), 2},
		{"none", nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := (Measurement{Runs: tt.runs}).MedianCPU(); got != tt.want {
				t.Errorf("median %v, want %v", got, tt.want)
			}
		})
	}
}

func TestParseGoBench(t *testing.T) {
	in := `goos: linux
BenchmarkDetectors/black-2         	   30000	     38900 ns/op	       0 B/op	       0 allocs/op
BenchmarkDetectors/decode-720p-h264-2 	      12	  98765432 ns/op	   3745200 ns/frame
BenchmarkDecode720p 	 600	   3000000 ns/op	 3.5 allocs/frame	 333.3 frames/s
PASS
`
	got := ParseGoBench(strings.NewReader(in))
	if len(got) != 3 {
		t.Fatalf("got %+v", got)
	}
	if got[0].Name != "Detectors/black" || got[0].Metrics["ns/op"] != 38900 || got[0].Metrics["allocs/op"] != 0 {
		t.Errorf("first %+v", got[0])
	}
	if got[1].Name != "Detectors/decode-720p-h264" || got[1].Metrics["ns/frame"] != 3745200 {
		t.Errorf("second %+v", got[1])
	}
	if got[2].Name != "Decode720p" || got[2].Metrics["allocs/frame"] != 3.5 {
		t.Errorf("third %+v", got[2])
	}
}

func TestParseTop(t *testing.T) {
	in := `File: vigil
Type: cpu
Duration: 2.80s, Total samples = 2.41s (86.07%)
Showing nodes accounting for 2.41s, 100% of 2.41s total
      flat  flat%   sum%        cum   cum%
     2.02s 83.82% 83.82%      2.02s 83.82%  [libavcodec.so.59.37.100]
     0.16s  6.64% 90.46%      0.16s  6.64%  runtime.cgocall
     0.07s  2.90% 93.36%      0.07s  2.90%  github.com/vigil-monitor/vigil/media/detect.(*blockGrid).gather
      10ms  0.41% 93.78%      240ms  9.96%  github.com/asynkron/protoactor-go/actor.(*actorContext).InvokeUserMessage
         0     0% 93.78%      0.05s  2.07%  github.com/asticode/go-astiav.(*CodecContext).SendPacket.func1 (inline)
`
	p, err := ParseTop(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if p.Total != 2.41 || len(p.Lines) != 5 {
		t.Fatalf("profile %+v", p)
	}
	if p.Lines[3].Flat != 0.01 || p.Lines[3].Cum != 0.24 || p.Lines[4].Func != "github.com/asticode/go-astiav.(*CodecContext).SendPacket.func1 (inline)" {
		t.Errorf("lines %+v", p.Lines)
	}
	areas := p.ByArea()
	if areas[0].Func != "FFmpeg decoding (libavcodec)" || areas[0].Flat != 2.02 {
		t.Errorf("areas %+v", areas)
	}
}

func TestFit(t *testing.T) {
	runs := func(s ...float64) []proc.Usage {
		var out []proc.Usage
		for _, v := range s {
			out = append(out, proc.Usage{User: time.Duration(v * float64(time.Second))})
		}
		return out
	}
	// 0.4 s once, then 10% of a core: 4 s costs 0.8 s, 20 s costs 2.4 s.
	short := Measurement{Clip: "c/short", Command: "x", Runs: runs(0.8, 0.9, 0.7)}
	long := Measurement{Clip: "c", Command: "x", Runs: runs(2.4, 2.5, 2.3)}
	k, err := Fit(short, long, 4, 20)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(k.Fixed.Seconds()-0.4) > 1e-6 || math.Abs(k.PerSecond-0.1) > 1e-9 {
		t.Errorf("cost %+v, want 0.4 s once and 0.1 per second", k)
	}
	if _, err := Fit(short, long, 20, 20); err == nil {
		t.Error("equal durations accepted")
	}
	if _, err := Fit(Measurement{}, long, 4, 20); err == nil {
		t.Error("no runs accepted")
	}
	// y: 0.1 s once and 9% of a core: the ratio of the per-second costs is 0.1/0.09.
	ms := []Measurement{short, long,
		{Clip: "c/short", Command: "y", Runs: runs(0.46)}, {Clip: "c", Command: "y", Runs: runs(1.9)}}
	pairs := []Pair{{Name: "c", Short: Clip{Name: "c/short", Duration: 4}, Long: Clip{Name: "c", Duration: 20}}}
	table, err := CostTable(pairs, ms, []string{"y", "x"}, []Ratio{{A: "x", B: "y"}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(table, "| c (4 s and 20 s) | 0.10 | 9.0% | 0.40 | 10.0% | **1.11×** |") {
		t.Errorf("table:\n%s", table)
	}
}
