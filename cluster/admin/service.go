package admin

import (
	"context"
	"errors"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/vigil-monitor/vigil/cluster"
	"github.com/vigil-monitor/vigil/cluster/table"
	vigilv1 "github.com/vigil-monitor/vigil/proto/vigil/v1"
)

// service implements vigil.v1.Admin over a cluster.Node.
type service struct {
	vigilv1.UnimplementedAdminServer
	node     *cluster.Node
	validate func(cluster.StreamSpec) error
	stopping <-chan struct{}
}

var _ vigilv1.AdminServer = (*service)(nil)

// AssignStream implements vigil.v1.Admin. Everything is validated before anything
// is stored: the cluster's checks (id, URL policy, sizes) and then the extra ones
// of Config.Validate.
func (s *service) AssignStream(_ context.Context, req *vigilv1.AssignStreamRequest) (*vigilv1.AssignStreamResponse, error) {
	if req.GetSpec() == nil {
		return nil, status.Error(codes.InvalidArgument, "spec is required (id and url)")
	}
	spec := table.SpecFromProto(req.GetSpec())
	if err := cluster.ValidateID(spec.ID); err != nil {
		return nil, toStatus(err)
	}
	if s.validate != nil {
		if err := s.validate(spec); err != nil {
			if errors.Is(err, cluster.ErrInvalid) {
				return nil, toStatus(err)
			}
			return nil, status.Error(codes.InvalidArgument, err.Error())
		}
	}
	st, created, err := s.node.Assign(spec, req.GetReplace())
	if errors.Is(err, cluster.ErrExists) {
		return nil, status.Errorf(codes.AlreadyExists,
			"stream %q exists with a different spec; set replace to overwrite it", spec.ID)
	}
	if err != nil {
		return nil, toStatus(err)
	}
	return &vigilv1.AssignStreamResponse{Stream: st.Proto(), Created: created}, nil
}

// UnassignStream implements vigil.v1.Admin.
func (s *service) UnassignStream(_ context.Context, req *vigilv1.UnassignStreamRequest) (*vigilv1.UnassignStreamResponse, error) {
	if err := requireID(req.GetId()); err != nil {
		return nil, err
	}
	if err := s.node.Unassign(req.GetId()); err != nil {
		return nil, toStatus(err)
	}
	return &vigilv1.UnassignStreamResponse{}, nil
}

// GetStream implements vigil.v1.Admin.
func (s *service) GetStream(_ context.Context, req *vigilv1.GetStreamRequest) (*vigilv1.GetStreamResponse, error) {
	if err := requireID(req.GetId()); err != nil {
		return nil, err
	}
	st, err := s.node.Get(req.GetId())
	if err != nil {
		return nil, toStatus(err)
	}
	return &vigilv1.GetStreamResponse{Stream: st.Proto()}, nil
}

// ListStreams implements vigil.v1.Admin.
func (s *service) ListStreams(context.Context, *vigilv1.ListStreamsRequest) (*vigilv1.ListStreamsResponse, error) {
	all := s.node.List()
	resp := &vigilv1.ListStreamsResponse{Streams: make([]*vigilv1.Stream, 0, len(all))}
	for _, st := range all {
		resp.Streams = append(resp.Streams, st.Proto())
	}
	return resp, nil
}

// ListMembers implements vigil.v1.Admin.
func (s *service) ListMembers(context.Context, *vigilv1.ListMembersRequest) (*vigilv1.ListMembersResponse, error) {
	all := s.node.Members()
	resp := &vigilv1.ListMembersResponse{Members: make([]*vigilv1.Member, 0, len(all))}
	for _, m := range all {
		resp.Members = append(resp.Members, m.Proto())
	}
	return resp, nil
}

// DrainNode implements vigil.v1.Admin.
func (s *service) DrainNode(ctx context.Context, req *vigilv1.DrainNodeRequest) (*vigilv1.DrainNodeResponse, error) {
	err := s.node.Drain(ctx, req.GetNode(), req.GetUndrain())
	if errors.Is(err, cluster.ErrNotFound) {
		return nil, status.Errorf(codes.NotFound, "node %q is not an alive member of the cluster", req.GetNode())
	}
	if err != nil {
		return nil, toStatus(err)
	}
	return &vigilv1.DrainNodeResponse{}, nil
}

// WatchEvents implements vigil.v1.Admin: the defects open anywhere in the cluster
// (unless skip_snapshot), a snapshot_end marker, then every new event until the
// client goes away or the server stops.
func (s *service) WatchEvents(req *vigilv1.WatchEventsRequest, stream grpc.ServerStreamingServer[vigilv1.WatchEventsResponse]) error {
	for _, id := range req.GetStreamIds() {
		if err := cluster.ValidateID(id); err != nil {
			return toStatus(err)
		}
	}
	w, err := s.node.WatchEvents(req.GetStreamIds())
	if err != nil {
		return toStatus(err)
	}
	defer w.Close()
	send := func(e *vigilv1.DefectEvent) error {
		return stream.Send(&vigilv1.WatchEventsResponse{Kind: &vigilv1.WatchEventsResponse_Event{Event: e}})
	}
	if !req.GetSkipSnapshot() {
		for _, e := range w.Snapshot {
			if err := send(e); err != nil {
				return err
			}
		}
	}
	if err := stream.Send(&vigilv1.WatchEventsResponse{Kind: &vigilv1.WatchEventsResponse_SnapshotEnd{SnapshotEnd: &vigilv1.SnapshotEnd{}}}); err != nil {
		return err
	}
	ctx := stream.Context()
	for {
		select {
		case <-ctx.Done():
			return toStatus(ctx.Err())
		case <-s.stopping:
			return status.Error(codes.Unavailable, "the admin server is shutting down; watch again (on another node)")
		case e, ok := <-w.C:
			if !ok {
				if err := w.Err(); err != nil {
					return toStatus(err)
				}
				return status.Error(codes.Unavailable, "the watch ended")
			}
			if err := send(e); err != nil {
				return err
			}
		}
	}
}

// requireID checks an id argument.
func requireID(id string) error {
	if id == "" {
		return status.Error(codes.InvalidArgument, "stream id is required")
	}
	if err := cluster.ValidateID(id); err != nil {
		return toStatus(err)
	}
	return nil
}
