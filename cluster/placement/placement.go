// Package placement decides which node runs which stream: weighted rendezvous
// (highest-random-weight) hashing with an optional load bound.
//
// Place is a pure function of its inputs. Every node that sees the same members and
// the same streams computes the same owners, whatever order it lists them in, so the
// cluster needs no coordinator to agree on placement.
//
// Without a load bound (Epsilon < 0) placement is plain weighted rendezvous hashing:
// a member leaving moves exactly its own streams, and a member joining takes streams
// only for itself, each with probability weight/total. With the bound (the default,
// Epsilon 0.15) no member gets more than ⌈(1+ε)·fair share⌉ streams. A bound cannot
// keep those two properties exactly — when a joiner frees room on a full member,
// a stream that had overflowed elsewhere goes back to its first choice — so the
// bounded variant keeps them approximately: streams are placed one at a time in an
// order fixed by their ids, each on its highest-scoring member with room, and only
// streams that overflowed move for other reasons. The property tests measure it.
package placement

import (
	"cmp"
	"math"
	"slices"
)

// DefaultEpsilon is the default load bound: no member above ⌈1.15·fair share⌉.
const DefaultEpsilon = 0.15

// Member is a node that may own streams.
type Member struct {
	// Name identifies the member; names are unique.
	Name string
	// Weight is the member's relative capacity; its fair share of n streams is
	// n·Weight/ΣWeight. A member with Weight ≤ 0 (draining, or capacity 0) owns none.
	Weight float64
}

// Config tunes Place.
type Config struct {
	// Epsilon bounds every member's load to ⌈(1+Epsilon)·fair share⌉. A negative
	// Epsilon disables the bound (plain weighted rendezvous hashing).
	Epsilon float64
}

// DefaultConfig returns the default: a load bound with Epsilon 0.15.
func DefaultConfig() Config {
	return Config{Epsilon: DefaultEpsilon}
}

// Place returns the owner of every stream, keyed by stream id. A stream that no
// member can own (no member has positive weight) is absent from the result.
// Duplicate stream ids count once; duplicate member names keep the first weight in
// name order. Place does not modify its arguments.
func Place(cfg Config, members []Member, streams []string) map[string]string {
	ms := eligible(members)
	out := make(map[string]string, len(streams))
	if len(ms) == 0 || len(streams) == 0 {
		return out
	}
	ss := orderStreams(streams)
	if cfg.Epsilon < 0 {
		for _, s := range ss {
			out[s.id] = ms[best(ms, s.hash, nil)].name
		}
		return out
	}
	bounded(ms, ss, capacities(ms, len(ss), cfg.Epsilon), out)
	return out
}

// Capacity returns the most streams a member of weight w may own among n streams
// when the members' weights add up to total: ⌈(1+eps)·n·w/total⌉.
func Capacity(n int, w, total, eps float64) int {
	if w <= 0 || total <= 0 {
		return 0
	}
	return int(math.Ceil((1 + eps) * float64(n) * w / total))
}

type member struct {
	name   string
	hash   uint64
	weight float64
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
			ms = append(ms, member{name: m.Name, hash: hashString(m.Name), weight: m.Weight})
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

func capacities(ms []member, n int, eps float64) []int {
	total := 0.0
	for _, m := range ms {
		total += m.weight
	}
	caps := make([]int, len(ms))
	for i, m := range ms {
		caps[i] = Capacity(n, m.weight, total, eps)
	}
	return caps
}

// score is the weighted rendezvous score of a member for a stream: -w/ln(u) with u
// uniform in (0,1) from the pair's hash. The highest score wins, and a member wins a
// stream with probability weight/ΣWeight.
func score(m member, streamHash uint64) float64 {
	return -m.weight / math.Log(unit(pairHash(m.hash, streamHash)))
}

// best returns the index of the highest-scoring member with room left (all members
// when caps is nil). Ties, which need equal 53-bit hashes, go to the smaller name.
func best(ms []member, streamHash uint64, caps []int) int {
	bi, bs := -1, 0.0
	for i, m := range ms {
		if caps != nil && caps[i] <= 0 {
			continue
		}
		if s := score(m, streamHash); bi < 0 || s > bs {
			bi, bs = i, s
		}
	}
	return bi
}

// bounded places ss on ms without exceeding caps, moving as few streams as possible
// away from their unbounded rendezvous owner: each member keeps its highest-scoring
// streams up to its capacity, and the rest (the overflow) go, in stream order, to their
// highest-scoring member with room. A stream's owner differs from plain rendezvous
// hashing only when it overflowed, so churn beyond plain rendezvous is limited to
// streams near the bottom of a full member's list.
func bounded(ms []member, ss []stream, caps []int, out map[string]string) {
	type pick struct {
		s     int
		score float64
	}
	picks := make([][]pick, len(ms))
	for si, s := range ss {
		i := best(ms, s.hash, nil)
		picks[i] = append(picks[i], pick{s: si, score: score(ms[i], s.hash)})
	}
	var overflow []int
	for i, ps := range picks {
		if len(ps) > caps[i] {
			slices.SortFunc(ps, func(a, b pick) int {
				if c := cmp.Compare(b.score, a.score); c != 0 {
					return c
				}
				return cmp.Compare(a.s, b.s)
			})
			for _, p := range ps[caps[i]:] {
				overflow = append(overflow, p.s)
			}
			ps = ps[:caps[i]]
		}
		caps[i] -= len(ps)
		for _, p := range ps {
			out[ss[p.s].id] = ms[i].name
		}
	}
	slices.Sort(overflow)
	for _, si := range overflow {
		i := best(ms, ss[si].hash, caps)
		caps[i]--
		out[ss[si].id] = ms[i].name
	}
}

// Loads counts the streams each member owns in an assignment returned by Place.
func Loads(owners map[string]string) map[string]int {
	l := make(map[string]int)
	for _, o := range owners {
		l[o]++
	}
	return l
}
