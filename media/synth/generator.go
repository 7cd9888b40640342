package synth

import (
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"

	"github.com/asticode/go-astiav"
)

// plan says which impairments apply when: a fixed list for a clip, a rolling schedule
// for a live channel.
type plan interface {
	// overlapping appends to dst the impairments whose windows overlap [from, to).
	overlapping(dst []Impairment, from, to float64) []Impairment
	// shift returns how many seconds later than generator time t the packets of one
	// stream are stamped, summed over every av_offset window so far (see shiftOf).
	shift(video bool, t float64) float64
}

// list is the plan of a clip: Spec.Impairments, sorted by Start.
type list struct {
	ims      []Impairment
	keyEvery float64
	width    int
}

func newList(s Spec) list {
	return list{ims: s.Impairments, keyEvery: float64(s.GOP) / float64(s.FPS), width: s.Width}
}

func (l list) overlapping(dst []Impairment, from, to float64) []Impairment {
	for _, im := range l.ims {
		if im.Start < to && im.End > from {
			dst = append(dst, im)
		}
	}
	return dst
}

func (l list) shift(video bool, t float64) float64 {
	sum := 0.0
	for _, im := range l.ims {
		sum += shiftOf(im, video, t, l.keyEvery, l.width)
	}
	return sum
}

// generator paints, impairs, encodes and muxes one stream, frame by frame. It is used
// by one goroutine.
type generator struct {
	s       Spec
	plan    plan
	painter *painter
	blur    blurrer
	frozen  planes  // the picture a freeze repeats
	frozeAt float64 // Start of the freeze frozen holds; NaN when none
	sound   *sound
	abuf    [][]float32
	aplanes [][]byte
	rng     *rand.Rand // corruption choices and residual noise
	video   *encoder
	audio   *encoder
	mux     *muxer
	q       interleaver
	ims     []Impairment // scratch for plan lookups
	vshift  float64      // current video time stamp shift, changed at key frames
	frame   int64        // index of the next video frame
	sample  int64        // index of the next audio sample
}

// newGenerator sets up encoders and muxer for s (defaults applied, validated) over w.
func newGenerator(s Spec, p plan, w io.Writer, seekable, live bool) (g *generator, err error) {
	g = &generator{
		s: s, plan: p, painter: newPainter(s), sound: newSound(s), frozeAt: math.NaN(),
		rng: rand.New(rand.NewPCG(uint64(s.Seed), 0xc0ffee)),
	}
	defer func() {
		if err != nil {
			g.close()
			g = nil
		}
	}()
	if g.mux, err = newMuxer(s.Format, w, seekable); err != nil {
		return g, err
	}
	g.mux.flushEach = live
	gh := g.mux.globalHeader()
	if g.video, err = newVideoEncoder(s, gh, live || s.LowLatency); err != nil {
		return g, err
	}
	if g.audio, err = newAudioEncoder(s, gh); err != nil {
		return g, err
	}
	if err = g.mux.addStream(g.video); err != nil {
		return g, err
	}
	if err = g.mux.addStream(g.audio); err != nil {
		return g, err
	}
	if err = g.mux.writeHeader(s.Format, seekable); err != nil {
		return g, err
	}
	n := g.audio.cc.FrameSize()
	g.abuf = make([][]float32, s.Channels)
	for c := range g.abuf {
		g.abuf[c] = make([]float32, n)
	}
	return g, nil
}

// close frees everything; it does not finish the container.
func (g *generator) close() {
	g.q.drop()
	if g.mux != nil {
		g.mux.close()
	}
	if g.video != nil {
		g.video.close()
	}
	if g.audio != nil {
		g.audio.close()
	}
}

// step makes video frame g.frame and the audio up to the end of that frame.
func (g *generator) step() error {
	fps := float64(g.s.FPS)
	t := float64(g.frame) / fps
	if err := g.picture(t); err != nil {
		return err
	}
	g.video.frame.SetPts(g.frame)
	if err := g.encode(g.video, g.video.frame); err != nil {
		return err
	}
	g.frame++
	// Audio up to the end of this frame, in whole encoder frames.
	until := g.frame * int64(g.s.SampleRate) / int64(g.s.FPS)
	for g.sample < until {
		if err := g.soundFrame(); err != nil {
			return err
		}
	}
	return g.drain(false)
}

// finish flushes the encoders and the interleaver and writes the trailer.
func (g *generator) finish() error {
	if err := g.encode(g.video, nil); err != nil {
		return err
	}
	if err := g.encode(g.audio, nil); err != nil {
		return err
	}
	if err := g.drain(true); err != nil {
		return err
	}
	return g.mux.finish()
}

// picture paints the picture at media time t into the video frame and applies the
// picture impairment active at t, if any.
func (g *generator) picture(t float64) error {
	pl, err := videoPlanes(g.video.frame, g.s.Height)
	if err != nil {
		return err
	}
	var im *Impairment
	g.ims = g.plan.overlapping(g.ims[:0], t, t+1e-9)
	for i := range g.ims {
		if g.ims[i].Kind.video() && g.ims[i].active(t) {
			im = &g.ims[i]
			break
		}
	}
	w, h := g.s.Width, g.s.Height
	switch {
	case im != nil && im.Kind == Freeze:
		if g.frozeAt != im.Start {
			g.painter.paint(pl, t)
			if g.frozen.y == nil {
				g.frozen = newPicture(w, h)
			}
			copyPicture(g.frozen, pl, w, h)
			g.frozeAt = im.Start
		} else {
			copyPicture(pl, g.frozen, w, h)
		}
	case im != nil && im.Kind == Black:
		fillBlack(pl, w, h)
	default:
		g.painter.paint(pl, t)
		if im != nil && im.Kind == Blur {
			g.blur.blur(pl, w, h, int(math.Round(im.param(w))))
		}
	}
	return nil
}

// soundFrame makes, impairs and encodes one audio encoder frame.
func (g *generator) soundFrame() error {
	rate := g.s.SampleRate
	t0 := float64(g.sample) / float64(rate)
	n := len(g.abuf[0])
	g.sound.fill(g.abuf)
	g.ims = g.plan.overlapping(g.ims[:0], t0, t0+float64(n)/float64(rate))
	impairSound(g.abuf, t0, rate, g.ims, g.s.Width, g.rng)
	f := g.audio.frame
	planar := f.SampleFormat() == astiav.SampleFormatFltp
	var err error
	if planar {
		g.aplanes, err = audioPlanes(f, g.aplanes[:0], len(g.abuf), n*4)
	} else {
		g.aplanes, err = audioPlanes(f, g.aplanes[:0], 1, n*2*len(g.abuf))
	}
	if err != nil {
		return err
	}
	if planar {
		for c, ch := range g.abuf {
			putFloats(g.aplanes[c], ch)
		}
	} else {
		putS16(g.aplanes[0], g.abuf)
	}
	f.SetPts(g.sample)
	g.sample += int64(n)
	return g.encode(g.audio, f)
}

// encode sends f (nil to flush) to e and queues every packet that comes out.
func (g *generator) encode(e *encoder, f *astiav.Frame) error {
	if err := e.cc.SendFrame(f); err != nil && !(f == nil && errors.Is(err, astiav.ErrEof)) {
		return fmt.Errorf("encode: %w", err)
	}
	for {
		if err := e.cc.ReceivePacket(e.pkt); err != nil {
			if errors.Is(err, astiav.ErrEagain) || errors.Is(err, astiav.ErrEof) {
				return nil
			}
			return fmt.Errorf("encode: %w", err)
		}
		var err error
		if e == g.video {
			err = g.videoPacket(e.pkt)
		} else {
			err = g.audioPacket(e.pkt)
		}
		e.pkt.Unref()
		if err != nil {
			return err
		}
	}
}

// drain writes every packet the interleaver releases (all of them with all set).
func (g *generator) drain(all bool) error {
	for {
		x, ok := g.q.next(all)
		if !ok {
			return nil
		}
		if err := g.mux.write(x); err != nil {
			return err
		}
	}
}
