package media

import "errors"

// Sentinel errors. Errors returned by this package wrap them, so callers test with
// errors.Is.
var (
	// ErrNoSignal means the input delivered no packet for Config.NoSignalTimeout (or a
	// network read timed out): the source is gone or stalled.
	ErrNoSignal = errors.New("media: no signal")
	// ErrTooLarge means a picture is larger than Config.MaxWidth x Config.MaxHeight.
	ErrTooLarge = errors.New("media: picture too large")
	// ErrUnsupportedURL means the URL's scheme is unknown, forbidden (concat:, pipe:,
	// data:, subfile: …) or a file path where files are not allowed.
	ErrUnsupportedURL = errors.New("media: unsupported url")
	// ErrNoStreams means the input has neither a decodable video nor audio stream.
	ErrNoStreams = errors.New("media: no decodable stream")
	// ErrClosed means the Input was closed (before or during Run).
	ErrClosed = errors.New("media: input closed")
)
