package ffref

import (
	"sort"

	"github.com/vigil-monitor/vigil/test/bench/corpus"
	"github.com/vigil-monitor/vigil/test/bench/score"
)

// Tuned is a threshold Tune chose and the score it reached.
type Tuned struct {
	// Filter is "blockdetect" or "blurdetect"; Row the score row it was tuned for.
	Filter, Row string
	// Threshold is the chosen score threshold.
	Threshold float64
	// Candidates is how many thresholds were tried.
	Candidates int
	// F1, Recall and Precision are reached on the corpus with Threshold.
	F1, Recall, Precision float64
}

// Tune sets cfg.Block and cfg.Blur to the thresholds that give FFmpeg's filters
// their best F1 score on items — an oracle choice: the filters get the threshold
// that suits this very corpus best, which no script could know in advance. raws maps
// clip names to what the filters said.
func Tune(cfg Config, items []corpus.Item, raws map[string]Raw) (Config, []Tuned) {
	block := tune(items, raws, "lavfi.block", "corruption", func(th float64, video []Sample) []score.Detection {
		c := cfg
		c.Block = th
		return c.blocky(video)
	})
	block.Filter = "blockdetect"
	cfg.Block = block.Threshold
	blur := tune(items, raws, "lavfi.blur", "blur", func(th float64, video []Sample) []score.Detection {
		c := cfg
		c.Blur = th
		return c.blurred(video)
	})
	blur.Filter = "blurdetect"
	cfg.Blur = blur.Threshold
	return cfg, []Tuned{block, blur}
}

// maxCandidates bounds the thresholds tried per filter.
const maxCandidates = 300

func tune(items []corpus.Item, raws map[string]Raw, key, row string, detect func(float64, []Sample) []score.Detection) Tuned {
	var vals []float64
	for _, it := range items {
		for _, s := range raws[it.Name].Video {
			if v, ok := s.Vals[key]; ok {
				vals = append(vals, v)
			}
		}
	}
	best := Tuned{Row: row}
	if len(vals) == 0 {
		return best
	}
	sort.Float64s(vals)
	var cands []float64
	for i := 0; i < maxCandidates; i++ {
		v := vals[i*(len(vals)-1)/(maxCandidates-1)]
		if len(cands) == 0 || v != cands[len(cands)-1] {
			cands = append(cands, v)
		}
	}
	best.Threshold = vals[len(vals)-1] // nothing above it: no detections
	best.Candidates = len(cands)
	for _, th := range cands {
		var dets []score.Detection
		for _, it := range items {
			for _, d := range detect(th, raws[it.Name].Video) {
				d.Clip = it.Name
				dets = append(dets, d)
			}
		}
		st := score.Score(items, dets).Stats[row]
		r, _ := st.Recall()
		p, _ := st.Precision()
		f1 := 0.0
		if r+p > 0 {
			f1 = 2 * r * p / (r + p)
		}
		// Ties go to the higher threshold (fewer alarms): candidates rise.
		if f1 >= best.F1 && f1 > 0 {
			best.Threshold, best.F1, best.Recall, best.Precision = th, f1, r, p
		}
	}
	return best
}
