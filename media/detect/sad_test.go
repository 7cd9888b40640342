package detect

import (
	"math/rand/v2"
	"testing"
)

func TestSAD2(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	edge := []byte{0, 1, 127, 128, 129, 254, 255}
	for _, n := range []int{0, 1, 7, 8, 9, 40, 1023, 1024, 1029, 5000} {
		c, p, r := make([]byte, n), make([]byte, n), make([]byte, n)
		for i := range c {
			if i%3 == 0 {
				c[i], p[i], r[i] = edge[rng.IntN(len(edge))], edge[rng.IntN(len(edge))], edge[rng.IntN(len(edge))]
			} else {
				c[i], p[i], r[i] = byte(rng.IntN(256)), byte(rng.IntN(256)), byte(rng.IntN(256))
			}
		}
		var wp, wr int
		for i := range c {
			wp += max(int(c[i])-int(p[i]), int(p[i])-int(c[i]))
			wr += max(int(c[i])-int(r[i]), int(r[i])-int(c[i]))
		}
		if gp, gr := sad2(c, p, r); gp != wp || gr != wr {
			t.Errorf("n=%d: sad2 = %d, %d; want %d, %d", n, gp, gr, wp, wr)
		}
	}
}

func TestAbsDiff8(t *testing.T) {
	for a := 0; a < 256; a++ {
		for b := 0; b < 256; b++ {
			x := uint64(a)<<24 | uint64(b)<<16 | uint64(b)<<8 | uint64(a)
			y := uint64(b)<<24 | uint64(a)<<16 | uint64(a)<<8 | uint64(b)
			want := uint64(max(a-b, b-a))
			if got := absDiff8(x, y); got != want*0x01010101 {
				t.Fatalf("absDiff8(%d, %d) = %#x, want %#x in each byte", a, b, got, want)
			}
		}
	}
}
