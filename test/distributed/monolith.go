package distributed

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/vigil-monitor/vigil/actors"
	"github.com/vigil-monitor/vigil/media/detect"
)

// MonolithResult is what one in-process run saw.
type MonolithResult struct {
	// VideoFrames and AudioFrames were decoded.
	VideoFrames, AudioFrames uint64
	// Defects are the defect events the node published, in order.
	Defects []detect.Event
}

// RunMonolith analyses clip as vigil does: one actors.Node in Scan mode, frames passed
// by reference from the decoder to the detector actors of the same process.
func RunMonolith(ctx context.Context, clip string, log *slog.Logger) (MonolithResult, error) {
	cfg := actors.ScanConfig()
	cfg.Name = "monolith"
	cfg.Logger = log
	node, err := actors.NewNode(cfg)
	if err != nil {
		return MonolithResult{}, fmt.Errorf("start node: %w", err)
	}
	defer node.Close()
	sub := node.Subscribe(0)
	defer sub.Close()

	const id = "clip"
	if err := node.Start(actors.StreamSpec{ID: id, URL: clip}); err != nil {
		return MonolithResult{}, fmt.Errorf("start stream: %w", err)
	}
	var res MonolithResult
	for {
		e, err := sub.Next(ctx)
		if err != nil {
			return res, fmt.Errorf("wait for the stream to stop: %w", err)
		}
		switch {
		case e.Kind == actors.DefectEvent:
			res.Defects = append(res.Defects, e.Defect)
		case e.Kind == actors.StateEvent && e.State == actors.Stopped:
			st, err := node.Status(id)
			if err != nil {
				return res, err
			}
			if st.LastError != "" {
				return res, fmt.Errorf("analyse %s: %w", clip, errors.New(st.LastError))
			}
			res.VideoFrames, res.AudioFrames = st.Media.VideoFrames, st.Media.AudioFrames
			return res, nil
		}
	}
}
