package media

import (
	"errors"
	"testing"
)

func TestValidateURL(t *testing.T) {
	cases := []struct {
		name      string
		url       string
		allowFile bool
		ok        bool
		ffmpeg    string // URL handed to FFmpeg, when ok
		whitelist string
	}{
		{"http ts", "http://cdn.example.com/live/ch1.ts", false, true, "http://cdn.example.com/live/ch1.ts", "http,https,tls,tcp,crypto"},
		{"https hls", "https://cdn.example.com/live/index.m3u8", false, true, "https://cdn.example.com/live/index.m3u8", "https,http,tls,tcp,crypto"},
		{"upper-case scheme", "HTTP://example.com/a.ts", false, true, "http://example.com/a.ts", "http,https,tls,tcp,crypto"},
		{"udp multicast", "udp://239.1.1.1:1234", false, true, "udp://239.1.1.1:1234", "udp"},
		{"udp listen any", "udp://@:1234", false, true, "udp://@:1234", "udp"},
		{"udp without port", "udp://239.1.1.1", false, false, "", ""},
		{"rtp", "rtp://239.1.1.1:5004", false, true, "rtp://239.1.1.1:5004", "rtp,udp"},
		{"srt caller", "srt://10.0.0.1:9000?mode=caller", false, true, "srt://10.0.0.1:9000?mode=caller", "srt"},
		{"rtmp", "rtmp://ingest.example.com/live/key", false, true, "rtmp://ingest.example.com/live/key", "rtmp,tcp"},
		{"rtsp with credentials", "rtsp://user:pw@cam.local:554/stream1", false, true, "rtsp://user:pw@cam.local:554/stream1", "rtsp,rtp,udp,tcp"},
		{"tcp", "tcp://10.0.0.1:5000", false, true, "tcp://10.0.0.1:5000", "tcp"},
		{"tcp without port", "tcp://10.0.0.1", false, false, "", ""},
		{"http without host", "http:///a.ts", false, false, "", ""},
		{"http opaque", "http:a.ts", false, false, "", ""},
		{"file url allowed", "file:/tmp/a.ts", true, true, "file:/tmp/a.ts", "file"},
		{"file url refused", "file:///tmp/a.ts", false, false, "", ""},
		{"path allowed", "/tmp/a.ts", true, true, "file:/tmp/a.ts", "file"},
		{"relative path allowed", "clips/a.ts", true, true, "file:clips/a.ts", "file"},
		{"path with colon is a file", "./a:b.ts", true, true, "file:./a:b.ts", "file"},
		{"path refused", "/etc/passwd", false, false, "", ""},
		{"concat", "concat:/a.ts|/b.ts", true, false, "", ""},
		{"subfile", "subfile,,start,0,end,10,,:/etc/passwd", true, false, "", ""},
		{"pipe", "pipe:0", true, false, "", ""},
		{"data", "data:video/mp2t;base64,AAAA", true, false, "", ""},
		{"crypto", "crypto:http://example.com/a.ts", false, false, "", ""},
		{"hls protocol", "hls+http://example.com/a.m3u8", false, false, "", ""},
		{"ftp", "ftp://example.com/a.ts", false, false, "", ""},
		{"unknown", "gopher2://x:1", false, false, "", ""},
		{"unknown colon word", "foo:bar", true, false, "", ""},
		{"empty", "", true, false, "", ""},
		{"newline", "http://example.com/a.ts\nfile:/etc/passwd", false, false, "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := ValidateURL(tc.url, tc.allowFile)
			if tc.ok != (err == nil) {
				t.Fatalf("ValidateURL(%q, %t) = %v, want ok=%t", tc.url, tc.allowFile, err, tc.ok)
			}
			if err != nil {
				if !errors.Is(err, ErrUnsupportedURL) {
					t.Fatalf("error %v does not wrap ErrUnsupportedURL", err)
				}
				return
			}
			src, _ := parseSource(tc.url, tc.allowFile)
			if src.url != tc.ffmpeg || src.proto.whitelist != tc.whitelist {
				t.Fatalf("FFmpeg gets %q with whitelist %q, want %q with %q", src.url, src.proto.whitelist, tc.ffmpeg, tc.whitelist)
			}
		})
	}
}
