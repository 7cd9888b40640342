package main

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	vigilv1 "github.com/vigil-monitor/vigil/proto/vigil/v1"
)

// streamJSON is one stream in `vigil streams ls|get --json` (the contract in
// DESIGN.md: id, url, owner, state, running_since, plus counters). Times are RFC
// 3339 with milliseconds, in UTC; running_since is empty until the owner's run has
// decoded its first frame.
type streamJSON struct {
	ID           string             `json:"id"`
	URL          string             `json:"url"`
	Owner        string             `json:"owner"`
	State        string             `json:"state"`
	RunningSince string             `json:"running_since"`
	Epoch        uint64             `json:"epoch"`
	AssignedAt   string             `json:"assigned_at"`
	Restarts     uint64             `json:"restarts"`
	Defects      uint64             `json:"defects"`
	Crashes      uint32             `json:"crashes"`
	LastError    string             `json:"last_error,omitempty"`
	Runners      []string           `json:"runners"`
	Thresholds   map[string]float64 `json:"thresholds,omitempty"`
	Labels       map[string]string  `json:"labels,omitempty"`
}

// stateName is a stream state as the CLI prints it: starting running retrying
// stopped unplaced quarantined.
func stateName(s vigilv1.StreamState) string {
	name, ok := strings.CutPrefix(s.String(), "STREAM_STATE_")
	if !ok || s == vigilv1.StreamState_STREAM_STATE_UNSPECIFIED {
		return "unknown"
	}
	return strings.ToLower(name)
}

func unixMsString(ms int64) string {
	if ms <= 0 {
		return ""
	}
	return time.UnixMilli(ms).UTC().Format(rfc3339ms)
}

func streamRecord(s *vigilv1.Stream) streamJSON {
	runners := s.GetRunners()
	if runners == nil {
		runners = []string{}
	}
	return streamJSON{
		ID:           s.GetSpec().GetId(),
		URL:          s.GetSpec().GetUrl(),
		Owner:        s.GetOwner(),
		State:        stateName(s.GetState()),
		RunningSince: unixMsString(s.GetRunningSinceUnixMs()),
		Epoch:        s.GetEpoch(),
		AssignedAt:   unixMsString(s.GetAssignedAtUnixMs()),
		Restarts:     s.GetRestarts(),
		Defects:      s.GetDefects(),
		Crashes:      s.GetCrashes(),
		LastError:    s.GetLastError(),
		Runners:      runners,
		Thresholds:   s.GetSpec().GetThresholds(),
		Labels:       s.GetSpec().GetLabels(),
	}
}

// since formats how long ago ms was, for tables ("-" for never).
func since(now time.Time, ms int64) string {
	if ms <= 0 {
		return "-"
	}
	d := now.Sub(time.UnixMilli(ms))
	if d < 0 {
		d = 0
	}
	return d.Round(time.Second).String()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// writeStreamTable prints streams as an aligned table.
func writeStreamTable(w io.Writer, streams []*vigilv1.Stream, now time.Time) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTATE\tOWNER\tUP\tRESTARTS\tDEFECTS\tURL")
	for _, s := range streams {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%d\t%s\n", s.GetSpec().GetId(), stateName(s.GetState()), orDash(s.GetOwner()),
			since(now, s.GetRunningSinceUnixMs()), s.GetRestarts(), s.GetDefects(), s.GetSpec().GetUrl())
	}
	return tw.Flush()
}

// writeStreamDetail prints one stream as aligned "key: value" lines.
func writeStreamDetail(w io.Writer, s *vigilv1.Stream, now time.Time) error {
	r := streamRecord(s)
	running := "-"
	if r.RunningSince != "" {
		running = fmt.Sprintf("%s (%s ago)", r.RunningSince, since(now, s.GetRunningSinceUnixMs()))
	}
	tw := tabwriter.NewWriter(w, 0, 0, 1, ' ', 0)
	for _, kv := range [][2]string{
		{"id", r.ID}, {"url", r.URL}, {"state", r.State}, {"owner", orDash(r.Owner)}, {"running since", running},
		{"epoch", strconv.FormatUint(r.Epoch, 10)}, {"runners", orDash(strings.Join(r.Runners, ", "))},
		{"assigned at", orDash(r.AssignedAt)}, {"restarts", strconv.FormatUint(r.Restarts, 10)},
		{"defects", strconv.FormatUint(r.Defects, 10)}, {"crashes", strconv.FormatUint(uint64(r.Crashes), 10)},
		{"last error", orDash(r.LastError)}, {"thresholds", orDash(joinMap(r.Thresholds, formatFloat))},
		{"labels", orDash(joinMap(r.Labels, func(v string) string { return v }))},
	} {
		fmt.Fprintf(tw, "%s:\t%s\n", kv[0], kv[1])
	}
	return tw.Flush()
}

func formatFloat(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

func joinMap[V any](m map[string]V, format func(V) string) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, k+"="+format(m[k]))
	}
	return strings.Join(parts, ", ")
}

// memberJSON is one node in `vigil members --json`.
type memberJSON struct {
	Name       string `json:"name"`
	State      string `json:"state"`
	Self       bool   `json:"self"`
	Streams    uint32 `json:"streams"`
	Capacity   uint32 `json:"capacity"`
	Draining   bool   `json:"draining"`
	Leaving    bool   `json:"leaving"`
	GossipAddr string `json:"gossip_addr"`
	AdminAddr  string `json:"admin_addr"`
	Version    string `json:"version"`
	StartedAt  string `json:"started_at"`
	BootID     string `json:"boot_id"`
}

func memberState(s vigilv1.MemberState) string {
	name, ok := strings.CutPrefix(s.String(), "MEMBER_STATE_")
	if !ok || s == vigilv1.MemberState_MEMBER_STATE_UNSPECIFIED {
		return "unknown"
	}
	return strings.ToLower(name)
}

func memberRecord(m *vigilv1.Member) memberJSON {
	meta := m.GetMeta()
	return memberJSON{
		Name: m.GetName(), State: memberState(m.GetState()), Self: m.GetIsSelf(), Streams: m.GetStreams(),
		Capacity: meta.GetCapacity(), Draining: meta.GetDraining(), Leaving: meta.GetLeaving(),
		GossipAddr: m.GetGossipAddr(), AdminAddr: meta.GetAdminAddr(), Version: meta.GetVersion(),
		StartedAt: unixMsString(meta.GetStartedAtUnixMs()), BootID: fmt.Sprintf("%016x", meta.GetBootId()),
	}
}

// writeMemberTable prints members as an aligned table; the node that answered is
// marked with a star.
func writeMemberTable(w io.Writer, members []*vigilv1.Member, now time.Time) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tSTATE\tSTREAMS\tCAPACITY\tDRAINING\tGOSSIP\tADMIN\tVERSION\tUP")
	for _, m := range members {
		r := memberRecord(m)
		name := r.Name
		if r.Self {
			name += " *"
		}
		draining := "no"
		if r.Draining {
			draining = "yes"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\t%s\t%s\t%s\t%s\n", name, r.State, r.Streams, r.Capacity, draining,
			orDash(r.GossipAddr), orDash(r.AdminAddr), orDash(r.Version), since(now, m.GetMeta().GetStartedAtUnixMs()))
	}
	return tw.Flush()
}
