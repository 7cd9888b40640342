package distributed

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/vigil-monitor/vigil/media/detect"
)

// Mode is one way of running the detectors on a clip.
type Mode string

// The designs measured.
const (
	// DecodeOnly is the reference: demux and decode the clip, no detectors, one
	// process. It shows how much of each design's cost is FFmpeg's.
	DecodeOnly Mode = "decode-only"

	// Monolith is vigil: decoder and detector actors in one process, frames by
	// reference.
	Monolith Mode = "monolith"
	// Distributed puts the detector actors on a second node in another process; each
	// frame is serialised once, sent over protoactor-go remote and fanned out by
	// reference there.
	Distributed Mode = "distributed"
	// PerDetector is Distributed with one serialised copy of each frame per detector
	// actor, as a design with one service per detector sends it.
	PerDetector Mode = "distributed-per-detector"
)

// Modes lists every mode in report order.
var Modes = []Mode{Monolith, Distributed, PerDetector, DecodeOnly}

// Sample is one measured run of one mode.
type Sample struct {
	// Mode is the design run.
	Mode Mode
	// Processes is the kernel's accounting of each process of the run: the monolith,
	// or the decoder node then the detector node.
	Processes []Usage
	// VideoFrames and AudioFrames were decoded.
	VideoFrames, AudioFrames uint64
	// AnalysedVideo and AnalysedAudio are the fewest frames any one detector analysed.
	AnalysedVideo, AnalysedAudio uint64
	// Defects are the defect events reported, in order.
	Defects []detect.Event
	// PayloadBytes is the size of the serialised frame messages (0 for Monolith).
	PayloadBytes int64
	// Bytes is what crossed the loopback connections between the nodes, both
	// directions (0 for Monolith, which has none).
	Bytes int64
	// Wall is the run's elapsed time.
	Wall time.Duration
}

// CPU returns the CPU time of all the run's processes.
func (s Sample) CPU() time.Duration {
	var t time.Duration
	for _, p := range s.Processes {
		t += p.CPU
	}
	return t
}

// CPUPerFrame returns CPU time per decoded video frame.
func (s Sample) CPUPerFrame() time.Duration {
	if s.VideoFrames == 0 {
		return 0
	}
	return s.CPU() / time.Duration(s.VideoFrames)
}

// BytesPerHour extrapolates Bytes to an hour of video at fps frames per second.
func (s Sample) BytesPerHour(fps int) float64 {
	if s.VideoFrames == 0 {
		return 0
	}
	return float64(s.Bytes) / float64(s.VideoFrames) * float64(fps) * 3600
}

// Run measures one run of mode on clip, each node in its own child process.
func Run(ctx context.Context, e Exec, mode Mode, clip string) (Sample, error) {
	start := time.Now()
	s := Sample{Mode: mode}
	switch mode {
	case Monolith, DecodeOnly:
		role := roleMonolith
		if mode == DecodeOnly {
			role = roleDecode
		}
		c, err := e.start(ctx, role, "-clip", clip)
		if err != nil {
			return s, err
		}
		r, err := c.report()
		if err != nil {
			c.kill()
			return s, err
		}
		u, err := c.wait()
		if err != nil {
			return s, err
		}
		s.Processes = []Usage{u}
		s.fill(r)
	case Distributed, PerDetector:
		det, err := e.start(ctx, roleDetectors)
		if err != nil {
			return s, err
		}
		defer det.kill()
		hello, err := det.report()
		if err != nil {
			return s, err
		}
		args := []string{"-clip", clip, "-peer", hello.Address}
		if mode == PerDetector {
			args = append(args, "-per-detector")
		}
		dec, err := e.start(ctx, roleDecoder, args...)
		if err != nil {
			return s, err
		}
		r, err := dec.report()
		if err != nil {
			dec.kill()
			return s, err
		}
		du, err := dec.wait()
		if err != nil {
			return s, err
		}
		det.stdin.Close() // the detector node reports its traffic and exits
		dr, err := det.report()
		if err != nil {
			return s, err
		}
		tu, err := det.wait()
		if err != nil {
			return s, err
		}
		s.Processes = []Usage{du, tu}
		s.fill(r)
		s.Bytes = r.Written + r.Read + dr.Written + dr.Read
	default:
		return s, fmt.Errorf("distributed: unknown mode %q", mode)
	}
	s.Wall = time.Since(start)
	return s, nil
}

func (s *Sample) fill(r childReport) {
	s.VideoFrames, s.AudioFrames = r.VideoFrames, r.AudioFrames
	s.AnalysedVideo, s.AnalysedAudio = r.AnalysedVideo, r.AnalysedAudio
	s.Defects, s.PayloadBytes = r.Defects, r.PayloadBytes
}

// Measure runs every mode runs times on clip, interleaved (one run of each mode per
// round) so that background load on a shared machine falls on all of them alike.
// progress, if not nil, is called after each run.
func Measure(ctx context.Context, e Exec, modes []Mode, clip string, runs int, progress func(Sample)) ([]Sample, error) {
	var all []Sample
	for range runs {
		for _, m := range modes {
			s, err := Run(ctx, e, m, clip)
			if err != nil {
				return all, fmt.Errorf("%s run: %w", m, err)
			}
			if progress != nil {
				progress(s)
			}
			all = append(all, s)
		}
	}
	return all, nil
}

// ended returns the ended defects of evs with times rounded to milliseconds, sorted,
// for comparing runs.
func ended(evs []detect.Event) []detect.Event {
	var out []detect.Event
	for _, e := range evs {
		if e.Ended {
			e.Start = math.Round(e.Start*1000) / 1000
			e.End = math.Round(e.End*1000) / 1000
			out = append(out, e)
		}
	}
	slices.SortFunc(out, func(a, b detect.Event) int {
		if a.Start != b.Start {
			return cmp.Compare(a.Start, b.Start)
		}
		if a.Type != b.Type {
			return cmp.Compare(a.Type, b.Type)
		}
		return cmp.Compare(a.End, b.End)
	})
	return out
}

// SameDefects reports whether a and b found the same defects: same types, start and
// end times to the millisecond, and scores within 1e-6.
func SameDefects(a, b []detect.Event) bool {
	ea, eb := ended(a), ended(b)
	return slices.EqualFunc(ea, eb, func(x, y detect.Event) bool {
		return x.Type == y.Type && x.Start == y.Start && x.End == y.End && math.Abs(x.Score-y.Score) < 1e-6
	})
}
