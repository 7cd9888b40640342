package admin

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
)

// adminPrefix is the full-method prefix of the Admin service's calls.
const adminPrefix = "/vigil.v1.Admin/"

// readyUnary fails Admin calls with Unavailable until the node has joined.
func (s *Server) readyUnary(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
	if err := s.checkReady(info.FullMethod); err != nil {
		return nil, err
	}
	return h(ctx, req)
}

// readyStream fails Admin streams with Unavailable until the node has joined.
func (s *Server) readyStream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, h grpc.StreamHandler) error {
	if err := s.checkReady(info.FullMethod); err != nil {
		return err
	}
	return h(srv, ss)
}

func (s *Server) checkReady(method string) error {
	if !strings.HasPrefix(method, adminPrefix) {
		return nil // health and reflection answer at any time
	}
	select {
	case <-s.node.Ready():
		return nil
	default:
		return status.Errorf(codes.Unavailable, "node %q has not joined the cluster yet; retry in a few seconds", s.node.Name())
	}
}

// logUnary logs every call at debug and every failed call at info.
func (s *Server) logUnary(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
	start := time.Now()
	resp, err := h(ctx, req)
	s.logCall(ctx, info.FullMethod, start, err)
	return resp, err
}

// logStream logs every stream when it ends, like logUnary.
func (s *Server) logStream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, h grpc.StreamHandler) error {
	start := time.Now()
	s.log.Debug("admin stream opened", "method", info.FullMethod, "peer", peerAddr(ss.Context()))
	err := h(srv, ss)
	s.logCall(ss.Context(), info.FullMethod, start, err)
	return err
}

func (s *Server) logCall(ctx context.Context, method string, start time.Time, err error) {
	attrs := []any{"method", method, "peer", peerAddr(ctx), "duration", time.Since(start).Round(time.Microsecond)}
	if err == nil {
		s.log.Debug("admin call", attrs...)
		return
	}
	st := status.Convert(err)
	level := slog.LevelInfo
	if st.Code() == codes.Canceled {
		level = slog.LevelDebug // the client went away: the usual end of a watch
	}
	s.log.Log(ctx, level, "admin call failed", append(attrs, "code", st.Code().String(), "err", st.Message())...)
}

func peerAddr(ctx context.Context) string {
	if p, ok := peer.FromContext(ctx); ok && p.Addr != nil {
		return p.Addr.String()
	}
	return ""
}
