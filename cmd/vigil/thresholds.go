package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/vigil-monitor/vigil/media/detect"
)

func init() {
	commands["thresholds"] = command{
		summary: "list every detector setting with its default and range",
		run:     runThresholds,
	}
}

const thresholdsUsage = `[--json]

Lists every detector setting that --threshold key=value (scan, agent) and the
thresholds of an assignment (streams assign --threshold) accept, with its default and
the range it must lie in. Keys ending in .enabled take 0 (off) or 1 (on). The meaning
of each is documented on the detector's Config type in media/detect.`

// thresholdJSON is one line of vigil thresholds --json.
type thresholdJSON struct {
	Key     string  `json:"key"`
	Default float64 `json:"default"`
	Min     float64 `json:"min"`
	Max     float64 `json:"max"`
}

func runThresholds(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("thresholds", thresholdsUsage, stderr)
	asJSON := fs.Bool("json", false, "one JSON object per line: key, default, min, max")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "vigil thresholds: unexpected argument %q\n", fs.Arg(0))
		return errUsage
	}
	cfg := detect.DefaultConfig()
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	if !*asJSON {
		fmt.Fprintln(tw, "KEY\tDEFAULT\tRANGE")
	}
	enc := json.NewEncoder(stdout)
	for _, k := range cfg.Keys() {
		v, err := cfg.Get(k)
		if err != nil {
			return fmt.Errorf("thresholds: %w", err)
		}
		lo, hi, err := cfg.Range(k)
		if err != nil {
			return fmt.Errorf("thresholds: %w", err)
		}
		if *asJSON {
			if err := enc.Encode(thresholdJSON{Key: k, Default: v, Min: lo, Max: hi}); err != nil {
				return fmt.Errorf("thresholds: %w", err)
			}
			continue
		}
		fmt.Fprintf(tw, "%s\t%g\t%g – %g\n", k, v, lo, hi)
	}
	if *asJSON {
		return nil
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("thresholds: %w", err)
	}
	return nil
}
