package score

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
)

// vigilDefect is the part of vigil's JSON Lines output (`vigil scan --json`) scoring
// needs; see DESIGN.md for the contract.
type vigilDefect struct {
	Stream string   `json:"stream"`
	Type   string   `json:"type"`
	Start  float64  `json:"start"`
	End    *float64 `json:"end"`
}

// ParseVigil reads `vigil scan --json` output. names maps the stream field (the input
// as given on the command line) to a clip name; defects of other streams are an error.
func ParseVigil(r io.Reader, names map[string]string) ([]Detection, error) {
	var out []Detection
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		line := sc.Bytes()
		if len(line) == 0 {
			continue
		}
		var d vigilDefect
		if err := json.Unmarshal(line, &d); err != nil {
			return nil, fmt.Errorf("vigil output: %w: %q", err, line)
		}
		name, ok := names[d.Stream]
		if !ok {
			return nil, fmt.Errorf("vigil output: unknown stream %q", d.Stream)
		}
		end := d.Start
		if d.End != nil {
			end = *d.End
		}
		out = append(out, Detection{Clip: name, Type: d.Type, Start: d.Start, End: end})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("vigil output: %w", err)
	}
	return out, nil
}
