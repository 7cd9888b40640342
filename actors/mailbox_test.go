package actors

import (
	"sync"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
)

// recorder is an actor.MessageInvoker that records what a mailbox hands it and
// signals each user message on got.
type recorder struct {
	mu     sync.Mutex
	user   []any
	sys    []any
	failed []any
	got    chan struct{}
}

func (r *recorder) InvokeSystemMessage(m any) {
	r.mu.Lock()
	r.sys = append(r.sys, m)
	r.mu.Unlock()
}

func (r *recorder) InvokeUserMessage(m any) {
	if m == "panic" {
		panic("boom")
	}
	r.mu.Lock()
	r.user = append(r.user, m)
	r.mu.Unlock()
	r.got <- struct{}{}
}

func (r *recorder) EscalateFailure(reason, m any) {
	r.mu.Lock()
	r.failed = append(r.failed, m)
	r.mu.Unlock()
	r.got <- struct{}{}
}

func (r *recorder) users() []any {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]any(nil), r.user...)
}

// received waits for the message just posted and forgets it.
func received(r *recorder) {
	<-r.got
	r.mu.Lock()
	r.user = r.user[:0]
	r.mu.Unlock()
}

func wait(tb testing.TB, c chan struct{}, n int) {
	tb.Helper()
	for range n {
		select {
		case <-c:
		case <-time.After(10 * time.Second):
			tb.Fatal("message not processed")
		}
	}
}

// TestFrameMailbox checks order, suspension, panics and growth past the initial
// ring on both dispatchers vigil uses.
func TestFrameMailbox(t *testing.T) {
	for _, mode := range []Mode{Live, Scan} {
		t.Run(mode.String(), func(t *testing.T) {
			r := &recorder{got: make(chan struct{}, 1000)}
			m := newFrameMailbox()
			m.RegisterHandlers(r, detectorDispatcher(mode))
			m.Start()

			m.PostSystemMessage(&actor.SuspendMailbox{})
			const n = 3 * ringStart // grows the ring while suspended
			for i := range n {
				m.PostUserMessage(i)
			}
			if c := m.UserMessageCount(); c != n {
				t.Fatalf("%d messages waiting, want %d", c, n)
			}
			if got := r.users(); len(got) != 0 {
				t.Fatalf("suspended mailbox delivered %v", got)
			}
			m.PostSystemMessage(&actor.ResumeMailbox{})
			wait(t, r.got, n)
			got := r.users()
			for i, v := range got {
				if v != i {
					t.Fatalf("message %d is %v: out of order (%v)", i, v, got)
				}
			}
			m.PostUserMessage("panic")
			wait(t, r.got, 1)
			m.PostUserMessage(n)
			wait(t, r.got, 1)
			r.mu.Lock()
			defer r.mu.Unlock()
			if len(r.failed) != 1 || r.failed[0] != "panic" || r.user[len(r.user)-1] != n {
				t.Errorf("after a panic: failed %v, last %v", r.failed, r.user[len(r.user)-1])
			}
			if len(r.sys) != 0 {
				t.Errorf("suspend/resume reached the invoker: %v", r.sys)
			}
		})
	}
}

// TestFrameMailboxAllocs checks that posting a message to a frame mailbox and having
// it processed allocates nothing, on the goroutine dispatcher (Live) as well as the
// synchronous one (Scan). protoactor-go's default mailbox allocates once per wake-up.
func TestFrameMailboxAllocs(t *testing.T) {
	msg := &videoMsg{}
	for _, mode := range []Mode{Live, Scan} {
		t.Run(mode.String(), func(t *testing.T) {
			r := &recorder{got: make(chan struct{}, 1)}
			m := newFrameMailbox()
			m.RegisterHandlers(r, detectorDispatcher(mode))
			post := func() {
				m.PostUserMessage(msg)
				received(r)
			}
			post() // r.user's first append
			if a := testing.AllocsPerRun(1000, post); a != 0 {
				t.Errorf("%.2f allocations per message, want 0", a)
			}
			old := actor.Unbounded()()
			old.RegisterHandlers(r, detectorDispatcher(mode))
			t.Logf("protoactor-go's default mailbox: %.2f allocations per message",
				testing.AllocsPerRun(1000, func() { old.PostUserMessage(msg); received(r) }))
		})
	}
}
