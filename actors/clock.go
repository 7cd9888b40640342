package actors

import "time"

// Clock is the time source the actor tree uses for timestamps and backoff timers.
// Tests inject a fake; production uses RealClock.
type Clock interface {
	// Now returns the current time.
	Now() time.Time
	// AfterFunc calls f in its own goroutine after d and returns a function that
	// cancels the call if it has not run yet.
	AfterFunc(d time.Duration, f func()) (cancel func() bool)
}

// RealClock is the system clock.
type RealClock struct{}

// Now returns time.Now().
func (RealClock) Now() time.Time { return time.Now() }

// AfterFunc wraps time.AfterFunc.
func (RealClock) AfterFunc(d time.Duration, f func()) func() bool {
	return time.AfterFunc(d, f).Stop
}
