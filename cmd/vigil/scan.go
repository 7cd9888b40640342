package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"time"

	"github.com/vigil-monitor/vigil/actors"
)

func init() {
	commands["scan"] = command{
		summary: "analyse files or URLs as fast as possible and report defects",
		run:     runScan,
	}
}

const scanUsage = `[--json] [--threshold key=value]... INPUT...

Analyses each INPUT (a file or any URL FFmpeg reads) through the same actor tree a live
stream uses, without real-time pacing, and prints every defect when it ends (or at the
end of the input for one still open). With --json each defect is one JSON object per
line: {"stream":…,"type":…,"start":…,"end":…,"score":…,"severity":…}; start and end are
seconds from the input's first decoded frame. Exit status 0 when every input was
analysed (defects or not), 1 when an input could not be opened or decoded at all.`

func runScan(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("scan", scanUsage, stderr)
	asJSON := fs.Bool("json", false, "print defects as JSON Lines on stdout")
	thresholds := thresholdFlag{}
	fs.Var(thresholds, "threshold", "override a detector setting, key=value (repeatable), e.g. black.min_duration=1")
	parallel := fs.Int("parallel", runtime.GOMAXPROCS(0), "inputs analysed at once")
	progress := fs.Duration("progress", 10*time.Second, "print progress on stderr this often for long inputs (0 = never)")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile (pprof) of the scan to this file")
	logger := logLevelFlag(fs, stderr)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *cpuProfile != "" {
		stop, err := startCPUProfile(*cpuProfile)
		if err != nil {
			return err
		}
		defer stop()
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(stderr, "vigil scan: no input given")
		fs.Usage()
		return errUsage
	}
	if *parallel < 1 {
		return fmt.Errorf("--parallel %d: must be at least 1", *parallel)
	}
	log, err := logger()
	if err != nil {
		return err
	}
	cfg := actors.ScanConfig()
	cfg.Name = "scan"
	cfg.Logger = log
	node, err := actors.NewNode(cfg)
	if err != nil {
		return err
	}
	defer node.Close()

	s := &scanner{node: node, out: stdout, stderr: stderr, json: *asJSON, log: log,
		names: map[string]string{}, frames: map[string]uint64{}, errs: map[string]string{}}
	inputs := fs.Args()
	specs := make([]actors.StreamSpec, len(inputs))
	for i, in := range inputs {
		specs[i] = actors.StreamSpec{ID: fmt.Sprintf("input-%d", i), URL: in, Thresholds: thresholds}
		s.names[specs[i].ID] = in
		if err := node.Validate(specs[i]); err != nil {
			return fmt.Errorf("scan %s: %w", in, err)
		}
	}
	sub := node.Subscribe(0)
	defer sub.Close()
	printed := make(chan error, 1)
	pctx, stopPrint := context.WithCancel(ctx)
	go func() { printed <- s.print(pctx, sub) }()

	runErr := s.runAll(ctx, specs, *parallel, *progress)
	// All streams have stopped; their last events are queued. Drain and stop printing.
	sub.Close()
	perr := <-printed
	stopPrint()
	if runErr != nil {
		return runErr
	}
	if perr != nil && !errors.Is(perr, actors.ErrClosed) {
		return perr
	}
	return s.verdict()
}

type scanner struct {
	node   *actors.Node
	out    io.Writer
	stderr io.Writer
	json   bool
	log    *slog.Logger
	names  map[string]string // stream id -> input as given
	frames map[string]uint64 // video+audio frames decoded per stream id
	errs   map[string]string // last input error per stream id
}

// runAll analyses specs, at most parallel at a time, waiting for each to finish.
func (s *scanner) runAll(ctx context.Context, specs []actors.StreamSpec, parallel int, progress time.Duration) error {
	sem := make(chan struct{}, parallel)
	type result struct {
		id string
		st actors.Status
	}
	results := make(chan result, len(specs))
	for _, spec := range specs {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			return ctx.Err()
		}
		if err := s.node.Start(spec); err != nil {
			return fmt.Errorf("scan %s: %w", s.names[spec.ID], err)
		}
		done, err := s.node.Done(spec.ID)
		if err != nil {
			return err
		}
		go func(id string) {
			defer func() { <-sem }()
			s.wait(ctx, id, done, progress)
			st, _ := s.node.Status(id)
			results <- result{id, st}
		}(spec.ID)
	}
	for range specs {
		select {
		case r := <-results:
			s.frames[r.id] = r.st.Media.VideoFrames + r.st.Media.AudioFrames
			s.errs[r.id] = r.st.LastError
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// wait blocks until a stream is done, printing progress now and then.
func (s *scanner) wait(ctx context.Context, id string, done <-chan struct{}, every time.Duration) {
	var tick <-chan time.Time
	if every > 0 {
		t := time.NewTicker(every)
		defer t.Stop()
		tick = t.C
	}
	start := time.Now()
	for {
		select {
		case <-done:
			return
		case <-ctx.Done():
			return
		case <-tick:
			st, err := s.node.Status(id)
			if err != nil {
				continue
			}
			el := time.Since(start).Seconds()
			fmt.Fprintf(s.stderr, "vigil scan: %s: %d frames, %.1f fps, %d open defects\n",
				s.names[id], st.Media.VideoFrames, float64(st.Media.VideoFrames)/el, len(st.Open))
		}
	}
}

// print writes defects as they end until the subscription is closed and drained.
func (s *scanner) print(ctx context.Context, sub *actors.Subscription) error {
	for {
		e, err := sub.Next(ctx)
		if err != nil {
			return err
		}
		if e.Kind != actors.DefectEvent || !e.Defect.Ended {
			continue
		}
		name := s.names[e.Stream]
		if s.json {
			if err := writeJSON(s.out, defectRecord(name, e)); err != nil {
				return err
			}
			continue
		}
		fmt.Fprintln(s.out, humanDefect(name, e, false))
	}
}

// verdict fails the scan when an input could not be opened or decoded at all.
func (s *scanner) verdict() error {
	var failed []error
	for id, name := range s.names {
		if s.frames[id] == 0 {
			why := s.errs[id]
			if why == "" {
				why = "no frame could be decoded"
			}
			failed = append(failed, fmt.Errorf("%s: %s", name, why))
		}
	}
	return errors.Join(failed...)
}
