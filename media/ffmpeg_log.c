// FFmpeg log callback: filters by level in C (most messages never reach Go), tells
// which vigil input a message is about from the opaque token of its codec or format
// context, and hands the formatted line to Go (ffmpeg_log.go).
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/log.h>
#include "_cgo_export.h"

static atomic_int vigil_log_level = AV_LOG_WARNING;

static void vigil_log_cb(void *avcl, int level, const char *fmt, va_list vl) {
	level &= 0xff;
	uintptr_t token = 0;
	int kind = 0;
	const AVClass *cls = avcl ? *(const AVClass **)avcl : NULL;
	if (cls && cls == avcodec_get_class()) {
		kind = 1;
		token = (uintptr_t)((AVCodecContext *)avcl)->opaque;
	} else if (cls && cls == avformat_get_class()) {
		kind = 2;
		token = (uintptr_t)((AVFormatContext *)avcl)->opaque;
	}
	// Decoder errors of a vigil input always reach Go: they are counted.
	if (level > atomic_load(&vigil_log_level) && !(kind == 1 && token && level <= AV_LOG_ERROR))
		return;
	char msg[1024];
	vsnprintf(msg, sizeof msg, fmt, vl);
	const char *item = "";
	if (cls)
		item = cls->item_name ? cls->item_name(avcl) : cls->class_name;
	vigilLog((uintptr_t)avcl, token, kind, level, (char *)item, msg);
}

void vigil_log_install(void) { av_log_set_callback(vigil_log_cb); }

void vigil_log_set_level(int level) { atomic_store(&vigil_log_level, level); }
