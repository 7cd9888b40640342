package table

import (
	"cmp"
	"slices"
	"sync"
	"time"

	"github.com/vigil-monitor/vigil/cluster/hlc"
)

// Table holds the rows this node knows. It is safe for concurrent use; no method
// blocks beyond a short lock, and none does I/O.
type Table struct {
	node  string
	clock *hlc.Clock

	mu   sync.RWMutex
	rows map[string]Entry
	gen  uint64 // counts changes
}

// Gen returns a number that changes whenever the table does, for caches.
func (t *Table) Gen() uint64 {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.gen
}

// New returns an empty table written to as node, versioning writes with clock.
func New(node string, clock *hlc.Clock) *Table {
	return &Table{node: node, clock: clock, rows: make(map[string]Entry)}
}

// Put stores spec as a new version of its row (clearing its crash records) and
// returns the row.
func (t *Table) Put(spec Spec) Entry {
	t.mu.Lock()
	defer t.mu.Unlock()
	e := Entry{ID: spec.ID, Version: Version{Time: t.clock.Now(), Node: t.node}, Spec: spec.Clone()}
	t.rows[e.ID] = e
	t.gen++
	return e
}

// Delete replaces the row of id with a tombstone and returns it; false when there is
// no live row.
func (t *Table) Delete(id string) (Entry, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if e, ok := t.rows[id]; !ok || e.Deleted {
		return Entry{}, false
	}
	e := Entry{ID: id, Version: Version{Time: t.clock.Now(), Node: t.node}, Deleted: true}
	t.rows[id] = e
	t.gen++
	return e, true
}

// AddCrash adds a crash record to the row of id if the row is live at version v
// (a crash against an older version is moot: the spec was rewritten since). It
// returns the row and whether it changed.
func (t *Table) AddCrash(id string, v Version, c Crash) (Entry, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	e, ok := t.rows[id]
	if !ok || e.Deleted || e.Version != v {
		return Entry{}, false
	}
	c.At = c.At.Truncate(time.Millisecond)
	merged := Merge(e, Entry{ID: e.ID, Version: e.Version, Spec: e.Spec, Crashes: []Crash{c}})
	if slices.Equal(merged.Crashes, e.Crashes) {
		return e, false
	}
	e.Crashes = merged.Crashes
	t.rows[id] = e
	t.gen++
	return e, true
}

// Merge merges rows received from another node and returns the rows that changed
// here, in their merged form. It moves the clock past every version it sees.
func (t *Table) Merge(in []Entry) []Entry {
	t.mu.Lock()
	defer t.mu.Unlock()
	var changed []Entry
	for _, r := range in {
		t.clock.Observe(r.Version.Time)
		r.Crashes = unionCrashes(r.Crashes, nil)
		old, ok := t.rows[r.ID]
		if !ok {
			t.rows[r.ID] = r
			t.gen++
			changed = append(changed, r)
			continue
		}
		m := Merge(old, r)
		if !sameRow(old, m) {
			t.rows[r.ID] = m
			t.gen++
			changed = append(changed, m)
		}
	}
	return changed
}

// sameRow reports whether merging changed nothing observable.
func sameRow(a, b Entry) bool {
	return a.Version == b.Version && a.Deleted == b.Deleted && a.Spec.Equal(b.Spec) && slices.Equal(a.Crashes, b.Crashes)
}

// Get returns the row of id, tombstone or not.
func (t *Table) Get(id string) (Entry, bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	e, ok := t.rows[id]
	return e, ok
}

// Live returns the rows that are not tombstones, ordered by id. The caller must not
// modify the specs' maps.
func (t *Table) Live() []Entry {
	t.mu.RLock()
	defer t.mu.RUnlock()
	out := make([]Entry, 0, len(t.rows))
	for _, e := range t.rows {
		if !e.Deleted {
			out = append(out, e)
		}
	}
	sortByID(out)
	return out
}

// All returns every row, tombstones included, ordered by id. The caller must not
// modify the specs' maps.
func (t *Table) All() []Entry {
	t.mu.RLock()
	defer t.mu.RUnlock()
	out := make([]Entry, 0, len(t.rows))
	for _, e := range t.rows {
		out = append(out, e)
	}
	sortByID(out)
	return out
}

// Len returns the number of rows, tombstones included.
func (t *Table) Len() int {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return len(t.rows)
}

// GC drops tombstones written before now-retention and returns their ids. A node
// that was away for longer than retention and still holds the live row would bring
// it back, so retention must exceed any outage a node is expected to return from.
func (t *Table) GC(now time.Time, retention time.Duration) []string {
	cutoff := hlc.FromTime(now.Add(-retention))
	t.mu.Lock()
	defer t.mu.Unlock()
	var dropped []string
	for id, e := range t.rows {
		if e.Deleted && e.Version.Time < cutoff {
			delete(t.rows, id)
			t.gen++
			dropped = append(dropped, id)
		}
	}
	slices.Sort(dropped)
	return dropped
}

func sortByID(es []Entry) {
	slices.SortFunc(es, func(a, b Entry) int { return cmp.Compare(a.ID, b.ID) })
}
