package main

import (
	"context"
	"errors"
	"log/slog"

	"github.com/vigil-monitor/vigil/actors"
	"github.com/vigil-monitor/vigil/cluster"
	vigilv1 "github.com/vigil-monitor/vigil/proto/vigil/v1"
)

// actorRunner runs the streams the cluster gives this node on the node's actor tree:
// it is the seam between cluster (which must not import actors) and actors.
type actorRunner struct {
	node *actors.Node
	log  *slog.Logger
}

var _ cluster.Runner = actorRunner{}

// Start implements cluster.Runner.
func (r actorRunner) Start(spec cluster.StreamSpec, epoch uint64) error {
	return r.node.Start(actors.StreamSpec{ID: spec.ID, URL: spec.URL, Thresholds: spec.Thresholds,
		Labels: spec.Labels, Epoch: epoch})
}

// Stop implements cluster.Runner; the run winds down in the background.
func (r actorRunner) Stop(id string) {
	if err := r.node.StopAsync(id); err != nil && !errors.Is(err, actors.ErrNotFound) {
		r.log.Warn("stop stream", "stream", id, "err", err)
	}
}

// Status implements cluster.Runner.
func (r actorRunner) Status() []cluster.StreamStatus {
	all := r.node.Streams()
	out := make([]cluster.StreamStatus, 0, len(all))
	for _, st := range all {
		var defects uint64
		for _, n := range st.Defects {
			defects += n
		}
		out = append(out, cluster.StreamStatus{
			ID:           st.Spec.ID,
			Epoch:        st.Spec.Epoch,
			State:        runState(st.State),
			RunningSince: st.RunningSince,
			Restarts:     uint64(st.Restarts),
			Defects:      defects,
			LastError:    st.LastError,
		})
	}
	return out
}

func runState(s actors.State) cluster.RunState {
	switch s {
	case actors.Starting:
		return cluster.RunStarting
	case actors.Running:
		return cluster.RunRunning
	case actors.Retrying:
		return cluster.RunRetrying
	}
	return cluster.RunStopped
}

// forwardEvents publishes this node's defect events to the cluster, so that a watch
// on any node sees them, until ctx ends or sub is closed.
func forwardEvents(ctx context.Context, sub *actors.Subscription, c *cluster.Node) {
	for {
		e, err := sub.Next(ctx)
		if err != nil {
			return
		}
		if e.Kind != actors.DefectEvent {
			continue
		}
		c.PublishEvent(defectProto(e))
	}
}

// defectProto converts an actor event to the cluster's event message.
func defectProto(e actors.Event) *vigilv1.DefectEvent {
	d := e.Defect
	p := &vigilv1.DefectEvent{
		StreamId: e.Stream,
		Type:     string(d.Type),
		Ended:    d.Ended,
		Start:    d.Start,
		End:      d.End,
		Score:    d.Score,
		Severity: severityProto(string(d.Severity)),
		Value:    d.Value,
		Detail:   d.Detail,
		Owner:    e.Node,
		Epoch:    e.Epoch,
		Labels:   e.Labels,
	}
	if d.Ended {
		p.EndedAtUnixMs = e.At.UnixMilli()
		p.StartedAtUnixMs = e.At.UnixMilli() - int64((d.End-d.Start)*1000)
	} else {
		p.StartedAtUnixMs = e.At.UnixMilli()
	}
	return p
}

func severityProto(s string) vigilv1.Severity {
	if s == "error" {
		return vigilv1.Severity_SEVERITY_ERROR
	}
	return vigilv1.Severity_SEVERITY_WARNING
}
