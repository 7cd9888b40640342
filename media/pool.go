package media

import (
	"sync"
	"sync/atomic"

	"github.com/asticode/go-astiav"
)

// maxIdle bounds how many released frames a pool keeps for reuse; more are freed.
const maxIdle = 64

// videoSlot is a pooled VideoFrame with the AVFrame that owns its planes. For a
// decoded picture the AVFrame holds a reference to the decoder's buffer (no copy); for a
// converted one it owns a GRAY8 buffer that is kept across reuses.
type videoSlot struct {
	frame VideoFrame
	av    *astiav.Frame
	pool  *videoPool
	done  func() // slot.put, bound once so Init does not allocate per frame
}

// videoPool recycles videoSlots. get is called by the decoder loop; put runs from
// VideoFrame.Release on any goroutine, also after the Input was closed.
type videoPool struct {
	// keep makes released slots keep their buffer (conversion output) instead of
	// returning it to the decoder.
	keep        bool
	mu          sync.Mutex
	idle        []*videoSlot
	closed      bool
	outstanding *atomic.Int64
}

func newVideoPool(keep bool, outstanding *atomic.Int64) *videoPool {
	return &videoPool{keep: keep, outstanding: outstanding, idle: make([]*videoSlot, 0, maxIdle)}
}

func (p *videoPool) get() *videoSlot {
	p.mu.Lock()
	var s *videoSlot
	if n := len(p.idle); n > 0 {
		s = p.idle[n-1]
		p.idle = p.idle[:n-1]
	}
	p.mu.Unlock()
	if s == nil {
		s = &videoSlot{av: astiav.AllocFrame(), pool: p}
		s.done = s.put
	}
	p.outstanding.Add(1)
	return s
}

func (s *videoSlot) put() {
	p := s.pool
	s.frame.Y = nil
	if !p.keep {
		s.av.Unref() // the planes go back to the decoder's buffer pool
	}
	p.mu.Lock()
	if p.closed || len(p.idle) >= maxIdle {
		p.mu.Unlock()
		s.av.Free()
	} else {
		p.idle = append(p.idle, s)
		p.mu.Unlock()
	}
	p.outstanding.Add(-1)
}

// close frees the idle slots; slots still held are freed when released.
func (p *videoPool) close() {
	p.mu.Lock()
	idle := p.idle
	p.idle, p.closed = nil, true
	p.mu.Unlock()
	for _, s := range idle {
		s.av.Free()
	}
}

// audioSlot is a pooled AudioFrame with its Go-owned sample buffer.
type audioSlot struct {
	frame AudioFrame
	buf   []float32
	pool  *audioPool
	done  func()
}

// audioPool recycles audioSlots; buffers only grow.
type audioPool struct {
	mu          sync.Mutex
	idle        []*audioSlot
	outstanding *atomic.Int64
}

func newAudioPool(outstanding *atomic.Int64) *audioPool {
	return &audioPool{outstanding: outstanding, idle: make([]*audioSlot, 0, maxIdle)}
}

// get returns a slot whose buffer holds at least n samples.
func (p *audioPool) get(n int) *audioSlot {
	p.mu.Lock()
	var s *audioSlot
	if k := len(p.idle); k > 0 {
		s = p.idle[k-1]
		p.idle = p.idle[:k-1]
	}
	p.mu.Unlock()
	if s == nil {
		s = &audioSlot{pool: p}
		s.done = s.put
	}
	if cap(s.buf) < n {
		s.buf = make([]float32, n)
	}
	p.outstanding.Add(1)
	return s
}

func (s *audioSlot) put() {
	p := s.pool
	s.frame.Samples = nil
	p.mu.Lock()
	if len(p.idle) < maxIdle {
		p.idle = append(p.idle, s)
	}
	p.mu.Unlock()
	p.outstanding.Add(-1)
}
