package score

import (
	"strings"
	"testing"

	"github.com/vigil-monitor/vigil/test/bench/corpus"
)

func item(name string, truths []corpus.Truth, traps ...corpus.Trap) corpus.Item {
	return corpus.Item{Name: name, Truths: truths, Traps: traps}
}

func TestScore(t *testing.T) {
	black := corpus.Truth{Type: "black", Start: 3, End: 6}
	corrupt := corpus.Truth{Type: "decode_error", Alternatives: []string{"blockiness"}, Start: 5, End: 6}
	optional := corpus.Truth{Type: "loudness", Start: 2, End: 4, Optional: true}
	tests := []struct {
		name     string
		items    []corpus.Item
		dets     []Detection
		row      string
		want     Stat
		falseAls int
		trap     string
	}{
		{"found", []corpus.Item{item("a", []corpus.Truth{black})},
			[]Detection{{Clip: "a", Type: "black", Start: 3.2, End: 6}}, "black",
			Stat{Truths: 1, Found: 1, Detections: 1, Correct: 1, StartErrors: []float64{0.2}}, 0, ""},
		{"earliest match gives the start error", []corpus.Item{item("a", []corpus.Truth{black})},
			[]Detection{{Clip: "a", Type: "black", Start: 4, End: 5}, {Clip: "a", Type: "black", Start: 2.5, End: 3.5}}, "black",
			Stat{Truths: 1, Found: 1, Detections: 2, Correct: 2, StartErrors: []float64{0.5}}, 0, ""},
		{"no overlap is a miss and a false alarm", []corpus.Item{item("a", []corpus.Truth{black})},
			[]Detection{{Clip: "a", Type: "black", Start: 7, End: 9}}, "black",
			Stat{Truths: 1, Detections: 1}, 1, ""},
		{"wrong type does not match", []corpus.Item{item("a", []corpus.Truth{black})},
			[]Detection{{Clip: "a", Type: "freeze", Start: 3, End: 6}}, "black",
			Stat{Truths: 1}, 1, ""},
		{"other clip does not match", []corpus.Item{item("a", []corpus.Truth{black}), item("b", nil)},
			[]Detection{{Clip: "b", Type: "black", Start: 3, End: 6}}, "black",
			Stat{Truths: 1, Detections: 1}, 1, ""},
		{"alternative type matches", []corpus.Item{item("a", []corpus.Truth{corrupt})},
			[]Detection{{Clip: "a", Type: "blockiness", Start: 5.1, End: 5.4}}, "corruption",
			Stat{Truths: 1, Found: 1, Detections: 1, Correct: 1, StartErrors: []float64{0.1}}, 0, ""},
		{"instant detection inside the window", []corpus.Item{item("a", []corpus.Truth{corrupt})},
			[]Detection{{Clip: "a", Type: "decode_error", Start: 5.5, End: 5.5}}, "corruption",
			Stat{Truths: 1, Found: 1, Detections: 1, Correct: 1, StartErrors: []float64{0.5}}, 0, ""},
		{"optional window is ignored", []corpus.Item{item("a", []corpus.Truth{optional})},
			[]Detection{{Clip: "a", Type: "loudness", Start: 2, End: 5}}, "loudness",
			Stat{Detections: 1, Ignored: 1}, 0, ""},
		{"false alarm names its trap", []corpus.Item{item("a", nil, corpus.Trap{What: "dark scene", End: 10})},
			[]Detection{{Clip: "a", Type: "black", Start: 1, End: 4}}, "black",
			Stat{Detections: 1}, 1, "dark scene"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := Score(tt.items, tt.dets)
			got := *res.Stats[tt.row]
			if got.Truths != tt.want.Truths || got.Found != tt.want.Found || got.Detections != tt.want.Detections ||
				got.Correct != tt.want.Correct || got.Ignored != tt.want.Ignored || !near(got.StartErrors, tt.want.StartErrors) {
				t.Errorf("stat = %+v, want %+v", got, tt.want)
			}
			if len(res.FalseAlarms) != tt.falseAls {
				t.Fatalf("false alarms %+v, want %d", res.FalseAlarms, tt.falseAls)
			}
			if tt.trap != "" && res.FalseAlarms[0].Trap != tt.trap {
				t.Errorf("trap %q, want %q", res.FalseAlarms[0].Trap, tt.trap)
			}
		})
	}
}

func near(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if abs(a[i]-b[i]) > 1e-9 {
			return false
		}
	}
	return true
}

func TestStatSummaries(t *testing.T) {
	st := Stat{Truths: 4, Found: 3, Detections: 5, Correct: 3, Ignored: 1, StartErrors: []float64{0.1, 0.2, 0.9}}
	if r, _ := st.Recall(); r != 0.75 {
		t.Errorf("recall %v", r)
	}
	if p, _ := st.Precision(); p != 0.75 {
		t.Errorf("precision %v", p)
	}
	if m, _ := st.MedianStartError(); m != 0.2 {
		t.Errorf("median %v", m)
	}
	if _, ok := (&Stat{}).Precision(); ok {
		t.Error("precision of nothing reported")
	}
}

func TestTable(t *testing.T) {
	items := []corpus.Item{item("a", []corpus.Truth{{Type: "clipping", Start: 1, End: 2}})}
	res := Score(items, []Detection{{Clip: "a", Type: "clipping", Start: 1, End: 2}})
	out := Table([]Tool{{Name: "vigil", Result: res}, {Name: "FFmpeg", Result: Score(items, nil), Covers: map[string]bool{"black": true}}})
	for _, want := range []string{"| clipping | 1 | 1.00 (1/1) | 1.00 (1/1) | 0.00 / 0.00 s | no detector |"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "| black |") {
		t.Errorf("table has a row nobody has anything for:\n%s", out)
	}
}

func TestDiff(t *testing.T) {
	a := []Detection{{Clip: "x", Type: "black", Start: 1}, {Clip: "x", Type: "freeze", Start: 5}}
	b := []Detection{{Clip: "x", Type: "black", Start: 1.05}, {Clip: "x", Type: "freeze", Start: 5.5}}
	onlyA, onlyB := Diff(a, b, 0.1)
	if len(onlyA) != 1 || onlyA[0].Type != "freeze" || len(onlyB) != 1 || onlyB[0].Start != 5.5 {
		t.Errorf("Diff = %+v, %+v", onlyA, onlyB)
	}
}

func TestParseVigil(t *testing.T) {
	in := `{"stream":"/c/a.ts","type":"black","start":3.02,"end":6.02,"score":0.9,"severity":"error"}
{"stream":"/c/a.ts","type":"freeze","start":7,"score":0.5,"severity":"warning"}
`
	dets, err := ParseVigil(strings.NewReader(in), map[string]string{"/c/a.ts": "a"})
	if err != nil {
		t.Fatal(err)
	}
	if len(dets) != 2 || dets[0] != (Detection{Clip: "a", Type: "black", Start: 3.02, End: 6.02}) || dets[1].End != 7 {
		t.Errorf("dets = %+v", dets)
	}
	if _, err := ParseVigil(strings.NewReader(in), map[string]string{}); err == nil {
		t.Error("unknown stream accepted")
	}
}
