package main

import (
	"context"
	"fmt"
	"io"

	"github.com/vigil-monitor/vigil/actors"
)

// The agent prints the events of the streams this node runs (every node prints
// its own; `vigil events` shows the whole cluster's).

// printEvents prints defect and state events until ctx ends or sub closes.
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
