package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/vigil-monitor/vigil/actors"
)

// defectJSON is one defect in vigil's JSON Lines output (the contract in DESIGN.md):
// start and end are seconds of media time from the input's first decoded frame.
type defectJSON struct {
	Stream   string            `json:"stream"`
	Type     string            `json:"type"`
	Start    float64           `json:"start"`
	End      *float64          `json:"end,omitempty"`
	Duration *float64          `json:"duration,omitempty"`
	Score    float64           `json:"score"`
	Severity string            `json:"severity"`
	Value    *float64          `json:"value,omitempty"`
	Detail   string            `json:"detail,omitempty"`
	Event    string            `json:"event,omitempty"` // agent only: "start" or "end"
	Node     string            `json:"node,omitempty"`
	Epoch    uint64            `json:"epoch,omitempty"`
	At       string            `json:"at,omitempty"` // agent only: wall-clock RFC 3339
	Labels   map[string]string `json:"labels,omitempty"`
}

func ms(v float64) float64 { return math.Round(v*1000) / 1000 }

// defectRecord converts an actor event to its JSON form under the given stream name.
func defectRecord(name string, e actors.Event) defectJSON {
	d := e.Defect
	r := defectJSON{
		Stream:   name,
		Type:     string(d.Type),
		Start:    ms(d.Start),
		Score:    ms(d.Score),
		Severity: string(d.Severity),
		Detail:   d.Detail,
	}
	if d.Ended {
		end, dur := ms(d.End), ms(d.End-d.Start)
		r.End, r.Duration = &end, &dur
	}
	if d.Value != 0 {
		v := ms(d.Value)
		r.Value = &v
	}
	return r
}

func writeJSON(w io.Writer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode json: %w", err)
	}
	b = append(b, '\n')
	_, err = w.Write(b)
	return err
}

// humanDefect formats a defect event as one readable line.
func humanDefect(name string, e actors.Event, wall bool) string {
	d := e.Defect
	prefix := ""
	if wall {
		prefix = e.At.Format(time.TimeOnly) + " "
	}
	val := ""
	if d.Value != 0 {
		val = fmt.Sprintf(" value %.3g", d.Value)
	}
	detail := ""
	if d.Detail != "" {
		detail = " — " + d.Detail
	}
	if !d.Ended {
		return fmt.Sprintf("%s%-12s %-12s START at %8.2fs  score %.2f%s%s", prefix, name, d.Type, d.Start, d.Score, val, detail)
	}
	return fmt.Sprintf("%s%-12s %-12s END   %8.2fs – %8.2fs (%5.2fs) peak %.2f %s%s%s",
		prefix, name, d.Type, d.Start, d.End, d.End-d.Start, d.Score, d.Severity, val, detail)
}
