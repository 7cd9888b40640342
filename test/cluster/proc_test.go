package cluster

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// lines collects a process's output line by line, each with the time it was read.
type lines struct {
	mu   sync.Mutex
	all  []string
	file *os.File // a copy of everything, when kept for debugging
}

func (l *lines) read(r io.Reader, done func()) {
	defer done()
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	for sc.Scan() {
		l.mu.Lock()
		l.all = append(l.all, sc.Text())
		if l.file != nil {
			fmt.Fprintln(l.file, sc.Text())
		}
		l.mu.Unlock()
	}
}

// snapshot returns the lines read so far.
func (l *lines) snapshot() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.all...)
}

func (l *lines) tail(n int) string {
	all := l.snapshot()
	if len(all) > n {
		all = all[len(all)-n:]
	}
	return strings.Join(all, "\n")
}

// proc is one running vigil process.
type proc struct {
	name           string
	cmd            *exec.Cmd
	stdout, stderr lines
	exited         chan struct{} // closed once Wait returned
	err            error         // Wait's result, set before exited closes
}

// startProc starts vigil with args. Its output is kept in memory (and in
// logDir/name.{out,err} when logDir is set).
func startProc(tb testing.TB, name, logDir string, args ...string) *proc {
	tb.Helper()
	p := &proc{name: name, cmd: exec.Command(vigilBin, args...), exited: make(chan struct{})}
	p.cmd.Env = cleanEnv()
	stdout, err := p.cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	stderr, err := p.cmd.StderrPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if logDir != "" {
		p.stdout.file, _ = os.OpenFile(logDir+"/"+name+".out", os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		p.stderr.file, _ = os.OpenFile(logDir+"/"+name+".err", os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	}
	if err := p.cmd.Start(); err != nil {
		tb.Fatalf("start %s: %v", name, err)
	}
	var readers sync.WaitGroup
	readers.Add(2)
	go p.stdout.read(stdout, readers.Done)
	go p.stderr.read(stderr, readers.Done)
	go func() {
		readers.Wait() // Wait closes the pipes: read them to the end first
		p.err = p.cmd.Wait()
		for _, f := range []*os.File{p.stdout.file, p.stderr.file} {
			if f != nil {
				f.Close()
			}
		}
		close(p.exited)
	}()
	tb.Cleanup(func() {
		if p.running() {
			p.cmd.Process.Kill()
			<-p.exited
		}
	})
	return p
}

// cleanEnv is the test's environment without VIGIL_ variables, which would change
// the processes' flags.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "VIGIL_") {
			env = append(env, kv)
		}
	}
	return env
}

func (p *proc) running() bool {
	select {
	case <-p.exited:
		return false
	default:
		return true
	}
}

// wait waits until the process exits or timeout passes.
func (p *proc) wait(timeout time.Duration) error {
	select {
	case <-p.exited:
		return p.err
	case <-time.After(timeout):
		return fmt.Errorf("%s still running after %v", p.name, timeout)
	}
}

// stop sends SIGTERM and requires a clean exit (status 0) within timeout.
func (p *proc) stop(tb testing.TB, timeout time.Duration) {
	tb.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		tb.Fatalf("SIGTERM %s: %v", p.name, err)
	}
	if err := p.wait(timeout); err != nil {
		tb.Fatalf("%s after SIGTERM: %v\nlast log lines:\n%s", p.name, err, p.stderr.tail(20))
	}
}

// kill sends SIGKILL and waits for the process to be gone.
func (p *proc) kill(tb testing.TB) {
	tb.Helper()
	if err := p.cmd.Process.Kill(); err != nil {
		tb.Fatalf("SIGKILL %s: %v", p.name, err)
	}
	var exit *exec.ExitError
	if err := p.wait(10 * time.Second); !errors.As(err, &exit) {
		tb.Fatalf("%s after SIGKILL: %v", p.name, err)
	}
}

// runCLI runs one vigil command to completion and returns its stdout, stderr and
// error.
func runCLI(ctx context.Context, args ...string) (string, string, error) {
	cmd := exec.CommandContext(ctx, vigilBin, args...)
	cmd.Env = cleanEnv()
	var out, errOut strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	return out.String(), errOut.String(), err
}

// freePort returns a loopback port free for both TCP and UDP (gossip uses both).
func freePort(tb testing.TB) int {
	tb.Helper()
	for range 50 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			tb.Fatal(err)
		}
		port := ln.Addr().(*net.TCPAddr).Port
		pc, err := net.ListenPacket("udp", fmt.Sprintf("127.0.0.1:%d", port))
		ln.Close()
		if err == nil {
			pc.Close()
			return port
		}
	}
	tb.Fatal("no free port for TCP and UDP")
	return 0
}

// waitFor polls cond every interval until it holds or timeout passes.
func waitFor(tb testing.TB, timeout time.Duration, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
