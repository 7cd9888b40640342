package table

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/vigil-monitor/vigil/cluster/hlc"
)

// fakeTime is a settable wall clock.
type fakeTime struct {
	mu sync.Mutex
	t  time.Time
}

func (f *fakeTime) now() time.Time              { f.mu.Lock(); defer f.mu.Unlock(); return f.t }
func (f *fakeTime) add(d time.Duration)         { f.mu.Lock(); defer f.mu.Unlock(); f.t = f.t.Add(d) }
func newFakeTime() *fakeTime                    { return &fakeTime{t: time.Unix(1_700_000_000, 0)} }
func newTable(node string, ft *fakeTime) *Table { return New(node, hlc.New(ft.now)) }

func TestTableOperations(t *testing.T) {
	ft := newFakeTime()
	tb := newTable("a", ft)
	spec := Spec{ID: "cam1", URL: "http://x/1", Labels: map[string]string{"site": "paris"}}
	e := tb.Put(spec)
	if !e.Spec.Equal(spec) || e.Version.Node != "a" {
		t.Fatalf("Put = %+v", e)
	}
	spec.Labels["site"] = "changed after Put"
	if got, _ := tb.Get("cam1"); got.Spec.Labels["site"] != "paris" {
		t.Fatalf("Put kept a reference to the caller's map")
	}

	crash := Crash{BootID: 7, Node: "b", At: ft.now()}
	if _, ok := tb.AddCrash("cam1", Version{Time: 1}, crash); ok {
		t.Fatal("AddCrash against a stale version changed the row")
	}
	if got, ok := tb.AddCrash("cam1", e.Version, crash); !ok || len(got.Crashes) != 1 {
		t.Fatalf("AddCrash = %+v, %v", got, ok)
	}
	if _, ok := tb.AddCrash("cam1", e.Version, crash); ok {
		t.Fatal("adding the same crash twice changed the row")
	}

	e2 := tb.Put(Spec{ID: "cam1", URL: "http://x/1"})
	if e2.Version.Compare(e.Version) <= 0 || len(e2.Crashes) != 0 {
		t.Fatalf("second Put = %+v: want a newer version without crash records", e2)
	}
	if _, ok := tb.Delete("nope"); ok {
		t.Fatal("Delete of a missing row succeeded")
	}
	d, ok := tb.Delete("cam1")
	if !ok || !d.Deleted || d.Version.Compare(e2.Version) <= 0 {
		t.Fatalf("Delete = %+v, %v", d, ok)
	}
	if _, ok := tb.Delete("cam1"); ok {
		t.Fatal("Delete of a tombstone succeeded")
	}
	if len(tb.Live()) != 0 || len(tb.All()) != 1 {
		t.Fatalf("Live %d rows, All %d rows; want 0 and 1", len(tb.Live()), len(tb.All()))
	}

	ft.add(time.Hour)
	if dropped := tb.GC(ft.now(), 2*time.Hour); len(dropped) != 0 {
		t.Fatalf("GC dropped %v before retention", dropped)
	}
	ft.add(2 * time.Hour)
	if dropped := tb.GC(ft.now(), 2*time.Hour); len(dropped) != 1 || dropped[0] != "cam1" {
		t.Fatalf("GC dropped %v, want [cam1]", dropped)
	}
	if tb.Len() != 0 {
		t.Fatalf("%d rows left after GC", tb.Len())
	}
}

// TestTablesConverge lets replicas write concurrently and exchange rows in random
// order, with duplicates and drops repaired by a final full exchange, and checks that
// they end identical.
func TestTablesConverge(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	ft := newFakeTime()
	nodes := []*Table{newTable("a", ft), newTable("b", ft), newTable("c", ft)}
	var inflight []struct {
		to  int
		row Entry
	}
	for step := range 3000 {
		i := r.IntN(len(nodes))
		id := fmt.Sprintf("s%d", r.IntN(20))
		var e Entry
		switch r.IntN(4) {
		case 0, 1:
			e = nodes[i].Put(Spec{ID: id, URL: fmt.Sprintf("http://x/%d", step)})
		case 2:
			var ok bool
			if e, ok = nodes[i].Delete(id); !ok {
				continue
			}
		case 3:
			cur, ok := nodes[i].Get(id)
			if !ok || cur.Deleted {
				continue
			}
			if e, ok = nodes[i].AddCrash(id, cur.Version, Crash{BootID: r.Uint64(), At: ft.now()}); !ok {
				continue
			}
		}
		for j := range nodes {
			if j != i && r.IntN(3) > 0 { // a third of messages are lost
				inflight = append(inflight, struct {
					to  int
					row Entry
				}{j, e})
			}
		}
		r.Shuffle(len(inflight), func(a, b int) { inflight[a], inflight[b] = inflight[b], inflight[a] })
		for len(inflight) > 0 && r.IntN(3) > 0 {
			m := inflight[len(inflight)-1]
			inflight = inflight[:len(inflight)-1]
			nodes[m.to].Merge([]Entry{m.row})
		}
		if r.IntN(50) == 0 {
			ft.add(time.Millisecond * time.Duration(r.IntN(3)))
		}
	}
	for _, m := range inflight {
		nodes[m.to].Merge([]Entry{m.row})
	}
	// Anti-entropy: a full exchange in both directions (what push/pull does).
	for _, a := range nodes {
		for _, b := range nodes {
			b.Merge(a.All())
		}
	}
	want := nodes[0].All()
	for _, n := range nodes[1:] {
		got := n.All()
		if len(got) != len(want) {
			t.Fatalf("%s has %d rows, a has %d", n.node, len(got), len(want))
		}
		for i := range got {
			if !equalRows(got[i], want[i]) {
				t.Fatalf("%s row %s = %+v, a has %+v", n.node, got[i].ID, got[i], want[i])
			}
		}
	}
}

func TestSaveLoad(t *testing.T) {
	ft := newFakeTime()
	path := filepath.Join(t.TempDir(), "table.pb")
	a := newTable("a", ft)
	live := a.Put(Spec{ID: "cam1", URL: "http://x/1", Thresholds: map[string]float64{"black": 0.1}, Labels: map[string]string{"k": "v"}})
	a.AddCrash("cam1", live.Version, Crash{BootID: 3, Node: "b", At: ft.now()})
	a.Put(Spec{ID: "cam2", URL: "http://x/2"})
	a.Delete("cam2")
	if err := a.Save(path, ft.now()); err != nil {
		t.Fatalf("Save: %v", err)
	}

	// A restarted node whose wall clock is now behind still issues newer versions.
	behind := &fakeTime{t: ft.now().Add(-time.Hour)}
	b := newTable("a", behind)
	saved, err := b.Load(path)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if !saved.Equal(ft.now()) {
		t.Errorf("saved at %v, want %v", saved, ft.now())
	}
	want, got := a.All(), b.All()
	if len(got) != len(want) {
		t.Fatalf("loaded %d rows, want %d", len(got), len(want))
	}
	for i := range want {
		if !equalRows(got[i], want[i]) {
			t.Fatalf("row %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	if e := b.Put(Spec{ID: "cam1", URL: "http://x/9"}); e.Version.Compare(live.Version) <= 0 {
		t.Fatalf("write after reload has version %v, not newer than %v", e.Version, live.Version)
	}

	t.Run("missing file is empty", func(t *testing.T) {
		c := newTable("c", ft)
		if _, err := c.Load(filepath.Join(t.TempDir(), "none")); err != nil || c.Len() != 0 {
			t.Fatalf("Load = %v with %d rows", err, c.Len())
		}
	})
	t.Run("corrupt file is an error", func(t *testing.T) {
		p := filepath.Join(t.TempDir(), "bad")
		if err := os.WriteFile(p, []byte{0xff, 0xff, 0xff}, 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := newTable("c", ft).Load(p); err == nil {
			t.Fatal("Load of a corrupt file succeeded")
		}
	})
}
