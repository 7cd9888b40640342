// Package admin serves vigil's admin gRPC API (vigil.v1.Admin) over a cluster.Node,
// together with the standard grpc.health.v1 health service and server reflection
// (so that generic tools such as grpcurl can list and call it).
//
// It is the only place that maps the cluster's errors to gRPC status codes:
// cluster.ErrInvalid → InvalidArgument, ErrNotFound → NotFound, ErrExists →
// AlreadyExists, ErrNotReady and ErrClosed → Unavailable. Every Admin call made
// before the node has joined the cluster fails with Unavailable.
package admin

import (
	"context"
	"io"
	"log/slog"
	"net"
	"sync"

	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/reflection"

	"github.com/vigil-monitor/vigil/cluster"
	vigilv1 "github.com/vigil-monitor/vigil/proto/vigil/v1"
)

// Config configures a Server. The zero value is usable.
type Config struct {
	// Logger receives one debug line per call and one info line per failed call
	// (nil: no logs).
	Logger *slog.Logger
	// Validate, when set, checks a spec before AssignStream stores it, beyond what
	// the cluster checks itself (the actor side knows, for example, which detector
	// threshold names exist). Its error is reported as InvalidArgument with the
	// error's text (without the sentinel's when it wraps cluster.ErrInvalid), so it
	// should say what to fix. It may be called concurrently.
	Validate func(cluster.StreamSpec) error
	// ServerOptions are passed to grpc.NewServer (credentials, keepalive …) after
	// the server's own interceptors.
	ServerOptions []grpc.ServerOption
}

// Server is the admin gRPC server of one node. Serve it on a listener; Stop ends
// it. Its methods are safe for concurrent use.
type Server struct {
	node   *cluster.Node
	cfg    Config
	log    *slog.Logger
	grpc   *grpc.Server
	health *health.Server

	stopping chan struct{} // closed by Stop: ends watches and the health goroutine
	stopOnce sync.Once
	wg       sync.WaitGroup
}

// healthService is the service name the health service reports besides "" (the
// whole server).
const healthService = "vigil.v1.Admin"

// New returns a server for node. The health service reports NOT_SERVING until the
// node has joined the cluster, SERVING from then until the node closes or Stop.
func New(node *cluster.Node, cfg Config) *Server {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	s := &Server{
		node:     node,
		cfg:      cfg,
		log:      log.With("component", "admin", "node", node.Name()),
		health:   health.NewServer(),
		stopping: make(chan struct{}),
	}
	opts := append([]grpc.ServerOption{
		grpc.ChainUnaryInterceptor(s.logUnary, s.readyUnary),
		grpc.ChainStreamInterceptor(s.logStream, s.readyStream),
	}, cfg.ServerOptions...)
	s.grpc = grpc.NewServer(opts...)
	vigilv1.RegisterAdminServer(s.grpc, &service{node: node, validate: cfg.Validate, stopping: s.stopping})
	healthpb.RegisterHealthServer(s.grpc, s.health)
	reflection.Register(s.grpc)
	s.setServing(healthpb.HealthCheckResponse_NOT_SERVING)
	s.wg.Go(s.watchHealth)
	return s
}

// Serve accepts connections on ln until Stop; it returns nil after Stop.
func (s *Server) Serve(ln net.Listener) error {
	return s.grpc.Serve(ln)
}

// Stop ends the server: event watches end (Unavailable), health turns
// NOT_SERVING, calls in flight may finish until ctx ends, then every connection is
// closed. It is idempotent.
func (s *Server) Stop(ctx context.Context) {
	s.stopOnce.Do(func() {
		close(s.stopping)
		s.wg.Wait()
		s.health.Shutdown()
		done := make(chan struct{})
		go func() {
			s.grpc.GracefulStop()
			close(done)
		}()
		select {
		case <-done:
		case <-ctx.Done():
			s.grpc.Stop() // ends health watches and other calls still open
			<-done
		}
	})
}

// watchHealth turns the health status SERVING once the node has joined, and back
// to NOT_SERVING when the node closes.
func (s *Server) watchHealth() {
	select {
	case <-s.node.Ready():
	case <-s.stopping:
		return
	}
	changes, cancel := s.node.Changes()
	defer cancel()
	s.setServing(healthpb.HealthCheckResponse_SERVING)
	s.log.Debug("serving")
	for {
		select {
		case _, ok := <-changes:
			if !ok { // the node closed
				s.setServing(healthpb.HealthCheckResponse_NOT_SERVING)
				return
			}
		case <-s.stopping:
			return
		}
	}
}

func (s *Server) setServing(st healthpb.HealthCheckResponse_ServingStatus) {
	s.health.SetServingStatus("", st)
	s.health.SetServingStatus(healthService, st)
}
