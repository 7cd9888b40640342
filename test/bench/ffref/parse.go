package ffref

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"

	"github.com/vigil-monitor/vigil/test/bench/score"
)

var (
	reBlack        = regexp.MustCompile(`black_start:\s*(-?[0-9.e+-]+)\s+black_end:\s*(-?[0-9.e+-]+)`)
	reFreezeStart  = regexp.MustCompile(`freezedetect\.freeze_start:\s*(-?[0-9.e+-]+)`)
	reFreezeEnd    = regexp.MustCompile(`freezedetect\.freeze_end:\s*(-?[0-9.e+-]+)`)
	reSilenceStart = regexp.MustCompile(`silence_start:\s*(-?[0-9.e+-]+)`)
	reSilenceEnd   = regexp.MustCompile(`silence_end:\s*(-?[0-9.e+-]+)`)
)

// fromLog extracts the intervals blackdetect, freezedetect and silencedetect log. An
// interval still open at the end of the log ends at duration.
func (c Config) fromLog(log []string, duration float64) []score.Detection {
	var out []score.Detection
	num := func(s string) float64 { v, _ := strconv.ParseFloat(s, 64); return v }
	freeze, silence := math.NaN(), math.NaN()
	for _, line := range log {
		if m := reBlack.FindStringSubmatch(line); m != nil {
			out = append(out, score.Detection{Type: "black", Start: num(m[1]), End: num(m[2])})
		}
		if m := reFreezeStart.FindStringSubmatch(line); m != nil {
			freeze = num(m[1])
		}
		if m := reFreezeEnd.FindStringSubmatch(line); m != nil && !math.IsNaN(freeze) {
			out = append(out, score.Detection{Type: "freeze", Start: freeze, End: num(m[1])})
			freeze = math.NaN()
		}
		if m := reSilenceStart.FindStringSubmatch(line); m != nil {
			silence = num(m[1])
		}
		if m := reSilenceEnd.FindStringSubmatch(line); m != nil && !math.IsNaN(silence) {
			out = append(out, score.Detection{Type: "silence", Start: silence, End: num(m[1])})
			silence = math.NaN()
		}
	}
	if !math.IsNaN(freeze) {
		out = append(out, score.Detection{Type: "freeze", Start: freeze, End: duration})
	}
	if !math.IsNaN(silence) {
		out = append(out, score.Detection{Type: "silence", Start: silence, End: duration})
	}
	return out
}

// parseMeta reads the output of the metadata/ametadata filters in print mode:
//
//	frame:12   pts:12      pts_time:0.48
//	lavfi.block=3.4
//
// Only the keys Raw keeps are returned.
func parseMeta(r io.Reader) ([]Sample, error) {
	var out []Sample
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "frame:") {
			i := strings.Index(line, "pts_time:")
			if i < 0 {
				return nil, fmt.Errorf("metadata: no pts_time in %q", line)
			}
			t, err := strconv.ParseFloat(strings.TrimSpace(line[i+len("pts_time:"):]), 64)
			if err != nil {
				return nil, fmt.Errorf("metadata: bad pts_time in %q", line)
			}
			out = append(out, Sample{T: t, Vals: map[string]float64{}})
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok || len(out) == 0 || !keep[k] {
			continue
		}
		if f, err := strconv.ParseFloat(v, 64); err == nil {
			out[len(out)-1].Vals[k] = f
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("metadata: %w", err)
	}
	return out, nil
}

// fromSeries thresholds the per-frame block and blur scores and the short-term
// loudness into intervals.
func (c Config) fromSeries(video, audio []Sample) []score.Detection {
	var out []score.Detection
	out = append(out, c.blocky(video)...)
	out = append(out, c.blurred(video)...)
	out = append(out, runs(audio, "loudness", c.LoudMin, 0.2, func(s Sample) (bool, bool) {
		v, ok := s.Vals["lavfi.r128.S"]
		// The short-term window is full after 3 s; before that the filter says -120.7.
		if !ok || s.T < 3 {
			return false, false
		}
		return v < c.LoudLow || v > c.LoudHigh, true
	})...)
	return out
}

func (c Config) blocky(video []Sample) []score.Detection {
	return runs(video, "blockiness", c.BlockMin, c.BlockHold, func(s Sample) (bool, bool) {
		v, ok := s.Vals["lavfi.block"]
		return ok && v > c.Block, ok
	})
}

func (c Config) blurred(video []Sample) []score.Detection {
	return runs(video, "blur", c.BlurMin, c.BlurHold, func(s Sample) (bool, bool) {
		v, ok := s.Vals["lavfi.blur"]
		return ok && v > c.Blur, ok
	})
}

// runs turns a series into intervals of type typ where bad holds for at least min
// seconds, bridging gaps of at most hold seconds. bad's second result is false for
// samples that carry no value (they neither start nor break a run).
func runs(series []Sample, typ string, min, hold float64, bad func(Sample) (bool, bool)) []score.Detection {
	var out []score.Detection
	step := 0.0
	if len(series) > 1 {
		step = (series[len(series)-1].T - series[0].T) / float64(len(series)-1)
	}
	open := false
	var start, last float64
	flush := func() {
		if open && last+step-start >= min {
			out = append(out, score.Detection{Type: typ, Start: start, End: last + step})
		}
		open = false
	}
	for _, s := range series {
		b, ok := bad(s)
		if !ok {
			continue
		}
		switch {
		case b && open && s.T-last <= hold+step:
			last = s.T
		case b:
			flush()
			open, start, last = true, s.T, s.T
		case open && s.T-last > hold:
			flush()
		}
	}
	flush()
	return out
}
