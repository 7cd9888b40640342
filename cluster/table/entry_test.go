package table

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/vigil-monitor/vigil/cluster/hlc"
)

// randomEntry draws a row of stream "s" from a small space, so that equal versions,
// equal contents and overlapping crash records all happen often.
func randomEntry(r *rand.Rand) Entry {
	e := Entry{ID: "s", Version: Version{Time: hlc.Timestamp(r.IntN(3)), Node: []string{"a", "b"}[r.IntN(2)]}}
	if r.IntN(3) == 0 {
		e.Deleted = true
		return e
	}
	e.Spec = Spec{ID: "s", URL: fmt.Sprintf("http://src/%d", r.IntN(2))}
	if r.IntN(2) == 0 {
		e.Spec.Labels = map[string]string{"k": fmt.Sprint(r.IntN(2))}
	}
	if r.IntN(2) == 0 {
		e.Spec.Thresholds = map[string]float64{"black": float64(r.IntN(2))}
	}
	var cs []Crash
	for range r.IntN(MaxCrashRecords + 3) {
		cs = append(cs, Crash{BootID: uint64(r.IntN(12)), Node: "n", At: time.UnixMilli(int64(r.IntN(12)))})
	}
	e.Crashes = unionCrashes(cs, nil)
	return e
}

func equalRows(a, b Entry) bool {
	return a.Version == b.Version && a.Deleted == b.Deleted && a.Spec.Equal(b.Spec) && reflect.DeepEqual(a.Crashes, b.Crashes)
}

func TestMergeIsASemilattice(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	laws := []struct {
		name  string
		holds func(a, b, c Entry) (Entry, Entry)
	}{
		{"commutative", func(a, b, _ Entry) (Entry, Entry) { return Merge(a, b), Merge(b, a) }},
		{"associative", func(a, b, c Entry) (Entry, Entry) { return Merge(a, Merge(b, c)), Merge(Merge(a, b), c) }},
		{"idempotent", func(a, _, _ Entry) (Entry, Entry) { return Merge(a, a), a }},
		{"absorbs", func(a, b, _ Entry) (Entry, Entry) { m := Merge(a, b); return Merge(m, b), m }},
	}
	for _, law := range laws {
		t.Run(law.name, func(t *testing.T) {
			for i := range 20000 {
				a, b, c := randomEntry(r), randomEntry(r), randomEntry(r)
				x, y := law.holds(a, b, c)
				if !equalRows(x, y) {
					t.Fatalf("case %d:\n a=%+v\n b=%+v\n c=%+v\n got %+v\n and %+v", i, a, b, c, x, y)
				}
			}
		})
	}
}

func TestMergePicksTheNewerVersion(t *testing.T) {
	old := Entry{ID: "s", Version: Version{Time: 10, Node: "z"}, Spec: Spec{ID: "s", URL: "old"},
		Crashes: []Crash{{BootID: 1, At: time.UnixMilli(5)}}}
	tests := []struct {
		name string
		b    Entry
		want Entry
	}{
		{"later time wins", Entry{ID: "s", Version: Version{Time: 11, Node: "a"}, Spec: Spec{ID: "s", URL: "new"}},
			Entry{ID: "s", Version: Version{Time: 11, Node: "a"}, Spec: Spec{ID: "s", URL: "new"}}},
		{"same time: larger node wins", Entry{ID: "s", Version: Version{Time: 10, Node: "a"}, Spec: Spec{ID: "s", URL: "new"}}, old},
		{"tombstone wins when newer", Entry{ID: "s", Version: Version{Time: 12, Node: "a"}, Deleted: true},
			Entry{ID: "s", Version: Version{Time: 12, Node: "a"}, Deleted: true}},
		{"older tombstone loses", Entry{ID: "s", Version: Version{Time: 9, Node: "z"}, Deleted: true}, old},
		{"same version: crash records unite",
			Entry{ID: "s", Version: old.Version, Spec: old.Spec, Crashes: []Crash{{BootID: 2, At: time.UnixMilli(7)}}},
			Entry{ID: "s", Version: old.Version, Spec: old.Spec, Crashes: []Crash{{BootID: 1, At: time.UnixMilli(5)}, {BootID: 2, At: time.UnixMilli(7)}}}},
		{"new version drops old crash records", Entry{ID: "s", Version: Version{Time: 11, Node: "a"}, Spec: old.Spec},
			Entry{ID: "s", Version: Version{Time: 11, Node: "a"}, Spec: old.Spec}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Merge(old, tc.b); !equalRows(got, tc.want) {
				t.Fatalf("Merge = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestQuarantined(t *testing.T) {
	at := func(ms ...int64) []Crash {
		var cs []Crash
		for i, m := range ms {
			cs = append(cs, Crash{BootID: uint64(i + 1), At: time.UnixMilli(m)})
		}
		return cs
	}
	const minute = 60_000
	tests := []struct {
		name    string
		crashes []Crash
		max     int
		want    bool
	}{
		{"no crashes", nil, 3, false},
		{"two crashes", at(0, 1), 3, false},
		{"three close together", at(0, minute, 2*minute), 3, true},
		{"three spread out", at(0, 11*minute, 22*minute), 3, false},
		{"three of four close together", at(0, 30*minute, 31*minute, 32*minute), 3, true},
		{"disabled", at(0, 1, 2, 3), 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := Entry{ID: "s", Crashes: tc.crashes}
			if got := e.Quarantined(tc.max, 10*time.Minute); got != tc.want {
				t.Fatalf("Quarantined = %v, want %v", got, tc.want)
			}
		})
	}
}
