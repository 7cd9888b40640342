// Package cpucost compares the CPU time of vigil with FFmpeg's on the same clips:
// every command runs several times, interleaved (round by round, in a rotating order)
// so that whatever else the machine does hits every command alike, and the median CPU
// time (user + system of the child, all threads — not wall time) is compared.
package cpucost

import (
	"context"
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/vigil-monitor/vigil/test/bench/proc"
)

// Command is one way of processing a clip.
type Command struct {
	// Name labels the command in tables.
	Name string
	// Args returns the program and its arguments for the clip at path.
	Args func(path string) (string, []string)
	// Runs, when positive, caps the command's runs below Measure's (for a command so
	// expensive that its noise does not matter); it runs in the first rounds.
	Runs int
	// On, when set, says which clips the command runs on (nil: every clip).
	On func(Clip) bool
}

// Clip is one input.
type Clip struct {
	Name string
	Path string
	// Duration is the clip's length in seconds.
	Duration float64
}

// Measurement is every run of one command on one clip.
type Measurement struct {
	Clip    string
	Command string
	Runs    []proc.Usage
}

// MedianCPU returns the median CPU time of the runs.
func (m Measurement) MedianCPU() time.Duration {
	return median(m.Runs, func(u proc.Usage) time.Duration { return u.CPU() })
}

// MedianWall returns the median wall time of the runs.
func (m Measurement) MedianWall() time.Duration {
	return median(m.Runs, func(u proc.Usage) time.Duration { return u.Wall })
}

// Spread returns the smallest and largest CPU time of the runs.
func (m Measurement) Spread() (lo, hi time.Duration) {
	for i, u := range m.Runs {
		if c := u.CPU(); i == 0 || c < lo {
			lo = c
		}
		if c := u.CPU(); c > hi {
			hi = c
		}
	}
	return lo, hi
}

func median(us []proc.Usage, f func(proc.Usage) time.Duration) time.Duration {
	if len(us) == 0 {
		return 0
	}
	v := make([]time.Duration, len(us))
	for i, u := range us {
		v[i] = f(u)
	}
	sort.Slice(v, func(i, j int) bool { return v[i] < v[j] })
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

// Measure runs every command on every clip runs times, interleaved: each round runs
// all clip × command pairs once, starting at a different command each round. Progress
// goes to log (may be nil).
func Measure(ctx context.Context, clips []Clip, cmds []Command, runs int, log io.Writer) ([]Measurement, error) {
	ms := make([]Measurement, 0, len(clips)*len(cmds))
	idx := map[[2]int]int{}
	for i, c := range clips {
		for j, cmd := range cmds {
			idx[[2]int{i, j}] = len(ms)
			ms = append(ms, Measurement{Clip: c.Name, Command: cmd.Name})
		}
	}
	for r := 0; r < runs; r++ {
		for i, c := range clips {
			for k := range cmds {
				j := (k + r) % len(cmds)
				if cmds[j].Runs > 0 && r >= cmds[j].Runs || cmds[j].On != nil && !cmds[j].On(c) {
					continue
				}
				name, args := cmds[j].Args(c.Path)
				u, err := proc.Run(ctx, nil, name, args...)
				if err != nil {
					return nil, fmt.Errorf("%s on %s: %w", cmds[j].Name, c.Name, err)
				}
				m := &ms[idx[[2]int{i, j}]]
				m.Runs = append(m.Runs, u)
				if log != nil {
					fmt.Fprintf(log, "cpu: round %d/%d %-14s %-28s cpu %6.2fs wall %6.2fs\n",
						r+1, runs, cmds[j].Name, c.Name, u.CPU().Seconds(), u.Wall.Seconds())
				}
			}
		}
	}
	return ms, nil
}
