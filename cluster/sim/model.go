package sim

import (
	"math"
	"time"

	"github.com/vigil-monitor/vigil/cluster"
)

// The scale model: what the gossip settings and the measured sizes imply for a cluster
// of any size. docs/scale.md explains each formula; TestScaleInputs checks the model
// against the simulation at the size the simulation can run.

// broadcastRetransmitFactor is the multiple of memberlist's RetransmitMult that
// cluster/membership gives vigil's own broadcasts (table rows, run status):
// membership.Create queues them with RetransmitMult 3 × memberlist's.
const broadcastRetransmitFactor = 3

// pushPullScaleThreshold is memberlist's cluster size above which the push/pull
// interval grows (memberlist util.go).
const pushPullScaleThreshold = 32

// MaxPushStateBytes is memberlist's limit on the user part of a push/pull payload
// (net.go maxPushStateBytes): a node whose LocalState is larger fails every
// exchange.
const MaxPushStateBytes = 20 << 20

// Params are the gossip settings the model uses.
type Params struct {
	// GossipInterval and GossipNodes: every interval a node sends what it has to
	// gossip to this many random members.
	GossipInterval time.Duration
	GossipNodes    int
	// ProbeInterval and ProbeTimeout: failure detection probes one member per
	// interval.
	ProbeInterval, ProbeTimeout time.Duration
	// SuspicionMult and SuspicionMaxTimeoutMult size the suspicion timeout.
	SuspicionMult, SuspicionMaxTimeoutMult int
	// PushPullInterval is the full-state exchange interval below 32 members.
	PushPullInterval time.Duration
	// RetransmitMult is memberlist's; vigil's own broadcasts use
	// broadcastRetransmitFactor times it.
	RetransmitMult int
}

// DefaultParams returns the settings of a default vigil node (cluster.DefaultConfig).
func DefaultParams() Params {
	ml := cluster.DefaultConfig().Membership.Memberlist
	return Params{
		GossipInterval: ml.GossipInterval, GossipNodes: ml.GossipNodes,
		ProbeInterval: ml.ProbeInterval, ProbeTimeout: ml.ProbeTimeout,
		SuspicionMult: ml.SuspicionMult, SuspicionMaxTimeoutMult: ml.SuspicionMaxTimeoutMult,
		PushPullInterval: ml.PushPullInterval, RetransmitMult: ml.RetransmitMult,
	}
}

// PushPullPeriod is memberlist's push/pull interval at n members: the base interval
// times ⌈log2 n − log2 32⌉ + 1 above 32 members.
func (p Params) PushPullPeriod(n int) time.Duration {
	if n <= pushPullScaleThreshold {
		return p.PushPullInterval
	}
	mult := math.Ceil(math.Log2(float64(n))-math.Log2(pushPullScaleThreshold)) + 1
	return time.Duration(mult) * p.PushPullInterval
}

// Transmits is how many times the node that broadcasts a row or status change sends
// it (one member per send): RetransmitMult × ⌈log10(n+1)⌉. The receivers do not
// forward it.
func (p Params) Transmits(n int) int {
	return broadcastRetransmitFactor * p.RetransmitMult * int(math.Ceil(math.Log10(float64(n+1))))
}

// GossipReach is the expected share of the other n−1 members a change broadcast by
// one node reaches by gossip alone: it goes to GossipNodes distinct random members a
// round for ⌈Transmits/GossipNodes⌉ rounds.
func (p Params) GossipReach(n int) float64 {
	if n <= 1 {
		return 1
	}
	rounds := math.Ceil(float64(p.Transmits(n)) / float64(p.GossipNodes))
	perRound := math.Min(1, float64(p.GossipNodes)/float64(n-1))
	return 1 - math.Pow(1-perRound, rounds)
}

// GossipTime is how long the originator keeps sending a change: ⌈Transmits /
// GossipNodes⌉ gossip rounds.
func (p Params) GossipTime(n int) time.Duration {
	return time.Duration(math.Ceil(float64(p.Transmits(n))/float64(p.GossipNodes))) * p.GossipInterval
}

// SpreadTime is how long until a share q of the n members know a table change, and
// so the time a stream's owner (a random member) learns of it with probability q.
// Gossip from the originator reaches GossipReach of the others within GossipTime
// (after r rounds, 1 − (1 − k/(n−1))^r of them); push/pull anti-entropy does the
// rest. Every member starts an exchange with a random member once per
// PushPullPeriod T and both sides merge, so an uninformed member learns at rate 2i/T
// when a share i knows: i grows logistically, t(q) = T/2 · (logit q − logit i0).
func (p Params) SpreadTime(n int, q float64) time.Duration {
	if n <= 1 {
		return 0
	}
	i0 := (1 + p.GossipReach(n)*float64(n-1)) / float64(n) // the originator knows it too
	g := p.GossipTime(n)
	if q <= i0 {
		others := (q*float64(n) - 1) / float64(n-1)
		if others <= 0 {
			return 0
		}
		perRound := math.Min(1, float64(p.GossipNodes)/float64(n-1))
		if perRound >= 1 {
			return p.GossipInterval
		}
		rounds := math.Ceil(math.Log(1-others) / math.Log(1-perRound))
		return min(g, time.Duration(rounds)*p.GossipInterval)
	}
	t := p.PushPullPeriod(n).Seconds() / 2 * (logit(q) - logit(i0))
	return g + time.Duration(t*float64(time.Second))
}

// Share is the expected share of the n members that know a table change t after it
// was made: the originator and what its gossip reached after ⌊t/GossipInterval⌋
// rounds, then, once its gossip is over, the logistic growth of push/pull
// anti-entropy (see SpreadTime).
func (p Params) Share(n int, t time.Duration) float64 {
	if n <= 1 {
		return 1
	}
	perRound := math.Min(1, float64(p.GossipNodes)/float64(n-1))
	g := p.GossipTime(n)
	if t < g {
		rounds := math.Floor(float64(t) / float64(p.GossipInterval))
		return (1 + (1-math.Pow(1-perRound, rounds))*float64(n-1)) / float64(n)
	}
	i0 := (1 + p.GossipReach(n)*float64(n-1)) / float64(n)
	if i0 >= 1 {
		return 1
	}
	return 1 / (1 + (1-i0)/i0*math.Exp(-2*(t-g).Seconds()/p.PushPullPeriod(n).Seconds()))
}

func logit(x float64) float64 { return math.Log(x / (1 - x)) }

// EpidemicRounds is the number of gossip rounds memberlist's own messages (alive,
// suspect, dead) take to reach n members: every member that learns one forwards it to
// GossipNodes members a round, so about log_(1+k) n + ln(n)/k rounds.
func (p Params) EpidemicRounds(n int) float64 {
	k := float64(p.GossipNodes)
	return math.Log(float64(n))/math.Log(1+k) + math.Log(float64(n))/k
}

// SuspicionTimeout is memberlist's suspicion timeout at n members once enough
// members confirmed the suspicion: SuspicionMult · max(1, log10 n) · ProbeInterval.
// With SuspicionMult ≤ 2 no confirmation is awaited; above, the timeout starts at
// SuspicionMaxTimeoutMult times that and shrinks to it after SuspicionMult − 2
// confirmations, which other members' probes supply about one per ProbeInterval.
func (p Params) SuspicionTimeout(n int) time.Duration {
	min := time.Duration(float64(p.SuspicionMult) * math.Max(1, math.Log10(float64(n))) * float64(p.ProbeInterval))
	if k := p.SuspicionMult - 2; k >= 1 {
		min = max(min, time.Duration(k)*p.ProbeInterval)
	}
	return min
}

// DeadTime is how long until every member holds a dead member dead: about a probe
// interval until some member probes it, a probe interval for the probe (direct,
// then indirect) to fail, the suspicion timeout, then the epidemic spread of the
// death.
func (p Params) DeadTime(n int) time.Duration {
	return 2*p.ProbeInterval + p.SuspicionTimeout(n) + time.Duration(p.EpidemicRounds(n)*float64(p.GossipInterval))
}

// Inputs are the measured quantities the projection uses.
type Inputs struct {
	// Entry is the per-stream sizes.
	Entry EntrySizes
	// ProbeBytes is the UDP bytes of one probe with its ack.
	ProbeBytes float64
	// MemberBytes is what each member adds to a push/pull payload (memberlist's
	// node state: name, address, metadata, incarnation).
	MemberBytes float64
}

// Projection is what the model expects of a cluster.
type Projection struct {
	Nodes, Streams int
	// TableFile and TableHeap are the persisted table and its Go heap, per node.
	TableFile, TableHeap float64
	// PushPullState is the bytes one side sends in a push/pull exchange.
	PushPullState float64
	// PushPullPeriod is memberlist's push/pull interval at this size.
	PushPullPeriod time.Duration
	// ProbeRate and PushPullRate are bytes sent per node per second in steady state.
	ProbeRate, PushPullRate float64
	// ChangeBytes is the cluster's gossip bytes for one row change; ChangePerNode
	// the same per node.
	ChangeBytes, ChangePerNode float64
	// GossipReach is the share of nodes a change reaches by gossip alone.
	GossipReach float64
	// RowHalf, RowAll: a new row known to half the nodes (the median time its owner
	// learns of it and starts it) and to all but about one node.
	RowHalf, RowAll time.Duration
	// DeadTime is how long until every node holds a dead node dead.
	DeadTime time.Duration
	// OverLimit is set when the push/pull state exceeds memberlist's limit.
	OverLimit bool
}

// Project applies the model to a cluster of nodes and streams.
func (p Params) Project(in Inputs, nodes, streams int) Projection {
	n, s := float64(nodes), float64(streams)
	pr := Projection{Nodes: nodes, Streams: streams}
	pr.TableFile = s * in.Entry.File
	pr.TableHeap = s * in.Entry.Heap
	user := s*in.Entry.PushPull + s/n*in.Entry.Status
	pr.PushPullState = user + n*in.MemberBytes
	pr.OverLimit = user > MaxPushStateBytes
	pr.PushPullPeriod = p.PushPullPeriod(nodes)
	// Each node starts one exchange per period and, on average, answers one.
	pr.PushPullRate = 2 * pr.PushPullState / pr.PushPullPeriod.Seconds()
	pr.ProbeRate = in.ProbeBytes / p.ProbeInterval.Seconds()
	pr.ChangeBytes = float64(p.Transmits(nodes)) * in.Entry.Delta
	pr.ChangePerNode = pr.ChangeBytes / n
	pr.GossipReach = p.GossipReach(nodes)
	pr.RowHalf = p.SpreadTime(nodes, 0.5)
	pr.RowAll = p.SpreadTime(nodes, 1-1/n)
	pr.DeadTime = p.DeadTime(nodes)
	return pr
}
