package cluster

import (
	"log/slog"
	"sync"
	"sync/atomic"

	"google.golang.org/protobuf/proto"

	vigilv1 "github.com/vigil-monitor/vigil/proto/vigil/v1"

	"github.com/vigil-monitor/vigil/cluster/membership"
	"github.com/vigil-monitor/vigil/cluster/roster"
	"github.com/vigil-monitor/vigil/cluster/table"
)

// handler is the Node seen by membership. LocalState runs on memberlist's
// goroutines; the other methods on membership's dispatch goroutine.
type handler Node

var _ membership.Handler = (*handler)(nil)

// LocalState is this node's push/pull payload: the whole table, its own run status,
// the defects open on its streams and its roster (the placement layout).
//
// The table part is cached until the table changes: encoded protobuf messages
// concatenate, so the payload is the cached FullState{entries} followed by a fresh
// FullState{status, open_defects}.
func (h *handler) LocalState(bool) []byte {
	n := (*Node)(h)
	rows := n.encodedRows()
	rest, err := proto.Marshal(&vigilv1.FullState{Status: n.fullStatus(), OpenDefects: n.events.openOf(n.cfg.Name),
		Roster: roster.ToProto(n.roster.Entries())})
	if err != nil {
		n.log.Error("encode local state", "err", err)
		return nil
	}
	return append(append(make([]byte, 0, len(rows)+len(rest)), rows...), rest...)
}

// encodedRows returns FullState{entries: every row} encoded, from a cache kept
// until the table changes.
func (n *Node) encodedRows() []byte {
	n.stateMu.Lock()
	defer n.stateMu.Unlock()
	gen := n.table.Gen()
	if n.stateRows != nil && n.stateGen == gen {
		return n.stateRows
	}
	st := &vigilv1.FullState{}
	for _, e := range n.table.All() {
		st.Entries = append(st.Entries, table.ToProto(e))
	}
	b, err := proto.Marshal(st)
	if err != nil {
		n.log.Error("encode table", "err", err)
		return nil
	}
	n.stateRows, n.stateGen = b, gen
	return b
}

// MergeRemoteState merges another node's push/pull payload.
func (h *handler) MergeRemoteState(buf []byte, _ bool) {
	n := (*Node)(h)
	var st vigilv1.FullState
	if err := proto.Unmarshal(buf, &st); err != nil {
		n.log.Warn("bad remote state", "err", err)
		return
	}
	n.mergeRows(st.GetEntries())
	if n.roster.Merge(n.cfg.Clock(), roster.FromProto(st.GetRoster())) {
		n.rosterDirty.Store(true)
		n.replace()
	}
	if st.GetStatus() != nil {
		n.statusChanged(n.peers.apply(st.GetStatus(), n.cfg.Clock()))
		n.events.replaceOpen(st.GetStatus().GetNode(), st.GetOpenDefects())
	}
}

// NotifyMsg handles a gossiped or direct message.
func (h *handler) NotifyMsg(buf []byte) {
	n := (*Node)(h)
	var env vigilv1.Envelope
	if err := proto.Unmarshal(buf, &env); err != nil {
		n.log.Warn("bad message", "err", err)
		return
	}
	switch k := env.GetKind().(type) {
	case *vigilv1.Envelope_TableDelta:
		n.mergeRows(k.TableDelta.GetEntries())
	case *vigilv1.Envelope_Status:
		if k.Status.GetNode() != n.cfg.Name {
			n.statusChanged(n.peers.apply(k.Status, n.cfg.Clock()))
		}
	case *vigilv1.Envelope_Events:
		for _, e := range k.Events.GetEvents() {
			n.events.publish(e)
		}
	case *vigilv1.Envelope_HandoffWatch:
		n.watchHandoff(k.HandoffWatch.GetNode(), k.HandoffWatch.GetIds())
	case *vigilv1.Envelope_Drain:
		if k.Drain.GetNode() == n.cfg.Name {
			undrain := k.Drain.GetUndrain()
			// SetMeta waits for gossip; never on the dispatch goroutine.
			n.goUnlessClosed(func() {
				if err := n.setDraining(!undrain); err != nil {
					n.log.Warn("drain on request", "err", err)
				}
			})
		}
	}
}

// MembersChanged recomputes placement and forgets what departed nodes reported.
func (h *handler) MembersChanged() {
	n := (*Node)(h)
	for _, m := range n.mem.Members() {
		if m.State != membership.StateAlive {
			n.peers.forget(m.Name)
			n.events.dropOwner(m.Name)
		}
	}
	n.replace()
}

// statusChanged reacts to other nodes' run status changes: a reconcile pass is due
// only if this node is handing one of those streams off.
func (n *Node) statusChanged(ids []string) {
	if len(ids) == 0 {
		return
	}
	n.notify.signal()
	n.mu.Lock()
	due := false
	for _, id := range ids {
		if r := n.runs[id]; r != nil && !r.handoff.IsZero() {
			due = true
			break
		}
	}
	n.mu.Unlock()
	if due {
		n.kick()
	}
}

// goUnlessClosed runs f on a goroutine the node waits for on Close.
func (n *Node) goUnlessClosed(f func()) {
	n.goMu.Lock()
	defer n.goMu.Unlock()
	if n.closed.Load() {
		return
	}
	n.wg.Go(f)
}

// mergeRows merges rows received from another node.
func (n *Node) mergeRows(ps []*vigilv1.TableEntry) {
	if len(ps) == 0 {
		return
	}
	rows := make([]table.Entry, 0, len(ps))
	for _, p := range ps {
		if p.GetId() == "" {
			continue
		}
		rows = append(rows, table.FromProto(p))
	}
	if changed := n.table.Merge(rows); len(changed) > 0 {
		n.replace()
		n.scheduleSave()
	}
}

// broadcastRow gossips one row. Rows are bounded by spec validation to fit a
// gossip packet; one that does not is left to push/pull.
func (n *Node) broadcastRow(e table.Entry) {
	b, err := proto.Marshal(&vigilv1.Envelope{Kind: &vigilv1.Envelope_TableDelta{
		TableDelta: &vigilv1.TableDelta{Entries: []*vigilv1.TableEntry{table.ToProto(e)}}}})
	if err == nil {
		err = n.mem.Broadcast("row/"+e.ID, b)
	}
	if err != nil {
		n.log.Warn("row not gossiped; push/pull will carry it", "stream", e.ID, "err", err)
	}
}

// broadcastStatus gossips run status changes, split to fit gossip packets.
func (n *Node) broadcastStatus(seq uint64, runs []*vigilv1.RunStatus) {
	for len(runs) > 0 {
		u := &vigilv1.StatusUpdate{Node: n.cfg.Name, Seq: seq, BootId: n.bootID}
		for len(runs) > 0 {
			u.Runs = append(u.Runs, runs[0])
			if proto.Size(u) > membership.MaxBroadcastSize-16 && len(u.Runs) > 1 {
				u.Runs = u.Runs[:len(u.Runs)-1]
				break
			}
			runs = runs[1:]
		}
		b, err := proto.Marshal(&vigilv1.Envelope{Kind: &vigilv1.Envelope_Status{Status: u}})
		if err == nil {
			err = n.mem.Broadcast("", b)
		}
		if err != nil {
			n.log.Warn("status not gossiped; push/pull will carry it", "err", err)
		}
	}
}

// sendTo queues a direct message to one node.
func (n *Node) sendTo(node string, env *vigilv1.Envelope) {
	b, err := proto.Marshal(env)
	if err != nil {
		n.log.Error("encode message", "err", err)
		return
	}
	n.out.send(func() error { return n.mem.Send(node, b) })
}

// outbox sends direct messages on goroutines of its own, so that a slow or dead
// peer never stalls the node. When its queue is full, messages are dropped (gossip
// and push/pull carry the same information later).
type outbox struct {
	log     *slog.Logger
	jobs    chan func() error
	wg      sync.WaitGroup
	once    sync.Once
	mu      sync.RWMutex
	done    bool
	stopped atomic.Bool // set by close: queued messages are dropped
}

func newOutbox(log *slog.Logger, workers, queue int) *outbox {
	o := &outbox{log: log, jobs: make(chan func() error, queue)}
	for range workers {
		o.wg.Go(func() {
			for job := range o.jobs {
				if o.stopped.Load() {
					continue
				}
				if err := job(); err != nil {
					o.log.Debug("direct message", "err", err)
				}
			}
		})
	}
	return o
}

func (o *outbox) send(job func() error) {
	o.mu.RLock()
	defer o.mu.RUnlock()
	if o.done {
		return
	}
	select {
	case o.jobs <- job:
	default:
		o.log.Warn("outbox full; direct message dropped")
	}
}

func (o *outbox) close() {
	o.once.Do(func() {
		o.stopped.Store(true)
		o.mu.Lock()
		o.done = true
		close(o.jobs)
		o.mu.Unlock()
		o.wg.Wait()
	})
}
