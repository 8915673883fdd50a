package kubernetes

import (
	"fmt"
	"maps"
	"slices"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/utils/ptr"

	"github.com/pipec/pipec/schema"
)

// projectEnv names the variable Google Cloud client libraries read the
// project from; without it they ask the metadata server, which answers
// with the cluster's project rather than the environment's.
const projectEnv = "GOOGLE_CLOUD_PROJECT"

// deployment runs a service. Its pods meet the Pod Security "restricted"
// profile the namespace enforces: non-root as the image's own numeric user,
// no privilege escalation, no capabilities, the runtime's default seccomp
// profile, and a read-only root filesystem with a writable /tmp.
func (b *builder) deployment(s *schema.Service) {
	img := b.p.Images[s.Image]
	user := int64(img.User)
	m := b.meta(s.Name, s.Name)
	container := corev1.Container{
		Name: s.Name,
		// The logical name; each overlay's `images:` points it at the
		// environment's registry, tag or digest.
		Image:   s.Image,
		Command: img.Command,
		Args:    s.Args,
		Env:     b.env(s),
		Resources: corev1.ResourceRequirements{
			Requests: corev1.ResourceList{
				corev1.ResourceCPU:    b.quantity(s.Resources.CPU),
				corev1.ResourceMemory: b.quantity(s.Resources.Memory),
			},
			// No CPU limit: throttling a busy pod helps no one when the
			// node has spare CPU. A memory limit keeps one leaking pod
			// from starving its neighbours.
			Limits: corev1.ResourceList{corev1.ResourceMemory: b.quantity(s.Resources.MemoryLimit)},
		},
		VolumeMounts: []corev1.VolumeMount{{Name: "tmp", MountPath: "/tmp"}},
		SecurityContext: &corev1.SecurityContext{
			AllowPrivilegeEscalation: ptr.To(false),
			Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
			ReadOnlyRootFilesystem:   ptr.To(true),
		},
	}
	if s.Port > 0 {
		container.Ports = []corev1.ContainerPort{{ContainerPort: int32(s.Port), Protocol: corev1.ProtocolTCP}}
	}
	b.add("Deployment", s.Name, &appsv1.Deployment{
		TypeMeta:   typeMeta("apps/v1", "Deployment"),
		ObjectMeta: m,
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To(int32(s.Replicas)),
			Selector: b.selector(s.Name),
			Template: corev1.PodTemplateSpec{
				ObjectMeta: b.meta("", s.Name),
				Spec: corev1.PodSpec{
					ServiceAccountName:           s.KubernetesServiceAccount,
					AutomountServiceAccountToken: ptr.To(false),
					SecurityContext: &corev1.PodSecurityContext{
						RunAsNonRoot:   ptr.To(true),
						RunAsUser:      ptr.To(user),
						RunAsGroup:     ptr.To(user),
						FSGroup:        ptr.To(user),
						SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
					},
					Containers: []corev1.Container{container},
					Volumes: []corev1.Volume{{
						Name:         "tmp",
						VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}},
					}},
				},
			},
		},
	})
}

// quantity parses a resource amount ("250m", "256Mi"). The compiler has
// checked it; an error here is recorded rather than panicking.
func (b *builder) quantity(s string) resource.Quantity {
	q, err := resource.ParseQuantity(s)
	if err != nil && b.err == nil {
		b.err = fmt.Errorf("resource quantity %q: %w", s, err)
	}
	return q
}

// env is the container's environment, sorted by name: the project, plain
// values, and secrets read from the Secret that the workload's
// ExternalSecret keeps in sync. A secret's value is never written here.
func (b *builder) env(s *schema.Service) []corev1.EnvVar {
	vars := map[string]corev1.EnvVar{projectEnv: {Name: projectEnv, Value: b.p.Project}}
	for name, v := range s.Env {
		if v.Secret != "" {
			vars[name] = corev1.EnvVar{Name: name, ValueFrom: &corev1.EnvVarSource{
				SecretKeyRef: &corev1.SecretKeySelector{
					LocalObjectReference: corev1.LocalObjectReference{Name: secretName(s)},
					Key:                  name,
				},
			}}
			continue
		}
		// A service's own GOOGLE_CLOUD_PROJECT wins over the default.
		vars[name] = corev1.EnvVar{Name: name, Value: v.Value}
	}
	env := make([]corev1.EnvVar, 0, len(vars))
	for _, name := range slices.Sorted(maps.Keys(vars)) {
		env = append(env, vars[name])
	}
	return env
}
