package actors

import (
	"context"
	"log/slog"
)

// quietLogger routes protoactor's logs through vigil's logger one level down: its
// Info chatter (actor system started, dead letters) becomes Debug, so that vigil run at
// its default level prints only what an operator needs, and -log-level debug shows all.
func quietLogger(l *slog.Logger) *slog.Logger {
	return slog.New(demote{l.Handler()})
}

type demote struct{ h slog.Handler }

func (d demote) Enabled(ctx context.Context, lv slog.Level) bool {
	return d.h.Enabled(ctx, lower(lv))
}

func (d demote) Handle(ctx context.Context, r slog.Record) error {
	r.Level = lower(r.Level)
	return d.h.Handle(ctx, r)
}

func (d demote) WithAttrs(as []slog.Attr) slog.Handler { return demote{d.h.WithAttrs(as)} }
func (d demote) WithGroup(n string) slog.Handler       { return demote{d.h.WithGroup(n)} }

func lower(lv slog.Level) slog.Level {
	if lv >= slog.LevelWarn {
		return lv
	}
	return lv - 4
}
