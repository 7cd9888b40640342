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

// kSumSquares2 is kSumSquares for both channels of stereo samples at once: two
// independent recurrences interleaved keep the CPU busy while each waits on itself.
func kSumSquares2(shelf, hp *biquad, st0, st1 *[2]biquadState, s []float32) (sum0, sum1 float64) {
	f, g := *shelf, *hp
	a, b := st0[0], st0[1]
	p, q := st1[0], st1[1]
	for i := 0; i+1 < len(s); i += 2 {
		x, u := float64(s[i]), float64(s[i+1])
		y := f.b0*x + f.b1*a.x1 + f.b2*a.x2 - f.a1*a.y1 - f.a2*a.y2
		v := f.b0*u + f.b1*p.x1 + f.b2*p.x2 - f.a1*p.y1 - f.a2*p.y2
		a.x2, a.x1, a.y2, a.y1 = a.x1, x, a.y1, y
		p.x2, p.x1, p.y2, p.y1 = p.x1, u, p.y1, v
		z := g.b0*y + g.b1*b.x1 + g.b2*b.x2 - g.a1*b.y1 - g.a2*b.y2
		w := g.b0*v + g.b1*q.x1 + g.b2*q.x2 - g.a1*q.y1 - g.a2*q.y2
		b.x2, b.x1, b.y2, b.y1 = b.x1, y, b.y1, z
		q.x2, q.x1, q.y2, q.y1 = q.x1, v, q.y1, w
		sum0 += z * z
		sum1 += w * w
	}
	st0[0], st0[1], st1[0], st1[1] = a, b, p, q
	return sum0, sum1
}

// kSumSquares runs channel c of the interleaved samples s (ch channels) through the
// cascade of shelf and high-pass, continuing from their memories st, and returns the
// sum of the squared output. The memories live in locals during the loop, so the
// filters' recurrences stay in registers.
func kSumSquares(shelf, hp *biquad, st *[2]biquadState, s []float32, c, ch int) float64 {
	f, g := *shelf, *hp
	a, b := st[0], st[1]
	var sum float64
	for i := c; i < len(s); i += ch {
		x := float64(s[i])
		y := f.b0*x + f.b1*a.x1 + f.b2*a.x2 - f.a1*a.y1 - f.a2*a.y2
		a.x2, a.x1, a.y2, a.y1 = a.x1, x, a.y1, y
		z := g.b0*y + g.b1*b.x1 + g.b2*b.x2 - g.a1*b.y1 - g.a2*b.y2
		b.x2, b.x1, b.y2, b.y1 = b.x1, y, b.y1, z
		sum += z * z
	}
	st[0], st[1] = a, b
	return sum
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
