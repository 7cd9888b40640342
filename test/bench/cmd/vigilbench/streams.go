package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-monitor/vigil/test/bench/capacity"
	"github.com/vigil-monitor/vigil/test/bench/corpus"
	"github.com/vigil-monitor/vigil/test/bench/cpucost"
	"github.com/vigil-monitor/vigil/test/bench/report"
)

func init() {
	commands["streams"] = command{summary: "live 720p30 streams one agent sustains, RSS per stream, allocations per frame", run: runStreams}
}

func runStreams(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("streams", stderr)
	cfg := capacity.DefaultConfig()
	long := fs.Bool("long", false, "long steps (20 s warm-up, 60 s measured) for a steadier answer")
	fs.StringVar(&cfg.Vigil, "vigil", cfg.Vigil, "vigil binary")
	fs.IntVar(&cfg.Channels, "channels", cfg.Channels, "source channels (streams share them round-robin)")
	fs.IntVar(&cfg.Start, "start", cfg.Start, "first stream count")
	fs.IntVar(&cfg.Max, "max", cfg.Max, "largest stream count tried")
	fs.DurationVar(&cfg.Warmup, "warmup", cfg.Warmup, "time each step runs before it is measured")
	fs.DurationVar(&cfg.Window, "window", cfg.Window, "time each step is measured")
	cache := fs.String("cache", ".cache/bench/cpu", "directory where the allocation benchmark's clips are cached")
	allocs := fs.Bool("allocs", true, "also measure allocations per frame through the actors path")
	input := fs.String("input", "source", "where streams come from: source (live channels of one vigil source) or file "+
		"(a 720p30 H.264 clip each stream plays paced and looped: the agent without an encoder beside it)")
	out := fs.String("out", "docs/results.md", "results file to update (empty: print the section)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *long {
		cfg.Warmup, cfg.Window = 20*time.Second, 60*time.Second
	}
	cfg.Log = stderr
	machine := report.Describe(ctx, time.Now())
	section, title := "streams", "## Streams per node: live channels from vigil source\n\n"
	switch *input {
	case "source":
	case "file":
		g := &corpus.Generator{Dir: *cache, Parallel: 1, Log: stderr}
		items, err := g.Generate(ctx, corpus.CPUClips(20)[:1])
		if err != nil {
			return err
		}
		cfg.File = items[0].Path
		section, title = "streams-file", "## Streams per node: files paced in real time (no encoder on the machine)\n\n"
	default:
		return fmt.Errorf("-input %q: want source or file", *input)
	}
	res, err := capacity.Run(ctx, cfg)
	if err != nil {
		return err
	}
	fmt.Fprint(stdout, res.Table())

	var b strings.Builder
	b.WriteString(title)
	b.WriteString(machine.Markdown())
	if cfg.File == "" {
		b.WriteString(reproduce("streams", "BENCH_STREAMS_FLAGS", args))
	} else {
		// bench-streams runs this as its second command, adding -input file -allocs=false.
		var extra []string
		for _, a := range args {
			if a != "-input" && a != "file" && a != "-input=file" && a != "-allocs=false" {
				extra = append(extra, a)
			}
		}
		target := "make bench-streams"
		if len(extra) > 0 {
			target += fmt.Sprintf(" BENCH_STREAMS_FLAGS='%s'", strings.Join(extra, " "))
		}
		fmt.Fprintf(&b, "\nReproduce: `%s` (its second command: `bin/vigilbench streams %s`).\n\n", target, strings.Join(args, " "))
	}
	if cfg.File == "" {
		fmt.Fprintf(&b, "One `vigil source` serves %d live %dx%d %d fps H.264 channel(s), encoded once, in real time, on the same "+
			"machine, at nice %d so that it keeps real time while the agent loads the cores; one `vigil agent --http …` "+
			"watches N streams of them (stream i reads channel i mod %d, so the source's cost stays fixed).",
			cfg.Channels, cfg.Width, cfg.Height, cfg.FPS, cfg.SourceNice, cfg.Channels)
	} else {
		fmt.Fprintf(&b, "One `vigil agent --allow-file --http …` watches N streams that each play the same %dx%d %d fps "+
			"H.264 clip (`%s`), paced at its native rate and looped — the agent's work for a live stream without an encoder "+
			"on the same machine.", cfg.Width, cfg.Height, cfg.FPS, filepath.Base(cfg.File))
	}
	fmt.Fprintf(&b, " Each step starts a fresh agent, waits until every stream decodes, lets it run %v, then "+
		"measures for %v, sampling once a second: frames decoded per stream (the agent's /metrics; rates are "+
		"least-squares slopes), detector drops, input restarts, and the agent's CPU and RSS (/proc). A step is sustained "+
		"when the input keeps real time, the slowest stream decodes at least %.0f%% of %d fps, detectors skip at most "+
		"%.1f%% of frames (all detectors together), and no input restarts. N doubles until a step fails, then bisects. Other work on this shared "+
		"machine competes for the same cores (see the load average above).\n\n",
		cfg.Warmup, cfg.Window, 100*cfg.MinRate, cfg.FPS, 100*cfg.MaxDropShare)
	fmt.Fprintf(&b, "**Largest sustained: %d streams of %dp%d** on this machine", res.Best, cfg.Height, cfg.FPS)
	if n, ok := res.SourceBound(); ok {
		fmt.Fprintf(&b, " — a bound set by the source, not by the agent: the encoder sharing the machine fell behind "+
			"real time at %d streams (the ramp from files, without an encoder, measures the agent alone)", n)
	}
	if base, per, ok := res.RSSPerStream(); ok {
		fmt.Fprintf(&b, "; RSS ≈ %.0f MB + %.1f MB per stream (least squares over the steps)", base/(1<<20), per/(1<<20))
	}
	b.WriteString(".")
	if per, ok := res.CorePerStream(); ok && per > 0 {
		fmt.Fprintf(&b, " At that step each stream cost the agent %.1f%% of a core; by CPU alone an otherwise idle "+
			"%d-core node would have room for about %.0f such streams (an extrapolation, not a measurement).",
			100*per, machine.Cores, float64(machine.Cores)/per)
	}
	b.WriteString("\n\n")
	b.WriteString(res.Table())
	if *allocs {
		b.WriteString("\n")
		b.WriteString(allocSection(ctx, *cache, stderr))
	}
	if *out == "" {
		fmt.Fprint(stdout, b.String())
		return nil
	}
	return report.Update(*out, section, b.String())
}

// allocSection measures allocations per frame through the actors path and, for
// reference, in media's decoder alone.
func allocSection(ctx context.Context, cache string, stderr io.Writer) string {
	var b strings.Builder
	b.WriteString("### Allocations per frame\n\n")
	g := &corpus.Generator{Dir: cache, Parallel: 1, Log: stderr}
	short, err := g.Generate(ctx, corpus.CPUClips(4)[:1])
	if err == nil {
		var long []corpus.Item
		long, err = g.Generate(ctx, corpus.CPUClips(20)[:1])
		if err == nil {
			var a capacity.Allocs
			a, err = capacity.AllocsPerFrame(ctx, short[0].Path, long[0].Path)
			if err == nil {
				fmt.Fprintf(&b, "Through the actors path (scan-mode `actors.Node`: decoder, fan-out by reference, every detector "+
					"actor), 720p30 H.264 with its audio, steady state (a 20 s clip minus a 4 s clip, %d frames): "+
					"**%s Go heap allocations and %s bytes per video frame** (`capacity.AllocsPerFrame`; also "+
					"`go test -bench ScanAllocs ./test/bench/capacity/`; `go test -run TestFramePathAllocs ./actors/` "+
					"fails above 0.5). FFmpeg's own C allocations are not counted.\n\n",
					a.Frames, perFrame(a.PerFrame, 2), perFrame(a.BytesPerFrame, 0))
				if len(a.Sites) > 0 {
					b.WriteString("Where they are made (every allocation sampled, `runtime.MemProfileRate = 1`; sites with at " +
						"least 0.05 per frame; the allocating function outside the Go runtime, and its caller):\n\n" +
						"| allocations per frame | function | called from |\n|---:|---|---|\n")
					sum := 0.0
					for _, st := range a.Sites {
						fmt.Fprintf(&b, "| %.2f | `%s` | `%s` |\n", st.PerFrame, st.Func, st.Caller)
						sum += st.PerFrame
					}
					b.WriteString("\n")
					if sum < a.PerFrame/2 {
						fmt.Fprintf(&b, "The sampled sites account for only %.2f of the %.2f allocations per frame "+
							"(the heap profile lagged behind): `go test -run TestAllocsPerFrame -v ./test/bench/capacity/` "+
							"lists them.\n\n", sum, a.PerFrame)
					}
				}
			}
		}
	}
	if err != nil {
		fmt.Fprintf(&b, "Actors path not measured: `%v`.\n\n", err)
	}
	args := []string{"test", "-run", "^$", "-bench", "^BenchmarkDecode720p$", "-benchtime", "600x", "-count", "1", "./media/"}
	fmt.Fprintf(stderr, "streams: go %s\n", strings.Join(args, " "))
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Stdout = &out
	cmd.Stderr = &out
	if err := cmd.Run(); err != nil {
		fmt.Fprintf(&b, "Decoder alone not measured: `%v`.\n", err)
		return b.String()
	}
	for _, g := range cpucost.ParseGoBench(&out) {
		if g.Name == "Decode720p" {
			fmt.Fprintf(&b, "Decoder alone (`go %s`): %.1f allocations per frame, %.0f frames/s.\n",
				strings.Join(args, " "), g.Metrics["allocs/frame"], g.Metrics["frames/s"])
		}
	}
	return b.String()
}

// perFrame formats a long-minus-short difference per frame with prec decimals. A
// steady state that allocates nothing differs from zero only by a few allocations of
// start-up and shut-down over hundreds of frames, either way: a value that rounds to
// zero is written as 0, with its sign and size in brackets, rather than as -0.
func perFrame(v float64, prec int) string {
	s := strconv.FormatFloat(v, 'f', prec, 64)
	if z := strconv.FormatFloat(0, 'f', prec, 64); s == z || s == "-"+z {
		return fmt.Sprintf("0 (%.3f)", v)
	}
	return s
}
