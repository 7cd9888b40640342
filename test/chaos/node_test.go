//go:build chaos

package chaos

import (
	"context"
	"fmt"
	"net"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	vigilv1 "github.com/vigil-monitor/vigil/proto/vigil/v1"
)

// callTimeout bounds one admin call from the suite.
const callTimeout = 3 * time.Second

// node is one vigil service of the compose project. The suite reaches its admin API
// (7070) and metrics (8080) at its container's address on the project network,
// which the host routes to; the address is looked up again after every (re)start.
type node struct {
	name string // service name and node name: vigil1 … vigil5

	mu     sync.Mutex
	id     string // container id
	ip     string
	pid    int // the container's init process, for nsenter
	status nodeStatus
	conn   *grpc.ClientConn
	client vigilv1.AdminClient
}

// nodeStatus is what the suite last did to a node.
type nodeStatus int

const (
	nodeUp     nodeStatus = iota
	nodeDown              // killed or stopped
	nodePaused            // frozen by docker pause
)

func (s nodeStatus) String() string { return [...]string{"up", "down", "paused"}[s] }

func (n *node) String() string { return n.name }

// refresh looks the container up again (after a start: new address and pid) and
// redials the admin API if the address changed.
func (n *node) refresh(dc *compose) error {
	id, err := dc.containerID(n.name)
	if err != nil {
		return err
	}
	st, err := inspect(id)
	if err != nil {
		return err
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	n.id, n.pid = id, st.Pid
	if st.IP != "" && st.IP != n.ip || n.conn == nil {
		if n.conn != nil {
			n.conn.Close()
		}
		n.ip = st.IP
		conn, err := grpc.NewClient(net.JoinHostPort(n.ip, "7070"), grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			return fmt.Errorf("%s: dial: %w", n.name, err)
		}
		n.conn, n.client = conn, vigilv1.NewAdminClient(conn)
	}
	return nil
}

func (n *node) close() {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.conn != nil {
		n.conn.Close()
		n.conn, n.client = nil, nil
	}
}

func (n *node) setStatus(s nodeStatus) {
	n.mu.Lock()
	n.status = s
	n.mu.Unlock()
}

func (n *node) getStatus() nodeStatus {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.status
}

func (n *node) admin() vigilv1.AdminClient {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.client
}

func (n *node) addr() (ip string, pid int, id string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.ip, n.pid, n.id
}

// list returns the node's view of the streams.
func (n *node) list(ctx context.Context) ([]*vigilv1.Stream, error) {
	c := n.admin()
	if c == nil {
		return nil, fmt.Errorf("%s: no client", n.name)
	}
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	resp, err := c.ListStreams(ctx, &vigilv1.ListStreamsRequest{})
	if err != nil {
		return nil, fmt.Errorf("%s: list streams: %w", n.name, err)
	}
	return resp.GetStreams(), nil
}

// members returns the node's view of the members.
func (n *node) members(ctx context.Context) ([]*vigilv1.Member, error) {
	c := n.admin()
	if c == nil {
		return nil, fmt.Errorf("%s: no client", n.name)
	}
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	resp, err := c.ListMembers(ctx, &vigilv1.ListMembersRequest{})
	if err != nil {
		return nil, fmt.Errorf("%s: list members: %w", n.name, err)
	}
	return resp.GetMembers(), nil
}
