package main

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigil-monitor/vigil/cluster"
	"github.com/vigil-monitor/vigil/cluster/membership"
)

// clusterCollector exports what this node knows of the cluster to Prometheus, read
// at scrape time.
type clusterCollector struct {
	node *cluster.Node

	members, streams, owned, running, draining, ready *prometheus.Desc
}

var _ prometheus.Collector = (*clusterCollector)(nil)

func newClusterCollector(n *cluster.Node) *clusterCollector {
	return &clusterCollector{
		node:     n,
		members:  prometheus.NewDesc("vigil_cluster_members", "Nodes this node knows of, by state.", []string{"state"}, nil),
		streams:  prometheus.NewDesc("vigil_cluster_streams", "Streams assigned in the cluster.", nil, nil),
		owned:    prometheus.NewDesc("vigil_cluster_owned_streams", "Streams placement gives this node.", nil, nil),
		running:  prometheus.NewDesc("vigil_cluster_running_streams", "Streams this node runs, hand-offs in progress included.", nil, nil),
		draining: prometheus.NewDesc("vigil_cluster_draining", "1 while this node is draining.", nil, nil),
		ready:    prometheus.NewDesc("vigil_cluster_ready", "1 once this node has joined the cluster.", nil, nil),
	}
}

// Describe implements prometheus.Collector.
func (c *clusterCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.members, c.streams, c.owned, c.running, c.draining, c.ready} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *clusterCollector) Collect(ch chan<- prometheus.Metric) {
	gauge := func(d *prometheus.Desc, v float64, l ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, l...)
	}
	states := map[membership.State]float64{membership.StateAlive: 0, membership.StateDead: 0, membership.StateLeft: 0}
	for _, m := range c.node.Members() {
		states[m.State]++
	}
	for s, n := range states {
		gauge(c.members, n, s.String())
	}
	owners := c.node.Owners()
	gauge(c.streams, float64(len(c.node.List())))
	owned := 0
	for _, o := range owners {
		if o == c.node.Name() {
			owned++
		}
	}
	gauge(c.owned, float64(owned))
	gauge(c.running, float64(len(c.node.Running())))
	gauge(c.draining, boolGauge(c.node.Draining()))
	ready := false
	select {
	case <-c.node.Ready():
		ready = true
	default:
	}
	gauge(c.ready, boolGauge(ready))
}

func boolGauge(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
