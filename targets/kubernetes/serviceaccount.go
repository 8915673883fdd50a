package kubernetes

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"
)

// serviceAccount gives each workload its own identity, which Workload
// Identity maps to its own Google service account: one workload's
// permissions never leak to another. Pods need no Kubernetes API token
// (the GKE metadata server authenticates them), so none is mounted.
func (b *builder) serviceAccount(w workload) {
	m := b.meta(w.name, w.name)
	m.Annotations = map[string]string{"iam.gke.io/gcp-service-account": w.gsa}
	b.add("ServiceAccount", m.Name, &corev1.ServiceAccount{
		TypeMeta:                     typeMeta("v1", "ServiceAccount"),
		ObjectMeta:                   m,
		AutomountServiceAccountToken: ptr.To(false),
	})
}
