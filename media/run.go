package media

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/asticode/go-astiav"
)

// Why the input was interrupted.
const (
	reasonNone int32 = iota
	reasonCtx
	reasonNoSignal
	reasonClosed
)

// Run reads and decodes the input until it ends, handing every frame to sink from the
// calling goroutine. It returns nil at the end of the input (for a looping file: never),
// ctx.Err() when ctx is cancelled (a blocked network read is interrupted within about
// 100 ms), an error wrapping ErrNoSignal when no packet arrived for
// Config.NoSignalTimeout, ErrClosed when Close was called, and otherwise a wrapped
// decode or read error. Run may be called once per Input.
func (in *Input) Run(ctx context.Context, sink Sink) error {
	in.runMu.Lock()
	defer in.runMu.Unlock()
	switch {
	case in.closed:
		return ErrClosed
	case in.ran:
		return errors.New("media: Run called twice")
	}
	in.ran = true
	if err := ctx.Err(); err != nil {
		return err
	}
	done := make(chan struct{})
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		in.watch(ctx, done)
	}()
	err := in.loop(ctx, sink)
	close(done)
	<-watched
	switch in.reason.Load() {
	case reasonCtx:
		return ctx.Err()
	case reasonClosed:
		return ErrClosed
	case reasonNoSignal:
		return fmt.Errorf("read packet: nothing for %v: %w", in.noSignal, ErrNoSignal)
	}
	if errors.Is(err, ErrClosed) {
		return ErrClosed
	}
	if ctxErr := ctx.Err(); ctxErr != nil && errors.Is(err, ctxErr) {
		return ctxErr
	}
	return err
}

// loop is Run's demux and decode loop.
func (in *Input) loop(ctx context.Context, sink Sink) error {
	clock := in.cfg.Clock
	waiting := false
	delivered := uint64(0) // frames at the start of the current loop iteration
	for {
		if !waiting {
			waiting = true
			in.waitStart.Store(clock.Now().UnixNano())
		}
		err := in.fc.ReadFrame(in.pkt)
		if err != nil {
			if in.reason.Load() != reasonNone {
				return err
			}
			switch {
			case errors.Is(err, astiav.ErrEagain):
				continue
			case errors.Is(err, astiav.ErrEof) && ioError(in.fcPtr) < 0:
				err = astiav.Error(ioError(in.fcPtr))
				if errors.Is(err, astiav.ErrEtimedout) {
					return fmt.Errorf("read packet: %w: %w", ErrNoSignal, err)
				}
				return fmt.Errorf("read packet: %w", err)
			case errors.Is(err, astiav.ErrEof):
				in.waitStart.Store(0)
				waiting = false
				if err := in.drain(ctx, sink); err != nil {
					return err
				}
				if !in.cfg.Loop || !in.src.file() {
					return nil
				}
				total := in.frameCount()
				if total == delivered {
					return errors.New("loop input: no frame decoded in a whole pass")
				}
				delivered = total
				if err := in.rewind(); err != nil {
					return err
				}
				continue
			case errors.Is(err, astiav.ErrEtimedout):
				return fmt.Errorf("read packet: %w: %w", ErrNoSignal, err)
			}
			return fmt.Errorf("read packet: %w", err)
		}
		in.waitStart.Store(0)
		waiting = false
		if in.reason.Load() != reasonNone {
			// Interrupted: the demuxer may hand out a truncated packet it flushed.
			in.pkt.Unref()
			return nil
		}
		in.stats.packet(in.pkt.Size(), in.tl.now(), clock.Now())
		err = in.handlePacket(ctx, sink)
		in.pkt.Unref()
		if err != nil {
			return err
		}
	}
}

func (in *Input) handlePacket(ctx context.Context, sink Sink) error {
	idx := in.pkt.StreamIndex()
	switch {
	case in.video != nil && idx == in.video.index:
		return in.decodeVideo(ctx, sink)
	case in.audio != nil && idx == in.audio.index:
		return in.decodeAudio(ctx, sink)
	}
	return nil
}

// paced reports whether frames wait for their media time.
func (in *Input) paced() bool { return in.cfg.Realtime && in.src.file() }

func (in *Input) frameCount() uint64 {
	s := in.stats.snapshot()
	return s.VideoFrames + s.AudioFrames
}

// send feeds pkt (nil to drain) to d and delivers the frames that come out. counts
// says whether the packet is expected to produce a frame of its own.
func (in *Input) send(ctx context.Context, sink Sink, d *decoder, pkt *astiav.Packet, counts bool) error {
	err := d.cc.SendPacket(pkt)
	if errors.Is(err, astiav.ErrEagain) {
		// The decoder is full: take its frames out, then try again.
		if err := in.receive(ctx, sink, d); err != nil {
			return err
		}
		err = d.cc.SendPacket(pkt)
	}
	switch {
	case err == nil:
		if pkt != nil && counts {
			d.sent++
		}
	case errors.Is(err, astiav.ErrEof):
	default:
		if in.errs[d.stream].add() {
			in.logger().Debug("decoder rejected packet", "component", "media", "err", err)
		}
	}
	return in.receive(ctx, sink, d)
}

// receive delivers every frame d has ready.
func (in *Input) receive(ctx context.Context, sink Sink, d *decoder) error {
	failures := 0
	for {
		r := receiveFrame(d.ccPtr, d.frame)
		switch {
		case r == recvAgain || r == recvEOF:
			if d.updateDropped(r == recvEOF) {
				in.updateDropped()
			}
			return nil
		case r < 0:
			in.errs[d.stream].add()
			if failures++; failures >= maxReceiveErrors {
				return nil
			}
			continue
		}
		failures = 0
		d.received++
		if in.reason.Load() != reasonNone {
			d.frame.Unref()
			return nil
		}
		in.errs[d.stream].started.Store(true)
		var err error
		if d.stream == streamVideo {
			err = in.deliverVideo(ctx, sink)
		} else {
			err = in.deliverAudio(ctx, sink)
		}
		if err != nil {
			return err
		}
	}
}

func (in *Input) updateDropped() {
	var n uint64
	if in.video != nil {
		n += in.video.dropped
	}
	if in.audio != nil {
		n += in.audio.dropped
	}
	in.stats.update(func(s *Stats) { s.FramesDropped = n })
}

// drain flushes the frames the decoders still hold at the end of the input.
func (in *Input) drain(ctx context.Context, sink Sink) error {
	if in.video != nil {
		if err := in.send(ctx, sink, &in.video.decoder, nil, false); err != nil {
			return err
		}
	}
	if in.audio != nil {
		if err := in.send(ctx, sink, &in.audio.decoder, nil, false); err != nil {
			return err
		}
	}
	return nil
}

// rewind starts a looping file again from its beginning.
func (in *Input) rewind() error {
	start := in.fc.StartTime()
	if start == noPTS {
		start = 0
	}
	if err := in.fc.SeekFrame(-1, start, astiav.NewSeekFlags(astiav.SeekFlagBackward)); err != nil {
		return fmt.Errorf("loop input: seek: %w", err)
	}
	if in.video != nil {
		flushDecoder(in.video.ccPtr)
		in.video.seenKey = false
	}
	if in.audio != nil {
		flushDecoder(in.audio.ccPtr)
	}
	in.tl.restart()
	in.stats.update(func(s *Stats) { s.Loops++ })
	return nil
}

// watch interrupts FFmpeg when ctx ends, when Close is called, or when Run has waited
// for a packet longer than the no-signal timeout. It is the only goroutine that interrupts
// FFmpeg while Run runs, and returns when done is closed.
func (in *Input) watch(ctx context.Context, done <-chan struct{}) {
	timeout := in.noSignal
	var tick <-chan time.Time
	var timer Timer
	if timeout > 0 {
		timer = in.cfg.Clock.NewTimer(timeout)
		defer timer.Stop()
		tick = timer.C()
	}
	for {
		select {
		case <-done:
			return
		case <-ctx.Done():
			in.interrupt(reasonCtx)
			return
		case <-in.closing:
			in.interrupt(reasonClosed)
			return
		case <-tick:
			next := timeout / 4
			if ws := in.waitStart.Load(); ws != 0 {
				since := time.Duration(in.cfg.Clock.Now().UnixNano() - ws)
				if since >= timeout {
					in.interrupt(reasonNoSignal)
					return
				}
				next = min(next, timeout-since)
			}
			timer.Reset(max(next, time.Millisecond))
		}
	}
}

func (in *Input) interrupt(reason int32) {
	if in.reason.CompareAndSwap(reasonNone, reason) {
		in.intr.Interrupt()
	}
}
