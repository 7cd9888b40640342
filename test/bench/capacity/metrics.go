package capacity

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// metric is one sample of the Prometheus text format.
type metric struct {
	name   string
	labels map[string]string
	value  float64
}

// parseMetrics reads the Prometheus text exposition format (the subset vigil's
// /metrics uses: no timestamps, no escaped quotes in label values).
func parseMetrics(r io.Reader) ([]metric, error) {
	var out []metric
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 4*1024*1024)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		m := metric{labels: map[string]string{}}
		rest := line
		if i := strings.IndexByte(line, '{'); i >= 0 {
			j := strings.LastIndexByte(line, '}')
			if j < i {
				return nil, fmt.Errorf("metrics: bad line %q", line)
			}
			m.name = line[:i]
			for _, kv := range strings.Split(line[i+1:j], ",") {
				k, v, ok := strings.Cut(kv, "=")
				if ok {
					m.labels[strings.TrimSpace(k)] = strings.Trim(strings.TrimSpace(v), `"`)
				}
			}
			rest = line[j+1:]
		} else {
			f := strings.Fields(line)
			if len(f) < 2 {
				return nil, fmt.Errorf("metrics: bad line %q", line)
			}
			m.name, rest = f[0], strings.Join(f[1:], " ")
		}
		f := strings.Fields(rest)
		if len(f) == 0 {
			return nil, fmt.Errorf("metrics: no value in %q", line)
		}
		v, err := strconv.ParseFloat(f[0], 64)
		if err != nil {
			return nil, fmt.Errorf("metrics: bad value in %q", line)
		}
		m.value = v
		out = append(out, m)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	return out, nil
}

// streamCounters is what the benchmark reads per stream from the agent's /metrics.
type streamCounters struct {
	video, detectorDrops, decoderDrops, restarts float64
	running                                      bool
}

// scrape reads the agent's /metrics and returns the counters per stream.
func scrape(ctx context.Context, client *http.Client, url string) (map[string]streamCounters, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, fmt.Errorf("scrape: %w", err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("scrape: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("scrape: %s", resp.Status)
	}
	ms, err := parseMetrics(resp.Body)
	if err != nil {
		return nil, err
	}
	out := map[string]streamCounters{}
	for _, m := range ms {
		id, ok := m.labels["stream"]
		if !ok {
			continue
		}
		c := out[id]
		switch m.name {
		case "vigil_stream_video_frames_total":
			c.video = m.value
		case "vigil_stream_detector_dropped_frames_total":
			c.detectorDrops += m.value
		case "vigil_stream_decoder_dropped_frames_total":
			c.decoderDrops = m.value
		case "vigil_stream_input_restarts_total":
			c.restarts = m.value
		case "vigil_stream_state":
			if m.labels["state"] == "running" && m.value == 1 {
				c.running = true
			}
		}
		out[id] = c
	}
	return out, nil
}
