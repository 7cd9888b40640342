package cpucost

import (
	"fmt"
	"strings"
	"time"
)

// Cost splits a command's CPU time into a fixed part paid once per process (loading
// its libraries, probing the input, shutting down) and a part proportional to the
// media it processes: CPU = Fixed + PerSecond × media seconds. A live stream in a
// long-running agent pays only the second part, so PerSecond is the per-stream cost.
type Cost struct {
	// Fixed is the CPU time a run of zero length would take.
	Fixed time.Duration
	// PerSecond is CPU seconds per second of media (1 = a whole core at real time).
	PerSecond float64
}

// Fit returns the Cost through two points: the median CPU times of the same command
// on a short and a long clip of the same kind (durations in seconds, long > short).
func Fit(short, long Measurement, shortDur, longDur float64) (Cost, error) {
	if longDur <= shortDur {
		return Cost{}, fmt.Errorf("cpucost: long clip %.1f s not longer than short %.1f s", longDur, shortDur)
	}
	if len(short.Runs) == 0 || len(long.Runs) == 0 {
		return Cost{}, fmt.Errorf("cpucost: no runs of %s", long.Command)
	}
	s, l := short.MedianCPU().Seconds(), long.MedianCPU().Seconds()
	per := (l - s) / (longDur - shortDur)
	fixed := s - per*shortDur
	return Cost{Fixed: time.Duration(fixed * float64(time.Second)), PerSecond: per}, nil
}

// Pair names the same kind of clip at two lengths.
type Pair struct {
	// Name labels the row.
	Name string
	// Short and Long are the clips (Long.Duration > Short.Duration).
	Short, Long Clip
}

// CostTable renders, per pair of clips, each command's fixed and per-second cost
// and, for each ratio, the ratio of the per-second costs of A over B.
func CostTable(pairs []Pair, ms []Measurement, cmds []string, ratios []Ratio) (string, error) {
	find := func(clip, cmd string) Measurement {
		for _, m := range ms {
			if m.Clip == clip && m.Command == cmd {
				return m
			}
		}
		return Measurement{Clip: clip, Command: cmd}
	}
	var b strings.Builder
	b.WriteString("| clip |")
	for _, c := range cmds {
		fmt.Fprintf(&b, " %s: once per process (CPU s) | %s: per second of media (%% of a core) |", c, c)
	}
	for _, r := range ratios {
		fmt.Fprintf(&b, " %s ÷ %s, per second of media |", r.A, r.B)
	}
	b.WriteString("\n|---|")
	for range 2*len(cmds) + len(ratios) {
		b.WriteString("---:|")
	}
	b.WriteString("\n")
	for _, p := range pairs {
		fmt.Fprintf(&b, "| %s (%.0f s and %.0f s) |", p.Name, p.Short.Duration, p.Long.Duration)
		costs := map[string]Cost{}
		for _, c := range cmds {
			k, err := Fit(find(p.Short.Name, c), find(p.Long.Name, c), p.Short.Duration, p.Long.Duration)
			if err != nil {
				return "", err
			}
			costs[c] = k
			fmt.Fprintf(&b, " %.2f | %.1f%% |", k.Fixed.Seconds(), 100*k.PerSecond)
		}
		for _, r := range ratios {
			if a, d := costs[r.A], costs[r.B]; d.PerSecond > 0 {
				fmt.Fprintf(&b, " **%.2f×** |", a.PerSecond/d.PerSecond)
			} else {
				b.WriteString(" — |")
			}
		}
		b.WriteString("\n")
	}
	return b.String(), nil
}
