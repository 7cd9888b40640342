package score

import (
	"fmt"
	"sort"
	"strings"
)

// Tool is one tool's result and the rows it has a detector for.
type Tool struct {
	Name   string
	Result Result
	// Covers lists the rows the tool can report; nil means every row.
	Covers map[string]bool
}

func (t Tool) covers(row string) bool { return t.Covers == nil || t.Covers[row] }

// Table renders the per-row comparison of tools as a markdown table.
func Table(tools []Tool) string {
	var b strings.Builder
	b.WriteString("| defect | truths |")
	for _, t := range tools {
		fmt.Fprintf(&b, " %s recall | %s precision | %s start error (median / max) |", t.Name, t.Name, t.Name)
	}
	b.WriteString("\n|---|---:|")
	for range tools {
		b.WriteString("---:|---:|---:|")
	}
	b.WriteString("\n")
	for _, r := range Rows {
		truths, dets := 0, 0
		for _, t := range tools {
			st := t.Result.Stats[r.Name]
			truths = st.Truths
			dets += st.Detections
		}
		if truths == 0 && dets == 0 {
			continue
		}
		fmt.Fprintf(&b, "| %s | %d |", r.Name, truths)
		for _, t := range tools {
			if !t.covers(r.Name) {
				b.WriteString(" no detector | | |")
				continue
			}
			st := t.Result.Stats[r.Name]
			fmt.Fprintf(&b, " %s | %s | %s |", recall(st), precision(st), startError(st))
		}
		b.WriteString("\n")
	}
	return b.String()
}

func recall(st *Stat) string {
	v, ok := st.Recall()
	if !ok {
		return "—"
	}
	return fmt.Sprintf("%.2f (%d/%d)", v, st.Found, st.Truths)
}

func precision(st *Stat) string {
	v, ok := st.Precision()
	if !ok {
		return "— (0 reported)"
	}
	return fmt.Sprintf("%.2f (%d/%d)", v, st.Correct, st.Detections-st.Ignored)
}

func startError(st *Stat) string {
	med, ok := st.MedianStartError()
	if !ok {
		return "—"
	}
	mx, _ := st.MaxStartError()
	return fmt.Sprintf("%.2f / %.2f s", med, mx)
}

// Details lists, per tool, the misses, the false alarms and the late detections, at
// most limit lines each.
func Details(tools []Tool, limit int) string {
	var b strings.Builder
	for _, t := range tools {
		res := t.Result
		var miss, fa, late []string
		for _, m := range res.Misses {
			if t.covers(rowOf(m.Truth.Type)) {
				miss = append(miss, fmt.Sprintf("%s: %s %.2f–%.2f s (%s)", m.Clip, m.Truth.Type, m.Truth.Start, m.Truth.End, m.Truth.Cause))
			}
		}
		for _, f := range res.FalseAlarms {
			trap := ""
			if f.Trap != "" {
				trap = " — trap: " + f.Trap
			}
			fa = append(fa, fmt.Sprintf("%s: %s %.2f–%.2f s%s", f.Clip, f.Type, f.Start, f.End, trap))
		}
		for _, l := range res.Late {
			late = append(late, fmt.Sprintf("%s: %s at %.2f s, %.2f s off", l.Clip, l.Truth.Type, l.Truth.Start, l.Error))
		}
		fmt.Fprintf(&b, "**%s** — %d missed, %d false alarms, %d found more than %.1f s off.\n\n", t.Name, len(miss), len(fa), len(late), LateAfter)
		list(&b, "Missed", miss, limit)
		list(&b, "False alarms", fa, limit)
		list(&b, fmt.Sprintf("Start more than %.1f s off", LateAfter), late, limit)
	}
	return b.String()
}

func list(b *strings.Builder, title string, lines []string, limit int) {
	if len(lines) == 0 {
		return
	}
	sort.Strings(lines)
	fmt.Fprintf(b, "%s:\n\n", title)
	for i, l := range lines {
		if i == limit {
			fmt.Fprintf(b, "- … and %d more\n", len(lines)-limit)
			break
		}
		fmt.Fprintf(b, "- %s\n", l)
	}
	b.WriteString("\n")
}
