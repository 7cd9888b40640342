package media

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/asticode/go-astiav"
)

// Sink receives the decoded frames of an input. Run calls it from its own goroutine,
// one frame at a time; a call may block (that is how a scan applies backpressure), but
// while it blocks nothing is read from the input.
type Sink interface {
	// Video receives one reference to f; the Sink (or whoever it hands f to) must
	// Release it. f.Y points into FFmpeg's memory until then.
	Video(f *VideoFrame)
	// Audio receives one reference to a, to be released likewise.
	Audio(a *AudioFrame)
}

// Input is one opened input: a demuxer plus a decoder for its best video and best
// audio stream. Open it, call Run once, then Close. Info, Stats and Outstanding may be
// called from any goroutine at any time.
type Input struct {
	cfg Config
	src source
	// noSignal is the effective no-signal timeout (Config.NoSignalTimeout, raised for
	// HLS).
	noSignal time.Duration
	info     Info
	id       uint64

	fc     *astiav.FormatContext
	fcPtr  unsafe.Pointer
	opened bool
	intr   astiav.IOInterrupter
	pkt    *astiav.Packet
	video  *videoDecoder
	audio  *audioDecoder

	tl          timeline
	pace        pacer
	stats       statsState
	errs        [2]errorCount
	logLimit    logLimiter
	outstanding atomic.Int64

	// waitStart is when Run began waiting for the next packet (clock UnixNano), 0
	// while it is not waiting; the watchdog reads it.
	waitStart atomic.Int64
	// reason says why the input was interrupted (reasonCtx, reasonNoSignal,
	// reasonClosed); the first reason wins.
	reason atomic.Int32

	closing   chan struct{}
	closeOnce sync.Once
	runMu     sync.Mutex // held by Run for its whole duration, and by Close
	ran       bool
	closed    bool
}

// errorCount counts one stream's decoder errors, separating those before its first
// frame (start-up, not counted in Stats).
type errorCount struct {
	started atomic.Bool
	counted atomic.Uint64
	startup atomic.Uint64
}

func (e *errorCount) add() bool {
	if e.started.Load() {
		e.counted.Add(1)
		return true
	}
	e.startup.Add(1)
	return false
}

// Open opens url, probes its streams and opens decoders for the best video and audio
// stream. ctx bounds the open and the probing (a stalled server is interrupted); it is
// not kept. url is validated with ValidateURL first. Errors wrap ErrUnsupportedURL,
// ErrTooLarge, ErrNoStreams, ctx.Err() or FFmpeg's error.
func Open(ctx context.Context, url string, cfg Config) (_ *Input, err error) {
	cfg, err = cfg.validate()
	if err != nil {
		return nil, fmt.Errorf("open input: %w", err)
	}
	src, err := parseSource(url, cfg.AllowFile)
	if err != nil {
		return nil, fmt.Errorf("open input: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("open input: %w", err)
	}
	in := &Input{cfg: cfg, src: src, closing: make(chan struct{}), tl: timeline{base: cfg.StartAt}}
	in.id = register(in)
	in.pace.clock = cfg.Clock
	defer func() {
		if err != nil {
			in.Close()
			err = fmt.Errorf("open input: %w", err)
		}
	}()
	if err := in.openFormat(ctx); err != nil {
		return nil, err
	}
	if err := in.openStreams(); err != nil {
		return nil, err
	}
	in.noSignal = cfg.NoSignalTimeout
	if in.info.Container == "hls" && in.noSignal > 0 && in.noSignal < HLSNoSignalFloor {
		in.noSignal = HLSNoSignalFloor
	}
	if in.pkt = astiav.AllocPacket(); in.pkt == nil {
		return nil, errors.New("allocate packet: out of memory")
	}
	return in, nil
}

// openFormat opens the demuxer and probes the streams, interrupting FFmpeg when ctx
// ends.
func (in *Input) openFormat(ctx context.Context) error {
	if in.fc = astiav.AllocFormatContext(); in.fc == nil {
		return errors.New("allocate format context: out of memory")
	}
	in.fcPtr = formatContextPtr(in.fc)
	if err := checkFormatPtr(in.fc, in.fcPtr); err != nil {
		return err
	}
	setupFormat(in.fcPtr, makeToken(in.id, tokenFormat))
	in.intr = in.fc.SetInterruptCallback()
	opts, err := in.formatOptions()
	if err != nil {
		return err
	}
	defer opts.Free()

	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		select {
		case <-ctx.Done():
			in.intr.Interrupt()
		case <-done:
		}
	}()
	err = in.fc.OpenInput(in.src.url, nil, opts)
	if err == nil {
		in.opened = true
		err = in.fc.FindStreamInfo(nil)
	}
	close(done)
	wg.Wait()
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if err != nil {
		if !in.opened {
			in.fcPtr = nil // avformat_open_input freed the context
		}
		return err
	}
	return checkFormatPtr(in.fc, in.fcPtr)
}

// formatOptions returns the demuxer and protocol options for the input; the caller
// frees them.
func (in *Input) formatOptions() (*astiav.Dictionary, error) {
	d := astiav.NewDictionary()
	set := func(k, v string) error {
		if err := d.Set(k, v, 0); err != nil {
			return fmt.Errorf("option %s: %w", k, err)
		}
		return nil
	}
	us := func(t time.Duration) string { return strconv.FormatInt(t.Microseconds(), 10) }
	opts := [][2]string{{"protocol_whitelist", in.src.proto.whitelist}}
	if in.cfg.ProbeSize > 0 {
		opts = append(opts, [2]string{"probesize", strconv.FormatInt(in.cfg.ProbeSize, 10)})
	}
	if in.cfg.AnalyzeDuration > 0 {
		opts = append(opts, [2]string{"analyzeduration", us(in.cfg.AnalyzeDuration)})
	}
	if !in.src.file() && in.cfg.ReadTimeout > 0 {
		opts = append(opts, [2]string{"rw_timeout", us(in.cfg.ReadTimeout)})
		if t := in.src.proto.timeout; t != "" {
			opts = append(opts, [2]string{t, us(in.cfg.ReadTimeout)})
		}
	}
	opts = append(opts, in.src.proto.options...)
	for _, o := range opts {
		if err := set(o[0], o[1]); err != nil {
			d.Free()
			return nil, err
		}
	}
	return d, nil
}

// openStreams picks the best video and audio streams and opens their decoders.
func (in *Input) openStreams() error {
	in.info.Container = in.fc.InputFormat().Name()
	if d := in.fc.Duration(); d > 0 {
		in.info.Duration = time.Duration(d) * time.Microsecond
	}
	streams := in.fc.Streams()
	if i := bestStream(in.fcPtr, true); i >= 0 && i < len(streams) {
		v, err := in.openVideo(streams[i])
		switch {
		case errors.Is(err, errNoDecoder):
			in.logger().Warn("video stream skipped", "component", "media", "err", err)
		case err != nil:
			return err
		default:
			in.video = v
		}
	}
	if i := bestStream(in.fcPtr, false); i >= 0 && i < len(streams) {
		a, err := in.openAudio(streams[i])
		switch {
		case errors.Is(err, errNoDecoder):
			in.logger().Warn("audio stream skipped", "component", "media", "err", err)
		case err != nil:
			return err
		default:
			in.audio = a
		}
	}
	if in.video == nil && in.audio == nil {
		return ErrNoStreams
	}
	return nil
}

func (in *Input) logger() *slog.Logger {
	if in.cfg.Logger != nil {
		return in.cfg.Logger
	}
	return packageLogger()
}

// Info describes the input's container and decoded streams.
func (in *Input) Info() Info { return in.info.clone() }

// Stats returns a snapshot of the input's counters. Safe to call concurrently with Run.
func (in *Input) Stats() Stats {
	s := in.stats.snapshot()
	s.DecodeErrors = in.errs[streamVideo].counted.Load() + in.errs[streamAudio].counted.Load()
	if s.FrameRate == 0 && in.info.Video != nil {
		s.FrameRate = in.info.Video.FrameRate
	}
	return s
}

// Outstanding returns how many delivered frames have not been released yet (for leak
// checks and backpressure).
func (in *Input) Outstanding() int { return int(in.outstanding.Load()) }

// decoderError records a decoder error reported through FFmpeg's log for the stream
// of a log token and reports whether it was counted (false before the stream's first
// frame).
func (in *Input) decoderError(tokenStream int) bool {
	switch tokenStream {
	case tokenVideo:
		return in.errs[streamVideo].add()
	case tokenAudio:
		return in.errs[streamAudio].add()
	}
	return false
}

// Close stops a running Run (and waits for it to return, so a Sink blocked for good
// blocks Close too), then frees every FFmpeg resource of the input. Frames still held
// stay valid until released. Close is idempotent and always returns nil; it must not be
// called from the Sink.
func (in *Input) Close() error {
	in.closeOnce.Do(func() {
		close(in.closing)
		in.runMu.Lock()
		defer in.runMu.Unlock()
		in.closed = true
		in.pace.stop()
		if in.video != nil {
			in.video.close()
		}
		if in.audio != nil {
			in.audio.close()
		}
		if in.pkt != nil {
			in.pkt.Free()
		}
		if in.fc != nil {
			if in.opened {
				in.fc.CloseInput()
			}
			in.fc.Free()
		}
		unregister(in.id)
	})
	return nil
}
