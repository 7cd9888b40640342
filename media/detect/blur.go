package detect

import (
	"math"

	"gocv.io/x/gocv"

	"github.com/vigil-monitor/vigil/media"
)

// BlurConfig configures the blur detector.
//
// Sharpness is measured with OpenCV on the luma point-sampled at most 320 pixels wide
// (blurMaxWidth: blur at full size is still blur there, at a fraction of the cost of
// filtering the whole picture; the shared 160-pixel working picture aliases fine
// detail such as single-pixel cells into noise that no blur removes), as the standard
// deviation of its Laplacian divided by the standard deviation of the picture itself:
// fine detail relative to contrast, so a change of brightness or contrast is not taken
// for blur. Sharpness changes slowly, so pictures are judged at most every 0.1 s
// (blurInterval), not every frame. A picture is blurred when its sharpness falls below
// Ratio times the stream's own recent sharpness: a baseline that rises within seconds
// when the picture gets sharper but falls only with time constant Adapt, so it does not
// follow a blurred picture down quickly. Black and flat pictures (too little contrast
// to judge: a luma standard deviation under 3 levels) neither count nor move the
// baseline; a heavy blur of fine texture brings the deviation down to about 4 levels,
// and must still be judged.
type BlurConfig struct {
	// Enabled turns the detector on (key blur.enabled).
	Enabled bool
	// EpisodeConfig: blur must last MinDuration (default 2 s) and ends after EndHold
	// (default 0.3 s) of sharp pictures.
	EpisodeConfig
	// Ratio is the fraction of the baseline sharpness below which a picture is
	// blurred (default 0.5).
	Ratio float64
	// Adapt is the time constant, in seconds, with which the baseline follows the
	// sharpness down (default 60).
	Adapt float64
	// Warmup is how many seconds of judgeable pictures the baseline needs before blur
	// is reported (default 1).
	Warmup float64
}

// DefaultBlurConfig returns the defaults documented on BlurConfig.
func DefaultBlurConfig() BlurConfig {
	return BlurConfig{
		Enabled:       true,
		EpisodeConfig: EpisodeConfig{MinDuration: 2, EndHold: 0.3},
		Ratio:         0.5,
		Adapt:         60,
		Warmup:        1,
	}
}

const (
	blurInterval = 0.1 // seconds between judged pictures
	blurUpTau    = 2.0 // seconds for the baseline to follow sharpness up
	blurMinStd   = 3.0 // luma standard deviation below which a picture is flat
	blurMaxWidth = 320 // the widest picture sharpness is measured on
)

// BlurDetector reports a loss of detail relative to the stream's own recent level.
// It holds OpenCV matrices: Close releases them, and the detector re-creates them if
// it is used again.
type BlurDetector struct {
	cfg BlurConfig

	pic       plane    // the working picture, copied into Go memory src wraps
	mats      bool     // lap, mean and std exist
	wrapped   bool     // src exists
	wrapPix   *byte    // the buffer src wraps
	src       gocv.Mat // pic, wrapped without copying
	lap       gocv.Mat // its Laplacian (16-bit)
	mean, std gocv.Mat // 1x1 results

	base      float64 // baseline sharpness
	warm      float64 // seconds of judgeable pictures seen
	last      float64 // PTS of the previous judgeable picture
	hasLast   bool
	judged    float64 // PTS of the last judged picture
	hasJudged bool

	ep episode
}

var _ VideoDetector = (*BlurDetector)(nil)

// NewBlurDetector returns a blur detector. cfg must be valid.
func NewBlurDetector(cfg BlurConfig) *BlurDetector {
	return &BlurDetector{
		cfg: cfg,
		ep:  newEpisode(Blur, Warning, cfg.EpisodeConfig, "sharpness %.2f of the stream's level"),
	}
}

// Type returns Blur.
func (d *BlurDetector) Type() Type { return Blur }

func (d *BlurDetector) open() {
	if d.mats {
		return
	}
	d.lap, d.mean, d.std = gocv.NewMat(), gocv.NewMat(), gocv.NewMat()
	d.mats = true
}

// sharpness returns the sharpness of f and its luma standard deviation.
func (d *BlurDetector) sharpness(f *media.VideoFrame) (sharp, std float64, ok bool) {
	d.pic.sample(f, blurMaxWidth)
	if d.pic.w < 3 || d.pic.h < 3 {
		return 0, 0, false
	}
	if !d.wrapped || &d.pic.pix[0] != d.wrapPix {
		if d.wrapped {
			d.src.Close()
		}
		src, err := gocv.NewMatFromBytes(d.pic.h, d.pic.w, gocv.MatTypeCV8U, d.pic.pix)
		if err != nil {
			return 0, 0, false
		}
		d.src, d.wrapped, d.wrapPix = src, true, &d.pic.pix[0]
	}
	gocv.MeanStdDev(d.src, &d.mean, &d.std)
	std = d.std.GetDoubleAt(0, 0)
	if std < blurMinStd {
		return 0, std, true
	}
	gocv.Laplacian(d.src, &d.lap, gocv.MatTypeCV16S, 1, 1, 0, gocv.BorderReflect101)
	gocv.MeanStdDev(d.lap, &d.mean, &d.std)
	return d.std.GetDoubleAt(0, 0) / std, std, true
}

// Video looks at one picture, if blurInterval has passed since the last one judged.
func (d *BlurDetector) Video(f *media.VideoFrame, emit Emit) {
	if d.hasJudged && f.PTS >= d.judged && f.PTS-d.judged < blurInterval-1e-6 {
		return
	}
	d.judged, d.hasJudged = f.PTS, true
	d.open()
	sharp, std, ok := d.sharpness(f)
	if !ok || std < blurMinStd {
		// Black or flat: no judgement, the baseline stays.
		return
	}
	dt := 0.0
	if d.hasLast {
		dt = f.PTS - d.last
		if dt < 0 || dt > 1 {
			dt = 0
		}
	}
	d.last, d.hasLast = f.PTS, true
	if d.base == 0 {
		d.base = sharp
	}
	rel := sharp / d.base
	judged := d.warm >= d.cfg.Warmup
	cond := judged && rel < d.cfg.Ratio
	d.ep.step(f.PTS, cond, 1-rel, rel, emit)

	tau := d.cfg.Adapt
	if sharp > d.base {
		tau = blurUpTau
	}
	d.base += (sharp - d.base) * math.Min(1, dt/tau)
	d.warm += dt
}

// Close ends an open blur defect at media time at, forgets the baseline and releases
// the OpenCV matrices.
func (d *BlurDetector) Close(at float64, emit Emit) {
	d.ep.close(at, emit)
	d.base, d.warm, d.hasLast, d.hasJudged = 0, 0, false, false
	if d.wrapped {
		d.src.Close()
		d.wrapped, d.wrapPix = false, nil
	}
	if d.mats {
		d.lap.Close()
		d.mean.Close()
		d.std.Close()
		d.mats = false
	}
}
