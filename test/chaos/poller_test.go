//go:build chaos

package chaos

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	vigilv1 "github.com/vigil-monitor/vigil/proto/vigil/v1"
)

// pollEvery is the checker's polling period.
const pollEvery = 250 * time.Millisecond

// view is one node's answer about one stream at one poll.
type view struct {
	owner   string
	runners []string
	epoch   uint64
	since   int64 // running_since, unix ms
	state   vigilv1.StreamState
}

// sample is one node's answer at one poll: its view of every stream and member.
type sample struct {
	at      time.Time
	node    string
	streams map[string]view
	members map[string]vigilv1.MemberState
}

// poller asks every node the suite has not taken down for its streams and members
// every pollEvery, and keeps the answers: the timeline of owners and runners of
// every stream as each node saw it.
type poller struct {
	c    *cluster
	stop chan struct{}
	done chan struct{}

	mu      sync.Mutex
	samples []sample
	errors  int
}

func startPoller(c *cluster) *poller {
	p := &poller{c: c, stop: make(chan struct{}), done: make(chan struct{})}
	go p.run()
	return p
}

func (p *poller) close() {
	select {
	case <-p.stop:
	default:
		close(p.stop)
	}
	<-p.done
}

func (p *poller) run() {
	defer close(p.done)
	t := time.NewTicker(pollEvery)
	defer t.Stop()
	for {
		p.once()
		select {
		case <-p.stop:
			return
		case <-t.C:
		}
	}
}

// once polls every up node concurrently and records their answers.
func (p *poller) once() {
	nodes := p.c.upNodes()
	got := make([]*sample, len(nodes))
	var wg sync.WaitGroup
	for i, n := range nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx := context.Background()
			ss, err := n.list(ctx)
			if err != nil {
				return
			}
			ms, err := n.members(ctx)
			if err != nil {
				return
			}
			s := &sample{at: time.Now(), node: n.name, streams: make(map[string]view, len(ss)),
				members: make(map[string]vigilv1.MemberState, len(ms))}
			for _, st := range ss {
				s.streams[st.GetSpec().GetId()] = view{owner: st.GetOwner(), runners: st.GetRunners(),
					epoch: st.GetEpoch(), since: st.GetRunningSinceUnixMs(), state: st.GetState()}
			}
			for _, m := range ms {
				s.members[m.GetName()] = m.GetState()
			}
			got[i] = s
		}()
	}
	wg.Wait()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, s := range got {
		if s == nil {
			p.errors++
			continue
		}
		p.samples = append(p.samples, *s)
	}
}

// between returns the samples taken in [from, to), oldest first.
func (p *poller) between(from, to time.Time) []sample {
	p.mu.Lock()
	defer p.mu.Unlock()
	i := slices.IndexFunc(p.samples, func(s sample) bool { return !s.at.Before(from) })
	if i < 0 {
		return nil
	}
	var out []sample
	for _, s := range p.samples[i:] {
		if !s.at.Before(to) {
			break
		}
		out = append(out, s)
	}
	return out
}

// forget drops the samples taken before t (memory: a sample holds every stream).
func (p *poller) forget(t time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	i := slices.IndexFunc(p.samples, func(s sample) bool { return !s.at.Before(t) })
	if i < 0 {
		i = len(p.samples)
	}
	p.samples = slices.Delete(p.samples, 0, i)
}

// ownerChanges counts, per stream, how many times the (owner, epoch) pair any node
// reported changed in the samples, per node's own sequence of answers.
func ownerChanges(samples []sample) map[string]int {
	type key struct{ node, id string }
	last := map[key]view{}
	out := map[string]int{}
	for _, s := range samples {
		for id, v := range s.streams {
			k := key{s.node, id}
			if prev, ok := last[k]; ok && (prev.owner != v.owner || prev.epoch != v.epoch) {
				out[id]++
			}
			last[k] = v
		}
	}
	return out
}

// multiRun lists the streams some sample showed run by more than one node, with the
// longest stretch each was seen so by one observer.
func multiRun(samples []sample) map[string]time.Duration {
	type key struct{ node, id string }
	since := map[key]time.Time{}
	out := map[string]time.Duration{}
	for _, s := range samples {
		for id, v := range s.streams {
			k := key{s.node, id}
			if len(v.runners) > 1 {
				if since[k].IsZero() {
					since[k] = s.at
				}
				out[id] = max(out[id], s.at.Sub(since[k]))
			} else {
				delete(since, k)
			}
		}
	}
	return out
}

// deaths lists the members some node reported dead in the samples.
func deaths(samples []sample) map[string][]string {
	out := map[string][]string{}
	for _, s := range samples {
		for m, st := range s.members {
			if st == vigilv1.MemberState_MEMBER_STATE_DEAD && !slices.Contains(out[m], s.node) {
				out[m] = append(out[m], s.node)
			}
		}
	}
	return out
}

// history describes, for a failure message, how each node's view of stream id and of
// the members changed in the samples.
func history(samples []sample, id string) string {
	var b strings.Builder
	last := map[string]string{}
	for _, s := range samples {
		v := s.streams[id]
		var alive []string
		for m, st := range s.members {
			if st == vigilv1.MemberState_MEMBER_STATE_ALIVE {
				alive = append(alive, m)
			}
		}
		slices.Sort(alive)
		line := fmt.Sprintf("owner %s epoch %d runners %v state %s; alive %v", v.owner, v.epoch, v.runners, stateName(v.state), alive)
		if last[s.node] != line {
			fmt.Fprintf(&b, "\n  %s %s: %s", s.at.Format("15:04:05.000"), s.node, line)
			last[s.node] = line
		}
	}
	return b.String()
}

// allAlive returns the time of the first sample at or after from from which on, until
// to, every node among names answered and saw all of names alive (zero if never).
func allAlive(samples []sample, names []string, from, to time.Time) time.Time {
	ok := map[string]bool{}
	var since time.Time
	for _, s := range samples {
		if s.at.Before(from) || !s.at.Before(to) || !slices.Contains(names, s.node) {
			continue
		}
		good := true
		for _, n := range names {
			if s.members[n] != vigilv1.MemberState_MEMBER_STATE_ALIVE {
				good = false
			}
		}
		if !good {
			clear(ok)
			since = time.Time{}
			continue
		}
		ok[s.node] = true
		if len(ok) == len(names) && since.IsZero() {
			since = s.at
		}
	}
	return since
}
