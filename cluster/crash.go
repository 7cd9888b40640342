package cluster

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"slices"
	"time"

	"google.golang.org/protobuf/proto"

	vigilv1 "github.com/vigil-monitor/vigil/proto/vigil/v1"

	"github.com/vigil-monitor/vigil/cluster/internal/atomicfile"
	"github.com/vigil-monitor/vigil/cluster/table"
)

// How a node learns that streams crash it.
//
// A crash inside FFmpeg kills the whole process, so no code of the dying process can
// record it. Instead, before a node starts a stream it writes its running set — its
// boot id and every stream (id and row version) it is about to run — atomically to
// DataDir/running.pb, and a clean Close removes the file. When a node opens and finds
// the file, the previous process died while running those streams: it adds a crash
// record (the dead boot id, the node name, the file's time) to each of those rows that
// still has the same version, and gossips them. The cause cannot be pinned on one
// stream, so every stream that was running gets a record; a stream is quarantined —
// no longer placed — only once it has MaxCrashes records within CrashWindow of each
// other (3 within 10 minutes by default). A stream that kills every node it lands on
// collects one record per victim in quick succession, while an innocent neighbour
// would have to share a node with crashing streams three times within the window.
// Assigning the stream again clears its records.

// recordCrashes reads the running set left at path by the previous process, if
// any, records a crash against each of its streams, and removes the file. It
// returns the rows that changed.
func recordCrashes(t *table.Table, path string) ([]table.Entry, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read running set: %w", err)
	}
	var rs vigilv1.RunningSet
	if err := proto.Unmarshal(b, &rs); err != nil {
		// A torn file cannot happen (atomic writes); a corrupt one is dropped.
		if err := os.Remove(path); err != nil {
			return nil, fmt.Errorf("remove corrupt running set: %w", err)
		}
		return nil, nil
	}
	var changed []table.Entry
	at := time.UnixMilli(rs.GetUpdatedUnixMs())
	for _, s := range rs.GetStreams() {
		e, ok := t.AddCrash(s.GetId(), table.VersionFromProto(s.GetVersion()),
			table.Crash{BootID: rs.GetBootId(), Node: rs.GetNode(), At: at})
		if ok {
			changed = append(changed, e)
		}
	}
	if err := os.Remove(path); err != nil {
		return nil, fmt.Errorf("remove running set: %w", err)
	}
	return changed, nil
}

// writeRunningSet persists the streams this process is about to run.
func writeRunningSet(path, node string, bootID uint64, set map[string]table.Version, now time.Time) error {
	rs := &vigilv1.RunningSet{Node: node, BootId: bootID, UpdatedUnixMs: now.UnixMilli()}
	for _, id := range slices.Sorted(maps.Keys(set)) {
		rs.Streams = append(rs.Streams, &vigilv1.RunningStream{Id: id, Version: table.VersionToProto(set[id])})
	}
	b, err := proto.Marshal(rs)
	if err != nil {
		return fmt.Errorf("encode running set: %w", err)
	}
	if err := atomicfile.Write(path, b, 0o600); err != nil {
		return fmt.Errorf("write running set: %w", err)
	}
	return nil
}
