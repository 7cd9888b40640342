package detect

import "github.com/vigil-monitor/vigil/media"

// Shared picture analysis.
//
// A stream's video detectors run in parallel, each in its own actor, on the same
// frames. What several of them need from a picture is derived once per frame through a
// media.Derivation and shared: the first detector to ask computes it, the others read
// it. The frame keeps the buffers for its next picture, so nothing is allocated once the
// decoder's frame pool is warm.

// analysisMaxWidth bounds the shared working picture: the luma of 1280x720 point-sampled
// every 8th pixel of every 8th row (160x90). The statistics of some ten thousand pixels
// are as good as those of a million for black, freeze and blur judgements.
const analysisMaxWidth = 160

// analysis is the data derived from one picture for the video detectors. It is
// read-only once computed.
type analysis struct {
	// pic is the luma point-sampled at most analysisMaxWidth wide.
	pic plane
}

var analysisDerivation = media.NewDerivation(func(f *media.VideoFrame, reuse any) any {
	a, _ := reuse.(*analysis)
	if a == nil {
		a = new(analysis)
	}
	a.pic.sample(f, analysisMaxWidth)
	return a
})

// analyze returns the shared analysis of f's picture, valid while the caller holds f.
func analyze(f *media.VideoFrame) *analysis {
	return f.Derived(analysisDerivation).(*analysis)
}
