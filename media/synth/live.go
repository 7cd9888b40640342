package synth

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vigil-monitor/vigil/media"
)

// LiveConfig configures a live Channel.
type LiveConfig struct {
	// Spec describes pictures, sound and encoding (defaults as for Write). Format must
	// be mpegts; Duration and Impairments are ignored: Schedule supplies the defects.
	// Live encoders use low-latency settings (no B-frames, no lookahead).
	Spec Spec
	// Schedule is the rolling defect schedule; zero fields take DefaultSchedule's.
	Schedule Schedule
	// Clock paces the encoder (one frame every 1/FPS seconds) and times stalls; nil
	// means media.SystemClock.
	Clock media.Clock
	// ClientBuffer is how many chunks a client may fall behind before it is dropped;
	// default 256. A 640x360 channel makes about 70 chunks (200 kB) a second, so the
	// default is between 3 and 4 seconds.
	ClientBuffer int
}

// Channel encodes one endless MPEG-TS stream in real time, with the defects of its
// schedule, and fans it out to any number of clients. The encoder runs once, however
// many clients there are, and never waits for them. Methods are safe for concurrent
// use.
type Channel struct {
	spec    Spec
	plan    livePlan
	clock   media.Clock
	hub     *hub
	started time.Time
	frames  atomic.Int64 // video frames encoded so far

	cancel    context.CancelFunc
	done      chan struct{}
	err       error // why the encoder stopped; set before done is closed
	closeOnce sync.Once
}

// NewChannel starts a live channel. Close stops it.
func NewChannel(cfg LiveConfig) (*Channel, error) {
	s := cfg.Spec.withDefaults()
	s.Impairments = nil
	if err := s.validate(true); err != nil {
		return nil, err
	}
	sched := cfg.Schedule.withDefaults()
	keyEvery := float64(s.GOP) / float64(s.FPS)
	if err := sched.validate(s.Width, keyEvery); err != nil {
		return nil, err
	}
	c := &Channel{
		spec:  s,
		plan:  livePlan{s: sched, keyEvery: keyEvery, width: s.Width},
		clock: cfg.Clock,
		done:  make(chan struct{}),
	}
	if c.clock == nil {
		c.clock = media.SystemClock
	}
	buffer := cfg.ClientBuffer
	if buffer <= 0 {
		buffer = 256
	}
	c.hub = newHub(c.clock, buffer)
	g, err := newGenerator(s, c.plan, c.hub, false, true)
	if err != nil {
		return nil, fmt.Errorf("start channel: %w", err)
	}
	g.mux.onKey = c.hub.key
	var ctx context.Context
	ctx, c.cancel = context.WithCancel(context.Background())
	c.started = c.clock.Now()
	go c.run(ctx, g)
	return c, nil
}

// run encodes frame after frame, each when the clock reaches its time, until ctx is
// cancelled or encoding fails. If it falls behind it catches up as fast as it can.
func (c *Channel) run(ctx context.Context, g *generator) {
	defer close(c.done)
	defer g.close()
	defer c.hub.close()
	fps := float64(c.spec.FPS)
	for {
		due := c.started.Add(time.Duration(float64(g.frame) / fps * float64(time.Second)))
		if wait := due.Sub(c.clock.Now()); wait > 0 {
			t := c.clock.NewTimer(wait)
			select {
			case <-t.C():
			case <-ctx.Done():
				t.Stop()
			}
		}
		if ctx.Err() != nil {
			// Drain the encoders (they complain about frames left otherwise); the
			// tail goes to whoever is still connected.
			g.finish() //nolint:errcheck // stopping anyway
			return
		}
		if err := g.step(); err != nil {
			c.err = fmt.Errorf("live channel: %w", err)
			return
		}
		c.frames.Store(g.frame)
	}
}

// Close stops the encoder and disconnects every client (ErrClosed). It is idempotent
// and returns the error that stopped the encoder earlier, if any.
func (c *Channel) Close() error {
	c.closeOnce.Do(func() {
		c.cancel()
		<-c.done
	})
	return c.err
}

// Done is closed when the encoder has stopped, after Close or an encoding error.
func (c *Channel) Done() <-chan struct{} { return c.done }

// Err returns the error that stopped the encoder, or nil while it runs (and after a
// clean Close).
func (c *Channel) Err() error {
	select {
	case <-c.done:
		return c.err
	default:
		return nil
	}
}

// Subscribe returns a client that receives the stream from the last key frame on
// (at once, from the hub's GOP cache), or from the next when there is none yet.
// The caller must Close it when done.
func (c *Channel) Subscribe() *Client { return c.hub.subscribe() }

// Stall stops sending to clients for d, keeping their connections; afterwards each
// resumes at the next key frame, so it sees a gap in time stamps.
func (c *Channel) Stall(d time.Duration) { c.hub.stall(d) }

// Stalled reports whether a stall is in force.
func (c *Channel) Stalled() bool { return c.hub.isStalled() }

// Reset disconnects every client (ErrReset); new ones may subscribe at once.
func (c *Channel) Reset() { c.hub.reset() }

// Clients returns the number of subscribed clients.
func (c *Channel) Clients() int { return c.hub.count() }

// Spec returns the channel's spec, with defaults applied.
func (c *Channel) Spec() Spec { return c.spec }

// Schedule returns the channel's defect schedule, with defaults applied.
func (c *Channel) Schedule() Schedule { return c.plan.s }

// Started returns the clock time at which the channel's media time was 0.
func (c *Channel) Started() time.Time { return c.started }

// Position returns how many seconds of stream the encoder has made: the generator
// time of the live edge, which follows the clock from Started.
func (c *Channel) Position() float64 {
	return float64(c.frames.Load()) / float64(c.spec.FPS)
}

// MediaPosition returns the media time (time stamp) of the live edge: Position plus
// the shift every av_offset so far has added (see Truths).
func (c *Channel) MediaPosition() float64 {
	p := c.Position()
	return p + c.plan.shift(true, p)
}

// Impairments returns the scheduled impairments whose windows overlap [from, to) of
// generator time (Impairment windows are in generator time: seconds since Started).
func (c *Channel) Impairments(from, to float64) []Impairment { return c.plan.s.Between(from, to) }

// Truths returns the ground truth of the impairments overlapping [from, to) of
// generator time, in channel media time (see Client.Start to map a client's).
func (c *Channel) Truths(from, to float64) []Truth { return c.plan.truths(c.spec, from, to) }
