package media

// Conversion of pictures whose luma is not an 8-bit plane (10-bit YUV, RGB, packed
// YUV…) to GRAY8 with libswscale. This is the only place the decoder copies a picture;
// the destination is an FFmpeg-allocated buffer owned by a pooled frame and reused.

/*
#cgo pkg-config: libswscale libavutil
#include <libswscale/swscale.h>
#include <libavutil/frame.h>
#include <libavutil/pixfmt.h>
#include <libavutil/pixdesc.h>
#include <libavutil/opt.h>
#include <errno.h>

typedef struct {
	struct SwsContext *sws;
	int width, height, format, colorspace;
} vigil_gray;

// vigil_to_gray writes src's luma into dst as GRAY8. YUV luma keeps its levels
// (limited stays 16-235): swscale always treats GRAY8 as full range and would expand
// limited luma, so the source is declared full range too and no range conversion
// happens. RGB becomes full-range luma. dst->color_range tells which.
static int vigil_to_gray(vigil_gray *g, const AVFrame *src, AVFrame *dst) {
	if (!dst->buf[0] || dst->width != src->width || dst->height != src->height ||
	    dst->format != AV_PIX_FMT_GRAY8) {
		av_frame_unref(dst);
		dst->width = src->width;
		dst->height = src->height;
		dst->format = AV_PIX_FMT_GRAY8;
		int ret = av_frame_get_buffer(dst, 0);
		if (ret < 0) return ret;
	}
	const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(src->format);
	int rgb = d && (d->flags & AV_PIX_FMT_FLAG_RGB);
	int cs = src->colorspace == AVCOL_SPC_UNSPECIFIED ? SWS_CS_DEFAULT : src->colorspace;
	if (!g->sws || g->width != src->width || g->height != src->height || g->format != src->format ||
	    g->colorspace != cs) {
		sws_freeContext(g->sws);
		// Ranges must be set before sws_init_context: it picks the converter.
		if (!(g->sws = sws_alloc_context())) return AVERROR(ENOMEM);
		av_opt_set_int(g->sws, "srcw", src->width, 0);
		av_opt_set_int(g->sws, "srch", src->height, 0);
		av_opt_set_int(g->sws, "src_format", src->format, 0);
		av_opt_set_int(g->sws, "dstw", src->width, 0);
		av_opt_set_int(g->sws, "dsth", src->height, 0);
		av_opt_set_int(g->sws, "dst_format", AV_PIX_FMT_GRAY8, 0);
		av_opt_set_int(g->sws, "sws_flags", SWS_POINT, 0);
		av_opt_set_int(g->sws, "src_range", 1, 0);
		av_opt_set_int(g->sws, "dst_range", 1, 0);
		int ret = sws_init_context(g->sws, NULL, NULL);
		if (ret < 0) {
			sws_freeContext(g->sws);
			g->sws = NULL;
			return ret;
		}
		const int *coefs = sws_getCoefficients(cs);
		sws_setColorspaceDetails(g->sws, coefs, 1, coefs, 1, 0, 1 << 16, 1 << 16);
		g->width = src->width;
		g->height = src->height;
		g->format = src->format;
		g->colorspace = cs;
	}
	dst->color_range = (rgb || src->color_range == AVCOL_RANGE_JPEG) ? AVCOL_RANGE_JPEG : AVCOL_RANGE_MPEG;
	int h = sws_scale(g->sws, (const uint8_t *const *)src->data, src->linesize, 0, src->height,
	                  dst->data, dst->linesize);
	return h == src->height ? 0 : AVERROR(EINVAL);
}

static void vigil_gray_free(vigil_gray *g) {
	sws_freeContext(g->sws);
	g->sws = NULL;
}
*/
import "C"

import (
	"fmt"

	"github.com/asticode/go-astiav"
)

// grayConverter turns decoded frames of any pixel format into GRAY8. Not safe for
// concurrent use; Close frees its C state. It must be allocated on its own (cgo
// checks the whole allocation a pointer argument points into).
type grayConverter struct{ g C.vigil_gray }

// convert writes src's luma as GRAY8 into dst, (re)allocating dst's buffer only when
// the picture size changed.
func (g *grayConverter) convert(src, dst *astiav.Frame) error {
	ret := C.vigil_to_gray(&g.g, (*C.AVFrame)(src.UnsafePointer()), (*C.AVFrame)(dst.UnsafePointer()))
	if ret < 0 {
		return fmt.Errorf("convert to gray: %w", astiav.Error(ret))
	}
	return nil
}

func (g *grayConverter) Close() {
	C.vigil_gray_free(&g.g)
}
