package synth

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/asticode/go-astiav"
)

// videoCodecs maps Spec.Codec to FFmpeg encoder names.
var videoCodecs = map[string]string{"h264": "libx264", "hevc": "libx265", "mpeg2": "mpeg2video"}

// audioCodecs maps Spec.AudioCodec to FFmpeg encoder names.
var audioCodecs = map[string]string{"aac": "aac", "mp2": "mp2"}

// encoder is one opened FFmpeg encoder with its reusable frame and packet and the
// output stream it feeds. close frees everything it allocated.
type encoder struct {
	cc    *astiav.CodecContext
	frame *astiav.Frame
	pkt   *astiav.Packet
	st    *astiav.Stream
	tb    astiav.Rational // encoder time base
}

func (e *encoder) close() {
	if e.pkt != nil {
		e.pkt.Free()
	}
	if e.frame != nil {
		e.frame.Free()
	}
	if e.cc != nil {
		e.cc.Free()
	}
}

// newEncoder allocates a codec context for the named encoder; configure sets it up
// and returns the private options to open it with.
func newEncoder(name string, globalHeader bool, configure func(*astiav.CodecContext, *astiav.Dictionary) error) (*encoder, error) {
	codec := astiav.FindEncoderByName(name)
	if codec == nil {
		return nil, fmt.Errorf("find encoder %s: %w", name, astiav.ErrEncoderNotFound)
	}
	e := &encoder{cc: astiav.AllocCodecContext(codec)}
	if e.cc == nil {
		return nil, fmt.Errorf("alloc %s codec context: %w", name, errAlloc)
	}
	if globalHeader {
		e.cc.SetFlags(e.cc.Flags().Add(astiav.CodecContextFlagGlobalHeader))
	}
	opts := astiav.NewDictionary()
	defer opts.Free()
	if err := configure(e.cc, opts); err != nil {
		e.close()
		return nil, err
	}
	if err := e.cc.Open(codec, opts); err != nil {
		e.close()
		return nil, fmt.Errorf("open encoder %s: %w", name, err)
	}
	e.tb = e.cc.TimeBase()
	e.frame = astiav.AllocFrame()
	e.pkt = astiav.AllocPacket()
	if e.frame == nil || e.pkt == nil {
		e.close()
		return nil, fmt.Errorf("alloc %s frame: %w", name, errAlloc)
	}
	return e, nil
}

// errAlloc reports that FFmpeg could not allocate something.
var errAlloc = errors.New("synth: out of memory")

// setOpts sets key/value pairs in d.
func setOpts(d *astiav.Dictionary, kv ...string) error {
	for i := 0; i+1 < len(kv); i += 2 {
		if err := d.Set(kv[i], kv[i+1], 0); err != nil {
			return fmt.Errorf("set option %s: %w", kv[i], err)
		}
	}
	return nil
}

// newVideoEncoder opens the video encoder of s. live selects low-latency settings
// (no B-frames, no lookahead) so that a live channel's output is prompt.
func newVideoEncoder(s Spec, globalHeader, live bool) (*encoder, error) {
	e, err := newEncoder(videoCodecs[s.Codec], globalHeader, func(cc *astiav.CodecContext, d *astiav.Dictionary) error {
		cc.SetWidth(s.Width)
		cc.SetHeight(s.Height)
		cc.SetPixelFormat(astiav.PixelFormatYuv420P)
		cc.SetTimeBase(astiav.NewRational(1, s.FPS))
		cc.SetFramerate(astiav.NewRational(s.FPS, 1))
		cc.SetSampleAspectRatio(astiav.NewRational(1, 1))
		cc.SetGopSize(s.GOP)
		cc.SetThreadCount(1)
		g := strconv.Itoa(s.GOP)
		// A rate cap of about 0.2 bit per pixel, with no lookahead or macroblock tree,
		// as in a live encoder: after a freeze the encoder keeps refining the still
		// picture for about a second, and key frames pulse.
		kbps := strconv.Itoa(s.Width * s.Height * s.FPS / 5000)
		switch s.Codec {
		case "h264":
			// veryfast keeps CABAC and the deblocking filter, so clean pictures are not
			// blocky. log=-1 silences x264's own messages.
			if err := setOpts(d, "preset", "veryfast", "crf", "23", "x264-params",
				"keyint="+g+":min-keyint="+g+":scenecut=0:log=-1:mbtree=0:rc-lookahead=0:vbv-maxrate="+kbps+":vbv-bufsize="+kbps); err != nil {
				return err
			}
			if live {
				return setOpts(d, "tune", "zerolatency")
			}
		case "hevc":
			if err := setOpts(d, "preset", "ultrafast", "crf", "28", "x265-params",
				"keyint="+g+":min-keyint="+g+":scenecut=0:log-level=error:pools=1:frame-threads=1:no-cutree=1:bframes=2:rc-lookahead=3:vbv-maxrate="+kbps+":vbv-bufsize="+kbps); err != nil {
				return err
			}
			if live {
				return setOpts(d, "tune", "zerolatency")
			}
		case "mpeg2":
			rate := int64(float64(s.Width*s.Height*s.FPS) * 0.35)
			cc.SetBitRate(rate)
			bf := "2"
			if live {
				bf = "0"
			}
			return setOpts(d, "bf", bf, "sc_threshold", "1000000000", "maxrate", strconv.FormatInt(rate*2, 10),
				"bufsize", strconv.FormatInt(rate, 10))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	e.frame.SetWidth(s.Width)
	e.frame.SetHeight(s.Height)
	e.frame.SetPixelFormat(astiav.PixelFormatYuv420P)
	if err := e.frame.AllocBuffer(0); err != nil {
		e.close()
		return nil, fmt.Errorf("alloc video frame buffer: %w", err)
	}
	return e, nil
}

// newAudioEncoder opens the audio encoder of s; its frames carry FrameSize samples.
func newAudioEncoder(s Spec, globalHeader bool) (*encoder, error) {
	layout := astiav.ChannelLayoutStereo
	if s.Channels == 1 {
		layout = astiav.ChannelLayoutMono
	}
	var format astiav.SampleFormat
	e, err := newEncoder(audioCodecs[s.AudioCodec], globalHeader, func(cc *astiav.CodecContext, d *astiav.Dictionary) error {
		formats := astiav.FindEncoderByName(audioCodecs[s.AudioCodec]).SampleFormats()
		if len(formats) == 0 {
			return fmt.Errorf("audio encoder %s lists no sample format", s.AudioCodec)
		}
		format = formats[0]
		cc.SetSampleFormat(format)
		cc.SetSampleRate(s.SampleRate)
		cc.SetChannelLayout(layout)
		cc.SetChannels(s.Channels)
		cc.SetTimeBase(astiav.NewRational(1, s.SampleRate))
		cc.SetBitRate(int64(96000 * s.Channels))
		return nil
	})
	if err != nil {
		return nil, err
	}
	switch format {
	case astiav.SampleFormatFltp, astiav.SampleFormatS16:
	default:
		e.close()
		return nil, fmt.Errorf("audio encoder %s wants sample format %s", s.AudioCodec, format.Name())
	}
	e.frame.SetNbSamples(e.cc.FrameSize())
	e.frame.SetSampleFormat(format)
	e.frame.SetChannelLayout(layout)
	e.frame.SetSampleRate(s.SampleRate)
	if err := e.frame.AllocBuffer(0); err != nil {
		e.close()
		return nil, fmt.Errorf("alloc audio frame buffer: %w", err)
	}
	return e, nil
}
