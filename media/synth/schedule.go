package synth

import (
	"fmt"
	"math"
)

// Schedule is the rolling defect schedule of a live channel: time is cut into slots
// of Slot seconds, and slot i holds one impairment of kind Kinds[i mod len(Kinds)]
// from Lead to Lead+Length seconds into the slot. The rest of each slot is clean, so
// every defect has clean stream before and after it. The schedule repeats for ever.
type Schedule struct {
	// Kinds is the order in which impairments come; default Kinds (every one).
	Kinds []Kind `json:"kinds"`
	// Slot is the length of one slot in seconds; default 15.
	Slot float64 `json:"slot"`
	// Lead is the clean time at the start of each slot in seconds; default 5.
	Lead float64 `json:"lead"`
	// Length is the length of each impairment in seconds; default 6, long enough for
	// every defect type to count (see MinLoudness).
	Length float64 `json:"length"`
	// Params overrides Impairment.Param per kind; kinds not listed use the default.
	Params map[Kind]float64 `json:"params,omitempty"`
}

// DefaultSchedule returns a schedule of every impairment kind in turn, 6 s each,
// 15 s apart: a cycle of two minutes.
func DefaultSchedule() Schedule {
	return Schedule{Kinds: append([]Kind(nil), Kinds...), Slot: 15, Lead: 5, Length: 6}
}

// withDefaults fills zero fields from DefaultSchedule.
func (s Schedule) withDefaults() Schedule {
	d := DefaultSchedule()
	if len(s.Kinds) == 0 {
		s.Kinds = d.Kinds
	}
	if s.Slot == 0 {
		s.Slot = d.Slot
	}
	if s.Lead == 0 && s.Length == 0 {
		s.Lead, s.Length = d.Lead, d.Length
	}
	return s
}

// validate checks a schedule with defaults applied against the spec's picture width
// and key frame interval.
func (s Schedule) validate(width int, keyEvery float64) error {
	if !(s.Slot > 0 && s.Lead >= 0 && s.Length > 0 && s.Lead+s.Length <= s.Slot) {
		return fmt.Errorf("%w: schedule slot %v s cannot hold lead %v s and impairment %v s", ErrSpec, s.Slot, s.Lead, s.Length)
	}
	if s.Slot-s.Lead-s.Length < keyEvery {
		// An audio-late offset resolves at the first key frame after the window;
		// it must not spill into the next slot.
		return fmt.Errorf("%w: schedule leaves %v s after each impairment, less than a key frame interval", ErrSpec, s.Slot-s.Lead-s.Length)
	}
	ims := make([]Impairment, len(s.Kinds))
	for i := range s.Kinds {
		ims[i] = s.At(int64(i))
	}
	return validateImpairments(ims, width, true, 0)
}

// At returns the impairment of slot i.
func (s Schedule) At(i int64) Impairment {
	k := s.Kinds[i%int64(len(s.Kinds))]
	start := float64(i)*s.Slot + s.Lead
	return Impairment{Kind: k, Start: start, End: start + s.Length, Param: s.Params[k]}
}

// cycle is the length of one round of every kind, in seconds.
func (s Schedule) cycle() float64 { return s.Slot * float64(len(s.Kinds)) }

// Between returns the impairments whose windows overlap [from, to), by start.
func (s Schedule) Between(from, to float64) []Impairment {
	return s.overlapping(nil, from, to)
}

func (s Schedule) overlapping(dst []Impairment, from, to float64) []Impairment {
	first := int64(math.Max(0, math.Floor((from-s.Lead-s.Length)/s.Slot)))
	for i := first; float64(i)*s.Slot+s.Lead < to; i++ {
		if im := s.At(i); im.End > from {
			dst = append(dst, im)
		}
	}
	return dst
}

// shift implements plan: every av_offset slot before t adds |offset| (see shiftOf).
// Slots before the previous cycle are counted by multiplication.
func (s Schedule) shift(video bool, t float64, keyEvery float64, width int) float64 {
	if t <= 0 {
		return 0
	}
	n := int64(len(s.Kinds))
	perCycle := 0.0
	for i := int64(0); i < n; i++ {
		perCycle += shiftOf(s.At(i), video, math.Inf(1), keyEvery, width)
	}
	c := int64(t / s.cycle())
	sum := 0.0
	from := int64(0)
	if c >= 1 {
		sum = float64(c-1) * perCycle
		from = (c - 1) * n
	}
	for i := from; i < (c+1)*n; i++ {
		sum += shiftOf(s.At(i), video, t, keyEvery, width)
	}
	return sum
}

// livePlan is a schedule bound to a spec's key frame interval and width.
type livePlan struct {
	s        Schedule
	keyEvery float64
	width    int
}

func (p livePlan) overlapping(dst []Impairment, from, to float64) []Impairment {
	return p.s.overlapping(dst, from, to)
}

func (p livePlan) shift(video bool, t float64) float64 {
	return p.s.shift(video, t, p.keyEvery, p.width)
}

// truths returns the truth of the impairments overlapping [from, to), in channel
// media time.
func (p livePlan) truths(spec Spec, from, to float64) []Truth {
	return truths(spec, p.s.Between(from, to), p.shift)
}
