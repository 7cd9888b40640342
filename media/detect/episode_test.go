package detect

import (
	"slices"
	"testing"
)

// TestEpisode drives the hysteresis helper with per-frame conditions at 10 frames/s.
func TestEpisode(t *testing.T) {
	cfg := EpisodeConfig{MinDuration: 1, EndHold: 0.25}
	cases := []struct {
		name  string
		conds string // one character per 0.1 s: '#' condition holds, '.' clear
		close float64
		want  []Event
	}{
		{name: "too short", conds: "...#########.....", close: 2},
		{name: "long enough", conds: "...############.....", close: 2, want: []Event{
			{Start: 0.3}, {Ended: true, Start: 0.3, End: 1.5}}},
		{name: "gap shorter than hold is bridged", conds: "..######.#########....", close: 3, want: []Event{
			{Start: 0.2}, {Ended: true, Start: 0.2, End: 1.8}}},
		{name: "gap of hold splits", conds: "..#######....#######....", close: 3},
		{name: "open at close", conds: "..##############", close: 1.6, want: []Event{
			{Start: 0.2}, {Ended: true, Start: 0.2, End: 1.6}}},
		{name: "clearing at close ends at clear", conds: "..############.", close: 1.5, want: []Event{
			{Start: 0.2}, {Ended: true, Start: 0.2, End: 1.4}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEpisode(Black, Error, cfg, "%g")
			var got []Event
			emit := func(ev Event) {
				got = append(got, Event{Ended: ev.Ended, Start: round1(ev.Start), End: round1(ev.End)})
			}
			for i, ch := range c.conds {
				e.step(float64(i)/10, ch == '#', 1, 0, emit)
			}
			e.close(c.close, emit)
			if !slices.Equal(got, c.want) {
				t.Errorf("events %v, want %v", got, c.want)
			}
		})
	}
}

func round1(x float64) float64 { return float64(int(x*10+0.5)) / 10 }
