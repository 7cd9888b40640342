package k8s

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	kjson "sigs.k8s.io/json"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/yaml"
)

// manifestDir is deploy/k8s, relative to this package.
const manifestDir = "../../deploy/k8s"

// kinds maps "apiVersion/kind" to a new typed object of that kind: the only kinds the
// manifests may hold. A document of any other kind (or an old API version) fails.
var kinds = map[string]func() any{
	"apps/v1/StatefulSet":           func() any { return new(appsv1.StatefulSet) },
	"v1/Service":                    func() any { return new(corev1.Service) },
	"v1/Secret":                     func() any { return new(corev1.Secret) },
	"policy/v1/PodDisruptionBudget": func() any { return new(policyv1.PodDisruptionBudget) },
	"kustomize.config.k8s.io/v1beta1/Kustomization": func() any { return new(types.Kustomization) },
	"kustomize.config.k8s.io/v1alpha1/Component":    func() any { return new(types.Kustomization) },
}

// errEmpty marks a document with no content (only comments or whitespace).
var errEmpty = errors.New("k8s: empty document")

// decodeStrict decodes one YAML document into the typed struct of its kind the way
// the API server reads a request: YAML with duplicate keys is rejected, then the
// JSON is decoded case-sensitively with unknown and duplicate fields as errors.
func decodeStrict(doc []byte) (any, error) {
	j, err := yaml.YAMLToJSONStrict(doc)
	if err != nil {
		return nil, fmt.Errorf("yaml: %w", err)
	}
	if t := bytes.TrimSpace(j); len(t) == 0 || string(t) == "null" {
		return nil, errEmpty
	}
	var tm metav1.TypeMeta
	if err := json.Unmarshal(j, &tm); err != nil {
		return nil, fmt.Errorf("type: %w", err)
	}
	newObj, ok := kinds[tm.APIVersion+"/"+tm.Kind]
	if !ok {
		return nil, fmt.Errorf("unexpected apiVersion %q kind %q", tm.APIVersion, tm.Kind)
	}
	obj := newObj()
	strict, err := kjson.UnmarshalStrict(j, obj, kjson.DisallowDuplicateFields, kjson.DisallowUnknownFields)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", tm.Kind, err)
	}
	if len(strict) > 0 {
		return nil, fmt.Errorf("%s: %w", tm.Kind, errors.Join(strict...))
	}
	return obj, nil
}

// splitDocs splits a YAML stream into its documents.
func splitDocs(data []byte) ([][]byte, error) {
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	var docs [][]byte
	for {
		d, err := r.Read()
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			return nil, fmt.Errorf("split documents: %w", err)
		}
		docs = append(docs, d)
	}
}

// decodeAll strictly decodes every non-empty document of a YAML stream.
func decodeAll(data []byte) ([]any, error) {
	docs, err := splitDocs(data)
	if err != nil {
		return nil, err
	}
	var objs []any
	for i, d := range docs {
		o, err := decodeStrict(d)
		if errors.Is(err, errEmpty) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("document %d: %w", i+1, err)
		}
		objs = append(objs, o)
	}
	return objs, nil
}

// decodeFile strictly decodes every document of one file.
func decodeFile(tb testing.TB, path string) []any {
	tb.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	objs, err := decodeAll(data)
	if err != nil {
		tb.Fatalf("%s: %v", path, err)
	}
	if len(objs) == 0 {
		tb.Fatalf("%s: no document", path)
	}
	return objs
}

// manifests holds the decoded resources of deploy/k8s, by kind.
type manifests struct {
	kustomization *types.Kustomization
	files         map[string][]any // resource file (relative to manifestDir) → objects
	sts           []*appsv1.StatefulSet
	services      []*corev1.Service
	pdbs          []*policyv1.PodDisruptionBudget
}

// loadManifests decodes every YAML file directly in dir (kustomization.yaml and the
// resources beside it; components live in subdirectories).
func loadManifests(tb testing.TB, dir string) manifests {
	tb.Helper()
	m := manifests{files: map[string][]any{}}
	paths, err := filepath.Glob(filepath.Join(dir, "*.y*ml"))
	if err != nil {
		tb.Fatal(err)
	}
	if len(paths) == 0 {
		tb.Fatalf("no YAML file in %s", dir)
	}
	for _, p := range paths {
		name := filepath.Base(p)
		objs := decodeFile(tb, p)
		if name == "kustomization.yaml" {
			k, ok := objs[0].(*types.Kustomization)
			if !ok || len(objs) != 1 || k.Kind != "Kustomization" {
				tb.Fatalf("%s: want one Kustomization", p)
			}
			m.kustomization = k
			continue
		}
		m.files[name] = objs
		for _, o := range objs {
			switch o := o.(type) {
			case *appsv1.StatefulSet:
				m.sts = append(m.sts, o)
			case *corev1.Service:
				m.services = append(m.services, o)
			case *policyv1.PodDisruptionBudget:
				m.pdbs = append(m.pdbs, o)
			default:
				tb.Fatalf("%s: unexpected %T among the resources", p, o)
			}
		}
	}
	if m.kustomization == nil {
		tb.Fatalf("%s: no kustomization.yaml", dir)
	}
	return m
}
