package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/vigil-monitor/vigil/test/bench/corpus"
	"github.com/vigil-monitor/vigil/test/bench/ffref"
	"github.com/vigil-monitor/vigil/test/bench/proc"
	"github.com/vigil-monitor/vigil/test/bench/report"
	"github.com/vigil-monitor/vigil/test/bench/score"
)

func init() {
	commands["accuracy"] = command{summary: "score vigil and FFmpeg's filters against the corpus's ground truth", run: runAccuracy}
}

func runAccuracy(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("accuracy", stderr)
	var cf corpusFlags
	cf.register(fs)
	vigil := fs.String("vigil", "bin/vigil", "vigil binary")
	ffmpeg := fs.String("ffmpeg", "ffmpeg", "ffmpeg binary")
	out := fs.String("out", "docs/results.md", "results file to update (empty: print the section)")
	repeat := fs.Int("repeat", 2, "scans of the corpus by vigil (the first is scored; the others check that results repeat)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *repeat < 1 {
		return fmt.Errorf("-repeat %d: want at least 1", *repeat)
	}
	machine := report.Describe(ctx, time.Now())
	items, err := cf.generate(ctx, stderr)
	if err != nil {
		return err
	}
	work := filepath.Join(filepath.Dir(filepath.Clean(cf.cache)), "accuracy")
	if err := os.MkdirAll(work, 0o755); err != nil {
		return fmt.Errorf("work dir: %w", err)
	}

	var scans [][]score.Detection
	for i := 1; i <= *repeat; i++ {
		fmt.Fprintf(stderr, "accuracy: vigil scan %d/%d on %d clips\n", i, *repeat, len(items))
		dets, u, err := scanVigil(ctx, *vigil, items, filepath.Join(work, fmt.Sprintf("vigil-%d.jsonl", i)))
		if err != nil {
			return err
		}
		fmt.Fprintf(stderr, "accuracy: vigil scan %d done (%.1f s CPU)\n", i, u.CPU().Seconds())
		scans = append(scans, dets)
	}
	vdets := scans[0]
	fmt.Fprintf(stderr, "accuracy: FFmpeg filters on %d clips\n", len(items))
	runner := ffref.Runner{FFmpeg: *ffmpeg, Cache: filepath.Join(filepath.Dir(filepath.Clean(cf.cache)), "ffref"), Version: machine.FFmpeg}
	raws, err := runFFref(ctx, runner, ffref.DefaultConfig(), items, cf.parallel)
	if err != nil {
		return err
	}
	cfg, tuned := ffref.Tune(ffref.DefaultConfig(), items, raws)
	var fdets []score.Detection
	for _, it := range items {
		fdets = append(fdets, cfg.Detect(raws[it.Name], it.Name, it.Duration)...)
	}
	tools := []score.Tool{
		{Name: "vigil", Result: score.Score(items, vdets)},
		{Name: "FFmpeg", Result: score.Score(items, fdets), Covers: ffref.Covers},
	}
	section := accuracySection(machine, args, items, tools, cfg, tuned, vdets, fdets) + repeatability(scans)
	fmt.Fprint(stdout, score.Table(tools))
	if *out == "" {
		fmt.Fprint(stdout, section)
		return nil
	}
	return report.Update(*out, "accuracy", section)
}

// scanVigil runs one `vigil scan --json` over every clip and keeps its output.
func scanVigil(ctx context.Context, bin string, items []corpus.Item, keep string) ([]score.Detection, proc.Usage, error) {
	names := map[string]string{}
	args := []string{"scan", "--json", "--progress", "0"}
	for _, it := range items {
		names[it.Path] = it.Name
		args = append(args, it.Path)
	}
	var buf bytes.Buffer
	u, err := proc.Run(ctx, &buf, bin, args...)
	if err != nil {
		return nil, proc.Usage{}, err
	}
	if err := os.WriteFile(keep, buf.Bytes(), 0o644); err != nil {
		return nil, proc.Usage{}, fmt.Errorf("keep vigil output: %w", err)
	}
	dets, err := score.ParseVigil(&buf, names)
	return dets, u, err
}

// runFFref runs FFmpeg's filters on every clip, parallel at a time, and returns what
// they said by clip name.
func runFFref(ctx context.Context, r ffref.Runner, cfg ffref.Config, items []corpus.Item, parallel int) (map[string]ffref.Raw, error) {
	if parallel < 1 {
		parallel = 1
	}
	raws := make([]ffref.Raw, len(items))
	errs := make([]error, len(items))
	sem := make(chan struct{}, parallel)
	var wg sync.WaitGroup
	for i, it := range items {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			raws[i], errs[i] = r.Raw(ctx, cfg, it.Name, it.Path)
		}()
	}
	wg.Wait()
	out := map[string]ffref.Raw{}
	for i, it := range items {
		if errs[i] != nil {
			return nil, errs[i]
		}
		out[it.Name] = raws[i]
	}
	return out, nil
}

// accuracySection renders the results section.
func accuracySection(m report.Machine, args []string, items []corpus.Item, tools []score.Tool,
	cfg ffref.Config, tuned []ffref.Tuned, vdets, fdets []score.Detection) string {
	var b strings.Builder
	b.WriteString("## Accuracy: vigil vs FFmpeg's detection filters\n\n")
	b.WriteString(m.Markdown())
	b.WriteString(reproduce("accuracy", "BENCH_ACCURACY_FLAGS", args))
	b.WriteString(corpusSummary(items))
	b.WriteString("\n")
	b.WriteString(score.Table(tools))
	b.WriteString(`
How it is scored: a detection matches a truth of the same clip when the truth accepts
its type (corruption accepts ` + "`decode_error` or `blockiness`" + `) and their intervals
overlap; recall counts truths found, precision counts detections that match a truth
(detections inside an *optional* window — loudness during a silence or a short burst of
clipping — are ignored); start error is |start of the earliest matching detection −
start of the truth|. Rows FFmpeg has no filter for say "no detector".

`)
	fmt.Fprintf(&b, "FFmpeg's side: `blackdetect=d=%g:pic_th=%g:pix_th=%g`, `freezedetect=n=%gdB:d=%g`, "+
		"`silencedetect=n=%gdB:d=%g` as they report; `blockdetect` score > %.3g for ≥ %g s (gaps ≤ %g s bridged) as corruption; "+
		"`blurdetect` score > %.3g for ≥ %g s as blur; `ebur128` short-term loudness outside [%g, %g] LUFS for ≥ %g s as loudness.\n\n",
		cfg.BlackDuration, cfg.BlackPicture, cfg.BlackPixel, cfg.FreezeNoise, cfg.FreezeDuration,
		cfg.SilenceNoise, cfg.SilenceDuration, cfg.Block, cfg.BlockMin, cfg.BlockHold,
		cfg.Blur, cfg.BlurMin, cfg.LoudLow, cfg.LoudHigh, cfg.LoudMin)
	b.WriteString("The blockdetect and blurdetect thresholds are an oracle's: of the filters' own scores on this corpus, " +
		"the threshold with the best F1 for its row (an advantage no script has in advance; vigil runs with its defaults).")
	for _, t := range tuned {
		fmt.Fprintf(&b, " %s: %.3g (F1 %.2f, recall %.2f, precision %.2f, %d thresholds tried).", t.Filter, t.Threshold, t.F1, t.Recall, t.Precision, t.Candidates)
	}
	b.WriteString("\n\n")
	b.WriteString(score.Details(tools, 25))
	b.WriteString(perClip(items, vdets, fdets))
	return b.String()
}

// repeatability compares vigil's later scans of the corpus with the first.
func repeatability(scans [][]score.Detection) string {
	if len(scans) < 2 {
		return ""
	}
	var b strings.Builder
	b.WriteString("\n### Repeatability\n\n")
	fmt.Fprintf(&b, "vigil scanned the corpus %d times; the tables above score the first scan. "+
		"Detections that another scan did not repeat (same clip and type, start within 0.1 s):\n\n", len(scans))
	n := 0
	for i := 1; i < len(scans); i++ {
		onlyFirst, onlyLater := score.Diff(scans[0], scans[i], 0.1)
		for _, d := range onlyFirst {
			fmt.Fprintf(&b, "- scan 1 only (vs scan %d): %s %s %.2f–%.2f s\n", i+1, d.Clip, d.Type, d.Start, d.End)
			n++
		}
		for _, d := range onlyLater {
			fmt.Fprintf(&b, "- scan %d only: %s %s %.2f–%.2f s\n", i+1, d.Clip, d.Type, d.Start, d.End)
			n++
		}
	}
	if n == 0 {
		b.WriteString("- none: every scan reported the same defects.\n")
	}
	return b.String()
}

// corpusSummary describes the corpus in one paragraph.
func corpusSummary(items []corpus.Item) string {
	count := func(f func(corpus.Item) string) string {
		n := map[string]int{}
		for _, it := range items {
			n[f(it)]++
		}
		keys := make([]string, 0, len(n))
		for k := range n {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var parts []string
		for _, k := range keys {
			parts = append(parts, fmt.Sprintf("%s %d", k, n[k]))
		}
		return strings.Join(parts, ", ")
	}
	traps, truths := 0, 0
	clean := 0
	for _, it := range items {
		traps += len(it.Traps)
		truths += len(it.Scored())
		if len(it.Truths) == 0 {
			clean++
		}
	}
	return fmt.Sprintf("Corpus: %d clips (%s), %d defects to find, %d clips with none, %d traps; codecs %s; containers %s; heights %s.\n",
		len(items), count(func(it corpus.Item) string { return it.Generator }), truths, clean, traps,
		count(func(it corpus.Item) string { return it.Codec }),
		count(func(it corpus.Item) string { return it.Format }),
		count(func(it corpus.Item) string { return fmt.Sprintf("%dp", it.Height) }))
}

// perClip lists every clip's truths and both tools' detections, folded.
func perClip(items []corpus.Item, vdets, fdets []score.Detection) string {
	by := func(ds []score.Detection) map[string][]string {
		m := map[string][]string{}
		sort.SliceStable(ds, func(i, j int) bool { return ds[i].Start < ds[j].Start })
		for _, d := range ds {
			m[d.Clip] = append(m[d.Clip], fmt.Sprintf("%s %.2f–%.2f", d.Type, d.Start, d.End))
		}
		return m
	}
	v, f := by(vdets), by(fdets)
	var b strings.Builder
	b.WriteString("<details><summary>Every clip: ground truth and what each tool reported</summary>\n\n")
	b.WriteString("| clip | what it tests | truth | vigil | FFmpeg |\n|---|---|---|---|---|\n")
	for _, it := range items {
		var ts []string
		for _, t := range it.Truths {
			opt := ""
			if t.Optional {
				opt = " (optional)"
			}
			ts = append(ts, fmt.Sprintf("%s %.2f–%.2f%s", t.Type, t.Start, t.End, opt))
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", it.Name, it.Note, join(ts), join(v[it.Name]), join(f[it.Name]))
	}
	b.WriteString("\n</details>\n")
	return b.String()
}

func join(xs []string) string {
	if len(xs) == 0 {
		return "—"
	}
	return strings.Join(xs, "<br>")
}
