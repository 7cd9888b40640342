//go:build chaos

package chaos

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// dockerTimeout bounds one docker or docker-compose command; a graceful stop waits
// up to the compose file's 45 s grace period, plus the engine's own delays on a
// loaded machine.
const dockerTimeout = 3 * time.Minute

// run runs a command and returns its stdout; on failure the error carries stderr.
func run(ctx context.Context, env []string, name string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = env
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, strings.TrimSpace(errOut.String()))
	}
	return out.String(), nil
}

func docker(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), dockerTimeout)
	defer cancel()
	out, err := run(ctx, os.Environ(), "docker", args...)
	return strings.TrimSpace(out), err
}

// compose runs docker-compose on deploy/docker-compose.yml under the suite's project,
// with the variables that turn the file into the suite's cluster.
type compose struct {
	file    string
	project string
	env     []string
}

func newCompose(root string) *compose {
	env := []string{}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "VIGIL_") && !strings.HasPrefix(kv, "COMPOSE_") {
			env = append(env, kv)
		}
	}
	env = append(env,
		"VIGIL_IMAGE="+cfg.image,
		"VIGIL_RESTART=no", // the suite kills and restarts nodes itself
		"VIGIL_JSON=true",  // state and defect events as JSON Lines on stdout
		"VIGIL_LOG_FORMAT=json",
		"VIGIL_LOG_LEVEL=info",
		"VIGIL_CLUSTER_LABEL="+cfg.project,
		"VIGIL_ADMIN_PUBLISH=127.0.0.1:", // a free host port: never clashes with make cluster
		fmt.Sprintf("VIGIL_SOURCE_CHANNELS=%d", cfg.channels),
		"VIGIL_HEALTH_INTERVAL=10s",
	)
	return &compose{file: filepath.Join(root, "deploy", "docker-compose.yml"), project: cfg.project, env: env}
}

func (c *compose) run(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), dockerTimeout)
	defer cancel()
	return run(ctx, c.env, "docker-compose", append([]string{"-f", c.file, "-p", c.project}, args...)...)
}

// containerID returns the id of service svc's container. It asks the engine for the
// labels docker-compose puts on its containers: `docker-compose ps` would take over half
// a second of CPU (a Python start-up) for every call.
func (c *compose) containerID(svc string) (string, error) {
	id, err := docker("ps", "-aq", "--no-trunc",
		"--filter", "label=com.docker.compose.project="+c.project,
		"--filter", "label=com.docker.compose.service="+svc)
	if err != nil {
		return "", err
	}
	if id == "" || strings.Contains(id, "\n") {
		return "", fmt.Errorf("service %s: container id %q", svc, id)
	}
	return id, nil
}

// containerState is what `docker inspect` says about a container.
type containerState struct {
	Pid        int
	Running    bool
	Paused     bool
	ExitCode   int
	StartedAt  time.Time
	FinishedAt time.Time
	Health     string
	IP         string
	Gateway    string
}

func inspect(id string) (containerState, error) {
	out, err := docker("inspect", id)
	if err != nil {
		return containerState{}, err
	}
	var docs []struct {
		State struct {
			Pid                   int
			Running, Paused       bool
			ExitCode              int
			StartedAt, FinishedAt time.Time
			Health                *struct{ Status string }
		}
		NetworkSettings struct {
			Networks map[string]struct{ IPAddress, Gateway string }
		}
	}
	if err := json.Unmarshal([]byte(out), &docs); err != nil || len(docs) != 1 {
		return containerState{}, fmt.Errorf("docker inspect %s: %v", id, err)
	}
	d := docs[0]
	st := containerState{Pid: d.State.Pid, Running: d.State.Running, Paused: d.State.Paused,
		ExitCode: d.State.ExitCode, StartedAt: d.State.StartedAt, FinishedAt: d.State.FinishedAt}
	if d.State.Health != nil {
		st.Health = d.State.Health.Status
	}
	for _, n := range d.NetworkSettings.Networks { // one network: the project's "vigil"
		st.IP, st.Gateway = n.IPAddress, n.Gateway
	}
	return st, nil
}

// logs returns a container's stdout and stderr (every run of it, in order).
func logs(id string) (stdout, stderr string, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), dockerTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "docker", "logs", id)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		return "", "", fmt.Errorf("docker logs %s: %w", id, err)
	}
	return out.String(), errOut.String(), nil
}
