package media

import (
	"fmt"
	"unsafe"

	"github.com/asticode/go-astiav"
)

// go-astiav v0.16.0 gives the C pointer of a Frame (UnsafePointer) but not of a
// CodecContext or FormatContext, which the accessors in cgo.go need (decoder flush and
// delay, an allocation-free receive, log attribution). Both types keep that pointer as
// their first, unexported field; these functions read it. The version is pinned in
// go.mod, and checkCodecPtr/checkFormatPtr compare what they read with go-astiav's own
// getters, so a layout change fails Open with an error instead of corrupting memory.

func codecContextPtr(cc *astiav.CodecContext) unsafe.Pointer {
	return *(*unsafe.Pointer)(unsafe.Pointer(cc))
}

func formatContextPtr(fc *astiav.FormatContext) unsafe.Pointer {
	return *(*unsafe.Pointer)(unsafe.Pointer(fc))
}

func checkCodecPtr(cc *astiav.CodecContext, p unsafe.Pointer) error {
	if p == nil || codecIDOf(p) != cc.CodecID() {
		return fmt.Errorf("go-astiav CodecContext layout is not the one of v0.16.0")
	}
	return nil
}

func checkFormatPtr(fc *astiav.FormatContext, p unsafe.Pointer) error {
	if p == nil || nbStreamsOf(p) != fc.NbStreams() {
		return fmt.Errorf("go-astiav FormatContext layout is not the one of v0.16.0")
	}
	return nil
}
