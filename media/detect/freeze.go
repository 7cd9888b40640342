package detect

import (
	"math"

	"github.com/vigil-monitor/vigil/media"
)

// FreezeConfig configures the frozen-picture detector.
//
// The detector keeps a reference picture, the last one that differed from its own
// reference: it only moves when a real change is seen, so the slow refinement an
// encoder applies to a still picture cannot hide the freeze the way a frame-to-frame
// comparison can (FFmpeg's freezedetect misses the first second of a freeze after noisy
// content for that reason). A change is measured per tile (4x4 tiles) as the mean
// absolute difference of the means of 8x8-pixel blocks of the working picture, so a
// small moving part of an otherwise still picture is a change, while the grain and
// quantisation error an encoder re-codes a still with (several levels per pixel,
// most of all at key frames of low-latency live encoders) average out in the block
// means: a still picture re-coded through 1 s GOPs drifts by at most about 1 level
// in block means where single pixels drift by 4-5 (synth clips, file and live
// encoder settings, TestScanFindsFreezesOfLiveEncodes).
//
// The threshold is noise-aware: it is the larger of Threshold and NoiseFactor times the
// stream's recent noise floor (the smallest frame-to-frame difference over the last
// second, in the least changed of the tiles, capped at MaxNoise), so a still picture
// with grain or sensor noise is still a freeze. Once a freeze is reported the
// threshold is HoldFactor times larger (hysteresis), so the encoder's refinement of
// the still does not end it.
//
// When a freeze begins, the encoder may keep refining the still for a second or more,
// and a key frame may re-code it: those look like small changes. So when a still
// picture is found, the detector looks back up to Lookback seconds through a small
// history of pictures for the moment the picture stopped moving: the largest step in
// the distance from each earlier picture to the still one, if that step stands out
// above the refinement after it. The freeze's Start is that moment.
//
// A change too small for the threshold may still be motion: a slow pan of a soft
// (blurred, out of focus) picture changes each tile by less than an encoder's drift
// on a frozen one, but the change is coherent. So a picture that passes as still is
// also fitted to its reference shifted by a global translation (least squares on the
// reference's gradient, as in Lucas-Kanade): when the fitted shift is at least MinShift
// pixels and explains at least ShiftFit of the change's energy, the picture moved. An
// encoder re-coding a frozen picture changes it by quantisation error, which no shift
// explains.
//
// Black is reported as black, not as a freeze: while the picture is black (per the
// black detector's settings) nothing counts as frozen.
type FreezeConfig struct {
	// Enabled turns the detector on (key freeze.enabled).
	Enabled bool
	// EpisodeConfig: a freeze must last MinDuration (default 2 s) and ends at the
	// first real change (EndHold default 0).
	EpisodeConfig
	// Threshold is the smallest change, as mean absolute difference of block means
	// (8-bit luma levels) in the most changed tile, that counts as a change (default
	// 1.5).
	Threshold float64
	// HoldFactor scales the threshold once a freeze has been reported (default 2): the
	// encoder's drift of a still picture must not end the freeze, while starting one
	// stays as strict as Threshold says.
	HoldFactor float64
	// NoiseFactor scales the noise floor into the threshold (default 2).
	NoiseFactor float64
	// MaxNoise caps the noise floor, in levels (default 4). Grain and sensor noise
	// stay well under it; a picture whose every tile changes by more from frame to
	// frame (a scrolling fine texture, a cellular automaton) is moving, not noisy.
	MaxNoise float64
	// Lookback is how far back, in seconds, the start of a freeze is searched for
	// (default 2).
	Lookback float64
	// MinShift is the smallest global shift, in pixels of the full picture, that makes
	// a picture that otherwise passes as still a moving one (default 0.5; 0 turns the
	// shift fit off).
	MinShift float64
	// ShiftFit is the share of the change's energy the fitted shift must explain
	// (default 0.5).
	ShiftFit float64
}

// DefaultFreezeConfig returns the defaults documented on FreezeConfig.
func DefaultFreezeConfig() FreezeConfig {
	return FreezeConfig{
		Enabled:       true,
		EpisodeConfig: EpisodeConfig{MinDuration: 2, EndHold: 0},
		Threshold:     1.5,
		HoldFactor:    2,
		NoiseFactor:   2,
		MaxNoise:      4,
		Lookback:      2,
		MinShift:      0.5,
		ShiftFit:      0.5,
	}
}

const (
	freezeHistStep = 2   // history pictures are the working picture subsampled by this
	freezeTiles    = 4   // tiles across and down
	noiseWindow    = 1.0 // seconds over which the noise floor is the minimum
	noiseRing      = 64  // frame differences remembered for the noise floor
	freezeMaxHist  = 512 // history pictures at most
	freezeFitRange = 4   // changes up to this many thresholds are fitted with a shift
)

// histEntry is one remembered picture.
type histEntry struct {
	pts float64
	pic plane
}

// FreezeDetector reports frozen pictures.
type FreezeDetector struct {
	cfg      FreezeConfig
	black    BlackConfig
	blackLvl int

	prev, ref  plane  // the previous working picture and the reference
	cur, prevB blocks // block means of the current and previous picture
	refB       blocks // and of the reference
	refPTS     float64
	haveRef    bool
	pendingKey bool    // the last change was on a key frame and may be a re-code
	movedAt    float64 // PTS of the last picture the shift fit found moved

	noise     [noiseRing]float64 // recent frame-to-frame differences
	noiseT    [noiseRing]float64
	noiseHead int

	hist  []histEntry // ring of recent small pictures, oldest first from histHead
	histN int
	histH int

	ep episode
}

var _ VideoDetector = (*FreezeDetector)(nil)

// NewFreezeDetector returns a freeze detector that treats pictures black under black
// as not frozen. Both configurations must be valid.
func NewFreezeDetector(cfg FreezeConfig, black BlackConfig) *FreezeDetector {
	d := &FreezeDetector{
		cfg:      cfg,
		black:    black,
		blackLvl: int(videoLevel(black.Pixel)),
		ep:       newEpisode(Freeze, Error, cfg.EpisodeConfig, "residual change %.2f"),
		movedAt:  math.Inf(-1),
	}
	d.resetNoise()
	return d
}

// Type returns Freeze.
func (d *FreezeDetector) Type() Type { return Freeze }

// blocks holds the sums of the 8x8-pixel blocks of a working picture (a picture's
// remainder rows and columns are left out). Changes are measured on block means: an
// encoder re-coding a still picture moves single pixels by several levels (grain,
// quantisation) but block means hardly at all, while motion moves the means of the
// blocks it crosses as much as their pixels.
type blocks struct {
	w, h int
	sum  []int32
}

const freezeBlock = 8 // block size in working-picture pixels

// from sets b to the block sums of p.
func (b *blocks) from(p *plane) {
	w, h := p.w/freezeBlock, p.h/freezeBlock
	if w != b.w || h != b.h || b.sum == nil {
		b.w, b.h, b.sum = w, h, make([]int32, w*h)
	}
	clear(b.sum)
	for y := 0; y < h*freezeBlock; y++ {
		row, out := p.pix[y*p.w:y*p.w+w*freezeBlock], b.sum[(y/freezeBlock)*w:(y/freezeBlock+1)*w]
		for x := range out {
			var sum int32
			for _, v := range row[x*freezeBlock : x*freezeBlock+freezeBlock] {
				sum += int32(v)
			}
			out[x] += sum
		}
	}
}

// copyFrom makes b a copy of q.
func (b *blocks) copyFrom(q *blocks) {
	if b.w != q.w || b.h != q.h || b.sum == nil {
		b.w, b.h, b.sum = q.w, q.h, make([]int32, len(q.sum))
	}
	copy(b.sum, q.sum)
}

// blockDiffs compares cur with prev and with ref in one pass, per tile of the mean
// absolute difference of block means: it returns the least changed tile against prev
// (the noise) and the most changed tile against ref (the change), in levels.
func blockDiffs(cur, prev, ref *blocks) (noise, change float64) {
	if cur.w != prev.w || cur.h != prev.h || cur.w != ref.w || cur.h != ref.h || cur.w == 0 || cur.h == 0 {
		return math.Inf(1), math.Inf(1)
	}
	noise = math.Inf(1)
	w := cur.w
	const area = freezeBlock * freezeBlock
	for ty := 0; ty < freezeTiles; ty++ {
		y0, y1 := ty*cur.h/freezeTiles, (ty+1)*cur.h/freezeTiles
		for tx := 0; tx < freezeTiles; tx++ {
			x0, x1 := tx*w/freezeTiles, (tx+1)*w/freezeTiles
			var sp, sr, n int64
			for y := y0; y < y1; y++ {
				c, p, r := cur.sum[y*w+x0:y*w+x1], prev.sum[y*w+x0:y*w+x1], ref.sum[y*w+x0:y*w+x1]
				for i, v := range c {
					a, b := int64(v-p[i]), int64(v-r[i])
					sp, sr = sp+max(a, -a), sr+max(b, -b)
				}
				n += int64(x1 - x0)
			}
			if n > 0 {
				noise = math.Min(noise, float64(sp)/float64(n*area))
				change = math.Max(change, float64(sr)/float64(n*area))
			}
		}
	}
	return noise, change
}

// noiseFloor returns the noise level at t: the smallest difference between consecutive
// pictures in their least changed tile, over the last noiseWindow seconds. Noise
// changes every tile; motion rarely changes them all, and then changes them steadily,
// which the reference comparison sees however large the threshold.
func (d *FreezeDetector) noiseFloor(t float64) float64 {
	floor := math.Inf(1)
	for i := range d.noise {
		if d.noiseT[i] <= t && t-d.noiseT[i] <= noiseWindow {
			floor = math.Min(floor, d.noise[i])
		}
	}
	if math.IsInf(floor, 1) {
		return 0
	}
	return floor
}

// Video looks at one picture (the shared working picture, see analysis.go).
func (d *FreezeDetector) Video(f *media.VideoFrame, emit Emit) {
	t := f.PTS
	cur := &analyze(f).pic
	d.remember(cur, t)
	d.cur.from(cur)
	if _, black, _ := d.black.judge(cur, d.blackLvl); black {
		d.ref.copyFrom(cur)
		d.refB.copyFrom(&d.cur)
		d.refPTS, d.haveRef, d.pendingKey = t, true, false
		d.prev.copyFrom(cur)
		d.prevB.copyFrom(&d.cur)
		d.ep.step(t, false, 0, 0, emit)
		return
	}
	if !d.haveRef || !cur.sameSize(&d.ref) {
		d.ref.copyFrom(cur)
		d.refB.copyFrom(&d.cur)
		d.prev.copyFrom(cur)
		d.prevB.copyFrom(&d.cur)
		d.refPTS, d.haveRef, d.pendingKey = t, true, false
		d.ep.step(t, true, 1, 0, emit)
		return
	}
	still, rd := blockDiffs(&d.cur, &d.prevB, &d.refB)
	d.noise[d.noiseHead], d.noiseT[d.noiseHead] = still, t
	d.noiseHead = (d.noiseHead + 1) % noiseRing
	d.prev.copyFrom(cur)
	d.prevB.copyFrom(&d.cur)

	th := math.Max(d.cfg.Threshold, d.cfg.NoiseFactor*math.Min(d.noiseFloor(t), d.cfg.MaxNoise))
	if d.ep.open {
		th *= d.cfg.HoldFactor
	}
	// A small change is fitted with a shift: coherent motion is a change however
	// small, and the start of a still is never backdated across it.
	moved := rd <= freezeFitRange*th && d.shifted(cur)
	if moved {
		d.movedAt = t
	}
	if rd <= th && !moved {
		d.pendingKey = false
		from := d.refPTS
		if !d.ep.active {
			from = d.backdate(th)
		}
		d.ep.stepFrom(t, from, true, 1-0.5*rd/th, rd, emit)
		return
	}
	// A real change (or a key frame re-coding the still picture).
	d.ref.copyFrom(cur)
	d.refB.copyFrom(&d.cur)
	d.refPTS = t
	if f.Key && d.ep.active && !d.pendingKey && !moved {
		// Give a key frame the benefit of the doubt: if the next frame matches it,
		// it only re-coded the still picture.
		d.pendingKey = true
		d.ep.step(t, true, 0, rd, emit)
		return
	}
	d.pendingKey = false
	d.ep.step(t, false, 0, rd, emit)
}

// shifted reports whether cur is the reference moved by a global shift of at least
// MinShift pixels that explains at least ShiftFit of the difference between them.
func (d *FreezeDetector) shifted(cur *plane) bool {
	if d.cfg.MinShift <= 0 {
		return false
	}
	dx, dy, fit := fitShift(cur, &d.ref)
	shift := math.Hypot(dx, dy) * float64(max(1, cur.step))
	return shift >= d.cfg.MinShift && fit >= d.cfg.ShiftFit
}

// fitShift fits cur as ref translated by (dx, dy) working pixels, to first order:
// cur - ref ~ -(gx*dx + gy*dy) with ref's central-difference gradient, by least
// squares over every other row. fit is the share of the difference's energy the shift
// explains (0 when nothing changed or ref has no gradient).
func fitShift(cur, ref *plane) (dx, dy, fit float64) {
	if !cur.sameSize(ref) || cur.w < 3 || cur.h < 3 {
		return 0, 0, 0
	}
	w := cur.w
	var sxx, syy, sxy, sxt, syt, stt int64
	for y := 1; y < cur.h-1; y += 2 {
		r, up, dn, c := ref.pix[y*w:(y+1)*w], ref.pix[(y-1)*w:y*w], ref.pix[(y+1)*w:(y+2)*w], cur.pix[y*w:(y+1)*w]
		var xx, yy, xy, xt, yt, tt int64
		for x := 1; x < w-1; x++ {
			gx := int64(r[x+1]) - int64(r[x-1])
			gy := int64(dn[x]) - int64(up[x])
			dt := int64(c[x]) - int64(r[x])
			xx, yy, xy = xx+gx*gx, yy+gy*gy, xy+gx*gy
			xt, yt, tt = xt+gx*dt, yt+gy*dt, tt+dt*dt
		}
		sxx, syy, sxy, sxt, syt, stt = sxx+xx, syy+yy, sxy+xy, sxt+xt, syt+yt, stt+tt
	}
	// Gradients are twice the central difference, so the shift is twice the solution.
	a, b, c, p, q := float64(sxx), float64(syy), float64(sxy), float64(sxt), float64(syt)
	det := a*b - c*c
	if stt == 0 || det <= 1e-9*(a*b+1) {
		return 0, 0, 0
	}
	ux, uy := (b*p-c*q)/det, (a*q-c*p)/det // cur - ref = -(gx*ux + gy*uy)
	return -2 * ux, -2 * uy, (ux*p + uy*q) / float64(stt)
}

// remember adds the working picture cur, subsampled, to the history ring. Once the ring
// spans Lookback (or holds freezeMaxHist pictures) the oldest entry is reused, so the
// steady state allocates nothing.
func (d *FreezeDetector) remember(cur *plane, t float64) {
	if d.cfg.Lookback <= 0 {
		return
	}
	n := len(d.hist)
	var e *histEntry
	switch {
	case d.histN < n:
		e = &d.hist[(d.histH+d.histN)%n]
		d.histN++
	case n > 0 && (t-d.hist[d.histH].pts > d.cfg.Lookback || n >= freezeMaxHist):
		e = &d.hist[d.histH]
		d.histH = (d.histH + 1) % n
	default:
		grown := make([]histEntry, 0, n+1)
		for i := 0; i < n; i++ {
			grown = append(grown, d.hist[(d.histH+i)%n])
		}
		d.hist, d.histH, d.histN = append(grown, histEntry{}), 0, n+1
		e = &d.hist[n]
	}
	e.pts = t
	e.pic.subsample(cur, freezeHistStep)
}

// entry returns the i-th newest remembered picture (0 is the newest).
func (d *FreezeDetector) entry(i int) *histEntry {
	return &d.hist[(d.histH+d.histN-1-i+len(d.hist))%len(d.hist)]
}

// backdate returns when the current still picture stopped moving: the reference's
// time, or earlier if the history shows the encoder refining the still before it.
func (d *FreezeDetector) backdate(th float64) float64 {
	start := d.refPTS
	// Find the history entry of the reference picture.
	ri := -1
	for i := 0; i < d.histN; i++ {
		if d.entry(i).pts == d.refPTS {
			ri = i
			break
		}
	}
	if ri < 0 {
		return start
	}
	ref := &d.entry(ri).pic
	var maxSoFar, bestStep, bestAfter float64
	best := -1
	for i := ri + 1; i < d.histN; i++ {
		e := d.entry(i)
		if d.refPTS-e.pts > d.cfg.Lookback || e.pts < d.movedAt {
			break
		}
		dist := meanAbsDiff(e.pic.pix, ref.pix)
		if step := dist - maxSoFar; step > bestStep {
			best, bestStep, bestAfter = i, step, maxSoFar
		}
		maxSoFar = math.Max(maxSoFar, dist)
	}
	// The picture before best is the first of the still: accept it when the step into
	// the still is a real change and stands out above the refinement after it.
	if best > ri+1 && bestStep >= th && bestStep >= 1.5*bestAfter {
		start = d.entry(best - 1).pts
	}
	return start
}

// Close ends an open freeze at media time at and forgets the picture history.
func (d *FreezeDetector) Close(at float64, emit Emit) {
	d.ep.close(at, emit)
	d.haveRef, d.pendingKey = false, false
	d.movedAt = math.Inf(-1)
	d.histN, d.histH = 0, 0
	d.resetNoise()
}

func (d *FreezeDetector) resetNoise() {
	for i := range d.noise {
		d.noise[i], d.noiseT[i] = 0, math.Inf(-1)
	}
}
