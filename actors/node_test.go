package actors

import (
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vigil-monitor/vigil/media"
	"github.com/vigil-monitor/vigil/media/detect"
)

func TestScanFindsBlackAndReleasesEverything(t *testing.T) {
	clip := blackClip(t, "8")
	n := testNode(t, ScanConfig())
	sub := n.Subscribe(0)
	if err := n.Start(StreamSpec{ID: "clip", URL: clip}); err != nil {
		t.Fatal(err)
	}
	evs := collect(t, sub, time.Minute, func(e Event) bool { return e.Kind == StateEvent && e.State == Stopped })
	var black []detect.Event
	for _, d := range defects(evs, true) {
		if d.Type == detect.Black {
			black = append(black, d)
		}
	}
	if len(black) != 1 || math.Abs(black[0].Start-2) > 0.3 || math.Abs(black[0].End-5) > 0.3 {
		t.Fatalf("black defects = %v, want one from 2 s to 5 s", black)
	}
	for _, d := range defects(evs, true) {
		if d.Type != detect.Black {
			t.Errorf("unexpected defect %v", d)
		}
	}
	st, err := n.Status("clip")
	if err != nil {
		t.Fatal(err)
	}
	if st.State != Stopped || st.Media.VideoFrames != 200 || st.LastError != "" {
		t.Errorf("status = %+v, want stopped after 200 frames without error", st)
	}
	for typ, d := range st.Dropped {
		if d != 0 {
			t.Errorf("%s dropped %d frames in scan mode", typ, d)
		}
	}
	if o := n.Outstanding(); o != 0 {
		t.Errorf("outstanding frame references after the run: %d", o)
	}
}

func TestStartRejectsBadSpecs(t *testing.T) {
	n := testNode(t, DefaultConfig())
	for _, tc := range []struct {
		name string
		spec StreamSpec
	}{
		{"empty id", StreamSpec{URL: "udp://127.0.0.1:1234"}},
		{"id with space", StreamSpec{ID: "a b", URL: "udp://127.0.0.1:1234"}},
		{"file not allowed live", StreamSpec{ID: "a", URL: "/etc/passwd"}},
		{"concat", StreamSpec{ID: "a", URL: "concat:a|b"}},
		{"unknown threshold", StreamSpec{ID: "a", URL: "udp://127.0.0.1:1234", Thresholds: map[string]float64{"black.nope": 1}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := n.Start(tc.spec)
			if !errors.Is(err, ErrInvalidSpec) {
				t.Fatalf("Start = %v, want ErrInvalidSpec", err)
			}
			if len(n.Streams()) != 0 {
				t.Fatalf("a rejected spec left a stream behind")
			}
		})
	}
	if err := n.Stop("missing"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Stop(missing) = %v, want ErrNotFound", err)
	}
}

// flakyServer serves a clip over HTTP, but answers 503 while down is set.
type flakyServer struct {
	clip string
	down atomic.Bool
	hits atomic.Int32
}

func (s *flakyServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.hits.Add(1)
	if s.down.Load() {
		http.Error(w, "down", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "video/mp2t")
	http.ServeFile(w, r, s.clip)
}

func serve(tb testing.TB, h http.Handler) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	srv := &http.Server{Handler: h}
	go srv.Serve(ln)
	tb.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String() + "/live.ts"
}

func TestLiveInputFailureRetriesWithBackoffAndReportsNoSignal(t *testing.T) {
	src := &flakyServer{clip: blackClip(t, "3")}
	src.down.Store(true)
	url := serve(t, src)
	clock := newFakeClock()
	cfg := DefaultConfig()
	cfg.Clock = clock
	n := testNode(t, cfg)
	sub := n.Subscribe(0)
	if err := n.Start(StreamSpec{ID: "flaky", URL: url, Epoch: 7}); err != nil {
		t.Fatal(err)
	}
	// First failure: no_signal opens, the stream is retrying, a restart is due in 1 s.
	evs := collect(t, sub, 30*time.Second, func(e Event) bool { return e.Kind == StateEvent && e.State == Retrying })
	if ds := defects(evs, false); len(ds) != 1 || ds[0].Type != detect.NoSignal {
		t.Fatalf("defects at first failure = %v, want one no_signal start", ds)
	}
	if st, _ := n.Status("flaky"); !strings.Contains(st.LastError, "open input") || !strings.Contains(st.LastError, "5XX") {
		t.Errorf("last error %q does not say what failed", st.LastError)
	}
	if evs[len(evs)-1].Epoch != 7 {
		t.Errorf("event epoch = %d, want 7", evs[len(evs)-1].Epoch)
	}
	wantDelays := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second}
	for i, want := range wantDelays {
		waitFor(t, fmt.Sprintf("restart %d to be scheduled", i+1), 30*time.Second, func() bool {
			return len(clock.pending()) == 1
		})
		if got := clock.pending()[0]; got != want {
			t.Fatalf("restart %d scheduled after %s, want %s", i+1, got, want)
		}
		hits := src.hits.Load()
		clock.Advance(want - time.Millisecond)
		if src.hits.Load() != hits {
			t.Fatalf("decoder restarted before its backoff elapsed")
		}
		if i == len(wantDelays)-1 {
			src.down.Store(false) // the source comes back for the last attempt
		}
		clock.Advance(time.Millisecond)
		if i < len(wantDelays)-1 {
			waitFor(t, "the restarted decoder to try again", 30*time.Second, func() bool { return src.hits.Load() > hits })
		}
	}
	// The source is back: the stream runs and no_signal ends.
	evs = collect(t, sub, 30*time.Second, func(e Event) bool {
		return e.Kind == DefectEvent && e.Defect.Type == detect.NoSignal && e.Defect.Ended
	})
	st, _ := n.Status("flaky")
	if st.Restarts < 3 || st.RunningSince.IsZero() {
		t.Errorf("status = %+v, want >= 3 restarts and a running_since", st)
	}
	// Once the input decodes, the backoff starts again from its initial delay.
	src.down.Store(true)
	waitFor(t, "the next restart after the clip ended", 30*time.Second, func() bool { return len(clock.pending()) == 1 })
	if got := clock.pending()[0]; got != time.Second {
		t.Errorf("backoff after recovery = %s, want it reset to 1s", got)
	}
}

// panicky is a video detector that panics on its third frame of every incarnation
// until it has panicked max times.
type panicky struct {
	frames int
	count  *atomic.Int32
	max    int32
	seen   *atomic.Int64
}

func (p *panicky) Type() detect.Type          { return "panicky" }
func (p *panicky) Close(float64, detect.Emit) {}
func (p *panicky) Video(f *media.VideoFrame, _ detect.Emit) {
	p.seen.Add(1)
	p.frames++
	if p.frames == 3 && p.count.Load() < p.max {
		p.count.Add(1)
		panic("detector bug")
	}
}

func TestPanickingDetectorIsRestartedAlone(t *testing.T) {
	clip := blackClip(t, "8")
	var panics atomic.Int32
	var seen atomic.Int64
	cfg := ScanConfig()
	cfg.Detectors = func(c detect.Config) ([]detect.Detector, error) {
		ds, err := detect.New(c)
		return append(ds, &panicky{count: &panics, max: 2, seen: &seen}), err
	}
	n := testNode(t, cfg)
	sub := n.Subscribe(0)
	if err := n.Start(StreamSpec{ID: "p", URL: clip}); err != nil {
		t.Fatal(err)
	}
	evs := collect(t, sub, time.Minute, func(e Event) bool { return e.Kind == StateEvent && e.State == Stopped })
	st, _ := n.Status("p")
	if st.DetectorRestarts != 2 || st.Restarts != 0 {
		t.Errorf("detector restarts = %d, decoder restarts = %d; want 2 and 0", st.DetectorRestarts, st.Restarts)
	}
	// The other detectors never noticed: black is still found.
	found := false
	for _, d := range defects(evs, true) {
		found = found || d.Type == detect.Black
	}
	if !found {
		t.Errorf("black not found while a sibling detector panicked: %v", evs)
	}
	// Every frame but the two that panicked reached the detector after its restarts.
	if got := seen.Load(); got != 200 {
		t.Errorf("panicky detector saw %d frames, want 200", got)
	}
	if o := n.Outstanding(); o != 0 {
		t.Errorf("outstanding frame references: %d", o)
	}
}

// slow is a video detector that takes 80 ms per frame.
type slow struct{ seen *atomic.Int64 }

func (s slow) Type() detect.Type          { return "slow" }
func (s slow) Close(float64, detect.Emit) {}
func (s slow) Video(*media.VideoFrame, detect.Emit) {
	s.seen.Add(1)
	time.Sleep(80 * time.Millisecond)
}

func TestSlowDetectorDropsFramesWithoutSlowingTheDecoder(t *testing.T) {
	clip := blackClip(t, "4")
	var seen atomic.Int64
	cfg := DefaultConfig()
	cfg.Media.AllowFile = true
	cfg.Detectors = func(c detect.Config) ([]detect.Detector, error) {
		ds, err := detect.New(c)
		return append(ds, slow{&seen}), err
	}
	n := testNode(t, cfg)
	if err := n.Start(StreamSpec{ID: "s", URL: clip}); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	// Live mode paces the 25 fps clip: 100 frames take about 4 s whatever the slow
	// detector does (it alone could only take ~12 frames a second).
	waitFor(t, "the clip to be decoded", 30*time.Second, func() bool {
		st, _ := n.Status("s")
		return st.Media.VideoFrames >= 100
	})
	elapsed := time.Since(start)
	st, _ := n.Status("s")
	if st.Dropped["slow"] == 0 {
		t.Errorf("slow detector dropped no frames (saw %d)", seen.Load())
	}
	// The fast detector may lose a few frames when the machine is overloaded, but
	// nothing like the slow one: its queue is its own.
	if d, slowD := st.Dropped[detect.Black], st.Dropped["slow"]; d > 5 && 4*d > slowD {
		t.Errorf("fast black detector dropped %d frames (the slow one %d)", d, slowD)
	}
	if elapsed > 8*time.Second {
		t.Errorf("decoding 4 s of live input took %s: the slow detector held it back", elapsed)
	}
}

func TestMain(m *testing.M) {
	os.Exit(m.Run())
}

// TestDefectOpenAtEndOfInputIsReported scans clips that end in the middle of a black
// picture, many at once so that detectors close while their supervisors stop: every
// stream must report the black's start and its end (at the end of the input) before
// it reports Stopped.
func TestDefectOpenAtEndOfInputIsReported(t *testing.T) {
	clip := blackClip(t, "5") // black from 2 s to the end
	n := testNode(t, ScanConfig())
	sub := n.Subscribe(0)
	const streams = 12
	for i := range streams {
		if err := n.Start(StreamSpec{ID: fmt.Sprintf("clip-%d", i), URL: clip}); err != nil {
			t.Fatal(err)
		}
	}
	stopped := map[string]bool{}
	evs := collect(t, sub, 2*time.Minute, func(e Event) bool {
		if e.Kind == StateEvent && e.State == Stopped {
			stopped[e.Stream] = true
		}
		return len(stopped) == streams
	})
	ended := map[string]int{}
	done := map[string]bool{}
	for _, e := range evs {
		switch {
		case e.Kind == StateEvent && e.State == Stopped:
			done[e.Stream] = true
		case e.Kind == DefectEvent && e.Defect.Ended && e.Defect.Type == detect.Black:
			if done[e.Stream] {
				t.Errorf("%s: black ended after the stream stopped", e.Stream)
			}
			ended[e.Stream]++
			if math.Abs(e.Defect.Start-2) > 0.3 || math.Abs(e.Defect.End-5) > 0.3 {
				t.Errorf("%s: black %.2f–%.2f s, want 2–5 s", e.Stream, e.Defect.Start, e.Defect.End)
			}
		}
	}
	for i := range streams {
		if id := fmt.Sprintf("clip-%d", i); ended[id] != 1 {
			t.Errorf("%s: %d ended black defects, want 1", id, ended[id])
		}
	}
}
