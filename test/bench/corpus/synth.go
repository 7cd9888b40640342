package corpus

import (
	"github.com/vigil-monitor/vigil/media/synth"
)

// synthTraps names the picture contents of media/synth that are traps.
var synthTraps = map[synth.Content]string{
	synth.Dark:   "dark scene (synth)",
	synth.Static: "static-looking but moving picture (synth)",
	synth.Scenes: "scene cuts (synth)",
}

// synthItem converts media/synth's ground truth into an Item.
func synthItem(s SynthClip, st []synth.Truth) Item {
	spec := s.Spec
	it := Item{Name: s.Name, Generator: "synth", Codec: orDefault(spec.Codec, "h264"),
		Format: orDefault(spec.Format, "mpegts"), Width: spec.Width, Height: spec.Height,
		FPS: spec.FPS, Duration: spec.Duration, Note: s.Note}
	if it.Width == 0 {
		it.Width, it.Height = 640, 360
	}
	if it.FPS == 0 {
		it.FPS = 25
	}
	if it.Duration == 0 {
		it.Duration = 10
	}
	var ts []Truth
	for _, t := range st {
		tr := Truth{Type: string(t.Type), Start: t.Start, End: t.End, Cause: "synth " + string(t.Kind)}
		for _, a := range t.Alternatives {
			tr.Alternatives = append(tr.Alternatives, string(a))
		}
		ts = append(ts, tr)
	}
	it.Truths = withOptional(ts)
	if what, ok := synthTraps[spec.Content]; ok {
		it.Traps = append(it.Traps, Trap{What: what, Start: 0, End: it.Duration})
	}
	return it
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
