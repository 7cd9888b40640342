package synth

import (
	"bytes"
	"context"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"testing"
	"time"
)

// Helpers that check clips with the real FFmpeg command-line tools.

// small returns a short, small spec for tests; callers add impairments.
func small(d float64, ims ...Impairment) Spec {
	return Spec{Width: 320, Height: 180, Duration: d, Seed: 7, Impairments: ims}
}

// makeClip writes spec to a file in a temporary directory and returns its path and
// truth.
func makeClip(t testing.TB, name string, spec Spec) (string, []Truth) {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	truth, err := WriteFile(context.Background(), path, spec)
	if err != nil {
		t.Fatalf("WriteFile(%s): %v", name, err)
	}
	return path, truth
}

// runTool runs an FFmpeg tool and returns its stdout and stderr.
func runTool(t testing.TB, name string, args ...string) (string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, stderr.String())
	}
	return stdout.String(), stderr.String()
}

// ffmpegFilter decodes path through video and audio filters (either may be empty)
// and returns FFmpeg's log.
func ffmpegFilter(t testing.TB, path, vf, af string) string {
	t.Helper()
	args := []string{"-hide_banner", "-nostats", "-i", path}
	if vf != "" {
		args = append(args, "-vf", vf)
	} else {
		args = append(args, "-vn")
	}
	if af != "" {
		args = append(args, "-af", af)
	} else {
		args = append(args, "-an")
	}
	_, log := runTool(t, "ffmpeg", append(args, "-f", "null", "-")...)
	return log
}

// probe is the part of ffprobe's JSON the tests read.
type probe struct {
	Streams []struct {
		CodecName  string `json:"codec_name"`
		CodecType  string `json:"codec_type"`
		Width      int    `json:"width"`
		Height     int    `json:"height"`
		SampleRate string `json:"sample_rate"`
		Channels   int    `json:"channels"`
	} `json:"streams"`
	Format struct {
		FormatName string `json:"format_name"`
		Duration   string `json:"duration"`
	} `json:"format"`
	Packets []struct {
		CodecType string `json:"codec_type"`
		PTSTime   string `json:"pts_time"`
		DTSTime   string `json:"dts_time"`
		Flags     string `json:"flags"`
	} `json:"packets"`
}

// ffprobe returns the streams, format and (with packets) packets of path.
func ffprobe(t testing.TB, path string, packets bool) probe {
	t.Helper()
	args := []string{"-v", "error", "-of", "json", "-show_streams", "-show_format"}
	if packets {
		args = append(args, "-show_packets")
	}
	out, _ := runTool(t, "ffprobe", append(args, path)...)
	var p probe
	if err := json.Unmarshal([]byte(out), &p); err != nil {
		t.Fatalf("ffprobe json: %v", err)
	}
	return p
}

// span is a time interval FFmpeg reported.
type span struct{ start, end float64 }

// spans pulls start/end pairs out of an FFmpeg log with the two regexps (each with
// one number group); an unmatched start ends at +Inf.
func spans(log string, startRe, endRe *regexp.Regexp) []span {
	var out []span
	starts := startRe.FindAllStringSubmatchIndex(log, -1)
	ends := endRe.FindAllStringSubmatchIndex(log, -1)
	for i, s := range starts {
		v, _ := strconv.ParseFloat(log[s[2]:s[3]], 64)
		sp := span{start: v, end: inf}
		if i < len(ends) {
			sp.end, _ = strconv.ParseFloat(log[ends[i][2]:ends[i][3]], 64)
		}
		out = append(out, sp)
	}
	return out
}

var inf = 1e18

// series is one number per time from an FFmpeg metadata or statistics log.
type series []struct{ t, v float64 }

// seriesOf pulls (time, value) pairs out of log with re, which has two number
// groups: time first.
func seriesOf(log string, re *regexp.Regexp) series {
	var out series
	for _, m := range re.FindAllStringSubmatch(log, -1) {
		t, err1 := strconv.ParseFloat(m[1], 64)
		v, err2 := strconv.ParseFloat(m[2], 64)
		if err1 == nil && err2 == nil {
			out = append(out, struct{ t, v float64 }{t, v})
		}
	}
	return out
}

// median returns the median value of the points with from <= t < to, and how many
// there were.
func (s series) median(from, to float64) (float64, int) {
	var vs []float64
	for _, p := range s {
		if p.t >= from && p.t < to {
			vs = append(vs, p.v)
		}
	}
	if len(vs) == 0 {
		return 0, 0
	}
	sort.Float64s(vs)
	return vs[len(vs)/2], len(vs)
}

// near reports whether a and b differ by at most tol.
func near(a, b, tol float64) bool { return a-b <= tol && b-a <= tol }
