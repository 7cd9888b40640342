package synth

import (
	"context"
	"fmt"
	"io"
	"math"
	"os"
)

// Write encodes the clip spec describes into w, as fast as the CPU allows, and
// returns its ground truth (Truths(spec)). If w is an io.WriteSeeker that can seek
// (a regular file), MP4 gets its index at the end and Matroska its cues; otherwise MP4
// is written fragmented. Write checks ctx between frames.
func Write(ctx context.Context, w io.Writer, spec Spec) ([]Truth, error) {
	s := spec.withDefaults()
	if err := s.validate(false); err != nil {
		return nil, err
	}
	g, err := newGenerator(s, newList(s), w, canSeek(w), false)
	if err != nil {
		return nil, err
	}
	defer g.close()
	frames := int64(math.Round(s.Duration * float64(s.FPS)))
	for g.frame < frames {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if err := g.step(); err != nil {
			return nil, err
		}
	}
	if err := g.finish(); err != nil {
		return nil, err
	}
	return Truths(s), nil
}

// WriteFile writes the clip spec describes to a new file at path (see Write). The
// file is removed if writing fails.
func WriteFile(ctx context.Context, path string, spec Spec) (truth []Truth, err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("create clip: %w", err)
	}
	defer func() {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("close clip: %w", cerr)
		}
		if err != nil {
			os.Remove(path)
			truth = nil
		}
	}()
	return Write(ctx, f, spec)
}

// canSeek reports whether w is an io.WriteSeeker that really seeks (pipes and
// terminals are *os.File too, but cannot).
func canSeek(w io.Writer) bool {
	ws, ok := w.(io.WriteSeeker)
	if !ok {
		return false
	}
	_, err := ws.Seek(0, io.SeekCurrent)
	return err == nil
}
