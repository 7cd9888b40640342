// Command framebench measures monolith against distributed frames (see package
// github.com/vigil-monitor/vigil/test/distributed) and writes the results as markdown.
//
//	framebench [-runs 5] [-out docs/results-distributed.md] [-cache DIR] [-modes monolith,distributed,...]
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/vigil-monitor/vigil/test/distributed"
)

func main() {
	if code, ok := distributed.ChildMain(); ok {
		os.Exit(code)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "framebench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("framebench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	runs := fs.Int("runs", 5, "runs of each design; the table shows medians")
	out := fs.String("out", "", "write the markdown report here (default: stdout)")
	cache := fs.String("cache", "", "directory for the encoded clip (default: the user cache directory)")
	modes := fs.String("modes", "monolith,distributed,distributed-per-detector,decode-only", "designs to measure, comma-separated (monolith is required)")
	seconds := fs.Float64("seconds", distributed.DefaultClip().Seconds, "clip length in seconds")
	command := fs.String("command", "", "the command line to print in the report as the way to reproduce it (default: this one)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *runs < 1 {
		return fmt.Errorf("-runs %d: must be at least 1", *runs)
	}
	var ms []distributed.Mode
	for _, m := range strings.Split(*modes, ",") {
		mode := distributed.Mode(strings.TrimSpace(m))
		if !slices.Contains(distributed.Modes, mode) {
			return fmt.Errorf("-modes: unknown design %q (have %v)", mode, distributed.Modes)
		}
		ms = append(ms, mode)
	}
	if *cache == "" {
		dir, err := os.UserCacheDir()
		if err != nil {
			return fmt.Errorf("cache directory: %w", err)
		}
		*cache = filepath.Join(dir, "vigil", "framebench")
	}
	if *command == "" {
		*command = "framebench " + strings.Join(args, " ")
	}
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("find own executable: %w", err)
	}

	clip := distributed.DefaultClip()
	clip.Seconds = *seconds
	path, err := clip.Make(ctx, *cache)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "clip %s\n", path)
	load := distributed.LoadAverage()
	samples, err := distributed.Measure(ctx, distributed.Exec{Path: exe, Stderr: stderr}, ms, path, *runs,
		func(s distributed.Sample) {
			fmt.Fprintf(stderr, "%-26s cpu %7.2fs  %6.2f ms/frame  frames %d/%d  bytes %d  wall %.1fs  defects %d\n",
				s.Mode, s.CPU().Seconds(), float64(s.CPUPerFrame().Microseconds())/1000,
				s.AnalysedVideo, s.VideoFrames, s.Bytes, s.Wall.Seconds(), len(s.Defects))
		})
	if err != nil {
		return err
	}
	rep := distributed.Report{Clip: clip, Command: *command, Machine: distributed.ThisMachine(),
		Generated: time.Now().UTC(), LoadBefore: load, LoadAfter: distributed.LoadAverage(), Runs: *runs, Samples: samples}
	md, err := rep.Markdown()
	if err != nil {
		return err
	}
	if *out == "" {
		_, err = io.WriteString(stdout, md)
		return err
	}
	return os.WriteFile(*out, []byte(md), 0o644)
}
