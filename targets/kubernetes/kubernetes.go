// Package kubernetes generates a pipeline's Kubernetes manifests: a
// kustomize base holding what every environment shares, one overlay per
// environment holding what differs, and the fully rendered manifests of
// each environment, which is what Argo CD or Flux deploys.
//
// Objects are built per environment in their form "before transformers":
// no metadata.namespace, the Namespace named after the pipeline, and images
// by their logical name. The overlay's namespace, labels and images
// transformers then supply what kustomize is good at, and everything else
// that differs becomes a patch computed from the objects themselves, so no
// builder has to know which of its fields vary between environments.
package kubernetes

import (
	"github.com/pipec/pipec/schema"
	"github.com/pipec/pipec/targets"
)

// Target generates Kubernetes manifests.
type Target struct{}

// Name is "kubernetes".
func (Target) Name() string { return "kubernetes" }

// Generate returns, under <pipeline>/, the kustomize base (k8s/base/), one
// overlay per environment (k8s/overlays/<env>/) and what each overlay
// renders to (rendered/<env>/), one object per file: exactly what
// `kubectl kustomize` prints for the overlay.
func (Target) Generate(spec *schema.Spec) ([]targets.File, error) {
	if len(spec.Envs) == 0 {
		return nil, nil
	}
	tree, err := layout(spec)
	if err != nil {
		return nil, err
	}
	files, err := tree.files(targets.HashComment(spec))
	if err != nil {
		return nil, err
	}
	// render changes the overlays' objects: it runs once their files exist.
	for _, ov := range tree.overlays {
		rendered, err := render(spec, ov)
		if err != nil {
			return nil, err
		}
		files = append(files, rendered...)
	}
	return files, nil
}
