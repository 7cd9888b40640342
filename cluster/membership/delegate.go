package membership

import (
	"net"
	"strconv"

	"github.com/hashicorp/memberlist"
)

// delegate is memberlist's Delegate. Every method returns at once.
type delegate struct {
	m *Membership
	h Handler
}

var _ memberlist.Delegate = (*delegate)(nil)

func (d *delegate) NodeMeta(limit int) []byte {
	d.m.mu.Lock()
	defer d.m.mu.Unlock()
	if len(d.m.meta) > limit {
		return nil
	}
	return d.m.meta
}

func (d *delegate) NotifyMsg(b []byte) {
	d.m.enqueue(inboxItem{buf: append([]byte(nil), b...)})
}

func (d *delegate) GetBroadcasts(overhead, limit int) [][]byte {
	return d.m.queue.GetBroadcasts(overhead, limit)
}

func (d *delegate) LocalState(join bool) []byte {
	return d.h.LocalState(join)
}

func (d *delegate) MergeRemoteState(b []byte, join bool) {
	d.m.enqueue(inboxItem{buf: append([]byte(nil), b...), state: true, join: join})
}

// events is memberlist's EventDelegate: it keeps Membership's member view (memberlist
// calls it one event at a time) and signals the handler.
type events struct {
	m *Membership
}

var _ memberlist.EventDelegate = (*events)(nil)

func (e *events) NotifyJoin(n *memberlist.Node)   { e.update(n, StateAlive) }
func (e *events) NotifyUpdate(n *memberlist.Node) { e.update(n, StateAlive) }
func (e *events) NotifyLeave(n *memberlist.Node) {
	// memberlist does not say whether n left or died (n.State is stale here), so
	// tell them apart by the leaving flag Close sets in the meta before it leaves.
	s := StateDead
	if m, err := decodeMeta(n.Meta); err == nil && m.Leaving {
		s = StateLeft
	}
	e.update(n, s)
}

func (e *events) update(n *memberlist.Node, s State) {
	meta, err := decodeMeta(n.Meta)
	if err != nil {
		e.m.log.Warn("bad node meta", "peer", n.Name, "err", err)
	}
	mem := Member{
		Name:  n.Name,
		Addr:  net.JoinHostPort(n.Addr.String(), strconv.Itoa(int(n.Port))),
		Meta:  meta,
		State: s,
		Since: e.m.cfg.Clock(),
	}
	e.m.mu.Lock()
	if old, ok := e.m.members[n.Name]; ok && old.State == s {
		mem.Since = old.Since
	}
	e.m.members[n.Name] = mem
	e.m.mu.Unlock()
	e.m.notifyChanged()
}

// broadcast is one queued gossip message.
type broadcast struct {
	key string
	msg []byte
}

var _ memberlist.NamedBroadcast = (*broadcast)(nil)

func (b *broadcast) Name() string    { return b.key }
func (b *broadcast) Message() []byte { return b.msg }
func (b *broadcast) Finished()       {}
func (b *broadcast) Invalidates(o memberlist.Broadcast) bool {
	ob, ok := o.(*broadcast)
	return ok && b.key != "" && ob.key == b.key
}

// uniqueBroadcast is a queued gossip message that replaces nothing.
type uniqueBroadcast struct {
	msg []byte
}

var _ memberlist.UniqueBroadcast = (*uniqueBroadcast)(nil)

func (b *uniqueBroadcast) Message() []byte                       { return b.msg }
func (b *uniqueBroadcast) Finished()                             {}
func (b *uniqueBroadcast) UniqueBroadcast()                      {}
func (b *uniqueBroadcast) Invalidates(memberlist.Broadcast) bool { return false }
