package media

/*
#include <stdint.h>
#include <libavutil/log.h>
void vigil_log_install(void);
void vigil_log_set_level(int level);
*/
import "C"

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// FFmpeg's own messages never go to stderr: the package installs a log callback when
// it is loaded and routes every message through log/slog. Messages about an input go to
// its Config.Logger (rate-limited per input), the rest to the package logger.

var (
	ffLogger atomic.Pointer[slog.Logger]
	ffLevel  atomic.Int64
)

func init() {
	ffLevel.Store(int64(slog.LevelWarn))
	C.vigil_log_install()
}

// SetFFmpegLog routes FFmpeg's log messages of level and above to logger (nil means
// slog.Default()). The default is slog.Default() at slog.LevelWarn. Decoder errors are
// counted in Stats whatever the level. Safe to call at any time.
func SetFFmpegLog(logger *slog.Logger, level slog.Level) {
	ffLogger.Store(logger)
	ffLevel.Store(int64(level))
	C.vigil_log_set_level(C.int(avLevel(level)))
}

func packageLogger() *slog.Logger {
	if l := ffLogger.Load(); l != nil {
		return l
	}
	return slog.Default()
}

// avLevel maps a slog level to the FFmpeg level that lets the same messages through.
func avLevel(l slog.Level) int {
	switch {
	case l >= slog.LevelError:
		return C.AV_LOG_ERROR
	case l >= slog.LevelWarn:
		return C.AV_LOG_WARNING
	case l >= slog.LevelInfo:
		return C.AV_LOG_INFO
	case l >= slog.LevelDebug:
		return C.AV_LOG_DEBUG
	default:
		return C.AV_LOG_TRACE
	}
}

// slogLevel maps an FFmpeg level to slog.
func slogLevel(l int) slog.Level {
	switch {
	case l <= C.AV_LOG_ERROR:
		return slog.LevelError
	case l <= C.AV_LOG_WARNING:
		return slog.LevelWarn
	case l <= C.AV_LOG_INFO:
		return slog.LevelInfo
	default:
		return slog.LevelDebug
	}
}

// Log attribution tokens, stored in the opaque field of an input's format context and
// decoders (and copied by FFmpeg into frame-thread copies of a decoder).
const (
	tokenFormat = 0
	tokenVideo  = 1
	tokenAudio  = 2
)

func makeToken(id uint64, kind uintptr) uintptr { return uintptr(id)<<2 | kind }

// registry maps input ids to open inputs for log attribution.
var registry struct {
	sync.RWMutex
	next   uint64
	inputs map[uint64]*Input
}

func register(in *Input) uint64 {
	registry.Lock()
	defer registry.Unlock()
	if registry.inputs == nil {
		registry.inputs = make(map[uint64]*Input)
	}
	registry.next++
	registry.inputs[registry.next] = in
	return registry.next
}

func unregister(id uint64) {
	registry.Lock()
	defer registry.Unlock()
	delete(registry.inputs, id)
}

func lookup(id uint64) *Input {
	registry.RLock()
	defer registry.RUnlock()
	return registry.inputs[id]
}

//export vigilLog
func vigilLog(ctx, token C.uintptr_t, kind, level C.int, item, msg *C.char) {
	text, ok := assemble(uintptr(ctx), C.GoString(msg))
	if !ok {
		return
	}
	handleLog(uint64(token), int(kind), int(level), C.GoString(item), text)
}

// FFmpeg sometimes prints one line in several calls; pieces without a final newline
// wait here, per logging context, for the rest of their line.
var partial struct {
	sync.Mutex
	lines map[uintptr]string
}

// maxPartial bounds the number of contexts with an unfinished line.
const maxPartial = 256

// assemble returns the complete line msg finishes (trimmed), or ok=false while the
// line is unfinished or empty.
func assemble(ctx uintptr, msg string) (line string, ok bool) {
	partial.Lock()
	defer partial.Unlock()
	if !strings.HasSuffix(msg, "\n") {
		if partial.lines == nil || len(partial.lines) >= maxPartial {
			partial.lines = make(map[uintptr]string)
		}
		partial.lines[ctx] += msg
		return "", false
	}
	if prev, found := partial.lines[ctx]; found {
		msg = prev + msg
		delete(partial.lines, ctx)
	}
	line = strings.TrimSpace(msg)
	return line, line != ""
}

// handleLog counts decoder errors and logs one FFmpeg message.
func handleLog(token uint64, kind, level int, item, text string) {
	lvl := slogLevel(level)
	var in *Input
	if token != 0 {
		in = lookup(token >> 2)
	}
	if kind == 1 && level <= C.AV_LOG_ERROR {
		switch {
		case in == nil:
			// A decoder without a token probes streams inside avformat_find_stream_info;
			// its complaints about a stream joined mid-way are expected.
			lvl = slog.LevelDebug
		case !in.decoderError(int(token & 3)):
			lvl = slog.LevelDebug // start-up noise before the first frame, not counted
		}
	}
	if lvl < slog.Level(ffLevel.Load()) {
		return
	}
	logger, limit, clock := packageLogger(), &unattributed, SystemClock
	if in != nil {
		limit, clock = &in.logLimit, in.cfg.Clock
		if in.cfg.Logger != nil {
			logger = in.cfg.Logger
		}
	}
	ok, heldBack := limit.allow(clock.Now(), lvl)
	if heldBack > 0 {
		logger.LogAttrs(context.Background(), lvl, "ffmpeg messages suppressed",
			slog.String("component", "ffmpeg"), slog.Int("count", heldBack))
	}
	if !ok {
		return
	}
	logger.LogAttrs(context.Background(), lvl, text, slog.String("component", "ffmpeg"), slog.String("ffmpeg", item))
}

// unattributed limits messages that belong to no input (connection attempts, probing).
var unattributed logLimiter

// logLimiter lets at most logBurst messages of each level per logWindow through (so
// debug chatter cannot hide errors); allow reports how many of that level it held back
// in the window that just closed.
type logLimiter struct {
	mu     sync.Mutex
	levels [4]logBucket // error, warn, info, debug
}

type logBucket struct {
	start      time.Time
	n          int
	suppressed int
}

const (
	logBurst  = 20
	logWindow = 10 * time.Second
)

func (l *logLimiter) allow(now time.Time, level slog.Level) (ok bool, heldBack int) {
	i := 3
	switch {
	case level >= slog.LevelError:
		i = 0
	case level >= slog.LevelWarn:
		i = 1
	case level >= slog.LevelInfo:
		i = 2
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	b := &l.levels[i]
	if now.Sub(b.start) >= logWindow {
		heldBack = b.suppressed
		b.start, b.n, b.suppressed = now, 0, 0
	}
	if b.n >= logBurst {
		b.suppressed++
		return false, heldBack
	}
	b.n++
	return true, heldBack
}
