package media

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// TestHLS plays an HLS playlist served over HTTP on loopback, and refuses a playlist
// whose segments point at local files.
func TestHLS(t *testing.T) {
	dir := t.TempDir()
	ffmpeg(t, "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25",
		"-f", "lavfi", "-i", "sine=frequency=1000:sample_rate=48000", "-t", "3",
		"-c:v", "libx264", "-g", "25", "-preset", "ultrafast", "-c:a", "aac",
		"-f", "hls", "-hls_time", "1", "-hls_list_size", "0",
		"-hls_segment_filename", filepath.Join(dir, "seg%d.ts"), filepath.Join(dir, "index.m3u8"))
	evil := "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:3\n#EXTINF:3.0,\nfile://" + clipTS(t) + "\n#EXT-X-ENDLIST\n"
	if err := os.WriteFile(filepath.Join(dir, "evil.m3u8"), []byte(evil), 0o644); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.FileServer(http.Dir(dir)))
	defer srv.Close()

	t.Run("playlist", func(t *testing.T) {
		ctx := context.Background()
		in, err := Open(ctx, srv.URL+"/index.m3u8", DefaultConfig())
		if err != nil {
			t.Fatal(err)
		}
		defer in.Close()
		if err := in.Run(ctx, &recorder{}); err != nil {
			t.Fatal(err)
		}
		if st := in.Stats(); in.Info().Container != "hls" || st.VideoFrames != 75 || st.DecodeErrors != 0 {
			t.Fatalf("container %q, stats %+v", in.Info().Container, st)
		}
		if in.noSignal != HLSNoSignalFloor {
			t.Fatalf("no-signal timeout %v for HLS, want %v", in.noSignal, HLSNoSignalFloor)
		}
	})
	t.Run("segment on local disk", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		in, err := Open(ctx, srv.URL+"/evil.m3u8", DefaultConfig())
		if err != nil {
			t.Logf("Open refused: %v", err)
			return
		}
		defer in.Close()
		err = in.Run(ctx, &recorder{})
		if n := in.Stats().VideoFrames; n != 0 {
			t.Fatalf("decoded %d frames of a local file through a playlist", n)
		}
		t.Logf("Run = %v", err)
	})
}

// TestLiveProtocols receives a live MPEG-TS or FLV stream from an ffmpeg CLI sender
// listening on loopback, once per protocol, with that protocol's options and
// whitelist.
func TestLiveProtocols(t *testing.T) {
	cases := []struct {
		name   string
		format string
		out    func(port int) string // the sender's listening URL
		in     func(port int) string // what vigil opens
	}{
		{"tcp", "mpegts",
			func(p int) string { return "tcp://127.0.0.1:" + strconv.Itoa(p) + "?listen=1" },
			func(p int) string { return "tcp://127.0.0.1:" + strconv.Itoa(p) }},
		{"srt", "mpegts",
			func(p int) string { return "srt://127.0.0.1:" + strconv.Itoa(p) + "?mode=listener" },
			func(p int) string { return "srt://127.0.0.1:" + strconv.Itoa(p) + "?mode=caller" }},
		{"rtmp", "flv",
			func(p int) string { return "rtmp://127.0.0.1:" + strconv.Itoa(p) + "/live/test" },
			func(p int) string { return "rtmp://127.0.0.1:" + strconv.Itoa(p) + "/live/test" }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			port := freeTCPPort(t)
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			args := []string{"-hide_banner", "-loglevel", "error", "-nostdin",
				"-re", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25",
				"-f", "lavfi", "-i", "sine=frequency=1000:sample_rate=48000", "-t", "20",
				"-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-g", "25",
				"-c:a", "aac", "-f", tc.format}
			if tc.name == "rtmp" {
				args = append(args, "-listen", "1")
			}
			cmd := exec.CommandContext(ctx, "ffmpeg", append(args, tc.out(port))...)
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				cmd.Process.Kill()
				cmd.Wait()
			})
			// The sender listens once it has started; retry until it does.
			var in *Input
			for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
				openCtx, done := context.WithTimeout(ctx, 5*time.Second)
				var err error
				in, err = Open(openCtx, tc.in(port), DefaultConfig())
				done()
				if err == nil {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("sender never accepted: %v", err)
				}
			}
			defer in.Close()
			runCtx, stop := context.WithCancel(ctx)
			defer stop()
			rec := &recorder{onVideo: func(f *VideoFrame) {
				if f.Seq == 25 {
					stop()
				}
			}}
			if err := in.Run(runCtx, rec); !errors.Is(err, context.Canceled) {
				t.Fatalf("Run = %v", err)
			}
			st := in.Stats()
			if st.VideoFrames < 25 || st.AudioFrames == 0 || st.DecodeErrors != 0 {
				t.Fatalf("stats %+v", st)
			}
			t.Logf("%s: %s, %d video and %d audio frames", tc.name, in.Info().Container, st.VideoFrames, st.AudioFrames)
		})
	}
}

func freeTCPPort(tb testing.TB) int {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
