package media

import (
	"context"
	"fmt"

	"github.com/asticode/go-astiav"
)

// audioSlack is extra room per channel in an output buffer beyond the frame's samples.
const audioSlack = 32

// audioDecoder decodes the input's audio stream into pooled interleaved float32 blocks.
type audioDecoder struct {
	decoder
	rs   *resampler
	pool *audioPool
}

func (in *Input) openAudio(st *astiav.Stream) (*audioDecoder, error) {
	d, err := openDecoder(st, streamAudio, makeToken(in.id, tokenAudio), -1, nil)
	if err != nil {
		return nil, err
	}
	rs, err := newResampler()
	if err != nil {
		d.close()
		return nil, err
	}
	cp := st.CodecParameters()
	in.info.Audio = &AudioInfo{Codec: cp.CodecID().Name(), SampleRate: cp.SampleRate(), Channels: cp.Channels()}
	return &audioDecoder{decoder: *d, rs: rs, pool: newAudioPool(&in.outstanding)}, nil
}

// decodeAudio feeds the current packet to the audio decoder and delivers what comes out.
func (in *Input) decodeAudio(ctx context.Context, sink Sink) error {
	// Audio packets are not counted for drops: decoders legitimately swallow whole
	// packets of encoder priming (skip-samples side data).
	return in.send(ctx, sink, &in.audio.decoder, in.pkt, false)
}

// deliverAudio converts the frame just received and hands it to the sink.
func (in *Input) deliverAudio(ctx context.Context, sink Sink) error {
	a := in.audio
	readFrame(a.frame, a.info)
	fi := a.info
	ch, n, rate := int(fi.channels), int(fi.nb_samples), int(fi.sample_rate)
	if ch <= 0 || n <= 0 || rate <= 0 {
		a.frame.Unref()
		return nil
	}
	raw, dur := a.timestamp(float64(n) / float64(rate))
	t := in.tl.media(streamAudio, raw, dur)
	if in.paced() {
		if err := in.pace.wait(ctx, in.closing, t); err != nil {
			a.frame.Unref()
			return err
		}
	}
	perChannel := n + audioSlack
	s := a.pool.get(perChannel * ch)
	got, err := a.rs.convert(a.frame, s.buf[:perChannel*ch], perChannel)
	a.frame.Unref()
	if err != nil {
		s.put()
		return fmt.Errorf("decode audio: %w", err)
	}
	f := &s.frame
	f.PTS, f.SampleRate, f.Channels = t, rate, ch
	f.Samples = s.buf[:got*ch]
	f.Seq = a.seq
	a.seq++
	f.Init(s.done)
	in.stats.audio(t+dur, in.tl.discontinuities)
	sink.Audio(f)
	return nil
}

func (a *audioDecoder) close() {
	a.decoder.close()
	a.rs.Close()
}
