package kubernetes

import (
	corev1 "k8s.io/api/core/v1"
)

// namespace is the pipeline's Namespace. Its name here is the pipeline's
// name, a placeholder: each overlay's `namespace:` renames it to the
// environment's namespace, as kustomize does for Namespace objects.
//
// Pod Security admission enforces the restricted profile on it, so a pod
// that would weaken its own sandbox is rejected instead of merely flagged;
// audit and warn make a violation visible in logs and to kubectl users too.
func (b *builder) namespace() {
	m := b.meta(b.spec.Name, "")
	for _, mode := range []string{"enforce", "audit", "warn"} {
		m.Labels["pod-security.kubernetes.io/"+mode] = "restricted"
	}
	b.add("Namespace", m.Name, &corev1.Namespace{TypeMeta: typeMeta("v1", "Namespace"), ObjectMeta: m})
}
