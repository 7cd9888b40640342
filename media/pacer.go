package media

import (
	"context"
	"time"
)

// paceMaxLag is how far behind schedule pacing may fall (a slow Sink) before it gives
// up catching up and restarts its schedule from the current frame.
const paceMaxLag = time.Second

// pacer holds frames back until their media time, measured from the first frame, has
// passed on the clock: it plays a file at its native rate.
type pacer struct {
	clock   Clock
	timer   Timer
	started bool
	wall    time.Time
	media   float64
}

// wait blocks until media time t is due. It returns ctx.Err() if ctx ends first and
// ErrClosed if closing is closed first.
func (p *pacer) wait(ctx context.Context, closing <-chan struct{}, t float64) error {
	now := p.clock.Now()
	if !p.started {
		p.started, p.wall, p.media = true, now, t
		return nil
	}
	d := p.wall.Add(time.Duration((t - p.media) * float64(time.Second))).Sub(now)
	if d <= 0 {
		if -d > paceMaxLag {
			p.wall, p.media = now, t
		}
		return nil
	}
	if p.timer == nil {
		p.timer = p.clock.NewTimer(d)
	} else {
		p.timer.Reset(d)
	}
	select {
	case <-p.timer.C():
		return nil
	case <-ctx.Done():
		p.timer.Stop()
		return ctx.Err()
	case <-closing:
		p.timer.Stop()
		return ErrClosed
	}
}

func (p *pacer) stop() {
	if p.timer != nil {
		p.timer.Stop()
	}
}
