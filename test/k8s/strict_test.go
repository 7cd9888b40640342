package k8s

import (
	"errors"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
)

// statefulSetDoc is a small valid StatefulSet; the cases below break it one way each.
const statefulSetDoc = `apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: vigil
spec:
  replicas: 3
  serviceName: vigil-gossip
  selector:
    matchLabels: {app: vigil}
  template:
    metadata:
      labels: {app: vigil}
    spec:
      containers:
        - name: vigil
          image: vigil:latest
          resources:
            requests: {cpu: "2", memory: 1Gi}
`

// TestStrictDecode checks that the decoder the manifests go through accepts a valid
// document and rejects each way of getting one slightly wrong.
func TestStrictDecode(t *testing.T) {
	t.Run("valid", func(t *testing.T) {
		o, err := decodeStrict([]byte(statefulSetDoc))
		if err != nil {
			t.Fatal(err)
		}
		s, ok := o.(*appsv1.StatefulSet)
		if !ok || s.Spec.ServiceName != "vigil-gossip" || *s.Spec.Replicas != 3 {
			t.Fatalf("decoded %#v", o)
		}
	})
	cases := []struct {
		name     string
		old, new string // statefulSetDoc with old replaced by new
		want     string // in the error
	}{
		{"misspelled field", "serviceName:", "serviceNmae:", `unknown field "spec.serviceNmae"`},
		{"field in the wrong case", "serviceName:", "ServiceName:", `unknown field "spec.ServiceName"`},
		{"field at the wrong level", "      containers:", "      serviceName: x\n      containers:", `unknown field "spec.template.spec.serviceName"`},
		{"duplicate key", "  replicas: 3\n", "  replicas: 3\n  replicas: 4\n", `already set`},
		{"wrong type", "replicas: 3", "replicas: three", `cannot unmarshal`},
		{"bad quantity", "memory: 1Gi", "memory: 1GB", `quantities must match`},
		{"old API version", "apps/v1", "apps/v1beta1", `unexpected apiVersion "apps/v1beta1"`},
		{"unknown kind", "kind: StatefulSet", "kind: StatefulSett", `kind "StatefulSett"`},
		{"tab indentation", "  replicas: 3", "\treplicas: 3", `yaml`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			doc := strings.Replace(statefulSetDoc, c.old, c.new, 1)
			if doc == statefulSetDoc {
				t.Fatalf("%q not in the document", c.old)
			}
			o, err := decodeStrict([]byte(doc))
			if err == nil {
				t.Fatalf("decoded without error: %#v", o)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %q does not mention %q", err, c.want)
			}
		})
	}
	t.Run("empty document", func(t *testing.T) {
		if _, err := decodeStrict([]byte("# only a comment\n")); !errors.Is(err, errEmpty) {
			t.Fatalf("got %v, want errEmpty", err)
		}
	})
	t.Run("broken document among good ones", func(t *testing.T) {
		stream := statefulSetDoc + "---\n" + strings.Replace(statefulSetDoc, "image:", "imgae:", 1)
		_, err := decodeAll([]byte(stream))
		if err == nil || !strings.Contains(err.Error(), "document 2") || !strings.Contains(err.Error(), "imgae") {
			t.Fatalf("got %v, want an error naming document 2 and imgae", err)
		}
	})
}
