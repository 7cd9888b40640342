// Package score matches detections against a corpus's ground truth and summarises,
// per defect type, recall, precision and start-time error.
//
// The rule: a detection matches a truth of the same clip if the truth accepts its
// type (the truth's type or one of its alternatives) and their intervals overlap. A
// truth is found if any detection matches it; its start error is |start of the
// earliest matching detection − start of the truth|. A detection is correct if it
// matches a truth, ignored if it only matches an optional truth, and a false alarm
// otherwise.
package score

import (
	"sort"

	"github.com/vigil-monitor/vigil/test/bench/corpus"
)

// Detection is one defect a tool reported for a clip.
type Detection struct {
	// Clip is the clip's name.
	Clip string
	// Type is the defect type in vigil's names.
	Type string
	// Start and End bound the defect in seconds of media time; End equals Start for
	// an instant.
	Start, End float64
}

// Row is a line of the result table: the defect types scored together.
type Row struct {
	Name  string
	Types []string
}

// Rows are the table's lines, in order. Corruption is found as decode errors where
// the decoder notices the damage and as blockiness where it conceals it silently.
var Rows = []Row{
	{"black", []string{"black"}},
	{"freeze", []string{"freeze"}},
	{"blur", []string{"blur"}},
	{"corruption", []string{"decode_error", "blockiness"}},
	{"silence", []string{"silence"}},
	{"clipping", []string{"clipping"}},
	{"loudness", []string{"loudness"}},
	{"av_sync", []string{"av_sync"}},
	{"other", []string{"no_signal"}},
}

// rowOf returns the name of the row a type belongs to ("other" when none).
func rowOf(typ string) string {
	for _, r := range Rows {
		for _, t := range r.Types {
			if t == typ {
				return r.Name
			}
		}
	}
	return "other"
}

// Stat is one tool's result on one row.
type Stat struct {
	// Truths and Found count the row's (non-optional) truths and those found.
	Truths, Found int
	// Detections counts the tool's detections of the row's types; Correct those that
	// match a truth and Ignored those that only match an optional truth.
	Detections, Correct, Ignored int
	// StartErrors holds one start error per found truth, in seconds, sorted.
	StartErrors []float64
}

// FalseAlarm is a detection that matches no truth.
type FalseAlarm struct {
	Detection
	// Trap names the trap the detection fell into, empty when none overlaps it.
	Trap string
}

// Miss is a truth no detection matched.
type Miss struct {
	Clip  string
	Truth corpus.Truth
}

// Result is one tool's score on a corpus.
type Result struct {
	Stats       map[string]*Stat // by row name
	FalseAlarms []FalseAlarm
	Misses      []Miss
	// Late lists the found truths whose start error exceeds LateAfter.
	Late []Late
}

// Late is a found truth whose start error exceeds LateAfter.
type Late struct {
	Clip  string
	Truth corpus.Truth
	Error float64
}

// LateAfter is the start error, in seconds, beyond which a found truth is listed.
const LateAfter = 0.3

func overlaps(a0, a1, b0, b1 float64) bool { return a0 <= b1 && b0 <= a1 }

// Score matches dets against the truths of items. Detections for clips not in items
// are ignored.
func Score(items []corpus.Item, dets []Detection) Result {
	res := Result{Stats: map[string]*Stat{}}
	for _, r := range Rows {
		res.Stats[r.Name] = &Stat{}
	}
	byClip := map[string][]Detection{}
	for _, d := range dets {
		byClip[d.Clip] = append(byClip[d.Clip], d)
	}
	for _, it := range items {
		ds := byClip[it.Name]
		sort.SliceStable(ds, func(i, j int) bool { return ds[i].Start < ds[j].Start })
		for _, t := range it.Truths {
			if t.Optional {
				continue
			}
			st := res.Stats[rowOf(t.Type)]
			st.Truths++
			d, ok := firstMatch(ds, t)
			if !ok {
				res.Misses = append(res.Misses, Miss{Clip: it.Name, Truth: t})
				continue
			}
			st.Found++
			e := abs(d.Start - t.Start)
			st.StartErrors = append(st.StartErrors, e)
			if e > LateAfter {
				res.Late = append(res.Late, Late{Clip: it.Name, Truth: t, Error: e})
			}
		}
		for _, d := range ds {
			st := res.Stats[rowOf(d.Type)]
			st.Detections++
			switch classify(it, d) {
			case correct:
				st.Correct++
			case ignored:
				st.Ignored++
			default:
				res.FalseAlarms = append(res.FalseAlarms, FalseAlarm{Detection: d, Trap: trapAt(it, d)})
			}
		}
	}
	for _, st := range res.Stats {
		sort.Float64s(st.StartErrors)
	}
	return res
}

// firstMatch returns the earliest detection of ds (sorted by start) that matches t.
func firstMatch(ds []Detection, t corpus.Truth) (Detection, bool) {
	for _, d := range ds {
		if t.Accepts(d.Type) && overlaps(d.Start, d.End, t.Start, t.End) {
			return d, true
		}
	}
	return Detection{}, false
}

type verdict int

const (
	falseAlarm verdict = iota
	ignored
	correct
)

func classify(it corpus.Item, d Detection) verdict {
	v := falseAlarm
	for _, t := range it.Truths {
		if !t.Accepts(d.Type) || !overlaps(d.Start, d.End, t.Start, t.End) {
			continue
		}
		if !t.Optional {
			return correct
		}
		v = ignored
	}
	return v
}

func trapAt(it corpus.Item, d Detection) string {
	for _, tr := range it.Traps {
		if overlaps(d.Start, d.End, tr.Start, tr.End) {
			return tr.What
		}
	}
	return ""
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

// Recall returns Found/Truths and false when there are no truths.
func (s *Stat) Recall() (float64, bool) {
	if s.Truths == 0 {
		return 0, false
	}
	return float64(s.Found) / float64(s.Truths), true
}

// Precision returns Correct/(Detections−Ignored) and false when that is zero.
func (s *Stat) Precision() (float64, bool) {
	n := s.Detections - s.Ignored
	if n == 0 {
		return 0, false
	}
	return float64(s.Correct) / float64(n), true
}

// MedianStartError returns the median start error and false when nothing was found.
func (s *Stat) MedianStartError() (float64, bool) {
	n := len(s.StartErrors)
	if n == 0 {
		return 0, false
	}
	if n%2 == 1 {
		return s.StartErrors[n/2], true
	}
	return (s.StartErrors[n/2-1] + s.StartErrors[n/2]) / 2, true
}

// MaxStartError returns the largest start error and false when nothing was found.
func (s *Stat) MaxStartError() (float64, bool) {
	if len(s.StartErrors) == 0 {
		return 0, false
	}
	return s.StartErrors[len(s.StartErrors)-1], true
}

// Diff returns the detections of a that b has no counterpart for and those of b that
// a has none for. Counterparts have the same clip and type and starts at most tol
// seconds apart.
func Diff(a, b []Detection, tol float64) (onlyA, onlyB []Detection) {
	missing := func(x, y []Detection) []Detection {
		used := make([]bool, len(y))
		var out []Detection
		for _, d := range x {
			found := false
			for j, e := range y {
				if !used[j] && e.Clip == d.Clip && e.Type == d.Type && abs(e.Start-d.Start) <= tol {
					used[j], found = true, true
					break
				}
			}
			if !found {
				out = append(out, d)
			}
		}
		return out
	}
	return missing(a, b), missing(b, a)
}
