package detect

import "testing"

// Exported for the tests of package detect_test, which can import media/synth (synth
// imports detect, so detect's own tests cannot).

// RunDetectors feeds every frame of the clip at path to ds (see runDetectors).
func RunDetectors(tb testing.TB, path string, ds []Detector) []Event {
	tb.Helper()
	return runDetectors(tb, path, ds)
}

// CheckDamage asserts that evs report the damaged windows (start and end in seconds)
// and nothing else (see checkDamage).
func CheckDamage(tb testing.TB, evs []Event, damaged [][2]float64) {
	tb.Helper()
	ws := make([]window, len(damaged))
	for i, d := range damaged {
		ws[i] = window{d[0], d[1]}
	}
	checkDamage(tb, evs, ws)
}
