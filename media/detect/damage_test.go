package detect

import (
	"fmt"
	"strings"
	"testing"
)

// window is a stretch of media time, in seconds, during which a clip is damaged.
type window struct{ start, end float64 }

// Tolerances of checkDamage: a report may start this much before a damaged window
// and end this much after it.
const (
	damageLead = 0.3
	damageLag  = 0.5
)

// checkDamage asserts that every window of damage is reported, by decode_error or
// blockiness, with an event overlapping it; that neither of them reports anything
// outside the windows; and that no other detector reports anything at all.
func checkDamage(tb testing.TB, evs []Event, damaged []window) {
	tb.Helper()
	near := func(e Event, w window) bool {
		return e.Start < w.end+damageLag && e.End > w.start-damageLead
	}
	var log strings.Builder
	for _, e := range evs {
		fmt.Fprintf(&log, "  %v\n", e)
	}
	for _, e := range evs {
		if !e.Ended {
			continue
		}
		if e.Type != DecodeError && e.Type != Blockiness {
			tb.Errorf("%v: no such defect in the clip", e)
			continue
		}
		inside := false
		for _, w := range damaged {
			inside = inside || near(e, w)
		}
		if !inside {
			tb.Errorf("%v: outside every damaged window %v", e, damaged)
		}
	}
	for _, w := range damaged {
		found := false
		for _, e := range evs {
			found = found || (e.Ended && near(e, w))
		}
		if !found {
			tb.Errorf("damage %.2f..%.2f not reported", w.start, w.end)
		}
	}
	if tb.Failed() {
		tb.Logf("events:\n%s", log.String())
	}
}

// TestBlockinessSizes runs the whole detector set over clean and damaged testsrc2 at
// sizes from 320 pixels wide up: clean content must raise nothing, bit errors must be
// reported (by the decoder's word or the picture) and nothing else.
func TestBlockinessSizes(t *testing.T) {
	// Bit errors in frames 75-88 (3.0-3.5 s); damage lasts to the key frame at 4 s.
	const bsf = "noise=amount=2000*between(n\\,75\\,88)"
	for _, size := range []string{"320x180", "480x270", "1280x720"} {
		if testing.Short() && size == "1280x720" {
			continue
		}
		t.Run("clean "+size, func(t *testing.T) {
			runConformance(t, []conformanceCase{{name: "testsrc2", clip: clip{video: testsrc2, size: size}}})
		})
		t.Run("bit errors "+size, func(t *testing.T) {
			ds, err := New(DefaultConfig())
			if err != nil {
				t.Fatal(err)
			}
			path := clip{video: testsrc2, size: size, bsf: bsf}.render(t)
			checkDamage(t, runDetectors(t, path, ds), []window{{3, 4}})
		})
	}
}
