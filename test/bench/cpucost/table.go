package cpucost

import (
	"fmt"
	"strings"
)

// Ratio names two commands whose median CPU times are divided, A over B.
type Ratio struct{ A, B string }

// Table renders, per clip, each command's median CPU time (with the range over runs
// and the share of one core it takes at real time) and the ratios.
func Table(clips []Clip, ms []Measurement, cmds []string, ratios []Ratio) string {
	find := func(clip, cmd string) (Measurement, bool) {
		for _, m := range ms {
			if m.Clip == clip && m.Command == cmd {
				return m, true
			}
		}
		return Measurement{}, false
	}
	var b strings.Builder
	b.WriteString("| clip |")
	for _, c := range cmds {
		fmt.Fprintf(&b, " %s: CPU s (min–max) |", c)
	}
	for _, r := range ratios {
		fmt.Fprintf(&b, " %s ÷ %s |", r.A, r.B)
	}
	b.WriteString("\n|---|")
	for range len(cmds) + len(ratios) {
		b.WriteString("---:|")
	}
	b.WriteString("\n")
	for _, c := range clips {
		fmt.Fprintf(&b, "| %s (%.0f s) |", c.Name, c.Duration)
		for _, name := range cmds {
			m, ok := find(c.Name, name)
			if !ok {
				b.WriteString(" — |")
				continue
			}
			lo, hi := m.Spread()
			med := m.MedianCPU().Seconds()
			fmt.Fprintf(&b, " %.2f (%.2f–%.2f) = %.1f%% of a core |", med, lo.Seconds(), hi.Seconds(), 100*med/c.Duration)
		}
		for _, r := range ratios {
			a, okA := find(c.Name, r.A)
			bb, okB := find(c.Name, r.B)
			if !okA || !okB || bb.MedianCPU() == 0 {
				b.WriteString(" — |")
				continue
			}
			fmt.Fprintf(&b, " **%.2f×** |", a.MedianCPU().Seconds()/bb.MedianCPU().Seconds())
		}
		b.WriteString("\n")
	}
	return b.String()
}
