package cpucost

import (
	"bytes"
	"context"
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
