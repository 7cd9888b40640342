package synth

// Picture impairments: black, blur and the copies freeze needs. They work on planes in
// place and allocate nothing per frame.

// fillBlack makes p video-range black: Y=16, U=V=128.
func fillBlack(p planes, w, h int) {
	fillPlane(p.y, p.yStride, w, h, 16)
	fillPlane(p.u, p.cStride, w/2, h/2, 128)
	fillPlane(p.v, p.cStride, w/2, h/2, 128)
}

func fillPlane(p []byte, stride, w, h int, val byte) {
	for y := 0; y < h; y++ {
		row := p[y*stride:][:w]
		for x := range row {
			row[x] = val
		}
	}
}

// copyPicture copies the w x h picture src into dst; strides may differ.
func copyPicture(dst, src planes, w, h int) {
	copyPlane(dst.y, dst.yStride, src.y, src.yStride, w, h)
	copyPlane(dst.u, dst.cStride, src.u, src.cStride, w/2, h/2)
	copyPlane(dst.v, dst.cStride, src.v, src.cStride, w/2, h/2)
}

func copyPlane(dst []byte, dstStride int, src []byte, srcStride, w, h int) {
	for y := 0; y < h; y++ {
		copy(dst[y*dstStride:][:w], src[y*srcStride:][:w])
	}
}

// newPicture allocates a Go-owned w x h picture with tight strides.
func newPicture(w, h int) planes {
	return planes{
		y: make([]byte, w*h), u: make([]byte, w*h/4), v: make([]byte, w*h/4),
		yStride: w, cStride: w / 2,
	}
}

// blurrer smooths pictures with two passes of a separable box filter (a tent-shaped
// kernel), reusing its scratch buffers.
type blurrer struct {
	tmp []int32 // per-column running sums
	buf []byte  // one plane of scratch
}

// blur smooths picture p of w x h in place with radius r on luma and r/2 on chroma.
func (b *blurrer) blur(p planes, w, h, r int) {
	for pass := 0; pass < 2; pass++ {
		b.plane(p.y, p.yStride, w, h, r)
		b.plane(p.u, p.cStride, w/2, h/2, max(1, r/2))
		b.plane(p.v, p.cStride, w/2, h/2, max(1, r/2))
	}
}

// plane applies one horizontal and one vertical box pass of radius r to a plane,
// clamping at the edges.
func (b *blurrer) plane(p []byte, stride, w, h, r int) {
	if cap(b.buf) < w*h {
		b.buf = make([]byte, w*h)
		b.tmp = make([]int32, w)
	}
	buf, tmp := b.buf[:w*h], b.tmp[:w]
	n := int32(2*r + 1)
	// Horizontal: p -> buf.
	for y := 0; y < h; y++ {
		src, dst := p[y*stride:][:w], buf[y*w:][:w]
		var s int32
		for i := -r; i <= r; i++ {
			s += int32(src[clampInt(i, 0, w-1)])
		}
		for x := 0; x < w; x++ {
			dst[x] = byte((s + n/2) / n)
			s += int32(src[clampInt(x+r+1, 0, w-1)]) - int32(src[clampInt(x-r, 0, w-1)])
		}
	}
	// Vertical: buf -> p, with running column sums.
	for x := range tmp {
		tmp[x] = 0
	}
	for i := -r; i <= r; i++ {
		row := buf[clampInt(i, 0, h-1)*w:][:w]
		for x, v := range row {
			tmp[x] += int32(v)
		}
	}
	for y := 0; y < h; y++ {
		dst := p[y*stride:][:w]
		for x := range dst {
			dst[x] = byte((tmp[x] + n/2) / n)
		}
		add, sub := buf[clampInt(y+r+1, 0, h-1)*w:][:w], buf[clampInt(y-r, 0, h-1)*w:][:w]
		for x := range tmp {
			tmp[x] += int32(add[x]) - int32(sub[x])
		}
	}
}

func clampInt(v, lo, hi int) int {
	if v < lo {
		return lo
	}
	if v > hi {
		return hi
	}
	return v
}
