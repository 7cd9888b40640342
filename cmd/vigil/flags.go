package main

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"

	"github.com/vigil-monitor/vigil/media"
)

// newFlagSet returns a flag set that reports errors instead of exiting and prints its
// usage to stderr.
func newFlagSet(name, usage string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: vigil %s %s\n\nflags:\n", name, usage)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args, first filling unset flags from VIGIL_<NAME> environment
// variables (dashes become underscores). A parse error becomes errUsage.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return errHelp
		}
		return errUsage
	}
	return applyEnv(fs, nil)
}

// applyEnv fills the flags not set on the command line from their VIGIL_<NAME>
// environment variables; when only is not nil, just the flags it names.
func applyEnv(fs *flag.FlagSet, only map[string]bool) error {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		if set[f.Name] || err != nil || only != nil && !only[f.Name] {
			return
		}
		env := "VIGIL_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v, ok := os.LookupEnv(env); ok {
			if e := fs.Set(f.Name, v); e != nil {
				err = fmt.Errorf("%s=%q: %w", env, v, e)
			}
		}
	})
	return err
}

// multiFlag is a repeatable string flag.
type multiFlag []string

func (m *multiFlag) String() string { return strings.Join(*m, ",") }

// Set appends a value; a comma-separated value (as from an environment variable)
// appends each part.
func (m *multiFlag) Set(v string) error {
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			*m = append(*m, p)
		}
	}
	return nil
}

// thresholdFlag collects detector overrides given as key=value.
type thresholdFlag map[string]float64

func (t thresholdFlag) String() string {
	var b []string
	for k, v := range t {
		b = append(b, k+"="+strconv.FormatFloat(v, 'g', -1, 64))
	}
	return strings.Join(b, ",")
}

// Set parses key=value[,key=value...].
func (t thresholdFlag) Set(v string) error {
	for _, p := range strings.Split(v, ",") {
		k, val, ok := strings.Cut(strings.TrimSpace(p), "=")
		if !ok {
			return fmt.Errorf("threshold %q: want key=value, e.g. black.min_duration=3", p)
		}
		f, err := strconv.ParseFloat(val, 64)
		if err != nil {
			return fmt.Errorf("threshold %q: value is not a number", p)
		}
		t[k] = f
	}
	return nil
}

// labelFlag collects labels given as key=value, one per flag (a value may hold
// commas and further equals signs).
type labelFlag map[string]string

func (l labelFlag) String() string {
	var b []string
	for k, v := range l {
		b = append(b, k+"="+v)
	}
	return strings.Join(b, ",")
}

// Set parses one key=value.
func (l labelFlag) Set(v string) error {
	k, val, ok := strings.Cut(v, "=")
	if !ok || k == "" {
		return fmt.Errorf("label %q: want key=value, e.g. team=news", v)
	}
	l[k] = val
	return nil
}

// logLevelFlag adds --log-level, --log-format and --ffmpeg-log-level and returns a
// function building the logger; it also routes FFmpeg's own messages through it.
func logLevelFlag(fs *flag.FlagSet, stderr io.Writer) func() (*slog.Logger, error) {
	lv := fs.String("log-level", "info", "log level: debug, info, warn or error")
	format := fs.String("log-format", "text", "log format: text or json")
	ff := fs.String("ffmpeg-log-level", "off", "log FFmpeg's own messages from this level: debug, info, warn, error or off (decode errors are counted and reported as decode_error defects either way)")
	return func() (*slog.Logger, error) {
		var level slog.Level
		if err := level.UnmarshalText([]byte(*lv)); err != nil {
			return nil, fmt.Errorf("--log-level %q: want debug, info, warn or error", *lv)
		}
		opts := &slog.HandlerOptions{Level: level}
		var log *slog.Logger
		switch *format {
		case "text":
			log = slog.New(slog.NewTextHandler(stderr, opts))
		case "json":
			log = slog.New(slog.NewJSONHandler(stderr, opts))
		default:
			return nil, fmt.Errorf("--log-format %q: want text or json", *format)
		}
		ffLevel := slog.Level(1000) // off
		if *ff != "off" {
			if err := ffLevel.UnmarshalText([]byte(*ff)); err != nil {
				return nil, fmt.Errorf("--ffmpeg-log-level %q: want debug, info, warn, error or off", *ff)
			}
		}
		media.SetFFmpegLog(log.With("component", "ffmpeg"), ffLevel)
		return log, nil
	}
}
