package synth

/*
#cgo pkg-config: libavutil
#include <libavutil/frame.h>

static int synth_make_writable(void *f) { return av_frame_make_writable((AVFrame *)f); }
static uint8_t *synth_data(void *f, int i) { return ((AVFrame *)f)->data[i]; }
static int synth_linesize(void *f, int i) { return ((AVFrame *)f)->linesize[i]; }
*/
import "C"

import (
	"fmt"
	"unsafe"

	"github.com/asticode/go-astiav"
)

// The encoders keep references to the frames they are given (mpeg2video does, for
// B-frame reordering), so a reused frame is made writable before it is painted:
// FFmpeg then gives it fresh buffers if the old ones are still in use. go-astiav
// v0.16.0 has no accessor for the plane pointers, so this file reads them from the
// AVFrame; the slices it returns alias C memory owned by the frame and are valid until
// the frame is next made writable, unreferenced or freed.

// videoPlanes makes f writable and returns views of its YUV 4:2:0 planes.
func videoPlanes(f *astiav.Frame, h int) (planes, error) {
	p := f.UnsafePointer()
	if ret := C.synth_make_writable(p); ret < 0 {
		return planes{}, fmt.Errorf("make video frame writable: %w", astiav.Error(ret))
	}
	ys, cs := int(C.synth_linesize(p, 0)), int(C.synth_linesize(p, 1))
	if int(C.synth_linesize(p, 2)) != cs {
		return planes{}, fmt.Errorf("video frame: chroma line sizes differ")
	}
	return planes{
		y:       unsafe.Slice((*byte)(C.synth_data(p, 0)), ys*h),
		u:       unsafe.Slice((*byte)(C.synth_data(p, 1)), cs*h/2),
		v:       unsafe.Slice((*byte)(C.synth_data(p, 2)), cs*h/2),
		yStride: ys, cStride: cs,
	}, nil
}

// audioPlanes makes f writable and appends to dst views of its first n data planes,
// each size bytes long (one per channel for planar formats, one in all for packed).
func audioPlanes(f *astiav.Frame, dst [][]byte, n, size int) ([][]byte, error) {
	p := f.UnsafePointer()
	if ret := C.synth_make_writable(p); ret < 0 {
		return dst, fmt.Errorf("make audio frame writable: %w", astiav.Error(ret))
	}
	for i := 0; i < n; i++ {
		dst = append(dst, unsafe.Slice((*byte)(C.synth_data(p, C.int(i))), size))
	}
	return dst, nil
}
