package media

import "time"

// Info describes an opened input, as probed by Open.
type Info struct {
	// Container is FFmpeg's demuxer name, e.g. "mpegts", "hls", "mov,mp4,m4a,3gp,3g2,mj2".
	Container string
	// Duration is the input's length, 0 when unknown (live inputs).
	Duration time.Duration
	// Video is the decoded video stream, nil when the input has none.
	Video *VideoInfo
	// Audio is the decoded audio stream, nil when the input has none.
	Audio *AudioInfo
}

// VideoInfo describes the decoded video stream.
type VideoInfo struct {
	// Codec is FFmpeg's codec name, e.g. "h264".
	Codec string
	// Width and Height are the coded picture size announced by the stream.
	Width, Height int
	// FrameRate is the nominal frame rate in frames per second, 0 when unknown.
	FrameRate float64
	// PixelFormat is FFmpeg's pixel format name, e.g. "yuv420p".
	PixelFormat string
}

// AudioInfo describes the decoded audio stream.
type AudioInfo struct {
	// Codec is FFmpeg's codec name, e.g. "aac".
	Codec string
	// SampleRate is in Hz.
	SampleRate int
	// Channels is the number of channels.
	Channels int
}

// clone returns a copy that shares nothing with i.
func (i Info) clone() Info {
	if i.Video != nil {
		v := *i.Video
		i.Video = &v
	}
	if i.Audio != nil {
		a := *i.Audio
		i.Audio = &a
	}
	return i
}
