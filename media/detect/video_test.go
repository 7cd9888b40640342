package detect

import "testing"

const (
	testsrc2 = "testsrc2=s={W}x{H}:r={R}:d={D}"
	noisy    = "testsrc2=s={W}x{H}:r={R}:d={D},noise=alls=30:allf=t+u"
	// slowPan is a still picture with grain, panning one pixel every 6 frames.
	slowPan = "mandelbrot=s=960x540:r={R},trim=end_frame=1,loop=loop=-1:size=1,setpts=N/{R}/TB,crop=640:360:'floor(t*4)':0,noise=alls=8:allf=t"
)

func TestBlackConformance(t *testing.T) {
	runConformance(t, []conformanceCase{
		{name: "clean", clip: clip{video: testsrc2}},
		{name: "black 3-6s", clip: clip{video: testsrc2 + ",drawbox=t=fill:c=black:enable='between(t,3,6)'"},
			want: []truth{{typ: Black, start: 3, end: 6.04}}},
		{name: "0.4s flash is not black", clip: clip{video: testsrc2 + ",drawbox=t=fill:c=black:enable='between(t,3,3.4)'"}},
		{name: "dark scene is not black", clip: clip{video: testsrc2 + ",lutyuv=y=val*0.15"}},
	})
}

func TestFreezeConformance(t *testing.T) {
	freeze := ",split[a][b];[a][b]freezeframes=first=75:last=150:replace=74"
	runConformance(t, []conformanceCase{
		{name: "freeze 3-6s", clip: clip{video: testsrc2 + freeze},
			want: []truth{{typ: Freeze, start: 2.96, end: 6.04}}},
		{name: "freeze after noisy content", clip: clip{video: noisy + freeze, vopts: []string{"-b:v", "1M"}},
			want: []truth{{typ: Freeze, start: 2.96, end: 6.04}}},
		{name: "freeze right after a scene cut",
			clip: clip{video: "mandelbrot=s={W}x{H}:r={R}[m];" + testsrc2 + "[s];[s][m]overlay=enable='gte(t,3)',split[a][b];[a][b]freezeframes=first=76:last=150:replace=75"},
			want: []truth{{typ: Freeze, start: 3.0, end: 6.04}}},
		{name: "slowly moving still is not frozen",
			clip: clip{video: "mandelbrot=s=640x480:r={R},trim=end_frame=1,loop=loop=-1:size=1,setpts=N/{R}/TB,crop=320:240:'t*4':'t*2'"}},
		// The shift fit that keeps a blurred pan moving (TestSynthBlurredPanIsNotFrozen)
		// must find no motion in the frozen blurred picture the encoder re-codes.
		{name: "freeze of a blurred slow pan",
			clip: clip{video: slowPan + ",gblur=sigma=6" + freeze},
			want: []truth{{typ: Freeze, start: 2.96, end: 6.04}}},
	})
}

func TestBlockinessConformance(t *testing.T) {
	runConformance(t, []conformanceCase{
		{name: "bit errors 3.0-3.5s", clip: clip{video: testsrc2, bsf: "noise=amount=2000*between(n\\,75\\,88)"},
			want: []truth{{typ: Blockiness, start: 3.0, end: 4.0}, {typ: DecodeError, start: 3.0, end: 3.5}}},
		{name: "lost frames at 3.0s", clip: clip{video: testsrc2, bsf: "noise=drop=between(n\\,75\\,76)"},
			want: []truth{{typ: Blockiness, start: 3.0, end: 4.0}, {typ: DecodeError, start: 3.0, end: 3.5}}},
		{name: "sharp synthetic testsrc", clip: clip{video: "testsrc=s={W}x{H}:r={R}:d={D}"}},
		{name: "smpte bars are frozen, not blocky", clip: clip{video: "smptehdbars=s={W}x{H}:r={R}:d={D}"},
			want: []truth{{typ: Freeze, start: 0, end: 8}}},
		{name: "clean mandelbrot", clip: clip{video: "mandelbrot=s={W}x{H}:r={R}"}},
		{name: "clean life", clip: clip{video: "life=s={W}x{H}:r={R}:mold=10:ratio=0.1:life_color=#00ff00:death_color=#aa0000"}},
	})
}

func TestBlurConformance(t *testing.T) {
	runConformance(t, []conformanceCase{
		{name: "blur 3-6s", clip: clip{video: testsrc2 + ",gblur=sigma=4:enable='between(t,3,6)'"},
			want: []truth{{typ: Blur, start: 3, end: 6.04}}},
		{name: "mandelbrot blur 3-6s", clip: clip{video: "mandelbrot=s={W}x{H}:r={R},gblur=sigma=3:enable='between(t,3,6)'"},
			want: []truth{{typ: Blur, start: 3, end: 6.04}}},
		// Single-pixel cells: point-sampled to 160 pixels they alias into noise, and
		// blurred they lose most of their contrast (luma deviation ~4 levels).
		{name: "fine texture (life) blur 3-6s", clip: clip{video: "life=s={W}x{H}:r={R}:mold=10:ratio=0.3:seed=3:life_color=#d8c070:death_color=#302440:mold_color=#407050,gblur=sigma=4:enable='between(t,3,6)'"},
			want: []truth{{typ: Blur, start: 3, end: 6.04}}},
		{name: "clean fine texture (life)", clip: clip{video: "life=s={W}x{H}:r={R}:mold=10:ratio=0.3:seed=3:life_color=#d8c070:death_color=#302440:mold_color=#407050"}},
	})
}
