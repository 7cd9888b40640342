package media

import (
	"context"
	"fmt"
	"math"
	"testing"
	"time"
)

// TestLuma compares the luma delivered for clips of several pixel formats with the
// gray picture the ffmpeg CLI decodes from the same file: byte for byte where the
// decoder's own plane is handed out, within rounding where it is converted.
func TestLuma(t *testing.T) {
	const w, h = 160, 120
	src := fmt.Sprintf("testsrc2=size=%dx%d:rate=25", w, h)
	cases := []struct {
		name    string
		args    []string
		file    string
		maxDiff int     // largest allowed difference from ffmpeg's gray output
		mean    float64 // expected mean luma, <0: don't check
		full    bool    // expected FullRange
	}{
		{"black yuv420p h264", []string{"-f", "lavfi", "-i", "color=black:size=160x120:rate=25", "-t", "0.4", "-c:v", "libx264", "-pix_fmt", "yuv420p"}, "black.ts", 0, 16, false},
		{"white yuv420p h264", []string{"-f", "lavfi", "-i", "color=white:size=160x120:rate=25", "-t", "0.4", "-c:v", "libx264", "-pix_fmt", "yuv420p"}, "white.ts", 0, 235, false},
		{"testsrc yuv420p h264", []string{"-f", "lavfi", "-i", src, "-t", "0.4", "-c:v", "libx264", "-pix_fmt", "yuv420p"}, "src420.mp4", 0, -1, false},
		{"testsrc nv12 rawvideo", []string{"-f", "lavfi", "-i", src, "-t", "0.4", "-c:v", "rawvideo", "-pix_fmt", "nv12"}, "nv12.nut", 0, -1, false},
		{"testsrc yuv422p ffv1", []string{"-f", "lavfi", "-i", src, "-t", "0.4", "-c:v", "ffv1", "-pix_fmt", "yuv422p"}, "422.mkv", 0, -1, false},
		{"black yuv420p10 ffv1 (converted)", []string{"-f", "lavfi", "-i", "color=black:size=160x120:rate=25", "-t", "0.4", "-c:v", "ffv1", "-pix_fmt", "yuv420p10le"}, "black10.mkv", 1, 16, false},
		{"testsrc yuv420p10 h264 (converted)", []string{"-f", "lavfi", "-i", src, "-t", "0.4", "-c:v", "libx264", "-pix_fmt", "yuv420p10le"}, "src10.mkv", 1, -1, false},
		{"testsrc rgb24 rawvideo (converted)", []string{"-f", "lavfi", "-i", src, "-t", "0.4", "-c:v", "rawvideo", "-pix_fmt", "rgb24"}, "rgb.nut", 1, -1, true},
		{"white rgb24 rawvideo (converted)", []string{"-f", "lavfi", "-i", "color=white:size=160x120:rate=25", "-t", "0.4", "-c:v", "rawvideo", "-pix_fmt", "rgb24"}, "white-rgb.nut", 1, 255, true},
		{"black yuvj420p mjpeg", []string{"-f", "lavfi", "-i", "color=black:size=160x120:rate=25", "-t", "0.4", "-c:v", "mjpeg", "-pix_fmt", "yuvj420p"}, "black-j.mkv", 0, 0, true},
		{"testsrc yuyv422 rawvideo (converted)", []string{"-f", "lavfi", "-i", src, "-t", "0.4", "-c:v", "rawvideo", "-pix_fmt", "yuyv422"}, "yuyv.nut", 1, -1, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := clip(t, tc.file, tc.args...)
			// The 8-bit Y plane as is; converted luma at the source's levels (declaring
			// YUV input full range stops swscale from expanding it, as media does).
			filter := "extractplanes=y"
			switch {
			case tc.full && tc.maxDiff > 0:
				filter = "format=gray"
			case tc.maxDiff > 0:
				filter = "scale=in_range=pc:out_range=pc,format=gray"
			}
			want := ffmpeg(t, "-i", path, "-vf", filter, "-f", "rawvideo", "-pix_fmt", "gray", "-")
			frameSize := w * h
			if len(want) == 0 || len(want)%frameSize != 0 {
				t.Fatalf("ffmpeg gave %d bytes of gray", len(want))
			}
			n := 0
			rec := &recorder{onVideo: func(f *VideoFrame) {
				if f.Width != w || f.Height != h {
					t.Errorf("frame %d is %dx%d", f.Seq, f.Width, f.Height)
					return
				}
				if f.FullRange != tc.full {
					t.Errorf("frame %d: FullRange %t, want %t", f.Seq, f.FullRange, tc.full)
				}
				if n*frameSize >= len(want) {
					n++
					return
				}
				ref := want[n*frameSize:]
				worst := 0
				for y := 0; y < h; y++ {
					for x, b := range f.Row(y) {
						d := int(b) - int(ref[y*w+x])
						worst = max(worst, d, -d)
					}
				}
				if worst > tc.maxDiff {
					t.Errorf("frame %d: luma differs from ffmpeg's by up to %d", n, worst)
				}
				n++
			}}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			in, err := Open(ctx, path, ScanConfig())
			if err != nil {
				t.Fatal(err)
			}
			defer in.Close()
			if err := in.Run(ctx, rec); err != nil {
				t.Fatal(err)
			}
			if n != len(want)/frameSize {
				t.Fatalf("decoded %d frames, ffmpeg %d", n, len(want)/frameSize)
			}
			video, _ := rec.snapshot()
			if tc.mean >= 0 && math.Abs(video[0].meanY-tc.mean) > 1.5 {
				t.Errorf("mean luma %.1f, want %.0f", video[0].meanY, tc.mean)
			}
			t.Logf("%s (%s): %d frames, mean luma %.1f", in.Info().Video.PixelFormat, in.Info().Video.Codec, n, video[0].meanY)
		})
	}
}
