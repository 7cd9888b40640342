package actors

import (
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/asynkron/protoactor-go/actor"
)

// frameMailbox is the mailbox of the actors on the frame path (the detectors): every
// frame is one message to each of them, so posting and scheduling must not allocate.
// protoactor-go's default mailbox allocates once each time it wakes up — it hands
// the dispatcher a new method value of itself — which, with a detector that keeps up
// and so goes idle after nearly every frame, is about one allocation per detector per
// frame. frameMailbox binds its processing function once, keeps both queues in rings
// that grow only while the queue is deeper than ever before, and otherwise behaves
// like the default mailbox: system messages first, suspension by
// SuspendMailbox/ResumeMailbox, the dispatcher's throughput, panics escalated to the
// invoker. Mailbox middlewares and message batches are not supported (vigil uses
// neither).
//
// The processing goroutine is the dispatcher's: it runs while messages wait and
// returns when the mailbox is empty, as with the default mailbox, so nothing is left
// running once an actor has stopped and its mailbox drained.
type frameMailbox struct {
	mu   sync.Mutex
	user ring // guarded by mu
	sys  ring // guarded by mu

	scheduled atomic.Bool  // a processing run is scheduled or running
	userN     atomic.Int32 // messages in user
	sysN      atomic.Int32 // messages in sys
	suspended atomic.Bool

	invoker    actor.MessageInvoker
	dispatcher actor.Dispatcher
	process    func() // m.processMessages, bound once
}

var _ actor.Mailbox = (*frameMailbox)(nil)

// detectorThroughput is how many messages a detector's mailbox processes before it
// yields the processor (protoactor-go's default).
const detectorThroughput = 300

// detectorDispatcher returns the dispatcher of a node's detector actors. Live: each
// mailbox runs on a goroutine of its own while it has messages, so that a slow
// detector only fills its own queue (and drops frames there) while the decoder and the
// other detectors go on. Scan: whoever posts to an idle mailbox runs it at once — for
// frames the decoder goroutine, between two calls into FFmpeg, whose frame threads go
// on decoding meanwhile. That saves a goroutine start and a thread wake-up per
// detector and frame (a fifth of the context switches of a 720p scan) and analyses
// the picture while it is still in the cache. The decoder waits for full queues in
// Scan mode anyway, so nothing is lost but parallelism among one stream's detectors,
// which FFmpeg's threads use instead.
func detectorDispatcher(mode Mode) actor.Dispatcher {
	if mode == Scan {
		return actor.NewSynchronizedDispatcher(detectorThroughput)
	}
	return actor.NewDefaultDispatcher(detectorThroughput)
}

// ringStart is a ring's first capacity: a detector's queue depth plus its control
// messages fit without growing.
const ringStart = 16

// newFrameMailbox is an actor.MailboxProducer.
func newFrameMailbox() actor.Mailbox {
	m := &frameMailbox{user: newRing(ringStart), sys: newRing(4)}
	m.process = m.processMessages
	return m
}

// PostUserMessage implements actor.Mailbox; any goroutine may call it.
func (m *frameMailbox) PostUserMessage(msg any) {
	m.mu.Lock()
	m.user.push(msg)
	m.mu.Unlock()
	m.userN.Add(1)
	m.schedule()
}

// PostSystemMessage implements actor.Mailbox; any goroutine may call it.
func (m *frameMailbox) PostSystemMessage(msg any) {
	m.mu.Lock()
	m.sys.push(msg)
	m.mu.Unlock()
	m.sysN.Add(1)
	m.schedule()
}

// RegisterHandlers implements actor.Mailbox.
func (m *frameMailbox) RegisterHandlers(invoker actor.MessageInvoker, dispatcher actor.Dispatcher) {
	m.invoker, m.dispatcher = invoker, dispatcher
}

// Start implements actor.Mailbox.
func (m *frameMailbox) Start() {}

// UserMessageCount implements actor.Mailbox.
func (m *frameMailbox) UserMessageCount() int { return int(m.userN.Load()) }

func (m *frameMailbox) schedule() {
	if m.scheduled.CompareAndSwap(false, true) {
		m.dispatcher.Schedule(m.process)
	}
}

// processMessages runs on the dispatcher's goroutine until no message is left (or the
// mailbox is suspended with only user messages left).
func (m *frameMailbox) processMessages() {
	for {
		m.run()
		m.scheduled.Store(false)
		// A message posted after run found the queues empty saw scheduled still set
		// and did not schedule: look again.
		sys, user := m.sysN.Load(), m.userN.Load()
		if sys <= 0 && (user <= 0 || m.suspended.Load()) { // counts lag the queues a moment
			return
		}
		if !m.scheduled.CompareAndSwap(false, true) {
			return // a poster scheduled another run
		}
	}
}

// run invokes queued messages, system ones first, yielding the processor every
// Throughput messages.
func (m *frameMailbox) run() {
	var msg any
	defer func() {
		if r := recover(); r != nil {
			m.invoker.EscalateFailure(r, msg)
		}
	}()
	i, t := 0, m.dispatcher.Throughput()
	for {
		if i > t {
			i = 0
			runtime.Gosched()
		}
		i++
		if msg = m.pop(&m.sys); msg != nil {
			m.sysN.Add(-1)
			switch msg.(type) {
			case *actor.SuspendMailbox:
				m.suspended.Store(true)
			case *actor.ResumeMailbox:
				m.suspended.Store(false)
			default:
				m.invoker.InvokeSystemMessage(msg)
			}
			continue
		}
		if m.suspended.Load() {
			return
		}
		if msg = m.pop(&m.user); msg == nil {
			return
		}
		m.userN.Add(-1)
		m.invoker.InvokeUserMessage(msg)
	}
}

func (m *frameMailbox) pop(r *ring) any {
	m.mu.Lock()
	defer m.mu.Unlock()
	return r.pop()
}

// ring is a FIFO queue in a circular buffer that doubles when full. Not safe for
// concurrent use.
type ring struct {
	buf  []any
	head int // index of the oldest message
	n    int // messages queued
}

func newRing(capacity int) ring { return ring{buf: make([]any, capacity)} }

func (r *ring) push(v any) {
	if r.n == len(r.buf) {
		buf := make([]any, 2*len(r.buf))
		k := copy(buf, r.buf[r.head:])
		copy(buf[k:], r.buf[:r.head])
		r.buf, r.head = buf, 0
	}
	r.buf[(r.head+r.n)%len(r.buf)] = v
	r.n++
}

// pop removes and returns the oldest message, nil when the ring is empty.
func (r *ring) pop() any {
	if r.n == 0 {
		return nil
	}
	v := r.buf[r.head]
	r.buf[r.head] = nil // the message (and the frame it holds) is not kept alive here
	r.head = (r.head + 1) % len(r.buf)
	r.n--
	return v
}
