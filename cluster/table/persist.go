package table

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	"google.golang.org/protobuf/proto"

	vigilv1 "github.com/vigil-monitor/vigil/proto/vigil/v1"

	"github.com/vigil-monitor/vigil/cluster/hlc"
	"github.com/vigil-monitor/vigil/cluster/internal/atomicfile"
)

// Save writes every row and the clock's last reading to path atomically (a crash
// leaves the old file or the new one, never a torn one).
func (t *Table) Save(path string, now time.Time) error {
	snap := &vigilv1.TableSnapshot{Clock: uint64(t.clock.Last()), SavedUnixMs: now.UnixMilli()}
	for _, e := range t.All() {
		snap.Entries = append(snap.Entries, ToProto(e))
	}
	b, err := proto.Marshal(snap)
	if err != nil {
		return fmt.Errorf("encode table: %w", err)
	}
	if err := atomicfile.Write(path, b, 0o600); err != nil {
		return fmt.Errorf("save table: %w", err)
	}
	return nil
}

// Load merges the rows saved at path into the table and moves the clock past the
// saved reading. A missing file is an empty table (a first start), not an error.
func (t *Table) Load(path string) (saved time.Time, err error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("load table: %w", err)
	}
	var snap vigilv1.TableSnapshot
	if err := proto.Unmarshal(b, &snap); err != nil {
		return time.Time{}, fmt.Errorf("decode table %s: %w", path, err)
	}
	rows := make([]Entry, 0, len(snap.GetEntries()))
	for _, p := range snap.GetEntries() {
		rows = append(rows, FromProto(p))
	}
	t.clock.Observe(hlc.Timestamp(snap.GetClock()))
	t.Merge(rows)
	return time.UnixMilli(snap.GetSavedUnixMs()), nil
}
