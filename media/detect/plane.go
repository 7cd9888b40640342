package detect

import "github.com/vigil-monitor/vigil/media"

// plane is a small 8-bit luma picture owned by a detector: a point-subsampled copy of a
// frame's luma, reused from frame to frame so that steady-state work allocates nothing.
type plane struct {
	w, h int
	step int // subsampling step in both directions
	pix  []byte
}

// stepFor returns the subsampling step that brings width down to at most maxW.
func stepFor(width, maxW int) int {
	if maxW <= 0 || width <= maxW {
		return 1
	}
	return (width + maxW - 1) / maxW
}

// sample fills p with every step-th pixel of every step-th row of f, with the step
// chosen so that p is at most maxW pixels wide. The buffer is reallocated only when
// the frame size changes.
func (p *plane) sample(f *media.VideoFrame, maxW int) {
	step := stepFor(f.Width, maxW)
	w, h := (f.Width+step-1)/step, (f.Height+step-1)/step
	if w != p.w || h != p.h || step != p.step {
		p.w, p.h, p.step = w, h, step
		p.pix = make([]byte, w*h)
	}
	for y := 0; y < h; y++ {
		src := f.Row(y * step)
		dst := p.pix[y*w : (y+1)*w]
		if step == 1 {
			copy(dst, src)
			continue
		}
		pick(dst, src, step)
	}
}

// pick sets dst[x] = src[x*step] for every x; src must be long enough.
func pick(dst, src []byte, step int) {
	if len(dst) == 0 {
		return
	}
	src = src[:(len(dst)-1)*step+1]
	for x := range dst {
		dst[x] = src[x*step]
	}
}

// subsample makes p every step-th pixel of every step-th row of q.
func (p *plane) subsample(q *plane, step int) {
	w, h := (q.w+step-1)/step, (q.h+step-1)/step
	if w != p.w || h != p.h || p.step != q.step*step {
		p.w, p.h, p.step = w, h, q.step*step
		p.pix = make([]byte, w*h)
	}
	for y := 0; y < h; y++ {
		src := q.pix[y*step*q.w : (y*step+1)*q.w]
		dst := p.pix[y*w : (y+1)*w]
		for x := range dst {
			dst[x] = src[x*step]
		}
	}
}

// sameSize reports whether q has p's geometry.
func (p *plane) sameSize(q *plane) bool {
	return p.w == q.w && p.h == q.h && p.step == q.step
}

// copyFrom makes p a copy of q, reusing p's buffer when it is large enough.
func (p *plane) copyFrom(q *plane) {
	p.w, p.h, p.step = q.w, q.h, q.step
	if cap(p.pix) < len(q.pix) {
		p.pix = make([]byte, len(q.pix))
	}
	p.pix = p.pix[:len(q.pix)]
	copy(p.pix, q.pix)
}

// meanAbsDiff returns the mean absolute difference of two planes of the same size.
func meanAbsDiff(a, b []byte) float64 {
	if len(a) == 0 || len(a) != len(b) {
		return 0
	}
	b = b[:len(a)]
	var sum int
	for i, v := range a {
		d := int(v) - int(b[i])
		if d < 0 {
			d = -d
		}
		sum += d
	}
	return float64(sum) / float64(len(a))
}

// videoLevel converts a fraction of the 16..235 video range into an 8-bit luma level.
func videoLevel(frac float64) float64 { return 16 + frac*(235-16) }
