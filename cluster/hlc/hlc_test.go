package hlc

import (
	"sync"
	"testing"
	"time"
)

// fakeTime is a settable wall clock.
type fakeTime struct {
	mu sync.Mutex
	t  time.Time
}

func (f *fakeTime) now() time.Time  { f.mu.Lock(); defer f.mu.Unlock(); return f.t }
func (f *fakeTime) set(t time.Time) { f.mu.Lock(); defer f.mu.Unlock(); f.t = t }

func TestClock(t *testing.T) {
	base := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		name string
		run  func(t *testing.T, c *Clock, ft *fakeTime)
	}{
		{"follows the wall clock", func(t *testing.T, c *Clock, ft *fakeTime) {
			ts := c.Now()
			if !ts.Time().Equal(base) || ts.Logical() != 0 {
				t.Fatalf("Now = %v/%d, want %v/0", ts.Time(), ts.Logical(), base)
			}
			ft.set(base.Add(time.Second))
			if got := c.Now(); !got.Time().Equal(base.Add(time.Second)) || got.Logical() != 0 {
				t.Fatalf("after a second Now = %v/%d", got.Time(), got.Logical())
			}
		}},
		{"counts within a millisecond", func(t *testing.T, c *Clock, _ *fakeTime) {
			a, b := c.Now(), c.Now()
			if b != a+1 || b.Time() != a.Time() {
				t.Fatalf("Now, Now = %d, %d", a, b)
			}
		}},
		{"never goes back when the wall clock does", func(t *testing.T, c *Clock, ft *fakeTime) {
			a := c.Now()
			ft.set(base.Add(-time.Hour))
			if b := c.Now(); b <= a {
				t.Fatalf("Now went back: %d then %d", a, b)
			}
		}},
		{"moves past observed timestamps", func(t *testing.T, c *Clock, _ *fakeTime) {
			remote := FromTime(base.Add(time.Minute)) + 7
			c.Observe(remote)
			if got := c.Now(); got <= remote {
				t.Fatalf("Now = %d, want > %d", got, remote)
			}
			c.Observe(1) // an old timestamp changes nothing
			if c.Last() <= remote {
				t.Fatalf("Last went back to %d", c.Last())
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ft := &fakeTime{t: base}
			tc.run(t, New(ft.now), ft)
		})
	}
}

func TestClockConcurrentReadingsAreUnique(t *testing.T) {
	ft := &fakeTime{t: time.Unix(1000, 0)}
	c := New(ft.now)
	var mu sync.Mutex
	seen := map[Timestamp]bool{}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 1000 {
				ts := c.Now()
				mu.Lock()
				if seen[ts] {
					t.Errorf("timestamp %d issued twice", ts)
				}
				seen[ts] = true
				mu.Unlock()
			}
		})
	}
	wg.Wait()
}
