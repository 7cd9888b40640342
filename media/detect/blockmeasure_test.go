package detect

import (
	"math/rand/v2"
	"testing"
)

// stepRef is the step test of countSteps, one boundary at a time.
func stepRef(c, p uint32) bool {
	d := func(s uint) int { return int(c>>s&0xff) - int(p>>s&0xff) }
	abs := func(v int) int { return max(v, -v) }
	da, db, dc, dd := d(0), d(8), d(16), d(24)
	inner := abs(db-da) + abs(dd-dc)
	return abs(dc-db) >= (inner+1)&^1+stepMargin
}

func TestCountSteps(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	edge := []uint64{0, 1, 5, 127, 128, 250, 255}
	var cur, prev []uint64
	for i := 0; i < 200000; i++ {
		var c, p uint64
		for b := 0; b < 64; b += 8 {
			x, y := uint64(rng.IntN(256)), uint64(rng.IntN(256))
			switch rng.IntN(4) {
			case 0:
				x, y = edge[rng.IntN(len(edge))], edge[rng.IntN(len(edge))]
			case 1:
				y = uint64(max(0, min(255, int(x)+rng.IntN(41)-20))) // small changes
			}
			c, p = c|x<<b, p|y<<b
		}
		cur, prev = append(cur, c), append(prev, p)
	}
	cur, prev = append(cur, 42), append(prev, 42) // unchanged
	var want blockCounts
	want.points = len(cur)
	for i := range cur {
		if stepRef(uint32(cur[i]), uint32(prev[i])) && cur[i] != prev[i] {
			want.on++
		}
		if stepRef(uint32(cur[i]>>32), uint32(prev[i]>>32)) && cur[i] != prev[i] {
			want.off++
		}
	}
	if got := countSteps(cur, prev); got != want {
		t.Fatalf("countSteps = %+v, want %+v", got, want)
	}
	if want.on < 1000 || want.on > len(cur)-1000 {
		t.Fatalf("test data exercises too few cases: %+v", want)
	}
}
