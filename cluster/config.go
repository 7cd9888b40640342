// Package cluster ties vigil's nodes together: membership (gossip), the replicated
// stream table, placement, and reconciliation of what this node runs with what
// placement says it should run.
//
// A Node is opened with a Config and a Runner (the actor side, wired in cmd/vigil;
// cluster never imports it) and offers the API the admin server serves: assign,
// unassign, get and list streams, list members, drain, and watch defect events of
// the whole cluster. See docs/cluster.md for the design and the measured figures.
package cluster

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/vigil-monitor/vigil/cluster/membership"
	"github.com/vigil-monitor/vigil/cluster/placement"
)

// Config configures a Node. Start from DefaultConfig; fields are read once by Open.
type Config struct {
	// Name is this node's unique name in the cluster (default: the host name). A node
	// may restart under the same name from another address: the dead one's name is
	// reclaimed after Membership.Memberlist.DeadNodeReclaimTime.
	Name string
	// DataDir holds the persisted table and the running set; empty keeps nothing
	// (tests, throwaway nodes).
	DataDir string
	// AdminAddr is the host:port of this node's admin gRPC server, told to the others.
	AdminAddr string
	// Capacity weighs this node's share of streams (0 takes none).
	Capacity uint32
	// Version is vigil's version, told to the others.
	Version string

	// Membership configures gossip (embedding memberlist's own configuration).
	// Membership.Memberlist.Name is set from Name.
	Membership membership.Config
	// Placement configures placement (the load bound).
	Placement placement.Config
	// URLPolicy says which inputs may be assigned.
	URLPolicy URLPolicy

	// HandoffGrace is how long the old owner of a moved stream keeps running it
	// while waiting for the new owner's first decoded frame.
	HandoffGrace time.Duration
	// ReconcileDelay debounces reconciliation after a change of membership or table
	// (a burst of changes is handled once).
	ReconcileDelay time.Duration
	// StatusInterval is how often the Runner's status is polled and changes are
	// gossiped; it also paces hand-off and start-retry checks.
	StatusInterval time.Duration
	// StartBackoff is the first wait before retrying a Start that failed; it doubles
	// up to StartMaxBackoff.
	StartBackoff, StartMaxBackoff time.Duration
	// SaveDelay debounces writing the table to DataDir after a change.
	SaveDelay time.Duration
	// ForgetAfter is how long a node that is away (failed, drained, left) keeps its
	// place in the placement layout. While it does, only its own streams move to
	// other nodes, and they move back when it returns; once it is forgotten the
	// layout rebalances over the remaining nodes (see cluster/roster).
	ForgetAfter time.Duration
	// TombstoneRetention is how long deleted rows are kept (and gossiped) before they
	// are forgotten. A node that comes back after a longer absence may resurrect rows
	// deleted meanwhile.
	TombstoneRetention time.Duration
	// MaxCrashes quarantines a stream after this many crash records within
	// CrashWindow of each other (0 disables).
	MaxCrashes int
	// CrashWindow is the window for MaxCrashes.
	CrashWindow time.Duration
	// EventBuffer is the number of events a watcher may fall behind by before its
	// watch is ended.
	EventBuffer int

	// Clock reads the wall clock (time.Now unless a test injects another).
	Clock func() time.Time
	// Logger receives the node's logs, memberlist's included.
	Logger *slog.Logger
}

// DefaultConfig returns defaults for a LAN: gossip on 0.0.0.0:7946, capacity 1,
// 10 s hand-off grace, load bound ε = 0.15, an absent node's place in the layout kept
// 5 minutes, tombstones kept 7 days, quarantine after 3 crashes within 10 minutes.
func DefaultConfig() Config {
	host, _ := os.Hostname()
	return Config{
		Name:               host,
		Capacity:           1,
		Version:            "dev",
		Membership:         membership.DefaultConfig(),
		Placement:          placement.DefaultConfig(),
		URLPolicy:          DefaultURLPolicy(),
		HandoffGrace:       10 * time.Second,
		ReconcileDelay:     50 * time.Millisecond,
		StatusInterval:     100 * time.Millisecond,
		StartBackoff:       500 * time.Millisecond,
		StartMaxBackoff:    30 * time.Second,
		SaveDelay:          200 * time.Millisecond,
		ForgetAfter:        5 * time.Minute,
		TombstoneRetention: 7 * 24 * time.Hour,
		MaxCrashes:         3,
		CrashWindow:        10 * time.Minute,
		EventBuffer:        1024,
		Clock:              time.Now,
		Logger:             slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
}

// LoopbackConfig returns DefaultConfig gossiping on 127.0.0.1 with a free port, for
// tests and single-machine demos.
func LoopbackConfig(name string) Config {
	c := DefaultConfig()
	c.Name = name
	c.Membership = membership.LoopbackConfig(name)
	return c
}

func (c *Config) validate() error {
	switch {
	case c.Name == "":
		return fmt.Errorf("%w: no node name", ErrInvalid)
	case c.HandoffGrace <= 0 || c.ReconcileDelay <= 0 || c.StatusInterval <= 0 || c.SaveDelay <= 0:
		return fmt.Errorf("%w: hand-off grace, reconcile delay, status interval and save delay must be positive", ErrInvalid)
	case c.StartBackoff <= 0 || c.StartMaxBackoff < c.StartBackoff:
		return fmt.Errorf("%w: start backoff %v..%v", ErrInvalid, c.StartBackoff, c.StartMaxBackoff)
	case c.TombstoneRetention <= 0:
		return fmt.Errorf("%w: tombstone retention must be positive", ErrInvalid)
	case c.ForgetAfter <= 0:
		return fmt.Errorf("%w: forget-after must be positive", ErrInvalid)
	case c.Membership.Memberlist == nil:
		return fmt.Errorf("%w: no memberlist config", ErrInvalid)
	}
	if c.EventBuffer <= 0 {
		c.EventBuffer = 1024
	}
	if c.Clock == nil {
		c.Clock = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	ml := *c.Membership.Memberlist
	ml.Name = c.Name
	c.Membership.Memberlist = &ml
	c.Membership.Clock = c.Clock
	c.Membership.Logger = c.Logger
	return nil
}
