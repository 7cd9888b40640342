package actors

import (
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/vigil-monitor/vigil/media"
	"github.com/vigil-monitor/vigil/media/detect"
)

// Errors returned by Node.
var (
	ErrNotFound    = errors.New("actors: stream not found")
	ErrInvalidSpec = errors.New("actors: invalid stream spec")
	ErrNodeClosed  = errors.New("actors: node closed")
)

// Node is one process's actor tree: a protoactor system with a NodeActor that owns one
// StreamSupervisor per running stream. All methods are safe for concurrent use; none
// of them is called from inside an actor.
type Node struct {
	cfg    Config
	log    *slog.Logger
	system *actor.ActorSystem
	pid    *actor.PID // the NodeActor
	bus    *Bus
	wg     sync.WaitGroup // decoder goroutines

	mu       sync.Mutex
	streams  map[string]*stream // current run of each stream
	stopping []*stream          // runs asked to stop, until Close has seen them end
	closed   bool
}

// NewNode validates cfg and starts the node's actor system.
func NewNode(cfg Config) (*Node, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	n := &Node{
		cfg:     cfg,
		log:     cfg.Logger.With("component", "actors", "node", cfg.Name),
		bus:     newBus(),
		streams: make(map[string]*stream),
	}
	n.system = actor.NewActorSystemWithConfig(actor.Configure(
		actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger {
			return quietLogger(cfg.Logger.With("component", "protoactor"))
		}),
	))
	// A frame message that could not be delivered (its detector was stopped) still
	// holds a frame reference: give it back.
	n.system.EventStream.Subscribe(func(evt any) {
		if dl, ok := evt.(*actor.DeadLetterEvent); ok {
			if r, ok := dl.Message.(releaser); ok {
				r.release()
			}
		}
	})
	props := actor.PropsFromProducer(func() actor.Actor { return &nodeActor{n: n} },
		actor.WithSupervisor(actor.NewOneForOneStrategy(0, time.Minute, func(reason any) actor.Directive {
			n.log.Error("stream supervisor failed; stopping the stream", "reason", reason)
			return actor.StopDirective
		})))
	pid, err := n.system.Root.SpawnNamed(props, "node")
	if err != nil {
		n.system.Shutdown()
		return nil, fmt.Errorf("actors: spawn node actor: %w", err)
	}
	n.pid = pid
	return n, nil
}

// Validate checks a spec without starting it: a usable id, a URL the node's media
// configuration accepts, and thresholds the detectors know.
func (n *Node) Validate(spec StreamSpec) error {
	if err := ValidateID(spec.ID); err != nil {
		return err
	}
	if err := media.ValidateURL(spec.URL, n.cfg.Media.AllowFile); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidSpec, err)
	}
	if _, err := n.detectConfig(spec); err != nil {
		return err
	}
	return nil
}

// ValidateID checks a stream id: 1–128 characters of letters, digits and ._:-/ .
func ValidateID(id string) error {
	if id == "" || len(id) > 128 {
		return fmt.Errorf("%w: stream id must be 1 to 128 characters", ErrInvalidSpec)
	}
	if i := strings.IndexFunc(id, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("._:-/", r))
	}); i >= 0 {
		return fmt.Errorf("%w: stream id %q: character %q not allowed (use letters, digits and ._:-/)", ErrInvalidSpec, id, id[i])
	}
	return nil
}

func (n *Node) detectConfig(spec StreamSpec) (detect.Config, error) {
	c := n.cfg.Detect
	for _, k := range slices.Sorted(maps.Keys(spec.Thresholds)) {
		if err := c.Set(k, spec.Thresholds[k]); err != nil {
			return c, fmt.Errorf("%w: %w", ErrInvalidSpec, err)
		}
	}
	if err := c.Validate(); err != nil {
		return c, fmt.Errorf("%w: %w", ErrInvalidSpec, err)
	}
	return c, nil
}

// Start runs a stream on this node. Starting a stream that already runs with an equal
// spec does nothing; with a different spec the old run is stopped and a new one
// started. Start returns once the run is under way; its progress is in Status and in
// StateEvents.
func (n *Node) Start(spec StreamSpec) error {
	if err := n.Validate(spec); err != nil {
		return err
	}
	detCfg, _ := n.detectConfig(spec)
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		return ErrNodeClosed
	}
	if old := n.streams[spec.ID]; old != nil {
		if old.spec.Equal(spec) && !old.isFinished() {
			return nil
		}
		n.stopping = append(slices.DeleteFunc(n.stopping, (*stream).isFinished), old)
		n.system.Root.Send(n.pid, &stopStream{s: old})
	}
	s := newStream(spec)
	n.streams[spec.ID] = s
	n.system.Root.Send(n.pid, &startStream{s: s, detCfg: detCfg})
	n.log.Debug("stream starting", "stream", spec.ID, "epoch", spec.Epoch)
	return nil
}

// Stop stops a stream and waits (up to Config.StopTimeout) until its run has released
// its input, its frames and its goroutine.
func (n *Node) Stop(id string) error {
	s, err := n.stop(id)
	if err != nil {
		return err
	}
	select {
	case <-s.done:
		n.log.Debug("stream stopped", "stream", id)
		media.TrimMemory()
		return nil
	case <-time.After(n.cfg.StopTimeout):
		return fmt.Errorf("actors: stop %q: still stopping after %s", id, n.cfg.StopTimeout)
	}
}

// StopAsync asks a stream to stop and returns at once; the run winds down in the
// background (Close still waits for it). The stream is gone from Streams and Status
// immediately.
func (n *Node) StopAsync(id string) error {
	_, err := n.stop(id)
	return err
}

func (n *Node) stop(id string) (*stream, error) {
	n.mu.Lock()
	s := n.streams[id]
	if s == nil {
		n.mu.Unlock()
		return nil, fmt.Errorf("%w: %q", ErrNotFound, id)
	}
	delete(n.streams, id)
	n.stopping = slices.DeleteFunc(n.stopping, (*stream).isFinished)
	n.stopping = append(n.stopping, s)
	n.mu.Unlock()
	n.system.Root.Send(n.pid, &stopStream{s: s})
	return s, nil
}

// Status returns a snapshot of one stream.
func (n *Node) Status(id string) (Status, error) {
	n.mu.Lock()
	s := n.streams[id]
	n.mu.Unlock()
	if s == nil {
		return Status{}, fmt.Errorf("%w: %q", ErrNotFound, id)
	}
	return s.status(), nil
}

// Streams returns a snapshot of every stream on this node, sorted by id.
func (n *Node) Streams() []Status {
	n.mu.Lock()
	all := slices.Collect(maps.Values(n.streams))
	n.mu.Unlock()
	out := make([]Status, 0, len(all))
	for _, s := range all {
		out = append(out, s.status())
	}
	slices.SortFunc(out, func(a, b Status) int { return strings.Compare(a.Spec.ID, b.Spec.ID) })
	return out
}

// Done returns a channel closed when the stream's current run has stopped (at end of
// input in Scan mode, or after Stop).
func (n *Node) Done(id string) (<-chan struct{}, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	s := n.streams[id]
	if s == nil {
		return nil, fmt.Errorf("%w: %q", ErrNotFound, id)
	}
	return s.done, nil
}

// Subscribe returns a subscription to every event of every stream on this node; see
// Bus.Subscribe for limit.
func (n *Node) Subscribe(limit int) *Subscription { return n.bus.Subscribe(limit) }

// Outstanding reports how many frame references detectors of this node hold (for leak
// checks and metrics).
func (n *Node) Outstanding() int64 {
	n.mu.Lock()
	defer n.mu.Unlock()
	var t int64
	for _, s := range n.streams {
		t += s.outstanding.Load()
	}
	return t
}

// Close stops every stream, waits for their goroutines and shuts the actor system down.
// It is idempotent.
func (n *Node) Close() error {
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		return nil
	}
	n.closed = true
	all := slices.Collect(maps.Values(n.streams))
	clear(n.streams)
	all = append(all, n.stopping...)
	n.stopping = nil
	n.mu.Unlock()

	var errs []error
	deadline := time.After(n.cfg.StopTimeout)
	for _, s := range all {
		n.system.Root.Send(n.pid, &stopStream{s: s})
	}
	for _, s := range all {
		select {
		case <-s.done:
		case <-deadline:
			errs = append(errs, fmt.Errorf("actors: stream %q did not stop within %s", s.spec.ID, n.cfg.StopTimeout))
		}
	}
	n.wg.Wait()
	n.system.Root.Stop(n.pid)
	n.system.Shutdown()
	n.bus.close()
	return errors.Join(errs...)
}

func (n *Node) publish(s *stream, e Event) {
	e.Stream = s.spec.ID
	e.Node = n.cfg.Name
	e.Epoch = s.spec.Epoch
	e.Labels = s.spec.Labels
	e.At = n.cfg.Clock.Now()
	n.bus.publish(e)
}

func (s *stream) isFinished() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.finished
}

// nodeActor is the NodeActor: the parent of every stream supervisor of the process.
type nodeActor struct {
	n    *Node
	runs map[*stream]*actor.PID
}

// Receive implements actor.Actor.
func (a *nodeActor) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *actor.Started:
		a.runs = make(map[*stream]*actor.PID)
	case *startStream:
		n := a.n
		r := &run{node: n, s: m.s, media: n.cfg.Media}
		st := &restartStrategy{backoff: n.cfg.Backoff, clock: n.cfg.Clock, s: m.s,
			log: n.log.With("stream", m.s.spec.ID)}
		props := actor.PropsFromProducer(newSupervisorActor(r, st, m.detCfg), actor.WithSupervisor(st))
		a.runs[m.s] = ctx.Spawn(props)
	case *stopStream:
		if pid := a.runs[m.s]; pid != nil {
			ctx.Send(pid, m)
		}
	case *actor.Terminated:
		for s, pid := range a.runs {
			if pid.Equal(m.Who) {
				delete(a.runs, s)
				s.finish() // normally done by the supervisor; this covers a crashed one
			}
		}
	}
}
