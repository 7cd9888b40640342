// Package distributed measures what vigil's first rule saves: it runs the same
// detectors on the same clip twice, once as vigil does (frames passed by reference
// between the actors of one process) and once as the distributed design vigil replaced
// (the decoder on one protoactor-go node, the detector actors on a second node in
// another OS process, every decoded frame serialised as protobuf and sent over
// protoactor-go remote), and reports CPU time per frame, bytes moved per stream-hour
// and whether both runs found the same defects.
//
// Every measured run is a child process (the running executable started again with
// ChildEnv set), so that both designs are charged the same way: user+system CPU time
// from the kernel's rusage of each process. Bytes are counted at the TCP connections
// the remote dials, in both directions.
//
// The command test/distributed/cmd/framebench writes docs/results-distributed.md;
// `make bench-distributed` runs it.
package distributed
