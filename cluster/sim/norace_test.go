//go:build !race

package sim

const defaultNodes, defaultStreams = 50, 5000
