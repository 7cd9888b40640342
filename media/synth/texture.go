package synth

import (
	"math"
	"math/rand/v2"
)

// texture is a tileable scene twice the picture size in each direction, painted once
// per clip; frames are windows into it. Luma is full resolution, chroma half.
type texture struct {
	w, h int    // luma size; both even
	y    []byte // w*h
	u, v []byte // (w/2)*(h/2)
}

// newTexture paints a w x h texture: smooth shading with sharp-edged rectangles,
// discs, gratings and checkers on top, with edges off the 8x8 block grid so that
// clean pictures do not look blocky. Everything wraps around, so the texture tiles.
func newTexture(w, h int, rng *rand.Rand) *texture {
	t := &texture{w: w, h: h, y: make([]byte, w*h)}
	u := make([]byte, w*h)
	v := make([]byte, w*h)
	shade(t.y, w, h, 128, 45, rng)
	shade(u, w, h, 128, 20, rng)
	shade(v, w, h, 128, 20, rng)

	n := w * h / 1500
	maxSize := float64(w) / 10
	for i := 0; i < n; i++ {
		sz := int(math.Exp(rng.Float64()*math.Log(maxSize/6))*6) + 1
		x0, y0 := rng.IntN(w), rng.IntN(h)
		sw, sh := sz, int(float64(sz)*(0.5+rng.Float64()))
		col := [3]byte{byte(24 + rng.IntN(207)), byte(68 + rng.IntN(121)), byte(68 + rng.IntN(121))}
		alt := byte(24 + rng.IntN(207))
		var in func(dx, dy int) (inside, second bool)
		switch r := rng.Float64(); {
		case r < 0.5: // rectangle
			in = func(dx, dy int) (bool, bool) { return true, false }
		case r < 0.75: // disc
			rad := sw / 2
			sh = sw
			in = func(dx, dy int) (bool, bool) {
				cx, cy := dx-rad, dy-rad
				return cx*cx+cy*cy <= rad*rad, false
			}
		case r < 0.9: // grating, horizontal, vertical or diagonal
			period := 3 + rng.IntN(7)
			dir := rng.IntN(3)
			in = func(dx, dy int) (bool, bool) {
				c := [3]int{dx, dy, dx + dy}[dir]
				return true, (c/period)%2 == 1
			}
		default: // checker with cells that are not a multiple of 8
			cell := []int{3, 5, 6, 7, 9, 11, 13}[rng.IntN(7)]
			in = func(dx, dy int) (bool, bool) { return true, (dx/cell+dy/cell)%2 == 1 }
		}
		for dy := 0; dy < sh; dy++ {
			row := ((y0 + dy) % h) * w
			for dx := 0; dx < sw; dx++ {
				inside, second := in(dx, dy)
				if !inside {
					continue
				}
				j := row + (x0+dx)%w
				if second {
					t.y[j] = alt
				} else {
					t.y[j] = col[0]
				}
				u[j], v[j] = col[1], col[2]
			}
		}
	}
	t.u, t.v = subsample(u, w, h), subsample(v, w, h)
	return t
}

// shade fills p (w x h) with mean plus a tileable mix of sinusoids of amplitude about
// amp: a few along x, a few along y and one diagonal, each a whole number of periods.
func shade(p []byte, w, h int, mean, amp float64, rng *rand.Rand) {
	xs := make([]float64, w)
	cx, sx := make([]float64, w), make([]float64, w)
	ys := make([]float64, h)
	cy, sy := make([]float64, h), make([]float64, h)
	for k := 0; k < 3; k++ {
		fx, px, ax := float64(1+rng.IntN(6)), rng.Float64()*2*math.Pi, amp*(0.2+0.3*rng.Float64())
		for x := range xs {
			xs[x] += ax * math.Sin(2*math.Pi*fx*float64(x)/float64(w)+px)
		}
		fy, py, ay := float64(1+rng.IntN(4)), rng.Float64()*2*math.Pi, amp*(0.2+0.3*rng.Float64())
		for y := range ys {
			ys[y] += ay * math.Sin(2*math.Pi*fy*float64(y)/float64(h)+py)
		}
	}
	dx, dy := float64(2+rng.IntN(5)), float64(1+rng.IntN(4))
	for x := range cx {
		a := 2 * math.Pi * dx * float64(x) / float64(w)
		cx[x], sx[x] = math.Cos(a), math.Sin(a)
	}
	for y := range cy {
		a := 2 * math.Pi * dy * float64(y) / float64(h)
		cy[y], sy[y] = math.Cos(a), math.Sin(a)
	}
	ad := amp * 0.3
	for y := 0; y < h; y++ {
		row := p[y*w : (y+1)*w]
		for x := range row {
			// sin(a+b) = sin a cos b + cos a sin b keeps the diagonal term separable.
			val := mean + xs[x] + ys[y] + ad*(sx[x]*cy[y]+cx[x]*sy[y])
			row[x] = clampByte(val, 20, 235)
		}
	}
}

// subsample halves a w x h plane in both directions by averaging 2x2 blocks.
func subsample(p []byte, w, h int) []byte {
	cw, ch := w/2, h/2
	out := make([]byte, cw*ch)
	for y := 0; y < ch; y++ {
		a, b := p[2*y*w:], p[(2*y+1)*w:]
		for x := 0; x < cw; x++ {
			out[y*cw+x] = byte((int(a[2*x]) + int(a[2*x+1]) + int(b[2*x]) + int(b[2*x+1]) + 2) / 4)
		}
	}
	return out
}

// clampByte rounds v and clamps it to [lo, hi].
func clampByte(v, lo, hi float64) byte {
	v = math.Round(v)
	if v < lo {
		return byte(lo)
	}
	if v > hi {
		return byte(hi)
	}
	return byte(v)
}
