package k8s

import (
	"bufio"
	"net"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// dockerfile is the offline image's Dockerfile, whose defaults the manifests rely on.
const dockerfile = "../../deploy/Dockerfile.offline"

// image holds the runtime settings of vigil's image that the pods depend on.
type image struct {
	env      map[string]string // ENV
	uid, gid int64             // USER uid:gid
}

// readImage reads ENV and USER from the offline image's Dockerfile.
func readImage(tb testing.TB) image {
	tb.Helper()
	f, err := os.Open(dockerfile)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	img := image{env: map[string]string{}, uid: -1, gid: -1}
	var line string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		l := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(l, "#") && line == "" {
			continue
		}
		if cont, ok := strings.CutSuffix(l, `\`); ok {
			line += cont + " "
			continue
		}
		line += l
		instr, rest, _ := strings.Cut(line, " ")
		line = ""
		switch strings.ToUpper(instr) {
		case "ENV":
			for _, kv := range strings.Fields(rest) {
				k, v, ok := strings.Cut(kv, "=")
				if !ok {
					tb.Fatalf("%s: ENV %q: want KEY=VALUE", dockerfile, rest)
				}
				img.env[k] = v
			}
		case "USER":
			u, g, ok := strings.Cut(strings.TrimSpace(rest), ":")
			if img.uid, err = strconv.ParseInt(u, 10, 64); err != nil || !ok {
				tb.Fatalf("%s: USER %q: want numeric uid:gid", dockerfile, rest)
			}
			if img.gid, err = strconv.ParseInt(g, 10, 64); err != nil {
				tb.Fatalf("%s: USER %q: want numeric uid:gid", dockerfile, rest)
			}
		}
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	if img.uid < 0 || len(img.env) == 0 {
		tb.Fatalf("%s: no USER or ENV found", dockerfile)
	}
	return img
}

var envRef = regexp.MustCompile(`\$\(([A-Za-z_][A-Za-z0-9_]*)\)`)

// containerEnv returns the environment the container's process sees: the image's,
// overlaid with the container's env (see expandEnv), downward-API values reading as
// {fieldPath}, e.g. {status.podIP}.
func containerEnv(tb testing.TB, img image, c *corev1.Container) map[string]string {
	tb.Helper()
	env := map[string]string{}
	for k, v := range img.env {
		env[k] = v
	}
	for _, e := range expandEnv(tb, c, func(path string) string { return "{" + path + "}" }) {
		env[e.Name] = e.Value
	}
	return env
}

// expandEnv returns the container's env in order with values resolved as the kubelet
// does: field gives a downward-API value by its fieldPath, and each $(VAR) is expanded
// from the variables defined before it. A value from a Secret or ConfigMap reads as
// {secret:name/key} or {configmap:name/key}.
func expandEnv(tb testing.TB, c *corev1.Container, field func(path string) string) []corev1.EnvVar {
	tb.Helper()
	defined := map[string]string{}
	var out []corev1.EnvVar
	for _, e := range c.Env {
		v := e.Value
		switch {
		case e.ValueFrom == nil:
			v = envRef.ReplaceAllStringFunc(v, func(ref string) string {
				if d, ok := defined[ref[2:len(ref)-1]]; ok {
					return d
				}
				return ref
			})
		case e.ValueFrom.FieldRef != nil:
			v = field(e.ValueFrom.FieldRef.FieldPath)
		case e.ValueFrom.SecretKeyRef != nil:
			v = "{secret:" + e.ValueFrom.SecretKeyRef.Name + "/" + e.ValueFrom.SecretKeyRef.Key + "}"
		case e.ValueFrom.ConfigMapKeyRef != nil:
			v = "{configmap:" + e.ValueFrom.ConfigMapKeyRef.Name + "/" + e.ValueFrom.ConfigMapKeyRef.Key + "}"
		default:
			tb.Fatalf("env %s: unsupported source", e.Name)
		}
		defined[e.Name] = v
		out = append(out, corev1.EnvVar{Name: e.Name, Value: v})
	}
	return out
}

// port returns the port of a host:port setting.
func port(tb testing.TB, what, hostport string) int32 {
	tb.Helper()
	_, p, err := net.SplitHostPort(hostport)
	if err != nil {
		tb.Fatalf("%s=%q: %v", what, hostport, err)
	}
	n, err := strconv.ParseInt(p, 10, 32)
	if err != nil {
		tb.Fatalf("%s=%q: port: %v", what, hostport, err)
	}
	return int32(n)
}

// containerPort resolves a port given by name or number to one of the container's
// ports with the given protocol ("" is TCP).
func containerPort(tb testing.TB, c *corev1.Container, p intstr.IntOrString, proto corev1.Protocol) corev1.ContainerPort {
	tb.Helper()
	if proto == "" {
		proto = corev1.ProtocolTCP
	}
	for _, cp := range c.Ports {
		cpProto := cp.Protocol
		if cpProto == "" {
			cpProto = corev1.ProtocolTCP
		}
		if cpProto != proto {
			continue
		}
		if (p.Type == intstr.String && cp.Name == p.StrVal) || (p.Type == intstr.Int && cp.ContainerPort == p.IntVal) {
			return cp
		}
	}
	tb.Fatalf("container %s has no %s port %s", c.Name, proto, p.String())
	return corev1.ContainerPort{}
}

// namedPort returns the container's port with this name.
func namedPort(tb testing.TB, c *corev1.Container, name string) corev1.ContainerPort {
	tb.Helper()
	for _, cp := range c.Ports {
		if cp.Name == name {
			return cp
		}
	}
	tb.Fatalf("container %s has no port named %q", c.Name, name)
	return corev1.ContainerPort{}
}

// container returns the StatefulSet's container with this name.
func container(tb testing.TB, s *appsv1.StatefulSet, name string) *corev1.Container {
	tb.Helper()
	for i := range s.Spec.Template.Spec.Containers {
		if c := &s.Spec.Template.Spec.Containers[i]; c.Name == name {
			return c
		}
	}
	tb.Fatalf("statefulset %s has no container %q", s.Name, name)
	return nil
}

// volume returns the pod's volume with this name.
func volume(tb testing.TB, spec *corev1.PodSpec, name string) *corev1.Volume {
	tb.Helper()
	for i := range spec.Volumes {
		if spec.Volumes[i].Name == name {
			return &spec.Volumes[i]
		}
	}
	tb.Fatalf("pod has no volume %q", name)
	return nil
}

// mountAt returns the container's volume mount at path.
func mountAt(tb testing.TB, c *corev1.Container, path string) corev1.VolumeMount {
	tb.Helper()
	for _, m := range c.VolumeMounts {
		if m.MountPath == path {
			return m
		}
	}
	tb.Fatalf("container %s mounts nothing at %s", c.Name, path)
	return corev1.VolumeMount{}
}

// mustSelect fails unless the label selector is non-empty and selects these labels.
func mustSelect(tb testing.TB, what string, sel *metav1.LabelSelector, set map[string]string) {
	tb.Helper()
	if sel == nil || (len(sel.MatchLabels) == 0 && len(sel.MatchExpressions) == 0) {
		tb.Fatalf("%s: empty selector (it would select every pod)", what)
	}
	s, err := metav1.LabelSelectorAsSelector(sel)
	if err != nil {
		tb.Fatalf("%s: %v", what, err)
	}
	if !s.Matches(labels.Set(set)) {
		tb.Fatalf("%s: selector %s does not select the pods (labels %v)", what, s, set)
	}
}
