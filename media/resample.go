package media

// Audio conversion to interleaved float32 with libswresample, which go-astiav v0.16.0
// does not wrap. The sample rate and channel layout are kept; only the sample format
// and the interleaving change.

/*
#cgo pkg-config: libswresample libavutil
#include <libswresample/swresample.h>
#include <libavutil/frame.h>
#include <libavutil/mem.h>
#include <libavutil/channel_layout.h>
#include <errno.h>

typedef struct {
	SwrContext *swr;
	int format, rate;
	AVChannelLayout layout;
} vigil_resampler;

static vigil_resampler *vigil_resampler_new(void) { return av_mallocz(sizeof(vigil_resampler)); }

static void vigil_resampler_free(vigil_resampler *r) {
	if (!r) return;
	swr_free(&r->swr);
	av_channel_layout_uninit(&r->layout);
	av_free(r);
}

// vigil_resample converts f into out (cap samples per channel) and returns the number
// of samples per channel written, or a negative FFmpeg error. The converter is rebuilt
// when the input format, rate or layout changes.
static int vigil_resample(vigil_resampler *r, const AVFrame *f, float *out, int cap) {
	if (!r->swr || f->format != r->format || f->sample_rate != r->rate ||
	    av_channel_layout_compare(&f->ch_layout, &r->layout) != 0) {
		swr_free(&r->swr);
		av_channel_layout_uninit(&r->layout);
		AVChannelLayout layout = {0};
		int ret = f->ch_layout.order == AV_CHANNEL_ORDER_UNSPEC
			? (av_channel_layout_default(&layout, f->ch_layout.nb_channels), 0)
			: av_channel_layout_copy(&layout, &f->ch_layout);
		if (ret < 0) return ret;
		ret = swr_alloc_set_opts2(&r->swr, &layout, AV_SAMPLE_FMT_FLT, f->sample_rate,
		                          &layout, f->format, f->sample_rate, 0, NULL);
		av_channel_layout_uninit(&layout);
		if (ret < 0) return ret;
		if ((ret = swr_init(r->swr)) < 0) {
			swr_free(&r->swr);
			return ret;
		}
		if ((ret = av_channel_layout_copy(&r->layout, &f->ch_layout)) < 0) {
			swr_free(&r->swr);
			return ret;
		}
		r->format = f->format;
		r->rate = f->sample_rate;
	}
	uint8_t *planes[1] = {(uint8_t *)out};
	return swr_convert(r->swr, planes, cap, (const uint8_t **)f->extended_data, f->nb_samples);
}
*/
import "C"

import (
	"fmt"
	"unsafe"

	"github.com/asticode/go-astiav"
)

// resampler converts decoded audio frames to interleaved float32. Not safe for
// concurrent use; Close frees its C state.
type resampler struct{ r *C.vigil_resampler }

func newResampler() (*resampler, error) {
	r := C.vigil_resampler_new()
	if r == nil {
		return nil, fmt.Errorf("allocate resampler: out of memory")
	}
	return &resampler{r: r}, nil
}

// convert writes f's samples into out, which must hold at least
// f.nb_samples*channels values, and returns the samples per channel written.
func (r *resampler) convert(f *astiav.Frame, out []float32, perChannel int) (int, error) {
	if perChannel <= 0 {
		return 0, nil
	}
	n := C.vigil_resample(r.r, (*C.AVFrame)(f.UnsafePointer()), (*C.float)(unsafe.Pointer(&out[0])), C.int(perChannel))
	if n < 0 {
		return 0, fmt.Errorf("resample audio: %w", astiav.Error(n))
	}
	return int(n), nil
}

func (r *resampler) Close() {
	if r != nil && r.r != nil {
		C.vigil_resampler_free(r.r)
		r.r = nil
	}
}
