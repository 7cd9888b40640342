package k8s

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"
)

// checkRestricted fails unless the pod passes the Pod Security Standards'
// "restricted" level, as the admission controller of a namespace labelled
// pod-security.kubernetes.io/enforce=restricted would check it.
func checkRestricted(tb testing.TB, meta *metav1.ObjectMeta, spec *corev1.PodSpec) {
	tb.Helper()
	ev, err := policy.NewEvaluator(policy.DefaultChecks(), nil)
	if err != nil {
		tb.Fatal(err)
	}
	lv := api.LevelVersion{Level: api.LevelRestricted, Version: api.LatestVersion()}
	res := policy.AggregateCheckResults(ev.EvaluatePod(lv, meta, spec))
	if !res.Allowed {
		tb.Errorf("pod security %s: %s: %s", lv, res.ForbiddenReason(), res.ForbiddenDetail())
	}
}

// TestRestrictedCatchesRoot checks that checkRestricted can fail: the same pod
// template, but allowed to run as root with a capability added.
func TestRestrictedCatchesRoot(t *testing.T) {
	v := loadVigil(t, manifestDir)
	pod := v.sts.Spec.Template.DeepCopy()
	no := false
	pod.Spec.SecurityContext.RunAsNonRoot = &no
	c := &pod.Spec.Containers[0]
	c.SecurityContext.RunAsNonRoot = nil
	c.SecurityContext.Capabilities.Add = []corev1.Capability{"NET_ADMIN"}
	ev, err := policy.NewEvaluator(policy.DefaultChecks(), nil)
	if err != nil {
		t.Fatal(err)
	}
	lv := api.LevelVersion{Level: api.LevelRestricted, Version: api.LatestVersion()}
	res := policy.AggregateCheckResults(ev.EvaluatePod(lv, &pod.ObjectMeta, &pod.Spec))
	if res.Allowed {
		t.Fatal("a root pod with NET_ADMIN passed the restricted level")
	}
	t.Logf("rejected as expected: %s", res.ForbiddenReason())
}
