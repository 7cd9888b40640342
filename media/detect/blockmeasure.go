package detect

import (
	"encoding/binary"

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
// The measure therefore looks at the change between consecutive frames at every
// 16-pixel boundary, on every lineStep-th row (vertical boundaries) and column
// (horizontal boundaries), and at a control position half a macroblock off the grid.
// With four pixels across a boundary (a b | c d) and their changes (da db | dc dd):
//
//	step  = |dc - db|                        across the boundary
//	inner = (|db - da| + |dd - dc|) / 2      beside it, inside the blocks
//
// a point is a step when step >= 2*inner + stepMargin. Per tile of 64x64 pixels the
// excess of the on-grid step density over the control's measures how much of the
// tile's change is blocky; the picture's score is the fraction of tiles whose excess
// passes tileExcess. Because the measure looks at change on the grid relative to
// change beside it, static content, however sharp or grid-aligned (test cards, bars,
// text), scores zero, and detailed moving content scores low.
const (
	mbSize     = 16   // codec macroblock grid
	tileSize   = 64   // pixels per tile side
	lineStep   = 8    // analyse every lineStep-th row and column
	tileExcess = 0.06 // on-grid minus off-grid step density that makes a tile blocky
)

// hStride is the distance between the horizontal boundaries analysed (every
// macroblock row: analysing every other one halves the memory traffic but, measured on
// the conformance clips, makes clean content cross the threshold).
const hStride = mbSize

// blockGrid measures one picture against the previous one. Its buffers are reused
// from frame to frame.
type blockGrid struct {
	w, h     int
	tw, th   int     // tiles across and down
	cur      []byte  // per point: 4 pixels across the boundary, 4 across the control
	prev     []byte  // the same for the previous picture
	tile     []int32 // per point: its tile
	cntAll   []int32 // per tile: points
	cntOn    []int32 // per tile: on-grid steps
	cntOff   []int32 // per tile: off-grid steps
	havePrev bool
}

// setup sizes the buffers for a w x h picture; a size change forgets the previous one.
func (g *blockGrid) setup(w, h int) {
	if w == g.w && h == g.h {
		return
	}
	g.w, g.h = w, h
	g.tw, g.th = (w+tileSize-1)/tileSize, (h+tileSize-1)/tileSize
	n := 0
	g.layout(w, h, func(int, int32) { n++ })
	g.cur, g.prev, g.tile = make([]byte, 8*n), make([]byte, 8*n), make([]int32, n)
	g.layout(w, h, func(k int, t int32) { g.tile[k] = t })
	nt := g.tw * g.th
	g.cntAll, g.cntOn, g.cntOff = make([]int32, nt), make([]int32, nt), make([]int32, nt)
	g.havePrev = false
}

// layout calls point for every analysed point of a w x h picture, in the order gather
// stores them, with its tile.
func (g *blockGrid) layout(w, h int, point func(k int, tile int32)) {
	k := 0
	for y := lineStep / 2; y < h; y += lineStep {
		for b := mbSize; b+2 <= w && b+mbSize/2+2 <= w; b += mbSize {
			point(k, int32((y/tileSize)*g.tw+b/tileSize))
			k++
		}
	}
	for b := mbSize; b+2 <= h && b+mbSize/2+2 <= h; b += hStride {
		for x := lineStep / 2; x < w; x += lineStep {
			point(k, int32((b/tileSize)*g.tw+x/tileSize))
			k++
		}
	}
}

// gather copies the pixels around every analysed point of f into g.cur.
func (g *blockGrid) gather(f *media.VideoFrame) {
	w, h, q, k := f.Width, f.Height, g.cur, 0
	for y := lineStep / 2; y < h; y += lineStep {
		row := f.Row(y)
		trow := int32((y / tileSize) * g.tw)
		for b := mbSize; b+2 <= w && b+mbSize/2+2 <= w; b += mbSize {
			o := b + mbSize/2
			g.tile[k] = trow + int32(b/tileSize)
			e, r, c := q[8*k:8*k+8:8*k+8], row[b-2:b+2:b+2], row[o-2:o+2:o+2]
			e[0], e[1], e[2], e[3] = r[0], r[1], r[2], r[3]
			e[4], e[5], e[6], e[7] = c[0], c[1], c[2], c[3]
			k++
		}
	}
	// Horizontal boundaries: rows outer, so that the rows on either side of a
	// boundary and of its control are read left to right.
	for b := mbSize; b+2 <= h && b+mbSize/2+2 <= h; b += hStride {
		r0, r1, r2, r3 := f.Row(b-2), f.Row(b-1), f.Row(b), f.Row(b+1)
		o := b + mbSize/2
		c0, c1, c2, c3 := f.Row(o-2), f.Row(o-1), f.Row(o), f.Row(o+1)
		for x := lineStep / 2; x < w; x += lineStep {
			e := q[8*k : 8*k+8 : 8*k+8]
			e[0], e[1], e[2], e[3] = r0[x], r1[x], r2[x], r3[x]
			e[4], e[5], e[6], e[7] = c0[x], c1[x], c2[x], c3[x]
			k++
		}
	}
}

// measure returns the fraction of tiles of f whose change since the previous picture
// is blocky, and whether there was a previous picture to compare with.
func (g *blockGrid) measure(f *media.VideoFrame) (float64, bool) {
	g.setup(f.Width, f.Height)
	g.gather(f)
	defer func() {
		g.cur, g.prev = g.prev, g.cur
		g.havePrev = true
	}()
	if !g.havePrev || len(g.cntAll) == 0 {
		return 0, false
	}
	clear(g.cntAll)
	clear(g.cntOn)
	clear(g.cntOff)
	for i, t := range g.tile {
		c, p := g.cur[8*i:8*i+8:8*i+8], g.prev[8*i:8*i+8:8*i+8]
		g.cntAll[t]++
		if binary.LittleEndian.Uint64(c) == binary.LittleEndian.Uint64(p) {
			continue // nothing changed here (most of a picture, most of the time)
		}
		if changeStep(c[0:4], p[0:4]) {
			g.cntOn[t]++
		}
		if changeStep(c[4:8], p[4:8]) {
			g.cntOff[t]++
		}
	}
	blocky := 0
	for t, n := range g.cntAll {
		if n > 0 && float64(g.cntOn[t]-g.cntOff[t]) > tileExcess*float64(n) {
			blocky++
		}
	}
	return float64(blocky) / float64(len(g.cntAll)), true
}

// changeStep reports whether the change c-p of four pixels across a boundary steps
// between the middle two by more than the change beside them.
func changeStep(c, p []byte) bool {
	c, p = c[:4], p[:4]
	a := int(c[0]) - int(p[0])
	b := int(c[1]) - int(p[1])
	cc := int(c[2]) - int(p[2])
	d := int(c[3]) - int(p[3])
	inner := (absInt(b-a) + absInt(d-cc) + 1) / 2
	return absInt(cc-b) >= 2*inner+stepMargin
}

// stepMargin is how many luma levels a change step must exceed twice the inner change by.
var stepMargin = 6

func absInt(v int) int {
	if v < 0 {
		return -v
	}
	return v
}
