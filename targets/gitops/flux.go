package gitops

import "github.com/pipec/pipec/schema"

// gitRepository is the Flux source of one environment. Each environment
// has its own, although they usually point at the same branch: an
// environment may follow another branch (prod on "release"), and its files
// stay self-contained for `pipec build --env`. The cost is one more fetch
// per interval.
func gitRepository(spec *schema.Spec, p *schema.Pipeline) object {
	name := objectName(spec, p)
	return object{kind: "GitRepository", name: name, data: map[string]any{
		"apiVersion": "source.toolkit.fluxcd.io/v1",
		"kind":       "GitRepository",
		"metadata":   meta(spec, p, p.GitOps.Flux.Namespace),
		"spec": map[string]any{
			"interval": p.GitOps.Flux.Interval,
			"url":      p.GitOps.RepoURL,
			"ref":      map[string]any{"branch": p.GitOps.Branch},
		},
	}}
}

// kustomization is the Flux Kustomization that applies one environment's
// rendered directory. prune removes what pipec stopped generating (nothing
// there holds data); wait makes the Kustomization ready only once its
// workloads are, so a broken rollout shows on it.
func kustomization(spec *schema.Spec, p *schema.Pipeline) object {
	name := objectName(spec, p)
	return object{kind: "Kustomization", name: name, data: map[string]any{
		"apiVersion": "kustomize.toolkit.fluxcd.io/v1",
		"kind":       "Kustomization",
		"metadata":   meta(spec, p, p.GitOps.Flux.Namespace),
		"spec": map[string]any{
			"interval":        p.GitOps.Flux.Interval,
			"path":            "./" + renderedPath(spec, p),
			"prune":           true,
			"wait":            true,
			"targetNamespace": p.Namespace,
			"sourceRef": map[string]any{
				"kind": "GitRepository",
				"name": name,
			},
		},
	}}
}
