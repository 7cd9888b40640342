//go:build docker

package image

import (
	"archive/tar"
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// root is the repository root, seen from this package's directory.
var root = filepath.Join("..", "..")

// maxImageBytes bounds the image: the libraries FFmpeg 5.1 and OpenCV 4.6 need come
// to ~390 MB; much more means something that does not belong has got in.
const maxImageBytes = 600e6

var (
	buildOnce sync.Once
	buildName string // the image's commit tag, e.g. vigil:1a2b3c4
	buildErr  error
)

// imageUnderTest builds the image with `make image`, once per test binary, and
// returns its commit tag.
func imageUnderTest(tb testing.TB) string {
	tb.Helper()
	buildOnce.Do(func() { buildName, buildErr = buildImage(tb) })
	if buildErr != nil {
		tb.Fatal(buildErr)
	}
	return buildName
}

// buildImage runs `make build` and then `make image`, timing the latter.
func buildImage(tb testing.TB) (string, error) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	name, err := makeTarget(ctx, "-s", "image-name")
	if err != nil {
		return "", err
	}
	name = strings.TrimSpace(name)
	short, err := run(ctx, "git", "-C", root, "rev-parse", "--short", "HEAD")
	if err != nil {
		return "", err
	}
	if want := "vigil:" + strings.TrimSpace(short); !strings.HasPrefix(name, want) {
		return "", fmt.Errorf("make image-name = %q, want %q or %[2]q-dirty", name, want)
	}
	// Compile first (a cold cgo build takes minutes) so that what is timed below is the
	// image, not the compiler.
	if _, err := makeTarget(ctx, "build"); err != nil {
		return "", err
	}
	start := time.Now()
	out, err := makeTarget(ctx, "image", "IMAGE_TAG="+strings.TrimPrefix(name, "vigil:"))
	took := time.Since(start)
	if err != nil {
		return "", err
	}
	tb.Logf("make image took %s:\n%s", took.Round(100*time.Millisecond), out)
	if took > 5*time.Minute {
		return "", fmt.Errorf("make image took %s, want a few minutes at most", took)
	}
	return name, nil
}

// makeTarget runs make in the repository root. The Makefile includes deploy/deploy.mk;
// naming it again is harmless (it guards against a second inclusion) and lets the
// test run before the include is in place.
func makeTarget(ctx context.Context, args ...string) (string, error) {
	args = append([]string{"-C", root, "-f", "Makefile", "-f", "deploy/deploy.mk"}, args...)
	return run(ctx, "make", args...)
}

// run runs a command and returns its stdout; the error carries its stderr.
func run(ctx context.Context, name string, args ...string) (string, error) {
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("%s %s: %w\n%s%s", name, strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.String(), nil
}

// docker runs the docker CLI with a deadline.
func docker(tb testing.TB, timeout time.Duration, args ...string) (string, error) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return run(ctx, "docker", args...)
}

// waitFor calls cond every interval until it reports done, fails, or timeout passes.
func waitFor(tb testing.TB, timeout, interval time.Duration, what string, cond func() (bool, error)) {
	tb.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		done, err := cond()
		if err != nil {
			tb.Fatalf("%s: %v", what, err)
		}
		if done {
			return
		}
		select {
		case <-deadline.C:
			tb.Fatalf("%s: not after %s", what, timeout)
		case <-tick.C:
		}
	}
}

// imageInfo is the part of `docker image inspect` the tests look at.
type imageInfo struct {
	ID     string `json:"Id"`
	Size   int64
	Config struct {
		User         string
		Cmd          []string
		Env          []string
		WorkingDir   string
		ExposedPorts map[string]struct{}
		Volumes      map[string]struct{}
		Healthcheck  struct{ Test []string }
	}
}

func inspectImage(tb testing.TB, name string) imageInfo {
	tb.Helper()
	out, err := docker(tb, time.Minute, "image", "inspect", name)
	if err != nil {
		tb.Fatal(err)
	}
	var infos []imageInfo
	if err := json.Unmarshal([]byte(out), &infos); err != nil || len(infos) != 1 {
		tb.Fatalf("docker image inspect %s: %v: %s", name, err, out)
	}
	return infos[0]
}

func TestImageConfig(t *testing.T) {
	img := imageUnderTest(t)
	info := inspectImage(t, img)
	t.Logf("%s: %s, %.0f MB", img, info.ID, float64(info.Size)/1e6)
	tests := []struct {
		name      string
		got, want any
	}{
		{"latest is the same image", inspectImage(t, "vigil:latest").ID, info.ID},
		{"user", info.Config.User, "10001:10001"},
		{"ports", slices.Sorted(maps.Keys(info.Config.ExposedPorts)), []string{"7070/tcp", "7946/tcp", "7946/udp", "8080/tcp"}},
		{"health check", info.Config.Healthcheck.Test, []string{"CMD", "/usr/local/bin/vigil", "health"}},
		{"command", info.Config.Cmd, []string{"vigil", "agent"}},
		{"working directory", info.Config.WorkingDir, "/var/lib/vigil"},
		{"data volume", slices.Sorted(maps.Keys(info.Config.Volumes)), []string{"/var/lib/vigil"}},
		{"HTTP on every interface", slices.Contains(info.Config.Env, "VIGIL_HTTP=0.0.0.0:8080"), true},
		{"size within bound", info.Size <= maxImageBytes, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if fmt.Sprint(tc.got) != fmt.Sprint(tc.want) {
				t.Errorf("got %v, want %v", tc.got, tc.want)
			}
		})
	}
}

// TestImageFiles reads the image's file system (docker export) and checks what is in it.
func TestImageFiles(t *testing.T) {
	img := imageUnderTest(t)
	id, err := docker(t, time.Minute, "create", img)
	if err != nil {
		t.Fatal(err)
	}
	id = strings.TrimSpace(id)
	t.Cleanup(func() { docker(t, time.Minute, "rm", "-f", id) })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "docker", "export", id)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	files := map[string]*tar.Header{}
	var passwd []byte
	var libs int
	tr := tar.NewReader(out)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		name := "/" + strings.TrimSuffix(h.Name, "/")
		if slices.Contains(dockerInit, name) {
			continue
		}
		files[name] = h
		if h.Typeflag == tar.TypeReg && h.Mode&0o111 != 0 {
			switch {
			case strings.Contains(path.Base(name), ".so"):
				libs++
			case name != "/usr/local/bin/vigil":
				t.Errorf("%s: an executable other than vigil and shared objects", name)
			}
		}
		if name == "/etc/passwd" {
			if passwd, err = io.ReadAll(tr); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d files, %d of them shared objects with the executable bit", len(files), libs)

	tests := []struct {
		name  string
		path  string
		check func(h *tar.Header) error
	}{
		{"loader at its canonical path", "/lib64/ld-linux-x86-64.so.2", regular},
		{"libc", "/lib/x86_64-linux-gnu/libc.so.6", regular},
		{"x264 for the demo encoder", "/lib/x86_64-linux-gnu/libx264.so.164", regular},
		{"gconv modules", "/usr/lib/x86_64-linux-gnu/gconv/ISO_6937.so", regular},
		{"CA certificates", "/etc/ssl/certs/ca-certificates.crt", regular},
		{"tzdata", "/usr/share/zoneinfo/Europe/Paris", regular},
		{"vigil", "/usr/local/bin/vigil", regular},
		{"/tmp sticky and world-writable", "/tmp", func(h *tar.Header) error {
			if m := h.FileInfo().Mode(); !m.IsDir() || m&os.ModeSticky == 0 || m.Perm() != 0o777 {
				return fmt.Errorf("mode %v, want a directory with mode 1777", m)
			}
			return nil
		}},
		{"data directory owned by vigil", "/var/lib/vigil", func(h *tar.Header) error {
			if !h.FileInfo().IsDir() || h.Uid != 10001 || h.Gid != 10001 {
				return fmt.Errorf("uid %d gid %d mode %v, want a directory of 10001:10001", h.Uid, h.Gid, h.FileInfo().Mode())
			}
			return nil
		}},
		{"no shell", "/bin/sh", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h, ok := files[tc.path]
			switch {
			case tc.check == nil && ok:
				t.Errorf("%s is in the image", tc.path)
			case tc.check == nil:
			case !ok:
				t.Errorf("%s is missing", tc.path)
			default:
				if err := tc.check(h); err != nil {
					t.Errorf("%s: %v", tc.path, err)
				}
			}
		})
	}
	t.Run("user vigil", func(t *testing.T) {
		if !bytes.Contains(passwd, []byte("\nvigil:x:10001:10001:")) {
			t.Errorf("/etc/passwd has no user vigil with uid 10001:\n%s", passwd)
		}
	})
}

// dockerInit are the files the engine adds to every container (its init layer), which
// docker export shows with the image's own.
var dockerInit = []string{"/.dockerenv", "/dev/console", "/etc/hostname", "/etc/hosts", "/etc/resolv.conf"}

func regular(h *tar.Header) error {
	if h.Typeflag != tar.TypeReg {
		return fmt.Errorf("type %q, want a regular file", h.Typeflag)
	}
	return nil
}

// defect is the part of vigil's JSON records the tests look at.
type defect struct {
	Event  string  `json:"event"`
	Stream string  `json:"stream"`
	Type   string  `json:"type"`
	Start  float64 `json:"start"`
	End    float64 `json:"end"`
}

// makeClip encodes an 8 s clip whose picture is black from 2 s to 5 s.
func makeClip(tb testing.TB) string {
	tb.Helper()
	clip := filepath.Join(tb.TempDir(), "clip.ts")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err := run(ctx, "ffmpeg", "-hide_banner", "-loglevel", "error", "-y",
		"-f", "lavfi", "-i", "testsrc2=size=320x180:rate=25:duration=8",
		"-f", "lavfi", "-i", "sine=frequency=440:duration=8",
		"-vf", "drawbox=x=0:y=0:w=iw:h=ih:color=black:t=fill:enable='between(t,2,5)'",
		"-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", "-shortest", clip)
	if err != nil {
		tb.Fatal(err)
	}
	// The container runs as 10001, not as the owner of the file.
	if err := os.Chmod(clip, 0o644); err != nil {
		tb.Fatal(err)
	}
	return clip
}

func TestScan(t *testing.T) {
	img := imageUnderTest(t)
	clip := makeClip(t)
	tests := []struct {
		name    string
		input   string
		wantErr bool
	}{
		{name: "clip with a black window", input: "/clip.ts"},
		{name: "missing input", input: "/missing.ts", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := docker(t, 2*time.Minute, "run", "--rm", "-v", clip+":/clip.ts:ro", img,
				"vigil", "scan", "--json", tc.input)
			if tc.wantErr {
				if err == nil {
					t.Fatalf("scan of %s succeeded: %s", tc.input, out)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var found bool
			for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
				var d defect
				if err := json.Unmarshal([]byte(line), &d); err != nil {
					t.Fatalf("not JSON: %q: %v", line, err)
				}
				if d.Type == "black" && d.Stream == "/clip.ts" && math.Abs(d.Start-2) < 0.2 && math.Abs(d.End-5) < 0.3 {
					found = true
				}
			}
			if !found {
				t.Errorf("no black defect from 2 s to 5 s in:\n%s", out)
			}
		})
	}
}

// TestHealthWithoutAgent checks that the health check fails when no agent answers.
func TestHealthWithoutAgent(t *testing.T) {
	img := imageUnderTest(t)
	out, err := docker(t, time.Minute, "run", "--rm", img, "vigil", "health")
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 || !strings.Contains(err.Error(), "connection refused") {
		t.Fatalf("vigil health with no agent: %v, want exit status 1, connection refused (stdout %q)", err, out)
	}
}

// TestAgentDemo runs the demo node (its channel is encoded inside the container with
// libx264 through FFmpeg) and checks its events, its user, its health check and its
// graceful stop.
func TestAgentDemo(t *testing.T) {
	img := imageUnderTest(t)
	name := fmt.Sprintf("vigil-image-test-%d", os.Getpid())
	if _, err := docker(t, time.Minute, "run", "-d", "--name", name, img,
		"vigil", "agent", "--demo", "--demo-channels", "1", "--json"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			out, _ := docker(t, time.Minute, "logs", "--tail", "30", name)
			t.Logf("last output of %s:\n%s", name, out)
		}
		docker(t, time.Minute, "rm", "-f", name)
	})

	t.Run("prints events", func(t *testing.T) {
		// Demo channel 0 goes black 2 s into its clip.
		waitForLine(t, name, 3*time.Minute, func(line string) bool {
			var d defect
			return json.Unmarshal([]byte(line), &d) == nil && d.Event == "start" && d.Type == "black"
		})
	})
	t.Run("runs as 10001", func(t *testing.T) {
		out, err := docker(t, time.Minute, "top", name, "-o", "pid,uid,gid,comm")
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(out), "\n")[1:]
		if len(lines) == 0 {
			t.Fatalf("no processes:\n%s", out)
		}
		for _, l := range lines {
			if f := strings.Fields(l); len(f) != 4 || f[1] != "10001" || f[2] != "10001" || f[3] != "vigil" {
				t.Errorf("process %q, want vigil running as 10001:10001", l)
			}
		}
	})
	t.Run("becomes healthy", func(t *testing.T) {
		waitFor(t, 2*time.Minute, time.Second, "health status healthy", func() (bool, error) {
			out, err := docker(t, time.Minute, "inspect", "--format", "{{.State.Health.Status}}", name)
			switch s := strings.TrimSpace(out); {
			case err != nil:
				return false, err
			case s == "unhealthy":
				return false, errors.New("unhealthy")
			default:
				return s == "healthy", nil
			}
		})
		out, err := docker(t, time.Minute, "exec", name, "vigil", "health")
		if err != nil || !strings.Contains(out, "http://127.0.0.1:8080/healthz: ok") {
			t.Errorf("vigil health in the container: %q, %v", out, err)
		}
	})
	t.Run("stops cleanly on SIGTERM", func(t *testing.T) {
		if _, err := docker(t, 2*time.Minute, "stop", "--time", "30", name); err != nil {
			t.Fatal(err)
		}
		out, err := docker(t, time.Minute, "inspect", "--format", "{{.State.ExitCode}}", name)
		if err != nil || strings.TrimSpace(out) != "0" {
			t.Errorf("exit code %q, %v; want 0", strings.TrimSpace(out), err)
		}
	})
}

// waitForLine follows a container's stdout until a line satisfies match.
func waitForLine(tb testing.TB, container string, timeout time.Duration, match func(string) bool) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "docker", "logs", "--follow", container)
	out, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	defer cmd.Wait()
	defer cancel()
	sc := bufio.NewScanner(out)
	var seen []string
	for sc.Scan() {
		if match(sc.Text()) {
			return
		}
		seen = append(seen, sc.Text())
	}
	tb.Fatalf("no matching line from %s within %s (%v); saw %d lines:\n%s", container, timeout,
		ctx.Err(), len(seen), strings.Join(seen[max(0, len(seen)-10):], "\n"))
}
