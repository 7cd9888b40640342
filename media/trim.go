package media

// #include <malloc.h>
import "C"

// TrimMemory returns memory that FFmpeg (and any other C code) has freed to the
// operating system. glibc keeps freed blocks in per-thread arenas, so after many
// streams stop, RSS stays high although nothing leaks; nodes call this after stopping
// streams, and leak tests call it before measuring.
func TrimMemory() {
	C.malloc_trim(0)
}
