package synth

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/asticode/go-astiav"
)

// videoPacket damages an encoded video packet if a corruption window covers it,
// stamps it for the output stream (with the av_offset shift, which changes only at
// key frames) and queues it for writing.
func (g *generator) videoPacket(pkt *astiav.Packet) error {
	fps := float64(g.s.FPS)
	t := float64(pkt.Pts()) / fps
	if pkt.Flags().Has(astiav.PacketFlagKey) {
		g.vshift = g.plan.shift(true, t)
	}
	q := queued{key: float64(pkt.Dts()) / fps, at: t + g.vshift, video: true}
	g.ims = g.plan.overlapping(g.ims[:0], t, t+1e-9)
	for _, im := range g.ims {
		if im.Kind == Corruption && im.active(t) && g.rng.Float64() < im.param(g.s.Width) {
			data := pkt.Data() // a copy
			damage(data, g.s.Codec, g.rng)
			cp, err := packetFrom(pkt, data)
			if err != nil {
				return err
			}
			q.pkt = cp
			break
		}
	}
	if q.pkt == nil {
		q.pkt = astiav.AllocPacket()
		q.pkt.MoveRef(pkt)
	}
	stamp(q.pkt, g.video, g.vshift)
	g.q.push(q)
	return nil
}

// audioPacket stamps an encoded audio packet for the output stream, with the
// av_offset shift at its time, and queues it keyed by its unshifted time: a shifted
// packet is written next to the video of the moment it was made, so a demuxer sees
// the time stamps of the two streams jump apart.
func (g *generator) audioPacket(pkt *astiav.Packet) error {
	t := float64(pkt.Pts()) / float64(g.s.SampleRate)
	q := queued{pkt: astiav.AllocPacket(), key: t}
	q.pkt.MoveRef(pkt)
	stamp(q.pkt, g.audio, g.plan.shift(false, t))
	g.q.push(q)
	return nil
}

// stamp sets pkt's stream index and converts its time stamps from e's encoder time
// base to its output stream's, adding shift seconds.
func stamp(pkt *astiav.Packet, e *encoder, shift float64) {
	tb := e.st.TimeBase()
	pkt.SetStreamIndex(e.st.Index())
	pkt.RescaleTs(e.tb, tb)
	if shift != 0 {
		n := int64(math.Round(shift * float64(tb.Den()) / float64(tb.Num())))
		pkt.SetPts(pkt.Pts() + n)
		pkt.SetDts(pkt.Dts() + n)
	}
}

// packetFrom returns a new packet carrying data and pkt's timing and flags.
func packetFrom(pkt *astiav.Packet, data []byte) (*astiav.Packet, error) {
	cp := astiav.AllocPacket()
	// FFmpeg wants zeroed padding after packet data.
	if err := cp.FromData(append(data, make([]byte, 64)...)); err != nil {
		cp.Free()
		return nil, fmt.Errorf("copy damaged packet: %w", err)
	}
	cp.SetSize(len(data))
	cp.SetPts(pkt.Pts())
	cp.SetDts(pkt.Dts())
	cp.SetDuration(pkt.Duration())
	cp.SetFlags(pkt.Flags())
	return cp, nil
}

// putFloats writes samples as native-endian float32 into b.
func putFloats(b []byte, samples []float32) {
	for i, v := range samples {
		binary.NativeEndian.PutUint32(b[4*i:], math.Float32bits(v))
	}
}

// putS16 interleaves the channels of buf as native-endian int16 into b.
func putS16(b []byte, buf [][]float32) {
	nc := len(buf)
	for c, ch := range buf {
		for i, v := range ch {
			s := int16(max(-32768, min(32767, math.Round(float64(v)*32767))))
			binary.NativeEndian.PutUint16(b[2*(i*nc+c):], uint16(s))
		}
	}
}
