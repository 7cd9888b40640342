package detect

import (
	"math"
	"testing"

	"github.com/vigil-monitor/vigil/media"
)

// avFeed simulates a demuxer delivering 25 frame/s video and 1024-sample 48 kHz audio
// blocks in arrival order. arrival(t) is how far ahead (positive) or behind the audio
// arrives relative to video at media time t; audioJump(t) is added to the audio PTS
// (a mislabelled timeline).
func avFeed(d *AVSyncDetector, dur float64, arrival, audioJump func(float64) float64) []Event {
	var evs []Event
	emit := func(e Event) { evs = append(evs, e) }
	const vdur, adur = 0.04, 1024.0 / 48000
	samples := make([]float32, 2*1024)
	var vt, at float64
	var vseq, aseq uint64
	for vt < dur {
		// Deliver audio up to where it should have arrived by now.
		for at < vt+vdur+arrival(vt) {
			a := media.NewAudioFrame(48000, 2, samples, at+audioJump(at))
			a.Seq = aseq
			d.Audio(a, emit)
			at += adur
			aseq++
		}
		f := media.NewVideoFrame(16, 16, 16, make([]byte, 256), vt)
		f.Duration, f.Seq = vdur, vseq
		d.Video(f, emit)
		vt += vdur
		vseq++
	}
	d.Close(dur, emit)
	return evs
}

func TestAVSyncModel(t *testing.T) {
	zero := func(float64) float64 { return 0 }
	cases := []struct {
		name      string
		arrival   func(float64) float64
		audioJump func(float64) float64
		want      []truth
	}{
		{name: "steady interleave lead", arrival: func(float64) float64 { return 0.3 }, audioJump: zero},
		{name: "interleave jitter", arrival: func(t float64) float64 { return 0.1 * math.Sin(7*t) }, audioJump: zero},
		{name: "audio arrives 0.4 s ahead from 10 s", arrival: func(t float64) float64 {
			if t >= 10 {
				return 0.4
			}
			return 0
		}, audioJump: zero, want: []truth{{typ: AVSync, start: 10, end: 20}}},
		{name: "audio arrives 0.3 s late from 8 s to 14 s", arrival: func(t float64) float64 {
			if t >= 8 && t < 14 {
				return -0.3
			}
			return 0.05
		}, audioJump: zero, want: []truth{{typ: AVSync, start: 8, end: 14, endTol: 1.1}}},
		{name: "audio timeline jumps 0.2 s at 12 s", arrival: zero, audioJump: func(t float64) float64 {
			if t >= 12 {
				return 0.2
			}
			return 0
		}, want: []truth{{typ: AVSync, start: 12, end: 20}}},
		{name: "audio timeline jumps 0.1 s: within tolerance", arrival: zero, audioJump: func(t float64) float64 {
			if t >= 12 {
				return 0.1
			}
			return 0
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			evs := avFeed(NewAVSyncDetector(DefaultAVSyncConfig()), 20, c.arrival, c.audioJump)
			checkEvents(t, evs, c.want, []Type{AVSync})
		})
	}
}

func TestDecodeErrorStartup(t *testing.T) {
	cases := []struct {
		name string
		// frames: per 40 ms frame, k = key, K = key with errors before it,
		// e = errors before it, c = corrupt, . = clean
		frames string
		want   []truth
	}{
		{name: "errors before the first key frame are start-up", frames: "eeeek........"},
		{name: "errors reported with the first key frame are start-up", frames: "eeK........"},
		{name: "errors after start-up count", frames: "k..e.........", want: []truth{{typ: DecodeError, start: 0.12, end: 0.16}}},
		{name: "burst is one event", frames: "k....c.e.c....................................................",
			want: []truth{{typ: DecodeError, start: 0.2, end: 0.44}}},
		{name: "two bursts apart are two events", frames: "k....c" + dots(60) + "c" + dots(60),
			want: []truth{{typ: DecodeError, start: 0.2, end: 0.24}, {typ: DecodeError, start: 2.64, end: 2.68}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := NewDecodeErrorDetector(DefaultDecodeErrorConfig())
			var evs []Event
			emit := func(e Event) { evs = append(evs, e) }
			for i, ch := range c.frames {
				f := media.NewVideoFrame(16, 16, 16, make([]byte, 256), float64(i)*0.04)
				f.Key = ch == 'k' || ch == 'K'
				f.Corrupt = ch == 'c'
				if ch == 'e' || ch == 'K' {
					f.ErrorsBefore = 3
				}
				d.Video(f, emit)
			}
			d.Close(float64(len(c.frames))*0.04, emit)
			checkEvents(t, evs, c.want, []Type{DecodeError})
		})
	}
}

func dots(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = '.'
	}
	return string(b)
}
