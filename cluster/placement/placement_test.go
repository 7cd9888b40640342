package placement

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// scenario is one randomly drawn cluster: members with weights and stream ids.
type scenario struct {
	members []Member
	streams []string
}

func randomScenario(tb testing.TB, r *rand.Rand, nodes, streams int, weighted bool) scenario {
	tb.Helper()
	var sc scenario
	for i := range nodes {
		w := 1.0
		if weighted {
			w = float64(1 + r.IntN(4))
		}
		sc.members = append(sc.members, Member{Name: fmt.Sprintf("node-%d-%x", i, r.Uint32()), Weight: w})
	}
	for i := range streams {
		sc.streams = append(sc.streams, fmt.Sprintf("cam-%d-%x", i, r.Uint64()))
	}
	return sc
}

func without(ms []Member, i int) []Member {
	out := append([]Member(nil), ms[:i]...)
	return append(out, ms[i+1:]...)
}

// moves compares two assignments of the same streams.
type moves struct {
	total     int // streams whose owner changed
	offLeaver int // of them, streams that the leaving member owned
	ontoJoin  int // of them, streams that moved onto the joining member
}

func diff(before, after map[string]string, leaver, joiner string) moves {
	var m moves
	for id, a := range before {
		b := after[id]
		if a == b {
			continue
		}
		m.total++
		if a == leaver {
			m.offLeaver++
		}
		if b == joiner {
			m.ontoJoin++
		}
	}
	return m
}

func TestPlaceSameAnswerWhateverTheOrder(t *testing.T) {
	for _, eps := range []float64{-1, 0, DefaultEpsilon, 0.5} {
		t.Run(fmt.Sprintf("eps=%v", eps), func(t *testing.T) {
			r := rand.New(rand.NewPCG(1, uint64(100*eps+7)))
			for trial := range 20 {
				sc := randomScenario(t, r, 1+r.IntN(20), r.IntN(500), trial%2 == 0)
				want := Place(Config{Epsilon: eps}, sc.members, sc.streams)
				ms := append([]Member(nil), sc.members...)
				ss := append([]string(nil), sc.streams...)
				r.Shuffle(len(ms), func(i, j int) { ms[i], ms[j] = ms[j], ms[i] })
				r.Shuffle(len(ss), func(i, j int) { ss[i], ss[j] = ss[j], ss[i] })
				// Duplicates in the view must not change the answer either.
				if len(ss) > 0 {
					ss = append(ss, ss[0])
				}
				got := Place(Config{Epsilon: eps}, ms, ss)
				if len(got) != len(want) {
					t.Fatalf("trial %d: %d owners after shuffle, want %d", trial, len(got), len(want))
				}
				for id, o := range want {
					if got[id] != o {
						t.Fatalf("trial %d: stream %s owned by %s after shuffle, want %s", trial, id, got[id], o)
					}
				}
			}
		})
	}
}

func TestPlaceLeaveMovesOnlyTheLeaversStreams(t *testing.T) {
	tests := []struct {
		name     string
		eps      float64
		nodes    int
		streams  int
		maxExtra float64 // streams not on the leaver that may move, as a fraction
	}{
		{name: "unbounded small", eps: -1, nodes: 4, streams: 30, maxExtra: 0},
		{name: "unbounded large", eps: -1, nodes: 50, streams: 5000, maxExtra: 0},
		{name: "bounded 100 per node", eps: DefaultEpsilon, nodes: 10, streams: 1000, maxExtra: 0.02},
		{name: "bounded 50 nodes", eps: DefaultEpsilon, nodes: 50, streams: 5000, maxExtra: 0.02},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(2, uint64(tc.nodes)))
			worst := 0.0
			defer func() { t.Logf("worst: %.4f of streams not on the leaver moved", worst) }()
			for trial := range 10 {
				sc := randomScenario(t, r, tc.nodes, tc.streams, trial%2 == 1)
				before := Place(Config{Epsilon: tc.eps}, sc.members, sc.streams)
				i := r.IntN(len(sc.members))
				after := Place(Config{Epsilon: tc.eps}, without(sc.members, i), sc.streams)
				m := diff(before, after, sc.members[i].Name, "")
				if m.offLeaver != Loads(before)[sc.members[i].Name] {
					t.Fatalf("trial %d: %d of the leaver's %d streams moved", trial, m.offLeaver, Loads(before)[sc.members[i].Name])
				}
				extra := float64(m.total-m.offLeaver) / float64(tc.streams)
				worst = max(worst, extra)
				if extra > tc.maxExtra {
					t.Fatalf("trial %d: %.4f of streams not on the leaver moved, want ≤ %.4f", trial, extra, tc.maxExtra)
				}
			}
		})
	}
}

func TestPlaceJoinMovesAFairShareOntoTheJoiner(t *testing.T) {
	tests := []struct {
		name      string
		eps       float64
		nodes     int // before the join
		streams   int
		maxOthers float64 // streams that may move onto other members, as a fraction
	}{
		{name: "unbounded", eps: -1, nodes: 9, streams: 1000, maxOthers: 0},
		{name: "unbounded 50 nodes", eps: -1, nodes: 49, streams: 5000, maxOthers: 0},
		{name: "bounded 100 per node", eps: DefaultEpsilon, nodes: 9, streams: 1000, maxOthers: 0.02},
		{name: "bounded 50 nodes", eps: DefaultEpsilon, nodes: 49, streams: 5000, maxOthers: 0.02},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(5, uint64(tc.nodes)))
			worst, worstOthers := 0.0, 0.0
			defer func() {
				t.Logf("worst: %.4f of streams moved, %.4f onto old members", worst, worstOthers)
			}()
			for trial := range 10 {
				sc := randomScenario(t, r, tc.nodes+1, tc.streams, false)
				joiner := sc.members[tc.nodes]
				before := Place(Config{Epsilon: tc.eps}, sc.members[:tc.nodes], sc.streams)
				after := Place(Config{Epsilon: tc.eps}, sc.members, sc.streams)
				m := diff(before, after, "", joiner.Name)
				limit := 1/float64(tc.nodes+1) + 0.05
				worst = max(worst, float64(m.total)/float64(tc.streams))
				worstOthers = max(worstOthers, float64(m.total-m.ontoJoin)/float64(tc.streams))
				if f := float64(m.total) / float64(tc.streams); f > limit {
					t.Fatalf("trial %d: %.4f of streams moved, want ≤ %.4f", trial, f, limit)
				}
				if f := float64(m.total-m.ontoJoin) / float64(tc.streams); f > tc.maxOthers {
					t.Fatalf("trial %d: %.4f of streams moved onto old members, want ≤ %.4f", trial, f, tc.maxOthers)
				}
			}
		})
	}
}

func TestPlaceLoadBound(t *testing.T) {
	tests := []struct {
		name     string
		eps      float64
		weighted bool
	}{
		{name: "eps 0", eps: 0},
		{name: "eps default", eps: DefaultEpsilon},
		{name: "eps default weighted", eps: DefaultEpsilon, weighted: true},
		{name: "eps 0.5 weighted", eps: 0.5, weighted: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(9, uint64(tc.eps*100)))
			for trial := range 30 {
				sc := randomScenario(t, r, 1+r.IntN(60), r.IntN(6000), tc.weighted)
				owners := Place(Config{Epsilon: tc.eps}, sc.members, sc.streams)
				if len(owners) != len(sc.streams) {
					t.Fatalf("trial %d: %d of %d streams placed", trial, len(owners), len(sc.streams))
				}
				total := 0.0
				for _, m := range sc.members {
					total += m.Weight
				}
				loads := Loads(owners)
				worst := 0.0
				for _, m := range sc.members {
					c := Capacity(len(sc.streams), m.Weight, total, tc.eps)
					if loads[m.Name] > c {
						t.Fatalf("trial %d: %s owns %d streams, capacity %d", trial, m.Name, loads[m.Name], c)
					}
					if f := Floor(len(sc.streams), m.Weight, total, tc.eps); loads[m.Name] < f {
						t.Fatalf("trial %d: %s owns %d streams, floor %d", trial, m.Name, loads[m.Name], f)
					}
					fair := float64(len(sc.streams)) * m.Weight / total
					if fair >= 20 {
						worst = math.Max(worst, float64(loads[m.Name])/fair)
					}
				}
				// ⌈(1+ε)·fair⌉ ≤ (1+ε)·fair + 1, so with at least 20 streams per fair
				// share max/mean stays within 1+ε+1/20.
				if worst > 1+tc.eps+1.0/20 {
					t.Fatalf("trial %d: max load/fair share %.3f, want ≤ %.3f", trial, worst, 1+tc.eps+0.05)
				}
			}
		})
	}
}

// TestPlaceAbsentMovesOnlyTheirStreams: members that go absent (failed, paused,
// draining) keep their place in the layout, so exactly their streams move, onto
// present members within their capacity; when they come back the placement is the
// one before.
func TestPlaceAbsentMovesOnlyTheirStreams(t *testing.T) {
	for _, eps := range []float64{-1, DefaultEpsilon} {
		for _, absent := range []int{1, 2} {
			t.Run(fmt.Sprintf("eps=%v absent=%d", eps, absent), func(t *testing.T) {
				r := rand.New(rand.NewPCG(11, uint64(absent)))
				for trial := range 20 {
					sc := randomScenario(t, r, absent+1+r.IntN(10), r.IntN(2000), trial%2 == 1)
					cfg := Config{Epsilon: eps}
					before := Place(cfg, sc.members, sc.streams)
					ms := append([]Member(nil), sc.members...)
					gone := map[string]bool{}
					for _, i := range r.Perm(len(ms))[:absent] {
						ms[i].Absent = true
						gone[ms[i].Name] = true
					}
					after := Place(cfg, ms, sc.streams)
					if len(after) != len(before) {
						t.Fatalf("trial %d: %d streams placed, want %d", trial, len(after), len(before))
					}
					present := 0.0
					for _, m := range ms {
						if !m.Absent {
							present += m.Weight
						}
					}
					for id, o := range before {
						switch a := after[id]; {
						case gone[a]:
							t.Fatalf("trial %d: %s placed on absent %s", trial, id, a)
						case !gone[o] && a != o:
							t.Fatalf("trial %d: %s moved from present %s to %s", trial, id, o, a)
						}
					}
					if eps >= 0 {
						loads := Loads(after)
						for _, m := range ms {
							if c := Capacity(len(sc.streams), m.Weight, present, eps); !m.Absent && loads[m.Name] > c {
								t.Fatalf("trial %d: %s owns %d, capacity among the present %d", trial, m.Name, loads[m.Name], c)
							}
						}
					}
					back := Place(cfg, sc.members, sc.streams)
					for id, o := range before {
						if back[id] != o {
							t.Fatalf("trial %d: %s on %s after the absent came back, was on %s", trial, id, back[id], o)
						}
					}
				}
			})
		}
	}
}

// TestPlaceSmallClusterWithinFifteenPercent is the chaos suite's bootstrap
// criterion: five equal nodes and 40 streams, every node within ±15% of the mean
// (7 to 9 streams), whatever the names.
func TestPlaceSmallClusterWithinFifteenPercent(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 1))
	for trial := range 200 {
		sc := randomScenario(t, r, 5, 40, false)
		loads := Loads(Place(DefaultConfig(), sc.members, sc.streams))
		for _, m := range sc.members {
			if l := loads[m.Name]; l < 7 || l > 9 {
				t.Fatalf("trial %d: %s owns %d streams, want 7..9 (loads %v)", trial, m.Name, l, loads)
			}
		}
	}
}

func TestPlaceNobodyPresent(t *testing.T) {
	ms := []Member{{Name: "a", Weight: 1, Absent: true}, {Name: "b", Weight: 2, Absent: true}}
	if got := Place(DefaultConfig(), ms, []string{"x", "y"}); len(got) != 0 {
		t.Fatalf("placed %v with every member absent", got)
	}
}

func TestPlaceWeights(t *testing.T) {
	streams := make([]string, 20000)
	for i := range streams {
		streams[i] = fmt.Sprintf("s%05d", i)
	}
	tests := []struct {
		name    string
		members []Member
		want    map[string]float64 // expected share of streams
	}{
		{
			name:    "proportional",
			members: []Member{{Name: "a", Weight: 1}, {Name: "b", Weight: 2}, {Name: "c", Weight: 5}},
			want:    map[string]float64{"a": 1.0 / 8, "b": 2.0 / 8, "c": 5.0 / 8},
		},
		{
			name:    "draining gets nothing",
			members: []Member{{Name: "a", Weight: 1}, {Name: "b", Weight: 0}, {Name: "c", Weight: 1}, {Name: "d", Weight: -3}},
			want:    map[string]float64{"a": 0.5, "c": 0.5},
		},
		{
			name:    "nobody eligible",
			members: []Member{{Name: "a", Weight: 0}},
			want:    map[string]float64{},
		},
		{
			name:    "no members",
			members: nil,
			want:    map[string]float64{},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, eps := range []float64{-1, DefaultEpsilon} {
				loads := Loads(Place(Config{Epsilon: eps}, tc.members, streams))
				for name, l := range loads {
					share, ok := tc.want[name]
					if !ok {
						t.Fatalf("eps %v: %s owns %d streams, want none", eps, name, l)
					}
					if got := float64(l) / float64(len(streams)); math.Abs(got-share) > 0.02 {
						t.Errorf("eps %v: %s owns %.3f of streams, want %.3f±0.02", eps, name, got, share)
					}
				}
				if len(tc.want) == 0 && len(loads) != 0 {
					t.Fatalf("eps %v: placed streams with no eligible member: %v", eps, loads)
				}
			}
		})
	}
}

func BenchmarkPlace50x5000(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	sc := randomScenario(b, r, 50, 5000, false)
	for b.Loop() {
		Place(DefaultConfig(), sc.members, sc.streams)
	}
}
