package detect

import (
	"math"
	"testing"

	"github.com/vigil-monitor/vigil/media"
)

// TestKWeighting48k checks the coefficients made for 48 kHz against the ones ITU-R
// BS.1770-4 tabulates.
func TestKWeighting48k(t *testing.T) {
	shelf, hp := kWeighting(48000)
	cases := []struct {
		name      string
		got, want float64
	}{
		{"shelf b0", shelf.b0, 1.53512485958697},
		{"shelf b1", shelf.b1, -2.69169618940638},
		{"shelf b2", shelf.b2, 1.19839281085285},
		{"shelf a1", shelf.a1, -1.69065929318241},
		{"shelf a2", shelf.a2, 0.73248077421585},
		{"rlb b0", hp.b0, 1},
		{"rlb b1", hp.b1, -2},
		{"rlb b2", hp.b2, 1},
		{"rlb a1", hp.a1, -1.99004745483398},
		{"rlb a2", hp.a2, 0.99007225036621},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if math.Abs(c.got-c.want) > 1e-8 {
				t.Errorf("got %.14f, want %.14f", c.got, c.want)
			}
		})
	}
}

// TestShortTermLoudnessSine checks the short-term loudness of steady sines against
// BS.1770's calibration: a 1 kHz sine at 0 dBFS peak in one channel reads -3.01 LKFS
// (the K-weighting gains about 0.69 dB at 1 kHz, cancelled by the -0.691 offset).
func TestShortTermLoudnessSine(t *testing.T) {
	cases := []struct {
		name     string
		rate     int
		channels int
		amp      float64
		want     float64
	}{
		{"1kHz 0dBFS mono 48k", 48000, 1, 1, -3.01},
		{"1kHz -20dBFS stereo 48k", 48000, 2, 0.1, -20.0},
		{"1kHz -20dBFS stereo 44.1k", 44100, 2, 0.1, -20.0},
		{"1kHz -30dBFS stereo 32k", 32000, 2, 0.0316228, -30.0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := DefaultLoudnessConfig()
			cfg.Target, cfg.Tolerance = c.want, 0.5 // out of band if more than 0.5 LU off
			d := NewLoudnessDetector(cfg)
			var evs []Event
			emit := func(e Event) { evs = append(evs, e) }
			n := 1024
			buf := make([]float32, n*c.channels)
			for k := 0; k < 6*c.rate/n; k++ {
				for i := 0; i < n; i++ {
					v := float32(c.amp * math.Sin(2*math.Pi*1000*float64(k*n+i)/float64(c.rate)))
					for ch := 0; ch < c.channels; ch++ {
						buf[i*c.channels+ch] = v
					}
				}
				d.Audio(media.NewAudioFrame(c.rate, c.channels, buf, float64(k*n)/float64(c.rate)), emit)
			}
			d.Close(6, emit)
			if len(evs) != 0 {
				t.Errorf("short-term loudness left %.1f±0.5 LUFS: %v", c.want, evs)
			}
		})
	}
}
