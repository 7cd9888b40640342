package detect

import "fmt"

// EpisodeConfig is the timing every detector shares: how long a condition must hold
// before it counts as a defect, and how long it must stay clear before the defect ends.
type EpisodeConfig struct {
	// MinDuration is how long, in seconds of media time, the condition must hold
	// before a defect starts. Shorter episodes are never reported.
	MinDuration float64
	// EndHold is how long, in seconds, the condition must stay clear before an open
	// defect ends. It bridges single good frames inside a defect; the defect's End is
	// the time the condition first cleared, not that time plus EndHold. A candidate
	// episode that has not yet lasted MinDuration is also kept through gaps shorter
	// than EndHold.
	EndHold float64
}

// episode turns a per-frame condition into defect start and end events with
// hysteresis: a defect starts once the condition has held for MinDuration (its Start is
// the first time it held), ends once it has been clear for EndHold (its End is the
// first time it was clear), and carries the peak score seen in between.
type episode struct {
	typ      Type
	severity Severity
	cfg      EpisodeConfig

	active     bool    // condition held recently: a candidate or an open defect
	open       bool    // start event emitted
	start      float64 // first time the condition held
	clearing   bool    // condition currently clear while active
	clearSince float64 // first time it was clear
	peak       float64 // peak score since start
	value      float64 // measured value at the peak
	detailf    string  // fmt format of Event.Detail, given the value at the peak
}

// newEpisode returns an idle episode. detailf formats Event.Detail from the value at
// the peak (for example "mean luma %.1f"); it is only formatted when an event is
// emitted, so steady-state steps do not allocate.
func newEpisode(typ Type, sev Severity, cfg EpisodeConfig, detailf string) episode {
	return episode{typ: typ, severity: sev, cfg: cfg, detailf: detailf}
}

// step feeds the condition observed at media time t. When the condition holds, score
// (clamped to [0, 1]) and value describe how strong it is.
func (e *episode) step(t float64, cond bool, score, value float64, emit Emit) {
	e.stepFrom(t, t, cond, score, value, emit)
}

// stepFrom is step for detectors that know the condition began before they could see
// it (a freeze found by looking back, a loudness change inside a sliding window):
// from is used as the start when this step begins a new episode.
func (e *episode) stepFrom(t, from float64, cond bool, score, value float64, emit Emit) {
	if !cond {
		if !e.active {
			return
		}
		if !e.clearing {
			e.clearing, e.clearSince = true, t
		}
		if t-e.clearSince >= e.cfg.EndHold {
			e.finish(e.clearSince, emit)
		}
		return
	}
	score = clamp01(score)
	if !e.active {
		if from > t {
			from = t
		}
		e.active, e.open, e.start = true, false, from
		e.peak, e.value = score, value
	}
	e.clearing = false
	if score > e.peak {
		e.peak, e.value = score, value
	}
	if !e.open && t-e.start >= e.cfg.MinDuration {
		e.open = true
		emit(e.event(false, 0))
	}
}

// finish ends the episode at media time end, emitting an end event if a defect is open.
func (e *episode) finish(end float64, emit Emit) {
	if e.open {
		if end < e.start {
			end = e.start
		}
		emit(e.event(true, end))
	}
	e.active, e.open, e.clearing = false, false, false
	e.peak, e.value = 0, 0
}

// close ends whatever is open at media time at (end of input or stream stop).
func (e *episode) close(at float64, emit Emit) {
	end := at
	if e.clearing && e.clearSince < at {
		end = e.clearSince
	}
	e.finish(end, emit)
}

// isOpen reports whether a defect has been reported and not yet ended.
func (e *episode) isOpen() bool { return e.open }

func (e *episode) event(ended bool, end float64) Event {
	return Event{
		Type:     e.typ,
		Ended:    ended,
		Start:    e.start,
		End:      end,
		Score:    e.peak,
		Severity: e.severity,
		Value:    e.value,
		Detail:   fmt.Sprintf(e.detailf, e.value),
	}
}

func clamp01(x float64) float64 {
	switch {
	case x > 1:
		return 1
	case x >= 0:
		return x
	default: // negative or NaN
		return 0
	}
}
