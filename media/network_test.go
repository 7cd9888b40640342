package media

import (
	"bufio"
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// stallServer serves the first n bytes of data progressively and then stalls until
// the client goes away; stalled is closed once it stops sending. n < 0 serves
// nothing at all (not even headers).
func stallServer(tb testing.TB, data []byte, n int) (url string, stalled <-chan struct{}) {
	tb.Helper()
	ch := make(chan struct{})
	var once sync.Once
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n >= 0 {
			w.Header().Set("Content-Type", "video/mp2t")
			for off := 0; off < n; off += 16 << 10 {
				w.Write(data[off:min(off+16<<10, n)])
				w.(http.Flusher).Flush()
			}
		}
		once.Do(func() { close(ch) })
		<-r.Context().Done()
	}))
	tb.Cleanup(srv.Close)
	return srv.URL + "/live.ts", ch
}

// waitBlocked waits until Run has been waiting for a packet for a while.
func waitBlocked(tb testing.TB, in *Input, stalled <-chan struct{}) time.Time {
	tb.Helper()
	select {
	case <-stalled:
	case <-time.After(10 * time.Second):
		tb.Fatal("server never stalled")
	}
	eventually(tb, 10*time.Second, "Run blocked on a read", func() bool {
		ws := in.waitStart.Load()
		return ws != 0 && time.Since(time.Unix(0, ws)) > 150*time.Millisecond
	})
	return time.Unix(0, in.waitStart.Load())
}

// TestStalledHTTP: a blocked socket read ends promptly when ctx is cancelled, when the
// no-signal watchdog fires, when the socket times out, and when the input is closed.
func TestStalledHTTP(t *testing.T) {
	data, err := os.ReadFile(clipTS(t))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name     string
		noSignal time.Duration
		timeout  time.Duration
		stop     func(cancel context.CancelFunc, in *Input)
		want     func(error) bool
		within   time.Duration // from the start of the blocked read
	}{
		{"ctx cancel", 0, 30 * time.Second,
			func(cancel context.CancelFunc, _ *Input) { cancel() },
			func(err error) bool { return errors.Is(err, context.Canceled) }, 0},
		{"close", 0, 30 * time.Second,
			func(_ context.CancelFunc, in *Input) { in.Close() },
			func(err error) bool { return errors.Is(err, ErrClosed) }, 0},
		{"no-signal watchdog", 400 * time.Millisecond, 30 * time.Second, nil,
			func(err error) bool { return errors.Is(err, ErrNoSignal) }, 400 * time.Millisecond},
		{"socket read timeout", 0, 500 * time.Millisecond, nil,
			func(err error) bool { return errors.Is(err, ErrNoSignal) }, 500 * time.Millisecond},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			url, stalled := stallServer(t, data, len(data)/2)
			cfg := DefaultConfig()
			cfg.NoSignalTimeout, cfg.ReadTimeout = tc.noSignal, tc.timeout
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			in, err := Open(ctx, url, cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer in.Close()
			rec := &recorder{}
			done := make(chan error, 1)
			go func() { done <- in.Run(ctx, rec) }()
			blocked := waitBlocked(t, in, stalled)
			var stopped time.Time
			if tc.stop != nil {
				stopped = time.Now()
				go tc.stop(cancel, in)
			} else {
				stopped = blocked.Add(tc.within)
			}
			select {
			case err := <-done:
				late := time.Since(stopped)
				if !tc.want(err) {
					t.Fatalf("Run = %v", err)
				}
				if late > 700*time.Millisecond || late < -50*time.Millisecond {
					t.Fatalf("Run returned %v after it should have", late)
				}
				t.Logf("Run = %v, %v after the deadline; %d frames before the stall", err, late.Round(time.Millisecond), in.Stats().VideoFrames)
			case <-time.After(10 * time.Second):
				t.Fatal("Run did not return")
			}
			if in.Stats().VideoFrames == 0 {
				t.Fatal("nothing decoded before the stall")
			}
		})
	}
}

// TestOpenStalled: ctx ends an open whose server never answers.
func TestOpenStalled(t *testing.T) {
	url, _ := stallServer(t, nil, -1)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	in, err := Open(ctx, url, DefaultConfig())
	if err == nil {
		in.Close()
		t.Fatal("Open succeeded")
	}
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > time.Second {
		t.Fatalf("Open = %v after %v", err, time.Since(start))
	}
}

// TestHTTPProgressive: a whole file served over HTTP decodes like the file.
func TestHTTPProgressive(t *testing.T) {
	path := clipTS(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.ServeFile(w, r, path)
	}))
	defer srv.Close()
	ctx := context.Background()
	in, err := Open(ctx, srv.URL+"/a.ts", DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	if err := in.Run(ctx, &recorder{}); err != nil {
		t.Fatal(err)
	}
	if st := in.Stats(); st.VideoFrames != 75 || st.DecodeErrors != 0 {
		t.Fatalf("stats %+v", st)
	}
}

// TestUDPJoinMidStream joins a live MPEG-TS feed sent over UDP by the ffmpeg CLI in
// the middle of a GOP: packets before the first key frame are skipped and the
// start-up errors are not counted.
func TestUDPJoinMidStream(t *testing.T) {
	port := freeUDPPort(t)
	url := "udp://127.0.0.1:" + strconv.Itoa(port)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin",
		"-re", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25",
		"-f", "lavfi", "-i", "sine=frequency=1000:sample_rate=48000", "-t", "30",
		"-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-g", "50",
		"-c:a", "aac", "-progress", "pipe:1", "-stats_period", "0.05",
		"-f", "mpegts", url+"?pkt_size=1316")
	progress, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	// Join between two keyframes (every 50 frames), after the first GOP.
	frames := make(chan int, 100)
	go func() {
		sc := bufio.NewScanner(progress)
		for sc.Scan() {
			if n, ok := strings.CutPrefix(sc.Text(), "frame="); ok {
				if v, err := strconv.Atoi(n); err == nil {
					select {
					case frames <- v:
					default:
					}
				}
			}
		}
	}()
	for n := range frames {
		if n >= 60 && n%50 >= 10 && n%50 <= 30 {
			t.Logf("joining at sender frame %d", n)
			break
		}
	}

	in, err := Open(ctx, url, DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	runCtx, stop := context.WithCancel(ctx)
	var first *videoRec
	rec := &recorder{}
	rec.onVideo = func(f *VideoFrame) {
		if first == nil {
			first = &videoRec{key: f.Key, pts: f.PTS}
		}
		if f.Seq == 60 {
			stop()
		}
	}
	if err := in.Run(runCtx, rec); !errors.Is(err, context.Canceled) {
		t.Fatalf("Run = %v", err)
	}
	st := in.Stats()
	startup := in.errs[streamVideo].startup.Load()
	t.Logf("skipped %d packets before the key frame, %d start-up errors ignored, first pts %.3f; stats %+v", st.PacketsSkipped, startup, first.pts, st)
	if st.PacketsSkipped == 0 {
		t.Fatalf("joined on a key frame: the test did not exercise a mid-GOP join")
	}
	if !first.key || st.DecodeErrors != 0 || st.VideoFrames < 60 {
		t.Fatalf("first frame key=%t, %d decode errors, %d frames", first.key, st.DecodeErrors, st.VideoFrames)
	}
}

func freeUDPPort(tb testing.TB) int {
	tb.Helper()
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port
}
