package admin

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	reflectionpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
	"google.golang.org/grpc/status"

	"github.com/vigil-monitor/vigil/cluster"
	vigilv1 "github.com/vigil-monitor/vigil/proto/vigil/v1"
)

func spec(id, url string) *vigilv1.StreamSpec {
	return &vigilv1.StreamSpec{Id: id, Url: url}
}

// knownThresholds stands in for the actor side's check of threshold names.
func knownThresholds(s cluster.StreamSpec) error {
	for k := range s.Thresholds {
		if !strings.HasPrefix(k, "black.") {
			return fmt.Errorf("threshold %q: unknown setting (known: black.*)", k)
		}
	}
	return nil
}

func TestAssignStreamCodes(t *testing.T) {
	n := startNode(t, "solo", nodeOptions{validate: knownThresholds})
	tests := []struct {
		name     string
		req      *vigilv1.AssignStreamRequest
		code     codes.Code
		msg      string // substring of the status message
		created  bool
		wantURL  string // GetStream's url afterwards, when the call succeeds
		notFound bool   // GetStream must say NotFound afterwards (nothing stored)
	}{
		{name: "new", req: &vigilv1.AssignStreamRequest{Spec: spec("cam1", "http://example.test/a.ts")}, code: codes.OK, created: true, wantURL: "http://example.test/a.ts"},
		{name: "same spec again", req: &vigilv1.AssignStreamRequest{Spec: spec("cam1", "http://example.test/a.ts")}, code: codes.OK, wantURL: "http://example.test/a.ts"},
		{name: "different spec", req: &vigilv1.AssignStreamRequest{Spec: spec("cam1", "http://example.test/b.ts")}, code: codes.AlreadyExists, msg: `stream "cam1" exists with a different spec`},
		{name: "replace", req: &vigilv1.AssignStreamRequest{Spec: spec("cam1", "http://example.test/b.ts"), Replace: true}, code: codes.OK, wantURL: "http://example.test/b.ts"},
		{name: "no spec", req: &vigilv1.AssignStreamRequest{}, code: codes.InvalidArgument, msg: "spec is required"},
		{name: "bad id", req: &vigilv1.AssignStreamRequest{Spec: spec("../etc", "http://x/")}, code: codes.InvalidArgument, msg: `stream id "../etc": want 1-128 characters`},
		{name: "concat", req: &vigilv1.AssignStreamRequest{Spec: spec("c1", "concat:a.ts|b.ts")}, code: codes.InvalidArgument, msg: `url scheme "concat" is not allowed`, notFound: true},
		{name: "subfile", req: &vigilv1.AssignStreamRequest{Spec: spec("c2", "subfile,,start,0,end,10,,:/etc/passwd")}, code: codes.InvalidArgument, notFound: true},
		{name: "pipe", req: &vigilv1.AssignStreamRequest{Spec: spec("c3", "pipe:0")}, code: codes.InvalidArgument, msg: `url scheme "pipe" is not allowed`, notFound: true},
		{name: "data", req: &vigilv1.AssignStreamRequest{Spec: spec("c4", "data:text/plain,hi")}, code: codes.InvalidArgument, notFound: true},
		{name: "file", req: &vigilv1.AssignStreamRequest{Spec: spec("c5", "file:///etc/passwd")}, code: codes.InvalidArgument, msg: "file inputs are not allowed", notFound: true},
		{name: "unknown scheme", req: &vigilv1.AssignStreamRequest{Spec: spec("c6", "gopher://x/")}, code: codes.InvalidArgument, msg: `url scheme "gopher"`, notFound: true},
		{name: "unknown threshold", req: &vigilv1.AssignStreamRequest{Spec: &vigilv1.StreamSpec{Id: "c7", Url: "http://x/",
			Thresholds: map[string]float64{"blakc.min_duration": 2}}}, code: codes.InvalidArgument, msg: `threshold "blakc.min_duration": unknown setting`, notFound: true},
		{name: "known threshold", req: &vigilv1.AssignStreamRequest{Spec: &vigilv1.StreamSpec{Id: "c8", Url: "http://x/",
			Thresholds: map[string]float64{"black.min_duration": 2}}}, code: codes.OK, created: true, wantURL: "http://x/"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := n.client.AssignStream(ctx(t), tc.req)
			st := status.Convert(err)
			if st.Code() != tc.code || !strings.Contains(st.Message(), tc.msg) {
				t.Fatalf("AssignStream = %v %q, want %v containing %q", st.Code(), st.Message(), tc.code, tc.msg)
			}
			if err == nil && resp.GetCreated() != tc.created {
				t.Errorf("created = %v, want %v", resp.GetCreated(), tc.created)
			}
			id := tc.req.GetSpec().GetId()
			got, gerr := n.client.GetStream(ctx(t), &vigilv1.GetStreamRequest{Id: id})
			switch {
			case tc.wantURL != "" && (gerr != nil || got.GetStream().GetSpec().GetUrl() != tc.wantURL):
				t.Errorf("GetStream(%s) = %v, %v; want url %s", id, got, gerr, tc.wantURL)
			case tc.notFound && status.Code(gerr) != codes.NotFound:
				t.Errorf("GetStream(%s) after a rejected assign = %v, %v; want NotFound (nothing stored)", id, got, gerr)
			}
		})
	}
	list, err := n.client.ListStreams(ctx(t), &vigilv1.ListStreamsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, s := range list.GetStreams() {
		ids = append(ids, s.GetSpec().GetId())
	}
	if !slices.Equal(ids, []string{"c8", "cam1"}) {
		t.Errorf("ListStreams ids = %v, want [c8 cam1]: only valid specs are stored", ids)
	}
}

func TestCallCodes(t *testing.T) {
	n := startNode(t, "solo", nodeOptions{})
	if _, err := n.client.AssignStream(ctx(t), &vigilv1.AssignStreamRequest{Spec: spec("cam1", "http://example.test/a.ts")}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		call func(context.Context) error
		code codes.Code
		msg  string
	}{
		{"get missing", func(c context.Context) error {
			_, err := n.client.GetStream(c, &vigilv1.GetStreamRequest{Id: "nope"})
			return err
		}, codes.NotFound, `stream "nope"`},
		{"get without id", func(c context.Context) error {
			_, err := n.client.GetStream(c, &vigilv1.GetStreamRequest{})
			return err
		}, codes.InvalidArgument, "stream id is required"},
		{"remove missing", func(c context.Context) error {
			_, err := n.client.UnassignStream(c, &vigilv1.UnassignStreamRequest{Id: "nope"})
			return err
		}, codes.NotFound, `stream "nope"`},
		{"remove", func(c context.Context) error {
			_, err := n.client.UnassignStream(c, &vigilv1.UnassignStreamRequest{Id: "cam1"})
			return err
		}, codes.OK, ""},
		{"get removed", func(c context.Context) error {
			_, err := n.client.GetStream(c, &vigilv1.GetStreamRequest{Id: "cam1"})
			return err
		}, codes.NotFound, `stream "cam1"`},
		{"drain unknown node", func(c context.Context) error {
			_, err := n.client.DrainNode(c, &vigilv1.DrainNodeRequest{Node: "ghost"})
			return err
		}, codes.NotFound, `node "ghost" is not an alive member`},
		{"drain self", func(c context.Context) error {
			_, err := n.client.DrainNode(c, &vigilv1.DrainNodeRequest{})
			return err
		}, codes.OK, ""},
		{"watch with a bad id", func(c context.Context) error {
			w, err := n.client.WatchEvents(c, &vigilv1.WatchEventsRequest{StreamIds: []string{"a b"}})
			if err != nil {
				return err
			}
			_, err = w.Recv()
			return err
		}, codes.InvalidArgument, `stream id "a b"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st := status.Convert(tc.call(ctx(t)))
			if st.Code() != tc.code || !strings.Contains(st.Message(), tc.msg) {
				t.Fatalf("got %v %q, want %v containing %q", st.Code(), st.Message(), tc.code, tc.msg)
			}
		})
	}
	if !n.node.Draining() {
		t.Error("DrainNode with no node name did not drain the node answering")
	}
}

// TestUnavailableUntilJoined starts a node whose only seed never answers: until it
// gives up waiting (ReadyTimeout) every Admin call is Unavailable and health says
// NOT_SERVING, while reflection already answers; then both turn.
func TestUnavailableUntilJoined(t *testing.T) {
	n := startNode(t, "lonely", nodeOptions{seeds: []string{"127.0.0.1:1"}, readyTimeout: 3 * time.Second, noWait: true})
	_, err := n.client.ListStreams(ctx(t), &vigilv1.ListStreamsRequest{})
	if st := status.Convert(err); st.Code() != codes.Unavailable || !strings.Contains(st.Message(), "has not joined") {
		t.Fatalf("ListStreams before joining = %v %q, want Unavailable", st.Code(), st.Message())
	}
	w, err := n.client.WatchEvents(ctx(t), &vigilv1.WatchEventsRequest{})
	if err == nil {
		_, err = w.Recv()
	}
	if status.Code(err) != codes.Unavailable {
		t.Fatalf("WatchEvents before joining = %v, want Unavailable", err)
	}
	health := healthpb.NewHealthClient(n.conn)
	hc, err := health.Check(ctx(t), &healthpb.HealthCheckRequest{})
	if err != nil || hc.GetStatus() != healthpb.HealthCheckResponse_NOT_SERVING {
		t.Fatalf("health before joining = %v, %v; want NOT_SERVING", hc, err)
	}
	if got := listServices(t, n); len(got) == 0 {
		t.Fatal("reflection lists no service before joining")
	}
	waitFor(t, 10*time.Second, "health SERVING", func() bool {
		hc, err := health.Check(ctx(t), &healthpb.HealthCheckRequest{Service: healthService})
		return err == nil && hc.GetStatus() == healthpb.HealthCheckResponse_SERVING
	})
	if _, err := n.client.ListStreams(ctx(t), &vigilv1.ListStreamsRequest{}); err != nil {
		t.Fatalf("ListStreams once serving: %v", err)
	}
}

func listServices(tb testing.TB, n *testNode) []string {
	tb.Helper()
	rc, err := reflectionpb.NewServerReflectionClient(n.conn).ServerReflectionInfo(ctx(tb))
	if err != nil {
		tb.Fatal(err)
	}
	if err := rc.Send(&reflectionpb.ServerReflectionRequest{MessageRequest: &reflectionpb.ServerReflectionRequest_ListServices{}}); err != nil {
		tb.Fatal(err)
	}
	resp, err := rc.Recv()
	if err != nil {
		tb.Fatal(err)
	}
	var out []string
	for _, s := range resp.GetListServicesResponse().GetService() {
		out = append(out, s.GetName())
	}
	slices.Sort(out)
	return out
}

// TestReflection checks what grpcurl relies on: the service list, and the
// descriptor of the Admin service with its dependencies.
func TestReflection(t *testing.T) {
	n := startNode(t, "solo", nodeOptions{})
	got := listServices(t, n)
	for _, want := range []string{"grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection", "vigil.v1.Admin"} {
		if !slices.Contains(got, want) {
			t.Errorf("reflection lists %v, missing %s", got, want)
		}
	}
	rc, err := reflectionpb.NewServerReflectionClient(n.conn).ServerReflectionInfo(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := rc.Send(&reflectionpb.ServerReflectionRequest{MessageRequest: &reflectionpb.ServerReflectionRequest_FileContainingSymbol{
		FileContainingSymbol: "vigil.v1.Admin"}}); err != nil {
		t.Fatal(err)
	}
	resp, err := rc.Recv()
	if err != nil {
		t.Fatal(err)
	}
	if fds := resp.GetFileDescriptorResponse().GetFileDescriptorProto(); len(fds) < 2 {
		t.Errorf("descriptor of vigil.v1.Admin: %d files, want admin.proto and its import stream.proto", len(fds))
	}
}

// TestStreamsAndMembersOnEveryNode assigns on one node and reads on the others.
func TestStreamsAndMembersOnEveryNode(t *testing.T) {
	nodes := startCluster(t, 3)
	for i := range 6 {
		if _, err := nodes[0].client.AssignStream(ctx(t), &vigilv1.AssignStreamRequest{Spec: spec(fmt.Sprintf("s%d", i), "http://example.test/live.ts")}); err != nil {
			t.Fatal(err)
		}
	}
	for _, n := range nodes {
		waitFor(t, 10*time.Second, "every stream running, seen from "+n.node.Name(), func() bool {
			resp, err := n.client.ListStreams(ctx(t), &vigilv1.ListStreamsRequest{})
			if err != nil || len(resp.GetStreams()) != 6 {
				return false
			}
			for _, s := range resp.GetStreams() {
				if s.GetState() != vigilv1.StreamState_STREAM_STATE_RUNNING || s.GetOwner() == "" || s.GetRunningSinceUnixMs() == 0 ||
					!slices.Equal(s.GetRunners(), []string{s.GetOwner()}) {
					return false
				}
			}
			return true
		})
		resp, err := n.client.ListMembers(ctx(t), &vigilv1.ListMembersRequest{})
		if err != nil {
			t.Fatal(err)
		}
		total := 0
		for _, m := range resp.GetMembers() {
			total += int(m.GetStreams())
			if m.GetIsSelf() != (m.GetName() == n.node.Name()) {
				t.Errorf("%s: member %s is_self = %v", n.node.Name(), m.GetName(), m.GetIsSelf())
			}
			if m.GetMeta().GetAdminAddr() == "" {
				t.Errorf("%s: member %s has no admin address", n.node.Name(), m.GetName())
			}
		}
		if len(resp.GetMembers()) != 3 || total != 6 {
			t.Errorf("%s: %d members owning %d streams, want 3 owning 6", n.node.Name(), len(resp.GetMembers()), total)
		}
	}
}

// TestDrainRemoteNode drains a node through another one: its streams move off
// (the old owner stops only once the new one decodes), and undrain lets it take
// streams again.
func TestDrainRemoteNode(t *testing.T) {
	nodes := startCluster(t, 2)
	for i := range 8 {
		if _, err := nodes[0].client.AssignStream(ctx(t), &vigilv1.AssignStreamRequest{Spec: spec(fmt.Sprintf("s%d", i), "http://example.test/live.ts")}); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, 10*time.Second, "both nodes running streams", func() bool {
		return len(nodes[0].runner.running()) > 0 && len(nodes[1].runner.running()) > 0 &&
			len(nodes[0].runner.running())+len(nodes[1].runner.running()) == 8
	})
	if _, err := nodes[0].client.DrainNode(ctx(t), &vigilv1.DrainNodeRequest{Node: "n1"}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "n1 empty", func() bool {
		return len(nodes[1].runner.running()) == 0 && len(nodes[0].runner.running()) == 8
	})
	resp, err := nodes[0].client.ListMembers(ctx(t), &vigilv1.ListMembersRequest{})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range resp.GetMembers() {
		if m.GetName() == "n1" && (!m.GetMeta().GetDraining() || m.GetStreams() != 0) {
			t.Errorf("n1 after drain: draining %v, %d streams", m.GetMeta().GetDraining(), m.GetStreams())
		}
	}
	if _, err := nodes[0].client.DrainNode(ctx(t), &vigilv1.DrainNodeRequest{Node: "n1", Undrain: true}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "n1 running streams again", func() bool { return len(nodes[1].runner.running()) > 0 })
}

// recvEvent receives the next event of a watch, skipping nothing.
func recvEvent(tb testing.TB, w vigilv1.Admin_WatchEventsClient) *vigilv1.WatchEventsResponse {
	tb.Helper()
	m, err := w.Recv()
	if err != nil {
		tb.Fatalf("watch: %v", err)
	}
	return m
}

// TestWatchEventsAcrossNodes publishes events on one node (as its actor side does)
// and watches them on another: live first, then in a new watch's snapshot of open
// defects, then the end of the defect live again.
func TestWatchEventsAcrossNodes(t *testing.T) {
	nodes := startCluster(t, 2)
	a, b := nodes[0], nodes[1]
	w1, err := a.client.WatchEvents(ctx(t), &vigilv1.WatchEventsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if m := recvEvent(t, w1); m.GetSnapshotEnd() == nil {
		t.Fatalf("first message of an empty cluster's watch = %v, want snapshot_end", m)
	}
	start := &vigilv1.DefectEvent{StreamId: "cam7", Type: "black", Start: 12.5, StartedAtUnixMs: 1_700_000_000_000, Epoch: 42, Score: 1}
	b.node.PublishEvent(start)
	if m := recvEvent(t, w1); m.GetEvent().GetStreamId() != "cam7" || m.GetEvent().GetOwner() != "n1" || m.GetEvent().GetEnded() {
		t.Fatalf("live event on n0 = %v, want the start of cam7's black on n1", m)
	}

	// A filtered watch on n0 opened now has the open defect in its snapshot.
	w2, err := a.client.WatchEvents(ctx(t), &vigilv1.WatchEventsRequest{StreamIds: []string{"cam7"}})
	if err != nil {
		t.Fatal(err)
	}
	if m := recvEvent(t, w2); m.GetEvent().GetType() != "black" || m.GetEvent().GetEpoch() != 42 {
		t.Fatalf("snapshot = %v, want cam7's open black defect", m)
	}
	if m := recvEvent(t, w2); m.GetSnapshotEnd() == nil {
		t.Fatalf("after the snapshot: %v, want snapshot_end", m)
	}
	// A watch that skips the snapshot starts with the marker.
	w3, err := a.client.WatchEvents(ctx(t), &vigilv1.WatchEventsRequest{SkipSnapshot: true})
	if err != nil {
		t.Fatal(err)
	}
	if m := recvEvent(t, w3); m.GetSnapshotEnd() == nil {
		t.Fatalf("skip_snapshot watch began with %v, want snapshot_end", m)
	}
	b.node.PublishEvent(&vigilv1.DefectEvent{StreamId: "other", Type: "freeze", Start: 1, StartedAtUnixMs: 1_700_000_001_000, Epoch: 9})
	end := &vigilv1.DefectEvent{StreamId: "cam7", Type: "black", Ended: true, Start: 12.5, End: 15, StartedAtUnixMs: 1_700_000_000_000,
		EndedAtUnixMs: 1_700_000_002_500, Epoch: 42, Score: 1}
	b.node.PublishEvent(end)
	if m := recvEvent(t, w2); !m.GetEvent().GetEnded() || m.GetEvent().GetStreamId() != "cam7" {
		t.Fatalf("filtered watch got %v, want the end of cam7's defect (and not stream other's)", m)
	}
	// Events travel between nodes on parallel connections: their order across
	// streams is not kept.
	var got []string
	for range 2 {
		got = append(got, recvEvent(t, w3).GetEvent().GetStreamId())
	}
	slices.Sort(got)
	if !slices.Equal(got, []string{"cam7", "other"}) {
		t.Fatalf("unfiltered watch got events of %v, want one of cam7 and one of other", got)
	}
}

// TestStopEndsWatches checks that Stop ends open watches with Unavailable and
// returns without waiting for the client.
func TestStopEndsWatches(t *testing.T) {
	n := startNode(t, "solo", nodeOptions{})
	w, err := n.client.WatchEvents(ctx(t), &vigilv1.WatchEventsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if m := recvEvent(t, w); m.GetSnapshotEnd() == nil {
		t.Fatalf("first message %v, want snapshot_end", m)
	}
	stopped := make(chan struct{})
	go func() {
		c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		n.server.Stop(c)
		close(stopped)
	}()
	_, err = w.Recv()
	if st := status.Convert(err); st.Code() != codes.Unavailable || !strings.Contains(st.Message(), "shutting down") {
		t.Fatalf("watch after Stop: %v, want Unavailable (shutting down)", err)
	}
	select {
	case <-stopped:
	case <-time.After(5 * time.Second):
		t.Fatal("Stop did not return within 5 s")
	}
	n.server.Stop(context.Background()) // idempotent
}

func TestToStatus(t *testing.T) {
	tests := []struct {
		name string
		err  error
		code codes.Code
		msg  string
	}{
		{"invalid", fmt.Errorf("%w: url scheme %q is not allowed", cluster.ErrInvalid, "concat"), codes.InvalidArgument, `url scheme "concat" is not allowed`},
		{"not found", fmt.Errorf("%w: stream %q", cluster.ErrNotFound, "x"), codes.NotFound, `stream "x"`},
		{"exists", fmt.Errorf("%w: stream %q", cluster.ErrExists, "x"), codes.AlreadyExists, `stream "x"`},
		{"not ready, bare", cluster.ErrNotReady, codes.Unavailable, "has not joined the cluster yet"},
		{"closed", cluster.ErrClosed, codes.Unavailable, "shutting down"},
		{"slow watcher", cluster.ErrSlowWatcher, codes.ResourceExhausted, "watch again"},
		{"canceled", context.Canceled, codes.Canceled, "canceled"},
		{"other", errors.New("disk on fire"), codes.Internal, "disk on fire"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st := status.Convert(toStatus(tc.err))
			if st.Code() != tc.code || !strings.Contains(st.Message(), tc.msg) {
				t.Fatalf("toStatus(%v) = %v %q, want %v containing %q", tc.err, st.Code(), st.Message(), tc.code, tc.msg)
			}
		})
	}
	if toStatus(nil) != nil {
		t.Error("toStatus(nil) != nil")
	}
}
