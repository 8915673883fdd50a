package kubernetes

import (
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"github.com/pipec/pipec/schema"
)

// podDisruptionBudget keeps a replicated service serving while nodes are
// drained: evictions proceed one pod at a time. A single replica gets none,
// since a budget allowing no eviction would block node upgrades.
func (b *builder) podDisruptionBudget(s *schema.Service) {
	if s.Replicas < 2 {
		return
	}
	b.add("PodDisruptionBudget", s.Name, &policyv1.PodDisruptionBudget{
		TypeMeta:   typeMeta("policy/v1", "PodDisruptionBudget"),
		ObjectMeta: b.meta(s.Name, s.Name),
		Spec: policyv1.PodDisruptionBudgetSpec{
			MaxUnavailable: ptr.To(intstr.FromInt32(1)),
			Selector:       b.selector(s.Name),
		},
	})
}
