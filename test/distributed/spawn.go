package distributed

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"syscall"
	"time"
)

// Exec says how to start a benchmark child: Path (an executable that calls ChildMain
// first) with Args before the role's own flags, the role in ChildEnv. A child's stderr
// (its warnings) goes to Stderr, or is discarded when Stderr is nil.
type Exec struct {
	// Path is the executable, usually os.Executable() or a test binary.
	Path string
	// Args go before the role's flags.
	Args []string
	// Stderr receives the children's logs.
	Stderr io.Writer
}

// Usage is what the kernel accounted to one finished child process.
type Usage struct {
	// CPU is user plus system CPU time.
	CPU time.Duration
	// MaxRSS is the peak resident set size in bytes.
	MaxRSS int64
}

// child is one running child process.
type child struct {
	role  string
	cmd   *exec.Cmd
	stdin io.WriteCloser
	out   *json.Decoder
}

// start starts a child playing role with args as its flags.
func (e Exec) start(ctx context.Context, role string, args ...string) (*child, error) {
	cmd := exec.CommandContext(ctx, e.Path, append(append([]string{}, e.Args...), args...)...)
	cmd.Env = append(os.Environ(), ChildEnv+"="+role)
	cmd.Stderr = e.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", role, err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", role, err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", role, err)
	}
	return &child{role: role, cmd: cmd, stdin: stdin, out: json.NewDecoder(bufio.NewReader(stdout))}, nil
}

// report reads the next JSON report the child prints.
func (c *child) report() (childReport, error) {
	var r childReport
	if err := c.out.Decode(&r); err != nil {
		return r, fmt.Errorf("%s: read report: %w", c.role, err)
	}
	return r, nil
}

// wait closes the child's stdin, waits for it to exit and returns its usage.
func (c *child) wait() (Usage, error) {
	c.stdin.Close()
	if err := c.cmd.Wait(); err != nil {
		return Usage{}, fmt.Errorf("%s: %w", c.role, err)
	}
	ps := c.cmd.ProcessState
	u := Usage{CPU: ps.UserTime() + ps.SystemTime()}
	if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
		u.MaxRSS = ru.Maxrss * 1024 // kilobytes on Linux
	}
	return u, nil
}

// kill stops a child that is no longer wanted (after an error elsewhere) and reaps it.
func (c *child) kill() {
	c.stdin.Close()
	if c.cmd.ProcessState == nil {
		c.cmd.Process.Kill()
		c.cmd.Wait()
	}
}
