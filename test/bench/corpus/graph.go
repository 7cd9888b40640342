package corpus

import (
	"fmt"
	"strconv"
	"strings"
)

// encoders maps Clip.Codec to the ffmpeg arguments that encode it with key frames
// exactly every gop frames (no scene-cut key frames, so the ground truth knows where
// damage stops propagating).
var encoders = map[string]func(gop int) []string{
	"h264": func(gop int) []string {
		return []string{"-c:v", "libx264", "-preset", "veryfast", "-crf", "23",
			"-x264-params", fmt.Sprintf("keyint=%d:min-keyint=%d:scenecut=0", gop, gop)}
	},
	"hevc": func(gop int) []string {
		return []string{"-c:v", "libx265", "-preset", "ultrafast", "-crf", "26",
			"-x265-params", fmt.Sprintf("keyint=%d:min-keyint=%d:scenecut=0:log-level=error", gop, gop)}
	},
	"mpeg2": func(gop int) []string {
		return []string{"-c:v", "mpeg2video", "-q:v", "4", "-g", strconv.Itoa(gop), "-sc_threshold", "1000000000"}
	},
}

// audioEncoders maps Clip.AudioCodec to ffmpeg arguments.
var audioEncoders = map[string][]string{
	"aac": {"-c:a", "aac", "-b:a", "128k"},
	"mp2": {"-c:a", "mp2", "-b:a", "192k"},
}

// extensions maps Clip.Format to a file extension.
var extensions = map[string]string{"mpegts": ".ts", "mp4": ".mp4", "matroska": ".mkv"}

// Ext returns the file extension of the clip's container.
func (c Clip) Ext() string { return extensions[c.Format] }

// source returns the lavfi source filter (and modifiers) for ct at the clip's size,
// trimmed to frames frames.
func (c Clip) source(ct Content, frames int) string {
	size := fmt.Sprintf("%dx%d", c.Width, c.Height)
	if ct.Render != "" {
		size = ct.Render
	}
	var f []string
	common := fmt.Sprintf("s=%s:r=%d", size, c.FPS)
	switch ct.Source {
	case "testsrc2", "smptehdbars":
		f = append(f, ct.Source+"="+common)
	case "mandelbrot":
		f = append(f, "mandelbrot="+common)
	case "life":
		f = append(f, fmt.Sprintf("life=%s:mold=10:ratio=0.3:seed=%d:life_color=#d8c070:death_color=#302440:mold_color=#407050", common, ct.Seed))
	case "cellauto":
		f = append(f, fmt.Sprintf("cellauto=%s:rule=30:random_fill_ratio=0.5:random_seed=%d", common, ct.Seed), "format=yuv420p",
			// tint the black-and-white pattern so that dark cells are not black
			"lutyuv=y='val*0.7+40':u=110:v=150")
	case "gradients":
		speed := ct.Speed
		if speed == 0 {
			speed = 0.01
		}
		f = append(f, fmt.Sprintf("gradients=%s:speed=%g:seed=%d:n=4", common, speed, ct.Seed))
	}
	f = append(f, fmt.Sprintf("trim=end_frame=%d", frames), "setpts=PTS-STARTPTS", "format=yuv420p")
	if ct.Render != "" {
		f = append(f, fmt.Sprintf("scale=%d:%d:flags=bicubic", c.Width, c.Height))
	}
	if ct.Pan != 0 {
		f = append(f, fmt.Sprintf("scroll=h=%g", ct.Pan))
	}
	if ct.Noise > 0 {
		f = append(f, fmt.Sprintf("noise=alls=%d:allf=t", ct.Noise))
	}
	if ct.Dark {
		f = append(f, "lutyuv=y='val*0.28+12'")
	}
	return strings.Join(f, ",")
}

// videoGraph returns the filter graph of the picture, ending in the label [v].
func (c Clip) videoGraph() string {
	total := c.frame(c.Duration)
	var g strings.Builder
	if c.Cut == nil {
		g.WriteString(c.source(c.Content, total))
	} else {
		at := c.frame(c.Cut.At)
		fmt.Fprintf(&g, "%s[c0];%s[c1];[c0][c1]concat=n=2:v=1:a=0", c.source(c.Content, at), c.source(c.Cut.Content, total-at))
	}
	// Freezes repeat the first frame of the window; then black and blur are drawn.
	for i, im := range c.Impairments {
		if im.Kind != Freeze {
			continue
		}
		first, last := c.frames(im.Start, im.End)
		fmt.Fprintf(&g, ",split[fa%d][fb%d];[fa%d][fb%d]freezeframes=first=%d:last=%d:replace=%d", i, i, i, i, first, last, first)
	}
	for _, im := range c.Impairments {
		first, last := c.frames(im.Start, im.End)
		switch im.Kind {
		case Black:
			fmt.Fprintf(&g, ",drawbox=x=0:y=0:w=iw:h=ih:color=black:t=fill:enable='between(n,%d,%d)'", first, last)
		case Blur:
			fmt.Fprintf(&g, ",gblur=sigma=%g:enable='between(n,%d,%d)'", im.Param, first, last)
		}
	}
	g.WriteString(",format=yuv420p[v]")
	return g.String()
}

// baseGain is the gain in dB that brings the programme sound to about -23 LUFS
// (checked by TestProgrammeLoudness).
const baseGain = -2.2

// audioGraph returns the filter graph of the sound, ending in the label [a]: two
// tones with tremolo and some pink noise at about -23 LUFS, then the impairments.
func (c Clip) audioGraph() string {
	f := c.Tone
	var g strings.Builder
	fmt.Fprintf(&g, "sine=f=%g:r=48000,tremolo=f=0.7:d=0.6[t0];", f)
	fmt.Fprintf(&g, "sine=f=%g:r=48000,tremolo=f=1.3:d=0.5[t1];", f*1.5)
	fmt.Fprintf(&g, "anoisesrc=r=48000:c=pink:a=0.08:seed=%d[t2];", int(f))
	fmt.Fprintf(&g, "[t0][t1][t2]amix=inputs=3:normalize=0,atrim=duration=%g,asetpts=PTS-STARTPTS,volume=%gdB", c.Duration, baseGain)
	clip := false
	for _, im := range c.Impairments {
		win := fmt.Sprintf("enable='between(t,%g,%g)'", im.Start, im.End)
		switch im.Kind {
		case Silence:
			if im.Param <= -200 {
				fmt.Fprintf(&g, ",volume=volume=0:%s", win)
			} else {
				fmt.Fprintf(&g, ",volume=volume=%gdB:%s", im.Param, win)
			}
		case Clipping:
			fmt.Fprintf(&g, ",volume=volume=%gdB:%s", im.Param, win)
			clip = true
		case Loudness:
			fmt.Fprintf(&g, ",volume=volume=%gdB:%s", im.Param, win)
		}
	}
	if clip {
		g.WriteString(",asoftclip=type=hard")
	}
	for _, im := range c.Impairments {
		if im.Kind == AVOffset {
			fmt.Fprintf(&g, ",asetpts='PTS+gte(T,%g)*%g/TB'", im.Start, im.Param)
		}
	}
	g.WriteString(",aformat=sample_fmts=fltp:channel_layouts=stereo")
	if c.AudioCodec == "mp2" {
		// ffmpeg does not size the frames of a complex graph's output for the encoder.
		g.WriteString(",asetnsamples=n=1152:p=0")
	}
	g.WriteString("[a]")
	return g.String()
}

// encodeArgs returns the ffmpeg arguments that make the clip, without bitstream
// damage, into out.
func (c Clip) encodeArgs(out string) []string {
	args := []string{"-nostdin", "-hide_banner", "-v", "error", "-y",
		"-filter_complex", c.videoGraph() + ";" + c.audioGraph(),
		"-map", "[v]", "-map", "[a]", "-t", strconv.FormatFloat(c.Duration, 'f', -1, 64)}
	args = append(args, encoders[c.Codec](c.GOP)...)
	args = append(args, audioEncoders[c.AudioCodec]...)
	args = append(args, "-ar", "48000", "-ac", "2", "-f", c.Format, out)
	return args
}

// damage returns the bitstream-damaging impairment of the clip, if any.
func (c Clip) damage() (Impairment, bool) {
	for _, im := range c.Impairments {
		if im.Kind.bitstream() {
			return im, true
		}
	}
	return Impairment{}, false
}

// damageArgs returns the ffmpeg arguments that copy in to out through the noise
// bitstream filter, damaging video packets whose time stamp lies in im's window.
func (c Clip) damageArgs(im Impairment, in, out string) []string {
	win := fmt.Sprintf("between((pts-startpts)*tb\\,%g\\,%g)", im.Start, im.End-1e-3)
	var bsf string
	if im.Kind == Corrupt {
		bsf = fmt.Sprintf("noise=amount='if(%s\\,%g\\,0)'", win, im.Param)
	} else {
		bsf = fmt.Sprintf("noise=drop='if(%s\\,-%g\\,0)'", win, im.Param)
	}
	return []string{"-nostdin", "-hide_banner", "-v", "error", "-y", "-i", in,
		"-map", "0", "-c", "copy", "-bsf:v", bsf, "-f", c.Format, out}
}
