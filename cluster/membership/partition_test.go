package membership

import (
	"fmt"
	"math/rand/v2"
	"net"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/memberlist"
)

// network is a loopback network that can be cut: a node's packets and connections
// across a cut are lost, as behind a firewall that drops them (a packet vanishes
// without an error; a connection attempt hangs until its timeout). Every node of a
// test goes through it, so cutting outbound traffic cuts both directions.
type network struct {
	mu   sync.Mutex
	loss float64                    // share of UDP packets lost on every link
	rng  *rand.Rand                 // draws the losses
	cut  func(from, to string) bool // by gossip address; nil: nothing is cut
	heal chan struct{}              // closed by Heal: ends the hanging dials
}

func newNetwork() *network { return &network{heal: make(chan struct{})} }

// Cut splits the nodes into the given groups (by gossip address); an address in
// no group is in group 0.
func (nw *network) Cut(groups ...[]string) {
	group := map[string]int{}
	for i, g := range groups {
		for _, addr := range g {
			group[addr] = i
		}
	}
	nw.set(func(from, to string) bool { return group[from] != group[to] })
}

// CutLink cuts the link between two nodes only: each still reaches every other.
func (nw *network) CutLink(a, b string) {
	nw.set(func(from, to string) bool { return from == a && to == b || from == b && to == a })
}

func (nw *network) set(cut func(from, to string) bool) {
	nw.mu.Lock()
	defer nw.mu.Unlock()
	if nw.cut == nil {
		nw.heal = make(chan struct{})
	}
	nw.cut = cut
}

// Heal restores every link.
func (nw *network) Heal() {
	nw.mu.Lock()
	defer nw.mu.Unlock()
	if nw.cut != nil {
		nw.cut = nil
		close(nw.heal)
	}
}

// blocked reports whether traffic from one gossip address to another is lost, and
// the channel closed when the network heals.
// SetLoss makes every link lose share of its UDP packets (TCP streams are
// unaffected: a real network's loss only delays them).
func (nw *network) SetLoss(share float64) {
	nw.mu.Lock()
	defer nw.mu.Unlock()
	nw.loss = share
	if nw.rng == nil {
		nw.rng = rand.New(rand.NewPCG(1, 2))
	}
}

func (nw *network) lost() bool {
	nw.mu.Lock()
	defer nw.mu.Unlock()
	return nw.loss > 0 && nw.rng.Float64() < nw.loss
}

func (nw *network) blocked(from, to string) (bool, <-chan struct{}) {
	nw.mu.Lock()
	defer nw.mu.Unlock()
	return nw.cut != nil && nw.cut(from, to), nw.heal
}

// cutTransport is one node's memberlist transport on a network.
type cutTransport struct {
	*memberlist.NetTransport
	nw   *network
	self string // this node's gossip address
}

var _ memberlist.NodeAwareTransport = (*cutTransport)(nil)

func (t *cutTransport) WriteTo(b []byte, addr string) (time.Time, error) {
	return t.WriteToAddress(b, memberlist.Address{Addr: addr})
}

func (t *cutTransport) WriteToAddress(b []byte, a memberlist.Address) (time.Time, error) {
	if cut, _ := t.nw.blocked(t.self, a.Addr); cut || t.nw.lost() {
		return time.Now(), nil // sent, and lost on the way
	}
	return t.NetTransport.WriteToAddress(b, a)
}

func (t *cutTransport) DialTimeout(addr string, timeout time.Duration) (net.Conn, error) {
	return t.DialAddressTimeout(memberlist.Address{Addr: addr}, timeout)
}

func (t *cutTransport) DialAddressTimeout(a memberlist.Address, timeout time.Duration) (net.Conn, error) {
	if cut, healed := t.nw.blocked(t.self, a.Addr); cut {
		// A dropped SYN: the dial hangs until its timeout (or, as a retransmitted
		// SYN would, gets through once the network heals).
		timer := time.NewTimer(timeout)
		defer timer.Stop()
		select {
		case <-timer.C:
			return nil, fmt.Errorf("dial %s: i/o timeout (network cut)", a.Addr)
		case <-healed:
		}
	}
	return t.NetTransport.DialAddressTimeout(a, timeout)
}

// onNetwork makes a node's memberlist use a transport on nw.
func onNetwork(tb testing.TB, nw *network) func(*Config) {
	return func(c *Config) {
		nt, err := memberlist.NewNetTransport(&memberlist.NetTransportConfig{BindAddrs: []string{"127.0.0.1"}})
		if err != nil {
			tb.Fatalf("transport: %v", err)
		}
		self := net.JoinHostPort("127.0.0.1", fmt.Sprint(nt.GetAutoBindPort()))
		c.Memberlist.Transport = &cutTransport{NetTransport: nt, nw: nw, self: self}
	}
}

// TestPartitionHeals cuts a five-node cluster 2|3 until each side holds the other
// dead for longer than memberlist gossips to the dead, heals the network, and
// checks that both sides merge into one cluster again by themselves, within the
// chaos suite's convergence period (15 s; docs/chaos.md).
func TestPartitionHeals(t *testing.T) {
	const limit = 15 * time.Second
	nw := newNetwork()
	setup := func(c *Config) {
		onNetwork(t, nw)(c)
		// Past this, memberlist neither gossips to nor probes a dead node: only
		// Membership's reconnect rounds can bring the sides together.
		c.Memberlist.GossipToTheDeadTime = time.Second
	}
	// Every node has seeds (as in docker-compose and Kubernetes), but a node without
	// any must reconnect as well: n0 has none.
	seedless := startNode(t, "n0", setup)
	nodes := []testNode{seedless}
	for i := 1; i < 5; i++ {
		nodes = append(nodes, startNode(t, fmt.Sprintf("n%d", i), func(c *Config) { setup(c); joining(seedless)(c) }))
	}
	for _, n := range nodes {
		waitFor(t, 10*time.Second, n.Name()+" to see 5 members", func() bool { return len(alive(n)) == 5 })
	}
	a, b := nodes[:2], nodes[2:]
	addrs := func(ns []testNode) (out []string) {
		for _, n := range ns {
			out = append(out, n.Addr())
		}
		return out
	}
	names := func(ns []testNode) (out []string) {
		for _, n := range ns {
			out = append(out, n.Name())
		}
		slices.Sort(out)
		return out
	}
	// sees reports whether n holds exactly want alive.
	sees := func(n testNode, want []string) bool {
		var got []string
		for name := range alive(n) {
			got = append(got, name)
		}
		slices.Sort(got)
		return slices.Equal(got, want)
	}

	cut := time.Now()
	nw.Cut(addrs(a), addrs(b))
	t.Cleanup(nw.Heal)
	for _, side := range [][]testNode{a, b} {
		for _, n := range side {
			waitFor(t, 20*time.Second, n.Name()+" to hold the other side dead", func() bool { return sees(n, names(side)) })
		}
	}
	t.Logf("both sides held each other dead %v after the cut", time.Since(cut).Round(time.Millisecond))
	// Stay cut well past GossipToTheDeadTime, with reconnect rounds failing (each
	// hangs on its dials for TCPTimeout) on both sides, and check the split holds:
	// nothing leaks through the cut network.
	holds(t, 2*time.Second, "the split", func() bool {
		return sees(a[0], names(a)) && sees(a[1], names(a)) && sees(b[0], names(b)) && sees(b[1], names(b)) && sees(b[2], names(b))
	})

	healed := time.Now()
	nw.Heal()
	all := names(nodes)
	for _, n := range nodes {
		waitFor(t, limit, n.Name()+" to see all 5 alive after the heal", func() bool { return sees(n, all) })
	}
	took := time.Since(healed)
	t.Logf("every node saw all 5 alive %v after the heal (limit %v)", took.Round(time.Millisecond), limit)
	// And they stay merged: no member is declared dead again (a refutation race).
	holds(t, 3*time.Second, "all 5 alive on every node", func() bool {
		for _, n := range nodes {
			if !sees(n, all) {
				return false
			}
		}
		return true
	})
}

// holds checks cond every 20 ms for d and fails the test the first time it is false.
func holds(tb testing.TB, d time.Duration, what string, cond func() bool) {
	tb.Helper()
	for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		if !cond() {
			tb.Fatalf("%s did not hold for %v", what, d)
		}
	}
}

// TestReconnectWithoutSeeds checks the other way a side can be left alone: a node
// with no seeds that was cut off from its only peer (1|1) finds it again.
func TestReconnectWithoutSeeds(t *testing.T) {
	nw := newNetwork()
	setup := func(c *Config) {
		onNetwork(t, nw)(c)
		c.Memberlist.GossipToTheDeadTime = time.Second
		c.ReconnectInterval = 500 * time.Millisecond
	}
	a := startNode(t, "a", setup)
	b := startNode(t, "b", setup)
	// b joins a by hand, so that neither has seeds: only reconnect rounds can merge them.
	if _, err := b.ml.Join([]string{a.Addr()}); err != nil {
		t.Fatal(err)
	}
	for _, n := range []testNode{a, b} {
		waitFor(t, 5*time.Second, n.Name()+" to see 2 members", func() bool { return len(alive(n)) == 2 })
	}
	nw.Cut([]string{a.Addr()}, []string{b.Addr()})
	t.Cleanup(nw.Heal)
	for _, n := range []testNode{a, b} {
		waitFor(t, 20*time.Second, n.Name()+" to hold the other dead", func() bool { return len(alive(n)) == 1 })
	}
	// Past GossipToTheDeadTime, so that only reconnect rounds can end the split.
	holds(t, 2*time.Second, "the split", func() bool { return len(alive(a)) == 1 && len(alive(b)) == 1 })
	nw.Heal()
	for _, n := range []testNode{a, b} {
		waitFor(t, 10*time.Second, n.Name()+" to see 2 alive after the heal", func() bool { return len(alive(n)) == 2 })
	}
}

// slowTransport hands this node every packet it receives late, as on a node whose
// scheduler is too busy to read its socket in time.
type slowTransport struct {
	*memberlist.NetTransport
	mu    sync.Mutex
	delay time.Duration
	out   chan *memberlist.Packet
	stop  chan struct{}
	done  chan struct{}
}

func newSlowTransport(tb testing.TB, delay time.Duration) *slowTransport {
	tb.Helper()
	nt, err := memberlist.NewNetTransport(&memberlist.NetTransportConfig{BindAddrs: []string{"127.0.0.1"}})
	if err != nil {
		tb.Fatalf("transport: %v", err)
	}
	t := &slowTransport{NetTransport: nt, delay: delay, out: make(chan *memberlist.Packet, 1024),
		stop: make(chan struct{}), done: make(chan struct{})}
	go t.run()
	return t
}

func (t *slowTransport) run() {
	defer close(t.done)
	for {
		select {
		case <-t.stop:
			return
		case p := <-t.NetTransport.PacketCh():
			t.mu.Lock()
			delay := t.delay
			t.mu.Unlock()
			timer := time.NewTimer(time.Until(p.Timestamp.Add(delay)))
			select {
			case <-t.stop:
				timer.Stop()
				return
			case <-timer.C:
			}
			p.Timestamp = time.Now()
			select {
			case t.out <- p:
			case <-t.stop:
				return
			}
		}
	}
}

func (t *slowTransport) PacketCh() <-chan *memberlist.Packet { return t.out }

// Shutdown stops the delaying goroutine, then the transport; packets that arrive
// meanwhile are drained, or the transport's listener would block handing them over
// and its Shutdown would wait for it forever.
func (t *slowTransport) Shutdown() error {
	close(t.stop)
	<-t.done
	drained := make(chan struct{})
	go func() {
		for {
			select {
			case <-t.NetTransport.PacketCh():
			case <-drained:
				return
			}
		}
	}()
	defer close(drained)
	return t.NetTransport.Shutdown()
}

// TestASlowNodeKillsNobody makes one member of five read every packet 1.5 s late (a
// node starved of CPU): its probes of the others time out and it suspects them,
// and their refutations reach it late. Only it may be declared dead (the others'
// probes of it time out too); a suspicion that no other member confirms must not
// kill a live member. (It passes at SuspicionMult 2 as well: Lifeguard's awareness
// stretches the slow node's own timeouts once its probes fail. It guards against a
// tuning that loses that.)
func TestASlowNodeKillsNobody(t *testing.T) {
	seed := startNode(t, "n0", nil)
	nodes := []testNode{seed}
	for i := 1; i < 4; i++ {
		nodes = append(nodes, startNode(t, fmt.Sprintf("n%d", i), joining(seed)))
	}
	slow := newSlowTransport(t, 0)
	nodes = append(nodes, startNode(t, "slow", func(c *Config) {
		c.Memberlist.Transport = slow
		joining(seed)(c)
	}))
	for _, n := range nodes {
		waitFor(t, 10*time.Second, n.Name()+" to see 5 members", func() bool { return len(alive(n)) == 5 })
	}
	slow.mu.Lock()
	slow.delay = 1500 * time.Millisecond
	slow.mu.Unlock()
	holds(t, 15*time.Second, "no member but the slow one ever held dead", func() bool {
		for _, n := range nodes {
			for _, m := range n.Members() {
				if m.Name != "slow" && m.State != StateAlive {
					t.Logf("%s holds %s %s", n.Name(), m.Name, m.State)
					return false
				}
			}
		}
		return true
	})
}

// startOnNetwork starts size members n0, n1, … on nw, joined through n0, and waits
// until each sees them all alive.
func startOnNetwork(tb testing.TB, nw *network, size int) []testNode {
	tb.Helper()
	seed := startNode(tb, "n0", onNetwork(tb, nw))
	nodes := []testNode{seed}
	for i := 1; i < size; i++ {
		nodes = append(nodes, startNode(tb, fmt.Sprintf("n%d", i), func(c *Config) { onNetwork(tb, nw)(c); joining(seed)(c) }))
	}
	for _, n := range nodes {
		waitFor(tb, 10*time.Second, fmt.Sprintf("%s to see %d members", n.Name(), size), func() bool { return len(alive(n)) == size })
	}
	return nodes
}

// TestOneBadLinkKillsNobody cuts the link between two members of four for longer
// than any suspicion timeout: each fails its direct probes of the other, but the
// indirect probes through the two others get through, and no member is ever held
// anything but alive.
func TestOneBadLinkKillsNobody(t *testing.T) {
	nw := newNetwork()
	nodes := startOnNetwork(t, nw, 4)
	nw.CutLink(nodes[0].Addr(), nodes[1].Addr())
	t.Cleanup(nw.Heal)
	holds(t, 8*time.Second, "every member alive on every node", func() bool {
		for _, n := range nodes {
			if len(alive(n)) != 4 {
				t.Logf("%s sees %d alive", n.Name(), len(alive(n)))
				return false
			}
		}
		return true
	})
}

// TestLossKillsNobody: five members on a network that loses 10% of the UDP packets
// of every link (so ~19% of direct probe round trips fail) hold every member alive
// for 30 s. The chaos suite's lossy-network scenario, over loopback.
func TestLossKillsNobody(t *testing.T) {
	if testing.Short() {
		t.Skip("30 s")
	}
	nw := newNetwork()
	nodes := startOnNetwork(t, nw, 5)
	nw.SetLoss(0.10)
	t.Cleanup(func() { nw.SetLoss(0) })
	holds(t, 30*time.Second, "every member alive on every node", func() bool {
		for _, n := range nodes {
			for _, m := range n.Members() {
				if m.State != StateAlive {
					t.Logf("%s holds %s %s", n.Name(), m.Name, m.State)
					return false
				}
			}
		}
		return true
	})
}
