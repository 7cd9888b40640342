package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	vigilv1 "github.com/vigil-monitor/vigil/proto/vigil/v1"
)

// defaultAdminAddr is where the agent serves its admin API unless told otherwise.
const defaultAdminAddr = "127.0.0.1:7070"

// clientFlags are the flags every admin command shares.
type clientFlags struct {
	addr    string
	json    bool
	timeout time.Duration
}

// clientEnv names the flags an admin command reads from the environment: only
// these, so that an agent's VIGIL_STREAM or VIGIL_THRESHOLD in the same
// environment do not leak into a client's flags of the same name.
var clientEnv = map[string]bool{"addr": true, "json": true, "timeout": true}

func (c *clientFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&c.addr, "addr", defaultAdminAddr, "admin address of any vigil agent, host:port")
	fs.BoolVar(&c.json, "json", false, "print JSON instead of a table")
	fs.DurationVar(&c.timeout, "timeout", 10*time.Second, "give up on a call after this long")
}

// parseClientFlags parses args, allowing flags before, between and after the
// positional arguments (everything after "--" is positional), then fills the
// shared client flags from VIGIL_ADDR, VIGIL_JSON and VIGIL_TIMEOUT. It returns the
// positional arguments.
func parseClientFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if err == flag.ErrHelp {
				return nil, errHelp
			}
			return nil, errUsage
		}
		rest := fs.Args()
		if len(rest) == 0 {
			break
		}
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			pos = append(pos, rest...)
			break
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
	return pos, applyEnv(fs, clientEnv)
}

// adminConn is an open client of the admin API.
type adminConn struct {
	flags  *clientFlags
	conn   *grpc.ClientConn
	client vigilv1.AdminClient
}

// dial prepares a client of the admin API at c.addr; nothing is sent until the
// first call, which fails at once if no agent answers.
func (c *clientFlags) dial() (*adminConn, error) {
	conn, err := grpc.NewClient(c.addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return nil, fmt.Errorf("--addr %q: %w", c.addr, err)
	}
	return &adminConn{flags: c, conn: conn, client: vigilv1.NewAdminClient(conn)}, nil
}

func (a *adminConn) Close() error { return a.conn.Close() }

// call returns a context for one call, bounded by --timeout.
func (a *adminConn) call(ctx context.Context) (context.Context, context.CancelFunc) {
	if a.flags.timeout <= 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, a.flags.timeout)
}

// explain turns a failed call into an error that says what went wrong and, where
// it can, what to do: "streams assign: invalid argument: url scheme …".
func (a *adminConn) explain(what string, err error) error {
	st, ok := status.FromError(err)
	if !ok {
		return fmt.Errorf("%s: %w", what, err)
	}
	msg := st.Message()
	switch st.Code() {
	case codes.Unavailable:
		if cause, ok := transportFailure(msg); ok {
			return fmt.Errorf("%s: cannot reach a vigil agent at %s: %s (is `vigil agent` running there? set --addr or VIGIL_ADDR)",
				what, a.flags.addr, cause)
		}
	case codes.DeadlineExceeded:
		return fmt.Errorf("%s: no answer from %s within %v (raise --timeout?)", what, a.flags.addr, a.flags.timeout)
	case codes.Canceled:
		return fmt.Errorf("%s: %w", what, context.Canceled)
	case codes.Unimplemented:
		return fmt.Errorf("%s: the server at %s does not offer this call (is it a vigil agent of this version?): %s", what, a.flags.addr, msg)
	}
	return fmt.Errorf("%s: %s: %s", what, codeWords(st.Code()), msg)
}

// transportFailure reports whether an Unavailable message comes from the client's
// transport (nothing answered) rather than from the agent, with a short cause.
func transportFailure(msg string) (string, bool) {
	for _, cause := range []string{"connection refused", "no such host", "i/o timeout", "connection reset by peer",
		"network is unreachable", "no route to host"} {
		if strings.Contains(msg, cause) {
			return cause, true
		}
	}
	for _, marker := range []string{"connection error", "name resolver", "produced zero addresses", "error reading server preface"} {
		if strings.Contains(msg, marker) {
			return msg, true
		}
	}
	return "", false
}

// codeWords names a gRPC code the way the CLI prints it.
func codeWords(c codes.Code) string {
	switch c {
	case codes.InvalidArgument:
		return "invalid argument"
	case codes.NotFound:
		return "not found"
	case codes.AlreadyExists:
		return "already exists"
	case codes.ResourceExhausted:
		return "resource exhausted"
	case codes.PermissionDenied:
		return "permission denied"
	case codes.FailedPrecondition:
		return "failed precondition"
	case codes.Internal:
		return "internal error"
	}
	return strings.ToLower(c.String())
}

// isCanceled reports whether err is the end of a call the user interrupted.
func isCanceled(err error) bool {
	return errors.Is(err, context.Canceled) || status.Code(err) == codes.Canceled
}
