package capacity

import (
	"fmt"
	"sort"
	"strings"
)

// Table renders the ramp's steps, by stream count.
func (r Result) Table() string {
	steps := append([]Step(nil), r.Steps...)
	sort.SliceStable(steps, func(i, j int) bool { return steps[i].Streams < steps[j].Streams })
	var b strings.Builder
	b.WriteString("| streams | sustained | slowest stream fps | mean fps | detector drops / frames | agent CPU (cores) | per stream (% of a core) | agent RSS (MB) | source CPU (cores) | source speed | load average | why not |\n")
	b.WriteString("|---:|:---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n")
	for _, s := range steps {
		ok := "yes"
		if !s.Sustained {
			ok = "no"
		}
		fmt.Fprintf(&b, "| %d | %s | %.1f | %.1f | %.0f / %.0f | %.2f | %.1f%% | %.0f | %.2f | %.2f× | %.1f | %s |\n",
			s.Streams, ok, s.MinFPS, s.MeanFPS, s.DetectorDrops, s.Frames, s.AgentCores,
			100*s.AgentCores/float64(s.Streams), float64(s.RSS)/(1<<20), s.SourceCores, s.SourceRate, s.Load, s.Why)
	}
	return b.String()
}

// RSSPerStream fits RSS = base + perStream × streams over the steps by least squares
// and returns both in bytes (ok false with fewer than two distinct counts).
func (r Result) RSSPerStream() (base, perStream float64, ok bool) {
	var n, sx, sy, sxx, sxy float64
	seen := map[int]bool{}
	for _, s := range r.Steps {
		if s.RSS == 0 {
			continue
		}
		x, y := float64(s.Streams), float64(s.RSS)
		n++
		sx += x
		sy += y
		sxx += x * x
		sxy += x * y
		seen[s.Streams] = true
	}
	if len(seen) < 2 {
		return 0, 0, false
	}
	d := n*sxx - sx*sx
	perStream = (n*sxy - sx*sy) / d
	base = (sy - perStream*sx) / n
	return base, perStream, true
}

// CorePerStream returns the agent's CPU per stream, in cores, at the largest
// sustained step (ok false when none was sustained).
func (r Result) CorePerStream() (float64, bool) {
	for _, s := range r.Steps {
		if s.Sustained && s.Streams == r.Best && s.Streams > 0 {
			return s.AgentCores / float64(s.Streams), true
		}
	}
	return 0, false
}

// SourceBound reports whether the ramp stopped because the source fell behind real
// time rather than because the agent did, and at which stream count.
func (r Result) SourceBound() (int, bool) {
	first := 0
	for _, s := range r.Steps {
		if !s.Sustained && (first == 0 || s.Streams < first) {
			first = s.Streams
		}
	}
	for _, s := range r.Steps {
		if s.Streams == first && r.Config.File == "" && s.SourceRate < r.Config.MinRate {
			return first, true
		}
	}
	return 0, false
}
