// Package placement decides which node runs which stream: weighted rendezvous
// (highest-random-weight) hashing, balanced between a floor and a ceiling, with a
// layout that outlives a member's absence.
//
// Place is a pure function of its inputs. Every node that sees the same members and
// the same streams computes the same owners, whatever order it lists them in, so the
// cluster needs no coordinator to agree on placement.
//
// Members are either present (they may own streams) or absent: known to the cluster
// but failed, paused, draining or restarting. Placement is computed in two steps.
// The layout places every stream on a present or absent member; then the streams
// whose layout member is absent are spread over the present members. A member going
// absent therefore moves exactly its own streams, and coming back takes back exactly
// those; nothing else moves. Only adding a member to the layout or removing one from
// it (the cluster forgets a member that stays away, see cluster.Config.ForgetAfter)
// rebalances.
//
// Without a load bound (Epsilon < 0) the layout is plain weighted rendezvous hashing:
// a member joining the layout takes streams only for itself, each with probability
// weight/total, and one leaving it moves only its own streams. With the bound (the
// default, Epsilon 0.15) every member of the layout owns between Floor and Capacity
// streams, that is within ±ε of its fair share. A bound cannot keep rendezvous
// hashing's stability exactly, so the layout keeps it approximately: each member
// keeps its highest-scoring streams up to its capacity, the overflow goes in a fixed
// order to members below their floor first, and members still below their floor
// take the streams they score highest from members above theirs. The property tests
// measure the churn that costs.
package placement

import (
	"cmp"
	"math"
	"slices"
)

// DefaultEpsilon is the default load bound: every member within ±15% of its fair
// share (rounded outwards to whole streams).
const DefaultEpsilon = 0.15

// Member is a node that may own streams.
type Member struct {
	// Name identifies the member; names are unique.
	Name string
	// Weight is the member's relative capacity; its fair share of n streams is
	// n·Weight/ΣWeight. A member with Weight ≤ 0 (capacity 0) is not in the layout
	// and owns none.
	Weight float64
	// Absent marks a member that keeps its place in the layout but owns nothing
	// now: it failed, is draining, or is restarting. Its streams go to the present
	// members, and nothing else moves.
	Absent bool
}

// Config tunes Place.
type Config struct {
	// Epsilon bounds every member's load to within ±Epsilon of its fair share (see
	// Capacity and Floor). A negative Epsilon disables the bound (plain weighted
	// rendezvous hashing).
	Epsilon float64
}

// DefaultConfig returns the default: a load bound with Epsilon 0.15.
func DefaultConfig() Config {
	return Config{Epsilon: DefaultEpsilon}
}

// Place returns the owner of every stream, keyed by stream id. A stream that no
// member can own (no present member has positive weight) is absent from the result.
// Duplicate stream ids count once; duplicate member names keep the first in name
// order. Place does not modify its arguments.
func Place(cfg Config, members []Member, streams []string) map[string]string {
	ms := eligible(members)
	out := make(map[string]string, len(streams))
	present := 0.0
	for _, m := range ms {
		if !m.absent {
			present += m.weight
		}
	}
	if present == 0 || len(streams) == 0 {
		return out
	}
	ss := orderStreams(streams)
	var home []int
	if cfg.Epsilon < 0 {
		home = make([]int, len(ss))
		for si, s := range ss {
			home[si] = best(ms, s.hash, nil)
		}
	} else {
		home = balanced(ms, ss, cfg.Epsilon)
	}
	// Room on the present members for the streams of the absent ones: up to their
	// capacity among the present (every stream without a bound), less what the
	// layout already gives them.
	room := make([]int, len(ms))
	for i, m := range ms {
		switch {
		case m.absent:
		case cfg.Epsilon < 0:
			room[i] = len(ss)
		default:
			room[i] = Capacity(len(ss), m.weight, present, cfg.Epsilon)
		}
	}
	for _, i := range home {
		room[i]--
	}
	for si, s := range ss {
		i := home[si]
		if ms[i].absent {
			i = best(ms, s.hash, room)
			room[i]--
		}
		out[s.id] = ms[i].name
	}
	return out
}

// Capacity returns the most streams a member of weight w may own among n streams
// when the members' weights add up to total: ⌊(1+eps)·fair⌋ with fair = n·w/total,
// but never less than ⌈fair⌉, so the capacities always add up to at least n.
func Capacity(n int, w, total, eps float64) int {
	if w <= 0 || total <= 0 {
		return 0
	}
	fair := float64(n) * w / total
	return int(max(math.Floor((1+eps)*fair+1e-9), math.Ceil(fair-1e-9)))
}

// Floor returns the fewest streams a member of weight w owns among n streams when
// the members' weights add up to total: ⌈(1-eps)·fair⌉, but never more than ⌊fair⌋,
// so the floors never add up to more than n.
func Floor(n int, w, total, eps float64) int {
	if w <= 0 || total <= 0 {
		return 0
	}
	fair := float64(n) * w / total
	return int(max(0, min(math.Ceil((1-eps)*fair-1e-9), math.Floor(fair+1e-9))))
}

type member struct {
	name   string
	hash   uint64
	weight float64
	absent bool
}

type stream struct {
	id   string
	hash uint64
}

// eligible returns the members with positive weight, sorted by name, deduplicated.
func eligible(members []Member) []member {
	ms := make([]member, 0, len(members))
	for _, m := range members {
		if m.Weight > 0 && !math.IsInf(m.Weight, 0) && !math.IsNaN(m.Weight) {
			ms = append(ms, member{name: m.Name, hash: hashString(m.Name), weight: m.Weight, absent: m.Absent})
		}
	}
	slices.SortStableFunc(ms, func(a, b member) int { return cmp.Compare(a.name, b.name) })
	return slices.CompactFunc(ms, func(a, b member) bool { return a.name == b.name })
}

// orderStreams deduplicates the ids and orders them by hash (then id), an order that
// does not depend on the members or on the caller's order.
func orderStreams(ids []string) []stream {
	ss := make([]stream, 0, len(ids))
	for _, id := range ids {
		ss = append(ss, stream{id: id, hash: hashString(id)})
	}
	slices.SortFunc(ss, func(a, b stream) int {
		if c := cmp.Compare(mix(a.hash), mix(b.hash)); c != 0 {
			return c
		}
		return cmp.Compare(a.id, b.id)
	})
	return slices.CompactFunc(ss, func(a, b stream) bool { return a.id == b.id })
}

// score is the weighted rendezvous score of a member for a stream: -w/ln(u) with u
// uniform in (0,1) from the pair's hash. The highest score wins, and a member wins a
// stream with probability weight/ΣWeight.
func score(m member, streamHash uint64) float64 {
	return -m.weight / math.Log(unit(pairHash(m.hash, streamHash)))
}

// best returns the index of the highest-scoring member with room left (all members
// when room is nil), or -1 if none has room. Ties, which need equal 53-bit hashes,
// go to the smaller name.
func best(ms []member, streamHash uint64, room []int) int {
	bi, bs := -1, 0.0
	for i, m := range ms {
		if room != nil && room[i] <= 0 {
			continue
		}
		if s := score(m, streamHash); bi < 0 || s > bs {
			bi, bs = i, s
		}
	}
	return bi
}

// balanced lays ss out on ms (present or not), every member between its floor and
// its capacity, moving as few streams as it can away from their rendezvous owner.
// It returns the member index of every stream.
func balanced(ms []member, ss []stream, eps float64) []int {
	total := 0.0
	for _, m := range ms {
		total += m.weight
	}
	n := len(ss)
	caps := make([]int, len(ms))
	floors := make([]int, len(ms))
	for i, m := range ms {
		caps[i] = Capacity(n, m.weight, total, eps)
		floors[i] = Floor(n, m.weight, total, eps)
	}
	type pick struct {
		s     int
		score float64
	}
	byScore := func(a, b pick) int {
		if c := cmp.Compare(b.score, a.score); c != 0 {
			return c
		}
		return cmp.Compare(a.s, b.s)
	}
	// 1. Rendezvous: every stream on its first choice.
	picks := make([][]pick, len(ms))
	for si, s := range ss {
		i := best(ms, s.hash, nil)
		picks[i] = append(picks[i], pick{s: si, score: score(ms[i], s.hash)})
	}
	// 2. A member over capacity keeps its highest-scoring streams.
	owner := make([]int, n)
	loads := make([]int, len(ms))
	var overflow []int
	for i, ps := range picks {
		if len(ps) > caps[i] {
			slices.SortFunc(ps, byScore)
			for _, p := range ps[caps[i]:] {
				overflow = append(overflow, p.s)
			}
			ps = ps[:caps[i]]
		}
		loads[i] = len(ps)
		for _, p := range ps {
			owner[p.s] = i
		}
	}
	// 3. The overflow, in stream order, goes to its best member below its floor, or
	// failing that to its best member with room.
	need := make([]int, len(ms))
	room := make([]int, len(ms))
	short := 0
	for i := range ms {
		need[i] = max(0, floors[i]-loads[i])
		room[i] = caps[i] - loads[i]
		short += need[i]
	}
	slices.Sort(overflow)
	for _, si := range overflow {
		var i int
		if short > 0 {
			i = best(ms, ss[si].hash, need)
			need[i]--
			short--
		} else {
			i = best(ms, ss[si].hash, room)
		}
		room[i]--
		loads[i]++
		owner[si] = i
	}
	// 4. A member still below its floor takes, from members above theirs, the
	// streams it scores highest. The floors add up to at most n, so while one member
	// is short another has a stream to spare.
	for i := range ms {
		if need[i] == 0 {
			continue
		}
		cands := make([]pick, 0, n)
		for si, s := range ss {
			if owner[si] != i {
				cands = append(cands, pick{s: si, score: score(ms[i], s.hash)})
			}
		}
		slices.SortFunc(cands, byScore)
		for _, c := range cands {
			if need[i] == 0 {
				break
			}
			if o := owner[c.s]; loads[o] > floors[o] {
				loads[o]--
				loads[i]++
				need[i]--
				owner[c.s] = i
			}
		}
	}
	return owner
}

// Loads counts the streams each member owns in an assignment returned by Place.
func Loads(owners map[string]string) map[string]int {
	l := make(map[string]int)
	for _, o := range owners {
		l[o]++
	}
	return l
}
