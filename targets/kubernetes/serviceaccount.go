package kubernetes

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"

	"github.com/pipec/pipec/schema"
)

// serviceAccount gives each workload its own identity, which Workload
// Identity maps to its own Google service account: one workload's
// permissions never leak to another. Pods need no Kubernetes API token
// (the GKE metadata server authenticates them), so none is mounted.
func (b *builder) serviceAccount(s *schema.Service) {
	m := b.meta(s.KubernetesServiceAccount, s.Name)
	m.Annotations = map[string]string{"iam.gke.io/gcp-service-account": s.GoogleServiceAccount}
	b.add("ServiceAccount", m.Name, &corev1.ServiceAccount{
		TypeMeta:                     typeMeta("v1", "ServiceAccount"),
		ObjectMeta:                   m,
		AutomountServiceAccountToken: ptr.To(false),
	})
}
