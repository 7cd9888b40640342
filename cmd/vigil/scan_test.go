package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/vigil-monitor/vigil/media/synth"
)

// scanJSON runs `vigil scan --json` in-process and returns the defects it printed.
func scanJSON(tb testing.TB, args ...string) ([]defectJSON, error) {
	tb.Helper()
	var out, errOut bytes.Buffer
	err := run(context.Background(), append([]string{"scan", "--json", "--progress", "0"}, args...), &out, &errOut)
	var ds []defectJSON
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		if line == "" {
			continue
		}
		var d defectJSON
		if jerr := json.Unmarshal([]byte(line), &d); jerr != nil {
			tb.Fatalf("scan printed a line that is not JSON: %q: %v", line, jerr)
		}
		if d.End == nil || d.Stream == "" || d.Severity == "" {
			tb.Fatalf("scan record misses contract fields: %q", line)
		}
		ds = append(ds, d)
	}
	if err != nil {
		err = fmt.Errorf("%w (stderr: %s)", err, errOut.String())
	}
	return ds, err
}

// synthClip writes a synthetic clip and returns its path and ground truth.
func synthClip(tb testing.TB, name string, spec synth.Spec) (string, []synth.Truth) {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), name+".ts")
	truth, err := synth.WriteFile(context.Background(), path, spec)
	if err != nil {
		tb.Fatalf("synth %s: %v", name, err)
	}
	return path, truth
}

// matches reports whether detection d reports truth tr: same type (or an accepted
// alternative) and overlapping in time.
func matches(d defectJSON, tr synth.Truth) bool {
	ok := d.Type == string(tr.Type)
	for _, a := range tr.Alternatives {
		ok = ok || d.Type == string(a)
	}
	return ok && d.Start < tr.End && *d.End > tr.Start
}

// covered returns the fraction of truth window tr that detections ds cover.
func covered(ds []defectJSON, tr synth.Truth) float64 {
	const step = 0.01
	in := 0
	n := 0
	for t := tr.Start; t < tr.End; t += step {
		n++
		if slices.ContainsFunc(ds, func(d defectJSON) bool { return d.Start <= t && t < *d.End }) {
			in++
		}
	}
	return float64(in) / float64(max(n, 1))
}

// TestScanFindsEverySynthImpairment runs the whole pipeline (synthetic encode, FFmpeg
// decode, actor tree, detectors, JSON output) once per impairment kind and checks that
// the defect is reported with its start within 0.3 s, and nothing else is.
func TestScanFindsEverySynthImpairment(t *testing.T) {
	for _, kind := range synth.Kinds {
		t.Run(string(kind), func(t *testing.T) {
			t.Parallel()
			start, end, dur := 4.0, 8.0, 12.0
			switch kind {
			case synth.Loudness:
				start, end, dur = 3, 10, 14
			case synth.Corruption:
				end = 5.5
			}
			spec := synth.Spec{Width: 640, Height: 360, Duration: dur, Seed: 7,
				Impairments: []synth.Impairment{{Kind: kind, Start: start, End: end}}}
			path, truth := synthClip(t, string(kind), spec)
			ds, err := scanJSON(t, path)
			if err != nil {
				t.Fatalf("scan: %v", err)
			}
			if len(truth) == 0 {
				t.Fatalf("synth gave no truth for %s", kind)
			}
			for _, tr := range truth {
				var hit []defectJSON
				for _, d := range ds {
					if matches(d, tr) {
						hit = append(hit, d)
					}
				}
				if len(hit) == 0 {
					t.Errorf("%s %.2f–%.2f not reported; got %+v", tr.Type, tr.Start, tr.End, ds)
					continue
				}
				first := slices.MinFunc(hit, func(a, b defectJSON) int { return int(math.Copysign(1, a.Start-b.Start)) })
				if math.Abs(first.Start-tr.Start) > 0.3 {
					t.Errorf("%s reported from %.2f s, truth %.2f s", tr.Type, first.Start, tr.Start)
				}
				if c := covered(hit, tr); c < 0.8 {
					t.Errorf("%s reports cover %.0f%% of the %.2f–%.2f window: %+v", tr.Type, 100*c, tr.Start, tr.End, hit)
				}
			}
			for _, d := range ds {
				if !slices.ContainsFunc(truth, func(tr synth.Truth) bool { return matches(d, tr) }) {
					t.Errorf("false alarm: %s %.2f–%.2f (%s)", d.Type, d.Start, *d.End, d.Detail)
				}
			}
		})
	}
}

// TestScanCleanSynthContentRaisesNothing checks the traps: clean moving content, a
// dark scene, near-static content and scene cuts raise no alarm.
func TestScanCleanSynthContentRaisesNothing(t *testing.T) {
	for _, c := range []synth.Content{synth.Motion, synth.Dark, synth.Static, synth.Scenes} {
		t.Run(string(c), func(t *testing.T) {
			t.Parallel()
			path, _ := synthClip(t, string(c), synth.Spec{Width: 640, Height: 360, Duration: 12, Content: c, Seed: 3})
			ds, err := scanJSON(t, path)
			if err != nil {
				t.Fatalf("scan: %v", err)
			}
			for _, d := range ds {
				t.Errorf("false alarm on clean %s content: %s %.2f–%.2f (%s)", c, d.Type, d.Start, *d.End, d.Detail)
			}
		})
	}
}

func TestScanExitStatus(t *testing.T) {
	path, _ := synthClip(t, "short", synth.Spec{Width: 320, Height: 180, Duration: 2})
	for _, tc := range []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"good input", []string{path}, ""},
		{"missing file", []string{filepath.Join(t.TempDir(), "nope.ts")}, "nope.ts"},
		{"one good one bad", []string{path, "/dev/null"}, "/dev/null"},
		{"unsafe url", []string{"concat:a|b"}, "concat"},
		{"bad threshold", []string{"--threshold", "black.nope=1", path}, "black.nope"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := scanJSON(t, tc.args...)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("scan failed: %v", err)
			case tc.wantErr != "" && err == nil:
				t.Fatalf("scan succeeded, want an error mentioning %q", tc.wantErr)
			case tc.wantErr != "" && !strings.Contains(err.Error(), tc.wantErr):
				t.Fatalf("error %q does not mention %q", err, tc.wantErr)
			}
		})
	}
}

// TestScanFindsFreezesOfLiveEncodes checks freezes in clips encoded the way a live
// channel is (no B-frames, no lookahead, zero latency): such an encoder re-codes a
// still picture at every key frame more differently than a file encoder does, and
// grain (the static content) drifts most. The freeze must be reported from its start
// and for most of its length, not end at the first key frame after it is reported.
func TestScanFindsFreezesOfLiveEncodes(t *testing.T) {
	for _, c := range []synth.Content{synth.Motion, synth.Scenes, synth.Static} {
		for _, live := range []bool{true, false} {
			if !live && c != synth.Static {
				continue // file encodes of the others are in TestScanFindsEverySynthImpairment
			}
			name := fmt.Sprintf("%s live=%v", c, live)
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				path, truth := synthClip(t, strings.ReplaceAll(name, " ", "-"), synth.Spec{Width: 640, Height: 360, Duration: 16, Seed: 5,
					Content: c, LowLatency: live, Impairments: []synth.Impairment{{Kind: synth.Freeze, Start: 4, End: 10}}})
				ds, err := scanJSON(t, path)
				if err != nil {
					t.Fatalf("scan: %v", err)
				}
				var hit []defectJSON
				for _, d := range ds {
					if matches(d, truth[0]) {
						hit = append(hit, d)
					} else {
						t.Errorf("false alarm: %s %.2f–%.2f (%s)", d.Type, d.Start, *d.End, d.Detail)
					}
				}
				if len(hit) == 0 {
					t.Fatalf("freeze 4–10 s not reported")
				}
				if math.Abs(hit[0].Start-4) > 0.3 {
					t.Errorf("freeze reported from %.2f s, truth 4 s", hit[0].Start)
				}
				if cv := covered(hit, truth[0]); cv < 0.8 {
					t.Errorf("freeze reports cover %.0f%% of 4–10 s: %+v", 100*cv, hit)
				}
			})
		}
	}
}
