package media

import (
	"context"
	"hash/crc32"
	"runtime"
	"testing"
	"time"
	"unsafe"
)

// TestZeroCopy shows that VideoFrame.Y is the decoder's own plane: it is the data[0]
// of the AVFrame the frame holds, it stays intact while later frames are decoded, and
// once released the same buffers come back for later frames.
func TestZeroCopy(t *testing.T) {
	const hold = 10
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	in, err := Open(ctx, clipTS(t), ScanConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()

	type held struct {
		f   *VideoFrame
		ptr *byte
		sum uint32
	}
	var kept []held
	heldPtrs := map[*byte]bool{}
	reused := 0
	checksum := func(f *VideoFrame) uint32 {
		h := crc32.NewIEEE()
		for y := 0; y < f.Height; y++ {
			h.Write(f.Row(y))
		}
		return h.Sum32()
	}
	sink := &recorder{onVideo: func(f *VideoFrame) {
		ptr := unsafe.SliceData(f.Y)
		slot := (*videoSlot)(unsafe.Pointer(f)) // VideoFrame is the slot's first field
		info := new(frameInfo)
		readFrame(slot.av, info)
		if unsafe.Pointer(ptr) != unsafe.Pointer(info.data0) || f.Stride != int(info.linesize0) {
			t.Errorf("frame %d: Y at %p, its AVFrame's data[0] at %p", f.Seq, ptr, info.data0)
		}
		switch {
		case f.Seq < hold:
			if heldPtrs[ptr] {
				t.Errorf("frame %d shares a plane with a frame still held", f.Seq)
			}
			heldPtrs[ptr] = true
			kept = append(kept, held{f.Retain(), ptr, checksum(f)})
			if got := in.Outstanding(); got != len(kept) {
				t.Errorf("outstanding %d while holding %d", got, len(kept))
			}
		case f.Seq == 40:
			for _, k := range kept {
				if unsafe.SliceData(k.f.Y) != k.ptr || checksum(k.f) != k.sum {
					t.Errorf("held frame %d changed while later frames were decoded", k.f.Seq)
				}
				k.f.Release()
			}
		case f.Seq > 40 && heldPtrs[ptr]:
			reused++
		}
	}}
	if err := in.Run(ctx, sink); err != nil {
		t.Fatal(err)
	}
	if n := in.Outstanding(); n != 0 {
		t.Fatalf("%d frames outstanding after releasing all", n)
	}
	if reused == 0 {
		t.Fatalf("no plane of the released frames was reused by the decoder")
	}
	t.Logf("%d later frames reused planes of the %d released ones", reused, hold)
}

// TestReleaseAfterClose: frames may outlive their Input.
func TestReleaseAfterClose(t *testing.T) {
	ctx := context.Background()
	in, err := Open(ctx, clipTS(t), ScanConfig())
	if err != nil {
		t.Fatal(err)
	}
	var kept []*VideoFrame
	var keptAudio []*AudioFrame
	sink := &recorder{
		onVideo: func(f *VideoFrame) { kept = append(kept, f.Retain()) },
		onAudio: func(a *AudioFrame) { keptAudio = append(keptAudio, a.Retain()) },
	}
	if err := in.Run(ctx, sink); err != nil {
		t.Fatal(err)
	}
	in.Close()
	want := meanLuma(kept[len(kept)-1])
	if in.Outstanding() != len(kept)+len(keptAudio) {
		t.Fatalf("outstanding %d, holding %d", in.Outstanding(), len(kept)+len(keptAudio))
	}
	video, _ := sink.snapshot()
	if got := video[len(video)-1].meanY; got != want {
		t.Fatalf("last frame read %.2f after Close, %.2f before", want, got)
	}
	for _, f := range kept {
		f.Release()
	}
	for _, a := range keptAudio {
		a.Release()
	}
	if in.Outstanding() != 0 {
		t.Fatalf("outstanding %d after releasing all", in.Outstanding())
	}
}

// TestAllocsPerFrame: decoding allocates nothing per frame once the pools are warm.
func TestAllocsPerFrame(t *testing.T) {
	path := clip(t, "long.ts", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25",
		"-f", "lavfi", "-i", "sine=frequency=1000:sample_rate=48000", "-t", "16",
		"-c:v", "libx264", "-g", "25", "-preset", "ultrafast", "-c:a", "aac")
	const from, to = 100, 350
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	in, err := Open(ctx, path, ScanConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	var m0, m1 runtime.MemStats
	var a0, a1 uint64
	sink := sinkFuncs{
		video: func(f *VideoFrame) {
			switch f.Seq {
			case from:
				runtime.ReadMemStats(&m0)
				a0 = in.Stats().AudioFrames
			case to:
				runtime.ReadMemStats(&m1)
				a1 = in.Stats().AudioFrames
				cancel()
			}
			f.Release()
		},
		audio: func(a *AudioFrame) { a.Release() },
	}
	if err := in.Run(ctx, sink); err != context.Canceled {
		t.Fatalf("Run = %v", err)
	}
	frames := float64(to-from) + float64(a1-a0)
	perFrame := float64(m1.Mallocs-m0.Mallocs) / frames
	t.Logf("%d allocations over %d video and %d audio frames: %.3f per frame", m1.Mallocs-m0.Mallocs, to-from, a1-a0, perFrame)
	if perFrame > 0.02 {
		t.Fatalf("%.3f allocations per frame, want none", perFrame)
	}
}

// sinkFuncs adapts two functions to a Sink.
type sinkFuncs struct {
	video func(*VideoFrame)
	audio func(*AudioFrame)
}

func (s sinkFuncs) Video(f *VideoFrame) { s.video(f) }
func (s sinkFuncs) Audio(a *AudioFrame) { s.audio(a) }
