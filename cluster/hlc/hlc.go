// Package hlc is a hybrid logical clock: timestamps that follow the wall clock but
// never go backwards and always move past every timestamp the clock has seen, so that
// "last writer wins" picks the causally later write even when node clocks disagree.
package hlc

import (
	"sync"
	"time"
)

// Timestamp is a hybrid logical clock reading: the wall clock in unix milliseconds
// shifted left 16 bits, plus a 16-bit logical counter. Timestamps compare as integers.
type Timestamp uint64

// logicalBits is the width of the logical counter.
const logicalBits = 16

// FromTime returns the timestamp of wall time t with a zero logical counter.
func FromTime(t time.Time) Timestamp {
	ms := t.UnixMilli()
	if ms < 0 {
		ms = 0
	}
	return Timestamp(uint64(ms) << logicalBits)
}

// Time returns the wall-clock part of t.
func (t Timestamp) Time() time.Time {
	return time.UnixMilli(int64(t >> logicalBits))
}

// Logical returns the logical counter of t.
func (t Timestamp) Logical() uint16 {
	return uint16(t)
}

// Clock issues timestamps. It is safe for concurrent use.
type Clock struct {
	now func() time.Time

	mu   sync.Mutex
	last Timestamp
}

// New returns a clock reading wall time from now (time.Now in production, a fake in
// tests).
func New(now func() time.Time) *Clock {
	return &Clock{now: now}
}

// Now returns a timestamp larger than every timestamp the clock issued or observed.
func (c *Clock) Now() Timestamp {
	c.mu.Lock()
	defer c.mu.Unlock()
	wall := FromTime(c.now())
	if wall > c.last {
		c.last = wall
	} else {
		// Same millisecond (or the wall clock is behind a timestamp seen): count up.
		// Overflowing the counter carries into the millisecond, which only runs the
		// clock ahead by a millisecond per 65,536 readings.
		c.last++
	}
	return c.last
}

// Observe moves the clock past a timestamp received from another node, so that the
// next Now is larger than it.
func (c *Clock) Observe(remote Timestamp) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if remote > c.last {
		c.last = remote
	}
}

// Last returns the largest timestamp issued or observed.
func (c *Clock) Last() Timestamp {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.last
}
