package cpucost

import (
	"bufio"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
)

// ProfileLine is one function of `go tool pprof -top` output.
type ProfileLine struct {
	Func      string
	Flat, Cum float64 // seconds
	FlatPct   float64
	CumPct    float64
}

// Profile is parsed `go tool pprof -top` output.
type Profile struct {
	// Total is the total sampled time in seconds.
	Total float64
	Lines []ProfileLine
}

// ParseTop reads `go tool pprof -top` output.
func ParseTop(r io.Reader) (Profile, error) {
	var p Profile
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if i := strings.Index(line, "Total samples = "); i >= 0 {
			rest := line[i+len("Total samples = "):]
			tok, _, _ := strings.Cut(rest, " ")
			v, err := parseSeconds(tok)
			if err != nil {
				return p, err
			}
			p.Total = v
			continue
		}
		f := strings.Fields(line)
		if len(f) < 6 || !strings.HasSuffix(f[1], "%") {
			continue
		}
		flat, err1 := parseSeconds(f[0])
		cum, err2 := parseSeconds(f[3])
		if err1 != nil || err2 != nil {
			continue
		}
		fp, _ := strconv.ParseFloat(strings.TrimSuffix(f[1], "%"), 64)
		cp, _ := strconv.ParseFloat(strings.TrimSuffix(f[4], "%"), 64)
		p.Lines = append(p.Lines, ProfileLine{Func: strings.Join(f[5:], " "), Flat: flat, Cum: cum, FlatPct: fp, CumPct: cp})
	}
	if err := sc.Err(); err != nil {
		return p, fmt.Errorf("pprof output: %w", err)
	}
	return p, nil
}

// parseSeconds parses pprof durations such as "1.20s", "350ms", "10us" or "0".
func parseSeconds(s string) (float64, error) {
	units := []struct {
		suffix string
		scale  float64
	}{{"ms", 1e-3}, {"us", 1e-6}, {"µs", 1e-6}, {"ns", 1e-9}, {"s", 1}, {"min", 60}, {"h", 3600}}
	if s == "0" {
		return 0, nil
	}
	for _, u := range units {
		if strings.HasSuffix(s, u.suffix) {
			v, err := strconv.ParseFloat(strings.TrimSuffix(s, u.suffix), 64)
			if err != nil {
				return 0, fmt.Errorf("pprof duration %q: %w", s, err)
			}
			return v * u.scale, nil
		}
	}
	return 0, fmt.Errorf("pprof duration %q: unknown unit", s)
}

// areas maps function name prefixes to the part of the program they belong to, most
// specific first.
// C code shows as its library ("[libavcodec.so.59.37.100]") when the sample was taken
// on a thread FFmpeg or OpenCV created, and as runtime.cgocall when it was taken on a
// Go thread inside a cgo call.
var areas = []struct{ prefix, area string }{
	{"[libavcodec", "FFmpeg decoding (libavcodec)"},
	{"[libav", "FFmpeg demuxing and other (libavformat, libavutil)"},
	{"[libsw", "FFmpeg resampling and scaling (libswresample, libswscale)"},
	{"[libopencv", "OpenCV"},
	{"[lib", "other C libraries (libc …)"},
	{"runtime.cgocall", "C code called from Go threads (cgo)"},
	{"runtime._ExternalCode", "C code called from Go threads (cgo)"},
	{"runtime.asmcgocall", "C code called from Go threads (cgo)"},
	{"github.com/vigil-monitor/vigil/media/detect.", "vigil detectors (media/detect)"},
	{"github.com/vigil-monitor/vigil/media/synth.", "vigil media/synth"},
	{"github.com/vigil-monitor/vigil/media.", "vigil media (Go side of decoding)"},
	{"github.com/vigil-monitor/vigil/actors.", "vigil actors"},
	{"github.com/asynkron/", "protoactor-go"},
	{"gocv.io/", "gocv (Go side)"},
	{"github.com/asticode/", "go-astiav (Go side)"},
	{"runtime.", "Go runtime (GC, scheduler, memory)"},
	{"syscall.", "syscalls"},
	{"internal/runtime", "Go runtime (GC, scheduler, memory)"},
}

// Area returns the part of the program a function belongs to.
func Area(fn string) string {
	for _, a := range areas {
		if strings.HasPrefix(fn, a.prefix) {
			return a.area
		}
	}
	return "other Go code"
}

// ByArea sums flat time per area, largest first.
func (p Profile) ByArea() []ProfileLine {
	sum := map[string]float64{}
	for _, l := range p.Lines {
		sum[Area(l.Func)] += l.Flat
	}
	out := make([]ProfileLine, 0, len(sum))
	for a, v := range sum {
		pct := 0.0
		if p.Total > 0 {
			pct = 100 * v / p.Total
		}
		out = append(out, ProfileLine{Func: a, Flat: v, FlatPct: pct})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Flat > out[j].Flat })
	return out
}
