package distributed

import (
	"context"
	"io"
	"log/slog"
	"sync/atomic"

	"github.com/asynkron/protoactor-go/actor"
)

// warnLogger returns the logger every run uses: warnings and errors only, as text on w.
// protoactor's own logger reports every connection and every dead letter at Info.
func warnLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// newActorSystem starts an actor system whose logs go to log. Calling the returned
// quiet function silences protoactor from then on: when a node shuts down, its
// endpoint writers log the connections they close themselves as lost, at Error.
func newActorSystem(log *slog.Logger) (system *actor.ActorSystem, quiet func()) {
	h := &muteHandler{h: log.With("component", "protoactor").Handler(), muted: new(atomic.Bool)}
	l := slog.New(h)
	system = actor.NewActorSystemWithConfig(actor.Configure(
		actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger { return l }),
	))
	return system, func() { h.muted.Store(true) }
}

// muteHandler passes records to h until muted.
type muteHandler struct {
	h     slog.Handler
	muted *atomic.Bool
}

func (m *muteHandler) Enabled(ctx context.Context, lv slog.Level) bool {
	return !m.muted.Load() && m.h.Enabled(ctx, lv)
}

func (m *muteHandler) Handle(ctx context.Context, r slog.Record) error {
	if m.muted.Load() {
		return nil
	}
	return m.h.Handle(ctx, r)
}

func (m *muteHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return &muteHandler{h: m.h.WithAttrs(as), muted: m.muted}
}

func (m *muteHandler) WithGroup(n string) slog.Handler {
	return &muteHandler{h: m.h.WithGroup(n), muted: m.muted}
}
