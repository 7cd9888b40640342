package media

// This file holds the few FFmpeg accessors go-astiav v0.16.0 lacks: plane pointers,
// line sizes and error flags of a decoded frame without copying it, a receive call that
// does not allocate a Go error for EAGAIN, the decoder's delay and flush, and the
// best-stream choice. The C pointers of go-astiav's contexts are read by unsafeptr.go.

/*
#cgo pkg-config: libavcodec libavformat libavutil
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/pixdesc.h>
#include <errno.h>
#include <stdint.h>

enum { VIGIL_FRAME = 0, VIGIL_AGAIN = 1, VIGIL_EOF = 2 };

typedef struct {
	uint8_t *data0;
	int64_t pts;
	int64_t duration;
	int linesize0, width, height, format;
	int corrupt, decode_error_flags, key, full_range;
	int nb_samples, sample_rate, channels;
} vigil_frame;

static int vigil_receive(AVCodecContext *c, AVFrame *f) {
	int ret = avcodec_receive_frame(c, f);
	if (ret >= 0) return VIGIL_FRAME;
	if (ret == AVERROR(EAGAIN)) return VIGIL_AGAIN;
	if (ret == AVERROR_EOF) return VIGIL_EOF;
	return ret;
}

static void vigil_frame_read(const AVFrame *f, vigil_frame *o) {
	o->data0 = f->data[0];
	o->linesize0 = f->linesize[0];
	o->width = f->width;
	o->height = f->height;
	o->format = f->format;
	o->pts = f->best_effort_timestamp;
	o->duration = f->pkt_duration;
	o->corrupt = (f->flags & AV_FRAME_FLAG_CORRUPT) != 0;
	o->decode_error_flags = f->decode_error_flags;
	o->key = f->key_frame;
	o->full_range = f->color_range == AVCOL_RANGE_JPEG;
	o->nb_samples = f->nb_samples;
	o->sample_rate = f->sample_rate;
	o->channels = f->ch_layout.nb_channels;
}

// vigil_luma_direct reports whether plane 0 of fmt is an 8-bit luma (or gray) plane
// with one byte per pixel, which can be handed out as is.
static int vigil_luma_direct(int fmt) {
	const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(fmt);
	if (!d || d->nb_components < 1) return 0;
	if (d->flags & (AV_PIX_FMT_FLAG_RGB | AV_PIX_FMT_FLAG_PAL | AV_PIX_FMT_FLAG_BITSTREAM |
	                AV_PIX_FMT_FLAG_HWACCEL | AV_PIX_FMT_FLAG_FLOAT | AV_PIX_FMT_FLAG_BAYER)) return 0;
	const AVComponentDescriptor *c = &d->comp[0];
	return c->plane == 0 && c->depth == 8 && c->step == 1 && c->offset == 0 && c->shift == 0;
}

static int vigil_decoder_delay(const AVCodecContext *c) {
	int d = c->has_b_frames;
	if (c->active_thread_type & FF_THREAD_FRAME) d += c->thread_count - 1;
	return d;
}

static void vigil_codec_setup(AVCodecContext *c, int tb_num, int tb_den, uintptr_t token) {
	c->pkt_timebase = (AVRational){tb_num, tb_den};
	c->opaque = (void *)token;
}

static int vigil_codec_id(const AVCodecContext *c) { return c->codec_id; }
static int vigil_nb_streams(const AVFormatContext *f) { return f->nb_streams; }
static void vigil_format_setup(AVFormatContext *f, uintptr_t token) { f->opaque = (void *)token; }

static int vigil_io_error(const AVFormatContext *f) { return f->pb ? f->pb->error : 0; }

static int vigil_best_stream(AVFormatContext *f, int video) {
	return av_find_best_stream(f, video ? AVMEDIA_TYPE_VIDEO : AVMEDIA_TYPE_AUDIO, -1, -1, NULL, 0);
}
*/
import "C"

import (
	"unsafe"

	"github.com/asticode/go-astiav"
)

// receive results besides negative FFmpeg error codes.
const (
	recvFrame = C.VIGIL_FRAME
	recvAgain = C.VIGIL_AGAIN
	recvEOF   = C.VIGIL_EOF
)

// frameInfo is what the decoder loop reads from a decoded AVFrame in one cgo call.
type frameInfo = C.vigil_frame

// receiveFrame calls avcodec_receive_frame into f and returns recvFrame, recvAgain,
// recvEOF or a negative FFmpeg error code.
func receiveFrame(cc unsafe.Pointer, f *astiav.Frame) int {
	return int(C.vigil_receive((*C.AVCodecContext)(cc), (*C.AVFrame)(f.UnsafePointer())))
}

// readFrame fills o from f without copying any picture or sample data.
func readFrame(f *astiav.Frame, o *frameInfo) {
	C.vigil_frame_read((*C.AVFrame)(f.UnsafePointer()), o)
}

// lumaDirect reports whether frames of pixel format pixFmt expose an 8-bit luma plane.
func lumaDirect(pixFmt int) bool { return C.vigil_luma_direct(C.int(pixFmt)) != 0 }

// decoderDelay returns how many frames the decoder may hold back (reordering plus
// frame threads).
func decoderDelay(cc unsafe.Pointer) int {
	return int(C.vigil_decoder_delay((*C.AVCodecContext)(cc)))
}

// flushDecoder resets a decoder after a seek or a drain.
func flushDecoder(cc unsafe.Pointer) { C.avcodec_flush_buffers((*C.AVCodecContext)(cc)) }

// setupCodec sets the packet time base and the log attribution token of a decoder
// before it is opened.
func setupCodec(cc unsafe.Pointer, tb astiav.Rational, token uintptr) {
	C.vigil_codec_setup((*C.AVCodecContext)(cc), C.int(tb.Num()), C.int(tb.Den()), C.uintptr_t(token))
}

// setupFormat sets the log attribution token of a format context.
func setupFormat(fc unsafe.Pointer, token uintptr) {
	C.vigil_format_setup((*C.AVFormatContext)(fc), C.uintptr_t(token))
}

// bestStream returns the index of the best video (or audio) stream, or a negative
// FFmpeg error when there is none.
func bestStream(fc unsafe.Pointer, video bool) int {
	v := C.int(0)
	if video {
		v = 1
	}
	return int(C.vigil_best_stream((*C.AVFormatContext)(fc), v))
}

func codecIDOf(cc unsafe.Pointer) astiav.CodecID {
	return astiav.CodecID(C.vigil_codec_id((*C.AVCodecContext)(cc)))
}

// ioError returns the error that ended the input's byte stream (a read timeout, a
// reset connection), 0 if it ended normally. Demuxers report such an end as EOF.
func ioError(fc unsafe.Pointer) int { return int(C.vigil_io_error((*C.AVFormatContext)(fc))) }

func nbStreamsOf(fc unsafe.Pointer) int { return int(C.vigil_nb_streams((*C.AVFormatContext)(fc))) }
