package media

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"testing"
)

func TestDecodeClip(t *testing.T) {
	cases := []struct {
		name      string
		file      func(testing.TB) string
		container string
		frames    int
		fps       float64
		channels  int
	}{
		{"mpegts h264 aac", clipTS, "mpegts", 75, 25, 1},
		{"mp4 h264 aac stereo", func(tb testing.TB) string {
			return clip(tb, "testsrc.mp4", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=30",
				"-f", "lavfi", "-i", "sine=frequency=1000:sample_rate=44100", "-t", "2", "-ac", "2",
				"-c:v", "libx264", "-g", "30", "-bf", "2", "-preset", "veryfast", "-c:a", "aac")
		}, "mov,mp4,m4a,3gp,3g2,mj2", 60, 30, 2},
		{"matroska mpeg2 mp2", func(tb testing.TB) string {
			return clip(tb, "testsrc.mkv", "-f", "lavfi", "-i", "testsrc2=size=352x288:rate=25",
				"-f", "lavfi", "-i", "sine=frequency=1000:sample_rate=48000", "-t", "2",
				"-c:v", "mpeg2video", "-g", "12", "-c:a", "mp2")
		}, "matroska,webm", 50, 25, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec, st, info := decodeFile(t, tc.file(t), ScanConfig())
			video, audio := rec.snapshot()
			if info.Container != tc.container || info.Video == nil || info.Audio == nil || info.Audio.Channels != tc.channels {
				t.Fatalf("info = %+v", info)
			}
			if len(video) != tc.frames || st.VideoFrames != uint64(tc.frames) {
				t.Fatalf("decoded %d video frames (stats %d), want %d", len(video), st.VideoFrames, tc.frames)
			}
			if math.Abs(video[0].pts) > 0.1 {
				t.Fatalf("first video pts %.3f, want about 0", video[0].pts)
			}
			for i, v := range video {
				want := video[0].pts + float64(i)/tc.fps
				if math.Abs(v.pts-want) > 1e-3 || v.seq != uint64(i) || math.Abs(v.dur-1/tc.fps) > 1e-3 {
					t.Fatalf("frame %d: pts %.4f dur %.4f seq %d, want pts %.4f dur %.4f", i, v.pts, v.dur, v.seq, want, 1/tc.fps)
				}
				if v.corrupt || v.flags != 0 || v.errsBefore != 0 {
					t.Fatalf("frame %d of a clean clip flagged: %+v", i, v)
				}
			}
			if !video[0].key {
				t.Errorf("first frame is not a key frame")
			}
			// Audio: continuous, same origin as video, about the clip's length.
			samples := 0
			for i, a := range audio {
				if a.ch != tc.channels || a.rate != info.Audio.SampleRate {
					t.Fatalf("audio block %d: %d ch at %d Hz, want %d ch at %d", i, a.ch, a.rate, tc.channels, info.Audio.SampleRate)
				}
				if i > 0 {
					prev := audio[i-1]
					if gap := a.pts - (prev.pts + float64(prev.n)/float64(prev.rate)); math.Abs(gap) > 1e-3 {
						t.Fatalf("audio block %d: gap %.4f s after the previous block", i, gap)
					}
				}
				samples += a.n
			}
			length := float64(samples) / float64(info.Audio.SampleRate)
			if want := float64(tc.frames) / tc.fps; math.Abs(length-want) > 0.1 {
				t.Errorf("audio length %.3f s, want about %.3f", length, want)
			}
			if math.Abs(audio[0].pts) > 0.1 {
				t.Errorf("first audio pts %.3f, want about 0 (same origin as video)", audio[0].pts)
			}
			if st.DecodeErrors != 0 || st.FramesDropped != 0 || st.Packets == 0 || st.Bytes == 0 || st.BitrateBPS <= 0 {
				t.Errorf("stats = %+v", st)
			}
			if st.Width != info.Video.Width || math.Abs(st.FrameRate-tc.fps) > 0.5 {
				t.Errorf("stats size %dx%d fps %.2f; info %+v", st.Width, st.Height, st.FrameRate, *info.Video)
			}
			t.Logf("video %d frames, audio %d blocks %.3f s, %d packets, %.0f kbit/s", len(video), len(audio), length, st.Packets, st.BitrateBPS/1000)
		})
	}
}

func TestAudioLevel(t *testing.T) {
	// lavfi's sine has amplitude 1/8: RMS 0.125/sqrt(2).
	rec, _, _ := decodeFile(t, clipTS(t), ScanConfig())
	_, audio := rec.snapshot()
	var sum float64
	n := 0
	for _, a := range audio {
		sum += a.sumSquares
		n += a.n * a.ch
	}
	rms := math.Sqrt(sum / float64(n))
	if want := 0.125 / math.Sqrt2; math.Abs(rms-want) > 0.1*want {
		t.Fatalf("rms %.4f, want %.4f", rms, want)
	}
}

func TestStreamsPresent(t *testing.T) {
	dir := t.TempDir()
	srt := filepath.Join(dir, "subs.srt")
	if err := os.WriteFile(srt, []byte("1\n00:00:00,000 --> 00:00:01,000\nhello\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name         string
		path         string
		video, audio bool
	}{
		{"audio only", clip(t, "audio.m4a", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100", "-t", "1", "-c:a", "aac"), false, true},
		{"video only", clip(t, "video.mkv", "-f", "lavfi", "-i", "testsrc2=size=160x120:rate=25", "-t", "1", "-c:v", "libx264", "-preset", "ultrafast"), true, false},
		{"subtitles only", srt, false, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if !tc.video && !tc.audio {
				in, err := Open(context.Background(), tc.path, ScanConfig())
				if !errors.Is(err, ErrNoStreams) {
					if in != nil {
						in.Close()
					}
					t.Fatalf("Open = %v, want ErrNoStreams", err)
				}
				return
			}
			_, st, info := decodeFile(t, tc.path, ScanConfig())
			if (info.Video != nil) != tc.video || (info.Audio != nil) != tc.audio {
				t.Fatalf("info %+v", info)
			}
			if (st.VideoFrames > 0) != tc.video || (st.AudioFrames > 0) != tc.audio {
				t.Fatalf("stats %+v", st)
			}
		})
	}
}
