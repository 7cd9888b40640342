package corpus

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/vigil-monitor/vigil/media/synth"
)

// Entry is one clip of a corpus, made either with the ffmpeg CLI (FF) or by vigil's
// synthetic source (Synth). Exactly one of the two is set.
type Entry struct {
	FF    *Clip      `json:"ff,omitempty"`
	Synth *SynthClip `json:"synth,omitempty"`
}

// SynthClip is a clip made by media/synth.
type SynthClip struct {
	Name string     `json:"name"`
	Spec synth.Spec `json:"spec"`
	Note string     `json:"note,omitempty"`
}

// Name returns the entry's clip name.
func (e Entry) Name() string {
	if e.FF != nil {
		return e.FF.Name
	}
	if e.Synth != nil {
		return e.Synth.Name
	}
	return ""
}

// Validate checks the entry.
func (e Entry) Validate() error {
	switch {
	case (e.FF == nil) == (e.Synth == nil):
		return fmt.Errorf("%w: %q: want exactly one of ff and synth", ErrClip, e.Name())
	case e.FF != nil:
		return e.FF.Validate()
	case e.Synth.Name == "":
		return fmt.Errorf("%w: synth clip without a name", ErrClip)
	}
	return nil
}

// Item is a generated clip on disk with its ground truth. It is what the truth file
// next to each clip holds.
type Item struct {
	// Name names the clip; Path is the clip file.
	Name string `json:"name"`
	Path string `json:"path"`
	// Generator is "ffmpeg" or "synth".
	Generator string `json:"generator"`
	// Codec, Format, Width, Height, FPS and Duration describe the clip.
	Codec    string  `json:"codec"`
	Format   string  `json:"format"`
	Width    int     `json:"width"`
	Height   int     `json:"height"`
	FPS      int     `json:"fps"`
	Duration float64 `json:"duration"`
	// Truths are the defects a correct detector reports; Traps the windows where it
	// reports nothing although a naive one might.
	Truths []Truth `json:"truths"`
	Traps  []Trap  `json:"traps,omitempty"`
	// Note says what the clip tests; Entry is the definition it was made from.
	Note  string `json:"note,omitempty"`
	Entry Entry  `json:"entry"`
	// Damage is the measured extent of bitstream damage, for clips that have some.
	Damage *Damage `json:"damage,omitempty"`
}

// Damage is the measured effect of bitstream damage: the pictures that decode
// differently from the undamaged clip.
type Damage struct {
	// Method names how it was measured (damageMethod); a cached measurement by
	// another method is made again.
	Method string `json:"method"`
	// Visible is false when no picture changed.
	Visible bool `json:"visible"`
	// Start is the time of the first changed (or lost) picture and End the end of the
	// last one, in seconds from the first picture.
	Start float64 `json:"start"`
	End   float64 `json:"end"`
}

// itemFor describes the clip of e, with its ground truth from the rules (and the
// measured damage, if any). The truth is worked out afresh whenever a corpus is
// loaded, so that a change of the rules applies to cached clips too.
func itemFor(e Entry, d *Damage) Item {
	if e.Synth != nil {
		it := synthItem(*e.Synth, synth.Truths(e.Synth.Spec))
		it.Entry = e
		return it
	}
	c := *e.FF
	truths, traps := c.truths()
	if im, ok := c.damage(); ok && d != nil {
		truths = replaceDamage(truths, im, *d)
		if !d.Visible {
			traps = append(traps, Trap{What: "bitstream damage without visible effect", Start: im.Start, End: im.End})
		}
	}
	return Item{Name: c.Name, Generator: "ffmpeg", Codec: c.Codec, Format: c.Format, Width: c.Width,
		Height: c.Height, FPS: c.FPS, Duration: c.Duration, Truths: truths, Traps: traps, Note: c.Note,
		Entry: e, Damage: d}
}

// Scored returns the truths that are not optional.
func (it Item) Scored() []Truth {
	var out []Truth
	for _, t := range it.Truths {
		if !t.Optional {
			out = append(out, t)
		}
	}
	return out
}

// ReadItem reads a truth file.
func ReadItem(path string) (Item, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Item{}, fmt.Errorf("read truth: %w", err)
	}
	var it Item
	if err := json.Unmarshal(b, &it); err != nil {
		return Item{}, fmt.Errorf("parse truth %s: %w", path, err)
	}
	return it, nil
}

// writeItem writes it as JSON to path atomically.
func writeItem(path string, it Item) error {
	b, err := json.MarshalIndent(it, "", "  ")
	if err != nil {
		return fmt.Errorf("encode truth: %w", err)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("write truth: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write truth: %w", err)
	}
	return nil
}
