//go:build docker

package k8s

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// The docker test runs the StatefulSet's pods as containers of the real image:
//
//	make image && make k8s-docker-test     # go test -tags docker -run Docker ./test/k8s
//
// VIGIL_K8S_IMAGE names another image than the manifests' vigil:latest.

const (
	dockerTimeout = 2 * time.Minute  // one docker command
	readyWithin   = 60 * time.Second // pods ready and joined; streams running
	pollEvery     = 250 * time.Millisecond
)

// dockerCmd runs docker with args and returns its combined output.
func dockerCmd(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), dockerTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, "docker", args...).CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("docker %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return strings.TrimSpace(string(out)), nil
}

func mustDocker(tb testing.TB, args ...string) string {
	tb.Helper()
	out, err := dockerCmd(args...)
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

// waitFor polls cond until it holds or within passes; cond returns a description
// of what it saw, reported on timeout.
func waitFor(tb testing.TB, what string, within time.Duration, cond func() (bool, string)) {
	tb.Helper()
	deadline := time.NewTimer(within)
	defer deadline.Stop()
	tick := time.NewTicker(pollEvery)
	defer tick.Stop()
	for {
		ok, saw := cond()
		if ok {
			return
		}
		select {
		case <-deadline.C:
			tb.Fatalf("%s: not within %v; last seen: %s", what, within, saw)
		case <-tick.C:
		}
	}
}

// cluster is the set of Docker objects standing in for the Kubernetes objects.
type cluster struct {
	tb      testing.TB
	v       vigil
	image   string
	prefix  string       // unique per run: names every container, volume and the network
	subnet  netip.Prefix // the network's, so that each pod gets a known IP
	created []string     // containers, removed at cleanup
}

func newCluster(tb testing.TB, v vigil, image string) *cluster {
	tb.Helper()
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		tb.Fatal(err)
	}
	c := &cluster{tb: tb, v: v, image: image, prefix: "vigil-k8s-" + hex.EncodeToString(b)}
	// A pod's IP is in its environment from the start (status.podIP), so each
	// container needs a fixed IP: take a subnet Docker picks, then fix it.
	mustDocker(tb, "network", "create", c.prefix)
	sub := mustDocker(tb, "network", "inspect", "-f", "{{(index .IPAM.Config 0).Subnet}}", c.prefix)
	mustDocker(tb, "network", "rm", c.prefix)
	p, err := netip.ParsePrefix(sub)
	if err != nil || !p.Addr().Is4() {
		tb.Fatalf("network subnet %q: %v", sub, err)
	}
	c.subnet = p
	mustDocker(tb, "network", "create", "--subnet", sub, "--label", "vigil-k8s-test="+c.prefix, c.prefix)
	tb.Cleanup(c.cleanup)
	return c
}

// ip returns the subnet's nth address.
func (c *cluster) ip(n int) string {
	a := c.subnet.Addr()
	for range n {
		a = a.Next()
	}
	return a.String()
}

func (c *cluster) container(pod string) string { return c.prefix + "-" + pod }

func (c *cluster) cleanup() {
	if c.tb.Failed() {
		for _, name := range c.created {
			out, _ := dockerCmd("logs", "--tail", "40", name)
			c.tb.Logf("logs of %s:\n%s", name, out)
		}
	}
	for _, name := range c.created {
		dockerCmd("rm", "-f", "-v", name)
	}
	vols, _ := dockerCmd("volume", "ls", "-q", "--filter", "label=vigil-k8s-test="+c.prefix)
	for _, vol := range strings.Fields(vols) {
		dockerCmd("volume", "rm", vol)
	}
	dockerCmd("network", "rm", c.prefix)
}

// runPod starts pod ordinal i of the StatefulSet with IP n of the subnet, translating
// its template into `docker run`: the command, the environment with the downward
// API filled in, the security context (user, fsGroup, read-only root, capabilities,
// no privilege escalation; Docker's default seccomp profile is the runtime default),
// the memory limit, a named volume per volumeClaimTemplate (kept across runs, as a
// PersistentVolumeClaim is) and a tmpfs per emptyDir. The headless Service becomes a
// network alias that every pod shares, so its name resolves to all of them.
func (c *cluster) runPod(i, n int) string {
	tb, v := c.tb, c.v
	tb.Helper()
	pod := &v.sts.Spec.Template.Spec
	if len(pod.Containers) != 1 || len(pod.InitContainers) > 0 {
		tb.Fatal("the translation handles one container and no init containers")
	}
	name := fmt.Sprintf("%s-%d", v.sts.Name, i)
	ip := c.ip(n)
	ctr := c.container(name)
	args := []string{"run", "-d", "--name", ctr, "--hostname", name, "--label", "vigil-k8s-test=" + c.prefix,
		"--network", c.prefix, "--ip", ip, "--network-alias", v.headless.Name}
	fields := map[string]string{"metadata.name": name, "status.podIP": ip, "metadata.namespace": "default"}
	for _, e := range expandEnv(tb, v.c, func(path string) string {
		val, ok := fields[path]
		if !ok {
			tb.Fatalf("downward API field %q: not translated", path)
		}
		return val
	}) {
		args = append(args, "--env", e.Name+"="+e.Value)
	}
	ps, cs := pod.SecurityContext, v.c.SecurityContext
	uid, gid := cs.RunAsUser, cs.RunAsGroup
	if uid == nil {
		uid = ps.RunAsUser
	}
	if gid == nil {
		gid = ps.RunAsGroup
	}
	if uid == nil || gid == nil {
		tb.Fatal("no runAsUser/runAsGroup to translate")
	}
	args = append(args, "--user", fmt.Sprintf("%d:%d", *uid, *gid))
	if ps.FSGroup != nil {
		args = append(args, "--group-add", fmt.Sprint(*ps.FSGroup))
	}
	if cs.ReadOnlyRootFilesystem != nil && *cs.ReadOnlyRootFilesystem {
		args = append(args, "--read-only")
	}
	if cs.Capabilities != nil {
		for _, d := range cs.Capabilities.Drop {
			args = append(args, "--cap-drop", string(d))
		}
		for _, a := range cs.Capabilities.Add {
			args = append(args, "--cap-add", string(a))
		}
	}
	if cs.AllowPrivilegeEscalation != nil && !*cs.AllowPrivilegeEscalation {
		args = append(args, "--security-opt", "no-new-privileges")
	}
	if m, ok := v.c.Resources.Limits[corev1.ResourceMemory]; ok {
		args = append(args, "--memory", fmt.Sprint(m.Value()))
	}
	if cpu, ok := v.c.Resources.Limits[corev1.ResourceCPU]; ok {
		// Docker refuses more CPUs than the machine has; the pod's limit is a ceiling.
		args = append(args, "--cpus", fmt.Sprint(min(cpu.AsApproximateFloat64(), float64(runtime.NumCPU()))))
	}
	for _, m := range v.c.VolumeMounts {
		claim := slices.IndexFunc(v.sts.Spec.VolumeClaimTemplates, func(p corev1.PersistentVolumeClaim) bool { return p.Name == m.Name })
		switch vol := (*corev1.Volume)(nil); {
		case claim >= 0:
			args = append(args, "--mount", fmt.Sprintf("type=volume,src=%s-%s-%s,dst=%s,volume-label=vigil-k8s-test=%s",
				c.prefix, m.Name, name, m.MountPath, c.prefix))
		default:
			vol = volume(tb, pod, m.Name)
			if vol.EmptyDir == nil {
				tb.Fatalf("volume %s: only emptyDir and volumeClaimTemplates are translated", m.Name)
			}
			args = append(args, "--tmpfs", m.MountPath+":rw,mode=1777")
		}
	}
	args = append(args, "--entrypoint", v.c.Command[0], c.image)
	args = append(args, v.c.Command[1:]...)
	args = append(args, v.c.Args...)
	mustDocker(tb, args...)
	if !slices.Contains(c.created, ctr) {
		c.created = append(c.created, ctr)
	}
	return ctr
}

// probe runs an httpGet probe of the container the way the kubelet would, with the
// image's own client (it has no curl): vigil health GETs path on the probe's port.
func (c *cluster) probe(ctr string, p *corev1.Probe) (bool, string) {
	port := containerPort(c.tb, c.v.c, p.HTTPGet.Port, corev1.ProtocolTCP).ContainerPort
	out, err := dockerCmd("exec", ctr, "vigil", "health", "--http", fmt.Sprintf("127.0.0.1:%d", port), "--path", p.HTTPGet.Path)
	if err != nil {
		return false, out
	}
	return true, out
}

// vigilJSON runs a vigil client command in ctr and decodes its --json output.
func (c *cluster) vigilJSON(ctr string, out any, args ...string) error {
	text, err := dockerCmd(append([]string{"exec", ctr, "vigil"}, append(args, "--json")...)...)
	if err != nil {
		return err
	}
	return json.Unmarshal([]byte(text), out)
}

type member struct {
	Name       string `json:"name"`
	State      string `json:"state"`
	GossipAddr string `json:"gossip_addr"`
}

type stream struct {
	ID    string `json:"id"`
	Owner string `json:"owner"`
	State string `json:"state"`
}

// waitMembers waits until ctr sees exactly the named pods alive.
func (c *cluster) waitMembers(ctr string, want []string) []member {
	c.tb.Helper()
	var ms []member
	waitFor(c.tb, fmt.Sprintf("%s sees members %v", ctr, want), readyWithin, func() (bool, string) {
		ms = nil
		if err := c.vigilJSON(ctr, &ms, "members"); err != nil {
			return false, err.Error()
		}
		var alive []string
		for _, m := range ms {
			if m.State == "alive" {
				alive = append(alive, m.Name)
			}
		}
		slices.Sort(alive)
		return slices.Equal(alive, want), fmt.Sprint(ms)
	})
	return ms
}

// waitStreams waits until every stream runs on a node other than away.
func (c *cluster) waitStreams(ctr string, n int, away string) []stream {
	c.tb.Helper()
	var ss []stream
	waitFor(c.tb, fmt.Sprintf("%d streams running, none on %q", n, away), readyWithin, func() (bool, string) {
		ss = nil
		if err := c.vigilJSON(ctr, &ss, "streams", "ls"); err != nil {
			return false, err.Error()
		}
		ok := len(ss) == n
		for _, s := range ss {
			ok = ok && s.State == "running" && s.Owner != "" && s.Owner != away
		}
		return ok, fmt.Sprint(ss)
	})
	return ss
}

// TestPodsInDocker runs the StatefulSet's pods as containers of the real image under
// the pods' own settings and checks what the manifests promise: the pods pass their
// readiness and liveness probes, join each other through the headless Service's
// name into one cluster, run streams, and on SIGTERM a pod drains its streams and
// exits 0 within terminationGracePeriodSeconds; a pod recreated with a new IP (a
// rescheduled pod) joins again under its name.
func TestPodsInDocker(t *testing.T) {
	v := loadVigil(t, manifestDir)
	image := v.c.Image
	if s := os.Getenv("VIGIL_K8S_IMAGE"); s != "" {
		image = s
	}
	if _, err := dockerCmd("image", "inspect", image); err != nil {
		t.Fatalf("image %s: %v (build it with make image)", image, err)
	}
	if help, _ := dockerCmd("run", "--rm", "--entrypoint", "/usr/local/bin/vigil", image, "agent", "-h"); !strings.Contains(help, "-join") {
		t.Fatalf("image %s has no clustered agent (no --join flag): rebuild it with make image", image)
	}
	c := newCluster(t, v, image)
	replicas := int(*v.sts.Spec.Replicas)
	var pods, ctrs []string
	for i := range replicas { // podManagementPolicy Parallel: all at once
		pods = append(pods, fmt.Sprintf("%s-%d", v.sts.Name, i))
		ctrs = append(ctrs, c.runPod(i, 10+i))
	}

	for _, ctr := range ctrs {
		waitFor(t, ctr+" ready", readyWithin, func() (bool, string) { return c.probe(ctr, v.c.ReadinessProbe) })
		if ok, out := c.probe(ctr, v.c.LivenessProbe); !ok {
			t.Fatalf("%s: liveness probe fails: %s", ctr, out)
		}
	}
	ms := c.waitMembers(ctrs[0], pods)
	for _, m := range ms {
		t.Logf("member %s %s %s", m.Name, m.State, m.GossipAddr)
	}

	// Streams from a live source on the same network (a test fixture, not a pod).
	const channels = 3
	src := c.prefix + "-source"
	mustDocker(t, "run", "-d", "--name", src, "--network", c.prefix, "--network-alias", "source",
		"--user", "10001:10001", "--read-only", "--tmpfs", "/tmp:rw,mode=1777", "--cap-drop", "ALL",
		"--label", "vigil-k8s-test="+c.prefix, "--entrypoint", "/usr/local/bin/vigil", image,
		"source", "--listen", "0.0.0.0:8090", "--channels", fmt.Sprint(channels), "--width", "320", "--height", "180")
	c.created = append(c.created, src)
	for ch := range channels {
		mustDocker(t, "exec", ctrs[0], "vigil", "streams", "assign", fmt.Sprintf("ch%d", ch), fmt.Sprintf("http://source:8090/ch/%d.ts", ch))
	}
	ss := c.waitStreams(ctrs[0], channels, "")
	t.Logf("streams: %v", ss)

	// SIGTERM the owner of ch0, as the kubelet does, with the pod's grace period.
	victim := ss[0].Owner
	vi := slices.Index(pods, victim)
	other := ctrs[(vi+1)%replicas]
	grace := *v.sts.Spec.Template.Spec.TerminationGracePeriodSeconds
	start := time.Now()
	mustDocker(t, "stop", "-t", fmt.Sprint(grace), ctrs[vi])
	took := time.Since(start)
	code := mustDocker(t, "inspect", "-f", "{{.State.ExitCode}}", ctrs[vi])
	logs, _ := dockerCmd("logs", ctrs[vi])
	t.Logf("%s stopped in %v, exit %s", victim, took.Round(time.Millisecond), code)
	if code != "0" {
		t.Fatalf("%s exited %s after SIGTERM (137: killed at the end of the %ds grace period)", victim, code, grace)
	}
	if !strings.Contains(logs, "drained: every stream handed off") {
		t.Errorf("%s did not report a complete drain; its log:\n%s", victim, logs)
	}
	ss = c.waitStreams(other, channels, victim)
	t.Logf("streams after the drain: %v", ss)

	// The StatefulSet recreates the pod under the same name; rescheduled, it has a new IP.
	mustDocker(t, "rm", ctrs[vi])
	ctr := c.runPod(vi, 10+replicas+vi)
	waitFor(t, ctr+" ready again", readyWithin, func() (bool, string) { return c.probe(ctr, v.c.ReadinessProbe) })
	ms = c.waitMembers(other, pods)
	for _, m := range ms {
		if m.Name == victim && !strings.HasPrefix(m.GossipAddr, c.ip(10+replicas+vi)+":") {
			t.Errorf("%s rejoined from %s, want its new IP %s", victim, m.GossipAddr, c.ip(10+replicas+vi))
		}
	}
}
