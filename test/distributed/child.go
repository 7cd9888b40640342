package distributed

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/vigil-monitor/vigil/actors"
	"github.com/vigil-monitor/vigil/media"
	"github.com/vigil-monitor/vigil/media/detect"
)

// ChildEnv is the environment variable that turns the running executable into a
// benchmark child; its value names the role: "monolith", "detectors", "decoder" or
// "decode".
const ChildEnv = "VIGIL_FRAMEBENCH_ROLE"

// Roles a child process can play.
const (
	roleMonolith  = "monolith"
	roleDetectors = "detectors"
	roleDecoder   = "decoder"
	roleDecode    = "decode"
)

// childReport is the JSON object a child prints on stdout when it is done. A
// detectors child first prints one with only Address set.
type childReport struct {
	Address       string         `json:"address,omitempty"`
	VideoFrames   uint64         `json:"video_frames"`
	AudioFrames   uint64         `json:"audio_frames"`
	AnalysedVideo uint64         `json:"analysed_video"`
	AnalysedAudio uint64         `json:"analysed_audio"`
	Defects       []detect.Event `json:"defects"`
	PayloadBytes  int64          `json:"payload_bytes"`
	Written       int64          `json:"written"`
	Read          int64          `json:"read"`
}

// ChildMain runs this process as a benchmark child when ChildEnv is set, with the
// process's arguments as the role's flags, and returns the exit code; ok is false
// when ChildEnv is unset. Call it first thing in main (or TestMain) and exit with code.
func ChildMain() (code int, ok bool) {
	role := os.Getenv(ChildEnv)
	if role == "" {
		return 0, false
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := runChild(ctx, role, os.Args[1:], os.Stdin, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintf(os.Stderr, "framebench %s: %v\n", role, err)
		return 1, true
	}
	return 0, true
}

// runChild plays role with args as its flags.
func runChild(ctx context.Context, role string, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet(role, flag.ContinueOnError)
	fs.SetOutput(stderr)
	clip := fs.String("clip", "", "input to analyse")
	peer := fs.String("peer", "", "detector node address (decoder)")
	perDetector := fs.Bool("per-detector", false, "one serialised copy per detector (decoder)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	log := warnLogger(stderr)
	out := json.NewEncoder(stdout)
	switch role {
	case roleMonolith:
		res, err := RunMonolith(ctx, *clip, log)
		if err != nil {
			return err
		}
		return out.Encode(childReport{VideoFrames: res.VideoFrames, AudioFrames: res.AudioFrames,
			AnalysedVideo: res.VideoFrames, AnalysedAudio: res.AudioFrames, Defects: res.Defects})
	case roleDecode:
		res, err := decodeOnly(ctx, *clip)
		if err != nil {
			return err
		}
		return out.Encode(res)
	case roleDetectors:
		n, err := StartDetectorNode(detect.DefaultConfig(), log)
		if err != nil {
			return err
		}
		defer n.Close()
		if err := out.Encode(childReport{Address: n.Address()}); err != nil {
			return err
		}
		// The parent closes stdin when the run is over.
		if _, err := io.Copy(io.Discard, bufio.NewReader(stdin)); err != nil && !errors.Is(err, os.ErrClosed) {
			return fmt.Errorf("read stdin: %w", err)
		}
		n.Close()
		t := n.Traffic()
		return out.Encode(childReport{Written: t.Written.Load(), Read: t.Read.Load()})
	case roleDecoder:
		res, err := RunDecoder(ctx, DecoderConfig{
			Clip: *clip, Peer: *peer, PerDetector: *perDetector,
			Window: actors.DefaultConfig().QueueDepth, Media: media.ScanConfig(),
			ReplyTimeout: time.Minute, Logger: log,
		})
		if err != nil {
			return err
		}
		return out.Encode(childReport{VideoFrames: res.VideoFrames, AudioFrames: res.AudioFrames,
			AnalysedVideo: res.AnalysedVideo, AnalysedAudio: res.AnalysedAudio, Defects: res.Defects,
			PayloadBytes: res.PayloadBytes, Written: res.Written, Read: res.Read})
	}
	return fmt.Errorf("unknown role %q", role)
}

// decodeOnly decodes clip and releases every frame at once.
func decodeOnly(ctx context.Context, clip string) (childReport, error) {
	in, err := media.Open(ctx, clip, media.ScanConfig())
	if err != nil {
		return childReport{}, fmt.Errorf("open input: %w", err)
	}
	defer in.Close()
	var s discard
	if err := in.Run(ctx, &s); err != nil {
		return childReport{}, fmt.Errorf("decode: %w", err)
	}
	return childReport{VideoFrames: s.video, AudioFrames: s.audio}, nil
}

// discard is a media.Sink that counts and releases frames.
type discard struct{ video, audio uint64 }

func (d *discard) Video(f *media.VideoFrame) { d.video++; f.Release() }
func (d *discard) Audio(a *media.AudioFrame) { d.audio++; a.Release() }
