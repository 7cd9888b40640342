// Package membership is vigil's gossip layer: which nodes are in the cluster, what
// they say about themselves, and the messages they exchange. It is the only package
// of vigil that imports hashicorp/memberlist (SWIM failure detection with the
// Lifeguard extensions, gossip broadcasts, TCP push/pull state exchange).
//
// memberlist calls its delegates on its own goroutines and stalls if they block, so
// Membership copies what they hand it into an inbox that a goroutine it owns drains
// into the Handler, one call at a time. Only Handler.LocalState runs on memberlist's
// goroutines, because memberlist needs its answer there and then.
package membership

import (
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/hashicorp/memberlist"
)

// Handler receives what the cluster tells this node.
type Handler interface {
	// LocalState returns this node's state for a push/pull exchange (join is true
	// when the exchange is a join). It is called on memberlist's goroutines,
	// possibly concurrently, and must return quickly without waiting on anything
	// that may itself wait on membership.
	LocalState(join bool) []byte
	// MergeRemoteState receives the state another node returned from LocalState.
	MergeRemoteState(buf []byte, join bool)
	// NotifyMsg receives a broadcast or direct message from another node.
	NotifyMsg(buf []byte)
	// MembersChanged says that a member joined, left, died or updated its meta;
	// Members has the new view. Calls are coalesced.
	MembersChanged()
}

// MergeRemoteState, NotifyMsg and MembersChanged are called on one goroutine owned by
// Membership, one at a time, and own the buffers they are given. They may block
// briefly (a blocked handler fills the inbox and new messages are dropped).

// State is a member's liveness.
type State int

// Member states.
const (
	// StateAlive: answering probes (or suspected but not yet declared dead).
	StateAlive State = iota
	// StateDead: declared dead by failure detection (or gone without announcing
	// that it leaves).
	StateDead
	// StateLeft: left gracefully.
	StateLeft
)

// String names s.
func (s State) String() string {
	return [...]string{"alive", "dead", "left"}[s]
}

// Member is one node of the cluster as this node sees it.
type Member struct {
	// Name is the node's unique name.
	Name string
	// Addr is its gossip host:port.
	Addr string
	// Meta is what it says about itself.
	Meta Meta
	// State is its liveness.
	State State
	// Since is when this node last saw its state change.
	Since time.Time
}

// ErrTooLarge is returned for a broadcast that does not fit one gossip packet.
var ErrTooLarge = errors.New("membership: message too large")

// ErrUnknownNode is returned for a message to a node that is not a live member.
var ErrUnknownNode = errors.New("membership: unknown node")

// MaxBroadcastSize is the largest broadcast that fits a gossip packet next to
// memberlist's own framing, with room left for the label and encryption overhead.
const MaxBroadcastSize = 1200

// Membership is this node's view of the cluster. Open one with Create; Close it.
type Membership struct {
	cfg   Config
	log   *slog.Logger
	ml    *memberlist.Memberlist
	queue *memberlist.TransmitLimitedQueue

	inbox   chan inboxItem
	changed chan struct{}
	started chan struct{}
	stop    chan struct{}
	wg      sync.WaitGroup
	ready   chan struct{}

	readyOnce sync.Once
	startOnce sync.Once
	closeOnce sync.Once
	closeErr  error

	mu      sync.Mutex
	meta    []byte
	members map[string]Member
	dropped uint64
}

type inboxItem struct {
	buf   []byte
	state bool // a push/pull state rather than a message
	join  bool
}

// Create starts gossip on the configured address, announcing meta, and starts
// joining the seeds in the background. It does not wait for the join: see Ready.
// Calls to h other than LocalState wait (queued) until Start.
func Create(cfg Config, meta Meta, h Handler) (*Membership, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	mb, err := meta.encode()
	if err != nil {
		return nil, err
	}
	m := &Membership{
		cfg:     cfg,
		log:     cfg.Logger.With("component", "membership", "node", cfg.Memberlist.Name),
		inbox:   make(chan inboxItem, cfg.InboxSize),
		changed: make(chan struct{}, 1),
		started: make(chan struct{}),
		stop:    make(chan struct{}),
		ready:   make(chan struct{}),
		meta:    mb,
		members: make(map[string]Member),
	}
	ml := *cfg.Memberlist
	ml.Delegate = &delegate{m: m, h: h}
	ml.Events = &events{m: m}
	ml.Logger = nil
	ml.LogOutput = logWriter{log: m.log}
	list, err := memberlist.Create(&ml)
	if err != nil {
		return nil, fmt.Errorf("membership: start gossip: %w", err)
	}
	m.ml = list
	m.queue = &memberlist.TransmitLimitedQueue{NumNodes: list.NumMembers, RetransmitMult: 3 * ml.RetransmitMult}
	m.wg.Go(func() { m.dispatch(h) })
	if len(cfg.Join) == 0 {
		m.setReady()
	}
	m.wg.Go(m.joinLoop)
	return m, nil
}

// Start begins delivering queued and new messages and membership changes to the
// handler. Call it once whatever the handler needs is in place. It is idempotent.
func (m *Membership) Start() {
	m.startOnce.Do(func() { close(m.started) })
}

// Name returns this node's name.
func (m *Membership) Name() string { return m.cfg.Memberlist.Name }

// Addr returns the host:port this node gossips on (as advertised).
func (m *Membership) Addr() string {
	n := m.ml.LocalNode()
	return net.JoinHostPort(n.Addr.String(), strconv.Itoa(int(n.Port)))
}

// Ready is closed once this node has reached another member through its seeds, has
// no seeds, or has tried for ReadyTimeout (it may be the first node up).
func (m *Membership) Ready() <-chan struct{} { return m.ready }

func (m *Membership) setReady() { m.readyOnce.Do(func() { close(m.ready) }) }

// Members returns every member this node knows, including dead and departed ones,
// ordered by name.
func (m *Membership) Members() []Member {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]Member, 0, len(m.members))
	for _, mem := range m.members {
		out = append(out, mem)
	}
	slices.SortFunc(out, func(a, b Member) int { return cmpString(a.Name, b.Name) })
	return out
}

// Alive reports whether this node holds the named member alive now.
func (m *Membership) Alive(name string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	mem, ok := m.members[name]
	return ok && mem.State == StateAlive
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// NumAlive returns how many members are alive, this node included.
func (m *Membership) NumAlive() int { return m.ml.NumMembers() }

// HealthScore returns memberlist's local health score: 0 is healthy, higher means
// this node has been slow to answer probes.
func (m *Membership) HealthScore() int { return m.ml.GetHealthScore() }

// Dropped returns how many inbound messages were dropped because the inbox was full.
func (m *Membership) Dropped() uint64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.dropped
}

// SetMeta replaces what this node tells the others about itself and spreads it.
// It waits up to timeout for the update to go out.
func (m *Membership) SetMeta(meta Meta, timeout time.Duration) error {
	b, err := meta.encode()
	if err != nil {
		return err
	}
	m.mu.Lock()
	m.meta = b
	m.mu.Unlock()
	if err := m.ml.UpdateNode(timeout); err != nil {
		return fmt.Errorf("membership: update meta: %w", err)
	}
	return nil
}

// Broadcast queues msg for gossip to every member. A later broadcast with the same
// non-empty key replaces one still queued. msg must fit MaxBroadcastSize.
func (m *Membership) Broadcast(key string, msg []byte) error {
	if len(msg) > MaxBroadcastSize {
		return fmt.Errorf("%w: %d bytes", ErrTooLarge, len(msg))
	}
	if key == "" {
		m.queue.QueueBroadcast(&uniqueBroadcast{msg: msg})
	} else {
		m.queue.QueueBroadcast(&broadcast{key: key, msg: msg})
	}
	return nil
}

// QueuedBroadcasts returns how many broadcasts are waiting to be gossiped.
func (m *Membership) QueuedBroadcasts() int { return m.queue.NumQueued() }

// Send delivers msg to the named member over a TCP stream. It blocks until sent
// (up to memberlist's TCPTimeout); call it from a goroutine of your own.
func (m *Membership) Send(node string, msg []byte) error {
	m.mu.Lock()
	mem, ok := m.members[node]
	m.mu.Unlock()
	if !ok || mem.State != StateAlive {
		return fmt.Errorf("%w: %s", ErrUnknownNode, node)
	}
	host, port, err := net.SplitHostPort(mem.Addr)
	if err != nil {
		return fmt.Errorf("membership: address of %s: %w", node, err)
	}
	p, _ := strconv.Atoi(port)
	to := &memberlist.Node{Name: node, Addr: net.ParseIP(host), Port: uint16(p)}
	if err := m.ml.SendReliable(to, msg); err != nil {
		return fmt.Errorf("membership: send to %s: %w", node, err)
	}
	return nil
}

// Close leaves the cluster gracefully (the others see "left", not "dead"), stops
// gossip and waits for Membership's goroutines. It is idempotent.
func (m *Membership) Close() error {
	m.closeOnce.Do(func() {
		m.mu.Lock()
		meta, err := decodeMeta(m.meta)
		m.mu.Unlock()
		if err == nil {
			meta.Leaving = true
			if b, err := meta.encode(); err == nil {
				m.mu.Lock()
				m.meta = b
				m.mu.Unlock()
				if err := m.ml.UpdateNode(m.cfg.LeaveTimeout / 2); err != nil {
					m.log.Warn("announce leave", "err", err)
				}
			}
		}
		if err := m.ml.Leave(m.cfg.LeaveTimeout); err != nil {
			m.log.Warn("leave", "err", err)
		}
		m.closeErr = m.shutdown()
	})
	return m.closeErr
}

// Kill stops gossip without leaving, as if the process had died: the others declare
// this node dead through failure detection. For tests and simulations.
func (m *Membership) Kill() error {
	m.closeOnce.Do(func() { m.closeErr = m.shutdown() })
	return m.closeErr
}

func (m *Membership) shutdown() error {
	err := m.ml.Shutdown()
	close(m.stop)
	m.wg.Wait()
	if err != nil {
		return fmt.Errorf("membership: shutdown: %w", err)
	}
	return nil
}

// dispatch hands queued messages and membership changes to the handler.
func (m *Membership) dispatch(h Handler) {
	select {
	case <-m.stop:
		return
	case <-m.started:
	}
	for {
		select {
		case <-m.stop:
			return
		case it := <-m.inbox:
			if it.state {
				h.MergeRemoteState(it.buf, it.join)
			} else {
				h.NotifyMsg(it.buf)
			}
		case <-m.changed:
			h.MembersChanged()
		}
	}
}

func (m *Membership) enqueue(it inboxItem) {
	select {
	case m.inbox <- it:
	default:
		m.mu.Lock()
		m.dropped++
		n := m.dropped
		m.mu.Unlock()
		if n&(n-1) == 0 { // log on powers of two: 1, 2, 4, …
			m.log.Warn("inbox full, dropped inbound gossip", "dropped_total", n)
		}
	}
}

func (m *Membership) notifyChanged() {
	select {
	case m.changed <- struct{}{}:
	default:
	}
}

// joinLoop joins the seeds with backoff until it reaches another member. From then
// on, every ReconnectInterval, it reconnects to members it holds dead, and joins
// the seeds again if it finds itself alone (after a whole-cluster restart the seeds
// may come up after this node). A node without seeds only reconnects.
func (m *Membership) joinLoop() {
	seeds := len(m.cfg.Join) > 0
	readyTimer := time.NewTimer(m.cfg.ReadyTimeout)
	defer readyTimer.Stop()
	wait := time.Duration(0)
	for {
		t := time.NewTimer(wait)
		select {
		case <-m.stop:
			t.Stop()
			return
		case <-readyTimer.C:
			t.Stop()
			select {
			case <-m.ready: // joined already
			default:
				m.log.Info("no seed reachable yet; serving as the first node", "seeds", m.cfg.Join)
				m.setReady()
				wait = 0
			}
			continue
		case <-t.C:
		}
		if !seeds || m.ml.NumMembers() > 1 {
			m.setReady()
			m.reconnect()
			wait = m.cfg.ReconnectInterval
			continue
		}
		n, err := m.ml.Join(m.cfg.Join)
		if m.ml.NumMembers() > 1 {
			m.log.Info("joined", "seeds", m.cfg.Join, "contacted", n, "members", m.ml.NumMembers())
			m.setReady()
			wait = m.cfg.ReconnectInterval
			continue
		}
		m.log.Debug("join", "seeds", m.cfg.Join, "err", err)
		m.reconnect() // the seeds may be gone while other members are only cut off
		wait = nextBackoff(wait, m.cfg.JoinBackoff, m.cfg.JoinMaxBackoff)
	}
}

// reconnectFanout bounds the dead members one reconnect round contacts.
const reconnectFanout = 3

// reconnect asks up to reconnectFanout members this node holds dead (not departed),
// at random and concurrently, for a push/pull exchange, and waits for the answers
// (each at most TCPTimeout). A member that answers was cut off, not dead: memberlist
// stops talking to dead nodes, so only an exchange like this merges the two sides of
// a healed partition.
func (m *Membership) reconnect() {
	m.mu.Lock()
	var addrs []string
	for _, mem := range m.members {
		if mem.State == StateDead {
			addrs = append(addrs, mem.Addr)
		}
	}
	m.mu.Unlock()
	if len(addrs) == 0 {
		return
	}
	rand.Shuffle(len(addrs), func(i, j int) { addrs[i], addrs[j] = addrs[j], addrs[i] })
	var wg sync.WaitGroup
	for _, addr := range addrs[:min(len(addrs), reconnectFanout)] {
		wg.Go(func() {
			// Twice: in the first exchange each side only learns that the other holds
			// it dead and refutes that with a higher incarnation; the second carries
			// the refutations across, and each side takes the other for alive again.
			for range 2 {
				if _, err := m.ml.Join([]string{addr}); err != nil {
					m.log.Debug("reconnect", "addr", addr, "err", err)
					return
				}
			}
			m.log.Info("reconnected to a member held dead", "addr", addr)
		})
	}
	wg.Wait()
}

// nextBackoff doubles d within [min, max] and adds up to 20% jitter.
func nextBackoff(d, min, max time.Duration) time.Duration {
	d *= 2
	if d < min {
		d = min
	}
	if d > max {
		d = max
	}
	return d + time.Duration(rand.Int64N(int64(d)/5+1))
}
