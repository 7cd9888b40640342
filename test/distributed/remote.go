package distributed

import (
	"fmt"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/remote"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// maxMessage bounds one gRPC message of the remote: a batch of frames. A 720p luma
// plane is 0.9 MB and the endpoint writer batches whatever is queued, so gRPC's 4 MB
// default is far too small; the credit window keeps real batches well below this.
const maxMessage = 512 << 20

// startRemote makes system reachable with protoactor-go remote (insecure gRPC) on a
// loopback port chosen by the kernel, counting the traffic of the connections it dials
// in t. Every message between two nodes travels on a connection that the sending node
// dialed, so the Traffic of both nodes together covers all bytes moved between them.
func startRemote(system *actor.ActorSystem, t *Traffic) (r *remote.Remote, err error) {
	cfg := remote.Configure("127.0.0.1", 0,
		remote.WithDialOptions(
			grpc.WithTransportCredentials(insecure.NewCredentials()),
			grpc.WithContextDialer(t.Dial),
			grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(maxMessage), grpc.MaxCallSendMsgSize(maxMessage)),
		),
		remote.WithServerOptions(grpc.MaxRecvMsgSize(maxMessage), grpc.MaxSendMsgSize(maxMessage)),
	)
	r = remote.NewRemote(system, cfg)
	// Start panics when it cannot listen.
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("start remote: %v", p)
		}
	}()
	r.Start()
	return r, nil
}

// stopRemote stops r's gRPC server at once. It does not use protoactor-go's graceful
// shutdown: that clears the endpoint manager's state while endpoint writers that saw
// their peer leave still read it from their own goroutines (a data race the race
// detector reports in protoactor-go). The client connections r dialed stay open until
// the process exits, which is why the nodes of a measurement run as child processes.
func stopRemote(r *remote.Remote) { r.Shutdown(false) }
