package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/vigil-monitor/vigil/media"
	"github.com/vigil-monitor/vigil/media/synth"
)

func init() {
	commands["source"] = command{
		summary: "serve synthetic live channels with rolling defects over HTTP",
		run:     runSource,
	}
}

const sourceUsage = `[flags]

Serves --channels live MPEG-TS channels over HTTP for tests and demos. Each channel is
encoded once, in real time, and cycles through every defect type (a 6 s defect every
15 s); channel n shows a different picture content and starts the cycle at a
different defect.

  GET  /                        channels, schedule and ground truth (JSON)
  GET  /ch/<n>.ts               channel n, from the last key frame (GOP cache)
  POST /ch/<n>/stall?seconds=S  send nothing to channel n's clients for S seconds
  POST /ch/<n>/reset            close every connection to channel n`

func runSource(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("source", sourceUsage, stderr)
	listen := fs.String("listen", "127.0.0.1:8090", "HTTP listen address")
	n := fs.Int("channels", 1, "number of channels")
	width := fs.Int("width", 640, "picture width")
	height := fs.Int("height", 360, "picture height")
	fps := fs.Int("fps", 25, "frame rate")
	gop := fs.Int("gop", 0, "key frame interval in frames (default one second)")
	codec := fs.String("codec", "h264", "video codec: h264, hevc or mpeg2")
	logger := logLevelFlag(fs, stderr)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "vigil source: unexpected argument %q\n", fs.Arg(0))
		return errUsage
	}
	log, err := logger()
	if err != nil {
		return err
	}
	if *n < 1 || *n > 64 {
		return fmt.Errorf("--channels %d: want 1 to 64", *n)
	}
	media.SetFFmpegLog(log.With("component", "ffmpeg"), slog.LevelWarn)

	contents := []synth.Content{synth.Motion, synth.Scenes, synth.Static, synth.Dark}
	channels := make([]*synth.Channel, 0, *n)
	defer func() {
		for _, c := range channels {
			c.Close()
		}
	}()
	for i := 0; i < *n; i++ {
		kinds := make([]synth.Kind, len(synth.Kinds))
		for j := range kinds {
			kinds[j] = synth.Kinds[(i+j)%len(synth.Kinds)]
		}
		c, err := synth.NewChannel(synth.LiveConfig{
			Spec: synth.Spec{Width: *width, Height: *height, FPS: *fps, GOP: *gop, Codec: *codec,
				Content: contents[i%len(contents)], Seed: int64(i + 1)},
			Schedule: synth.Schedule{Kinds: kinds},
		})
		if err != nil {
			return fmt.Errorf("channel %d: %w", i, err)
		}
		channels = append(channels, c)
	}

	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	srv := &http.Server{Handler: synth.NewServer(channels), ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	fmt.Fprintf(stdout, "vigil source: %d channel(s) on http://%s/ (streams at /ch/<n>.ts)\n", *n, ln.Addr())
	log.Info("source: serving", "addr", ln.Addr().String(), "channels", *n)

	select {
	case err = <-served:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	// Closing the channels ends every stream; then the server can shut down.
	log.Info("source: stopping")
	for _, c := range channels {
		c.Close()
	}
	log.Debug("source: channels closed")
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		srv.Close()
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	log.Debug("source: stopped")
	return nil
}
