package detect

import "math"

// biquad is a second-order IIR section in direct form I (a0 normalised to 1).
type biquad struct {
	b0, b1, b2, a1, a2 float64
}

// biquadState is one channel's filter memory.
type biquadState struct {
	x1, x2, y1, y2 float64
}

func (f *biquad) run(s *biquadState, x float64) float64 {
	y := f.b0*x + f.b1*s.x1 + f.b2*s.x2 - f.a1*s.y1 - f.a2*s.y2
	s.x2, s.x1 = s.x1, x
	s.y2, s.y1 = s.y1, y
	return y
}

// The K-weighting of ITU-R BS.1770 is a high-shelf "pre-filter" (about +4 dB above
// 2 kHz, modelling the head) followed by the RLB high-pass (about 38 Hz). The standard
// gives coefficients for 48 kHz only; these are the analogue prototypes those
// coefficients come from, so the filters can be made for any sample rate with the
// bilinear transform (frequency pre-warped at the corner).
const (
	shelfFreq = 1681.974450955533  // Hz
	shelfGain = 3.999843853973347  // dB
	shelfQ    = 0.7071752369554196 // quality factor
	shelfBand = 0.4996667741545416 // exponent giving the shelf's mid-band gain
	rlbFreq   = 38.13547087602444  // Hz
	rlbQ      = 0.5003270373238773
)

// kWeighting returns the two K-weighting stages for sample rate fs.
func kWeighting(fs float64) (shelf, highPass biquad) {
	k := math.Tan(math.Pi * shelfFreq / fs)
	vh := math.Pow(10, shelfGain/20)
	vb := math.Pow(vh, shelfBand)
	a0 := 1 + k/shelfQ + k*k
	shelf = biquad{
		b0: (vh + vb*k/shelfQ + k*k) / a0,
		b1: 2 * (k*k - vh) / a0,
		b2: (vh - vb*k/shelfQ + k*k) / a0,
		a1: 2 * (k*k - 1) / a0,
		a2: (1 - k/shelfQ + k*k) / a0,
	}
	k = math.Tan(math.Pi * rlbFreq / fs)
	a0 = 1 + k/rlbQ + k*k
	highPass = biquad{
		b0: 1, b1: -2, b2: 1,
		a1: 2 * (k*k - 1) / a0,
		a2: (1 - k/rlbQ + k*k) / a0,
	}
	return shelf, highPass
}

// channelWeight is BS.1770's weight of channel c of n in FFmpeg's default channel
// order: 1 for front channels, 0 for LFE, 1.41 (+1.5 dB) for surrounds of 5.1 and 7.1.
func channelWeight(c, n int) float64 {
	switch n {
	case 6, 8: // FL FR FC LFE BL BR [SL SR]
		switch {
		case c == 3:
			return 0
		case c >= 4:
			return 1.41
		}
	}
	return 1
}
