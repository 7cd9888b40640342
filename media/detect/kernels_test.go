package detect

import (
	"math"
	"math/rand/v2"
	"sort"
	"testing"
)

// The tests below check the inner loops written for speed against plain versions.

func TestSelectNth(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, n := range []int{1, 2, 3, 4, 5, 10, 101, 1000} {
		for _, dups := range []bool{false, true} {
			s := make([]float64, n)
			for i := range s {
				s[i] = rng.Float64()
				if dups {
					s[i] = float64(rng.IntN(4))
				}
			}
			sorted := append([]float64(nil), s...)
			sort.Float64s(sorted)
			for _, k := range []int{0, n / 2, n - 1} {
				c := append([]float64(nil), s...)
				if got := selectNth(c, k); got != sorted[k] {
					t.Errorf("n=%d dups=%t k=%d: got %v, want %v", n, dups, k, got, sorted[k])
				}
			}
		}
	}
}

func TestCountClipped(t *testing.T) {
	s := []float32{0, 0.5, -0.5, 0.97, -0.97, 0.9699999, -0.9699999, 1, -1, 1.5, -1.5, float32(math.Inf(1)), float32(math.Inf(-1))}
	want := 0
	for _, v := range s {
		if v >= 0.97 || v <= -0.97 {
			want++
		}
	}
	if got := countClipped(s, 0.97); got != want {
		t.Errorf("countClipped = %d, want %d", got, want)
	}
}

func TestAudioSums(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	s := make([]float32, 2*1031)
	for i := range s {
		s[i] = float32(rng.Float64()*2 - 1)
	}
	shelf, hp := kWeighting(48000)
	for c := 0; c < 2; c++ {
		var want float64
		for i := c; i < len(s); i += 2 {
			want += float64(s[i]) * float64(s[i])
		}
		if got := sumSquares(s, c, 2); math.Abs(got-want) > 1e-9*want {
			t.Errorf("sumSquares channel %d = %v, want %v", c, got, want)
		}
	}
	// Stereo in one pass must equal each channel on its own, also across calls.
	var st0, st1, sl, sr [2]biquadState
	for _, part := range [][]float32{s[:100], s[100:1000], s[1000:]} {
		a, b := kSumSquares2(&shelf, &hp, &st0, &st1, part)
		l, r := kSumSquares(&shelf, &hp, &sl, part, 0, 2), kSumSquares(&shelf, &hp, &sr, part, 1, 2)
		if a != l || b != r {
			t.Errorf("kSumSquares2 = %v, %v; per channel %v, %v", a, b, l, r)
		}
	}
}
