package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	vigilv1 "github.com/vigil-monitor/vigil/proto/vigil/v1"
)

func init() {
	commands["streams"] = command{
		summary: "assign, remove, list and describe the cluster's streams (assign|rm|ls|get)",
		run:     runStreams,
	}
}

const streamsUsage = `assign|rm|ls|get [flags] [args]

Manages the cluster's streams through the admin API of any agent (--addr, default
127.0.0.1:7070 or VIGIL_ADDR). Any node accepts any call.

  vigil streams assign ID URL [--threshold k=v]... [--label k=v]... [--replace]
  vigil streams rm ID
  vigil streams ls
  vigil streams get ID

Each takes --addr, --json and --timeout. 'vigil streams <sub> -h' lists the flags.`

// streamsSubs are the subcommands of `vigil streams`.
var streamsSubs = map[string]func(ctx context.Context, args []string, stdout, stderr io.Writer) error{
	"assign": runStreamsAssign,
	"rm":     runStreamsRemove,
	"ls":     runStreamsList,
	"get":    runStreamsGet,
}

func runStreams(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprintf(stderr, "usage: vigil streams %s\n", streamsUsage)
		if len(args) == 0 {
			return errUsage
		}
		return errHelp
	}
	sub, ok := streamsSubs[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "vigil streams: unknown subcommand %q (want assign, rm, ls or get)\n", args[0])
		return errUsage
	}
	return sub(ctx, args[1:], stdout, stderr)
}

// clientCommand parses the flags of an admin command that takes exactly nargs
// positional arguments and opens the client.
func clientCommand(name, usage string, nargs int, args []string, stderr io.Writer, extra func(fs *flag.FlagSet)) (*adminConn, []string, error) {
	fs := newFlagSet(name, usage, stderr)
	var c clientFlags
	c.register(fs)
	if extra != nil {
		extra(fs)
	}
	pos, err := parseClientFlags(fs, args)
	if err != nil {
		return nil, nil, err
	}
	if len(pos) != nargs {
		fmt.Fprintf(stderr, "vigil %s: want %d argument(s), got %d\nusage: vigil %s %s\n", name, nargs, len(pos), name, usage)
		return nil, nil, errUsage
	}
	conn, err := c.dial()
	if err != nil {
		return nil, nil, err
	}
	return conn, pos, nil
}

func runStreamsAssign(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	thresholds := thresholdFlag{}
	labels := labelFlag{}
	var replace bool
	conn, pos, err := clientCommand("streams assign", "ID URL [--threshold k=v]... [--label k=v]... [--replace] [flags]", 2, args, stderr,
		func(fs *flag.FlagSet) {
			fs.Var(thresholds, "threshold", "override a detector setting for this stream, key=value (repeatable)")
			fs.Var(labels, "label", "attach a label to the stream's events, key=value (repeatable)")
			fs.BoolVar(&replace, "replace", false, "overwrite a stream of the same id with a different spec")
		})
	if err != nil {
		return err
	}
	defer conn.Close()
	spec := &vigilv1.StreamSpec{Id: pos[0], Url: pos[1]}
	if len(thresholds) > 0 {
		spec.Thresholds = thresholds
	}
	if len(labels) > 0 {
		spec.Labels = labels
	}
	cctx, cancel := conn.call(ctx)
	defer cancel()
	resp, err := conn.client.AssignStream(cctx, &vigilv1.AssignStreamRequest{Spec: spec, Replace: replace})
	if err != nil {
		if status.Code(err) == codes.AlreadyExists {
			return errors.New(strings.Replace(conn.explain("streams assign", err).Error(), "set replace", "add --replace", 1))
		}
		return conn.explain("streams assign", err)
	}
	if conn.flags.json {
		return writeJSON(stdout, struct {
			streamJSON
			Created bool `json:"created"`
		}{streamRecord(resp.GetStream()), resp.GetCreated()})
	}
	s := resp.GetStream()
	what := "unchanged"
	switch {
	case resp.GetCreated():
		what = "assigned"
	case replace:
		what = "assigned (replacing any other spec)"
	}
	fmt.Fprintf(stdout, "%s %s: %s, owner %s\n", s.GetSpec().GetId(), what, stateName(s.GetState()), orDash(s.GetOwner()))
	return nil
}

func runStreamsRemove(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	conn, pos, err := clientCommand("streams rm", "ID [flags]", 1, args, stderr, nil)
	if err != nil {
		return err
	}
	defer conn.Close()
	cctx, cancel := conn.call(ctx)
	defer cancel()
	if _, err := conn.client.UnassignStream(cctx, &vigilv1.UnassignStreamRequest{Id: pos[0]}); err != nil {
		return conn.explain("streams rm", err)
	}
	if conn.flags.json {
		return writeJSON(stdout, map[string]any{"id": pos[0], "removed": true})
	}
	fmt.Fprintf(stdout, "%s removed\n", pos[0])
	return nil
}

func runStreamsList(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	conn, _, err := clientCommand("streams ls", "[flags]", 0, args, stderr, nil)
	if err != nil {
		return err
	}
	defer conn.Close()
	cctx, cancel := conn.call(ctx)
	defer cancel()
	resp, err := conn.client.ListStreams(cctx, &vigilv1.ListStreamsRequest{})
	if err != nil {
		return conn.explain("streams ls", err)
	}
	if conn.flags.json {
		out := make([]streamJSON, 0, len(resp.GetStreams()))
		for _, s := range resp.GetStreams() {
			out = append(out, streamRecord(s))
		}
		return writeJSON(stdout, out)
	}
	return writeStreamTable(stdout, resp.GetStreams(), time.Now())
}

func runStreamsGet(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	conn, pos, err := clientCommand("streams get", "ID [flags]", 1, args, stderr, nil)
	if err != nil {
		return err
	}
	defer conn.Close()
	cctx, cancel := conn.call(ctx)
	defer cancel()
	resp, err := conn.client.GetStream(cctx, &vigilv1.GetStreamRequest{Id: pos[0]})
	if err != nil {
		return conn.explain("streams get", err)
	}
	if conn.flags.json {
		return writeJSON(stdout, streamRecord(resp.GetStream()))
	}
	return writeStreamDetail(stdout, resp.GetStream(), time.Now())
}
