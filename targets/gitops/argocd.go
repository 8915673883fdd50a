package gitops

import "github.com/pipec/pipec/schema"

// inCluster is the API server address Argo CD uses for the cluster it runs
// in. pipec deploys every environment to the cluster its controller runs
// in: a multi-cluster setup installs one controller per cluster.
const inCluster = "https://kubernetes.default.svc"

// application is the Argo CD Application of one environment.
//
// Sync is automated with prune and selfHeal: the rendered directory is the
// whole desired state, so an object pipec stopped generating should go and
// a hand edit in the cluster should be undone. It is safe to prune because
// nothing that holds data is in the rendered directory: the Google Cloud
// resources live in gcp/ and carry an abandon deletion policy.
func application(spec *schema.Spec, p *schema.Pipeline) object {
	name := objectName(spec, p)
	return object{kind: "Application", name: name, data: map[string]any{
		"apiVersion": "argoproj.io/v1alpha1",
		"kind":       "Application",
		"metadata":   meta(spec, p, p.GitOps.ArgoCD.Namespace),
		"spec": map[string]any{
			"project": p.GitOps.ArgoCD.Project,
			"source": map[string]any{
				"repoURL":        p.GitOps.RepoURL,
				"targetRevision": p.GitOps.Branch,
				"path":           renderedPath(spec, p),
			},
			"destination": map[string]any{
				"server":    inCluster,
				"namespace": p.Namespace,
			},
			"syncPolicy": map[string]any{
				"automated": map[string]any{"prune": true, "selfHeal": true},
				// The rendered manifests hold the Namespace object, so
				// Argo CD must not create it too; PruneLast deletes only
				// once everything else is healthy.
				"syncOptions": []any{"PruneLast=true"},
			},
		},
	}}
}
