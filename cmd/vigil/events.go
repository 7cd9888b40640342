package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"

	vigilv1 "github.com/vigil-monitor/vigil/proto/vigil/v1"
)

func init() {
	commands["events"] = command{
		summary: "print the cluster's open defects, and with --follow every new defect event",
		run:     runEvents,
	}
}

const eventsUsage = `[--follow] [--stream ID]... [flags]

Prints the defects open anywhere in the cluster (whichever node --addr names), then
with --follow every defect start and end as it happens, until interrupted. --stream
limits the output to the given streams. With --json, one object per line, shaped like
the agent's JSON events ("event":"start"/"end", "node" is the node that saw it,
"snapshot":true for defects that were already open).`

// eventJSON is one line of `vigil events --json`.
type eventJSON struct {
	defectJSON
	Snapshot bool `json:"snapshot,omitempty"`
}

func runEvents(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var follow bool
	var streams multiFlag
	conn, _, err := clientCommand("events", eventsUsage, 0, args, stderr, func(fs *flag.FlagSet) {
		fs.BoolVar(&follow, "follow", false, "keep printing new events until interrupted")
		fs.Var(&streams, "stream", "only this stream's events (repeatable)")
	})
	if err != nil {
		return err
	}
	defer conn.Close()
	// Without --follow the whole call is bounded by --timeout; with it, only the
	// first answer is (an unreachable agent fails at once either way).
	cctx, cancel := context.WithCancel(ctx)
	if !follow {
		cctx, cancel = conn.call(ctx)
	}
	defer cancel()
	w, err := conn.client.WatchEvents(cctx, &vigilv1.WatchEventsRequest{StreamIds: streams})
	if err != nil {
		return conn.explain("events", err)
	}
	snapshot, open := true, 0
	for {
		m, err := w.Recv()
		if err != nil {
			if follow && isCanceled(err) && ctx.Err() != nil {
				return nil // interrupted
			}
			return conn.explain("events", err)
		}
		if m.GetSnapshotEnd() != nil {
			snapshot = false
			if !conn.flags.json && open == 0 {
				fmt.Fprintln(stdout, "no open defects")
			}
			if !follow {
				return nil
			}
			continue
		}
		e := m.GetEvent()
		if e == nil {
			continue
		}
		open++
		if conn.flags.json {
			if err := writeJSON(stdout, eventJSON{defectJSON: defectRecordProto(e), Snapshot: snapshot}); err != nil {
				return err
			}
			continue
		}
		fmt.Fprintln(stdout, humanDefectProto(e, snapshot))
	}
}

// defectRecordProto converts a cluster event to the agent's JSON record.
func defectRecordProto(e *vigilv1.DefectEvent) defectJSON {
	r := defectJSON{
		Stream:   e.GetStreamId(),
		Type:     e.GetType(),
		Start:    ms(e.GetStart()),
		Score:    ms(e.GetScore()),
		Severity: severityName(e.GetSeverity()),
		Detail:   e.GetDetail(),
		Event:    "start",
		Node:     e.GetOwner(),
		Epoch:    e.GetEpoch(),
		At:       unixMsString(e.GetStartedAtUnixMs()),
		Labels:   e.GetLabels(),
	}
	if e.GetEnded() {
		end, dur := ms(e.GetEnd()), ms(e.GetEnd()-e.GetStart())
		r.End, r.Duration = &end, &dur
		r.Event = "end"
		r.At = unixMsString(e.GetEndedAtUnixMs())
	}
	if e.GetValue() != 0 {
		v := ms(e.GetValue())
		r.Value = &v
	}
	return r
}

func severityName(s vigilv1.Severity) string {
	if s == vigilv1.Severity_SEVERITY_ERROR {
		return "error"
	}
	return "warning"
}

// humanDefectProto formats a cluster event as one readable line, like the agent's.
func humanDefectProto(e *vigilv1.DefectEvent, open bool) string {
	atMs := e.GetStartedAtUnixMs()
	if e.GetEnded() {
		atMs = e.GetEndedAtUnixMs()
	}
	at := "--:--:--"
	if atMs > 0 {
		at = time.UnixMilli(atMs).Format(time.TimeOnly)
	}
	val := ""
	if e.GetValue() != 0 {
		val = fmt.Sprintf(" value %.3g", e.GetValue())
	}
	detail := ""
	if e.GetDetail() != "" {
		detail = " — " + e.GetDetail()
	}
	on := " on " + orDash(e.GetOwner())
	if !e.GetEnded() {
		state := "START"
		if open {
			state = "OPEN "
		}
		return fmt.Sprintf("%s %-12s %-12s %s at %8.2fs  score %.2f%s%s%s", at, e.GetStreamId(), e.GetType(), state,
			e.GetStart(), e.GetScore(), val, on, detail)
	}
	return fmt.Sprintf("%s %-12s %-12s END   %8.2fs – %8.2fs (%5.2fs) peak %.2f %s%s%s%s", at, e.GetStreamId(), e.GetType(),
		e.GetStart(), e.GetEnd(), e.GetEnd()-e.GetStart(), e.GetScore(), severityName(e.GetSeverity()), val, on, detail)
}
