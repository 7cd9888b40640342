//go:build chaos

package chaos

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

// procMetrics are the process figures a leak shows in, from a node's /metrics.
type procMetrics struct {
	goroutines float64 // go_goroutines
	fds        float64 // process_open_fds
	rss        float64 // process_resident_memory_bytes
}

// scrape reads a node's /metrics (port 8080 of its container).
func scrape(n *node) (procMetrics, error) {
	ip, _, _ := n.addr()
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+net.JoinHostPort(ip, "8080")+"/metrics", nil)
	if err != nil {
		return procMetrics{}, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return procMetrics{}, fmt.Errorf("%s: metrics: %w", n, err)
	}
	defer resp.Body.Close()
	var m procMetrics
	found := 0
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), " ")
		if !ok {
			continue
		}
		var dst *float64
		switch name {
		case "go_goroutines":
			dst = &m.goroutines
		case "process_open_fds":
			dst = &m.fds
		case "process_resident_memory_bytes":
			dst = &m.rss
		default:
			continue
		}
		v, err := strconv.ParseFloat(value, 64)
		if err != nil {
			return m, fmt.Errorf("%s: metric %s: %w", n, name, err)
		}
		*dst = v
		found++
	}
	if err := sc.Err(); err != nil {
		return m, fmt.Errorf("%s: metrics: %w", n, err)
	}
	if found != 3 {
		return m, fmt.Errorf("%s: metrics: found %d of go_goroutines, process_open_fds, process_resident_memory_bytes", n, found)
	}
	return m, nil
}

// percentile returns the p-th percentile (nearest rank) of ds; 0 for none.
func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	rank := int(p/100*float64(len(s))+0.999999) - 1
	return s[min(max(rank, 0), len(s)-1)]
}

// ms formats a duration in seconds with millisecond precision ("-" for none).
func secs(d time.Duration) string {
	return strconv.FormatFloat(d.Seconds(), 'f', 2, 64) + " s"
}
