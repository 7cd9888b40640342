package synth

import (
	"reflect"
	"testing"

	"github.com/vigil-monitor/vigil/media/detect"
)

func TestScheduleRolling(t *testing.T) {
	s := Schedule{Kinds: []Kind{Black, AVOffset, Silence}, Slot: 10, Lead: 2, Length: 5}.withDefaults()
	cases := []struct {
		name     string
		from, to float64
		want     []Impairment
	}{
		{"first slot", 0, 3, []Impairment{{Kind: Black, Start: 2, End: 7}}},
		{"between slots", 7, 12, nil},
		{"spanning two", 5, 13, []Impairment{{Kind: Black, Start: 2, End: 7}, {Kind: AVOffset, Start: 12, End: 17}}},
		{"second cycle wraps", 41, 43, []Impairment{{Kind: AVOffset, Start: 42, End: 47}}},
		{"far on", 1e6, 1e6 + 4, []Impairment{{Kind: AVOffset, Start: 1e6 + 2, End: 1e6 + 7}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := s.Between(tc.from, tc.to); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Between(%v, %v) = %+v, want %+v", tc.from, tc.to, got, tc.want)
			}
		})
	}
}

// TestScheduleShiftMatchesList checks the schedule's closed-form av_offset shift
// against the same impairments written out as a clip's list, over several cycles.
func TestScheduleShiftMatchesList(t *testing.T) {
	s := Schedule{Kinds: []Kind{AVOffset, Black, AVOffset}, Slot: 8, Lead: 1.3, Length: 4.5,
		Params: map[Kind]float64{AVOffset: -0.4}}.withDefaults()
	const keyEvery = 0.48
	l := list{keyEvery: keyEvery, width: 640}
	for i := int64(0); i < 30; i++ {
		l.ims = append(l.ims, s.At(i))
	}
	for tm := 0.0; tm < 30*8; tm += 0.37 {
		for _, video := range []bool{true, false} {
			if got, want := s.shift(video, tm, keyEvery, 640), l.shift(video, tm); !near(got, want, 1e-9) {
				t.Fatalf("shift(video=%v, %v) = %v, list says %v", video, tm, got, want)
			}
		}
	}
}

// TestLiveTruthShifted checks that a live channel's truth moves later windows by the
// offsets before them, as a clip's does.
func TestLiveTruthShifted(t *testing.T) {
	spec := Spec{}.withDefaults()
	p := livePlan{s: Schedule{Kinds: []Kind{AVOffset, Black}}.withDefaults(), keyEvery: 1, width: spec.Width}
	got := p.truths(spec, 35, 36) // the third slot: av_offset of the second cycle
	want := []Truth{{Type: detect.AVSync, Start: 35.5, End: 41.5, Kind: AVOffset}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("truths = %+v, want %+v", got, want)
	}
	got = p.truths(spec, 50, 51)
	want = []Truth{{Type: detect.Black, Start: 51, End: 57, Kind: Black}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("truths = %+v, want %+v", got, want)
	}
}
