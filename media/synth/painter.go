package synth

import (
	"math"
	"math/rand/v2"
)

// planes is a YUV 4:2:0 picture: views of the encoder frame's planes or of Go buffers.
type planes struct {
	y, u, v          []byte
	yStride, cStride int
}

// scene is one way of looking at the texture: where the window starts, how it pans,
// how luma and chroma are mapped, and a bouncing disc.
type scene struct {
	ox, oy float64 // texture origin of the window, in pixels
	vx, vy float64 // pan velocity, pixels per second
	wobble float64 // amplitude of a slow sinusoidal sway added to the pan, pixels
	lutY   [256]byte
	lutC   [256]byte
	swapUV bool
	discR  int
	discY  [2]byte // luma of the disc's alternating rings
	discU  byte
	discV  byte
	discVX float64 // disc velocity, pixels per second
	discVY float64
	discX0 float64
	discY0 float64
}

// painter paints the pictures of one clip into caller-provided planes, reusing its
// buffers: nothing is allocated per frame.
type painter struct {
	w, h    int
	content Content
	tex     *texture
	scenes  []scene
	noise   []int8 // gaussian noise table, read at a random offset per frame
	rng     *rand.Rand
}

// noiseSlack is how far past w*h the noise table extends, so per-frame offsets vary.
const noiseSlack = 1 << 16

func newPainter(s Spec) *painter {
	rng := rand.New(rand.NewPCG(uint64(s.Seed), 0x5eed))
	p := &painter{w: s.Width, h: s.Height, content: s.Content, rng: rng}
	p.tex = newTexture(2*s.Width, 2*s.Height, rng)
	p.noise = make([]int8, s.Width*s.Height+noiseSlack)
	for i := range p.noise {
		p.noise[i] = int8(math.Max(-12, math.Min(12, math.Round(rng.NormFloat64()*4))))
	}
	n := 1
	if s.Content == Scenes {
		n = 4
	}
	for i := 0; i < n; i++ {
		p.scenes = append(p.scenes, p.newScene(i))
	}
	return p
}

// newScene makes scene i of the painter's content.
func (p *painter) newScene(i int) scene {
	w, h := float64(p.w), float64(p.h)
	ang := p.rng.Float64() * 2 * math.Pi
	sc := scene{
		ox: p.rng.Float64() * float64(p.tex.w), oy: p.rng.Float64() * float64(p.tex.h),
		vx: w / 8 * math.Cos(ang), vy: h / 10 * math.Sin(ang), wobble: w / 30,
		discR: p.h / 7, discY: [2]byte{225, 150}, discU: 90, discV: 160,
		discVX: w / 3, discVY: h / 2.5, discX0: p.rng.Float64() * w, discY0: p.rng.Float64() * h,
	}
	gamma, lo, hi := 1.0, 16.0, 235.0
	sat := 1.0
	switch {
	case p.content == Dark:
		lo, hi, sat = 20, 70, 0.5
		sc.discY = [2]byte{105, 80}
		sc.discU, sc.discV = 120, 134
	case p.content == Static:
		sc.vx, sc.vy, sc.wobble = float64(p.w)/160, 0, 0
		sc.discVX, sc.discVY = w/80, h/120
	case p.content == Scenes:
		switch i % 4 {
		case 1: // bright, contrasty
			gamma, lo, hi = 0.7, 40, 235
			sc.discY = [2]byte{40, 90}
		case 2: // muted and a little dim, but far from dark
			lo, hi, sat = 50, 170, 0.6
			sc.discY = [2]byte{200, 120}
		case 3: // negative, colours swapped
			lo, hi = 235, 16
			sc.swapUV = true
		}
	}
	for v := 0; v < 256; v++ {
		x := math.Pow(math.Max(0, math.Min(1, (float64(v)-16)/219)), gamma)
		sc.lutY[v] = clampByte(lo+(hi-lo)*x, 16, 235)
		sc.lutC[v] = clampByte(128+(float64(v)-128)*sat, 16, 240)
	}
	return sc
}

// paint paints the picture at media time t into dst.
func (p *painter) paint(dst planes, t float64) {
	sc := &p.scenes[0]
	if len(p.scenes) > 1 {
		sc = &p.scenes[int(t/SceneLength)%len(p.scenes)]
	}
	tw, th := p.tex.w, p.tex.h
	ox := mod(int(math.Floor(sc.ox+sc.vx*t+sc.wobble*math.Sin(0.9*t))), tw)
	oy := mod(int(math.Floor(sc.oy+sc.vy*t+sc.wobble*0.5*math.Sin(0.6*t+1))), th)
	noise := p.noise[p.rng.IntN(noiseSlack):]

	for y := 0; y < p.h; y++ {
		src := p.tex.y[mod(oy+y, th)*tw:][:tw]
		dst := dst.y[y*dst.yStride:][:p.w]
		nz := noise[y*p.w:][:p.w]
		n1 := min(p.w, tw-ox)
		mapNoisy(dst[:n1], src[ox:ox+n1], nz[:n1], &sc.lutY)
		mapNoisy(dst[n1:], src[:p.w-n1], nz[n1:], &sc.lutY)
	}
	cw, ch := p.w/2, p.h/2
	ctw, cth := tw/2, th/2
	cox, coy := ox/2, oy/2
	u, v := p.tex.u, p.tex.v
	if sc.swapUV {
		u, v = v, u
	}
	for y := 0; y < ch; y++ {
		row := mod(coy+y, cth) * ctw
		du, dv := dst.u[y*dst.cStride:][:cw], dst.v[y*dst.cStride:][:cw]
		n1 := min(cw, ctw-cox)
		mapPlain(du[:n1], u[row+cox:row+cox+n1], &sc.lutC)
		mapPlain(du[n1:], u[row:row+cw-n1], &sc.lutC)
		mapPlain(dv[:n1], v[row+cox:row+cox+n1], &sc.lutC)
		mapPlain(dv[n1:], v[row:row+cw-n1], &sc.lutC)
	}
	p.disc(dst, sc, t, noise)
}

// disc draws the scene's bouncing ringed disc.
func (p *painter) disc(dst planes, sc *scene, t float64, noise []int8) {
	r := sc.discR
	cx := r + int(bounce(sc.discX0+sc.discVX*t, float64(p.w-2*r)))
	cy := r + int(bounce(sc.discY0+sc.discVY*t, float64(p.h-2*r)))
	for dy := -r; dy <= r; dy++ {
		y := cy + dy
		hw := int(math.Sqrt(float64(r*r - dy*dy)))
		row := dst.y[y*dst.yStride:]
		nz := noise[y*p.w:]
		for x := cx - hw; x <= cx+hw; x++ {
			dx := x - cx
			ring := int(math.Sqrt(float64(dx*dx+dy*dy))) / 5 % 2
			v := int(sc.discY[ring]) + int(nz[x])
			row[x] = byte(min(235, max(16, v)))
		}
		if dy%2 == 0 {
			crow := (y / 2) * dst.cStride
			for x := (cx - hw) / 2; x <= (cx+hw)/2; x++ {
				dst.u[crow+x], dst.v[crow+x] = sc.discU, sc.discV
			}
		}
	}
}

// mapNoisy writes lut[src[i]] plus noise, clamped to video range, into dst.
func mapNoisy(dst, src []byte, nz []int8, lut *[256]byte) {
	src, nz = src[:len(dst)], nz[:len(dst)]
	for i := range dst {
		v := int(lut[src[i]]) + int(nz[i])
		if v < 16 {
			v = 16
		} else if v > 235 {
			v = 235
		}
		dst[i] = byte(v)
	}
}

// mapPlain writes lut[src[i]] into dst.
func mapPlain(dst, src []byte, lut *[256]byte) {
	src = src[:len(dst)]
	for i := range dst {
		dst[i] = lut[src[i]]
	}
}

// bounce folds x into [0, span] like a ball bouncing between two walls.
func bounce(x, span float64) float64 {
	if span <= 0 {
		return 0
	}
	x = math.Mod(math.Abs(x), 2*span)
	if x > span {
		return 2*span - x
	}
	return x
}

// mod returns a mod m in [0, m).
func mod(a, m int) int {
	a %= m
	if a < 0 {
		a += m
	}
	return a
}
