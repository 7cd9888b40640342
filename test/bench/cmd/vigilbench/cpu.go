package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/vigil-monitor/vigil/test/bench/corpus"
	"github.com/vigil-monitor/vigil/test/bench/cpucost"
	"github.com/vigil-monitor/vigil/test/bench/ffref"
	"github.com/vigil-monitor/vigil/test/bench/proc"
	"github.com/vigil-monitor/vigil/test/bench/report"
)

func init() {
	commands["cpu"] = command{summary: "CPU time of vigil scan vs ffmpeg decode-only vs ffmpeg's detection filters", run: runCPU}
}

// shortSuffix marks the names of the short clips.
const shortSuffix = "/short"

const (
	cmdVigil   = "vigil scan"
	cmdDecode  = "ffmpeg decode"
	cmdFilters = "ffmpeg filters"
	cmdVigilB  = "vigil scan (b)"
)

func runCPU(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("cpu", stderr)
	runs := fs.Int("runs", 5, "runs of each command on each clip (the median counts)")
	filterRuns := fs.Int("filter-runs", 1, "runs of the (ten times costlier) ffmpeg filter command per clip (0: none)")
	breakdown := fs.Bool("breakdown", true, "also time each FFmpeg filter alone on the first clip (one run each)")
	seconds := fs.Float64("seconds", 20, "length of each clip in seconds")
	shortSeconds := fs.Float64("short-seconds", 4, "length of the short clips that separate the once-per-process "+
		"cost from the per-second cost (0: no short clips)")
	cache := fs.String("cache", ".cache/bench/cpu", "directory where the clips are cached")
	vigil := fs.String("vigil", "bin/vigil", "vigil binary")
	vigilB := fs.String("vigil-b", "", "a second vigil binary measured in the same rounds (A/B comparison of a change "+
		"on a noisy machine); its rows are labelled \""+cmdVigilB+"\"")
	vigilBAbout := fs.String("vigil-b-about", "", "what the -vigil-b binary is, said in the results file "+
		"(e.g. \"the same commit linked with GNU ld\")")
	ffmpeg := fs.String("ffmpeg", "ffmpeg", "ffmpeg binary")
	detectBench := fs.Bool("detect-bench", true, "also run media/detect's Go benchmarks (per-detector cost)")
	profile := fs.Bool("profile", true, "also profile vigil scan on the first clip (go tool pprof -top)")
	out := fs.String("out", "docs/results.md", "results file to update (empty: print the section)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *runs < 1 {
		return fmt.Errorf("-runs %d: want at least 1", *runs)
	}
	machine := report.Describe(ctx, time.Now())
	g := &corpus.Generator{Dir: *cache, Parallel: 1, FFmpeg: *ffmpeg, Log: stderr}
	items, err := g.Generate(ctx, corpus.CPUClips(*seconds))
	if err != nil {
		return err
	}
	var shortItems []corpus.Item
	if *shortSeconds > 0 {
		if *shortSeconds >= *seconds {
			return fmt.Errorf("-short-seconds %g: want less than -seconds %g", *shortSeconds, *seconds)
		}
		if shortItems, err = g.Generate(ctx, corpus.CPUClips(*shortSeconds)); err != nil {
			return err
		}
	}
	tmp, err := os.MkdirTemp("", "vigilbench-cpu-")
	if err != nil {
		return fmt.Errorf("temp dir: %w", err)
	}
	defer os.RemoveAll(tmp)

	ref := ffref.DefaultConfig()
	cmds := []cpucost.Command{
		{Name: cmdVigil, Args: func(p string) (string, []string) {
			return *vigil, []string{"scan", "--json", "--progress", "0", p}
		}},
		{Name: cmdDecode, Args: func(p string) (string, []string) {
			return *ffmpeg, []string{"-nostdin", "-hide_banner", "-v", "error", "-i", p, "-map", "0:v:0", "-map", "0:a:0", "-f", "null", "-"}
		}},
		{Name: cmdFilters, Runs: *filterRuns, Args: func(p string) (string, []string) {
			return *ffmpeg, ref.Args(p, filepath.Join(tmp, "v.txt"), filepath.Join(tmp, "a.txt"))
		}, On: func(c cpucost.Clip) bool { return !strings.HasSuffix(c.Name, shortSuffix) }},
	}
	if *filterRuns <= 0 {
		cmds = slices.DeleteFunc(cmds, func(c cpucost.Command) bool { return c.Name == cmdFilters })
	}
	names := []string{cmdDecode, cmdVigil, cmdFilters}
	ratios := []cpucost.Ratio{{A: cmdVigil, B: cmdDecode}, {A: cmdFilters, B: cmdDecode}, {A: cmdVigil, B: cmdFilters}}
	costNames := []string{cmdDecode, cmdVigil}
	costRatios := []cpucost.Ratio{{A: cmdVigil, B: cmdDecode}}
	if *vigilB != "" {
		cmds = append(cmds, cpucost.Command{Name: cmdVigilB, Args: func(p string) (string, []string) {
			return *vigilB, []string{"scan", "--json", "--progress", "0", p}
		}})
		names = append(names, cmdVigilB)
		ratios = append(ratios, cpucost.Ratio{A: cmdVigilB, B: cmdDecode}, cpucost.Ratio{A: cmdVigilB, B: cmdVigil})
		costNames = append(costNames, cmdVigilB)
		costRatios = append(costRatios, cpucost.Ratio{A: cmdVigilB, B: cmdDecode})
	}
	clips := make([]cpucost.Clip, len(items))
	for i, it := range items {
		clips[i] = cpucost.Clip{Name: it.Name, Path: it.Path, Duration: it.Duration}
	}
	all := clips
	var pairs []cpucost.Pair
	if len(shortItems) == len(items) {
		all = append([]cpucost.Clip(nil), clips...)
		for i, it := range shortItems {
			sc := cpucost.Clip{Name: it.Name + shortSuffix, Path: it.Path, Duration: it.Duration}
			all = append(all, sc)
			pairs = append(pairs, cpucost.Pair{Name: clips[i].Name, Short: sc, Long: clips[i]})
		}
	}
	ms, err := cpucost.Measure(ctx, all, cmds, *runs, stderr)
	if err != nil {
		return err
	}
	table := cpucost.Table(clips, ms, names, ratios)
	fmt.Fprint(stdout, table)

	var b strings.Builder
	b.WriteString("## CPU cost per stream: vigil vs FFmpeg\n\n")
	b.WriteString(machine.Markdown())
	b.WriteString(reproduce("cpu", "BENCH_CPU_FLAGS", args))
	fmt.Fprintf(&b, "CPU time is user + system time of the child process over all its threads (from the kernel's "+
		"resource usage at exit, not wall time); vigil and ffmpeg decode-only ran %d times per clip (and on the short "+
		"clips below), interleaved round "+
		"by round in a rotating order, the ffmpeg filter command %d time(s) (it costs ten times more, so its noise "+
		"does not matter); the table shows the median (and the range). \"%% of a core\" is CPU time over the clip's "+
		"duration: what one live stream of that kind costs. Commands:\n\n", *runs, min(*filterRuns, *runs))
	fmt.Fprintf(&b, "- %s: `vigil scan --json CLIP` (every detector, through the actor tree)\n", cmdVigil)
	fmt.Fprintf(&b, "- %s: `ffmpeg -i CLIP -map 0:v:0 -map 0:a:0 -f null -` (decode only, same streams)\n", cmdDecode)
	if *vigilB != "" {
		about := ""
		if *vigilBAbout != "" {
			about = ": " + *vigilBAbout
		}
		fmt.Fprintf(&b, "- %s: `%s scan --json CLIP` (the second binary of an A/B comparison%s)\n", cmdVigilB, *vigilB, about)
	}
	fmt.Fprintf(&b, "- %s: `ffmpeg -i CLIP -filter_complex \"%s\" … -f null -`\n\n", cmdFilters, ref.Filters("V.txt", "A.txt"))
	b.WriteString("Clips: testsrc2 with temporal noise (grain) and programme sound, H.264 (libx264 veryfast, CRF 23) " +
		"and HEVC (libx265 ultrafast, CRF 26), AAC audio, MPEG-TS, key frame every second.\n\n")
	b.WriteString("Like with like: both sides decode the same video and audio streams with the same FFmpeg " +
		"libraries and the same decoder threading — FFmpeg's automatic thread count (`threads=0`: frame threads, " +
		"one more than the cores, here " + fmt.Sprint(machine.Cores+1) + "; the ffmpeg CLI sets `-threads auto` for " +
		"its decoders, vigil leaves `media.Config.Threads` at 0); the AAC decoder has no threads on either side. " +
		"ffmpeg converts the audio to 16-bit PCM for the null muxer, vigil to interleaved float; neither scales the picture.\n\n")
	b.WriteString(table)
	b.WriteString("\nTarget (issues 2 and 5): vigil ≤ 1.15–1.2× decode-only.\n")
	if len(pairs) > 0 {
		ct, err := cpucost.CostTable(pairs, ms, costNames, costRatios)
		if err != nil {
			return err
		}
		fmt.Fprintf(&b, "\n### Per stream: start-up excluded\n\nA whole run includes what a process pays once — "+
			"loading its shared libraries, probing the input, shutting down — which a live stream in a long-running "+
			"agent does not pay again. The same commands also ran on %.0f s clips of the same kind, in the same rounds; "+
			"the line through the two medians splits each command's CPU time into a part paid once per process "+
			"(its value at zero length) and a part per second of media, which is what one more stream costs.\n\n",
			*shortSeconds)
		b.WriteString(ct)
	}

	if *breakdown && len(clips) > 0 {
		b.WriteString("\n")
		bd, err := filterBreakdown(ctx, *ffmpeg, clips[0], stderr)
		if err != nil {
			return err
		}
		b.WriteString(bd)
	}
	if *detectBench {
		b.WriteString("\n")
		b.WriteString(detectorCosts(ctx, stderr))
	}
	if *profile && len(items) > 0 {
		b.WriteString("\n")
		b.WriteString(profileSection(ctx, *vigil, items[0], tmp, stderr))
		b.WriteString(libraryLine(ctx, *vigil, *vigilB, *ffmpeg))
	}
	if *out == "" {
		fmt.Fprint(stdout, b.String())
		return nil
	}
	return report.Update(*out, "cpu", b.String())
}

// filterBreakdown times each FFmpeg filter alone on one clip.
func filterBreakdown(ctx context.Context, ffmpeg string, c cpucost.Clip, stderr io.Writer) (string, error) {
	type step struct{ name, stream, filter string }
	steps := []step{
		{"decode video only", "0:v:0", "null"}, {"blackdetect", "0:v:0", "blackdetect"},
		{"freezedetect", "0:v:0", "freezedetect"}, {"blockdetect", "0:v:0", "blockdetect"},
		{"blurdetect", "0:v:0", "blurdetect"}, {"decode audio only", "0:a:0", "anull"},
		{"silencedetect", "0:a:0", "silencedetect"}, {"ebur128", "0:a:0", "ebur128"},
	}
	var b strings.Builder
	fmt.Fprintf(&b, "### FFmpeg's filters one by one\n\n`ffmpeg -i %s -map STREAM -vf|-af FILTER -f null -`, one run each; "+
		"the filter's cost is its row minus the decode-only row of its medium.\n\n| filter | CPU s | %% of a core |\n|---|---:|---:|\n", c.Name)
	for _, st := range steps {
		flag := "-vf"
		if strings.HasPrefix(st.stream, "0:a") {
			flag = "-af"
		}
		u, err := proc.Run(ctx, nil, ffmpeg, "-nostdin", "-hide_banner", "-v", "error", "-i", c.Path, "-map", st.stream, flag, st.filter, "-f", "null", "-")
		if err != nil {
			return "", err
		}
		fmt.Fprintf(stderr, "cpu: %-18s %6.2fs\n", st.name, u.CPU().Seconds())
		fmt.Fprintf(&b, "| %s | %.2f | %.1f%% |\n", st.name, u.CPU().Seconds(), 100*u.CPU().Seconds()/c.Duration)
	}
	return b.String(), nil
}

// detectorCosts runs media/detect's benchmarks and renders them.
func detectorCosts(ctx context.Context, stderr io.Writer) string {
	args := []string{"test", "-run", "^$", "-bench", "^BenchmarkDetectors$", "-benchtime", "1s", "-count", "1", "./media/detect/"}
	fmt.Fprintf(stderr, "cpu: go %s\n", strings.Join(args, " "))
	var b strings.Builder
	b.WriteString("### Per-detector cost (Go benchmarks)\n\n")
	fmt.Fprintf(&b, "`go %s` — one 1280×720 frame per op with the audio that goes with it; "+
		"decode rows are vigil's decoder on the same 720p H.264 clip, per video frame.\n\n", strings.Join(args, " "))
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Stdout = &out
	cmd.Stderr = &out
	if err := cmd.Run(); err != nil {
		fmt.Fprintf(stderr, "cpu: detector benchmarks failed: %v\n%s\n", err, out.String())
		fmt.Fprintf(&b, "Not available in this run: `%v`.\n", err)
		return b.String()
	}
	benches := cpucost.ParseGoBench(&out)
	decode := 0.0
	for _, g := range benches {
		if g.Name == "Detectors/decode-720p-h264" {
			decode = g.Metrics["ns/frame"]
		}
	}
	b.WriteString("| benchmark | µs per frame | allocs per frame | share of decoding a frame |\n|---|---:|---:|---:|\n")
	for _, g := range benches {
		ns, ok := g.Metrics["ns/frame"]
		if !ok {
			ns = g.Metrics["ns/op"]
		}
		share := "—"
		if decode > 0 && !strings.HasPrefix(g.Name, "Detectors/decode") {
			share = fmt.Sprintf("%.1f%%", 100*ns/decode)
		}
		allocs := "—"
		if a, ok := g.Metrics["allocs/op"]; ok {
			allocs = fmt.Sprintf("%.0f", a)
		}
		fmt.Fprintf(&b, "| %s | %.1f | %s | %s |\n", g.Name, ns/1000, allocs, share)
	}
	return b.String()
}

// profileSection profiles vigil scan on one clip and shows where the time goes.
func profileSection(ctx context.Context, vigil string, it corpus.Item, tmp string, stderr io.Writer) string {
	var b strings.Builder
	b.WriteString("### Where vigil's time goes\n\n")
	prof := filepath.Join(tmp, "scan.prof")
	u, err := proc.Run(ctx, nil, vigil, "scan", "--json", "--progress", "0", "--cpuprofile", prof, it.Path)
	if err != nil {
		fmt.Fprintf(&b, "Profile not available: `%v`.\n", err)
		return b.String()
	}
	var top bytes.Buffer
	cmd := exec.CommandContext(ctx, "go", "tool", "pprof", "-top", "-nodecount=1000", vigil, prof)
	cmd.Stdout = &top
	cmd.Stderr = stderr
	if err := cmd.Run(); err != nil {
		fmt.Fprintf(&b, "pprof failed: `%v`.\n", err)
		return b.String()
	}
	p, err := cpucost.ParseTop(bytes.NewReader(top.Bytes()))
	if err != nil {
		fmt.Fprintf(&b, "pprof output not understood: `%v`.\n", err)
		return b.String()
	}
	fmt.Fprintf(&b, "`vigil scan --cpuprofile scan.prof %s` then `go tool pprof -top bin/vigil scan.prof`. "+
		"The process used %.2f s of CPU (rusage); the profile holds %.2f s of samples (%.0f%%). Samples taken on "+
		"threads FFmpeg creates itself (frame-threaded decoding) are attributed to its library, not to a function.\n\n",
		it.Name, u.CPU().Seconds(), p.Total, 100*p.Total/u.CPU().Seconds())
	b.WriteString("| part of the program | flat CPU s | share of sampled |\n|---|---:|---:|\n")
	for _, a := range p.ByArea() {
		fmt.Fprintf(&b, "| %s | %.2f | %.1f%% |\n", a.Func, a.Flat, a.FlatPct)
	}
	b.WriteString("\n<details><summary>Top 25 functions (flat)</summary>\n\n| flat s | flat % | cum s | cum % | function |\n|---:|---:|---:|---:|---|\n")
	for i, l := range p.Lines {
		if i == 25 {
			break
		}
		fmt.Fprintf(&b, "| %.2f | %.1f%% | %.2f | %.1f%% | `%s` |\n", l.Flat, l.FlatPct, l.Cum, l.CumPct, l.Func)
	}
	b.WriteString("\n</details>\n")
	return b.String()
}

// libraryLine says how many shared libraries each binary loads at start (ldd): the
// dynamic loader relocates every one of them before main, the bulk of the
// once-per-process cost, and before Go's profiler starts. vigilB, when not empty, is
// the second binary of an A/B comparison.
func libraryLine(ctx context.Context, vigil, vigilB, ffmpeg string) string {
	count := func(bin string) (int, error) {
		if p, err := exec.LookPath(bin); err == nil {
			bin = p
		}
		out, err := exec.CommandContext(ctx, "ldd", bin).Output()
		if err != nil {
			return 0, fmt.Errorf("ldd %s: %w", bin, err)
		}
		n := 0
		for _, l := range strings.Split(string(out), "\n") {
			if strings.Contains(l, ".so") {
				n++
			}
		}
		return n, nil
	}
	v, err := count(vigil)
	if err != nil {
		return ""
	}
	f, err := count(ffmpeg)
	if err != nil {
		return ""
	}
	b := ""
	if vigilB != "" {
		if n, err := count(vigilB); err == nil {
			b = fmt.Sprintf(", %s %d", cmdVigilB, n)
		}
	}
	return fmt.Sprintf("\nThe profile starts with Go's runtime. Before that the dynamic loader maps and relocates every shared "+
		"library the binary needs (`ldd`): vigil %d%s, ffmpeg %d. That work is part of the once-per-process column above. "+
		"`make build` links bin/vigil with lld and `--gc-sections` (the Makefile's `VIGIL_CGO_LDFLAGS`): lld drops, "+
		"as needed, the libraries that only wrappers vigil never calls refer to (gocv's highgui, videoio, dnn …; "+
		"go-astiav's libavfilter and libavdevice), which GNU ld keeps.\n", v, b, f)
}
