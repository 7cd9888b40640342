// Package cluster holds vigil's multi-process cluster tests: real `vigil agent`
// processes on 127.0.0.1 (distinct ports per node), a `vigil source` process
// serving live channels with a 1 s GOP (and a GOP cache), and every action through the `vigil` CLI
// or the admin gRPC API. They check the cluster issue's acceptance list: joining,
// assignment seen everywhere and run once, failover after kill -9 (measured with
// running_since), rejoin, a fourth node joining, drain, a whole-cluster restart
// from the data dirs, and cluster-wide event watches.
//
// The tests are skipped with -short. Set VIGIL_TEST_KEEP=1 to keep the agents'
// logs in the test's temporary directory for a failed run (their tails are logged
// either way).
package cluster
