package synth

import (
	"math"
	"math/rand/v2"
)

// soundGain scales the raw mix to about -23 LUFS (stereo); measured with FFmpeg's
// ebur128 filter in TestLoudnessCalibrated.
const soundGain = 0.129

// noteLength is the length of one note of the melody, in seconds.
const noteLength = 0.4

// notes are the pitches of the melody, in Hz (a pentatonic scale).
var notes = [...]float64{262, 294, 330, 392, 440, 523, 587, 659}

// sound makes the sound track: a melody of decaying tones with a harmonic, a low pad
// and soft filtered noise, slightly different on each channel. It is stateful (phases,
// filters) but allocates nothing per call.
type sound struct {
	rate  int
	seed  uint64
	n     int64 // index of the next sample
	phase [2]float64
	pad   float64
	lp    [2]float64
	rng   *rand.Rand
}

func newSound(s Spec) *sound {
	return &sound{rate: s.SampleRate, seed: uint64(s.Seed), rng: rand.New(rand.NewPCG(uint64(s.Seed), 0xa0d10))}
}

// note returns the pitch of note k, a pure function of the seed and k.
func (s *sound) note(k int64) float64 {
	h := uint64(k)*0x9e3779b97f4a7c15 ^ s.seed*0xbf58476d1ce4e5b9
	h ^= h >> 31
	return notes[h%uint64(len(notes))]
}

// fill writes the next len(buf[0]) samples of every channel into buf, in [-1, 1].
func (s *sound) fill(buf [][]float32) {
	rate := float64(s.rate)
	for i := range buf[0] {
		t := float64(s.n) / rate
		k := int64(t / noteLength)
		f := s.note(k)
		env := 0.55 + 0.45*math.Exp(-(t-float64(k)*noteLength)*5)
		s.pad += 2 * math.Pi * 110 / rate
		if s.pad > 2*math.Pi {
			s.pad -= 2 * math.Pi
		}
		pad := 0.3 * math.Sin(s.pad)
		for c := range buf {
			s.phase[c] += 2 * math.Pi * f * (1 + 0.003*float64(c)) / rate
			if s.phase[c] > 2*math.Pi {
				s.phase[c] -= 2 * math.Pi
			}
			tone := env * (0.6*math.Sin(s.phase[c]) + 0.2*math.Sin(2*s.phase[c]))
			s.lp[c] += 0.25 * (s.rng.Float64()*2 - 1 - s.lp[c])
			buf[c][i] = float32(soundGain * (tone + pad + 0.5*s.lp[c]))
		}
		s.n++
	}
}

// impairSound applies the audio impairments of ims to buf, whose first sample is at
// media time t0. rng supplies residual noise for silence.
func impairSound(buf [][]float32, t0 float64, rate int, ims []Impairment, width int, rng *rand.Rand) {
	n := len(buf[0])
	for _, im := range ims {
		if im.Kind.video() || im.Kind == AVOffset {
			continue
		}
		i0 := clampInt(int(math.Ceil((im.Start-t0)*float64(rate)-1e-9)), 0, n)
		i1 := clampInt(int(math.Ceil((im.End-t0)*float64(rate)-1e-9)), 0, n)
		if i0 >= i1 {
			continue
		}
		p := im.param(width)
		switch im.Kind {
		case Silence:
			amp := 0.0
			if p < 0 {
				amp = math.Pow(10, p/20) * math.Sqrt(3) // uniform noise of RMS 10^(p/20)
			}
			for c := range buf {
				for i := i0; i < i1; i++ {
					buf[c][i] = float32(amp * (rng.Float64()*2 - 1))
				}
			}
		case Clipping, Loudness:
			g := float32(math.Pow(10, p/20))
			for c := range buf {
				for i := i0; i < i1; i++ {
					buf[c][i] = min(1, max(-1, buf[c][i]*g))
				}
			}
		}
	}
}
