package corpus

import (
	"fmt"

	"github.com/vigil-monitor/vigil/media/synth"
)

// Picture sizes used by the corpora.
const (
	w480, h480   = 854, 480
	w720, h720   = 1280, 720
	w1080, h1080 = 1920, 1080
)

// clip returns a Clip with the settings most entries share.
func clip(name string, ct Content, w, h, fps int, dur float64, codec, format string, imps ...Impairment) Clip {
	ac := "aac"
	if codec == "mpeg2" {
		ac = "mp2"
	}
	gop := fps
	if codec == "mpeg2" {
		gop = fps / 2
	}
	return Clip{Name: name, Content: ct, Width: w, Height: h, FPS: fps, Duration: dur, Codec: codec,
		AudioCodec: ac, Format: format, GOP: gop, Tone: 330 + float64(len(name)%7)*55, Impairments: imps}
}

func imp(k Kind, start, end, param float64) Impairment {
	return Impairment{Kind: k, Start: start, End: end, Param: param}
}

func ffEntry(c Clip, note string) Entry {
	c.Note = note
	return Entry{FF: &c}
}

// Default returns the default corpus: about twenty short clips covering every defect
// type, codec, container and the traps, small enough for `make bench` on two cores.
func Default() []Entry {
	testsrc := Content{Source: "testsrc2", Noise: 5}
	mandel := Content{Source: "mandelbrot", Render: "640x360"}
	life := Content{Source: "life", Seed: 3}
	cell := Content{Source: "cellauto", Seed: 5}
	cutfreeze := clip("cutfreeze-mandelbrot-testsrc2-480p-h264-mp4", Content{Source: "mandelbrot"}, w480, h480, 30, 16, "h264", "mp4",
		imp(Freeze, 6, 10, 0), imp(Silence, 11, 14, -50))
	cutfreeze.Cut = &Cut{At: 6, Content: testsrc}
	es := []Entry{
		ffEntry(clip("clean-testsrc2-480p-h264-ts", testsrc, w480, h480, 30, 14, "h264", "mpegts"),
			"clean: nothing to report"),
		ffEntry(clip("clean-mandelbrot-720p-hevc-mkv", mandel, w720, h720, 25, 12, "hevc", "matroska"),
			"clean: nothing to report"),
		ffEntry(clip("clean-life-480p-mpeg2-ts", life, w480, h480, 25, 12, "mpeg2", "mpegts"),
			"clean: nothing to report"),
		ffEntry(clip("dark-testsrc2-720p-h264-mp4", Content{Source: "testsrc2", Noise: 4, Dark: true}, w720, h720, 30, 12, "h264", "mp4"),
			"trap: a dark scene is not black"),
		ffEntry(clip("flash-gradients-480p-h264-ts", Content{Source: "gradients", Seed: 2, Speed: 0.02}, w480, h480, 30, 16, "h264", "mpegts",
			imp(Black, 3, 3.4, 0), imp(Black, 8, 11, 0), imp(Silence, 5, 6, -200)),
			"trap: a 0.4 s black flash and a 1 s silence; then a real black"),
		ffEntry(clip("pan-smptehdbars-1080p-h264-ts", Content{Source: "smptehdbars", Pan: 0.0002, Noise: 3}, w1080, h1080, 30, 10, "h264", "mpegts",
			imp(Loudness, 3, 9, -5)),
			"trap: static-looking bars that pan 1 px every 3 frames; a loudness dip within range"),
		ffEntry(clip("black-cellauto-480p-h264-mkv", cell, w480, h480, 30, 16, "h264", "matroska",
			imp(Black, 3, 7, 0), imp(Silence, 9, 13, -200)),
			"black, then digital silence"),
		ffEntry(clip("freeze-testsrc2-720p-mpeg2-ts", testsrc, w720, h720, 25, 16, "mpeg2", "mpegts",
			imp(Freeze, 4, 8, 0), imp(Clipping, 10, 12, 20)),
			"freeze, then clipping"),
		ffEntry(cutfreeze, "trap: freeze starting on the first frame after a scene cut; silence with residual noise"),
		ffEntry(clip("noisyfreeze-testsrc2-480p-h264-ts", Content{Source: "testsrc2", Noise: 25}, w480, h480, 30, 16, "h264", "mpegts",
			imp(Freeze, 5, 9, 0), imp(Loudness, 9, 16, 12)),
			"trap: freeze of noisy content (the encoder keeps refining it); too loud"),
		ffEntry(clip("blur-testsrc2-720p-hevc-ts", testsrc, w720, h720, 30, 16, "hevc", "mpegts",
			imp(Blur, 4, 8, 6), imp(Loudness, 9, 16, -16)),
			"blur, then too quiet"),
		ffEntry(clip("blur-life-480p-h264-mkv", life, w480, h480, 25, 14, "h264", "matroska",
			imp(Blur, 5, 9, 4), imp(Clipping, 10, 11, 24)),
			"blur of cellular content, then 1 s of clipping"),
		ffEntry(clip("corrupt-testsrc2-720p-h264-ts", testsrc, w720, h720, 30, 12, "h264", "mpegts",
			imp(Corrupt, 5, 5.5, 4000)),
			"bit errors (noise bsf) for 0.5 s"),
		ffEntry(clip("corrupt-mandelbrot-480p-mpeg2-ts", Content{Source: "mandelbrot"}, w480, h480, 25, 12, "mpeg2", "mpegts",
			imp(Corrupt, 4, 4.5, 2000)),
			"bit errors (noise bsf) for 0.5 s"),
		ffEntry(clip("corrupt-testsrc2-480p-hevc-mkv", testsrc, w480, h480, 30, 12, "hevc", "matroska",
			imp(Corrupt, 5, 5.5, 3000)),
			"bit errors (noise bsf) for 0.5 s; HEVC conceals silently"),
		ffEntry(clip("drop-cellauto-720p-h264-mp4", cell, w720, h720, 30, 12, "h264", "mp4",
			imp(Drop, 5, 5.5, 3)),
			"packet loss (noise bsf drops a third of the packets) for 0.5 s"),
		ffEntry(clip("avsync-testsrc2-480p-h264-ts", testsrc, w480, h480, 30, 20, "h264", "mpegts",
			imp(AVOffset, 8, 20, 0.5)),
			"audio 0.5 s late from 8 s on"),
	}
	return append(es, synthDefault()...)
}

// synthDefault returns the media/synth clips of the default corpus.
func synthDefault() []Entry {
	s := func(name string, spec synth.Spec, note string) Entry {
		spec.Width, spec.Height, spec.Duration, spec.Seed = w480, h480, 20, int64(len(name))
		return Entry{Synth: &SynthClip{Name: name, Spec: spec, Note: note}}
	}
	im := func(k synth.Kind, start, end, p float64) synth.Impairment {
		return synth.Impairment{Kind: k, Start: start, End: end, Param: p}
	}
	return []Entry{
		s("synth-motion-h264-ts", synth.Spec{Content: synth.Motion, Impairments: []synth.Impairment{
			im(synth.Black, 3, 6, 0), im(synth.Silence, 8, 11, 0), im(synth.Clipping, 13, 14, 0)}},
			"synth: black, silence, clipping"),
		s("synth-scenes-h264-mp4", synth.Spec{Content: synth.Scenes, Format: "mp4", Impairments: []synth.Impairment{
			im(synth.Freeze, 4, 7, 0), im(synth.Loudness, 9, 16, 12)}},
			"synth: scene cuts every 3 s, a freeze, too loud"),
		s("synth-static-mpeg2-ts", synth.Spec{Content: synth.Static, Codec: "mpeg2", AudioCodec: "mp2", Impairments: []synth.Impairment{
			im(synth.Corruption, 5, 5.5, 0), im(synth.Blur, 10, 13, 0), im(synth.AVOffset, 14, 18, 0.5)}},
			"synth: static-looking picture, corruption, blur, audio late"),
		s("synth-dark-hevc-mkv", synth.Spec{Content: synth.Dark, Codec: "hevc", Format: "matroska", Impairments: []synth.Impairment{
			im(synth.Silence, 2, 5, -70), im(synth.Corruption, 6, 6.5, 0), im(synth.Loudness, 9, 16, -14)}},
			"synth: dark scene, silence with residual noise, corruption, too quiet"),
	}
}

// Big returns the default corpus plus a matrix of every impairment (and trap) over
// every source, rotating codecs, containers, sizes and frame rates, and synth clips of
// every content with every codec.
func Big() []Entry {
	es := Default()
	type src struct {
		name string
		ct   Content
		big  bool // cheap enough to render at 1080p
	}
	srcs := []src{
		{"testsrc2", Content{Source: "testsrc2", Noise: 5, Seed: 1}, true},
		{"mandelbrot", Content{Source: "mandelbrot", Render: "640x360"}, false},
		{"life", Content{Source: "life", Seed: 11}, false},
		{"cellauto", Content{Source: "cellauto", Seed: 13}, true},
		{"smptehdbars", Content{Source: "smptehdbars", Pan: 0.0003, Noise: 3}, true},
		{"gradients", Content{Source: "gradients", Seed: 17, Speed: 0.02}, false},
	}
	type defect struct {
		name string
		imps []Impairment
	}
	defects := []defect{
		{"black", []Impairment{imp(Black, 4, 8, 0)}},
		{"flash", []Impairment{imp(Black, 4, 4.4, 0), imp(Black, 8, 8.2, 0)}},
		{"freeze", []Impairment{imp(Freeze, 4, 8, 0)}},
		{"shortfreeze", []Impairment{imp(Freeze, 4, 5, 0)}},
		{"blur", []Impairment{imp(Blur, 4, 8, 5)}},
		{"corrupt", []Impairment{imp(Corrupt, 4, 4.5, 3000)}},
		{"drop", []Impairment{imp(Drop, 4, 4.5, 3)}},
		{"silence", []Impairment{imp(Silence, 4, 8, -200)}},
		{"quietsilence", []Impairment{imp(Silence, 4, 8, -50)}},
		{"clipping", []Impairment{imp(Clipping, 4, 6, 20)}},
		{"loud", []Impairment{imp(Loudness, 4, 12, 12)}},
		{"quiet", []Impairment{imp(Loudness, 4, 12, -16)}},
		{"avsync", []Impairment{imp(AVOffset, 6, 14, 0.4)}},
	}
	codecs := []string{"h264", "hevc", "mpeg2"}
	formats := []string{"mpegts", "mp4", "matroska"}
	exts := map[string]string{"mpegts": "ts", "mp4": "mp4", "matroska": "mkv"}
	i := 0
	for _, s := range srcs {
		for _, d := range defects {
			if d.name == "blur" && s.name == "gradients" {
				continue // blurring smooth gradients changes nothing a viewer sees
			}
			codec, format := codecs[i%3], formats[(i/3)%3]
			w, h, res := w480, h480, "480p"
			switch {
			case i%4 == 1:
				w, h, res = w720, h720, "720p"
			case i%4 == 3 && s.big:
				w, h, res = w1080, h1080, "1080p"
			}
			fps := 25 + 5*(i%2)
			name := fmt.Sprintf("big-%s-%s-%s-%s-%s", d.name, s.name, res, codec, exts[format])
			es = append(es, ffEntry(clip(name, s.ct, w, h, fps, 14, codec, format, d.imps...), "matrix: "+d.name+" on "+s.name))
			i++
		}
	}
	contents := []synth.Content{synth.Motion, synth.Dark, synth.Static, synth.Scenes}
	for j, c := range contents {
		for k, codec := range []string{"h264", "hevc", "mpeg2"} {
			spec := synth.Spec{Content: c, Codec: codec, Duration: 30, Seed: int64(100 + 3*j + k),
				Impairments: []synth.Impairment{
					{Kind: synth.Black, Start: 2, End: 5}, {Kind: synth.Freeze, Start: 7, End: 10},
					{Kind: synth.Blur, Start: 12, End: 15}, {Kind: synth.Corruption, Start: 18, End: 18.5},
					{Kind: synth.Silence, Start: 2, End: 5}, {Kind: synth.Clipping, Start: 7, End: 8},
					{Kind: synth.Loudness, Start: 10, End: 17, Param: 12}, {Kind: synth.AVOffset, Start: 20, End: 25, Param: 0.4},
				}}
			if codec == "mpeg2" {
				spec.AudioCodec = "mp2"
			}
			name := fmt.Sprintf("big-synth-%s-%s", c, codec)
			es = append(es, Entry{Synth: &SynthClip{Name: name, Spec: spec, Note: "synth matrix: every kind on " + string(c)}})
		}
	}
	return es
}

// CPUClips returns the clean clips the CPU comparison runs on: 720p30 and 1080p30
// H.264 and 720p30 HEVC, with grain (temporal noise) as broadcast pictures have, and
// programme sound, seconds long each.
func CPUClips(seconds float64) []Entry {
	ct := Content{Source: "testsrc2", Noise: 5}
	return []Entry{
		ffEntry(clip("cpu-720p30-h264", ct, w720, h720, 30, seconds, "h264", "mpegts"), "CPU: 720p30 H.264"),
		ffEntry(clip("cpu-1080p30-h264", ct, w1080, h1080, 30, seconds, "h264", "mpegts"), "CPU: 1080p30 H.264"),
		ffEntry(clip("cpu-720p30-hevc", ct, w720, h720, 30, seconds, "hevc", "mpegts"), "CPU: 720p30 HEVC"),
	}
}
