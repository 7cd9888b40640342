package synth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// liveSpec is a small live channel for tests.
var liveSpec = Spec{Width: 320, Height: 180, FPS: 25, Seed: 3}

// newChannel starts a channel and closes it when the test ends.
func newChannel(t testing.TB, cfg LiveConfig) *Channel {
	t.Helper()
	c, err := NewChannel(cfg)
	if err != nil {
		t.Fatalf("NewChannel: %v", err)
	}
	t.Cleanup(func() {
		if err := c.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return c
}

// serve serves channels on a loopback port and returns the base URL. wrap, if set,
// wraps the listener. Channels close before the server, so streaming handlers end.
func serve(t testing.TB, wrap func(net.Listener) net.Listener, channels ...*Channel) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if wrap != nil {
		ln = wrap(ln)
	}
	srv := &http.Server{Handler: NewServer(channels)}
	done := make(chan struct{})
	go func() {
		defer close(done)
		srv.Serve(ln) //nolint:errcheck // ends with ErrServerClosed
	}()
	t.Cleanup(func() {
		srv.Close()
		<-done
	})
	for _, c := range channels {
		t.Cleanup(func() { c.Close() }) // runs before the server closes
	}
	return "http://" + ln.Addr().String()
}

// TestLiveTwoClients decodes a live channel with two ffmpeg processes at once: both
// join at a key frame and decode without a single error, and the encoder runs once.
func TestLiveTwoClients(t *testing.T) {
	c := newChannel(t, LiveConfig{Spec: liveSpec})
	base := serve(t, nil, c)
	url := base + "/ch/0.ts"

	var wg sync.WaitGroup
	logs := make([]string, 2)
	errs := make([]error, 2)
	for i := range logs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			var stderr bytes.Buffer
			// A short probe: FFmpeg's default reads 5 s of a live input first.
			cmd := exec.CommandContext(ctx, "ffmpeg", "-v", "error", "-analyzeduration", "500000", "-i", url, "-t", "2", "-f", "null", "-")
			cmd.Stderr = &stderr
			errs[i] = cmd.Run()
			logs[i] = stderr.String()
		}()
	}
	eventually(t, 20*time.Second, "two clients connected", func() bool { return c.Clients() == 2 })
	wg.Wait()
	for i := range logs {
		if errs[i] != nil || logs[i] != "" {
			t.Errorf("client %d: %v\n%s", i, errs[i], logs[i])
		}
	}
	eventually(t, 10*time.Second, "clients gone", func() bool { return c.Clients() == 0 })

	var p probe
	out, _ := runTool(t, "ffprobe", "-v", "error", "-analyzeduration", "500000", "-of", "json", "-show_streams", "-show_format", url)
	if err := json.Unmarshal([]byte(out), &p); err != nil {
		t.Fatalf("ffprobe json: %v", err)
	}
	if len(p.Streams) != 2 || p.Streams[0].CodecName != "h264" || p.Streams[0].Width != 320 || p.Streams[1].CodecName != "aac" {
		t.Errorf("ffprobe streams %+v, want h264 320x180 and aac", p.Streams)
	}
	if p.Format.FormatName != "mpegts" {
		t.Errorf("format %q, want mpegts", p.Format.FormatName)
	}
}

// reader reads an HTTP stream in the background, recording every chunk's arrival.
type reader struct {
	resp *http.Response
	mu   sync.Mutex
	buf  bytes.Buffer
	last time.Time       // arrival of the latest chunk
	gaps []time.Duration // pauses between chunks longer than 500 ms
	err  error           // why reading ended
	done chan struct{}
}

func startReader(t testing.TB, url string) *reader {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	r := &reader{resp: resp, done: make(chan struct{}), last: time.Now()}
	go func() {
		defer close(r.done)
		b := make([]byte, 32<<10)
		for {
			n, err := resp.Body.Read(b)
			now := time.Now()
			r.mu.Lock()
			if n > 0 {
				if gap := now.Sub(r.last); gap > 500*time.Millisecond {
					r.gaps = append(r.gaps, gap)
				}
				r.last = now
				r.buf.Write(b[:n])
			}
			if err != nil {
				r.err = err
				r.mu.Unlock()
				return
			}
			r.mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		resp.Body.Close()
		<-r.done
	})
	return r
}

func (r *reader) size() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.buf.Len()
}

func (r *reader) gapsSoFar() []time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]time.Duration(nil), r.gaps...)
}

func post(t testing.TB, url string) int {
	t.Helper()
	resp, err := http.Post(url, "", nil)
	if err != nil {
		t.Fatalf("POST %s: %v", url, err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestLiveStallAndReset injects a stall (the connection stays open, nothing arrives,
// then the stream resumes decodably) and a reset (the connection is cut; a new one
// works).
func TestLiveStallAndReset(t *testing.T) {
	c := newChannel(t, LiveConfig{Spec: liveSpec})
	base := serve(t, nil, c)
	r := startReader(t, base+"/ch/0.ts")
	eventually(t, 10*time.Second, "first bytes", func() bool { return r.size() > 20_000 })

	if code := post(t, base+"/ch/0/stall?seconds=1.5"); code != http.StatusNoContent {
		t.Fatalf("stall: status %d", code)
	}
	stalledAt := r.size()
	eventually(t, 10*time.Second, "stream resumes after the stall", func() bool { return r.size() > stalledAt+20_000 })
	gaps := r.gapsSoFar()
	if len(gaps) != 1 || gaps[0] < 1300*time.Millisecond || gaps[0] > 4*time.Second {
		t.Errorf("pauses %v, want one of about 1.5 s (up to a key frame interval more)", gaps)
	}

	if code := post(t, base+"/ch/0/reset"); code != http.StatusNoContent {
		t.Fatalf("reset: status %d", code)
	}
	select {
	case <-r.done:
	case <-time.After(5 * time.Second):
		t.Fatal("connection still open 5 s after reset")
	}
	if r.err == nil || errors.Is(r.err, io.EOF) {
		t.Errorf("read ended with %v, want an abrupt cut (not a clean end)", r.err)
	}

	// What arrived, stall and all, decodes: the stream resumed at a key frame.
	path := filepath.Join(t.TempDir(), "capture.ts")
	if err := os.WriteFile(path, r.buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, log := runTool(t, "ffmpeg", "-v", "error", "-i", path, "-f", "null", "-"); log != "" {
		t.Errorf("capture across the stall decodes with errors:\n%s", log)
	}

	r2 := startReader(t, base+"/ch/0.ts")
	eventually(t, 10*time.Second, "bytes after reconnecting", func() bool { return r2.size() > 10_000 })
}

// slowListener gives accepted connections a small send buffer, so that a client
// that stops reading blocks the server within a few kilobytes.
type slowListener struct{ net.Listener }

func (l slowListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetWriteBuffer(4096) //nolint:errcheck // best effort
	}
	return c, err
}

// TestLiveSlowClientDropped checks that a client that stops reading is cut off while
// another one keeps receiving.
func TestLiveSlowClientDropped(t *testing.T) {
	c := newChannel(t, LiveConfig{Spec: liveSpec, ClientBuffer: 32})
	base := serve(t, func(l net.Listener) net.Listener { return slowListener{l} }, c)
	fast := startReader(t, base+"/ch/0.ts")

	// A small receive buffer, set before connecting so the TCP window stays small.
	d := net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
		return rc.Control(func(fd uintptr) {
			syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) //nolint:errcheck // best effort
		})
	}}
	conn, err := d.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "GET /ch/0.ts HTTP/1.1\r\nHost: test\r\n\r\n")

	eventually(t, 10*time.Second, "both clients connected", func() bool { return c.Clients() == 2 })
	eventually(t, 30*time.Second, "slow client dropped", func() bool { return c.Clients() == 1 })
	before := fast.size()
	eventually(t, 10*time.Second, "fast client still receiving", func() bool { return fast.size() > before+20_000 })

	// The slow client's connection was cut: after what was buffered, it ends.
	conn.SetReadDeadline(time.Now().Add(10 * time.Second)) //nolint:errcheck // checked by the read below
	_, err = io.Copy(io.Discard, conn)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Errorf("slow client's connection still open: %v", err)
	}
}

// TestLivePacedByClock drives a channel with a fake clock: it encodes only as the
// clock advances, and a stall ends when the clock says so, at a key frame (the first
// packet after it is a PAT).
func TestLivePacedByClock(t *testing.T) {
	clock := newFakeClock()
	c := newChannel(t, LiveConfig{Spec: liveSpec, Clock: clock})
	cl := c.Subscribe()
	defer cl.Close()
	idle := idleAt(c, clock)
	eventually(t, 10*time.Second, "first frame encoded, encoder waiting", idle(0))
	clock.Advance(time.Second)
	eventually(t, 10*time.Second, "one second encoded", idle(1))
	drain(cl)
	// The client subscribed just after the first frame, so it began at the first or
	// the second key frame.
	if start, ok := cl.Start(); !ok || (start != 0 && start != 1) {
		t.Errorf("client start %v %v, want 0 or 1, true", start, ok)
	}

	c.Stall(2 * time.Second)
	for i := 1; i <= 10; i++ {
		clock.Advance(180 * time.Millisecond)
		eventually(t, 10*time.Second, "encoding during the stall", idle(1+0.18*float64(i)))
		if n := drain(cl); n != 0 {
			t.Fatalf("%d bytes arrived %v into a 2 s stall", n, time.Duration(i)*180*time.Millisecond)
		}
	}
	if !c.Stalled() {
		t.Error("not stalled 1.8 s into a 2 s stall")
	}
	clock.Advance(1200 * time.Millisecond) // past the stall and the next key frame at 4 s
	eventually(t, 10*time.Second, "encoding after the stall", idle(4))
	var got []byte
	for len(cl.Chunks()) > 0 {
		got = append(got, <-cl.Chunks()...)
	}
	// The muxer repeats its tables (an SDT may come first) before every key frame.
	if !startsWithPAT(got) {
		t.Fatalf("stream resumed with % x..., want a PAT among the first packets", got[:min(len(got), 8)])
	}
	if cl.Err() != nil {
		t.Errorf("client error %v", cl.Err())
	}
}

// drain empties a client's queue and returns how many bytes were in it.
func drain(cl *Client) int {
	n := 0
	for len(cl.Chunks()) > 0 {
		n += len(<-cl.Chunks())
	}
	return n
}

// TestLiveTruth records a live channel with a short black-only schedule and checks
// the black FFmpeg finds against the channel's truth, mapped through X-Synth-Start.
func TestLiveTruth(t *testing.T) {
	c := newChannel(t, LiveConfig{Spec: liveSpec, Schedule: Schedule{Kinds: []Kind{Black}, Slot: 4.5, Lead: 1, Length: 2.5}})
	base := serve(t, nil, c)
	r := startReader(t, base+"/ch/0.ts")
	start, err := strconv.ParseFloat(r.resp.Header.Get("X-Synth-Start"), 64)
	if err != nil {
		t.Fatalf("X-Synth-Start: %v", err)
	}
	if start != float64(int(start)) {
		t.Errorf("stream starts at %v, not on a key frame (every second)", start)
	}
	eventually(t, 20*time.Second, "6 s recorded", func() bool { return c.Position() > start+6.5 })
	path := filepath.Join(t.TempDir(), "capture.ts")
	r.mu.Lock()
	err = os.WriteFile(path, r.buf.Bytes(), 0o644)
	r.mu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	found := spans(ffmpegFilter(t, path, "blackdetect=d=1", ""), blackStart, blackEnd)
	var want []Truth
	for _, tr := range c.Truths(start, start+6) {
		if tr.Start >= start && tr.End <= start+6 {
			want = append(want, tr)
		}
	}
	if len(want) == 0 {
		t.Fatalf("no complete black window in [%v, %v): %+v", start, start+6, c.Truths(start, start+6))
	}
	for _, w := range want {
		ok := false
		for _, f := range found {
			ok = ok || (near(f.start+start, w.Start, 0.15) && near(f.end+start, w.End, 0.15))
		}
		if !ok {
			t.Errorf("truth %+v not among FFmpeg's black spans %v (offset by start %v)", w, found, start)
		}
	}
}

// TestServerRequests checks the status document and the answers to bad requests.
func TestServerRequests(t *testing.T) {
	c := newChannel(t, LiveConfig{Spec: liveSpec})
	base := serve(t, nil, c)
	eventually(t, 10*time.Second, "encoding", func() bool { return c.Position() > 0 })

	resp, err := http.Get(base + "/")
	if err != nil {
		t.Fatal(err)
	}
	var st Status
	err = json.NewDecoder(resp.Body).Decode(&st)
	resp.Body.Close()
	if err != nil {
		t.Fatalf("status JSON: %v", err)
	}
	if len(st.Channels) != 1 {
		t.Fatalf("%d channels in status, want 1", len(st.Channels))
	}
	ch := st.Channels[0]
	if ch.URL != "/ch/0.ts" || ch.Width != 320 || ch.GOP != 25 || len(ch.Schedule.Kinds) != len(Kinds) ||
		len(ch.Impairments) < len(Kinds) || len(ch.Truth) < len(Kinds) {
		t.Errorf("status %+v: want channel 0 with the default schedule, a cycle of impairments and truth", ch)
	}

	cases := []struct {
		method, path string
		want         int
	}{
		{"GET", "/ch/1.ts", http.StatusNotFound},
		{"GET", "/ch/x.ts", http.StatusNotFound},
		{"GET", "/ch/00.ts", http.StatusNotFound},
		{"GET", "/ch/0.mp4", http.StatusNotFound},
		{"GET", "/nothing", http.StatusNotFound},
		{"POST", "/ch/0/stall", http.StatusBadRequest},
		{"POST", "/ch/0/stall?seconds=-1", http.StatusBadRequest},
		{"POST", "/ch/0/stall?seconds=abc", http.StatusBadRequest},
		{"GET", "/ch/0/stall?seconds=1", http.StatusMethodNotAllowed},
		{"POST", "/ch/7/reset", http.StatusNotFound},
		{"POST", "/ch/0/reset", http.StatusNoContent},
	}
	for _, tc := range cases {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			req, _ := http.NewRequest(tc.method, base+tc.path, nil)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.want {
				t.Errorf("status %d, want %d", resp.StatusCode, tc.want)
			}
		})
	}
}

func TestNewChannelErrors(t *testing.T) {
	cases := []struct {
		name string
		cfg  LiveConfig
	}{
		{"mp4", LiveConfig{Spec: Spec{Format: "mp4"}}},
		{"bad size", LiveConfig{Spec: Spec{Width: 99}}},
		{"slot too short", LiveConfig{Schedule: Schedule{Slot: 5, Lead: 1, Length: 6}}},
		{"no room after the impairment", LiveConfig{Schedule: Schedule{Slot: 7, Lead: 1, Length: 5.5}}},
		{"unknown kind", LiveConfig{Schedule: Schedule{Kinds: []Kind{"smear"}}}},
		{"bad param", LiveConfig{Schedule: Schedule{Params: map[Kind]float64{Corruption: 3}}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if c, err := NewChannel(tc.cfg); !errors.Is(err, ErrSpec) {
				if c != nil {
					c.Close()
				}
				t.Errorf("NewChannel: %v, want ErrSpec", err)
			}
		})
	}
}

// TestLiveGOPCache checks that a client subscribing mid-GOP gets the bytes since the
// last key frame at once (starting with the tables before it), that they are the
// same bytes an earlier client got, and that during a stall a new client gets
// nothing until the key frame after it.
func TestLiveGOPCache(t *testing.T) {
	clock := newFakeClock()
	c := newChannel(t, LiveConfig{Spec: liveSpec, Clock: clock})
	early := c.Subscribe()
	defer early.Close()
	idle := idleAt(c, clock)
	eventually(t, 10*time.Second, "first frame encoded", idle(0))
	var all []byte
	take := func(cl *Client) (b []byte) {
		for len(cl.Chunks()) > 0 {
			b = append(b, <-cl.Chunks()...)
		}
		return b
	}
	for i := 1; i <= 8; i++ { // to 1.6 s, past the key frame at 1 s
		clock.Advance(200 * time.Millisecond)
		eventually(t, 10*time.Second, "encoding", idle(0.2*float64(i)))
		all = append(all, take(early)...)
	}

	late := c.Subscribe()
	defer late.Close()
	if start, ok := late.Start(); !ok || start != 1 {
		t.Fatalf("late client start %v %v, want 1 (the last key frame) at once", start, ok)
	}
	got := take(late)
	if len(got) == 0 || !bytes.HasSuffix(all, got) {
		t.Fatalf("late client got %d bytes, want a non-empty suffix of the %d the early client got", len(got), len(all))
	}
	if len(got) > len(all)/2 {
		t.Errorf("late client got %d of %d bytes: more than the GOP since 1 s", len(got), len(all))
	}
	if !startsWithPAT(got) {
		t.Errorf("cached GOP starts with % x..., want a PAT among the first packets", got[:min(len(got), 8)])
	}

	c.Stall(time.Second)
	during := c.Subscribe()
	defer during.Close()
	if _, ok := during.Start(); ok || len(during.Chunks()) != 0 {
		t.Fatal("a client subscribing during a stall got the cached GOP")
	}
	for i := 1; i <= 10; i++ { // the key frame at 2 s comes during the stall, which ends at 2.6 s
		clock.Advance(100 * time.Millisecond)
		eventually(t, 10*time.Second, "encoding", idle(1.6+0.1*float64(i)))
	}
	if _, ok := during.Start(); ok {
		t.Error("a client began before the first key frame after the stall")
	}
	clock.Advance(600 * time.Millisecond)
	eventually(t, 10*time.Second, "encoding past the key frame at 3 s", idle(3.2))
	if start, ok := during.Start(); !ok || start != 3 {
		t.Errorf("client subscribed during the stall starts at %v %v, want 3", start, ok)
	}
}

// idleAt returns a condition factory for a channel driven by clock: idle(at) holds once
// the encoder has made every frame due by clock time at (from the start, at 25 fps)
// and waits for the next one.
func idleAt(c *Channel, clock *fakeClock) func(at float64) func() bool {
	return func(at float64) func() bool {
		frames := math.Floor(at*25+1e-9) + 1
		return func() bool { return clock.Waiting() == 1 && near(c.Position(), frames/25, 1e-9) }
	}
}

// startsWithPAT reports whether a PAT is among the first four MPEG-TS packets of b.
func startsWithPAT(b []byte) bool {
	for i := 0; i+188 <= len(b) && i < 4*188; i += 188 {
		if b[i] == 0x47 && int(b[i+1]&0x1f)<<8|int(b[i+2]) == 0 {
			return true
		}
	}
	return false
}
