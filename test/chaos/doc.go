// Package chaos is vigil's failover chaos suite: it starts the five-node
// docker-compose cluster of deploy/docker-compose.yml under a project of its own
// (vigil-chaos), assigns 40 streams, injects faults with Docker (kill, stop,
// pause), with iptables (or tc netem, where the kernel has it) in the nodes' network
// namespaces (partitions, packet loss) and with the live source's own fault
// injection (stalls, connection resets), and checks each scenario's pass criterion
// from the admin API of surviving nodes, the cluster-wide event stream
// (WatchEvents) and the nodes' own state lines.
//
// Every file but this one carries the build tag chaos, so `go test ./...` skips it;
// `make test` runs it after the unit tests through `make chaos-ci`, and `make chaos`
// builds the image and runs it on its own:
//
//	make chaos                               # ~10 minutes, shortened loss and soak
//	make chaos CHAOS_FULL=1                  # the lengths (3 min loss, 30 faults)
//	make chaos CHAOS_RECORD=docs/chaos.md    # also write the summary table there
//	make chaos-ci                            # as CI: skipped without Docker, always torn down
//	go test -tags chaos -v ./test/chaos -args -chaos.run 'kill|stop'
//
// It needs the Docker engine, docker-compose (v1), nsenter (util-linux) and iptables
// on the host, and root (for nsenter); tc (iproute2) is used for netem when the
// kernel has it. See docs/chaos.md for what each scenario checks and a recorded run.
package chaos
