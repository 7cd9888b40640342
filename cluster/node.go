package cluster

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	vigilv1 "github.com/vigil-monitor/vigil/proto/vigil/v1"

	"github.com/vigil-monitor/vigil/cluster/hlc"
	"github.com/vigil-monitor/vigil/cluster/membership"
	"github.com/vigil-monitor/vigil/cluster/roster"
	"github.com/vigil-monitor/vigil/cluster/table"
)

// File names under Config.DataDir.
const (
	// TableFile holds the persisted stream table (a vigil.v1.TableSnapshot).
	TableFile   = "table.pb"
	tableFile   = TableFile
	runningFile = "running.pb"
	rosterFile  = "roster.pb"
)

// Node is this process's member of the cluster. Open starts it; Shutdown hands its
// streams off and leaves; Close leaves at once. Its methods are safe for concurrent
// use.
type Node struct {
	cfg    Config
	log    *slog.Logger
	runner Runner
	clock  *hlc.Clock
	table  *table.Table
	roster *roster.Roster
	mem    *membership.Membership
	bootID uint64
	start  time.Time

	peers       *peerStatus
	events      *eventHub
	notify      *notifier
	out         *outbox
	kickC       chan struct{}
	saveC       chan struct{}
	stop        chan struct{}
	wg          sync.WaitGroup
	dirty       atomic.Bool // placement must be recomputed
	rosterDirty atomic.Bool // the roster changed since it was saved
	placeMu     sync.Mutex  // serializes placement computations
	saveMu      sync.Mutex  // serializes table saves

	stateMu   sync.Mutex // guards the push/pull cache
	stateRows []byte
	stateGen  uint64
	closing   sync.Once
	closed    atomic.Bool
	goMu      sync.Mutex // orders goUnlessClosed with Close

	mu         sync.Mutex // guards the fields below
	draining   bool
	owners     map[string]string
	rows       map[string]table.Entry
	runs       map[string]*run
	retryAt    map[string]time.Time
	retryWait  map[string]time.Duration
	running    map[string]table.Version      // last running set written
	published  map[string]*vigilv1.RunStatus // what was gossiped for each run
	lastStatus map[string]StreamStatus       // the Runner's last report
	statusSeq  uint64
	watchers   map[string]map[string]time.Time // stream → node handing it off to this one → since
}

// Open starts a node: it loads the table from DataDir, records crashes of the
// previous process if it died while running streams, starts gossip and joins the
// seeds in the background, and starts reconciling. runner is the actor side.
func Open(cfg Config, runner Runner) (*Node, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	n := &Node{
		cfg:        cfg,
		log:        cfg.Logger.With("component", "cluster", "node", cfg.Name),
		runner:     runner,
		clock:      hlc.New(cfg.Clock),
		bootID:     rand.Uint64(),
		start:      cfg.Clock(),
		peers:      newPeerStatus(),
		events:     newEventHub(cfg.EventBuffer),
		notify:     newNotifier(),
		kickC:      make(chan struct{}, 1),
		saveC:      make(chan struct{}, 1),
		stop:       make(chan struct{}),
		owners:     map[string]string{},
		rows:       map[string]table.Entry{},
		runs:       map[string]*run{},
		retryAt:    map[string]time.Time{},
		retryWait:  map[string]time.Duration{},
		published:  map[string]*vigilv1.RunStatus{},
		lastStatus: map[string]StreamStatus{},
		watchers:   map[string]map[string]time.Time{},
	}
	n.table = table.New(cfg.Name, n.clock)
	n.roster = roster.New(cfg.ForgetAfter)
	crashed, err := n.loadDataDir()
	if err != nil {
		return nil, err
	}
	n.out = newOutbox(n.log, 4, 1024)
	mem, err := membership.Create(cfg.Membership, n.meta(), (*handler)(n))
	if err != nil {
		n.out.close()
		return nil, fmt.Errorf("cluster: %w", err)
	}
	n.mem = mem
	n.peers.onlyAlive(mem.Alive)
	mem.Start()
	for _, e := range crashed {
		n.broadcastRow(e)
	}
	n.dirty.Store(true)
	n.kick()
	n.wg.Go(n.loop)
	n.log.Info("node started", "gossip", mem.Addr(), "boot_id", fmt.Sprintf("%016x", n.bootID), "rows", n.table.Len())
	return n, nil
}

// loadDataDir loads the saved table and turns the previous process's running set,
// if it did not exit cleanly, into crash records. It returns the rows that got one.
func (n *Node) loadDataDir() ([]table.Entry, error) {
	if n.cfg.DataDir == "" {
		return nil, nil
	}
	if err := os.MkdirAll(n.cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("cluster: data dir: %w", err)
	}
	saved, err := n.table.Load(filepath.Join(n.cfg.DataDir, tableFile))
	if err != nil {
		return nil, fmt.Errorf("cluster: %w", err)
	}
	if !saved.IsZero() {
		n.log.Info("table loaded", "rows", n.table.Len(), "saved_at", saved)
	}
	if err := n.roster.Load(filepath.Join(n.cfg.DataDir, rosterFile), n.cfg.Clock()); err != nil {
		// The roster only spares streams from moving; start without it.
		n.log.Warn("roster not loaded; the layout starts from the members seen", "err", err)
	} else if es := n.roster.Entries(); len(es) > 0 {
		n.log.Info("roster loaded", "members", len(es))
	}
	crashed, err := recordCrashes(n.table, filepath.Join(n.cfg.DataDir, runningFile))
	if err != nil {
		return nil, fmt.Errorf("cluster: %w", err)
	}
	if len(crashed) > 0 {
		n.log.Warn("previous process died while running streams; crash recorded", "streams", len(crashed))
		// The running set is gone now: keep the records even if this process dies too.
		n.save()
	}
	return crashed, nil
}

// meta is what this node tells the others.
func (n *Node) meta() membership.Meta {
	n.mu.Lock()
	draining := n.draining
	n.mu.Unlock()
	return membership.Meta{AdminAddr: n.cfg.AdminAddr, Capacity: n.cfg.Capacity, Version: n.cfg.Version,
		Draining: draining, BootID: n.bootID, StartedAt: n.start}
}

// Name returns this node's name.
func (n *Node) Name() string { return n.cfg.Name }

// GossipAddr returns the host:port this node gossips on; other nodes join it there.
func (n *Node) GossipAddr() string { return n.mem.Addr() }

// Ready is closed once the node has joined the cluster (or found no seed to join
// within the membership's ReadyTimeout, being the first node up).
func (n *Node) Ready() <-chan struct{} { return n.mem.Ready() }

func (n *Node) ready() error {
	if n.closed.Load() {
		return ErrClosed
	}
	select {
	case <-n.mem.Ready():
		return nil
	default:
		return ErrNotReady
	}
}

// kick asks the loop to reconcile soon.
func (n *Node) kick() {
	select {
	case n.kickC <- struct{}{}:
	default:
	}
}

// replace marks placement stale (membership or table changed) and kicks the loop.
func (n *Node) replace() {
	n.dirty.Store(true)
	n.kick()
	n.notify.signal()
}

func (n *Node) scheduleSave() {
	select {
	case n.saveC <- struct{}{}:
	default:
	}
}

// Shutdown drains this node — every stream it runs moves to another node,
// make-before-break — and then closes it (leaving the cluster). If ctx ends first
// the node closes anyway. It returns Close's error.
func (n *Node) Shutdown(ctx context.Context) error {
	if err := n.setDraining(true); err == nil {
		n.log.Info("draining before shutdown")
		_ = n.waitIdle(ctx)
	}
	return n.Close()
}

// waitIdle waits until this node runs no stream, or ctx ends.
func (n *Node) waitIdle(ctx context.Context) error {
	ch, cancel := n.notify.subscribe()
	defer cancel()
	for {
		n.mu.Lock()
		idle := len(n.runs) == 0
		n.mu.Unlock()
		if idle {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-n.stop:
			return ErrClosed
		case <-ch:
		}
	}
}

// Close stops every stream this node runs, saves the table, leaves the cluster and
// stops the node's goroutines. It is idempotent. Use Shutdown to hand streams off
// first.
func (n *Node) Close() error {
	var err error
	n.closing.Do(func() {
		n.goMu.Lock()
		n.closed.Store(true)
		n.goMu.Unlock()
		close(n.stop)
		n.wg.Wait()
		n.mu.Lock()
		for id := range n.runs {
			n.runner.Stop(id)
			delete(n.runs, id)
		}
		n.mu.Unlock()
		if n.cfg.DataDir != "" {
			if e := n.table.Save(filepath.Join(n.cfg.DataDir, tableFile), n.cfg.Clock()); e != nil {
				err = fmt.Errorf("cluster: %w", e)
			}
			n.saveRoster()
			// A clean exit: nothing was running when this process ended.
			if e := os.Remove(filepath.Join(n.cfg.DataDir, runningFile)); e != nil && !os.IsNotExist(e) && err == nil {
				err = fmt.Errorf("cluster: remove running set: %w", e)
			}
		}
		if e := n.mem.Close(); e != nil && err == nil {
			err = fmt.Errorf("cluster: %w", e)
		}
		n.out.close()
		n.events.close()
		n.notify.close()
		n.log.Info("node closed")
	})
	return err
}

// Kill stops the node as a crash would: no leave, no clean-exit mark, runs not
// stopped through the Runner. For tests and simulations of node failure.
func (n *Node) Kill() {
	n.closing.Do(func() {
		n.goMu.Lock()
		n.closed.Store(true)
		n.goMu.Unlock()
		close(n.stop)
		n.wg.Wait()
		n.mem.Kill()
		n.out.close()
		n.events.close()
		n.notify.close()
	})
}
