package cpucost

import (
	"bufio"
	"io"
	"strconv"
	"strings"
)

// GoBench is one line of `go test -bench` output.
type GoBench struct {
	// Name is the benchmark name without the "Benchmark" prefix and the -GOMAXPROCS
	// suffix, e.g. "Detectors/black".
	Name string
	// N is the iteration count.
	N int
	// Metrics maps a unit ("ns/op", "allocs/op", "ns/frame" …) to its value.
	Metrics map[string]float64
}

// ParseGoBench reads `go test -bench` output and returns its benchmark lines.
func ParseGoBench(r io.Reader) []GoBench {
	var out []GoBench
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		n, err := strconv.Atoi(f[1])
		if err != nil {
			continue
		}
		name := strings.TrimPrefix(f[0], "Benchmark")
		if i := strings.LastIndexByte(name, '-'); i > 0 {
			if _, err := strconv.Atoi(name[i+1:]); err == nil {
				name = name[:i]
			}
		}
		g := GoBench{Name: name, N: n, Metrics: map[string]float64{}}
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				break
			}
			g.Metrics[f[i+1]] = v
		}
		out = append(out, g)
	}
	return out
}
