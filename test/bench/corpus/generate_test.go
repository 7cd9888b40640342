package corpus

import (
	"context"
	"math"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigil-monitor/vigil/media/synth"
)

// generate makes entries into dir and fails the test on error.
func generate(t testing.TB, dir string, es ...Entry) []Item {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	items, err := (&Generator{Dir: dir}).Generate(ctx, es)
	if err != nil {
		t.Fatal(err)
	}
	return items
}

// ffmpegLog runs ffmpeg with args and returns its stderr.
func ffmpegLog(t testing.TB, args ...string) string {
	t.Helper()
	out, err := exec.Command("ffmpeg", append([]string{"-nostdin", "-hide_banner", "-nostats"}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("ffmpeg %v: %v\n%s", args, err, out)
	}
	return string(out)
}

func floats(t testing.TB, re *regexp.Regexp, s string) []float64 {
	t.Helper()
	var out []float64
	for _, m := range re.FindAllStringSubmatch(s, -1) {
		v, err := strconv.ParseFloat(m[1], 64)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	return out
}

// TestGenerateMatchesTruth makes a clip with the ffmpeg CLI and checks with FFmpeg's
// own filters that the defects are where the truth says.
func TestGenerateMatchesTruth(t *testing.T) {
	dir := t.TempDir()
	c := small(imp(Black, 2, 4.5, 0), imp(Silence, 5, 7.5, -200))
	items := generate(t, dir, ffEntry(c, "test"))
	it := items[0]
	want := map[string]Truth{}
	for _, tr := range it.Scored() {
		want[tr.Type] = tr
	}
	log := ffmpegLog(t, "-i", it.Path, "-vf", "blackdetect=d=1", "-af", "silencedetect=n=-80dB:d=1", "-f", "null", "-")
	tests := []struct {
		typ   string
		start *regexp.Regexp
		end   *regexp.Regexp
	}{
		{"black", regexp.MustCompile(`black_start:([0-9.]+)`), regexp.MustCompile(`black_end:([0-9.]+)`)},
		{"silence", regexp.MustCompile(`silence_start: ([0-9.]+)`), regexp.MustCompile(`silence_end: ([0-9.]+)`)},
	}
	for _, tt := range tests {
		t.Run(tt.typ, func(t *testing.T) {
			tr, ok := want[tt.typ]
			if !ok {
				t.Fatalf("no %s truth in %+v", tt.typ, it.Truths)
			}
			starts, ends := floats(t, tt.start, log), floats(t, tt.end, log)
			if len(starts) != 1 || len(ends) != 1 {
				t.Fatalf("ffmpeg found %v–%v, want one interval\n%s", starts, ends, log)
			}
			// One video frame (0.1 s) or one AAC frame of slack either way.
			if math.Abs(starts[0]-tr.Start) > 0.11 || math.Abs(ends[0]-tr.End) > 0.11 {
				t.Errorf("ffmpeg found %.3f–%.3f, truth %.3f–%.3f", starts[0], ends[0], tr.Start, tr.End)
			}
		})
	}
}

func TestGenerateCaches(t *testing.T) {
	dir := t.TempDir()
	e := ffEntry(small(), "test")
	first := generate(t, dir, e)[0]
	st1, err := os.Stat(first.Path)
	if err != nil {
		t.Fatal(err)
	}
	second := generate(t, dir, e)[0]
	st2, err := os.Stat(second.Path)
	if err != nil {
		t.Fatal(err)
	}
	if first.Path != second.Path || !st1.ModTime().Equal(st2.ModTime()) {
		t.Errorf("second Generate remade the clip: %s %v, then %s %v", first.Path, st1.ModTime(), second.Path, st2.ModTime())
	}
	changed := small()
	changed.Tone = 880
	third := generate(t, dir, ffEntry(changed, "test"))[0]
	if third.Path == first.Path {
		t.Errorf("a changed definition reused %s", first.Path)
	}
}

func TestDamageIsMeasured(t *testing.T) {
	tests := []struct {
		name string
		im   Impairment
	}{
		{"bit errors", imp(Corrupt, 3, 3.5, 300)},
		{"packet loss", imp(Drop, 3, 3.5, 1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := small(tt.im)
			c.Content.Noise = 10 // enough bits per frame for the damage to land
			it := generate(t, t.TempDir(), ffEntry(c, "test"))[0]
			if it.Damage == nil || !it.Damage.Visible {
				t.Fatalf("damage = %+v, want visible", it.Damage)
			}
			tr := it.Scored()[0]
			// B-frames shown just before the window may refer to damaged frames; the
			// damage cannot outlast the next key frame.
			if tr.Start < 2.6 || tr.Start > 3.5 || tr.End > c.nextKey(3.5)+1e-9 || tr.End <= tr.Start {
				t.Errorf("measured damage %.2f–%.2f for a window 3–3.5 with key frames every second", tr.Start, tr.End)
			}
		})
	}
}

func TestAVOffsetShiftsAudio(t *testing.T) {
	c := small(imp(AVOffset, 4, 8, 0.5))
	it := generate(t, t.TempDir(), ffEntry(c, "test"))[0]
	out, err := exec.Command("ffprobe", "-v", "error", "-select_streams", "a:0", "-show_entries", "packet=pts_time",
		"-of", "csv=p=0", it.Path).Output()
	if err != nil {
		t.Fatal(err)
	}
	var prev, gap float64
	for i, line := range strings.Fields(string(out)) {
		v, err := strconv.ParseFloat(strings.TrimSuffix(line, ","), 64)
		if err != nil {
			t.Fatal(err)
		}
		if i > 0 && v-prev > gap {
			gap = v - prev
		}
		prev = v
	}
	// One AAC frame (21 ms) plus the 0.5 s delay.
	if gap < 0.5 || gap > 0.55 {
		t.Errorf("largest audio time stamp step %.3f s, want the 0.5 s delay", gap)
	}
}

func TestProgrammeLoudness(t *testing.T) {
	it := generate(t, t.TempDir(), ffEntry(small(), "test"))[0]
	log := ffmpegLog(t, "-i", it.Path, "-map", "0:a", "-af", "ebur128", "-f", "null", "-")
	is := floats(t, regexp.MustCompile(`I:\s+(-?[0-9.]+) LUFS`), log)
	if len(is) == 0 {
		t.Fatalf("no integrated loudness in\n%s", log)
	}
	if got := is[len(is)-1]; math.Abs(got+23) > 1.5 {
		t.Errorf("programme loudness %.1f LUFS, want -23 ± 1.5", got)
	}
}

func TestSynthEntry(t *testing.T) {
	spec := synth.Spec{Width: 160, Height: 90, Duration: 5, Impairments: []synth.Impairment{{Kind: synth.Black, Start: 1, End: 3.5}}}
	it := generate(t, t.TempDir(), Entry{Synth: &SynthClip{Name: "s", Spec: spec}})[0]
	want := synth.Truths(spec)
	if len(it.Truths) != len(want) || it.Truths[0].Type != string(want[0].Type) || it.Truths[0].Start != want[0].Start {
		t.Errorf("truths %+v, synth says %+v", it.Truths, want)
	}
	if _, err := os.Stat(it.Path); err != nil {
		t.Error(err)
	}
}
