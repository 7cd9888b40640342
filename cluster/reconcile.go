package cluster

import (
	"slices"
	"time"

	"github.com/vigil-monitor/vigil/cluster/table"
)

// run is one stream this node runs.
type run struct {
	entry table.Entry // the row it was started from
	epoch uint64
	// handoff is when this node learned it no longer owns the stream; zero while it
	// does. The run continues until the new owner reports its first frame or the
	// grace period ends.
	handoff time.Time
	// handoffTo is the new owner last asked to report its first frame, at askedAt.
	handoffTo string
	askedAt   time.Time
}

// peerRun is what another node reports about its run of a stream.
type peerRun struct {
	epoch        uint64
	runningSince time.Time // zero until its first frame
	reported     time.Time // when this node last received the report
}

// view is everything reconciliation looks at, gathered by the node.
type view struct {
	self   string
	now    time.Time
	grace  time.Duration
	owners map[string]string      // placement: stream id → owner (absent: unplaced)
	rows   map[string]table.Entry // live, placeable rows by id
	runs   map[string]*run        // what this node runs
	// peers[id][node] is another node's run of id.
	peers map[string]map[string]peerRun
	// retryAt holds streams whose Start failed, not to be retried before the time.
	retryAt map[string]time.Time
}

// actionKind is what reconciliation asks the node to do about one stream.
type actionKind int

const (
	actStart   actionKind = iota + 1 // start the row's stream
	actStop                          // stop the stream
	actRestart                       // stop, then start with the new row
	actAdopt                         // keep running, now under the row's new version
	actHandoff                       // keep running, but as the old owner
	actReclaim                       // keep running: this node owns it again
)

type action struct {
	kind  actionKind
	id    string
	entry table.Entry // the row to start or adopt
	why   string
}

// plan compares what this node runs with what it should run and returns what to
// change, ordered by stream id. It is a pure function of the view.
//
//   - A stream placed here and not running starts (unless a failed start is
//     waiting for its retry time).
//   - A stream placed elsewhere keeps running here (make-before-break) until the new
//     owner reports, after the hand-off began, that its run has decoded its first
//     frame, or the grace period passes; then it stops. (A report from before the
//     hand-off may describe a run the new owner has since stopped: placement that
//     flaps A → B → A within a status interval.)
//   - A stream removed, quarantined or rewritten with another spec stops at once
//     (rewritten ones start again with the new spec where placed).
func plan(v view) []action {
	ids := make([]string, 0, len(v.rows)+len(v.runs))
	for id := range v.rows {
		ids = append(ids, id)
	}
	for id := range v.runs {
		if _, ok := v.rows[id]; !ok {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	var out []action
	for _, id := range ids {
		row, live := v.rows[id]
		r := v.runs[id]
		owner := v.owners[id]
		switch {
		case r == nil:
			if live && owner == v.self && !v.now.Before(v.retryAt[id]) {
				out = append(out, action{kind: actStart, id: id, entry: row, why: "placed here"})
			}
		case !live:
			out = append(out, action{kind: actStop, id: id, why: "removed or quarantined"})
		case !r.entry.Spec.Equal(row.Spec):
			if owner == v.self {
				out = append(out, action{kind: actRestart, id: id, entry: row, why: "spec changed"})
			} else {
				out = append(out, action{kind: actStop, id: id, why: "spec changed and placed elsewhere"})
			}
		case owner == v.self:
			if r.entry.Version != row.Version {
				out = append(out, action{kind: actAdopt, id: id, entry: row, why: "same spec, new version"})
			}
			if !r.handoff.IsZero() {
				out = append(out, action{kind: actReclaim, id: id, why: "placed here again"})
			}
		case r.handoff.IsZero():
			out = append(out, action{kind: actHandoff, id: id, why: "placed on " + ownerName(owner)})
		case owner != "" && v.peers[id][owner].decodingSince(r.handoff):
			out = append(out, action{kind: actStop, id: id, why: "new owner " + owner + " decodes"})
		case !v.now.Before(r.handoff.Add(v.grace)):
			out = append(out, action{kind: actStop, id: id, why: "hand-off grace over"})
		}
	}
	return out
}

// decodingSince reports whether the peer's run has decoded its first frame, by a
// report received at or after t (the new owner answers a hand-off watch at once when
// its run already decodes). The epochs are not compared: when placement flaps
// (A → B → A) the owner may keep an older run than the node handing off, and it
// still decodes.
func (p peerRun) decodingSince(t time.Time) bool {
	return !p.runningSince.IsZero() && !p.reported.Before(t)
}

func ownerName(o string) string {
	if o == "" {
		return "no node"
	}
	return o
}
