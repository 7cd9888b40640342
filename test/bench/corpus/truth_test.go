package corpus

import (
	"errors"
	"reflect"
	"testing"
)

// small returns a valid tiny clip with the given impairments.
func small(imps ...Impairment) Clip {
	c := clip("t", Content{Source: "testsrc2"}, 160, 120, 10, 8, "h264", "mpegts", imps...)
	c.GOP = 10
	return c
}

func TestTruths(t *testing.T) {
	tests := []struct {
		name   string
		clip   Clip
		truths []Truth
		traps  []string
	}{
		{"clean", small(), nil, nil},
		{"black snapped to frames", small(imp(Black, 2.04, 4.5, 0)),
			[]Truth{{Type: "black", Start: 2.1, End: 4.5, Cause: "black"}}, nil},
		{"short black is a trap", small(imp(Black, 2, 2.4, 0)), nil, []string{"short black flash"}},
		{"freeze", small(imp(Freeze, 1, 3, 0)), []Truth{{Type: "freeze", Start: 1, End: 3, Cause: "freeze"}}, nil},
		{"mild blur is a trap", small(imp(Blur, 1, 4, 1)), nil, []string{"mild or short blur"}},
		{"silence makes loudness optional", small(imp(Silence, 1, 4, -200)), []Truth{
			{Type: "silence", Start: 1, End: 4, Cause: "silence"},
			{Type: "loudness", Start: 1, End: 4, Optional: true, Cause: "silence"}}, nil},
		{"long clipping is loud too", small(imp(Clipping, 1, 7, 20)), []Truth{
			{Type: "clipping", Start: 1, End: 7, Cause: "clipping"},
			{Type: "loudness", Start: 1, End: 7, Cause: "clipping"}}, nil},
		{"small loudness change is a trap", small(imp(Loudness, 1, 7, -5)), nil, []string{"loudness change within range"}},
		{"corruption runs to the next key frame", small(imp(Corrupt, 2.2, 2.5, 1000)), []Truth{
			{Type: "decode_error", Alternatives: []string{"blockiness"}, Start: 2.2, End: 3, Cause: "corrupt"}}, nil},
		{"delayed audio starts when the late sound plays", small(imp(AVOffset, 3, 8, 0.5)),
			[]Truth{{Type: "av_sync", Start: 3.5, End: 8, Cause: "av_offset"}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.clip.Validate(); err != nil {
				t.Fatal(err)
			}
			truths, traps := tt.clip.truths()
			if !reflect.DeepEqual(truths, tt.truths) {
				t.Errorf("truths = %+v, want %+v", truths, tt.truths)
			}
			var what []string
			for _, tr := range traps {
				what = append(what, tr.What)
			}
			if !reflect.DeepEqual(what, tt.traps) {
				t.Errorf("traps = %v, want %v", what, tt.traps)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Clip)
	}{
		{"odd size", func(c *Clip) { c.Width = 161 }},
		{"unknown codec", func(c *Clip) { c.Codec = "vp9" }},
		{"unknown source", func(c *Clip) { c.Content.Source = "rgbtestsrc" }},
		{"window past the end", func(c *Clip) { c.Impairments = []Impairment{imp(Black, 6, 9, 0)} }},
		{"overlapping pictures", func(c *Clip) { c.Impairments = []Impairment{imp(Black, 1, 4, 0), imp(Freeze, 3, 5, 0)} }},
		{"audio advanced", func(c *Clip) { c.Impairments = []Impairment{imp(AVOffset, 1, 8, -0.3)} }},
		{"two damage windows", func(c *Clip) {
			c.Impairments = []Impairment{imp(Corrupt, 1, 2, 100), imp(Drop, 3, 4, 3)}
		}},
		{"cut outside the clip", func(c *Clip) { c.Cut = &Cut{At: 9, Content: Content{Source: "life"}} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := small()
			tt.edit(&c)
			if err := c.Validate(); !errors.Is(err, ErrClip) {
				t.Fatalf("Validate = %v, want ErrClip", err)
			}
		})
	}
}

func TestCorporaAreValid(t *testing.T) {
	for name, es := range map[string][]Entry{"default": Default(), "big": Big(), "cpu": CPUClips(20)} {
		t.Run(name, func(t *testing.T) {
			seen := map[string]bool{}
			for _, e := range es {
				if err := e.Validate(); err != nil {
					t.Error(err)
				}
				if seen[e.Name()] {
					t.Errorf("duplicate %q", e.Name())
				}
				seen[e.Name()] = true
			}
		})
	}
}

func TestWithOptional(t *testing.T) {
	ts := []Truth{{Type: "clipping", Start: 1, End: 2}, {Type: "loudness", Start: 0, End: 6}}
	got := withOptional(ts)
	if len(got) != 2 {
		t.Fatalf("clipping inside a loudness defect got an optional window: %+v", got)
	}
}
