package admin

import (
	"context"
	"io"
	"log/slog"
	"net"
	"os"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/vigil-monitor/vigil/cluster"
	vigilv1 "github.com/vigil-monitor/vigil/proto/vigil/v1"
)

// memRunner is an in-memory cluster.Runner (the real one lives in actors/, which
// cluster/ may not import): a run reports its first frame firstFrame after Start.
type memRunner struct {
	firstFrame time.Duration

	mu   sync.Mutex
	runs map[string]memRun
}

type memRun struct {
	epoch   uint64
	started time.Time
}

var _ cluster.Runner = (*memRunner)(nil)

func (r *memRunner) Start(spec cluster.StreamSpec, epoch uint64) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.runs[spec.ID] = memRun{epoch: epoch, started: time.Now()}
	return nil
}

func (r *memRunner) Stop(id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.runs, id)
}

func (r *memRunner) Status() []cluster.StreamStatus {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]cluster.StreamStatus, 0, len(r.runs))
	for id, run := range r.runs {
		st := cluster.StreamStatus{ID: id, Epoch: run.epoch, State: cluster.RunStarting}
		if ff := run.started.Add(r.firstFrame); !time.Now().Before(ff) {
			st.State, st.RunningSince = cluster.RunRunning, ff
		}
		out = append(out, st)
	}
	return out
}

func (r *memRunner) running() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]string, 0, len(r.runs))
	for id := range r.runs {
		out = append(out, id)
	}
	return out
}

// testNode is a cluster node with its admin server and a client connected to it.
type testNode struct {
	node   *cluster.Node
	runner *memRunner
	server *Server
	addr   string
	client vigilv1.AdminClient
	conn   *grpc.ClientConn
}

// nodeOptions tunes startNode.
type nodeOptions struct {
	seeds        []string
	readyTimeout time.Duration
	validate     func(cluster.StreamSpec) error
	noWait       bool // don't wait for the node to join
}

func testLogger() *slog.Logger {
	if testing.Verbose() && os.Getenv("VIGIL_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// startNode opens a cluster node on loopback, serves its admin API on a free
// loopback port and dials it.
func startNode(tb testing.TB, name string, o nodeOptions) *testNode {
	tb.Helper()
	cfg := cluster.LoopbackConfig(name)
	cfg.Membership.Join = o.seeds
	cfg.Membership.JoinBackoff = 50 * time.Millisecond
	cfg.Membership.JoinMaxBackoff = 500 * time.Millisecond
	cfg.Membership.ReadyTimeout = 500 * time.Millisecond
	if o.readyTimeout > 0 {
		cfg.Membership.ReadyTimeout = o.readyTimeout
	}
	cfg.ReconcileDelay = 20 * time.Millisecond
	cfg.StatusInterval = 50 * time.Millisecond
	cfg.HandoffGrace = 5 * time.Second
	cfg.Logger = testLogger()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	cfg.AdminAddr = ln.Addr().String()
	r := &memRunner{firstFrame: 50 * time.Millisecond, runs: map[string]memRun{}}
	node, err := cluster.Open(cfg, r)
	if err != nil {
		ln.Close()
		tb.Fatalf("open %s: %v", name, err)
	}
	srv := New(node, Config{Logger: cfg.Logger, Validate: o.validate})
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	conn, err := grpc.NewClient(ln.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		conn.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Stop(ctx)
		if err := <-served; err != nil {
			tb.Errorf("serve %s: %v", name, err)
		}
		node.Close()
	})
	n := &testNode{node: node, runner: r, server: srv, addr: ln.Addr().String(), client: vigilv1.NewAdminClient(conn), conn: conn}
	if !o.noWait {
		waitFor(tb, 10*time.Second, name+" joined", func() bool {
			select {
			case <-node.Ready():
				return true
			default:
				return false
			}
		})
	}
	return n
}

// startCluster starts size nodes n0, n1, … joined through n0 and waits until every
// node sees every other alive.
func startCluster(tb testing.TB, size int) []*testNode {
	tb.Helper()
	nodes := []*testNode{startNode(tb, "n0", nodeOptions{})}
	for i := 1; i < size; i++ {
		nodes = append(nodes, startNode(tb, "n"+string(rune('0'+i)), nodeOptions{seeds: []string{nodes[0].node.GossipAddr()}}))
	}
	waitFor(tb, 15*time.Second, "every node to see every other", func() bool {
		for _, n := range nodes {
			resp, err := n.client.ListMembers(context.Background(), &vigilv1.ListMembersRequest{})
			if err != nil {
				return false
			}
			alive := 0
			for _, m := range resp.GetMembers() {
				if m.GetState() == vigilv1.MemberState_MEMBER_STATE_ALIVE {
					alive++
				}
			}
			if alive != size {
				return false
			}
		}
		return true
	})
	return nodes
}

// waitFor polls cond until it holds or timeout passes.
func waitFor(tb testing.TB, timeout time.Duration, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// ctx returns a context for one call.
func ctx(tb testing.TB) context.Context {
	tb.Helper()
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	tb.Cleanup(cancel)
	return c
}
