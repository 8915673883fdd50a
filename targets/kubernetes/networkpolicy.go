package kubernetes

import (
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

// defaultDeny blocks all traffic to and from the namespace's pods, so a
// workload can reach only what its own policy allows.
func (b *builder) defaultDeny() {
	b.add("NetworkPolicy", "default-deny", &networkingv1.NetworkPolicy{
		TypeMeta:   typeMeta("networking.k8s.io/v1", "NetworkPolicy"),
		ObjectMeta: b.meta("default-deny", ""),
		Spec: networkingv1.NetworkPolicySpec{
			PodSelector: metav1.LabelSelector{},
			PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress},
		},
	})
}

// networkPolicy allows a workload the traffic a Google Cloud client needs:
// DNS, the GKE metadata server (Workload Identity gets its tokens there),
// and HTTPS to Google APIs and whatever external API the service calls.
// A service with a port also accepts connections on that port.
func (b *builder) networkPolicy(w workload) {
	spec := networkingv1.NetworkPolicySpec{
		PodSelector: *b.selector(w.name),
		PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeEgress},
		Egress: []networkingv1.NetworkPolicyEgressRule{
			{
				To: []networkingv1.NetworkPolicyPeer{{NamespaceSelector: &metav1.LabelSelector{
					MatchLabels: map[string]string{"kubernetes.io/metadata.name": "kube-system"},
				}}},
				Ports: []networkingv1.NetworkPolicyPort{port(corev1.ProtocolUDP, 53), port(corev1.ProtocolTCP, 53)},
			},
			{
				// The GKE metadata server answers on the link-local
				// metadata address, and on clusters with GKE Dataplane
				// V2 also at 169.254.169.252:988.
				To:    []networkingv1.NetworkPolicyPeer{{IPBlock: &networkingv1.IPBlock{CIDR: "169.254.169.254/32"}}},
				Ports: []networkingv1.NetworkPolicyPort{port(corev1.ProtocolTCP, 80)},
			},
			{
				To:    []networkingv1.NetworkPolicyPeer{{IPBlock: &networkingv1.IPBlock{CIDR: "169.254.169.252/32"}}},
				Ports: []networkingv1.NetworkPolicyPort{port(corev1.ProtocolTCP, 988)},
			},
			{
				// Google APIs have no fixed addresses, so HTTPS is open to
				// any destination, and nothing else is.
				Ports: []networkingv1.NetworkPolicyPort{port(corev1.ProtocolTCP, 443)},
			},
		},
	}
	if w.port > 0 {
		spec.PolicyTypes = []networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress}
		spec.Ingress = []networkingv1.NetworkPolicyIngressRule{{
			Ports: []networkingv1.NetworkPolicyPort{port(corev1.ProtocolTCP, w.port)},
		}}
	}
	name := "allow-" + w.name
	b.add("NetworkPolicy", name, &networkingv1.NetworkPolicy{
		TypeMeta:   typeMeta("networking.k8s.io/v1", "NetworkPolicy"),
		ObjectMeta: b.meta(name, w.name),
		Spec:       spec,
	})
}

func port(protocol corev1.Protocol, n int) networkingv1.NetworkPolicyPort {
	return networkingv1.NetworkPolicyPort{Protocol: ptr.To(protocol), Port: ptr.To(intstr.FromInt32(int32(n)))}
}
