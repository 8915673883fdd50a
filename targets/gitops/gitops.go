// Package gitops writes the objects that make a GitOps controller apply a
// pipeline's rendered manifests: an Argo CD Application, or a Flux
// GitRepository and Kustomization, per environment.
//
// Argo CD gets one Application per environment rather than an
// ApplicationSet. The environments are known when pipec compiles, and each
// one's namespace, branch and project come from the resolved spec (a
// namespace may be overridden per environment), so writing them out is
// simpler and more reviewable than a git generator plus a template that
// would have to map directory names back to namespaces. It also keeps each
// environment's files its own, so `pipec build --env` leaves the others
// alone.
package gitops

import (
	"fmt"
	"path"

	"github.com/pipec/pipec/internal/manifest"
	"github.com/pipec/pipec/schema"
	"github.com/pipec/pipec/targets"
)

// Target generates the GitOps controller objects.
type Target struct{}

// Name implements targets.Target.
func (Target) Name() string { return "gitops" }

// Generate returns, under <pipeline>/gitops/<env>/, the objects of each
// environment whose gitops.tool is not "none", one object per file.
func (Target) Generate(spec *schema.Spec) ([]targets.File, error) {
	header := targets.HashComment(spec)
	var files []targets.File
	for _, p := range spec.Envs {
		var objs []object
		switch p.GitOps.Tool {
		case schema.GitOpsArgoCD:
			objs = []object{application(spec, p)}
		case schema.GitOpsFlux:
			objs = []object{gitRepository(spec, p), kustomization(spec, p)}
		default:
			continue
		}
		for _, o := range objs {
			data, err := manifest.File(header, o.data)
			if err != nil {
				return nil, fmt.Errorf("%s %s: %w", o.kind, o.name, err)
			}
			files = append(files, targets.File{
				Path: path.Join(spec.Name, "gitops", p.Env, o.file()),
				Data: data,
				Env:  p.Env,
			})
		}
	}
	return files, nil
}

// object is one generated object and what names its file.
type object struct {
	kind, name string
	data       map[string]any
}

// file is the object's file name, "application-tweets-dev.yaml", named as
// the Kubernetes target names rendered objects.
func (o object) file() string { return lowerKind[o.kind] + "-" + o.name + ".yaml" }

var lowerKind = map[string]string{
	"Application":   "application",
	"GitRepository": "gitrepository",
	"Kustomization": "kustomization",
}

// objectName names an environment's objects as its default namespace is
// named: unique per pipeline and environment within the controller's
// namespace, which every pipeline of a repository shares.
func objectName(spec *schema.Spec, p *schema.Pipeline) string {
	return spec.Name + "-" + p.Env
}

// renderedPath is where the Kubernetes target writes the environment's
// rendered manifests, as seen from the repository's root.
func renderedPath(spec *schema.Spec, p *schema.Pipeline) string {
	return path.Join(p.GitOps.Path, spec.Name, "rendered", p.Env)
}

// labels mark the controller objects as pipec's, with the pipeline and
// environment they deploy, so `kubectl get applications -l ...` finds them.
func labels(spec *schema.Spec, p *schema.Pipeline) map[string]any {
	return map[string]any{
		"app.kubernetes.io/managed-by": "pipec",
		"app.kubernetes.io/part-of":    spec.Name,
		"environment":                  p.Env,
	}
}

func meta(spec *schema.Spec, p *schema.Pipeline, namespace string) map[string]any {
	return map[string]any{
		"name":      objectName(spec, p),
		"namespace": namespace,
		"labels":    labels(spec, p),
	}
}
