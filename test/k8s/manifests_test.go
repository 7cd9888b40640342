package k8s

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// The agent's fixed points the manifests are checked against.
const (
	dataDir         = "/var/lib/vigil" // the image's data directory and volume
	healthPath      = "/healthz"       // liveness: the process serves HTTP
	readyPath       = "/readyz"        // readiness: the node has joined
	shutdownMargin  = 15 * time.Second // after the drain: leave (≤ 2 s), admin stop (≤ 2 s), HTTP shutdown (≤ 5 s)
	drainDefault    = 30 * time.Second // the agent's --drain-timeout default
	minReplicas     = 3                // a majority survives one node down
	hostnameTopoKey = "kubernetes.io/hostname"
)

// vigil is the decoded deploy/k8s with the pieces the checks need picked out.
type vigil struct {
	manifests
	img      image
	sts      *appsv1.StatefulSet
	c        *corev1.Container
	env      map[string]string
	headless *corev1.Service
	admin    *corev1.Service
}

func loadVigil(tb testing.TB, dir string) vigil {
	tb.Helper()
	v := vigil{manifests: loadManifests(tb, dir), img: readImage(tb)}
	if len(v.manifests.sts) != 1 || len(v.pdbs) != 1 || len(v.services) != 2 {
		tb.Fatalf("want 1 StatefulSet, 2 Services, 1 PodDisruptionBudget; have %d, %d, %d",
			len(v.manifests.sts), len(v.services), len(v.pdbs))
	}
	v.sts = v.manifests.sts[0]
	v.c = container(tb, v.sts, "vigil")
	v.env = containerEnv(tb, v.img, v.c)
	for _, s := range v.services {
		if s.Spec.ClusterIP == corev1.ClusterIPNone {
			v.headless = s
		} else {
			v.admin = s
		}
	}
	if v.headless == nil || v.admin == nil {
		tb.Fatal("want one headless Service (clusterIP: None) and one admin Service")
	}
	return v
}

// show formats an optional value: its value, or "unset".
func show[T any](p *T) string {
	if p == nil {
		return "unset"
	}
	return fmt.Sprint(*p)
}

// checks are the invariants of deploy/k8s, each a function of the decoded manifests.
// TestManifests runs them on deploy/k8s; TestChecksCatchMistakes shows each can fail.
var checks = []struct {
	name string
	fn   func(testing.TB, vigil)
}{
	{"kustomization lists every file", checkKustomization},
	{"identity", checkIdentity},
	{"image and command", checkImageAndCommand},
	{"agent settings", checkAgentSettings},
	{"join seeds", checkJoinSeeds},
	{"gossip ports", checkGossipPorts},
	{"probes", checkProbes},
	{"graceful drain", checkGracefulDrain},
	{"resources", checkResources},
	{"data volume", checkDataVolume},
	{"security", checkSecurity},
	{"restricted pod security", checkRestrictedPodSecurity},
	{"spread across nodes", checkSpreadAcrossNodes},
	{"headless gossip service", checkHeadlessGossip},
	{"admin service", checkAdmin},
	{"service target ports", checkTargetPorts},
	{"disruption budget", checkDisruptionBudget},
}

func TestManifests(t *testing.T) {
	v := loadVigil(t, manifestDir)
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) { c.fn(t, v) })
	}
}

// checkKustomization checks that kustomization.yaml names every manifest beside it,
// and nothing that is not there.
func checkKustomization(t testing.TB, m vigil) {
	var files []string
	for f := range m.files {
		files = append(files, f)
	}
	sort.Strings(files)
	listed := slices.Clone(m.kustomization.Resources)
	sort.Strings(listed)
	if !slices.Equal(files, listed) {
		t.Fatalf("kustomization.yaml resources %v, files %v", listed, files)
	}
}

func checkIdentity(t testing.TB, v vigil) {
	spec := &v.sts.Spec
	podLabels := spec.Template.Labels
	if spec.ServiceName != v.headless.Name {
		t.Errorf("serviceName %q, headless Service %q", spec.ServiceName, v.headless.Name)
	}
	mustSelect(t, "statefulset", spec.Selector, podLabels)
	if spec.Replicas == nil || *spec.Replicas < minReplicas {
		t.Errorf("replicas %s, want at least %d", show(spec.Replicas), minReplicas)
	}
	if spec.PodManagementPolicy != appsv1.ParallelPodManagement {
		t.Errorf("podManagementPolicy %q, want Parallel (a node serves alone until others come up)", spec.PodManagementPolicy)
	}
	if spec.UpdateStrategy.Type != appsv1.RollingUpdateStatefulSetStrategyType {
		t.Errorf("updateStrategy %q, want RollingUpdate", spec.UpdateStrategy.Type)
	}
}

func checkImageAndCommand(t testing.TB, v vigil) {
	if v.c.Image != "vigil:latest" {
		t.Errorf("image %q, want vigil:latest (make image)", v.c.Image)
	}
	if v.c.ImagePullPolicy != corev1.PullIfNotPresent {
		t.Errorf("imagePullPolicy %q, want IfNotPresent (a :latest tag defaults to Always, which needs a registry)", v.c.ImagePullPolicy)
	}
	if !slices.Equal(v.c.Command, []string{"/usr/local/bin/vigil"}) || len(v.c.Args) == 0 || v.c.Args[0] != "agent" {
		t.Errorf("command %q args %q, want /usr/local/bin/vigil agent", v.c.Command, v.c.Args)
	}
}

func checkAgentSettings(t testing.TB, v vigil) {
	cases := []struct{ name, want string }{
		{"VIGIL_NAME", "{metadata.name}"},
		{"VIGIL_ADVERTISE", fmt.Sprintf("{status.podIP}:%d", namedPort(t, v.c, "gossip").ContainerPort)},
		{"VIGIL_DATA_DIR", dataDir},
	}
	for _, c := range cases {
		if got := v.env[c.name]; got != c.want {
			t.Errorf("%s = %q, want %q", c.name, got, c.want)
		}
	}
	// Each address the agent listens on is a port the container declares.
	for env, name := range map[string]string{"VIGIL_BIND": "gossip", "VIGIL_GRPC": "grpc", "VIGIL_HTTP": "http"} {
		if p, want := port(t, env, v.env[env]), namedPort(t, v.c, name).ContainerPort; p != want {
			t.Errorf("%s=%q listens on %d, container port %q is %d", env, v.env[env], p, name, want)
		}
		if h := strings.Split(v.env[env], ":")[0]; h != "0.0.0.0" && h != "" {
			t.Errorf("%s=%q: listen on every interface, or the kubelet and peers cannot reach it", env, v.env[env])
		}
	}
}

func checkJoinSeeds(t testing.TB, v vigil) {
	seeds := strings.Split(v.env["VIGIL_JOIN"], ",")
	if len(seeds) == 0 || seeds[0] == "" {
		t.Fatal("VIGIL_JOIN is empty: the nodes would never find each other")
	}
	gossip := namedPort(t, v.c, "gossip").ContainerPort
	for _, s := range seeds {
		host := strings.TrimSpace(s)
		if strings.Contains(host, ":") {
			if p := port(t, "VIGIL_JOIN", host); p != gossip {
				t.Errorf("seed %q: port %d, gossip port %d", s, p, gossip)
			}
			host = strings.Split(host, ":")[0]
		}
		first, _, _ := strings.Cut(host, ".")
		pod := strings.HasPrefix(first, v.sts.Name+"-") && strings.HasPrefix(strings.TrimPrefix(host, first+"."), v.headless.Name)
		if first != v.headless.Name && !pod {
			t.Errorf("seed %q is neither the headless Service %q nor one of its pods", s, v.headless.Name)
		}
	}
}

func checkGossipPorts(t testing.TB, v vigil) {
	tcp, udp := namedPort(t, v.c, "gossip"), namedPort(t, v.c, "gossip-udp")
	if tcp.ContainerPort != udp.ContainerPort || udp.Protocol != corev1.ProtocolUDP {
		t.Errorf("gossip ports %+v %+v: memberlist wants TCP and UDP on one port", tcp, udp)
	}
}

func checkProbes(t testing.TB, v vigil) {
	httpPort := port(t, "VIGIL_HTTP", v.env["VIGIL_HTTP"])
	probes := []struct {
		name  string
		probe *corev1.Probe
		path  string
	}{
		{"liveness", v.c.LivenessProbe, healthPath},
		{"readiness", v.c.ReadinessProbe, readyPath},
	}
	for _, p := range probes {
		if p.probe == nil || p.probe.HTTPGet == nil {
			t.Errorf("%s probe: want httpGet %s", p.name, p.path)
			continue
		}
		g := p.probe.HTTPGet
		if g.Path != p.path {
			t.Errorf("%s probe path %q, want %q", p.name, g.Path, p.path)
		}
		if cp := containerPort(t, v.c, g.Port, corev1.ProtocolTCP); cp.ContainerPort != httpPort {
			t.Errorf("%s probe port %s is %d, the agent serves HTTP on %d", p.name, g.Port.String(), cp.ContainerPort, httpPort)
		}
		if g.Scheme != "" && g.Scheme != corev1.URISchemeHTTP {
			t.Errorf("%s probe scheme %q, want HTTP", p.name, g.Scheme)
		}
	}
}

func checkGracefulDrain(t testing.TB, v vigil) {
	spec := &v.sts.Spec
	pod := &spec.Template.Spec
	drain := drainDefault
	if d, ok := v.env["VIGIL_DRAIN_TIMEOUT"]; ok {
		var err error
		if drain, err = time.ParseDuration(d); err != nil || drain <= 0 {
			t.Fatalf("VIGIL_DRAIN_TIMEOUT=%q: want a positive duration", d)
		}
	}
	want := int64((drain + shutdownMargin).Seconds())
	if g := pod.TerminationGracePeriodSeconds; g == nil || *g < want {
		t.Errorf("terminationGracePeriodSeconds %s, want at least %d: the drain timeout (%v) plus %v to leave and stop, or the kubelet kills the drain",
			show(g), want, drain, shutdownMargin)
	}
}

func checkResources(t testing.TB, v vigil) {
	for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		req, okReq := v.c.Resources.Requests[r]
		lim, okLim := v.c.Resources.Limits[r]
		if !okReq || !okLim {
			t.Errorf("%s: want a request and a limit", r)
			continue
		}
		if req.Sign() <= 0 || req.Cmp(lim) > 0 {
			t.Errorf("%s: request %s, limit %s", r, req.String(), lim.String())
		}
	}
}

func checkDataVolume(t testing.TB, v vigil) {
	spec := &v.sts.Spec
	m := mountAt(t, v.c, dataDir)
	var tmpl *corev1.PersistentVolumeClaim
	for i := range spec.VolumeClaimTemplates {
		if spec.VolumeClaimTemplates[i].Name == m.Name {
			tmpl = &spec.VolumeClaimTemplates[i]
		}
	}
	if tmpl == nil {
		t.Fatalf("%s is mounted from %q, which is no volumeClaimTemplate", dataDir, m.Name)
	}
	if !slices.Contains(tmpl.Spec.AccessModes, corev1.ReadWriteOnce) {
		t.Errorf("access modes %v, want ReadWriteOnce", tmpl.Spec.AccessModes)
	}
	if s := tmpl.Spec.Resources.Requests[corev1.ResourceStorage]; s.Cmp(resource.MustParse("64Mi")) < 0 {
		t.Errorf("storage request %s, want at least 64Mi", s.String())
	}
	if m.ReadOnly {
		t.Error("the data directory is mounted read-only")
	}
}

func checkSecurity(t testing.TB, v vigil) {
	spec := &v.sts.Spec
	pod := &spec.Template.Spec
	ps, cs := pod.SecurityContext, v.c.SecurityContext
	if ps == nil || cs == nil {
		t.Fatal("want a pod and a container securityContext")
	}
	runAsNonRoot := cs.RunAsNonRoot
	if runAsNonRoot == nil {
		runAsNonRoot = ps.RunAsNonRoot
	}
	if runAsNonRoot == nil || !*runAsNonRoot {
		t.Error("runAsNonRoot is not true")
	}
	for _, id := range []struct {
		what      string
		pod, cont *int64
		want      int64
	}{
		{"runAsUser", ps.RunAsUser, cs.RunAsUser, v.img.uid},
		{"runAsGroup", ps.RunAsGroup, cs.RunAsGroup, v.img.gid},
		{"fsGroup", ps.FSGroup, nil, v.img.gid},
	} {
		got := id.cont
		if got == nil {
			got = id.pod
		}
		if got == nil || *got != id.want {
			t.Errorf("%s %s, want the image's %d", id.what, show(got), id.want)
		}
	}
	if cs.AllowPrivilegeEscalation == nil || *cs.AllowPrivilegeEscalation {
		t.Error("allowPrivilegeEscalation is not false")
	}
	if cs.ReadOnlyRootFilesystem == nil || !*cs.ReadOnlyRootFilesystem {
		t.Error("readOnlyRootFilesystem is not true")
	}
	if cs.Capabilities == nil || !slices.Contains(cs.Capabilities.Drop, "ALL") || len(cs.Capabilities.Add) > 0 {
		t.Errorf("capabilities %+v, want drop ALL and add none", cs.Capabilities)
	}
	seccomp := cs.SeccompProfile
	if seccomp == nil {
		seccomp = ps.SeccompProfile
	}
	if seccomp == nil || seccomp.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("seccompProfile %+v, want RuntimeDefault", seccomp)
	}
	if tmp := volume(t, pod, mountAt(t, v.c, "/tmp").Name); tmp.EmptyDir == nil {
		t.Errorf("/tmp is %+v, want an emptyDir (the root filesystem is read-only)", tmp.VolumeSource)
	}
	if a := pod.AutomountServiceAccountToken; a == nil || *a {
		t.Error("automountServiceAccountToken is not false (vigil never calls the Kubernetes API)")
	}
	if e := pod.EnableServiceLinks; e == nil || *e {
		t.Error("enableServiceLinks is not false: Service variables like VIGIL_ADMIN_PORT would land among the agent's VIGIL_ settings")
	}
}

func checkRestrictedPodSecurity(t testing.TB, v vigil) {
	spec := &v.sts.Spec
	pod := &spec.Template.Spec
	checkRestricted(t, &spec.Template.ObjectMeta, pod)
}

func checkSpreadAcrossNodes(t testing.TB, v vigil) {
	spec := &v.sts.Spec
	pod := &spec.Template.Spec
	podLabels := spec.Template.Labels
	a := pod.Affinity
	if a == nil || a.PodAntiAffinity == nil || len(a.PodAntiAffinity.PreferredDuringSchedulingIgnoredDuringExecution) == 0 {
		t.Fatal("want a preferred podAntiAffinity")
	}
	if len(a.PodAntiAffinity.RequiredDuringSchedulingIgnoredDuringExecution) > 0 {
		t.Error("a required anti-affinity leaves pods pending when replicas outnumber the machines")
	}
	term := a.PodAntiAffinity.PreferredDuringSchedulingIgnoredDuringExecution[0]
	if term.PodAffinityTerm.TopologyKey != hostnameTopoKey {
		t.Errorf("topologyKey %q, want %s", term.PodAffinityTerm.TopologyKey, hostnameTopoKey)
	}
	mustSelect(t, "podAntiAffinity", term.PodAffinityTerm.LabelSelector, podLabels)
}

func checkHeadlessGossip(t testing.TB, v vigil) {
	podLabels := v.sts.Spec.Template.Labels
	h := v.headless
	if !h.Spec.PublishNotReadyAddresses {
		t.Error("publishNotReadyAddresses is not true: pods turn ready only after joining, so a new cluster could not form")
	}
	mustSelect(t, h.Name, &metav1.LabelSelector{MatchLabels: h.Spec.Selector}, podLabels)
	gossip := namedPort(t, v.c, "gossip").ContainerPort
	for _, proto := range []corev1.Protocol{corev1.ProtocolTCP, corev1.ProtocolUDP} {
		found := false
		for _, p := range h.Spec.Ports {
			if p.Protocol == proto && p.Port == gossip {
				found = true
			}
		}
		if !found {
			t.Errorf("no %s port %d", proto, gossip)
		}
	}
}

func checkAdmin(t testing.TB, v vigil) {
	podLabels := v.sts.Spec.Template.Labels
	a := v.admin
	if a.Name != "vigil-admin" {
		t.Errorf("name %q: the README says kubectl port-forward svc/vigil-admin", a.Name)
	}
	if a.Spec.Type != "" && a.Spec.Type != corev1.ServiceTypeClusterIP {
		t.Errorf("type %q, want ClusterIP", a.Spec.Type)
	}
	if a.Spec.PublishNotReadyAddresses {
		t.Error("publishNotReadyAddresses: admin calls should reach joined nodes only")
	}
	mustSelect(t, a.Name, &metav1.LabelSelector{MatchLabels: a.Spec.Selector}, podLabels)
	want := map[int32]int32{ // service port → agent port
		7070: port(t, "VIGIL_GRPC", v.env["VIGIL_GRPC"]),
		8080: port(t, "VIGIL_HTTP", v.env["VIGIL_HTTP"]),
	}
	for sp, agent := range want {
		found := false
		for _, p := range a.Spec.Ports {
			if p.Port == sp {
				found = true
				if cp := containerPort(t, v.c, p.TargetPort, p.Protocol); cp.ContainerPort != agent {
					t.Errorf("port %d targets %d, the agent serves %d", sp, cp.ContainerPort, agent)
				}
			}
		}
		if !found {
			t.Errorf("no port %d", sp)
		}
	}
}

func checkTargetPorts(t testing.TB, v vigil) {
	for _, s := range v.services {
		for _, p := range s.Spec.Ports {
			tp := p.TargetPort
			if tp.Type == intstr.Int && tp.IntVal == 0 {
				tp = intstr.FromInt32(p.Port)
			}
			containerPort(t, v.c, tp, p.Protocol)
		}
	}
}

func checkDisruptionBudget(t testing.TB, v vigil) {
	p := v.pdbs[0]
	if mu := p.Spec.MaxUnavailable; mu == nil || mu.Type != intstr.Int || mu.IntVal != 1 {
		t.Errorf("maxUnavailable %v, want 1", mu)
	}
	if p.Spec.MinAvailable != nil {
		t.Error("minAvailable and maxUnavailable are exclusive")
	}
	mustSelect(t, "poddisruptionbudget", p.Spec.Selector, v.sts.Spec.Template.Labels)
}
