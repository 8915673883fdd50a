package airflow

import (
	"github.com/pipec/pipec/schema"
)

// SecretName is the Kubernetes Secret that holds a DAG's secret environment
// variables, in the environment's namespace: "<DAG service account>-secrets",
// e.g. "dag-daily-sales-secrets". The Kubernetes target keeps it in sync
// from Secret Manager with an ExternalSecret; pipec never writes a value.
//
// Its keys are Secret Manager secret names, not variable names: a DAG has
// one Secret for all its tasks, and two tasks may give the same variable
// different secrets, while a secret name is unique and is already a valid
// key ([A-Za-z0-9_-]).
func SecretName(d *schema.DAG) string { return d.KubernetesServiceAccount + "-secrets" }

// projectEnv names the variable Google Cloud client libraries read the
// project from; without it they ask the metadata server, which answers with
// the cluster's project rather than the environment's.
const projectEnv = "GOOGLE_CLOUD_PROJECT"

// env splits a task's environment into plain values, GOOGLE_CLOUD_PROJECT
// first set to the environment's project (a task's own value wins), and
// secrets: variable name to Secret Manager secret name.
func env(p *schema.Pipeline, t *schema.Task) (plain, secrets map[string]string) {
	plain = map[string]string{projectEnv: p.Project}
	secrets = map[string]string{}
	for name, v := range t.Env {
		if v.Secret != "" {
			secrets[name] = v.Secret
			delete(plain, name)
			continue
		}
		plain[name] = v.Value
	}
	return plain, secrets
}
