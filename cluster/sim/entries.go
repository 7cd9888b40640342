package sim

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"google.golang.org/protobuf/proto"

	vigilv1 "github.com/vigil-monitor/vigil/proto/vigil/v1"

	"github.com/vigil-monitor/vigil/cluster/hlc"
	"github.com/vigil-monitor/vigil/cluster/table"
)

// Shape describes the streams whose rows are sized.
type Shape struct {
	// Name labels the shape in tables.
	Name string
	// Spec returns stream i.
	Spec func(i int) table.Spec
}

// SimShape is the simulation's own streams: short ids and URLs.
var SimShape = Shape{Name: "simulation (`ch00042`, `http://127.0.0.1:8000/ch/42.ts`)", Spec: simSpec}

func simSpec(i int) table.Spec {
	return table.Spec{ID: fmt.Sprintf("ch%05d", i), URL: fmt.Sprintf("http://127.0.0.1:8000/ch/%d.ts", i)}
}

// TypicalShape is an assumed production stream: a 21-byte id, an 83-byte SRT URL and
// two labels.
var TypicalShape = Shape{
	Name: "assumed production (21-byte id, 83-byte URL, 2 labels)",
	Spec: func(i int) table.Spec {
		return table.Spec{
			ID:     fmt.Sprintf("eu-west/channel-%05d", i),
			URL:    fmt.Sprintf("srt://ingest-eu-west-1.example.net:9000?streamid=#!::r=live/channel-%05d,m=request", i),
			Labels: map[string]string{"region": "eu-west", "tier": "premium"},
		}
	},
}

// EntrySizes is what one stream costs in the table, measured by encoding real rows.
type EntrySizes struct {
	// Shape is what was sized.
	Shape string
	// Rows is how many rows the per-row figures are averaged over.
	Rows int
	// File is bytes per row of the persisted table (DATA_DIR/table.pb).
	File float64
	// PushPull is bytes per row of the table part of a push/pull payload.
	PushPull float64
	// Delta is the bytes of one gossiped row (the whole broadcast message).
	Delta float64
	// Heap is Go heap bytes per row held by a table.
	Heap float64
	// Status is bytes per run in a node's full status (push/pull): a running stream.
	Status float64
	// Event is the bytes of one defect event message (sent to every member).
	Event float64
}

// MeasureEntries builds a table of rows streams of shape, written by the node named
// writer (row versions carry its name), as a node holds it, and measures its
// encodings. dir is a scratch directory.
func MeasureEntries(shape Shape, rows int, writer, dir string) (EntrySizes, error) {
	es := EntrySizes{Shape: shape.Name, Rows: rows}
	specs := make([]table.Spec, rows)
	for i := range specs {
		specs[i] = shape.Spec(i)
	}
	var m0, m1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m0)
	t := table.New(writer, hlc.New(time.Now))
	for _, s := range specs {
		t.Put(s)
	}
	runtime.GC()
	runtime.ReadMemStats(&m1)
	es.Heap = (float64(m1.HeapAlloc) - float64(m0.HeapAlloc)) / float64(rows)
	runtime.KeepAlive(t)

	path := filepath.Join(dir, "table.pb")
	if err := t.Save(path, time.Now()); err != nil {
		return es, err
	}
	fi, err := os.Stat(path)
	if err != nil {
		return es, fmt.Errorf("sim: %w", err)
	}
	es.File = float64(fi.Size()) / float64(rows)

	st := &vigilv1.FullState{}
	for _, e := range t.All() {
		st.Entries = append(st.Entries, table.ToProto(e))
	}
	es.PushPull = float64(proto.Size(st)) / float64(rows)

	e, _ := t.Get(specs[rows/2].ID)
	es.Delta = float64(proto.Size(&vigilv1.Envelope{Kind: &vigilv1.Envelope_TableDelta{
		TableDelta: &vigilv1.TableDelta{Entries: []*vigilv1.TableEntry{table.ToProto(e)}}}}))

	now := time.Now()
	u := &vigilv1.StatusUpdate{Node: "node017", Seq: 123456, Full: true, BootId: 0x1234567890abcdef}
	const runs = 100
	for i := range runs {
		u.Runs = append(u.Runs, &vigilv1.RunStatus{Id: specs[i%rows].ID, Epoch: uint64(now.UnixMilli())<<16 | 7,
			State: vigilv1.StreamState_STREAM_STATE_RUNNING, RunningSinceUnixMs: now.UnixMilli(), Defects: 3})
	}
	es.Status = float64(proto.Size(&vigilv1.FullState{Status: u})) / runs

	es.Event = float64(proto.Size(&vigilv1.Envelope{Kind: &vigilv1.Envelope_Events{Events: &vigilv1.DefectEvents{
		Events: []*vigilv1.DefectEvent{{StreamId: specs[0].ID, Type: "freeze", Ended: true, Start: 1234.5, End: 1240.25,
			StartedAtUnixMs: now.UnixMilli(), EndedAtUnixMs: now.UnixMilli() + 5750, Score: 0.97,
			Severity: vigilv1.Severity_SEVERITY_ERROR, Value: 5.75, Detail: "picture unchanged for 5.8 s",
			Owner: "node017", Epoch: uint64(now.UnixMilli())<<16 | 7}}}}}))
	return es, nil
}
