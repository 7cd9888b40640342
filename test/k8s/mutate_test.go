package k8s

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// recorder is a testing.TB that records failures instead of failing the test; Fatal
// ends the goroutine it is called on (see record).
type recorder struct {
	testing.TB
	errs []string
}

func (r *recorder) Helper()                   {}
func (r *recorder) Error(a ...any)            { r.errs = append(r.errs, fmt.Sprint(a...)) }
func (r *recorder) Errorf(f string, a ...any) { r.errs = append(r.errs, fmt.Sprintf(f, a...)) }
func (r *recorder) Fatal(a ...any)            { r.Error(a...); runtime.Goexit() }
func (r *recorder) Fatalf(f string, a ...any) { r.Errorf(f, a...); runtime.Goexit() }
func (r *recorder) Failed() bool              { return len(r.errs) > 0 }

// record runs fn on a goroutine of its own, so that a Fatal ends fn alone, waits for
// it, and returns the failures it reported.
func record(tb testing.TB, fn func(testing.TB)) []string {
	r := &recorder{TB: tb}
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn(r)
	}()
	<-done
	return r.errs
}

// failures loads the manifests in dir and runs every check on them, returning the
// failures by check name ("load" when the manifests could not be decoded).
func failures(tb testing.TB, dir string) map[string][]string {
	out := map[string][]string{}
	var v vigil
	if errs := record(tb, func(tb testing.TB) { v = loadVigil(tb, dir) }); len(errs) > 0 {
		out["load"] = errs
		return out
	}
	for _, c := range checks {
		if errs := record(tb, func(tb testing.TB) { c.fn(tb, v) }); len(errs) > 0 {
			out[c.name] = errs
		}
	}
	return out
}

// copyManifests copies the YAML files of deploy/k8s into a temporary directory.
func copyManifests(tb testing.TB) string {
	tb.Helper()
	dir := tb.TempDir()
	paths, err := filepath.Glob(filepath.Join(manifestDir, "*.yaml"))
	if err != nil || len(paths) == 0 {
		tb.Fatalf("no manifests in %s: %v", manifestDir, err)
	}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(p)), b, 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	return dir
}

// edit replaces old with new in a file of dir, every occurrence or the first only.
func edit(tb testing.TB, dir, file, old, new string, all bool) {
	tb.Helper()
	p := filepath.Join(dir, file)
	b, err := os.ReadFile(p)
	if err != nil {
		tb.Fatal(err)
	}
	n := 1
	if all {
		n = -1
	}
	s := strings.Replace(string(b), old, new, n)
	if s == string(b) {
		tb.Fatalf("%s: %q not found: the mutation no longer applies", file, old)
	}
	if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
		tb.Fatal(err)
	}
}

// TestChecksCatchMistakes breaks a copy of deploy/k8s one plausible way at a time
// and expects the check that guards against it to fail.
func TestChecksCatchMistakes(t *testing.T) {
	t.Run("unbroken copy passes", func(t *testing.T) {
		if f := failures(t, copyManifests(t)); len(f) > 0 {
			t.Fatalf("the copy fails: %v", f)
		}
	})
	cases := []struct {
		name      string
		file      string
		old, new  string
		all       bool
		wantCheck string
	}{
		{"misspelled field", "statefulset.yaml", "minReadySeconds:", "minReadySecond:", false, "load"},
		{"resource not in the kustomization", "kustomization.yaml", "  - pdb.yaml\n", "", false, "kustomization lists every file"},
		{"serviceName typo", "statefulset.yaml", "serviceName: vigil-gossip", "serviceName: vigil-gosip", false, "identity"},
		{"image pulled always", "statefulset.yaml", "imagePullPolicy: IfNotPresent", "imagePullPolicy: Always", false, "image and command"},
		{"HTTP moved off its container port", "statefulset.yaml", "value: 0.0.0.0:8080", "value: 0.0.0.0:8081", false, "agent settings"},
		{"name not from the pod", "statefulset.yaml", "value: $(POD_NAME)", "value: vigil", false, "agent settings"},
		{"joining the admin service", "statefulset.yaml", "value: vigil-gossip:7946", "value: vigil-admin:7946", false, "join seeds"},
		{"readiness on /healthz", "statefulset.yaml", "path: /readyz", "path: /healthz", false, "probes"},
		{"liveness on the gRPC port", "statefulset.yaml", "path: /healthz\n              port: http", "path: /healthz\n              port: grpc", false, "probes"},
		{"short grace period", "statefulset.yaml", "terminationGracePeriodSeconds: 60", "terminationGracePeriodSeconds: 30", false, "graceful drain"},
		{"drain outlasting the grace period", "statefulset.yaml", "value: 30s", "value: 50s", false, "graceful drain"},
		{"no CPU limit", "statefulset.yaml", "              cpu: \"4\"\n", "", false, "resources"},
		{"writable root filesystem", "statefulset.yaml", "readOnlyRootFilesystem: true", "readOnlyRootFilesystem: false", false, "security"},
		{"service links", "statefulset.yaml", "enableServiceLinks: false", "enableServiceLinks: true", false, "security"},
		{"unconfined seccomp", "statefulset.yaml", "type: RuntimeDefault", "type: Unconfined", true, "restricted pod security"},
		{"spread by zone only", "statefulset.yaml", "topologyKey: kubernetes.io/hostname", "topologyKey: topology.kubernetes.io/zone", false, "spread across nodes"},
		{"not-ready pods unpublished", "service-gossip.yaml", "publishNotReadyAddresses: true", "publishNotReadyAddresses: false", false, "headless gossip service"},
		{"admin selector misses the pods", "service-admin.yaml", "app.kubernetes.io/instance: vigil\n  ports:", "app.kubernetes.io/instance: vigi\n  ports:", false, "admin service"},
		{"UDP gossip targets a missing port", "service-gossip.yaml", "targetPort: gossip-udp", "targetPort: gossip-upd", false, "service target ports"},
		{"two pods down at once", "pdb.yaml", "maxUnavailable: 1", "maxUnavailable: 2", false, "disruption budget"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := copyManifests(t)
			edit(t, dir, c.file, c.old, c.new, c.all)
			f := failures(t, dir)
			if len(f[c.wantCheck]) == 0 {
				t.Fatalf("check %q did not fail; failures: %v", c.wantCheck, f)
			}
			t.Logf("%s: %s", c.wantCheck, f[c.wantCheck][0])
		})
	}
}
