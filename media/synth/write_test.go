package synth

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestWriteCodecsAndFormats encodes a short clip with every codec and container and
// checks with ffprobe and ffmpeg that it has the streams, size, duration and key
// frame rhythm the spec asks for and decodes without a single error.
func TestWriteCodecsAndFormats(t *testing.T) {
	cases := []struct {
		codec, audio, format   string
		wantVideo, wantAudio   string
		wantFormat, clipSuffix string
	}{
		{"h264", "aac", "mpegts", "h264", "aac", "mpegts", ".ts"},
		{"h264", "aac", "mp4", "h264", "aac", "mov,mp4,m4a,3gp,3g2,mj2", ".mp4"},
		{"h264", "mp2", "matroska", "h264", "mp2", "matroska,webm", ".mkv"},
		{"hevc", "aac", "mpegts", "hevc", "aac", "mpegts", ".ts"},
		{"hevc", "aac", "mp4", "hevc", "aac", "mov,mp4,m4a,3gp,3g2,mj2", ".mp4"},
		{"mpeg2", "mp2", "mpegts", "mpeg2video", "mp2", "mpegts", ".ts"},
		{"mpeg2", "aac", "matroska", "mpeg2video", "aac", "matroska,webm", ".mkv"},
	}
	for _, tc := range cases {
		t.Run(tc.codec+"/"+tc.audio+"/"+tc.format, func(t *testing.T) {
			spec := Spec{Width: 320, Height: 176, FPS: 25, GOP: 12, Duration: 3, Codec: tc.codec,
				AudioCodec: tc.audio, Format: tc.format, Channels: 1}
			path, _ := makeClip(t, "clip"+tc.clipSuffix, spec)
			p := ffprobe(t, path, true)
			if p.Format.FormatName != tc.wantFormat {
				t.Errorf("format %q, want %q", p.Format.FormatName, tc.wantFormat)
			}
			if d, _ := strconv.ParseFloat(p.Format.Duration, 64); !near(d, 3, 0.15) {
				t.Errorf("duration %v, want about 3", d)
			}
			var video, audio int
			for _, s := range p.Streams {
				switch s.CodecType {
				case "video":
					video++
					if s.CodecName != tc.wantVideo || s.Width != 320 || s.Height != 176 {
						t.Errorf("video %s %dx%d, want %s 320x176", s.CodecName, s.Width, s.Height, tc.wantVideo)
					}
				case "audio":
					audio++
					if s.CodecName != tc.wantAudio || s.SampleRate != "48000" || s.Channels != 1 {
						t.Errorf("audio %s %s Hz %d ch, want %s 48000 Hz mono", s.CodecName, s.SampleRate, s.Channels, tc.wantAudio)
					}
				}
			}
			if video != 1 || audio != 1 {
				t.Errorf("%d video and %d audio streams, want 1 and 1", video, audio)
			}
			var keys []float64
			first := math.NaN()
			for _, pk := range p.Packets {
				if pk.CodecType != "video" {
					continue
				}
				pts, _ := strconv.ParseFloat(pk.PTSTime, 64)
				if math.IsNaN(first) || pts < first {
					first = pts
				}
				if strings.Contains(pk.Flags, "K") {
					keys = append(keys, pts)
				}
			}
			// 75 frames with a key frame every 12: at 0, 0.48, ... 2.88.
			if len(keys) != 7 {
				t.Errorf("%d key frames at %v, want 7", len(keys), keys)
			}
			for i, k := range keys {
				if !near(k-first, float64(i)*0.48, 0.002) {
					t.Errorf("key frame %d at %.3f, want %.3f", i, k-first, float64(i)*0.48)
				}
			}
			if _, log := runTool(t, "ffmpeg", "-v", "error", "-i", path, "-f", "null", "-"); log != "" {
				t.Errorf("clean clip decodes with errors:\n%s", log)
			}
		})
	}
}

// TestCorruptionPerCodec compares a corrupted clip with the clean clip of the same
// spec frame by frame: identical before the window, damaged inside, and identical
// again from the first key frame after it, with every codec. H.264 and MPEG-2
// decoders also report the damage.
func TestCorruptionPerCodec(t *testing.T) {
	psnr := regexp.MustCompile(`n:(\d+) .*psnr_avg:(inf|[\d.]+)`)
	for _, codec := range []string{"h264", "hevc", "mpeg2"} {
		t.Run(codec, func(t *testing.T) {
			spec := small(5)
			spec.Codec = codec
			clean, _ := makeClip(t, "clean.ts", spec)
			spec.Impairments = []Impairment{{Kind: Corruption, Start: 1.5, End: 2.5}}
			bad, truth := makeClip(t, "bad.ts", spec)
			if len(truth) != 1 || truth[0].Start != 1.52 || truth[0].End != 3 {
				t.Fatalf("truth %+v, want one defect over [1.52, 3)", truth)
			}
			out, _ := runTool(t, "ffmpeg", "-v", "error", "-i", bad, "-i", clean,
				"-lavfi", "[0:v][1:v]psnr=stats_file=-", "-f", "null", "-")
			var before, inside, after, worst = 0, 0, 0, math.Inf(1)
			for _, m := range psnr.FindAllStringSubmatch(out, -1) {
				n, _ := strconv.Atoi(m[1])
				tm := float64(n-1) / 25
				v := math.Inf(1)
				if m[2] != "inf" {
					v, _ = strconv.ParseFloat(m[2], 64)
				}
				switch {
				case tm < 1.5 && math.IsInf(v, 1):
					before++
				case tm >= 1.5 && tm < 2.5:
					inside++
					worst = math.Min(worst, v)
				case tm >= 3 && math.IsInf(v, 1):
					after++
				}
			}
			if before < 37 || after < 50 || inside != 25 || worst > 25 {
				t.Errorf("identical frames before %d (want 37+), after %d (want 50); %d inside, worst PSNR %.1f dB (want < 25)",
					before, after, inside, worst)
			}
			_, log := runTool(t, "ffmpeg", "-v", "error", "-i", bad, "-f", "null", "-")
			if errs := strings.Count(log, "\n"); codec != "hevc" && errs < 5 {
				t.Errorf("%d decode errors logged, want several", errs)
			}
		})
	}
}

// TestContentTraps checks the trap contents: dark is not black, static is never
// frozen, scenes cut without black or freeze, and a short black window is black
// but no defect.
func TestContentTraps(t *testing.T) {
	yavg := regexp.MustCompile(`pts_time:([\d.]+)\s*\n.*YAVG=([\d.]+)`)
	cases := []struct {
		name  string
		spec  Spec
		check func(t *testing.T, path string)
	}{
		{"dark is not black", Spec{Width: 320, Height: 180, Duration: 5, Content: Dark}, func(t *testing.T, path string) {
			log := ffmpegFilter(t, path, "blackdetect=d=0.5,signalstats,metadata=print:key=lavfi.signalstats.YAVG", "")
			if got := spans(log, blackStart, blackEnd); len(got) != 0 {
				t.Errorf("blackdetect found %v in dark content", got)
			}
			if m, n := seriesOf(log, yavg).median(0, 10); n == 0 || m < 25 || m > 65 {
				t.Errorf("median luma %.1f over %d frames, want dark (25..65)", m, n)
			}
		}},
		{"static is not frozen", Spec{Width: 320, Height: 180, Duration: 6, Content: Static}, func(t *testing.T, path string) {
			if got := spans(ffmpegFilter(t, path, "freezedetect=d=1", ""), freezeStart, freezeEnd); len(got) != 0 {
				t.Errorf("freezedetect found %v in static content", got)
			}
		}},
		{"scenes cut", Spec{Width: 320, Height: 180, Duration: 10, Content: Scenes}, func(t *testing.T, path string) {
			log := ffmpegFilter(t, path, "blackdetect=d=0.5,freezedetect=d=1,select='gt(scene,0.3)',showinfo", "")
			if got := spans(log, blackStart, blackEnd); len(got) != 0 {
				t.Errorf("blackdetect found %v in scenes", got)
			}
			if got := spans(log, freezeStart, freezeEnd); len(got) != 0 {
				t.Errorf("freezedetect found %v in scenes", got)
			}
			cuts := regexp.MustCompile(`pts_time:([\d.]+)`).FindAllStringSubmatch(log, -1)
			if len(cuts) != 3 {
				t.Errorf("%d scene cuts, want 3 (every %v s)", len(cuts), SceneLength)
			}
		}},
		{"short black is no defect", small(5, Impairment{Kind: Black, Start: 1, End: 2.5}), func(t *testing.T, path string) {
			if got := spans(ffmpegFilter(t, path, "blackdetect=d=0.5", ""), blackStart, blackEnd); len(got) != 1 {
				t.Errorf("blackdetect found %v, want the short black", got)
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path, truth := makeClip(t, "clip.ts", tc.spec)
			if len(truth) != 0 {
				t.Errorf("truth %+v, want none", truth)
			}
			tc.check(t, path)
		})
	}
}

// TestWriteNonSeekable writes through a pipe-like writer: MP4 comes out fragmented
// and still decodes; Matroska (without cues or duration) and MPEG-TS need no seeking.
func TestWriteNonSeekable(t *testing.T) {
	for _, format := range []string{"mp4", "matroska", "mpegts"} {
		t.Run(format, func(t *testing.T) {
			var buf bytes.Buffer
			spec := small(2)
			spec.Format = format
			if _, err := Write(context.Background(), struct{ io.Writer }{&buf}, spec); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(t.TempDir(), "clip")
			if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			if _, log := runTool(t, "ffmpeg", "-v", "error", "-i", path, "-f", "null", "-"); log != "" {
				t.Errorf("decode errors:\n%s", log)
			}
			if d, _ := strconv.ParseFloat(ffprobe(t, path, false).Format.Duration, 64); format == "mpegts" && !near(d, 2, 0.15) {
				t.Errorf("duration %v, want about 2", d)
			}
		})
	}
}

// TestWriteDeterministic checks that one spec gives the same bytes twice.
func TestWriteDeterministic(t *testing.T) {
	spec := small(2, Impairment{Kind: Corruption, Start: 0.5, End: 1}, Impairment{Kind: Silence, Start: 0.5, End: 1, Param: -60})
	var a, b bytes.Buffer
	for _, buf := range []*bytes.Buffer{&a, &b} {
		if _, err := Write(context.Background(), buf, spec); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Errorf("two writes of one spec differ (%d and %d bytes)", a.Len(), b.Len())
	}
}

// TestWriteErrors checks that bad specs, a failing writer and a cancelled context
// are reported, and that WriteFile leaves no file behind.
func TestWriteErrors(t *testing.T) {
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	cases := []struct {
		name string
		ctx  context.Context
		w    io.Writer
		spec Spec
		want error
	}{
		{"odd size", context.Background(), io.Discard, Spec{Width: 321}, ErrSpec},
		{"unknown codec", context.Background(), io.Discard, Spec{Codec: "vp9"}, ErrSpec},
		{"mpeg2 at 15 fps", context.Background(), io.Discard, Spec{Codec: "mpeg2", FPS: 15}, ErrSpec},
		{"three channels", context.Background(), io.Discard, Spec{Channels: 3}, ErrSpec},
		{"window past the end", context.Background(), io.Discard, small(2, Impairment{Kind: Black, Start: 1, End: 3}), ErrSpec},
		{"empty window", context.Background(), io.Discard, small(2, Impairment{Kind: Black, Start: 1, End: 1}), ErrSpec},
		{"overlap on one medium", context.Background(), io.Discard,
			small(4, Impairment{Kind: Black, Start: 1, End: 3}, Impairment{Kind: Blur, Start: 2, End: 4}), ErrSpec},
		{"unknown kind", context.Background(), io.Discard, small(2, Impairment{Kind: "smear", Start: 0, End: 1}), ErrSpec},
		{"corruption share", context.Background(), io.Discard, small(2, Impairment{Kind: Corruption, Start: 0, End: 1, Param: 2}), ErrSpec},
		{"writer fails", context.Background(), failWriter{}, small(1), errBroken},
		{"cancelled", cancelled, io.Discard, small(1), context.Canceled},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Write(tc.ctx, tc.w, tc.spec); !errors.Is(err, tc.want) {
				t.Errorf("Write: %v, want %v", err, tc.want)
			}
		})
	}
	t.Run("file removed", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "bad.ts")
		if _, err := WriteFile(context.Background(), path, Spec{Codec: "vp9"}); !errors.Is(err, ErrSpec) {
			t.Errorf("WriteFile: %v, want ErrSpec", err)
		}
		if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("file left behind: %v", err)
		}
	})
}

var errBroken = errors.New("broken pipe (test)")

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errBroken }

// BenchmarkWrite measures a 10 s 640x360 H.264 clip with every kind of content.
func BenchmarkWrite(b *testing.B) {
	for _, c := range []Content{Motion, Scenes} {
		b.Run(string(c), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if _, err := Write(context.Background(), io.Discard, Spec{Content: c, Duration: 10}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
