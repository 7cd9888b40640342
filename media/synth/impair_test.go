package synth

import (
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/vigil-monitor/vigil/media/detect"
)

var (
	blackStart   = regexp.MustCompile(`black_start:\s*([\d.]+)`)
	blackEnd     = regexp.MustCompile(`black_end:\s*([\d.]+)`)
	freezeStart  = regexp.MustCompile(`freeze_start:\s*([\d.]+)`)
	freezeEnd    = regexp.MustCompile(`freeze_end:\s*([\d.]+)`)
	silenceStart = regexp.MustCompile(`silence_start:\s*([\d.]+)`)
	silenceEnd   = regexp.MustCompile(`silence_end:\s*([\d.]+)`)
	blurValue    = regexp.MustCompile(`pts_time:([\d.]+)\s*\n.*lavfi\.blur=([\d.]+)`)
	peakValue    = regexp.MustCompile(`pts_time:([\d.]+)\s*\n.*Overall\.Peak_level=(-?[\d.]+)`)
	shortTerm    = regexp.MustCompile(`t:\s*([\d.]+)\s.*S:\s*(-?[\d.]+)`)
)

// TestImpairmentsSeenByFFmpeg makes one clip per impairment and checks with FFmpeg's
// own filters and tools that the defect is where the ground truth says.
func TestImpairmentsSeenByFFmpeg(t *testing.T) {
	cases := []struct {
		name  string
		im    Impairment
		want  []detect.Type
		check func(t *testing.T, path string, im Impairment)
	}{
		{"black", Impairment{Kind: Black, Start: 2, End: 4.5}, []detect.Type{detect.Black},
			func(t *testing.T, path string, im Impairment) {
				got := spans(ffmpegFilter(t, path, "blackdetect=d=0.5", ""), blackStart, blackEnd)
				if len(got) != 1 || !near(got[0].start, im.Start, 0.1) || !near(got[0].end, im.End, 0.1) {
					t.Errorf("blackdetect found %v, want one span near [%v, %v]", got, im.Start, im.End)
				}
			}},
		{"freeze", Impairment{Kind: Freeze, Start: 2, End: 5}, []detect.Type{detect.Freeze},
			func(t *testing.T, path string, im Impairment) {
				// freezedetect compares every frame with the first of the freeze, so with
				// its default noise threshold the encoder's refinement and the key frame
				// pulse every second hide the freeze altogether (as on real feeds); a
				// looser threshold, still far below the motion of live content, sees it.
				got := spans(ffmpegFilter(t, path, "freezedetect=n=0.02:d=1", ""), freezeStart, freezeEnd)
				if len(got) != 1 || !near(got[0].start, im.Start, 0.15) || !near(got[0].end, im.End, 0.15) {
					t.Errorf("freezedetect found %v, want one span near [%v, %v]", got, im.Start, im.End)
				}
			}},
		{"blur", Impairment{Kind: Blur, Start: 2, End: 4.5}, []detect.Type{detect.Blur},
			func(t *testing.T, path string, im Impairment) {
				s := seriesOf(ffmpegFilter(t, path, "blurdetect,metadata=print", ""), blurValue)
				in, n := s.median(im.Start+0.1, im.End-0.1)
				before, _ := s.median(0, im.Start-0.1)
				after, _ := s.median(im.End+0.1, 100)
				if n == 0 || in < 2*before || in < 2*after {
					t.Errorf("blurdetect median %.2f inside (%d frames), %.2f before, %.2f after: want inside > 2x", in, n, before, after)
				}
			}},
		{"silence", Impairment{Kind: Silence, Start: 2, End: 4.5}, []detect.Type{detect.Silence},
			func(t *testing.T, path string, im Impairment) {
				got := spans(ffmpegFilter(t, path, "", "silencedetect=d=0.5"), silenceStart, silenceEnd)
				if len(got) != 1 || !near(got[0].start, im.Start, 0.1) || !near(got[0].end, im.End, 0.1) {
					t.Errorf("silencedetect found %v, want one span near [%v, %v]", got, im.Start, im.End)
				}
			}},
		{"silence too short", Impairment{Kind: Silence, Start: 2, End: 3}, nil,
			func(t *testing.T, path string, im Impairment) {
				got := spans(ffmpegFilter(t, path, "", "silencedetect=d=0.5"), silenceStart, silenceEnd)
				if len(got) != 1 || !near(got[0].start, im.Start, 0.1) {
					t.Errorf("silencedetect found %v, want the (short) silence at %v", got, im.Start)
				}
			}},
		{"clipping", Impairment{Kind: Clipping, Start: 2, End: 4}, []detect.Type{detect.Clipping},
			func(t *testing.T, path string, im Impairment) {
				s := seriesOf(ffmpegFilter(t, path, "", "astats=metadata=1:reset=1,ametadata=print:key=lavfi.astats.Overall.Peak_level"), peakValue)
				in, n := s.median(im.Start+0.1, im.End-0.1)
				out, _ := s.median(im.End+0.2, 100)
				if n == 0 || in < -0.5 || out > -10 {
					t.Errorf("peak level median %.1f dBFS inside (%d frames), %.1f after: want >= -0.5 inside, < -10 outside", in, n, out)
				}
			}},
		{"loudness", Impairment{Kind: Loudness, Start: 0.5, End: 5.5}, []detect.Type{detect.Loudness},
			func(t *testing.T, path string, im Impairment) {
				s := seriesOf(ffmpegFilter(t, path, "", "ebur128"), shortTerm)
				// Short-term loudness integrates 3 s: look 3 s into and after the window.
				in, n := s.median(im.Start+3.2, im.End)
				after, _ := s.median(im.End+3.2, 100)
				if n == 0 || !near(in, -23+DefaultParam(Loudness, 320), 2) || !near(after, -23, 2) {
					t.Errorf("short-term loudness %.1f LUFS inside (%d points), %.1f after: want about %v and -23", in, n, after, -23+DefaultParam(Loudness, 320))
				}
			}},
		{"corruption", Impairment{Kind: Corruption, Start: 2, End: 3}, []detect.Type{detect.DecodeError},
			func(t *testing.T, path string, im Impairment) {
				_, log := runTool(t, "ffmpeg", "-hide_banner", "-nostats", "-v", "error", "-i", path, "-f", "null", "-")
				if n := strings.Count(log, "\n"); n < 5 {
					t.Errorf("ffmpeg logged %d decode errors, want several:\n%s", n, log)
				}
			}},
		{"av offset", Impairment{Kind: AVOffset, Start: 2, End: 5}, []detect.Type{detect.AVSync},
			func(t *testing.T, path string, im Impairment) {
				s := avGaps(t, path)
				in, n := s.median(im.Start+0.2, im.End-0.2)
				before, _ := s.median(0, im.Start)
				after, _ := s.median(im.End+0.6, 100)
				d := DefaultParam(AVOffset, 320)
				if n == 0 || !near(in-before, d, 0.05) || !near(after, before, 0.05) {
					t.Errorf("audio-video stamp gap %.3f s inside (%d packets), %.3f before, %.3f after: want a jump of %v inside", in, n, before, after, d)
				}
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path, truth := makeClip(t, "clip.ts", small(9, tc.im))
			var got []detect.Type
			for _, tr := range truth {
				got = append(got, tr.Type)
			}
			if !equalTypes(got, tc.want) {
				t.Errorf("truth types %v, want %v", got, tc.want)
			}
			tc.check(t, path, tc.im)
		})
	}
}

// avGaps returns, for each audio packet in file order, the difference between its
// time stamp and the decode time stamp of the last video packet before it, keyed by
// that video time (from the first video packet).
func avGaps(t testing.TB, path string) series {
	t.Helper()
	p := ffprobe(t, path, true)
	var out series
	first, last := math.NaN(), math.NaN()
	for _, pk := range p.Packets {
		pts, _ := strconv.ParseFloat(pk.PTSTime, 64)
		dts, _ := strconv.ParseFloat(pk.DTSTime, 64)
		switch {
		case pk.CodecType == "video":
			if math.IsNaN(first) {
				first = pts
			}
			last = dts
		case !math.IsNaN(last):
			out = append(out, struct{ t, v float64 }{last - first, pts - last})
		}
	}
	return out
}

func equalTypes(a, b []detect.Type) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
