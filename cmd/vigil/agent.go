package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/vigil-monitor/vigil/actors"
)

func init() {
	commands["agent"] = command{
		summary: "run a monitoring node",
		run:     runAgent,
	}
}

const agentUsage = `[flags]

Runs a node that monitors streams in real time and prints defect events as they start
and end. Streams come from --stream ID=URL (repeatable) and, with --demo, from built-in
synthetic channels that cycle through every defect type.`

// agentFlags are the agent's command-line settings.
type agentFlags struct {
	name         string
	streams      multiFlag
	demo         bool
	demoChannels int
	demoDir      string
	json         bool
	allowFile    bool
	thresholds   thresholdFlag
	http         string
}

func runAgent(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var f agentFlags
	f.thresholds = thresholdFlag{}
	fs := newFlagSet("agent", agentUsage, stderr)
	host, _ := os.Hostname()
	fs.StringVar(&f.name, "name", host, "node name, unique in the cluster")
	fs.Var(&f.streams, "stream", "monitor a stream, ID=URL (repeatable)")
	fs.BoolVar(&f.demo, "demo", false, "monitor built-in synthetic channels with a rolling defect schedule")
	fs.IntVar(&f.demoChannels, "demo-channels", 3, "number of demo channels")
	fs.StringVar(&f.demoDir, "demo-dir", filepath.Join(os.TempDir(), "vigil-demo"), "where demo clips are kept between runs")
	fs.BoolVar(&f.json, "json", false, "print events as JSON Lines")
	fs.BoolVar(&f.allowFile, "allow-file", false, "allow local files as stream inputs (paced in real time and looped)")
	fs.Var(f.thresholds, "threshold", "override a detector setting for every stream, key=value (repeatable)")
	fs.StringVar(&f.http, "http", "127.0.0.1:8080", "serve /healthz, /readyz and /metrics on this address (empty: off)")
	logger := logLevelFlag(fs, stderr)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "vigil agent: unexpected argument %q\n", fs.Arg(0))
		return errUsage
	}
	log, err := logger()
	if err != nil {
		return err
	}
	specs, err := parseStreams(f.streams, f.thresholds)
	if err != nil {
		return err
	}
	if f.demo {
		if f.demoChannels < 1 || f.demoChannels > 64 {
			return fmt.Errorf("--demo-channels %d: want 1 to 64", f.demoChannels)
		}
		paths, err := makeDemoClips(ctx, f.demoDir, f.demoChannels, log)
		if err != nil {
			return err
		}
		for i, p := range paths {
			specs = append(specs, actors.StreamSpec{ID: fmt.Sprintf("demo-%d", i), URL: p, Thresholds: f.thresholds,
				Labels: map[string]string{"source": "demo"}})
		}
	}
	if len(specs) == 0 {
		fmt.Fprintln(stderr, "vigil agent: nothing to monitor: give --stream ID=URL or --demo")
		return errUsage
	}

	cfg := actors.DefaultConfig()
	cfg.Name = f.name
	cfg.Logger = log
	cfg.Media.AllowFile = f.allowFile || f.demo
	cfg.Media.Loop = true
	node, err := actors.NewNode(cfg)
	if err != nil {
		return err
	}
	defer node.Close()
	sub := node.Subscribe(1024)
	defer sub.Close()
	for _, s := range specs {
		if err := node.Start(s); err != nil {
			return fmt.Errorf("stream %s: %w", s.ID, err)
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	httpDone := make(chan error, 1)
	if f.http != "" {
		hs, err := newHTTPServer(f.http, func() error { return nil }, log, newStreamCollector(node))
		if err != nil {
			return err
		}
		go func() { httpDone <- hs.Run(ctx) }()
		log.Info("serving health and metrics", "addr", "http://"+hs.Addr())
	} else {
		httpDone <- nil
	}
	log.Info("agent running", "node", f.name, "streams", len(specs))
	err = printEvents(ctx, sub, stdout, f.json)
	cancel()
	herr := <-httpDone
	if errors.Is(err, context.Canceled) {
		err = nil
	}
	return errors.Join(err, herr)
}

// parseStreams turns ID=URL flags into specs.
func parseStreams(flags []string, th map[string]float64) ([]actors.StreamSpec, error) {
	var out []actors.StreamSpec
	seen := map[string]bool{}
	for _, s := range flags {
		id, url, ok := strings.Cut(s, "=")
		if !ok || id == "" || url == "" {
			return nil, fmt.Errorf("--stream %q: want ID=URL, e.g. --stream news=udp://239.0.0.1:1234", s)
		}
		if seen[id] {
			return nil, fmt.Errorf("--stream %q: id %q given twice", s, id)
		}
		seen[id] = true
		out = append(out, actors.StreamSpec{ID: id, URL: url, Thresholds: th})
	}
	return out, nil
}

// printEvents prints defect and state events until ctx ends.
func printEvents(ctx context.Context, sub *actors.Subscription, w io.Writer, asJSON bool) error {
	for {
		e, err := sub.Next(ctx)
		if err != nil {
			return err
		}
		if asJSON {
			if err := writeJSON(w, eventRecord(e)); err != nil {
				return err
			}
			continue
		}
		if e.Kind == actors.DefectEvent {
			fmt.Fprintln(w, humanDefect(e.Stream, e, true))
			continue
		}
		line := fmt.Sprintf("%s %-12s state %s", e.At.Format("15:04:05"), e.Stream, e.State)
		if e.Err != "" {
			line += " — " + e.Err
		}
		fmt.Fprintln(w, line)
	}
}

// stateJSON is the agent's JSON Lines record for a stream's change of state.
type stateJSON struct {
	Event  string `json:"event"` // always "state"
	Stream string `json:"stream"`
	Node   string `json:"node"`
	Epoch  uint64 `json:"epoch,omitempty"`
	At     string `json:"at"`
	State  string `json:"state"`
	Err    string `json:"error,omitempty"`
}

const rfc3339ms = "2006-01-02T15:04:05.000Z07:00"

// eventRecord is the agent's JSON form of an event: a defect record with "event" set
// to "start" or "end", or a state record.
func eventRecord(e actors.Event) any {
	at := e.At.UTC().Format(rfc3339ms)
	if e.Kind != actors.DefectEvent {
		return stateJSON{Event: "state", Stream: e.Stream, Node: e.Node, Epoch: e.Epoch, At: at,
			State: string(e.State), Err: e.Err}
	}
	r := defectRecord(e.Stream, e)
	r.Node, r.Epoch, r.Labels, r.At = e.Node, e.Epoch, e.Labels, at
	r.Event = "start"
	if e.Defect.Ended {
		r.Event = "end"
	}
	return r
}
