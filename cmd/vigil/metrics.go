package main

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigil-monitor/vigil/actors"
)

// streamCollector exports the node's per-stream counters to Prometheus. It reads
// Node.Streams at scrape time, so the decode path pays nothing for metrics.
type streamCollector struct {
	node *actors.Node

	frames, audio, decodeErrors, dropped, bytes            *prometheus.Desc
	detectorDrops, defects, restarts, detRestarts          *prometheus.Desc
	state, open, bitrate, width, height, fps, runningSince *prometheus.Desc
}

var _ prometheus.Collector = (*streamCollector)(nil)

func newStreamCollector(n *actors.Node) *streamCollector {
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc(name, help, append([]string{"stream"}, labels...), nil)
	}
	return &streamCollector{
		node:          n,
		frames:        d("vigil_stream_video_frames_total", "Video frames decoded."),
		audio:         d("vigil_stream_audio_frames_total", "Audio frames decoded."),
		decodeErrors:  d("vigil_stream_decode_errors_total", "Decode errors reported by the decoder."),
		dropped:       d("vigil_stream_decoder_dropped_frames_total", "Frames the decoder discarded."),
		bytes:         d("vigil_stream_input_bytes_total", "Bytes read from the input."),
		detectorDrops: d("vigil_stream_detector_dropped_frames_total", "Frames a detector skipped because it was behind.", "detector"),
		defects:       d("vigil_stream_defects_total", "Defects that started.", "type"),
		restarts:      d("vigil_stream_input_restarts_total", "Decoder restarts after input failures."),
		detRestarts:   d("vigil_stream_detector_restarts_total", "Detector restarts after a panic."),
		state:         d("vigil_stream_state", "1 for the stream's current state.", "state"),
		open:          d("vigil_stream_open_defects", "Defects currently open.", "type"),
		bitrate:       d("vigil_stream_input_bitrate_bits_per_second", "Input bitrate over a sliding window."),
		width:         d("vigil_stream_video_width_pixels", "Current picture width."),
		height:        d("vigil_stream_video_height_pixels", "Current picture height."),
		fps:           d("vigil_stream_video_frame_rate", "Current frame rate."),
		runningSince:  d("vigil_stream_running_since_seconds", "Unix time the stream decoded its first frame on this node."),
	}
}

// Describe implements prometheus.Collector.
func (c *streamCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.frames, c.audio, c.decodeErrors, c.dropped, c.bytes, c.detectorDrops,
		c.defects, c.restarts, c.detRestarts, c.state, c.open, c.bitrate, c.width, c.height, c.fps, c.runningSince} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *streamCollector) Collect(ch chan<- prometheus.Metric) {
	counter := func(d *prometheus.Desc, v float64, l ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v, l...)
	}
	gauge := func(d *prometheus.Desc, v float64, l ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, l...)
	}
	for _, st := range c.node.Streams() {
		id := st.Spec.ID
		m := st.Media
		counter(c.frames, float64(m.VideoFrames), id)
		counter(c.audio, float64(m.AudioFrames), id)
		counter(c.decodeErrors, float64(m.DecodeErrors), id)
		counter(c.dropped, float64(m.FramesDropped), id)
		counter(c.bytes, float64(m.Bytes), id)
		counter(c.restarts, float64(st.Restarts), id)
		counter(c.detRestarts, float64(st.DetectorRestarts), id)
		for t, n := range st.Dropped {
			counter(c.detectorDrops, float64(n), id, string(t))
		}
		for t, n := range st.Defects {
			counter(c.defects, float64(n), id, string(t))
		}
		for _, s := range []actors.State{actors.Starting, actors.Running, actors.Retrying, actors.Stopped} {
			v := 0.0
			if st.State == s {
				v = 1
			}
			gauge(c.state, v, id, string(s))
		}
		open := map[string]float64{}
		for _, e := range st.Open {
			open[string(e.Type)]++
		}
		for t, n := range open {
			gauge(c.open, n, id, t)
		}
		gauge(c.bitrate, m.BitrateBPS, id)
		gauge(c.width, float64(m.Width), id)
		gauge(c.height, float64(m.Height), id)
		gauge(c.fps, m.FrameRate, id)
		if !st.RunningSince.IsZero() {
			gauge(c.runningSince, float64(st.RunningSince.UnixNano())/1e9, id)
		}
	}
}
