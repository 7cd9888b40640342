// Package k8s checks vigil's Kubernetes manifests (deploy/k8s) without a cluster: every
// document is decoded strictly into the typed Kubernetes API structs (an unknown or
// misspelled field, a field in the wrong case, a duplicate key or a wrong type fails),
// the kustomization is built with kustomize's own library, the pod template is
// evaluated against the Pod Security "restricted" profile, and the invariants the
// agent depends on are asserted: probes on the ports the agent serves, a headless
// Service publishing not-ready pods for joining, selectors that select the pods, and
// settings in step with the image (deploy/Dockerfile.offline).
//
// With the docker build tag, TestPodsInDocker runs the StatefulSet's pods as
// containers of the real image under the pods' own settings (make k8s-docker-test).
//
// It is a Go module of its own so that the Kubernetes API modules stay out of vigil's
// module graph: run it with `make k8s-test` or `cd test/k8s && go test ./...`.
package k8s
