package media

import (
	"context"
	"fmt"
	"strconv"
	"unsafe"

	"github.com/asticode/go-astiav"
)

// maxKeyWait is how many video packets Run skips waiting for a key frame before it
// feeds the decoder anyway (a stream without key flags must still be decoded).
const maxKeyWait = 300

// videoDecoder decodes the input's video stream into pooled VideoFrames that refer to
// the decoder's planes (direct) or to a GRAY8 conversion (gray).
type videoDecoder struct {
	decoder
	seenKey    bool
	skipped    uint64
	errsAtLast uint64
	direct     *videoPool
	gray       *videoPool
	conv       *grayConverter // separate allocations for cgo's pointer check
	grayInfo   *frameInfo
	lastFormat int
	lastDirect bool
}

func (in *Input) openVideo(st *astiav.Stream) (*videoDecoder, error) {
	cp := st.CodecParameters()
	if cp.Width() > in.cfg.MaxWidth || cp.Height() > in.cfg.MaxHeight {
		return nil, fmt.Errorf("video %dx%d above %dx%d: %w", cp.Width(), cp.Height(), in.cfg.MaxWidth, in.cfg.MaxHeight, ErrTooLarge)
	}
	opts := map[string]string{"max_pixels": strconv.Itoa(in.cfg.MaxWidth * in.cfg.MaxHeight)}
	d, err := openDecoder(st, streamVideo, makeToken(in.id, tokenVideo), in.cfg.Threads, opts)
	if err != nil {
		return nil, err
	}
	v := &videoDecoder{
		decoder:    *d,
		direct:     newVideoPool(false, &in.outstanding),
		gray:       newVideoPool(true, &in.outstanding),
		lastFormat: -1,
		conv:       new(grayConverter),
		grayInfo:   new(frameInfo),
	}
	fps := st.AvgFrameRate()
	if fps.Num() <= 0 || fps.Den() <= 0 {
		fps = st.RFrameRate()
	}
	info := &VideoInfo{
		Codec:       cp.CodecID().Name(),
		Width:       cp.Width(),
		Height:      cp.Height(),
		PixelFormat: cp.PixelFormat().Name(),
	}
	if fps.Num() > 0 && fps.Den() > 0 {
		info.FrameRate = fps.Float64()
		v.nominal = 1 / info.FrameRate
	}
	in.info.Video = info
	return v, nil
}

// decodeVideo feeds the current packet to the video decoder and delivers what comes
// out. Before the first key packet, packets are skipped: joining a live stream
// mid-GOP, they only make the decoder complain.
func (in *Input) decodeVideo(ctx context.Context, sink Sink) error {
	v := in.video
	if !v.seenKey {
		if !in.pkt.Flags().Has(astiav.PacketFlagKey) && v.skipped < maxKeyWait {
			v.skipped++
			in.stats.update(func(s *Stats) { s.PacketsSkipped++ })
			return nil
		}
		v.seenKey = true
	}
	// A packet is expected to yield a picture if it carries a timestamp (field pictures
	// split from one PES do not) and the demuxer did not mark it to be discarded (an
	// edit list cutting the start of an MP4).
	counts := (in.pkt.Pts() != noPTS || in.pkt.Dts() != noPTS) && !in.pkt.Flags().Has(astiav.PacketFlagDiscard)
	return in.send(ctx, sink, &v.decoder, in.pkt, counts)
}

// deliverVideo hands the frame just received to the sink.
func (in *Input) deliverVideo(ctx context.Context, sink Sink) error {
	v := in.video
	readFrame(v.frame, v.info)
	fi := v.info
	w, h := int(fi.width), int(fi.height)
	if w > in.cfg.MaxWidth || h > in.cfg.MaxHeight {
		v.frame.Unref()
		return fmt.Errorf("decode video: %dx%d above %dx%d: %w", w, h, in.cfg.MaxWidth, in.cfg.MaxHeight, ErrTooLarge)
	}
	if w <= 0 || h <= 0 {
		v.frame.Unref()
		return nil
	}
	dur := v.nominal
	if fi.duration > 0 {
		dur = float64(fi.duration) * v.tb
	}
	raw, dur := v.timestamp(dur)
	t := in.tl.media(streamVideo, raw, dur)
	if in.paced() {
		if err := in.pace.wait(ctx, in.closing, t); err != nil {
			v.frame.Unref()
			return err
		}
	}

	format := int(fi.format)
	if format != v.lastFormat {
		v.lastFormat, v.lastDirect = format, lumaDirect(format)
	}
	var s *videoSlot
	plane := fi
	if v.lastDirect && int(fi.linesize0) >= w {
		s = v.direct.get()
		s.av.MoveRef(v.frame) // no copy: the slot now holds the decoder's buffer
	} else {
		s = v.gray.get()
		err := v.conv.convert(v.frame, s.av)
		v.frame.Unref()
		if err != nil {
			s.put()
			return fmt.Errorf("decode video: %w", err)
		}
		readFrame(s.av, v.grayInfo)
		plane = v.grayInfo
	}

	f := &s.frame
	stride := int(plane.linesize0)
	f.Width, f.Height, f.Stride = w, h, stride
	f.Y = unsafe.Slice((*byte)(unsafe.Pointer(plane.data0)), stride*(h-1)+w)
	f.PTS, f.Duration = t, dur
	f.Key = fi.key != 0
	f.Corrupt = fi.corrupt != 0
	f.DecodeErrorFlags = int(fi.decode_error_flags)
	f.FullRange = plane.full_range != 0
	errs := in.errs[streamVideo].counted.Load()
	f.ErrorsBefore = int(errs - v.errsAtLast)
	v.errsAtLast = errs
	f.Seq = v.seq
	v.seq++
	f.Init(s.done)
	in.stats.video(w, h, t, t+dur, in.tl.discontinuities)
	sink.Video(f)
	return nil
}

func (v *videoDecoder) close() {
	v.decoder.close()
	v.direct.close()
	v.gray.close()
	v.conv.Close()
}
