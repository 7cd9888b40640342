package media

import "math"

// A timestamp jump forward by more than discontinuityJump, or backward by more than
// backwardJump (frames leave the decoder in presentation order), is a discontinuity (a live source restarting its clock, spliced
// files) rather than a gap in the signal. Forward gaps below it are real gaps.
const (
	discontinuityJump = 10.0
	backwardJump      = 0.5
)

// Stream indexes of the timeline.
const (
	streamVideo = 0
	streamAudio = 1
)

// timeline maps the decoders' raw timestamps (seconds in each stream's own clock) to
// continuous media time: seconds from the first decoded frame of the input.
//
// A discontinuity in one stream starts a new epoch whose offset
// places that frame right after the last media time delivered; the other stream joins
// the new epoch when it sees the same jump, so both streams share one offset and their
// relative timing (which an A/V sync detector measures) is kept. A loop restart starts
// an epoch for both streams at once. The timeline is pure: no clock, no I/O.
type timeline struct {
	base            float64 // media time of the first frame (Config.StartAt)
	started         bool
	origin          float64
	cur, prev       epoch
	streams         [2]streamTime
	end             float64 // greatest media end time so far
	restartPending  bool
	discontinuities uint64
}

type epoch struct {
	id     uint64
	offset float64
}

type streamTime struct {
	seen    bool
	epoch   uint64
	lastRaw float64
}

// media returns the media time of a frame of stream with raw timestamp raw (seconds)
// and duration dur (seconds, 0 if unknown).
func (t *timeline) media(stream int, raw, dur float64) float64 {
	if !t.started {
		t.started, t.origin = true, raw
	}
	if t.restartPending {
		t.restartPending = false
		t.newEpoch(raw)
	}
	s := &t.streams[stream]
	switch {
	case !s.seen:
		s.epoch = t.cur.id
	case raw-s.lastRaw > discontinuityJump || s.lastRaw-raw > backwardJump:
		if s.epoch != t.cur.id && math.Abs(raw-t.origin+t.cur.offset-t.end) <= discontinuityJump {
			s.epoch = t.cur.id // the other stream saw this jump first
		} else {
			t.newEpoch(raw)
			t.discontinuities++
			s.epoch = t.cur.id
		}
	}
	s.seen, s.lastRaw = true, raw
	m := raw - t.origin + t.offset(s.epoch)
	if e := m + dur; e > t.end {
		t.end = e
	}
	return m + t.base
}

// restart prepares for the input starting again from its beginning (a loop): the next
// frame of any stream continues right after the last media time delivered.
func (t *timeline) restart() {
	if !t.started {
		return
	}
	t.restartPending = true
	for i := range t.streams {
		t.streams[i].seen = false
	}
}

// now returns the greatest media time delivered so far (end of the latest frame).
func (t *timeline) now() float64 { return t.end + t.base }

func (t *timeline) newEpoch(raw float64) {
	t.prev = t.cur
	t.cur = epoch{id: t.cur.id + 1, offset: t.end - (raw - t.origin)}
}

func (t *timeline) offset(id uint64) float64 {
	if id == t.cur.id {
		return t.cur.offset
	}
	return t.prev.offset
}
