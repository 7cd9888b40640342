package cluster

import (
	"context"
	"fmt"
	"slices"
	"time"

	"google.golang.org/protobuf/proto"

	vigilv1 "github.com/vigil-monitor/vigil/proto/vigil/v1"

	"github.com/vigil-monitor/vigil/cluster/membership"
	"github.com/vigil-monitor/vigil/cluster/table"
)

// Stream is a stream as the cluster sees it, from any node.
type Stream struct {
	// Spec is what was assigned.
	Spec StreamSpec
	// Owner is the node placement gives it; empty when unplaced or quarantined.
	Owner string
	// State is the owner's report (UNPLACED or QUARANTINED when there is no owner;
	// STARTING while the owner has not reported yet).
	State vigilv1.StreamState
	// RunningSince is when the owner's run decoded its first frame.
	RunningSince time.Time
	// Epoch is the owner's run.
	Epoch uint64
	// AssignedAt is when the spec was last written.
	AssignedAt time.Time
	// Crashes counts the crash records against the stream.
	Crashes int
	// Restarts, Defects and LastError come from the owner's run.
	Restarts, Defects uint64
	LastError         string
	// Runners lists the nodes that report running it (two during a hand-off).
	Runners []string
}

// Proto converts s for the admin API.
func (s Stream) Proto() *vigilv1.Stream {
	p := &vigilv1.Stream{Spec: table.SpecToProto(s.Spec), Owner: s.Owner, State: s.State, Epoch: s.Epoch,
		AssignedAtUnixMs: s.AssignedAt.UnixMilli(), Crashes: uint32(s.Crashes), Restarts: s.Restarts,
		Defects: s.Defects, LastError: s.LastError, Runners: s.Runners}
	if !s.RunningSince.IsZero() {
		p.RunningSinceUnixMs = s.RunningSince.UnixMilli()
	}
	return p
}

// Assign stores spec in the cluster table. Assigning the spec already stored is a
// no-op, except that it lifts a quarantine; a different spec under the same id
// fails with ErrExists unless replace is set. It returns the stream and whether the
// id was new. The spec is validated (ErrInvalid) before anything is stored.
func (n *Node) Assign(spec StreamSpec, replace bool) (Stream, bool, error) {
	if err := n.cfg.URLPolicy.ValidateSpec(spec); err != nil {
		return Stream{}, false, err
	}
	probe := table.ToProto(table.Entry{ID: spec.ID, Version: table.Version{Time: 1 << 62, Node: n.cfg.Name}, Spec: spec})
	if size := proto.Size(probe); size > maxEntrySize {
		return Stream{}, false, fmt.Errorf("%w: spec is %d bytes encoded, limit %d", ErrInvalid, size, maxEntrySize)
	}
	if err := n.ready(); err != nil {
		return Stream{}, false, err
	}
	old, exists := n.table.Get(spec.ID)
	exists = exists && !old.Deleted
	if exists && old.Spec.Equal(spec) && len(old.Crashes) == 0 {
		s, _ := n.Get(spec.ID)
		return s, false, nil
	}
	if exists && !old.Spec.Equal(spec) && !replace {
		return Stream{}, false, fmt.Errorf("%w: stream %q", ErrExists, spec.ID)
	}
	e := n.table.Put(spec)
	n.save() // acknowledged writes survive a crash of this node, even a lone one
	n.broadcastRow(e)
	n.replace()
	n.reconcileNow()
	s, _ := n.Get(spec.ID)
	return s, !exists, nil
}

// Unassign removes a stream from the cluster (ErrNotFound when there is none).
func (n *Node) Unassign(id string) error {
	if err := n.ready(); err != nil {
		return err
	}
	e, ok := n.table.Delete(id)
	if !ok {
		return fmt.Errorf("%w: stream %q", ErrNotFound, id)
	}
	n.save()
	n.broadcastRow(e)
	n.replace()
	return nil
}

// reconcileNow recomputes placement so that Get right after Assign shows the owner;
// the loop starts the stream.
func (n *Node) reconcileNow() {
	n.dirty.Store(true)
	n.refreshPlacement()
	n.kick()
}

// Get describes one stream (ErrNotFound when there is none).
func (n *Node) Get(id string) (Stream, error) {
	e, ok := n.table.Get(id)
	if !ok || e.Deleted {
		return Stream{}, fmt.Errorf("%w: stream %q", ErrNotFound, id)
	}
	return n.describe([]table.Entry{e})[0], nil
}

// List describes every stream, ordered by id.
func (n *Node) List() []Stream {
	return n.describe(n.table.Live())
}

func (n *Node) describe(rows []table.Entry) []Stream {
	peers := n.peers.byStream()
	n.mu.Lock()
	defer n.mu.Unlock()
	out := make([]Stream, 0, len(rows))
	for _, e := range rows {
		s := Stream{Spec: e.Spec, AssignedAt: e.Version.Time.Time(), Crashes: len(e.Crashes)}
		runs := map[string]*vigilv1.RunStatus{}
		for node, st := range peers[e.ID] {
			runs[node] = st
		}
		if st := n.published[e.ID]; st != nil {
			runs[n.cfg.Name] = st
		}
		s.Runners = slicesKeys(runs)
		switch owner, placed := n.owners[e.ID]; {
		case e.Quarantined(n.cfg.MaxCrashes, n.cfg.CrashWindow):
			s.State = vigilv1.StreamState_STREAM_STATE_QUARANTINED
		case !placed:
			s.State = vigilv1.StreamState_STREAM_STATE_UNPLACED
		default:
			s.Owner = owner
			s.State = vigilv1.StreamState_STREAM_STATE_STARTING
			if st := runs[owner]; st != nil {
				s.State, s.Epoch, s.Restarts, s.Defects, s.LastError = st.GetState(), st.GetEpoch(), st.GetRestarts(), st.GetDefects(), st.GetLastError()
				if ms := st.GetRunningSinceUnixMs(); ms > 0 {
					s.RunningSince = time.UnixMilli(ms)
				}
			}
		}
		out = append(out, s)
	}
	return out
}

// Member is a node of the cluster as this node sees it.
type Member struct {
	membership.Member
	// Streams counts the streams placement gives the member.
	Streams int
	// Self is true for this node.
	Self bool
}

// Proto converts m for the admin API.
func (m Member) Proto() *vigilv1.Member {
	st := vigilv1.MemberState_MEMBER_STATE_ALIVE
	switch m.State {
	case membership.StateDead:
		st = vigilv1.MemberState_MEMBER_STATE_DEAD
	case membership.StateLeft:
		st = vigilv1.MemberState_MEMBER_STATE_LEFT
	}
	return &vigilv1.Member{Name: m.Name, GossipAddr: m.Addr, Meta: m.Meta.Proto(), State: st,
		Streams: uint32(m.Streams), IsSelf: m.Self}
}

// Members describes every node this node knows of (departed ones too), by name.
func (n *Node) Members() []Member {
	n.mu.Lock()
	counts := map[string]int{}
	for _, o := range n.owners {
		counts[o]++
	}
	n.mu.Unlock()
	var out []Member
	for _, m := range n.mem.Members() {
		out = append(out, Member{Member: m, Streams: counts[m.Name], Self: m.Name == n.cfg.Name})
	}
	return out
}

// Drain flags a node as draining — placement gives it no stream, and its streams
// move off make-before-break — or lifts the flag (undrain). node "" is this node.
// A remote node is told by a direct message (ErrNotFound when it is not alive).
func (n *Node) Drain(ctx context.Context, node string, undrain bool) error {
	if err := n.ready(); err != nil {
		return err
	}
	if node == "" || node == n.cfg.Name {
		return n.setDraining(!undrain)
	}
	alive := slices.ContainsFunc(n.mem.Members(), func(m membership.Member) bool {
		return m.Name == node && m.State == membership.StateAlive
	})
	if !alive {
		return fmt.Errorf("%w: node %q", ErrNotFound, node)
	}
	b, err := proto.Marshal(&vigilv1.Envelope{Kind: &vigilv1.Envelope_Drain{Drain: &vigilv1.DrainCommand{Node: node, Undrain: undrain}}})
	if err != nil {
		return fmt.Errorf("cluster: encode drain: %w", err)
	}
	errc := make(chan error, 1)
	go func() { errc <- n.mem.Send(node, b) }()
	select {
	case err := <-errc:
		if err != nil {
			return fmt.Errorf("cluster: drain %s: %w", node, err)
		}
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Draining reports whether this node is draining.
func (n *Node) Draining() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.draining
}

// Running returns the ids of the streams this node runs (handing-off ones included).
func (n *Node) Running() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return slicesKeys(n.runs)
}

// WatchEvents starts a watch of the defect events of the given streams (all when
// ids is empty), wherever in the cluster they run: the snapshot of open defects,
// then live events. Close the watch when done.
func (n *Node) WatchEvents(ids []string) (*EventWatch, error) {
	return n.events.watch(ids)
}

// PublishEvent reports a defect event seen by this node's run of a stream (the
// actor side calls it). It reaches this node's watchers and, by direct message,
// every other node's. Owner is set to this node when empty; e must not be modified
// afterwards. It never blocks.
func (n *Node) PublishEvent(e *vigilv1.DefectEvent) {
	if e.GetOwner() == "" {
		e.Owner = n.cfg.Name
	}
	n.events.publish(e)
	env := &vigilv1.Envelope{Kind: &vigilv1.Envelope_Events{Events: &vigilv1.DefectEvents{Events: []*vigilv1.DefectEvent{e}}}}
	for _, m := range n.mem.Members() {
		if m.State == membership.StateAlive && m.Name != n.cfg.Name {
			n.sendTo(m.Name, env)
		}
	}
}

// Changes returns a channel that receives a value (coalesced) whenever the table,
// placement, run status or membership changes, and a function that ends the
// subscription. The channel is closed when the node closes.
func (n *Node) Changes() (<-chan struct{}, func()) {
	return n.notify.subscribe()
}

// Owners returns the current placement: stream id → owner, for placed streams.
func (n *Node) Owners() map[string]string {
	n.mu.Lock()
	defer n.mu.Unlock()
	out := make(map[string]string, len(n.owners))
	for id, o := range n.owners {
		out[id] = o
	}
	return out
}
