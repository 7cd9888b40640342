package capacity

import (
	"fmt"
	"net"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// child is a process the benchmark started and stops.
type child struct {
	cmd    *exec.Cmd
	stderr *tailBuffer
	done   chan struct{}
	err    error // set before done closes
	once   sync.Once
}

// start runs name with args.
func start(name string, args ...string) (*child, error) {
	c := &child{cmd: exec.Command(name, args...), stderr: &tailBuffer{max: 8192}, done: make(chan struct{})}
	c.cmd.Stderr = c.stderr
	if err := c.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	go func() {
		c.err = c.cmd.Wait()
		close(c.done)
	}()
	return c, nil
}

// pid returns the process id.
func (c *child) pid() int { return c.cmd.Process.Pid }

// exited reports whether the process has ended, and why.
func (c *child) exited() (bool, error) {
	select {
	case <-c.done:
		return true, c.err
	default:
		return false, nil
	}
}

// stop interrupts the process, kills it if it has not exited after grace, and waits.
// It is safe to call more than once.
func (c *child) stop(grace time.Duration) {
	c.once.Do(func() {
		_ = c.cmd.Process.Signal(syscall.SIGINT)
		t := time.NewTimer(grace)
		defer t.Stop()
		select {
		case <-c.done:
		case <-t.C:
			_ = c.cmd.Process.Kill()
			<-c.done
		}
	})
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if len(t.b) > t.max {
		t.b = t.b[len(t.b)-t.max:]
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.TrimSpace(string(t.b))
}

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
