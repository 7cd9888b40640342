package synth

import (
	"math/rand/v2"
)

// damage corrupts the slice data of one encoded video packet in place, the way a
// transmission error would: within each coded slice it leaves the first bytes (the
// slice header) intact, so the decoder starts decoding the slice and must conceal
// what follows, and flips a burst of bytes further on. It never creates a start
// code, so the packet's structure (NAL units, MPEG-2 start codes) survives and only
// the entropy-coded data is wrong. It returns the number of bytes changed.
//
// codec is Spec.Codec; the encoders produce Annex B byte streams (H.264, HEVC) or
// MPEG-2 elementary stream data, both split by 00 00 01 start codes.
func damage(p []byte, codec string, rng *rand.Rand) int {
	changed := 0
	units := startCodes(p)
	for i, start := range units {
		end := len(p)
		if i+1 < len(units) {
			end = units[i+1] - 3
		}
		if start >= len(p) || !isSlice(p[start], codec) {
			continue
		}
		size := end - start
		skip := 8 + size/10
		if size-skip < 16 {
			continue
		}
		// A burst in the middle third of the slice's remaining data.
		lo := start + skip + (size-skip)/3
		hi := min(end, lo+max(4, (size-skip)/8))
		for j := lo; j < hi; j++ {
			p[j] ^= byte(1 + rng.IntN(255))
		}
		breakStartCodes(p[lo-2 : min(end, hi+2)])
		changed += hi - lo
	}
	return changed
}

// startCodes returns the offset just after every 00 00 01 start code in p.
func startCodes(p []byte) []int {
	var out []int
	for i := 2; i < len(p); i++ {
		if p[i] == 1 && p[i-1] == 0 && p[i-2] == 0 {
			out = append(out, i+1)
		}
	}
	return out
}

// isSlice reports whether the unit whose first byte (after the start code) is b
// carries coded picture data.
func isSlice(b byte, codec string) bool {
	switch codec {
	case "h264":
		t := b & 0x1f
		return t == 1 || t == 5
	case "hevc":
		return (b>>1)&0x3f < 32
	case "mpeg2":
		return b >= 0x01 && b <= 0xaf
	}
	return false
}

// breakStartCodes rewrites any 00 00 0x (x <= 3) sequence in p, which damage may have
// created, so that no start code or emulation-prevention pattern appears in it.
func breakStartCodes(p []byte) {
	for i := 2; i < len(p); i++ {
		if p[i-2] == 0 && p[i-1] == 0 && p[i] <= 3 {
			p[i-1] = 0x80
		}
	}
}
