package admin

import (
	"context"
	"errors"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/vigil-monitor/vigil/cluster"
)

// sentinels maps the cluster's sentinel errors to gRPC codes, with the message to
// use when the error says nothing beyond the sentinel.
var sentinels = []struct {
	err  error
	code codes.Code
	bare string
}{
	{cluster.ErrInvalid, codes.InvalidArgument, "invalid argument"},
	{cluster.ErrNotFound, codes.NotFound, "not found"},
	{cluster.ErrExists, codes.AlreadyExists, "exists with a different spec"},
	{cluster.ErrNotReady, codes.Unavailable, "the node has not joined the cluster yet; retry in a few seconds"},
	{cluster.ErrClosed, codes.Unavailable, "the node is shutting down; ask another node"},
	{cluster.ErrSlowWatcher, codes.ResourceExhausted, "the watch fell too far behind the events; watch again"},
}

// toStatus converts an error of the cluster.Node API to a gRPC status error whose
// message is the error's own text without the package and sentinel prefixes (for
// example `url scheme "concat" is not allowed`): the code already says which
// sentinel it was. Errors the cluster does not define become Internal.
func toStatus(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := status.FromError(err); ok {
		return err
	}
	switch {
	case errors.Is(err, context.Canceled):
		return status.Error(codes.Canceled, err.Error())
	case errors.Is(err, context.DeadlineExceeded):
		return status.Error(codes.DeadlineExceeded, err.Error())
	}
	for _, s := range sentinels {
		if errors.Is(err, s.err) {
			return status.Error(s.code, detail(err, s.err, s.bare))
		}
	}
	return status.Error(codes.Internal, err.Error())
}

// detail strips the sentinel's text from the front of err's ("cluster: invalid
// argument: url …" → "url …"); bare stands in when nothing is left.
func detail(err, sentinel error, bare string) string {
	msg := err.Error()
	if rest, ok := strings.CutPrefix(msg, sentinel.Error()); ok {
		msg = strings.TrimPrefix(rest, ": ")
	}
	if msg == "" {
		return bare
	}
	return msg
}
