package k8s

import (
	"bytes"
	"encoding/base64"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// build runs kustomize (the library `kubectl apply -k` uses) on dir of fsys and
// strictly decodes what it would apply.
func build(tb testing.TB, fsys filesys.FileSystem, dir string) []any {
	tb.Helper()
	res, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(fsys, dir)
	if err != nil {
		tb.Fatalf("kustomize build %s: %v", dir, err)
	}
	out, err := res.AsYaml()
	if err != nil {
		tb.Fatal(err)
	}
	objs, err := decodeAll(out)
	if err != nil {
		tb.Fatalf("kustomize build %s: output: %v", dir, err)
	}
	return objs
}

// byKind returns the objects of type T.
func byKind[T any](objs []any) []T {
	var out []T
	for _, o := range objs {
		if t, ok := o.(T); ok {
			out = append(out, t)
		}
	}
	return out
}

// inMemory copies deploy/k8s (components included) into an in-memory file system
// under /k8s, leaving out a gossip key that may have been written locally.
func inMemory(tb testing.TB) filesys.FileSystem {
	tb.Helper()
	mem := filesys.MakeFsInMemory()
	err := filepath.WalkDir(manifestDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() == "gossip.key" {
			return err
		}
		rel, err := filepath.Rel(manifestDir, p)
		if err != nil {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return mem.WriteFile(filepath.Join("/k8s", rel), b)
	})
	if err != nil {
		tb.Fatal(err)
	}
	return mem
}

// TestKustomizeBuild builds deploy/k8s as `kubectl apply -k deploy/k8s` would and
// checks that it yields exactly the manifests, unchanged where it matters.
func TestKustomizeBuild(t *testing.T) {
	m := loadManifests(t, manifestDir)
	objs := build(t, inMemory(t), "/k8s")
	want := 0
	for _, o := range m.files {
		want += len(o)
	}
	if len(objs) != want {
		t.Fatalf("kustomize built %d objects, the files hold %d", len(objs), want)
	}
	sts := byKind[*appsv1.StatefulSet](objs)
	if len(sts) != 1 {
		t.Fatalf("built %d StatefulSets", len(sts))
	}
	c := container(t, sts[0], "vigil")
	if c.Image != m.sts[0].Spec.Template.Spec.Containers[0].Image {
		t.Errorf("kustomize's images entry changed the image to %q", c.Image)
	}
	if sts[0].Spec.ServiceName != "vigil-gossip" {
		t.Errorf("serviceName %q after the build", sts[0].Spec.ServiceName)
	}
}

// TestGossipKeyComponent enables the gossip-key component as the README says (a key
// file, then uncommenting components in kustomization.yaml) and checks that the
// pods mount the generated Secret where VIGIL_GOSSIP_KEY_FILE points, keeping the
// rest of the container as it was.
func TestGossipKeyComponent(t *testing.T) {
	mem := inMemory(t)
	key := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32)) + "\n"
	if err := mem.WriteFile("/k8s/gossip-key/gossip.key", []byte(key)); err != nil {
		t.Fatal(err)
	}
	kust, err := mem.ReadFile("/k8s/kustomization.yaml")
	if err != nil {
		t.Fatal(err)
	}
	const commented, enabled = "# components:\n#   - gossip-key\n", "components:\n  - gossip-key\n"
	if !bytes.Contains(kust, []byte(commented)) {
		t.Fatalf("kustomization.yaml has no %q block to uncomment", commented)
	}
	if err := mem.WriteFile("/k8s/kustomization.yaml", bytes.Replace(kust, []byte(commented), []byte(enabled), 1)); err != nil {
		t.Fatal(err)
	}

	objs := build(t, mem, "/k8s")
	secrets := byKind[*corev1.Secret](objs)
	if len(secrets) != 1 || !strings.HasPrefix(secrets[0].Name, "vigil-gossip-key-") {
		t.Fatalf("want one generated Secret vigil-gossip-key-<hash>, got %d", len(secrets))
	}
	secret := secrets[0]
	if got := string(secret.Data["gossip.key"]); got != key {
		t.Errorf("secret holds %q, want the key file %q", got, key)
	}
	sts := byKind[*appsv1.StatefulSet](objs)[0]
	pod := &sts.Spec.Template.Spec
	c := container(t, sts, "vigil")
	env := containerEnv(t, readImage(t), c)

	keyFile := env["VIGIL_GOSSIP_KEY_FILE"]
	m := mountAt(t, c, filepath.Dir(keyFile))
	if !m.ReadOnly {
		t.Error("the key is mounted writable")
	}
	vol := volume(t, pod, m.Name)
	if vol.Secret == nil || vol.Secret.SecretName != secret.Name {
		from := "no Secret"
		if vol.Secret != nil {
			from = "Secret " + vol.Secret.SecretName
		}
		t.Fatalf("%s is mounted from %s, want the generated Secret %s", keyFile, from, secret.Name)
	}
	if _, ok := secret.Data[filepath.Base(keyFile)]; !ok {
		t.Errorf("VIGIL_GOSSIP_KEY_FILE=%s names no key of the Secret", keyFile)
	}
	if mode := vol.Secret.DefaultMode; mode == nil || *mode&0o004 != 0 || *mode&0o040 == 0 {
		t.Errorf("defaultMode %s: want group-readable (fsGroup 10001) and not world-readable", show(mode))
	}
	// The patch adds to the container; it must not replace its lists.
	for _, k := range []string{"VIGIL_NAME", "VIGIL_JOIN", "VIGIL_ADVERTISE"} {
		if _, ok := env[k]; !ok {
			t.Errorf("%s lost by the patch", k)
		}
	}
	mountAt(t, c, dataDir)
	mountAt(t, c, "/tmp")
	checkRestricted(t, &sts.Spec.Template.ObjectMeta, pod)
}
