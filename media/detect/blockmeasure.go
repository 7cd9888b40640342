package detect

import (
	"encoding/binary"
	"math"

	"github.com/vigil-monitor/vigil/media"
)

// Block-grid measure.
//
// Damaged coding blocks (concealment after lost or corrupt data, predictions from a
// wrong reference) change the picture in whole macroblocks at once: the change since
// the previous frame shows steps exactly on the codec's 16-pixel macroblock grid, with
// a smooth change on either side. Clean content changes where things move, which is
// on the grid no more often than beside it.
//
// The measure therefore looks at the change between consecutive frames at points on
// 16-pixel boundaries (vertical ones on a few rows, horizontal ones on a few columns)
// and, for each, at a control position half a macroblock off the grid. With four
// pixels across a boundary (a b | c d) and their changes (da db | dc dd):
//
//	step  = |dc - db|                        across the boundary
//	inner = |db - da| + |dd - dc|            beside it, inside the blocks
//
// a point is a step when step >= inner + stepMargin (rounded as 2*ceil(inner/2)).
// A frame's result is three counts: points analysed, on-grid steps and control steps.
// Judging them (pooled over frames, against the stream's own ratio of on-grid to
// control steps) is the detector's business; see blockiness.go.
//
// The points are laid out in bands of hStride rows: each band reads the four rows
// around its top boundary and the four around the control half a macroblock below,
// and takes the vertical-boundary points from two of those control rows, so a frame
// costs reading 8 of every hStride rows. Pictures larger than 640x360 get wider bands
// and sparser columns: the counts stay near blockTargetPoints per frame whatever the
// size, which keeps the cost per frame (and the statistics) about the same.
const (
	mbSize            = 16 // codec macroblock grid
	stepMargin        = 10 // luma levels a change step must exceed the inner change by
	blockTargetArea   = 640 * 360
	blockControl      = mbSize / 2 // control offset from the grid
	blockVRowInBand   = 7          // first of the two vertical-boundary rows in a band
	blockColumnOffset = 4          // first column of horizontal-boundary points
)

// blockCounts is the measure of one frame against the previous one.
type blockCounts struct {
	points  int // points analysed
	on, off int // points with a change step on the grid, and at the control position
}

// blockGrid measures one picture against the previous one. Per point it keeps the
// four pixels across the boundary (low 32 bits) and the four across its control (high
// 32 bits), of this picture and of the previous one.
type blockGrid struct {
	w, h      int
	hStride   int // rows per band (a multiple of 16)
	colStep   int // columns between horizontal-boundary points
	cur, prev []uint64
	havePrev  bool
}

// setup lays out the points for a w x h picture; a size change forgets the previous one.
func (g *blockGrid) setup(w, h int) {
	if w == g.w && h == g.h && g.cur != nil {
		return
	}
	k := max(1, int(math.Round(math.Sqrt(float64(w*h)/blockTargetArea))))
	g.w, g.h = w, h
	g.hStride = mbSize * k
	g.colStep = 8 * ((k + 1) / 2)
	n := 0
	for b := 0; b < h; b += g.hStride {
		if g.hasHorizontal(b) {
			n += (w - blockColumnOffset + g.colStep - 1) / g.colStep
		}
		for y := b + blockVRowInBand; y < b+blockVRowInBand+2 && y < h; y++ {
			for x := mbSize; x+blockControl+2 <= w; x += mbSize {
				n++
			}
		}
	}
	g.cur, g.prev = make([]uint64, n), make([]uint64, n)
	g.havePrev = false
}

// hasHorizontal reports whether the band starting at row b analyses its top boundary:
// not the picture's top edge, and only if the control rows fit.
func (g *blockGrid) hasHorizontal(b int) bool {
	return b > 0 && b+blockControl+1 < g.h
}

// gather packs the pixels around every point of f into g.cur.
func (g *blockGrid) gather(f *media.VideoFrame) {
	h, k, cur := f.Height, 0, g.cur
	for b := 0; b < h; b += g.hStride {
		if g.hasHorizontal(b) {
			// Horizontal boundary at row b, control at row b+8.
			r0, r1, r2, r3 := f.Row(b-2), f.Row(b-1), f.Row(b), f.Row(b+1)
			o := b + blockControl
			c0, c1, c2, c3 := f.Row(o-2), f.Row(o-1), f.Row(o), f.Row(o+1)
			// Equal lengths let the compiler drop the bounds checks below.
			r1, r2, r3 = r1[:len(r0)], r2[:len(r0)], r3[:len(r0)]
			c0, c1, c2, c3 = c0[:len(r0)], c1[:len(r0)], c2[:len(r0)], c3[:len(r0)]
			step := uint(g.colStep)
			for x := uint(blockColumnOffset); x < uint(len(r0)); x += step {
				cur[k] = uint64(r0[x]) | uint64(r1[x])<<8 | uint64(r2[x])<<16 | uint64(r3[x])<<24 |
					uint64(c0[x])<<32 | uint64(c1[x])<<40 | uint64(c2[x])<<48 | uint64(c3[x])<<56
				k++
			}
		}
		for y := b + blockVRowInBand; y < b+blockVRowInBand+2 && y < h; y++ {
			row := f.Row(y)
			// Points at x = 16, 32, ...: pixels x-2..x+1 and x+6..x+9.
			for x := mbSize - 2; x+blockControl+4 <= len(row); x += mbSize {
				p := row[x : x+blockControl+4]
				cur[k] = uint64(binary.LittleEndian.Uint32(p)) |
					uint64(binary.LittleEndian.Uint32(p[blockControl:]))<<32
				k++
			}
		}
	}
}

// measure compares f with the previous picture and reports the counts, and whether
// there was a previous picture to compare with.
func (g *blockGrid) measure(f *media.VideoFrame) (blockCounts, bool) {
	g.setup(f.Width, f.Height)
	g.gather(f)
	var c blockCounts
	had := g.havePrev
	if had {
		c = countSteps(g.cur, g.prev)
	}
	g.cur, g.prev = g.prev, g.cur
	g.havePrev = true
	return c, had
}

// countSteps counts the points of cur whose change since prev steps on the grid and
// at the control. A change steps between the middle two of four pixels across a
// boundary (a b | c d) when |dc-db| >= 2*ceil((|db-da| + |dd-dc|)/2) + stepMargin.
//
// Both halves of a point are judged at once in 16-bit lanes (SWAR): even bytes (a, c)
// and odd bytes (b, d) of the change, offset so that no lane borrows from the next.
func countSteps(cur, prev []uint64) blockCounts {
	const (
		l16   = 0x0001000100010001
		low16 = 0x00ff00ff00ff00ff
	)
	prev = prev[:len(cur)]
	var on, off int
	for i, v := range cur {
		p := prev[i]
		if v == p {
			continue // nothing changed here (most of a still picture)
		}
		de := v&low16 + 256*l16 - p&low16                    // da, dc, da', dc' (+256)
		do := v>>8&low16 + 256*l16 - p>>8&low16              // db, dd, db', dd' (+256)
		inner := abs512(do + 512*l16 - de)                   // |db-da|, |dd-dc|, ...
		inner += inner >> 16                                 // lanes 0, 2: the inner sums
		inner = (inner+l16)&^l16 + stepMargin*l16            // rounded up to even, + margin
		step := abs512(de>>16 + 512*l16 - do)                // lanes 0, 2: |dc-db|
		t := (step | 0x8000*l16) - inner&(0xffff|0xffff<<32) // lane 0, 2 bit 15: step >= inner
		on += int(t >> 15 & 1)
		off += int(t >> 47 & 1)
	}
	return blockCounts{points: len(cur), on: on, off: off}
}

// abs512 returns |x-512| in each 16-bit lane of x, for lanes in [1, 1023].
func abs512(x uint64) uint64 {
	const l16 = 0x0001000100010001
	m := (x >> 9 & l16) * 0xffff // lanes >= 512
	return x&(0x1ff*l16)&m | (^x&(0x1ff*l16)+l16)&^m
}

func abs32(v int32) int32 {
	m := v >> 31
	return (v ^ m) - m
}
