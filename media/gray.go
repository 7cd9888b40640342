package media

// Conversion of pictures whose luma is not an 8-bit plane (10-bit YUV, RGB, packed
// YUV…) to GRAY8 with libswscale. This is the only place the decoder copies a picture;
// the destination is an FFmpeg-allocated buffer owned by a pooled frame and reused.

/*
#cgo pkg-config: libswscale libavutil
#include <libswscale/swscale.h>
#include <libavutil/frame.h>
#include <libavutil/pixfmt.h>
#include <errno.h>

static int vigil_to_gray(struct SwsContext **ps, const AVFrame *src, AVFrame *dst) {
	if (!dst->buf[0] || dst->width != src->width || dst->height != src->height ||
	    dst->format != AV_PIX_FMT_GRAY8) {
		av_frame_unref(dst);
		dst->width = src->width;
		dst->height = src->height;
		dst->format = AV_PIX_FMT_GRAY8;
		int ret = av_frame_get_buffer(dst, 0);
		if (ret < 0) return ret;
	}
	*ps = sws_getCachedContext(*ps, src->width, src->height, src->format,
	                           src->width, src->height, AV_PIX_FMT_GRAY8,
	                           SWS_POINT, NULL, NULL, NULL);
	if (!*ps) return AVERROR(EINVAL);
	int h = sws_scale(*ps, (const uint8_t *const *)src->data, src->linesize, 0, src->height,
	                  dst->data, dst->linesize);
	return h == src->height ? 0 : AVERROR(EINVAL);
}

static void vigil_gray_free(struct SwsContext *s) { sws_freeContext(s); }
*/
import "C"

import (
	"fmt"

	"github.com/asticode/go-astiav"
)

// grayConverter turns decoded frames of any pixel format into GRAY8. Not safe for
// concurrent use; Close frees its C state.
type grayConverter struct{ sws *C.struct_SwsContext }

// convert writes src's luma as GRAY8 into dst, (re)allocating dst's buffer only when
// the picture size changed.
func (g *grayConverter) convert(src, dst *astiav.Frame) error {
	ret := C.vigil_to_gray(&g.sws, (*C.AVFrame)(src.UnsafePointer()), (*C.AVFrame)(dst.UnsafePointer()))
	if ret < 0 {
		return fmt.Errorf("convert to gray: %w", astiav.Error(ret))
	}
	return nil
}

func (g *grayConverter) Close() {
	if g.sws != nil {
		C.vigil_gray_free(g.sws)
		g.sws = nil
	}
}
