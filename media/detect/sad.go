package detect

import "encoding/binary"

// Sums of absolute differences of bytes, eight at a time in a uint64 (SWAR): the
// freeze detector's inner loop, which compares every pixel of the working picture
// with two others per frame.

const (
	lanes8  = 0x0101010101010101
	high8   = 0x8080808080808080
	low16   = 0x00ff00ff00ff00ff
	maxRuns = 128 // words whose 16-bit lane sums cannot overflow (128 * 2 * 255 < 65536)
)

// absDiff8 returns the byte-wise absolute differences of the eight bytes of a and b.
func absDiff8(a, b uint64) uint64 {
	d := ((a | high8) - (b &^ high8)) ^ ((a ^ ^b) & high8) // a-b per byte, mod 256
	lt := ((^a & b) | (^(a ^ b) & d)) & high8              // high bit: a < b (borrow)
	m := (lt >> 7) * 0xff                                  // 0xff in those bytes
	return (d ^ m) + (m & lanes8)                          // negate them: b-a
}

// sum16 adds the eight bytes of x into four 16-bit lanes.
func sum16(x uint64) uint64 { return x&low16 + x>>8&low16 }

// lanes returns the sum of the four 16-bit lanes of s.
func lanes(s uint64) int {
	return int(s&0xffff + s>>16&0xffff + s>>32&0xffff + s>>48)
}

// sad2 returns the sums of absolute differences between c and p, and between c and
// r; p and r must be at least as long as c.
func sad2(c, p, r []byte) (sp, sr int) {
	p, r = p[:len(c)], r[:len(c)]
	i := 0
	for i+8 <= len(c) {
		var accP, accR uint64 // four 16-bit sums each
		end := min(len(c)&^7, i+8*maxRuns)
		for ; i < end; i += 8 {
			x := binary.LittleEndian.Uint64(c[i:])
			accP += sum16(absDiff8(x, binary.LittleEndian.Uint64(p[i:])))
			accR += sum16(absDiff8(x, binary.LittleEndian.Uint64(r[i:])))
		}
		sp, sr = sp+lanes(accP), sr+lanes(accR)
	}
	for ; i < len(c); i++ {
		a, b := int(c[i])-int(p[i]), int(c[i])-int(r[i])
		sp += max(a, -a)
		sr += max(b, -b)
	}
	return sp, sr
}
