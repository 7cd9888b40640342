// Package actors is a node's actor tree (protoactor-go): a NodeActor that owns one
// StreamSupervisor per monitored stream; each supervisor owns a Decoder child, whose
// blocking FFmpeg loop runs in a goroutine the Decoder owns, and one Detector child per
// defect detector. Decoded frames go from the decoder to the detectors by reference and
// never leave the process; only small messages (specs, status, events) cross actor
// boundaries by value.
//
// Node is the Go-facing handle: Start and Stop streams, read their status, subscribe to
// defect and lifecycle events. It is the only importer of protoactor-go in vigil.
package actors
