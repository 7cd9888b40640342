package detect

import (
	"bytes"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/vigil-monitor/vigil/media"
)

// testFrame returns a w x h frame with a gradient luma plane and a stride wider than
// the picture.
func testFrame(tb testing.TB, w, h int, seed byte) *media.VideoFrame {
	tb.Helper()
	stride := w + 32
	y := make([]byte, stride*h)
	for i := range y {
		y[i] = byte(i*7) + seed
	}
	return media.NewVideoFrame(w, h, stride, y, 0)
}

// derivation is a Derivation for the tests; derivations counts its computations.
var (
	derivations atomic.Int32
	derivation  = media.NewDerivation(func(f *media.VideoFrame, reuse any) any {
		derivations.Add(1)
		p, _ := reuse.(*plane)
		if p == nil {
			p = new(plane)
		}
		p.sample(f, 100)
		return p
	})
)

func TestDerivedOncePerPicture(t *testing.T) {
	f := testFrame(t, 640, 360, 1)
	var wg sync.WaitGroup
	got := make([]any, 8)
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[i] = f.Derived(derivation)
		}()
	}
	wg.Wait()
	if n := derivations.Load(); n != 1 {
		t.Fatalf("computed %d times by 8 concurrent holders, want 1", n)
	}
	for _, v := range got {
		if v != got[0] {
			t.Fatal("holders got different values")
		}
	}
	// A new picture in the same frame is derived again, in the same buffers.
	first := got[0].(*plane)
	old := append([]byte(nil), first.pix...)
	for i := range f.Y {
		f.Y[i]++
	}
	f.Init(nil)
	again := f.Derived(derivation).(*plane)
	if n := derivations.Load(); n != 2 {
		t.Fatalf("computed %d times after Init, want 2", n)
	}
	if again != first || bytes.Equal(again.pix, old) {
		t.Error("the new picture was not derived into the old value")
	}
}

func TestAnalysisIsTheSampledPicture(t *testing.T) {
	for _, size := range [][2]int{{1280, 720}, {640, 360}, {320, 180}, {150, 100}} {
		f := testFrame(t, size[0], size[1], 3)
		var want plane
		want.sample(f, analysisMaxWidth)
		a := analyze(f)
		if a.pic.w != want.w || a.pic.h != want.h || !bytes.Equal(a.pic.pix, want.pix) {
			t.Errorf("%dx%d: analysis picture %dx%d differs from the sampled %dx%d", size[0], size[1], a.pic.w, a.pic.h, want.w, want.h)
		}
		if a.pic.w > analysisMaxWidth {
			t.Errorf("%dx%d: analysis picture %d wide", size[0], size[1], a.pic.w)
		}
	}
}
