// Package capacity measures how many live streams one vigil agent sustains: it runs
// `vigil source` (live synthetic MPEG-TS channels) and `vigil agent` watching N
// streams of them, raises N until the agent falls behind, and reads the agent's
// /metrics and /proc entry to tell.
package capacity

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/vigil-monitor/vigil/test/bench/proc"
)

// Clock is the time source: the benchmark measures real time, but tests may step it.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

type realClock struct{}

func (realClock) Now() time.Time                         { return time.Now() }
func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// Config configures a ramp.
type Config struct {
	// Vigil is the vigil binary.
	Vigil string
	// Channels is the number of source channels; stream i watches channel i mod
	// Channels, so the source's encoding cost stays fixed while N grows.
	Channels int
	// Width, Height and FPS describe the channels (720p30 by default).
	Width, Height, FPS int
	// Warmup is how long a step runs before it is measured; Window how long it is
	// measured.
	Warmup, Window time.Duration
	// Start is the first stream count; Max the largest tried.
	Start, Max int
	// MinRate is the smallest share of the source's frame rate every stream must
	// decode for a step to count as sustained (default 0.95: frames arrive in bursts).
	MinRate float64
	// MaxDropShare is the largest share of frames detectors may skip, all detectors
	// together (default 0.01: a neighbour taking the CPU for a moment costs a frame).
	MaxDropShare float64
	// File, when set, replaces the source: every stream reads this file (which must
	// have FPS frames a second), paced at its native rate and looped by the agent
	// (--allow-file). That measures the agent alone, without an encoder competing for
	// the same cores.
	File string
	// SourceNice is the nice value the source runs at (0: unchanged). The source
	// shares the machine with the agent; raising its priority keeps it at real time
	// when the agent saturates the cores, so that the agent's shortfall is measured.
	SourceNice int
	// Clock is the time source (default: real time).
	Clock Clock
	// Log receives progress lines (may be nil).
	Log io.Writer
}

// DefaultConfig returns the quick ramp `make bench` uses.
func DefaultConfig() Config {
	return Config{Vigil: "bin/vigil", Channels: 1, Width: 1280, Height: 720, FPS: 30,
		Warmup: 8 * time.Second, Window: 10 * time.Second, Start: 1, Max: 64,
		MinRate: 0.95, MaxDropShare: 0.01, SourceNice: -10}
}

// Step is the measurement of one stream count.
type Step struct {
	Streams int
	// Sustained is true when every stream kept up (see Why otherwise).
	Sustained bool
	Why       string
	// MinFPS and MeanFPS are the decoded video frame rates over the window, the
	// slowest stream's and the average.
	MinFPS, MeanFPS float64
	// DetectorDrops counts frames detectors skipped during the window, over Frames
	// decoded; DecoderDrops frames the decoder discarded; Restarts input restarts.
	DetectorDrops, DecoderDrops, Restarts, Frames float64
	// AgentCores is the agent's CPU use in cores over the window; SourceCores the
	// source's.
	AgentCores, SourceCores float64
	// RSS is the agent's resident memory at the end of the window, in bytes.
	RSS int64
	// SourceRate is the source's live edge advance per wall second (1 = real time).
	SourceRate float64
	// Load is the machine's 1-minute load average at the end of the window: the
	// machine is shared, and other work takes cores from the agent.
	Load float64
}

// Result is a whole ramp.
type Result struct {
	Config Config
	Steps  []Step
	// Best is the largest sustained stream count (0 if none).
	Best int
}

// Run ramps the stream count: it doubles from Start until a step is not sustained
// (or Max), then bisects between the largest sustained count and the smallest that
// was not.
func Run(ctx context.Context, cfg Config) (Result, error) {
	if cfg.Clock == nil {
		cfg.Clock = realClock{}
	}
	if cfg.Channels < 1 || cfg.Start < 1 || cfg.Max < cfg.Start {
		return Result{}, fmt.Errorf("capacity: bad config: channels %d, start %d, max %d", cfg.Channels, cfg.Start, cfg.Max)
	}
	var src *child
	var srcURL string
	if cfg.File == "" {
		var err error
		if src, srcURL, err = startSource(ctx, cfg); err != nil {
			return Result{}, err
		}
		defer src.stop(10 * time.Second)
	}
	res := Result{Config: cfg}
	step := func(n int) (bool, error) {
		s, err := runStep(ctx, cfg, src, srcURL, n)
		if err != nil {
			return false, err
		}
		res.Steps = append(res.Steps, s)
		if cfg.Log != nil {
			fmt.Fprintf(cfg.Log, "streams: %3d streams: sustained=%v min %.1f fps, mean %.1f fps, agent %.2f cores, source %.2f cores at %.3fx, RSS %.0f MB, drops %.0f/%.0f, load %.1f %s\n",
				n, s.Sustained, s.MinFPS, s.MeanFPS, s.AgentCores, s.SourceCores, s.SourceRate, float64(s.RSS)/(1<<20), s.DetectorDrops, s.Frames, s.Load, s.Why)
		}
		if s.Sustained && n > res.Best {
			res.Best = n
		}
		return s.Sustained, nil
	}
	good, bad := 0, 0
	for n := cfg.Start; ; n *= 2 {
		n = min(n, cfg.Max)
		ok, err := step(n)
		if err != nil {
			return res, err
		}
		if !ok {
			bad = n
			break
		}
		good = n
		if n == cfg.Max {
			return res, nil
		}
	}
	for bad-good > 1 {
		mid := (good + bad) / 2
		ok, err := step(mid)
		if err != nil {
			return res, err
		}
		if ok {
			good = mid
		} else {
			bad = mid
		}
	}
	return res, nil
}

// startSource starts `vigil source` and waits until it serves.
func startSource(ctx context.Context, cfg Config) (*child, string, error) {
	port, err := freePort()
	if err != nil {
		return nil, "", err
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	name, args := cfg.Vigil, []string{"source", "--listen", addr, "--channels", strconv.Itoa(cfg.Channels),
		"--width", strconv.Itoa(cfg.Width), "--height", strconv.Itoa(cfg.Height), "--fps", strconv.Itoa(cfg.FPS),
		"--log-level", "warn"}
	if cfg.SourceNice != 0 {
		// nice execs vigil in its own process, so the pid stays the source's.
		name, args = "nice", append([]string{"-n", strconv.Itoa(cfg.SourceNice), cfg.Vigil}, args...)
	}
	c, err := start(name, args...)
	if err != nil {
		return nil, "", err
	}
	url := "http://" + addr
	if err := waitFor(ctx, cfg.Clock, 30*time.Second, c, func() bool {
		_, err := sourcePosition(ctx, url)
		return err == nil
	}); err != nil {
		c.stop(5 * time.Second)
		return nil, "", fmt.Errorf("vigil source: %w: %s", err, c.stderr.String())
	}
	return c, url, nil
}

// sourcePosition returns the live edge of the source's first channel, in seconds.
func sourcePosition(ctx context.Context, url string) (float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url+"/", nil)
	if err != nil {
		return 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	var st struct {
		Channels []struct {
			Position float64 `json:"position"`
		} `json:"channels"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		return 0, fmt.Errorf("source status: %w", err)
	}
	if len(st.Channels) == 0 {
		return 0, errors.New("source status: no channels")
	}
	return st.Channels[0].Position, nil
}

// errExited reports that a child process ended while the benchmark waited for it.
var errExited = errors.New("process exited")

// waitFor polls cond every 200 ms until it holds, the child exits or timeout passes.
func waitFor(ctx context.Context, clk Clock, timeout time.Duration, c *child, cond func() bool) error {
	deadline := clk.After(timeout)
	for {
		if cond() {
			return nil
		}
		if done, err := c.exited(); done {
			return fmt.Errorf("%w: %v", errExited, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-deadline:
			return fmt.Errorf("not ready after %v", timeout)
		case <-clk.After(200 * time.Millisecond):
		}
	}
}

// runStep runs an agent with n streams and measures it.
func runStep(ctx context.Context, cfg Config, src *child, srcURL string, n int) (Step, error) {
	s := Step{Streams: n}
	port, err := freePort()
	if err != nil {
		return s, err
	}
	metricsURL := fmt.Sprintf("http://127.0.0.1:%d/metrics", port)
	args := []string{"agent", "--name", "bench", "--http", fmt.Sprintf("127.0.0.1:%d", port), "--log-level", "error", "--json"}
	if src == nil {
		args = append(args, "--allow-file")
	}
	for i := 0; i < n; i++ {
		url := fmt.Sprintf("%s/ch/%d.ts", srcURL, i%cfg.Channels)
		if src == nil {
			url = cfg.File
		}
		args = append(args, "--stream", fmt.Sprintf("s%03d=%s", i, url))
	}
	agent, err := start(cfg.Vigil, args...)
	if err != nil {
		return s, err
	}
	defer agent.stop(15 * time.Second)
	client := &http.Client{Timeout: 5 * time.Second}
	err = waitFor(ctx, cfg.Clock, 60*time.Second, agent, func() bool {
		cs, err := scrape(ctx, client, metricsURL)
		if err != nil || len(cs) < n {
			return false
		}
		for _, c := range cs {
			if !c.running || c.video == 0 {
				return false
			}
		}
		return true
	})
	if errors.Is(err, errExited) {
		return s, fmt.Errorf("vigil agent with %d streams: %w: %s", n, err, agent.stderr.String())
	}
	if err != nil {
		s.Why = "streams did not all start: " + err.Error()
		return s, nil
	}
	if err := sleep(ctx, cfg.Clock, cfg.Warmup); err != nil {
		return s, err
	}
	type snap struct {
		at       time.Time
		counters map[string]streamCounters
		agent    proc.Sample
		source   proc.Sample
		pos      float64
	}
	started := cfg.Clock.Now()
	take := func() (snap, error) {
		var sn snap
		var err error
		sn.at = cfg.Clock.Now()
		if sn.counters, err = scrape(ctx, client, metricsURL); err != nil {
			return sn, err
		}
		if sn.agent, err = proc.Read(agent.pid()); err != nil {
			return sn, err
		}
		if src == nil {
			// Files are paced by the agent's clock: wall time is the source's time.
			sn.pos = sn.at.Sub(started).Seconds()
			return sn, nil
		}
		if sn.source, err = proc.Read(src.pid()); err != nil {
			return sn, err
		}
		sn.pos, err = sourcePosition(ctx, srcURL)
		return sn, err
	}
	// Sample once a second and fit slopes: frames arrive in bursts, and a rate from
	// two instants would swing by a burst over the window.
	var snaps []snap
	ticks := int(cfg.Window / time.Second)
	if ticks < 2 {
		ticks = 2
	}
	for i := 0; i <= ticks; i++ {
		if i > 0 {
			if err := sleep(ctx, cfg.Clock, cfg.Window/time.Duration(ticks)); err != nil {
				return s, err
			}
		}
		sn, err := take()
		if err != nil {
			return s, fmt.Errorf("measure %d streams: %w", n, err)
		}
		snaps = append(snaps, sn)
	}
	a, b := snaps[0], snaps[len(snaps)-1]
	dt := b.at.Sub(a.at).Seconds()
	ts := make([]float64, len(snaps))
	pos := make([]float64, len(snaps))
	for i, sn := range snaps {
		ts[i] = sn.at.Sub(a.at).Seconds()
		pos[i] = sn.pos
	}
	s.MinFPS = math.Inf(1)
	for id, cb := range b.counters {
		ca := a.counters[id]
		frames := make([]float64, len(snaps))
		for i, sn := range snaps {
			frames[i] = sn.counters[id].video
		}
		fps := slope(ts, frames)
		s.MinFPS = math.Min(s.MinFPS, fps)
		s.MeanFPS += fps / float64(n)
		s.Frames += cb.video - ca.video
		s.DetectorDrops += cb.detectorDrops - ca.detectorDrops
		s.DecoderDrops += cb.decoderDrops - ca.decoderDrops
		s.Restarts += cb.restarts - ca.restarts
	}
	s.AgentCores = (b.agent.CPU - a.agent.CPU).Seconds() / dt
	s.SourceCores = (b.source.CPU - a.source.CPU).Seconds() / dt
	s.RSS = b.agent.RSS
	s.SourceRate = slope(ts, pos)
	s.Load = proc.LoadAverage()
	want := cfg.MinRate * float64(cfg.FPS)
	switch {
	case len(b.counters) < n:
		s.Why = fmt.Sprintf("only %d of %d streams reported", len(b.counters), n)
	case s.SourceRate < cfg.MinRate:
		s.Why = fmt.Sprintf("the source fell behind real time (%.2f×): the machine is saturated", s.SourceRate)
	case s.MinFPS < want:
		s.Why = fmt.Sprintf("slowest stream decoded %.1f fps < %.1f", s.MinFPS, want)
	case s.Frames > 0 && s.DetectorDrops/s.Frames > cfg.MaxDropShare:
		s.Why = fmt.Sprintf("detectors skipped %.0f of %.0f frames", s.DetectorDrops, s.Frames)
	case s.Restarts > 0:
		s.Why = fmt.Sprintf("%.0f input restarts", s.Restarts)
	default:
		s.Sustained = true
	}
	return s, nil
}

// slope returns the least-squares slope of y over x.
func slope(x, y []float64) float64 {
	var n, sx, sy, sxx, sxy float64
	for i := range x {
		n++
		sx += x[i]
		sy += y[i]
		sxx += x[i] * x[i]
		sxy += x[i] * y[i]
	}
	d := n*sxx - sx*sx
	if d == 0 {
		return 0
	}
	return (n*sxy - sx*sy) / d
}

func sleep(ctx context.Context, clk Clock, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-clk.After(d):
		return nil
	}
}
