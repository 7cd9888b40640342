package media

import (
	"fmt"
	"net/url"
	"strings"
)

// protocol describes how one URL scheme is opened: which FFmpeg protocols it may use
// (its protocol_whitelist; never "file" for a network scheme, so a playlist or a
// redirect cannot reach the local disk) and the name of its own socket timeout option.
type protocol struct {
	whitelist string
	// timeout is the protocol's socket timeout option in microseconds ("" when it has
	// none besides the generic rw_timeout; rtmp's "timeout" means listen and is avoided).
	timeout string
	// host and port say whether the URL must name them; udp, rtp and srt may leave the
	// host empty to listen on every address.
	host, port bool
	// options are extra demuxer/protocol options for this scheme.
	options [][2]string
}

// protocols lists the supported schemes. http and https carry progressive MPEG-TS and
// HLS (whose segments are fetched with the same whitelist; crypto for AES-128 HLS).
var protocols = map[string]protocol{
	"file":  {whitelist: "file"},
	"http":  {whitelist: "http,https,tls,tcp,crypto", timeout: "timeout", host: true},
	"https": {whitelist: "https,http,tls,tcp,crypto", timeout: "timeout", host: true},
	"udp": {whitelist: "udp", timeout: "timeout", port: true,
		options: [][2]string{{"overrun_nonfatal", "1"}, {"buffer_size", "4194304"}}},
	"rtp": {whitelist: "rtp,udp", timeout: "timeout", port: true,
		options: [][2]string{{"buffer_size", "4194304"}}},
	"srt":   {whitelist: "srt", timeout: "timeout", port: true},
	"rtmp":  {whitelist: "rtmp,tcp", host: true},
	"rtmps": {whitelist: "rtmps,rtmp,tls,tcp", host: true},
	"rtsp":  {whitelist: "rtsp,rtp,udp,tcp", timeout: "timeout", host: true},
	"rtsps": {whitelist: "rtsps,rtsp,rtp,udp,tcp,tls", timeout: "timeout", host: true},
	"tcp":   {whitelist: "tcp", timeout: "timeout", host: true, port: true},
}

// forbidden names FFmpeg protocols that could read local data or build inputs from
// other inputs; they get a specific error message.
var forbidden = map[string]bool{
	"concat": true, "concatf": true, "subfile": true, "pipe": true, "data": true,
	"fd": true, "async": true, "cache": true, "crypto": true, "unix": true, "tee": true,
	"hls": true, "gopher": true, "gophers": true, "ftp": true, "sftp": true,
	"httpproxy": true, "ffrtmphttp": true, "bluray": true, "zmq": true, "ipfs": true,
	"ipns": true, "amqp": true, "rist": true, "sctp": true, "srtp": true, "udplite": true,
	"mmsh": true, "mmst": true, "rtmpt": true, "rtmpts": true, "tls": true, "md5": true,
}

// source is a validated URL ready for FFmpeg.
type source struct {
	// url is what FFmpeg opens: the URL with a lower-case scheme, or "file:" + path.
	url    string
	scheme string
	proto  protocol
}

// file reports whether the source is a local file.
func (s source) file() bool { return s.scheme == "file" }

// ValidateURL reports whether raw is an input vigil may open: a URL whose scheme is one
// of file (only when allowFile), http, https, udp, rtp, srt, rtmp, rtmps, rtsp, rtsps
// or tcp, or (when allowFile) a plain path. The error wraps ErrUnsupportedURL. The
// admin API calls it to reject bad specs before they are placed.
func ValidateURL(raw string, allowFile bool) error {
	_, err := parseSource(raw, allowFile)
	return err
}

func parseSource(raw string, allowFile bool) (source, error) {
	bad := func(format string, args ...any) (source, error) {
		return source{}, fmt.Errorf("%w: %s", ErrUnsupportedURL, fmt.Sprintf(format, args...))
	}
	if strings.TrimSpace(raw) == "" {
		return bad("empty url")
	}
	if strings.ContainsAny(raw, "\x00\r\n\t") {
		return bad("control character in url")
	}
	scheme, rest, hasScheme := splitScheme(raw)
	if !hasScheme {
		if !allowFile {
			return bad("file path %q: files are not allowed here", raw)
		}
		return source{url: "file:" + raw, scheme: "file", proto: protocols["file"]}, nil
	}
	if forbidden[scheme] {
		return bad("scheme %q is not allowed", scheme)
	}
	p, ok := protocols[scheme]
	if !ok {
		return bad("unknown scheme %q", scheme)
	}
	if scheme == "file" {
		if !allowFile {
			return bad("file url %q: files are not allowed here", raw)
		}
		return source{url: "file:" + rest, scheme: "file", proto: p}, nil
	}
	u, err := url.Parse(scheme + ":" + rest)
	if err != nil {
		return bad("%v", err)
	}
	if u.Opaque != "" || !strings.HasPrefix(rest, "//") {
		return bad("%s url needs //host", scheme)
	}
	if p.host && u.Hostname() == "" {
		return bad("%s url needs a host", scheme)
	}
	if p.port && u.Port() == "" {
		return bad("%s url needs a port", scheme)
	}
	return source{url: scheme + ":" + rest, scheme: scheme, proto: p}, nil
}

// splitScheme splits "scheme:rest" the way FFmpeg finds a protocol name (letters,
// digits, '+', '-', '.' before the first ':' or ','), returning the scheme in lower
// case. A path without such a prefix (or with a one-letter one, as in C:\) has none.
func splitScheme(raw string) (scheme, rest string, ok bool) {
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		case ('0' <= c && c <= '9') || c == '+' || c == '-' || c == '.':
			if i == 0 {
				return "", raw, false
			}
		case (c == ':' || c == ',') && i > 1:
			// A comma ends the name too, as in FFmpeg's "subfile,,start,…:" form.
			return strings.ToLower(raw[:i]), raw[i+1:], true
		default:
			return "", raw, false
		}
	}
	return "", raw, false
}
