package media

import (
	"errors"
	"fmt"
	"math"
	"unsafe"

	"github.com/asticode/go-astiav"
)

// errNoDecoder marks a stream whose codec this FFmpeg cannot decode; Open skips it.
var errNoDecoder = errors.New("no decoder")

// noPTS is FFmpeg's AV_NOPTS_VALUE.
const noPTS = math.MinInt64

// maxReceiveErrors bounds consecutive failed receive calls before the loop moves on.
const maxReceiveErrors = 8

// decoder is the state shared by the video and audio decoders of an input.
type decoder struct {
	stream int // streamVideo or streamAudio
	index  int // stream index in the container
	tb     float64
	cc     *astiav.CodecContext
	ccPtr  unsafe.Pointer
	frame  *astiav.Frame // receive target, empty between calls
	// info is allocated on its own: cgo checks the whole allocation a pointer
	// argument points into, and the decoder holds Go pointers.
	info *frameInfo

	// nominal is the nominal frame duration in seconds (video), 0 if unknown.
	nominal float64

	sent, received, dropped uint64
	lastRaw, lastDur        float64
	hasLast                 bool
	seq                     uint64
}

// openDecoder opens a decoder for st. opts are codec options; threads is the decoder
// thread count (0 = FFmpeg's auto, <0 = leave FFmpeg's default).
func openDecoder(st *astiav.Stream, stream int, token uintptr, threads int, opts map[string]string) (d *decoder, err error) {
	cp := st.CodecParameters()
	codec := astiav.FindDecoder(cp.CodecID())
	if codec == nil {
		return nil, fmt.Errorf("%s: %w", cp.CodecID().Name(), errNoDecoder)
	}
	d = &decoder{stream: stream, index: st.Index(), tb: st.TimeBase().Float64(), info: new(frameInfo)}
	if d.cc = astiav.AllocCodecContext(codec); d.cc == nil {
		return nil, fmt.Errorf("allocate decoder: out of memory")
	}
	defer func() {
		if err != nil {
			d.close()
		}
	}()
	if err := cp.ToCodecContext(d.cc); err != nil {
		return nil, fmt.Errorf("decoder parameters: %w", err)
	}
	d.ccPtr = codecContextPtr(d.cc)
	if err := checkCodecPtr(d.cc, d.ccPtr); err != nil {
		return nil, err
	}
	setupCodec(d.ccPtr, st.TimeBase(), token)
	if threads >= 0 {
		d.cc.SetThreadCount(threads)
	}
	dict := astiav.NewDictionary()
	defer dict.Free()
	for k, v := range opts {
		if err := dict.Set(k, v, 0); err != nil {
			return nil, fmt.Errorf("decoder option %s: %w", k, err)
		}
	}
	if err := d.cc.Open(codec, dict); err != nil {
		return nil, fmt.Errorf("open %s decoder: %w", codec.Name(), err)
	}
	if d.frame = astiav.AllocFrame(); d.frame == nil {
		return nil, fmt.Errorf("allocate frame: out of memory")
	}
	return d, nil
}

// timestamp returns the raw presentation time and duration of the received frame in
// seconds, extrapolating from the previous frame when the frame has no timestamp.
func (d *decoder) timestamp(dur float64) (raw, duration float64) {
	switch {
	case d.info.pts != noPTS:
		raw = float64(d.info.pts) * d.tb
	case d.hasLast:
		raw = d.lastRaw + d.lastDur
	}
	d.lastRaw, d.lastDur, d.hasLast = raw, dur, true
	return raw, dur
}

// updateDropped raises the drop count to what the decoder's lag proves: more packets
// in flight than its delay (reordering, frame threads) plus one can explain. exact is
// set after a drain, when nothing is in flight.
func (d *decoder) updateDropped(exact bool) bool {
	lag := int64(d.sent) - int64(d.received)
	if !exact {
		lag -= int64(decoderDelay(d.ccPtr)) + 1
	}
	if lag > int64(d.dropped) {
		d.dropped = uint64(lag)
		return true
	}
	return false
}

func (d *decoder) close() {
	if d == nil {
		return
	}
	if d.frame != nil {
		d.frame.Free()
		d.frame = nil
	}
	if d.cc != nil {
		d.cc.Free()
		d.cc = nil
	}
}
