package roster

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

func names(es []Entry) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.Name)
	}
	return out
}

func TestObserveReportsLayoutChangesOnly(t *testing.T) {
	r := New(time.Minute)
	if !r.Observe(t0, []Entry{{Name: "b", Capacity: 1}, {Name: "a", Capacity: 1}}) {
		t.Fatal("adding members is a change")
	}
	if r.Observe(t0.Add(time.Second), []Entry{{Name: "a", Capacity: 1}}) {
		t.Fatal("seeing a known member again is not a change")
	}
	if !r.Observe(t0.Add(2*time.Second), []Entry{{Name: "a", Capacity: 3}}) {
		t.Fatal("a new capacity is a change")
	}
	got := r.Entries()
	if !slices.Equal(names(got), []string{"a", "b"}) || got[0].Capacity != 3 || !got[0].Seen.Equal(t0.Add(2*time.Second)) || !got[1].Seen.Equal(t0) {
		t.Fatalf("entries %+v", got)
	}
}

func TestExpireForgetsMembersAwayTooLong(t *testing.T) {
	r := New(time.Minute)
	r.Observe(t0, []Entry{{Name: "a", Capacity: 1}, {Name: "b", Capacity: 1}})
	r.Observe(t0.Add(30*time.Second), []Entry{{Name: "a", Capacity: 1}})
	if gone := r.Expire(t0.Add(59 * time.Second)); len(gone) != 0 {
		t.Fatalf("forgot %v before a minute", gone)
	}
	if gone := r.Expire(t0.Add(time.Minute)); !slices.Equal(gone, []string{"b"}) {
		t.Fatalf("forgot %v at a minute, want [b]", gone)
	}
	if got := names(r.Entries()); !slices.Equal(got, []string{"a"}) {
		t.Fatalf("left %v", got)
	}
}

// TestMergeConverges: two nodes with different sightings end up with the same
// roster, whichever merges first, and stale entries do not come back.
func TestMergeConverges(t *testing.T) {
	x, y := New(time.Minute), New(time.Minute)
	x.Observe(t0, []Entry{{Name: "a", Capacity: 1}, {Name: "b", Capacity: 1}})
	y.Observe(t0.Add(10*time.Second), []Entry{{Name: "b", Capacity: 2}, {Name: "c", Capacity: 1}})
	now := t0.Add(20 * time.Second)
	if !x.Merge(now, y.Entries()) {
		t.Fatal("x learned c and b's capacity: a change")
	}
	if !y.Merge(now, x.Entries()) {
		t.Fatal("y learned a: a change")
	}
	if y.Merge(now, x.Entries()) || x.Merge(now, y.Entries()) {
		t.Fatal("merging again changed something")
	}
	if !slices.Equal(x.Entries(), y.Entries()) {
		t.Fatalf("x %+v, y %+v", x.Entries(), y.Entries())
	}
	if b := x.Entries()[1]; b.Capacity != 2 || !b.Seen.Equal(t0.Add(10*time.Second)) {
		t.Fatalf("b = %+v, want the later sighting", b)
	}
	// A member a node has forgotten is not brought back by an old entry.
	late := t0.Add(65 * time.Second)
	if gone := x.Expire(late); !slices.Equal(gone, []string{"a"}) {
		t.Fatalf("x forgot %v, want [a]", gone)
	}
	old := New(time.Hour)
	old.Observe(t0, []Entry{{Name: "a", Capacity: 1}})
	if x.Merge(late, old.Entries()) {
		t.Fatal("an entry older than the forget-after period came back")
	}
}

func TestSaveLoad(t *testing.T) {
	path := filepath.Join(t.TempDir(), "roster.pb")
	r := New(time.Minute)
	if err := r.Load(path, t0); err != nil {
		t.Fatalf("missing file: %v", err)
	}
	r.Observe(t0, []Entry{{Name: "a", Capacity: 1}})
	r.Observe(t0.Add(50*time.Second), []Entry{{Name: "b", Capacity: 4}})
	if err := r.Save(path); err != nil {
		t.Fatal(err)
	}
	back := New(time.Minute)
	if err := back.Load(path, t0.Add(70*time.Second)); err != nil {
		t.Fatal(err)
	}
	got := back.Entries()
	if len(got) != 1 || got[0].Name != "b" || got[0].Capacity != 4 || !got[0].Seen.Equal(t0.Add(50*time.Second)) {
		t.Fatalf("loaded %+v 70 s later, want only b (a was seen 70 s ago)", got)
	}
	if err := os.WriteFile(path, []byte("not a roster"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := back.Load(path, t0); err == nil {
		t.Fatal("a corrupt file loaded without error")
	}
}
