package placement

// hashString is 64-bit FNV-1a over s: fast, stable across processes and versions,
// and good enough as input to mix (not on its own: FNV's low bits are weak).
func hashString(s string) uint64 {
	const (
		offset = 14695981039346656037
		prime  = 1099511628211
	)
	h := uint64(offset)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= prime
	}
	return h
}

// mix is the splitmix64 finalizer: a bijection on 64-bit words whose every output
// bit depends on every input bit.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// pairHash hashes a (node, stream) pair from the two strings' own hashes. Mixing the
// stream hash before combining keeps the scores of one stream across nodes (and of
// one node across streams) independent.
func pairHash(node, stream uint64) uint64 {
	return mix(node ^ mix(stream+0x9e3779b97f4a7c15))
}

// unit maps h to a float in (0, 1), never 0 or 1, from its top 53 bits.
func unit(h uint64) float64 {
	return (float64(h>>11) + 0.5) / (1 << 53)
}
