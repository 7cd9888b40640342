package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/vigil-monitor/vigil/cluster"
	"github.com/vigil-monitor/vigil/media"
	"github.com/vigil-monitor/vigil/media/synth"
)

// demoConfig configures the agent's demo source.
type demoConfig struct {
	// Listen is the HTTP address of the channels (host:port; port 0 picks one).
	Listen string
	// Channels is the number of live channels.
	Channels int
	// StallEvery is how often one channel (in turn) stalls, so that no_signal shows
	// up too; StallFor is how long it sends nothing.
	StallEvery, StallFor time.Duration
	// Clock paces the channels and the stalls; nil means media.SystemClock.
	Clock media.Clock
	// Log receives the source's logs.
	Log *slog.Logger
}

// defaultDemoConfig returns the demo of `vigil agent --demo`: 480x270 channels, one
// stall of 8 s every 90 s.
func defaultDemoConfig(listen string, channels int, log *slog.Logger) demoConfig {
	return demoConfig{Listen: listen, Channels: channels, StallEvery: 90 * time.Second, StallFor: 8 * time.Second,
		Clock: media.SystemClock, Log: log}
}

// demoSource is the agent's in-process live source for --demo: synthetic channels
// with a rolling defect schedule (every defect type in turn, a 6 s defect every 15 s,
// channel n starting at a different one), served as MPEG-TS over HTTP like `vigil
// source` does.
type demoSource struct {
	cfg      demoConfig
	channels []*synth.Channel
	srv      *http.Server
	ln       net.Listener
	served   chan error
	stop     chan struct{}
	wg       sync.WaitGroup
	once     sync.Once
}

// startDemo starts the channels, their HTTP server and the stall schedule.
func startDemo(cfg demoConfig) (*demoSource, error) {
	if cfg.Clock == nil {
		cfg.Clock = media.SystemClock
	}
	d := &demoSource{cfg: cfg, served: make(chan error, 1), stop: make(chan struct{})}
	contents := []synth.Content{synth.Motion, synth.Scenes, synth.Static, synth.Dark}
	for i := range cfg.Channels {
		kinds := make([]synth.Kind, len(synth.Kinds))
		for j := range kinds {
			kinds[j] = synth.Kinds[(i+j)%len(synth.Kinds)]
		}
		c, err := synth.NewChannel(synth.LiveConfig{
			Spec:     synth.Spec{Width: 480, Height: 270, FPS: 25, Content: contents[i%len(contents)], Seed: int64(i + 1)},
			Schedule: synth.Schedule{Kinds: kinds},
			Clock:    cfg.Clock,
		})
		if err != nil {
			d.closeChannels()
			return nil, fmt.Errorf("demo channel %d: %w", i, err)
		}
		d.channels = append(d.channels, c)
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		d.closeChannels()
		return nil, fmt.Errorf("demo: listen: %w", err)
	}
	d.ln = ln
	d.srv = &http.Server{Handler: synth.NewServer(d.channels), ReadHeaderTimeout: 10 * time.Second}
	go func() { d.served <- d.srv.Serve(ln) }()
	if cfg.StallEvery > 0 && cfg.StallFor > 0 {
		d.wg.Go(d.stalls)
	}
	cfg.Log.Info("demo: serving live channels", "url", "http://"+ln.Addr().String()+"/", "channels", cfg.Channels)
	return d, nil
}

// URL is the address of channel ch.
func (d *demoSource) URL(ch int) string {
	return fmt.Sprintf("http://%s/ch/%d.ts", d.ln.Addr(), ch)
}

// Specs returns the streams demo-0, demo-1 … of the channels.
func (d *demoSource) Specs(thresholds map[string]float64) []cluster.StreamSpec {
	out := make([]cluster.StreamSpec, 0, len(d.channels))
	for i := range d.channels {
		s := cluster.StreamSpec{ID: fmt.Sprintf("demo-%d", i), URL: d.URL(i), Labels: map[string]string{"source": "demo"}}
		if len(thresholds) > 0 {
			s.Thresholds = thresholds
		}
		out = append(out, s)
	}
	return out
}

// stalls stalls one channel in turn every StallEvery.
func (d *demoSource) stalls() {
	for n := 0; ; n++ {
		t := d.cfg.Clock.NewTimer(d.cfg.StallEvery)
		select {
		case <-d.stop:
			t.Stop()
			return
		case <-t.C():
		}
		ch := n % len(d.channels)
		d.cfg.Log.Info("demo: stalling a channel", "channel", ch, "for", d.cfg.StallFor)
		d.channels[ch].Stall(d.cfg.StallFor)
	}
}

func (d *demoSource) closeChannels() {
	for _, c := range d.channels {
		c.Close()
	}
}

// Close stops the stalls, the channels (ending every client's stream) and the
// server. It is idempotent.
func (d *demoSource) Close() error {
	var err error
	d.once.Do(func() {
		close(d.stop)
		d.wg.Wait()
		d.closeChannels()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if e := d.srv.Shutdown(ctx); e != nil {
			d.srv.Close()
		}
		if e := <-d.served; !errors.Is(e, http.ErrServerClosed) {
			err = fmt.Errorf("demo: serve: %w", e)
		}
	})
	return err
}
