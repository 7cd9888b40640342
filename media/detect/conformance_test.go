package detect

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/vigil-monitor/vigil/media"
)

// truth is one defect a clip really has: its type and when it starts and ends in
// media time.
type truth struct {
	typ        Type
	start, end float64
	// endTol is how far the reported end may be from end (default 0.5 s); detectors
	// that judge a sliding window end later by up to the window.
	endTol float64
}

// startTol is how far a reported start may be from the truth.
const startTol = 0.3

// conformanceCase is one clip and every defect it has.
type conformanceCase struct {
	name string
	clip clip
	want []truth
	// cfg adjusts the default configuration, when the case needs it.
	cfg func(*Config)
}

// runDetectors feeds every frame of path, in decode order, to every detector that
// takes it, closes the detectors at the end of input and returns all events.
func runDetectors(tb testing.TB, path string, ds []Detector) []Event {
	tb.Helper()
	var evs []Event
	emit := func(e Event) { evs = append(evs, e) }
	end := decodeClip(tb, path, func(f *media.VideoFrame) {
		for _, d := range ds {
			if v, ok := d.(VideoDetector); ok {
				v.Video(f, emit)
			}
		}
	}, func(a *media.AudioFrame) {
		for _, d := range ds {
			if v, ok := d.(AudioDetector); ok {
				v.Audio(a, emit)
			}
		}
	})
	for _, d := range ds {
		d.Close(end, emit)
	}
	return evs
}

// checkEvents asserts that evs are well-formed start/end pairs and that, for every
// type in types, they report exactly the defects in want: one start and one end event
// per truth, the start within startTol, the end within the truth's tolerance.
func checkEvents(tb testing.TB, evs []Event, want []truth, types []Type) {
	tb.Helper()
	checked := map[Type]bool{}
	for _, t := range types {
		checked[t] = true
	}
	type pair struct{ start, end *Event }
	pairs := map[Type][]pair{}
	var log strings.Builder
	for i := range evs {
		e := &evs[i]
		fmt.Fprintf(&log, "  %v\n", *e)
		if e.Score < 0 || e.Score > 1 || math.IsNaN(e.Score) {
			tb.Errorf("%v: score %v outside [0,1]", *e, e.Score)
		}
		ps := pairs[e.Type]
		if !e.Ended {
			if n := len(ps); n > 0 && ps[n-1].end == nil {
				tb.Errorf("%v: start while the previous %s is open", *e, e.Type)
			}
			pairs[e.Type] = append(ps, pair{start: e})
			continue
		}
		n := len(ps)
		if n == 0 || ps[n-1].end != nil {
			tb.Errorf("%v: end without start", *e)
			continue
		}
		ps[n-1].end = e
		if e.Start != ps[n-1].start.Start {
			tb.Errorf("%v: end's start differs from start event's %.3f", *e, ps[n-1].start.Start)
		}
		if e.End < e.Start {
			tb.Errorf("%v: ends before it starts", *e)
		}
	}
	for typ, ps := range pairs {
		if !checked[typ] {
			continue
		}
		var wants []truth
		for _, w := range want {
			if w.typ == typ {
				wants = append(wants, w)
			}
		}
		if len(ps) != len(wants) {
			tb.Errorf("%s: got %d defects, want %d", typ, len(ps), len(wants))
			continue
		}
		for i, p := range ps {
			w := wants[i]
			tol := w.endTol
			if tol == 0 {
				tol = 0.5
			}
			if math.Abs(p.start.Start-w.start) > startTol {
				tb.Errorf("%s: start %.3f, want %.2f±%.1f", typ, p.start.Start, w.start, startTol)
			}
			if p.end == nil {
				tb.Errorf("%s: never ended", typ)
			} else if math.Abs(p.end.End-w.end) > tol {
				tb.Errorf("%s: end %.3f, want %.2f±%.1f", typ, p.end.End, w.end, tol)
			}
		}
	}
	for _, w := range want {
		if checked[w.typ] && len(pairs[w.typ]) == 0 {
			tb.Errorf("%s: missed defect %.2f..%.2f", w.typ, w.start, w.end)
		}
	}
	if tb.Failed() {
		tb.Logf("events:\n%s", log.String())
	}
}

// runConformance renders each case's clip, runs the whole default detector set over
// it and checks every detector's events against the case's truths: a clip lists every
// defect it has, so every other detector must stay quiet.
func runConformance(t *testing.T, cases []conformanceCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := DefaultConfig()
			if c.cfg != nil {
				c.cfg(&cfg)
			}
			ds, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			var types []Type
			for _, d := range ds {
				types = append(types, d.Type())
			}
			path := c.clip.render(t)
			checkEvents(t, runDetectors(t, path, ds), c.want, types)
		})
	}
}
