package synth

import (
	"bytes"
	"errors"
	"sync"
	"time"

	"github.com/vigil-monitor/vigil/media"
)

// Why a Client stopped receiving.
var (
	// ErrSlow: the client fell more than LiveConfig.ClientBuffer chunks behind.
	ErrSlow = errors.New("synth: client too slow, dropped")
	// ErrReset: the channel's connections were reset (fault injection).
	ErrReset = errors.New("synth: channel reset")
	// ErrClosed: the channel was closed or its encoder stopped.
	ErrClosed = errors.New("synth: channel closed")
)

// Client receives one live channel's MPEG-TS bytes from the last key frame before it
// subscribed (see hub). Its methods are safe for concurrent use.
type Client struct {
	h     *hub
	ch    chan []byte
	gone  chan struct{}
	err   error   // why gone was closed; guarded by h.mu
	live  bool    // receiving (not waiting for a key frame); guarded by h.mu
	start float64 // media time of the first key frame sent; guarded by h.mu
	began bool    // start is set; guarded by h.mu
}

// Chunks returns the channel the stream's bytes arrive on, in order. The slices are
// the client's to keep. It is never closed: stop reading when Done is closed.
func (c *Client) Chunks() <-chan []byte { return c.ch }

// Done is closed when the client stops receiving (see Err).
func (c *Client) Done() <-chan struct{} { return c.gone }

// Err returns why the client stopped (ErrSlow, ErrReset or ErrClosed), or nil while
// it is receiving.
func (c *Client) Err() error {
	c.h.mu.Lock()
	defer c.h.mu.Unlock()
	return c.err
}

// Start returns the channel media time of the key frame the client's stream begins
// with, and false until that key frame has been sent. A decoder's media time t (from
// its first decoded frame) is channel media time Start+t.
func (c *Client) Start() (float64, bool) {
	c.h.mu.Lock()
	defer c.h.mu.Unlock()
	return c.start, c.began
}

// Close unsubscribes the client. It is idempotent.
func (c *Client) Close() {
	c.h.mu.Lock()
	defer c.h.mu.Unlock()
	c.h.drop(c, ErrClosed)
}

// hub fans one encoder's output out to its clients. The encoder goroutine calls Write
// and key; anyone may subscribe, stall or reset. A client that cannot take a chunk at
// once is dropped, so the encoder never waits for a client.
//
// The hub keeps the bytes since the last key frame (a GOP cache, as live streaming
// servers keep; an HLS client starting at a segment boundary sees the same): a new
// client gets them at once, in one chunk, and decodes its first picture without
// waiting up to a GOP for the next key frame. Before the first key frame, and after
// a stall until the next one, there is nothing to give and a client waits.
type hub struct {
	clock  media.Clock
	buffer int

	mu         sync.Mutex
	clients    map[*Client]struct{}
	stallUntil time.Time // zero when not stalled
	closed     bool
	gop        [][]byte // chunks written since the key frame at gopAt; nil: none
	gopAt      float64
}

func newHub(clock media.Clock, buffer int) *hub {
	return &hub{clock: clock, buffer: buffer, clients: map[*Client]struct{}{}}
}

// subscribe adds a client that starts receiving with the cached GOP, or at the next
// key frame when there is none.
func (h *hub) subscribe() *Client {
	h.mu.Lock()
	defer h.mu.Unlock()
	c := &Client{h: h, ch: make(chan []byte, h.buffer), gone: make(chan struct{})}
	if h.closed {
		c.err = ErrClosed
		close(c.gone)
		return c
	}
	h.clients[c] = struct{}{}
	if !h.stalled() && h.gop != nil { // stalled first: a stall that just ended drops the cache
		c.ch <- bytes.Join(h.gop, nil) // a new channel with room for h.buffer ≥ 1 chunks
		c.live, c.start, c.began = true, h.gopAt, true
	}
	return c
}

// Write sends p to every receiving client; p must not be modified afterwards. It
// never blocks and never fails.
func (h *hub) Write(p []byte) (int, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.stalled() {
		return len(p), nil
	}
	if h.gop != nil {
		h.gop = append(h.gop, p)
	}
	for c := range h.clients {
		if !c.live {
			continue
		}
		select {
		case c.ch <- p:
		default:
			h.drop(c, ErrSlow)
		}
	}
	return len(p), nil
}

// key marks the boundary before a key frame at media time at: waiting clients start
// receiving from here.
func (h *hub) key(at float64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.stalled() {
		return
	}
	if h.gop == nil {
		h.gop = make([][]byte, 0, 64)
	} else {
		clear(h.gop) // the chunks are the clients' now
		h.gop = h.gop[:0]
	}
	h.gopAt = at
	for c := range h.clients {
		if !c.live {
			c.live = true
			if !c.began {
				c.start, c.began = at, true
			}
		}
	}
}

// stalled reports whether a stall is in force; when one has just ended, every client
// waits for the next key frame so that it resumes with a decodable stream.
// h.mu must be held.
func (h *hub) stalled() bool {
	if h.stallUntil.IsZero() {
		return false
	}
	if h.clock.Now().Before(h.stallUntil) {
		return true
	}
	h.stallUntil = time.Time{}
	h.gop = nil
	for c := range h.clients {
		c.live = false
	}
	return false
}

// stall stops sending to clients for d (the encoder keeps going; what it makes in
// the meantime is lost to them).
func (h *hub) stall(d time.Duration) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.stallUntil = h.clock.Now().Add(d)
	h.gop = nil
}

// isStalled reports whether a stall is in force.
func (h *hub) isStalled() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.stalled()
}

// reset drops every client with ErrReset.
func (h *hub) reset() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for c := range h.clients {
		h.drop(c, ErrReset)
	}
}

// close drops every client and refuses new ones.
func (h *hub) close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	for c := range h.clients {
		h.drop(c, ErrClosed)
	}
}

// count returns the number of subscribed clients.
func (h *hub) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.clients)
}

// drop removes c with reason err unless it is already gone. h.mu must be held.
func (h *hub) drop(c *Client, err error) {
	if c.err != nil {
		return
	}
	delete(h.clients, c)
	c.err = err
	close(c.gone)
}
