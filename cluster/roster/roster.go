// Package roster remembers the members of the placement layout: every node seen
// alive within the last forget-after period, with the capacity it announced.
//
// Placement lays streams out over the roster, not over the members alive right now,
// so a node that fails, drains or restarts keeps its place and only its own streams
// move (see cluster/placement). The roster must therefore be the same on every node:
// it is exchanged in push/pull state and merged by name, the latest sighting winning,
// and it is saved in the data dir so that a restarted node starts from it. A member
// nobody has seen alive for the forget-after period is forgotten everywhere at about
// the same time, and only then do the other members' streams rebalance.
package roster

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"google.golang.org/protobuf/proto"

	vigilv1 "github.com/vigil-monitor/vigil/proto/vigil/v1"

	"github.com/vigil-monitor/vigil/cluster/internal/atomicfile"
)

// Entry is one member of the layout.
type Entry struct {
	// Name is the node's name.
	Name string
	// Capacity is its placement weight as it last announced it.
	Capacity uint32
	// Seen is when a node last saw it alive.
	Seen time.Time
}

// Roster is the set of members of the layout. Its methods are safe for concurrent
// use.
type Roster struct {
	forget time.Duration

	mu      sync.Mutex
	entries map[string]Entry
}

// New returns an empty roster that forgets a member not seen alive for forgetAfter.
func New(forgetAfter time.Duration) *Roster {
	return &Roster{forget: forgetAfter, entries: map[string]Entry{}}
}

// Observe records the members seen alive at now (their Seen is ignored). It reports
// whether the layout changed: a member was added or announced a new capacity.
func (r *Roster) Observe(now time.Time, alive []Entry) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	changed := false
	for _, e := range alive {
		e.Seen = now
		changed = r.putLocked(e) || changed
	}
	return changed
}

// Merge merges another node's roster, the later sighting of each member winning.
// Entries already older than the forget-after period are ignored. It reports
// whether the layout changed.
func (r *Roster) Merge(now time.Time, in []Entry) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	changed := false
	for _, e := range in {
		if e.Name == "" || now.Sub(e.Seen) >= r.forget {
			continue
		}
		if old, ok := r.entries[e.Name]; ok && !e.Seen.After(old.Seen) {
			continue
		}
		changed = r.putLocked(e) || changed
	}
	return changed
}

// putLocked stores e and reports whether the layout changed.
func (r *Roster) putLocked(e Entry) bool {
	old, ok := r.entries[e.Name]
	if ok && old.Seen.After(e.Seen) {
		e.Seen = old.Seen
	}
	r.entries[e.Name] = e
	return !ok || old.Capacity != e.Capacity
}

// Expire forgets the members not seen alive within the forget-after period before
// now and returns their names, sorted.
func (r *Roster) Expire(now time.Time) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var gone []string
	for name, e := range r.entries {
		if now.Sub(e.Seen) >= r.forget {
			gone = append(gone, name)
			delete(r.entries, name)
		}
	}
	slices.Sort(gone)
	return gone
}

// Entries returns the members, sorted by name.
func (r *Roster) Entries() []Entry {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := slices.Collect(maps.Values(r.entries))
	slices.SortFunc(out, func(a, b Entry) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// ToProto encodes entries.
func ToProto(es []Entry) []*vigilv1.RosterEntry {
	out := make([]*vigilv1.RosterEntry, 0, len(es))
	for _, e := range es {
		out = append(out, &vigilv1.RosterEntry{Name: e.Name, Capacity: e.Capacity, SeenUnixMs: e.Seen.UnixMilli()})
	}
	return out
}

// FromProto decodes entries.
func FromProto(ps []*vigilv1.RosterEntry) []Entry {
	out := make([]Entry, 0, len(ps))
	for _, p := range ps {
		out = append(out, Entry{Name: p.GetName(), Capacity: p.GetCapacity(), Seen: time.UnixMilli(p.GetSeenUnixMs())})
	}
	return out
}

// Save writes the roster to path atomically.
func (r *Roster) Save(path string) error {
	b, err := proto.Marshal(&vigilv1.RosterSnapshot{Entries: ToProto(r.Entries())})
	if err != nil {
		return fmt.Errorf("encode roster: %w", err)
	}
	if err := atomicfile.Write(path, b, 0o600); err != nil {
		return fmt.Errorf("save roster: %w", err)
	}
	return nil
}

// Load merges the roster saved at path as of now (members saved longer than the
// forget-after period ago are not loaded). A missing file is an empty roster.
func (r *Roster) Load(path string, now time.Time) error {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("load roster: %w", err)
	}
	var snap vigilv1.RosterSnapshot
	if err := proto.Unmarshal(b, &snap); err != nil {
		return fmt.Errorf("decode roster %s: %w", path, err)
	}
	r.Merge(now, FromProto(snap.GetEntries()))
	return nil
}
