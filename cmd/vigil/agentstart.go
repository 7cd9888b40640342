package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/vigil-monitor/vigil/actors"
	"github.com/vigil-monitor/vigil/cluster"
	"github.com/vigil-monitor/vigil/cluster/membership"
)

// parseStreams turns --stream ID=URL flags into specs.
func parseStreams(flags []string, th map[string]float64) ([]cluster.StreamSpec, error) {
	var out []cluster.StreamSpec
	seen := map[string]bool{}
	for _, s := range flags {
		id, url, ok := strings.Cut(s, "=")
		if !ok || id == "" || url == "" {
			return nil, fmt.Errorf("--stream %q: want ID=URL, e.g. --stream news=udp://239.0.0.1:1234", s)
		}
		if seen[id] {
			return nil, fmt.Errorf("--stream %q: id %q given twice", s, id)
		}
		seen[id] = true
		spec := cluster.StreamSpec{ID: id, URL: url}
		if len(th) > 0 {
			spec.Thresholds = th
		}
		out = append(out, spec)
	}
	return out, nil
}

// specValidator checks a spec the way the cluster will (policy) and then the way
// the actor side will when it starts it (URL forms FFmpeg is given, detector
// threshold names and ranges), so that a spec no node could run is refused before
// it is stored. Its errors wrap cluster.ErrInvalid.
func specValidator(policy cluster.URLPolicy, n *actors.Node) func(cluster.StreamSpec) error {
	return func(s cluster.StreamSpec) error {
		if err := policy.ValidateSpec(s); err != nil {
			return err
		}
		if err := n.Validate(actors.StreamSpec{ID: s.ID, URL: s.URL, Thresholds: s.Thresholds, Labels: s.Labels}); err != nil {
			msg := strings.TrimPrefix(err.Error(), actors.ErrInvalidSpec.Error()+": ")
			for _, pkg := range []string{"media: ", "detect: "} {
				msg = strings.TrimPrefix(msg, pkg)
			}
			return fmt.Errorf("%w: %s", cluster.ErrInvalid, msg)
		}
		return nil
	}
}

// assignAtStart waits until the node has joined, then assigns the --stream specs
// (an identical assignment already in the table is fine; a different one is an
// error) and the demo's (which replace older demo specs: the demo's port changes
// from run to run).
func assignAtStart(ctx context.Context, n *cluster.Node, validate func(cluster.StreamSpec) error,
	specs []cluster.StreamSpec, demo *demoSource, th map[string]float64, log *slog.Logger) error {
	if len(specs) == 0 && demo == nil {
		return nil
	}
	select {
	case <-n.Ready():
	case <-ctx.Done():
		return nil
	}
	assign := func(s cluster.StreamSpec, replace bool) error {
		if err := validate(s); err != nil {
			return fmt.Errorf("stream %s: %w", s.ID, err)
		}
		st, created, err := n.Assign(s, replace)
		if errors.Is(err, cluster.ErrExists) {
			return fmt.Errorf("--stream %s=%s: the cluster already has stream %q with another spec; change it with `vigil streams assign --replace` or drop the flag",
				s.ID, s.URL, s.ID)
		}
		if err != nil {
			return fmt.Errorf("stream %s: %w", s.ID, err)
		}
		log.Info("stream assigned", "stream", s.ID, "new", created, "owner", st.Owner)
		return nil
	}
	for _, s := range specs {
		if err := assign(s, false); err != nil {
			return err
		}
	}
	if demo != nil {
		for _, s := range demo.Specs(th) {
			if err := assign(s, true); err != nil {
				return err
			}
		}
	}
	return nil
}

// leaveCluster ends this node's membership. When drain is set and another node
// can take its streams, it first drains (every stream it runs moves,
// make-before-break) until it runs none, no other node can take them any more, or
// ctx ends. Then it leaves the gossip group and stops its runs.
func leaveCluster(ctx context.Context, n *cluster.Node, drain bool, log *slog.Logger) error {
	if drain && canHandOff(n) {
		if err := n.Drain(ctx, "", false); err != nil {
			log.Warn("drain", "err", err)
		} else {
			waitHandedOff(ctx, n, log)
		}
	}
	return n.Close()
}

// waitHandedOff waits until n runs no stream, no other node could take one, or ctx
// ends.
func waitHandedOff(ctx context.Context, n *cluster.Node, log *slog.Logger) {
	changes, stop := n.Changes()
	defer stop()
	for {
		running := len(n.Running())
		switch {
		case running == 0:
			log.Info("drained: every stream handed off")
			return
		case !canHandOff(n):
			log.Info("no other node can take the remaining streams; stopping them", "streams", running)
			return
		}
		select {
		case <-ctx.Done():
			log.Warn("drain timed out; stopping the remaining streams", "streams", running)
			return
		case _, ok := <-changes:
			if !ok {
				return
			}
		}
	}
}

// canHandOff reports whether another alive node takes streams.
func canHandOff(n *cluster.Node) bool {
	for _, m := range n.Members() {
		if !m.Self && m.State == membership.StateAlive && m.Meta.Capacity > 0 && !m.Meta.Draining && !m.Meta.Leaving {
			return true
		}
	}
	return false
}
