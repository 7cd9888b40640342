// Package table is vigil's replicated stream table: one last-writer-wins register per
// stream id, versioned by a hybrid logical clock, with tombstones for deletions and a
// grow-only set of crash records per version.
//
// Merge is a pure function — commutative, associative and idempotent — so nodes may
// exchange rows in any order, any number of times, by gossip deltas or full-state
// push/pull, and still agree. Table wraps the rows with a lock, a clock, garbage
// collection of old tombstones, and persistence.
package table

import (
	"cmp"
	"maps"
	"slices"
	"time"

	"github.com/vigil-monitor/vigil/cluster/hlc"
)

// Spec is a stream as assigned by an operator.
type Spec struct {
	// ID names the stream.
	ID string
	// URL is the input to open.
	URL string
	// Thresholds overrides detector thresholds by name.
	Thresholds map[string]float64
	// Labels are carried along with the stream's events.
	Labels map[string]string
}

// Equal reports whether two specs are the same (nil and empty maps are equal).
func (s Spec) Equal(o Spec) bool {
	return s.ID == o.ID && s.URL == o.URL && maps.Equal(s.Thresholds, o.Thresholds) && maps.Equal(s.Labels, o.Labels)
}

// Clone returns a deep copy of s.
func (s Spec) Clone() Spec {
	s.Thresholds = maps.Clone(s.Thresholds)
	s.Labels = maps.Clone(s.Labels)
	return s
}

// Version orders writes to a row: by HLC time, then by the writing node's name.
type Version struct {
	// Time is the writer's HLC reading.
	Time hlc.Timestamp
	// Node is the writer's name.
	Node string
}

// Compare returns -1, 0 or +1 as v is older than, the same as, or newer than o.
func (v Version) Compare(o Version) int {
	if c := cmp.Compare(v.Time, o.Time); c != 0 {
		return c
	}
	return cmp.Compare(v.Node, o.Node)
}

// Crash records that a node process died, without a clean shutdown, while it ran a
// stream. One record per process death: BootID identifies the dead process.
type Crash struct {
	// BootID is the dead process's boot id.
	BootID uint64
	// Node is the dead process's node name.
	Node string
	// At is when the dead process last recorded what it ran (millisecond precision).
	At time.Time
}

func compareCrash(a, b Crash) int {
	if c := a.At.Compare(b.At); c != 0 {
		return c
	}
	if c := cmp.Compare(a.BootID, b.BootID); c != 0 {
		return c
	}
	return cmp.Compare(a.Node, b.Node)
}

// MaxCrashRecords bounds the crash records a row keeps: the newest ones.
const MaxCrashRecords = 8

// Entry is one row of the table.
type Entry struct {
	// ID is the stream's id.
	ID string
	// Version orders writes; the newer row wins a merge.
	Version Version
	// Deleted marks a tombstone: the stream was unassigned. Spec is then empty.
	Deleted bool
	// Spec is the stream.
	Spec Spec
	// Crashes are the crash records of this version, oldest first.
	Crashes []Crash
}

// Merge returns the row that results from knowing both a and b, two versions of the
// same stream's row: the one with the newer Version; when both have the same
// Version, one chosen by content (so Merge stays commutative even for rows no real
// node would write) with the crash records of both. Merge(a, b) = Merge(b, a),
// Merge(a, Merge(b, c)) = Merge(Merge(a, b), c) and Merge(a, a) = a. Neither argument
// is modified; the result may share memory with them.
func Merge(a, b Entry) Entry {
	c := a.Version.Compare(b.Version)
	switch {
	case c > 0:
		return a
	case c < 0:
		return b
	}
	w := a
	if compareContent(b, a) > 0 {
		w = b
	}
	w.Crashes = unionCrashes(a.Crashes, b.Crashes)
	return w
}

// compareContent orders rows of the same version by content: tombstones win, then
// the larger spec.
func compareContent(a, b Entry) int {
	if a.Deleted != b.Deleted {
		if a.Deleted {
			return 1
		}
		return -1
	}
	return compareSpec(a.Spec, b.Spec)
}

func compareSpec(a, b Spec) int {
	if c := cmp.Compare(a.ID, b.ID); c != 0 {
		return c
	}
	if c := cmp.Compare(a.URL, b.URL); c != 0 {
		return c
	}
	if c := compareMaps(a.Thresholds, b.Thresholds); c != 0 {
		return c
	}
	return compareMaps(a.Labels, b.Labels)
}

func compareMaps[V cmp.Ordered](a, b map[string]V) int {
	ka, kb := slices.Sorted(maps.Keys(a)), slices.Sorted(maps.Keys(b))
	for i := 0; i < len(ka) && i < len(kb); i++ {
		if c := cmp.Compare(ka[i], kb[i]); c != 0 {
			return c
		}
		if c := cmp.Compare(a[ka[i]], b[kb[i]]); c != 0 {
			return c
		}
	}
	return cmp.Compare(len(ka), len(kb))
}

// unionCrashes returns the newest MaxCrashRecords distinct records of a and b,
// oldest first.
func unionCrashes(a, b []Crash) []Crash {
	if len(b) == 0 && len(a) <= MaxCrashRecords && canonical(a) {
		return a
	}
	u := make([]Crash, 0, len(a)+len(b))
	u = append(append(u, a...), b...)
	slices.SortFunc(u, compareCrash)
	u = slices.CompactFunc(u, func(x, y Crash) bool { return compareCrash(x, y) == 0 })
	if len(u) > MaxCrashRecords {
		u = u[len(u)-MaxCrashRecords:]
	}
	if len(u) == 0 {
		return nil
	}
	return u
}

// canonical reports whether cs is strictly increasing (sorted, no duplicates).
func canonical(cs []Crash) bool {
	for i := 1; i < len(cs); i++ {
		if compareCrash(cs[i-1], cs[i]) >= 0 {
			return false
		}
	}
	return true
}

// Quarantined reports whether the row's crash records show a crash loop: at least
// max crashes within window of each other. It depends on the records alone (not on
// the current time), so every node reaches the same verdict; the quarantine lasts
// until the stream is assigned again, which writes a new version without records.
// max ≤ 0 disables quarantine.
func (e Entry) Quarantined(max int, window time.Duration) bool {
	if max <= 0 || len(e.Crashes) < max {
		return false
	}
	for i := max - 1; i < len(e.Crashes); i++ {
		if e.Crashes[i].At.Sub(e.Crashes[i-max+1].At) <= window {
			return true
		}
	}
	return false
}
