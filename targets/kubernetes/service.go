package kubernetes

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/pipec/pipec/schema"
)

// service gives a listening workload a stable in-cluster address.
func (b *builder) service(s *schema.Service) {
	if s.Port <= 0 {
		return
	}
	port := int32(s.Port)
	b.add("Service", s.Name, &corev1.Service{
		TypeMeta:   typeMeta("v1", "Service"),
		ObjectMeta: b.meta(s.Name, s.Name),
		Spec: corev1.ServiceSpec{
			Selector: b.selector(s.Name).MatchLabels,
			Ports: []corev1.ServicePort{{
				Port: port, TargetPort: intstr.FromInt32(port), Protocol: corev1.ProtocolTCP,
			}},
		},
	})
}
