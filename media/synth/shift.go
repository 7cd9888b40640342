package synth

import "math"

// An av_offset window moves audio and video time stamps apart and back together
// without ever stepping either back (muxers refuse non-monotonic time stamps):
//
//   - offset d > 0 (audio late): from Start on, audio packets are stamped d later;
//     from the first key frame at or after End, video packets are too. In between,
//     audio plays d late; afterwards both run d ahead of the clock, in sync.
//   - offset d < 0 (audio early): from the first key frame at or after Start, video
//     packets are stamped |d| later; from End on, audio packets are too.
//
// Video moves only at key frames so that no group of pictures is split (B-frames
// keep their display order). Each window thus adds |d| to the media time of
// everything after it, which Truths accounts for.

// shiftOf returns how many seconds im moves the time stamps of one stream (video or
// audio) at generator time t; keyEvery is the key frame interval in seconds.
func shiftOf(im Impairment, video bool, t, keyEvery float64, width int) float64 {
	if im.Kind != AVOffset {
		return 0
	}
	d := im.param(width)
	at := im.Start // where this stream's time stamps jump
	if (d > 0) == video {
		at = im.End
	}
	if video {
		at = nextKey(at, keyEvery)
	}
	if t >= at {
		return math.Abs(d)
	}
	return 0
}

// nextKey returns the first key frame time at or after t.
func nextKey(t, keyEvery float64) float64 {
	return math.Ceil(t/keyEvery-1e-9) * keyEvery
}

// offWindow returns the generator-time window over which im keeps audio and video
// apart: from the first stream's jump to the second's.
func offWindow(im Impairment, keyEvery float64, width int) (from, to float64) {
	if im.param(width) > 0 {
		return im.Start, nextKey(im.End, keyEvery)
	}
	return nextKey(im.Start, keyEvery), im.End
}
