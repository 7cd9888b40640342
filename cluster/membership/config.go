package membership

import (
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/hashicorp/memberlist"
)

// Failure-detection tuning (measured in TestTimeToDead, TestNoFalseDeathsUnderCPU
// Saturation, TestASlowNodeKillsNobody, TestOneBadLinkKillsNobody and
// TestLossKillsNobody, and in the chaos suite, test/chaos): on loopback with 3–5
// nodes a member whose gossip stops is declared dead by every survivor 1.7–2.0 s
// after it stops;
// with both cores saturated by busy goroutines (8 per core) for 8 s no member was
// declared dead in 13 of 13 runs. The earlier tuning (400 ms probes, SuspicionMult
// 2) detected in 1.4–1.9 s but declared a member dead on one node's failed probe
// alone: in the chaos suite, 10% packet loss on a loaded machine made a node
// declare a live one dead in 2 of 4 runs; SuspicionMult 3 (one confirmation, 0.9 s)
// still did once in 4 chaos runs of this session (10% loss on every node of a
// loaded machine), so it is 4.
//
//   - ProbeInterval 300 ms, ProbeTimeout 200 ms: a LAN round trip is well under a
//     millisecond; 200 ms leaves room for a scheduler that is busy with decoders.
//   - SuspicionMult 4: a suspect is declared dead SuspicionMult·log10(max(N,10))·
//     ProbeInterval (1.2 s for up to 10 nodes) after it is first suspected only
//     once two other members have suspected it independently (memberlist waits for
//     SuspicionMult−2 = 2 confirmations where there are that many others, Lifeguard);
//     unconfirmed, it has SuspicionMaxTimeoutMult times that (4.8 s) to refute. A dead node is probed by
//     every survivor and confirmed at once; a live node that one member cannot
//     reach (a lossy or cut link) is vouched for by the others. At SuspicionMult 2
//     memberlist expects no confirmation and the 0.8 s timeout applies to every
//     suspicion. Lifeguard's awareness also stretches probe timeouts on a node that
//     is itself slow.
//   - SuspicionMaxTimeoutMult 4, IndirectChecks 3: see above.
//   - GossipInterval 100 ms: suspicion, refutation and table deltas spread in a few
//     hundred milliseconds.
//   - PushPullInterval 10 s: full table exchange (anti-entropy) with one random
//     member every 10 s; it repairs any delta lost by gossip.
//   - EnableCompression false: see DefaultConfig.
//   - DeadNodeReclaimTime 1 s: a node that restarts with the same name from a new
//     address (a container with a new IP) is accepted once the old one is dead.
const (
	DefaultProbeInterval       = 300 * time.Millisecond
	DefaultProbeTimeout        = 200 * time.Millisecond
	DefaultSuspicionMult       = 4
	DefaultSuspicionMaxTimeout = 4
	DefaultGossipInterval      = 100 * time.Millisecond
	DefaultPushPullInterval    = 10 * time.Second
	DefaultDeadNodeReclaimTime = time.Second
)

// Config configures a Membership. Its zero value is not usable; start from
// DefaultConfig.
type Config struct {
	// Memberlist is memberlist's own configuration, used as given except for the
	// fields membership owns: Delegate, Events, Logger and LogOutput. Name,
	// BindAddr/BindPort, AdvertiseAddr/AdvertisePort, Label (a cluster name: members
	// with different labels never talk), SecretKey/Keyring (gossip encryption) and
	// the failure-detection timings live there.
	Memberlist *memberlist.Config

	// Join lists seed addresses (host:port; DNS names allowed) to join at start.
	// Membership retries them with backoff until it reaches another member, and
	// again whenever it finds itself alone.
	Join []string
	// JoinBackoff is the first wait between join attempts; it doubles up to
	// JoinMaxBackoff.
	JoinBackoff time.Duration
	// JoinMaxBackoff caps the wait between join attempts while this node is alone.
	JoinMaxBackoff time.Duration
	// ReconnectInterval is how often a node that holds some members dead (not
	// departed) asks a few of them for a state exchange, and how often a node with
	// seeds checks that it is not alone. memberlist stops talking to a dead node
	// after GossipToTheDeadTime, and a node rejoins its seeds only when it is alone,
	// so without this the two sides of a healed network partition — each with more
	// than one member — would never merge again.
	ReconnectInterval time.Duration
	// ReadyTimeout is how long a node with seeds waits to reach another member
	// before it declares itself ready anyway (it may be the first node up).
	ReadyTimeout time.Duration
	// LeaveTimeout bounds how long Close waits for the leave message to spread.
	LeaveTimeout time.Duration
	// InboxSize bounds the messages waiting for the handler; when it is full new
	// messages are dropped (push/pull repairs what gossip drops).
	InboxSize int

	// Logger receives membership's and memberlist's logs.
	Logger *slog.Logger
	// Clock reads the wall clock (time.Now unless a test injects another).
	Clock func() time.Time
}

// DefaultConfig returns a configuration for a LAN, with memberlist's LAN defaults
// tuned for fast failure detection (see the constants above). The caller sets
// Memberlist.Name and the addresses.
func DefaultConfig() Config {
	ml := memberlist.DefaultLANConfig()
	ml.ProbeInterval = DefaultProbeInterval
	ml.ProbeTimeout = DefaultProbeTimeout
	ml.SuspicionMult = DefaultSuspicionMult
	ml.SuspicionMaxTimeoutMult = DefaultSuspicionMaxTimeout
	ml.GossipInterval = DefaultGossipInterval
	ml.PushPullInterval = DefaultPushPullInterval
	ml.DeadNodeReclaimTime = DefaultDeadNodeReclaimTime
	ml.TCPTimeout = 5 * time.Second
	// Nodes are busy decoding video; on a LAN, bandwidth is cheaper than the CPU that
	// LZW-compressing every gossip packet costs (it was a tenth of the CPU of the
	// 50-node simulation).
	ml.EnableCompression = false
	ml.GossipToTheDeadTime = 15 * time.Second
	return Config{
		Memberlist:     ml,
		JoinBackoff:    250 * time.Millisecond,
		JoinMaxBackoff: 15 * time.Second,
		// Short enough that a healed partition merges within seconds; a dead member
		// that does not answer costs one connection attempt (≤ TCPTimeout) per round.
		ReconnectInterval: 3 * time.Second,
		ReadyTimeout:      5 * time.Second,
		LeaveTimeout:      2 * time.Second,
		InboxSize:         4096,
		Logger:            slog.New(slog.NewTextHandler(io.Discard, nil)),
		Clock:             time.Now,
	}
}

// LoopbackConfig returns DefaultConfig bound to 127.0.0.1 on a free port, for tests
// and single-machine demos.
func LoopbackConfig(name string) Config {
	c := DefaultConfig()
	c.Memberlist.Name = name
	c.Memberlist.BindAddr = "127.0.0.1"
	c.Memberlist.BindPort = 0
	c.Memberlist.AdvertisePort = 0
	return c
}

func (c *Config) validate() error {
	switch {
	case c.Memberlist == nil:
		return fmt.Errorf("membership: no memberlist config")
	case c.Memberlist.Name == "":
		return fmt.Errorf("membership: no node name")
	case c.JoinBackoff <= 0 || c.JoinMaxBackoff < c.JoinBackoff:
		return fmt.Errorf("membership: bad join backoff %v..%v", c.JoinBackoff, c.JoinMaxBackoff)
	case c.InboxSize <= 0:
		return fmt.Errorf("membership: inbox size %d", c.InboxSize)
	case c.ReconnectInterval <= 0:
		return fmt.Errorf("membership: reconnect interval %v", c.ReconnectInterval)
	}
	if c.Clock == nil {
		c.Clock = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return nil
}
