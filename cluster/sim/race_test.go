//go:build race

package sim

// Under the race detector every node runs 5-10x slower; the default simulation is
// scaled down so that it still converges (VIGIL_SIM_NODES/STREAMS still apply).
const defaultNodes, defaultStreams = 10, 1000
