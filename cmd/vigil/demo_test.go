package main

import (
	"io"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/vigil-monitor/vigil/media"
)

// TestDemoSourceStalls reads a demo channel over HTTP and checks that the stall
// schedule stops its data for about StallFor while the connection stays open.
func TestDemoSourceStalls(t *testing.T) {
	d, err := startDemo(demoConfig{Listen: "127.0.0.1:0", Channels: 1, StallEvery: 3 * time.Second, StallFor: 1500 * time.Millisecond,
		Clock: media.SystemClock, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	specs := d.Specs(map[string]float64{"black.min_duration": 2})
	if len(specs) != 1 || specs[0].ID != "demo-0" || specs[0].URL != d.URL(0) || specs[0].Thresholds["black.min_duration"] != 2 {
		t.Fatalf("specs = %+v", specs)
	}
	resp, err := http.Get(d.URL(0))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", d.URL(0), resp.Status)
	}
	buf := make([]byte, 64<<10)
	if _, err := resp.Body.Read(buf); err != nil { // the stream begins at a key frame
		t.Fatal(err)
	}
	last, start := time.Now(), time.Now()
	var longest time.Duration
	for time.Since(start) < 6*time.Second && longest < time.Second {
		if _, err := resp.Body.Read(buf); err != nil {
			t.Fatalf("read after %v: %v", time.Since(start), err)
		}
		now := time.Now()
		longest = max(longest, now.Sub(last))
		last = now
	}
	if longest < time.Second {
		t.Errorf("longest pause in the channel's data %v; want a stall of about 1.5 s", longest)
	}
	closeStart := time.Now()
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(closeStart); took > 3*time.Second {
		t.Errorf("Close took %v with a client connected", took)
	}
	if err := d.Close(); err != nil { // idempotent
		t.Fatal(err)
	}
}
