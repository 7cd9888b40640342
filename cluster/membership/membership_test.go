package membership

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"
)

// recorder is a Handler that keeps what it receives.
type recorder struct {
	state []byte // what LocalState returns

	mu      sync.Mutex
	msgs    [][]byte
	remotes [][]byte
	changes int
}

func (r *recorder) LocalState(bool) []byte { return r.state }
func (r *recorder) MergeRemoteState(b []byte, _ bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.remotes = append(r.remotes, b)
}
func (r *recorder) NotifyMsg(b []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.msgs = append(r.msgs, b)
}
func (r *recorder) MembersChanged() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.changes++
}

func (r *recorder) got(msg []byte, remote bool) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	list := r.msgs
	if remote {
		list = r.remotes
	}
	for _, m := range list {
		if bytes.Equal(m, msg) {
			return true
		}
	}
	return false
}

// testNode is one Membership in a test.
type testNode struct {
	*Membership
	rec *recorder
}

func startNode(tb testing.TB, name string, mutate func(*Config)) testNode {
	tb.Helper()
	cfg := LoopbackConfig(name)
	cfg.JoinBackoff = 50 * time.Millisecond
	cfg.JoinMaxBackoff = 500 * time.Millisecond
	cfg.ReadyTimeout = time.Second
	if mutate != nil {
		mutate(&cfg)
	}
	rec := &recorder{state: []byte("state of " + name)}
	m, err := Create(cfg, Meta{AdminAddr: name + ":7070", Capacity: 1, Version: "test", BootID: 42}, rec)
	if err != nil {
		tb.Fatalf("create %s: %v", name, err)
	}
	m.Start()
	tb.Cleanup(func() { m.Kill() })
	return testNode{m, rec}
}

func joining(seeds ...testNode) func(*Config) {
	return func(c *Config) {
		for _, s := range seeds {
			c.Join = append(c.Join, s.Addr())
		}
	}
}

// waitFor polls cond until it holds or timeout passes.
func waitFor(tb testing.TB, timeout time.Duration, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func alive(m testNode) map[string]Member {
	out := map[string]Member{}
	for _, mem := range m.Members() {
		if mem.State == StateAlive {
			out[mem.Name] = mem
		}
	}
	return out
}

func TestJoinMetaAndMessages(t *testing.T) {
	a := startNode(t, "a", nil)
	// b joins through a DNS name; c through an IP and a seed that never answers.
	b := startNode(t, "b", func(c *Config) { _, p, _ := net.SplitHostPort(a.Addr()); c.Join = []string{"localhost:" + p} })
	c := startNode(t, "c", func(c *Config) { c.Join = []string{"127.0.0.1:1", a.Addr()} })
	nodes := []testNode{a, b, c}
	for _, n := range nodes {
		waitFor(t, 5*time.Second, n.Name()+" to see 3 members", func() bool { return len(alive(n)) == 3 })
		select {
		case <-n.Ready():
		case <-time.After(5 * time.Second):
			t.Fatalf("%s never ready", n.Name())
		}
	}
	if got := alive(c)["a"].Meta; got.AdminAddr != "a:7070" || got.Capacity != 1 || got.BootID != 42 {
		t.Fatalf("c sees a's meta as %+v", got)
	}

	t.Run("meta update", func(t *testing.T) {
		if err := b.SetMeta(Meta{AdminAddr: "b:7070", Capacity: 1, Draining: true}, time.Second); err != nil {
			t.Fatal(err)
		}
		for _, n := range nodes {
			waitFor(t, 5*time.Second, n.Name()+" to see b draining", func() bool { return alive(n)["b"].Meta.Draining })
		}
	})
	t.Run("push/pull state reached the joiners' peers", func(t *testing.T) {
		waitFor(t, 5*time.Second, "a to merge b's state", func() bool { return a.rec.got([]byte("state of b"), true) })
		waitFor(t, 5*time.Second, "b to merge a's state", func() bool { return b.rec.got([]byte("state of a"), true) })
	})
	t.Run("broadcast", func(t *testing.T) {
		msg := []byte("hello from a")
		if err := a.Broadcast("greeting", msg); err != nil {
			t.Fatal(err)
		}
		for _, n := range nodes[1:] {
			waitFor(t, 5*time.Second, n.Name()+" to get the broadcast", func() bool { return n.rec.got(msg, false) })
		}
		if err := a.Broadcast("", make([]byte, MaxBroadcastSize+1)); !errors.Is(err, ErrTooLarge) {
			t.Fatalf("oversized broadcast: err = %v, want ErrTooLarge", err)
		}
	})
	t.Run("send", func(t *testing.T) {
		msg := make([]byte, 64<<10) // direct messages may be larger than a packet
		copy(msg, "direct to c")
		if err := a.Send("c", msg); err != nil {
			t.Fatal(err)
		}
		waitFor(t, 5*time.Second, "c to get the message", func() bool { return c.rec.got(msg, false) })
		if err := a.Send("nobody", msg); !errors.Is(err, ErrUnknownNode) {
			t.Fatalf("send to unknown: err = %v", err)
		}
	})
	t.Run("leave", func(t *testing.T) {
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
		waitFor(t, 5*time.Second, "a to see c left", func() bool {
			for _, m := range a.Members() {
				if m.Name == "c" {
					return m.State == StateLeft
				}
			}
			return false
		})
		if err := c.Close(); err != nil {
			t.Fatalf("second Close: %v", err)
		}
	})
}

func TestJoinRetriesUntilASeedComesUp(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	b := startNode(t, "b", func(c *Config) { c.Join = []string{"127.0.0.1:" + strconv.Itoa(port)} })
	waitFor(t, 5*time.Second, "b to give up waiting and be ready", func() bool {
		select {
		case <-b.Ready():
			return true
		default:
			return false
		}
	})
	startNode(t, "a", func(c *Config) { c.Memberlist.BindPort = port })
	waitFor(t, 10*time.Second, "b to join a once it is up", func() bool { return len(alive(b)) == 2 })
}

func TestSeparateClustersNeverMerge(t *testing.T) {
	key1 := "AAECAwQFBgcICQoLDA0ODw=="
	key2 := "DwAODQwLCgkIBwYFBAMCAQ=="
	withKey := func(k string) func(*Config) {
		return func(c *Config) {
			kr, err := ParseKeyring(k)
			if err != nil {
				t.Fatal(err)
			}
			c.Memberlist.Keyring = kr
		}
	}
	withLabel := func(l string) func(*Config) { return func(c *Config) { c.Memberlist.Label = l } }
	tests := []struct {
		name         string
		seed, joiner func(*Config)
		merge        bool
	}{
		{"same key merges", withKey(key1), withKey(key1), true},
		{"different keys", withKey(key1), withKey(key2), false},
		{"key and no key", withKey(key1), func(*Config) {}, false},
		{"same label merges", withLabel("prod"), withLabel("prod"), true},
		{"different labels", withLabel("prod"), withLabel("staging"), false},
		{"label and no label", withLabel("prod"), func(*Config) {}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := startNode(t, "a", tc.seed)
			b := startNode(t, "b", func(c *Config) { tc.joiner(c); joining(a)(c) })
			if tc.merge {
				waitFor(t, 5*time.Second, "b to join a", func() bool { return len(alive(a)) == 2 && len(alive(b)) == 2 })
				return
			}
			// b retries for its ReadyTimeout (1 s, some 5 attempts) before giving up.
			<-b.Ready()
			if len(alive(a)) != 1 || len(alive(b)) != 1 {
				t.Fatalf("clusters merged: a sees %d, b sees %d", len(alive(a)), len(alive(b)))
			}
		})
	}
}

func TestParseKeyring(t *testing.T) {
	tests := []struct {
		name, text string
		keys       int
		wantErr    bool
	}{
		{"one key", "AAECAwQFBgcICQoLDA0ODw==", 1, false},
		{"two keys", "AAECAwQFBgcICQoLDA0ODw==\nDwAODQwLCgkIBwYFBAMCAQ==\n", 2, false},
		{"empty", "  \n", 0, true},
		{"not base64", "!!!", 0, true},
		{"wrong length", "AAEC", 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			kr, err := ParseKeyring(tc.text)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tc.wantErr)
			}
			if err == nil && len(kr.GetKeys()) != tc.keys {
				t.Fatalf("%d keys, want %d", len(kr.GetKeys()), tc.keys)
			}
		})
	}
}

func TestMetaLimit(t *testing.T) {
	big := Meta{AdminAddr: string(make([]byte, MaxMetaSize))}
	if _, err := big.encode(); err == nil {
		t.Fatal("oversized meta encoded")
	}
	m := Meta{AdminAddr: "10.0.0.1:7070", Capacity: 8, Version: "v1.2.3", Draining: true, BootID: 1 << 60, StartedAt: time.UnixMilli(1700000000123)}
	b, err := m.encode()
	if err != nil {
		t.Fatal(err)
	}
	got, err := decodeMeta(b)
	if err != nil || got != m {
		t.Fatalf("round trip = %+v, %v; want %+v", got, err, m)
	}
	t.Logf("typical meta: %d bytes", len(b))
}

func clusterOf(tb testing.TB, n int) []testNode {
	tb.Helper()
	nodes := []testNode{startNode(tb, "n0", nil)}
	for i := 1; i < n; i++ {
		nodes = append(nodes, startNode(tb, fmt.Sprintf("n%d", i), joining(nodes[0])))
	}
	for _, nd := range nodes {
		waitFor(tb, 10*time.Second, "cluster to form", func() bool { return len(alive(nd)) == n })
	}
	return nodes
}
