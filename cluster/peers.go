package cluster

import (
	"sync"
	"time"

	vigilv1 "github.com/vigil-monitor/vigil/proto/vigil/v1"
)

// peerStatus is what this node knows about the runs of every other node, from
// gossiped StatusUpdates. It is safe for concurrent use.
type peerStatus struct {
	mu    sync.Mutex
	nodes map[string]*nodeRuns
	alive func(node string) bool // nil: every node counts
}

type nodeRuns struct {
	bootID uint64
	seq    uint64 // highest seq applied
	runs   map[string]runSeq
}

type runSeq struct {
	seq uint64
	st  *vigilv1.RunStatus
	at  time.Time // when a report of this state last arrived
}

func newPeerStatus() *peerStatus {
	return &peerStatus{nodes: make(map[string]*nodeRuns)}
}

// apply merges an update. Per stream, the update with the higher seq wins, so
// reordered gossip cannot bring back an older state; a full update also removes
// runs it does not list that are older than it. A new boot id resets the node.
// It returns the ids of the streams whose status changed. A report of the state
// already known (the same seq, e.g. a direct answer to a hand-off watch) refreshes
// when it was last reported, at now.
func (p *peerStatus) apply(u *vigilv1.StatusUpdate, now time.Time) []string {
	if u == nil || u.GetNode() == "" {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	n := p.nodes[u.GetNode()]
	if n == nil || n.bootID != u.GetBootId() {
		n = &nodeRuns{bootID: u.GetBootId(), runs: make(map[string]runSeq)}
		p.nodes[u.GetNode()] = n
	}
	var changed []string
	listed := make(map[string]bool, len(u.GetRuns()))
	for _, st := range u.GetRuns() {
		listed[st.GetId()] = true
		old, ok := n.runs[st.GetId()]
		if ok && old.seq == u.GetSeq() {
			old.at = now
			n.runs[st.GetId()] = old
			continue
		}
		if ok && old.seq > u.GetSeq() {
			continue
		}
		n.runs[st.GetId()] = runSeq{seq: u.GetSeq(), st: st, at: now}
		changed = append(changed, st.GetId())
	}
	if u.GetFull() {
		for id, r := range n.runs {
			if !listed[id] && r.seq < u.GetSeq() {
				n.runs[id] = runSeq{seq: u.GetSeq(), st: &vigilv1.RunStatus{Id: id, Removed: true}, at: now}
				changed = append(changed, id)
			}
		}
	}
	n.seq = max(n.seq, u.GetSeq())
	return changed
}

// forget drops what is known about a node (it died or left).
// onlyAlive makes the views (byStream, runsOf, runnersOf) leave out the runs of
// nodes for which alive is false. Updates are still applied whatever the sender's
// state: a status may arrive before its sender is known alive (a node joining, a
// partition healing), or after it was forgotten (messages and membership changes
// travel different queues), and neither must be lost or listed.
func (p *peerStatus) onlyAlive(alive func(node string) bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.alive = alive
}

func (p *peerStatus) counts(node string) bool {
	return p.alive == nil || p.alive(node)
}

func (p *peerStatus) forget(node string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.nodes, node)
}

// byStream returns, per stream id, the current (not removed) runs of every node.
func (p *peerStatus) byStream() map[string]map[string]*vigilv1.RunStatus {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[string]map[string]*vigilv1.RunStatus)
	for node, n := range p.nodes {
		if !p.counts(node) {
			continue
		}
		for id, r := range n.runs {
			if r.st.GetRemoved() {
				continue
			}
			if out[id] == nil {
				out[id] = make(map[string]*vigilv1.RunStatus)
			}
			out[id][node] = r.st
		}
	}
	return out
}

// runsOf returns, for each of the given streams, the current runs of other nodes,
// for reconciliation.
func (p *peerStatus) runsOf(ids []string) map[string]map[string]peerRun {
	out := make(map[string]map[string]peerRun, len(ids))
	if len(ids) == 0 {
		return out
	}
	want := make(map[string]bool, len(ids))
	for _, id := range ids {
		want[id] = true
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for node, n := range p.nodes {
		if !p.counts(node) {
			continue
		}
		for id := range want {
			r, ok := n.runs[id]
			if !ok || r.st.GetRemoved() {
				continue
			}
			pr := peerRun{epoch: r.st.GetEpoch(), reported: r.at}
			if ms := r.st.GetRunningSinceUnixMs(); ms > 0 {
				pr.runningSince = time.UnixMilli(ms)
			}
			if out[id] == nil {
				out[id] = make(map[string]peerRun)
			}
			out[id][node] = pr
		}
	}
	return out
}

// runnersOf returns the nodes that report running stream id.
func (p *peerStatus) runnersOf(id string) []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for node, n := range p.nodes {
		if !p.counts(node) {
			continue
		}
		if r, ok := n.runs[id]; ok && !r.st.GetRemoved() {
			out = append(out, node)
		}
	}
	return out
}

// runStatusProto converts a local status for gossip.
func runStatusProto(s StreamStatus) *vigilv1.RunStatus {
	p := &vigilv1.RunStatus{Id: s.ID, Epoch: s.Epoch, State: stateProto(s.State), Restarts: s.Restarts,
		Defects: s.Defects, LastError: s.LastError}
	if !s.RunningSince.IsZero() {
		p.RunningSinceUnixMs = s.RunningSince.UnixMilli()
	}
	return p
}

func stateProto(s RunState) vigilv1.StreamState {
	switch s {
	case RunStarting:
		return vigilv1.StreamState_STREAM_STATE_STARTING
	case RunRunning:
		return vigilv1.StreamState_STREAM_STATE_RUNNING
	case RunRetrying:
		return vigilv1.StreamState_STREAM_STATE_RETRYING
	case RunStopped:
		return vigilv1.StreamState_STREAM_STATE_STOPPED
	}
	return vigilv1.StreamState_STREAM_STATE_UNSPECIFIED
}
