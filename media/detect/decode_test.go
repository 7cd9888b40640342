package detect

import (
	"bufio"
	"context"
	"encoding/binary"
	"io"
	"math"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigil-monitor/vigil/media"
)

// frameInfo is one decoded frame as ffprobe lists it, in decode order.
type frameInfo struct {
	video    bool
	pts, dur float64
	samples  int
	key      bool
	w, h     int
}

// probeFrames lists the decoded frames of path in the order the demuxer delivers them.
func probeFrames(tb testing.TB, path string) []frameInfo {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, "ffprobe", "-v", "error", "-show_entries",
		"frame=media_type,pts_time,pkt_duration_time,nb_samples,key_frame,width,height",
		"-of", "compact=p=0", path).Output()
	if err != nil {
		tb.Fatalf("ffprobe %s: %v", path, err)
	}
	var fs []frameInfo
	for _, line := range strings.Split(string(out), "\n") {
		if !strings.Contains(line, "media_type=") {
			continue
		}
		var f frameInfo
		ok := true
		for _, kv := range strings.Split(line, "|") {
			k, v, _ := strings.Cut(kv, "=")
			switch k {
			case "media_type":
				f.video = v == "video"
				ok = v == "video" || v == "audio"
			case "pts_time":
				f.pts, err = strconv.ParseFloat(v, 64)
				ok = ok && err == nil
			case "pkt_duration_time":
				f.dur, _ = strconv.ParseFloat(v, 64)
			case "nb_samples":
				f.samples, _ = strconv.Atoi(v)
			case "key_frame":
				f.key = v == "1"
			case "width":
				f.w, _ = strconv.Atoi(v)
			case "height":
				f.h, _ = strconv.Atoi(v)
			}
		}
		if ok {
			fs = append(fs, f)
		}
	}
	if len(fs) == 0 {
		tb.Fatalf("ffprobe %s: no frames", path)
	}
	return fs
}

// pipe is a running ffmpeg CLI decoding one stream of a clip to raw data on stdout.
type pipe struct {
	cmd *exec.Cmd
	r   *bufio.Reader
}

func startPipe(tb testing.TB, ctx context.Context, args ...string) *pipe {
	tb.Helper()
	cmd := exec.CommandContext(ctx, "ffmpeg", args...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatalf("ffmpeg pipe: %v", err)
	}
	if err := cmd.Start(); err != nil {
		tb.Fatalf("start ffmpeg: %v", err)
	}
	tb.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	return &pipe{cmd: cmd, r: bufio.NewReaderSize(out, 1<<20)}
}

// decodeClip decodes path with the ffmpeg CLI and calls video or audio for every
// frame in the order ffprobe reports the demuxer delivers them, with PTS in seconds
// from the first decoded frame. Frames are reused: callees must not keep them. It
// returns the media time at which the input ends.
func decodeClip(tb testing.TB, path string, video func(*media.VideoFrame), audio func(*media.AudioFrame)) float64 {
	tb.Helper()
	infos := probeFrames(tb, path)
	origin := math.Inf(1)
	var hasVideo, hasAudio bool
	for _, f := range infos {
		origin = math.Min(origin, f.pts)
		hasVideo = hasVideo || f.video
		hasAudio = hasAudio || !f.video
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var vp, ap *pipe
	if hasVideo && video != nil {
		vp = startPipe(tb, ctx, "-v", "error", "-i", path, "-map", "0:v:0", "-fps_mode", "passthrough",
			"-f", "rawvideo", "-pix_fmt", "gray", "-")
	}
	if hasAudio && audio != nil {
		ap = startPipe(tb, ctx, "-v", "error", "-i", path, "-map", "0:a:0",
			"-f", "f32le", "-ac", "2", "-ar", "48000", "-")
	}
	var (
		end        float64
		luma       []byte
		raw        []byte
		samples    []float32
		vseq, aseq uint64
	)
	for _, f := range infos {
		pts := f.pts - origin
		switch {
		case f.video && vp != nil:
			n := f.w * f.h
			if cap(luma) < n {
				luma = make([]byte, n)
			}
			luma = luma[:n]
			if _, err := io.ReadFull(vp.r, luma); err != nil {
				tb.Logf("video pipe ended at %.3f: %v", pts, err)
				vp = nil
				continue
			}
			vf := media.NewVideoFrame(f.w, f.h, f.w, luma, pts)
			vf.Duration, vf.Key, vf.Seq = f.dur, f.key, vseq
			vseq++
			video(vf)
			vf.Release()
			end = math.Max(end, pts+f.dur)
		case !f.video && ap != nil:
			n := f.samples * 2
			if cap(raw) < 4*n {
				raw, samples = make([]byte, 4*n), make([]float32, n)
			}
			raw, samples = raw[:4*n], samples[:n]
			if _, err := io.ReadFull(ap.r, raw); err != nil {
				tb.Logf("audio pipe ended at %.3f: %v", pts, err)
				ap = nil
				continue
			}
			for i := range samples {
				samples[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
			}
			af := media.NewAudioFrame(48000, 2, samples, pts)
			af.Seq = aseq
			aseq++
			audio(af)
			af.Release()
			end = math.Max(end, pts+float64(f.samples)/48000)
		}
	}
	return end
}
