package kubernetes

import (
	"maps"
	"slices"

	"github.com/pipec/pipec/schema"
	"github.com/pipec/pipec/targets/airflow"
)

// workload is what runs pods under its own identity: a service, or the
// task pods of a DAG. Each gets its own ServiceAccount (mapped to its own
// Google service account), NetworkPolicy and secret sync, so one
// workload's permissions never leak to another.
type workload struct {
	// name labels the workload's pods (app.kubernetes.io/name) and names
	// its ServiceAccount, SecretStore, ExternalSecret and NetworkPolicy.
	name string
	// gsa is the Google service account the ServiceAccount impersonates.
	gsa string
	// secret is the Kubernetes Secret its secrets are synced into.
	secret string
	// secrets maps each key of that Secret to its Secret Manager name.
	secrets map[string]string
	// port is the port the workload accepts connections on, if any.
	port int
}

func serviceWorkload(s *schema.Service) workload {
	w := workload{name: s.KubernetesServiceAccount, gsa: s.GoogleServiceAccount, secret: secretName(s), port: s.Port, secrets: map[string]string{}}
	for env, v := range s.Env {
		if v.Secret != "" {
			w.secrets[env] = v.Secret
		}
	}
	return w
}

// dagWorkload is a DAG's task pods. Their Secret is keyed by Secret Manager
// name, not by variable, because the Airflow target mounts one Secret for
// every task of the DAG and two tasks may read the same secret under
// different variable names.
func dagWorkload(d *schema.DAG) workload {
	w := workload{name: d.KubernetesServiceAccount, gsa: d.GoogleServiceAccount, secret: airflow.SecretName(d), secrets: map[string]string{}}
	for _, t := range d.Tasks {
		for _, v := range t.Env {
			if v.Secret != "" {
				w.secrets[v.Secret] = v.Secret
			}
		}
	}
	return w
}

// dags adds what the DAGs' task pods need in the pipeline's namespace.
func (b *builder) dags() {
	ids := slices.Sorted(maps.Keys(b.p.DAGs))
	for _, id := range ids {
		w := dagWorkload(b.p.DAGs[id])
		b.serviceAccount(w)
		b.networkPolicy(w)
		b.secrets(w)
	}
	if len(ids) > 0 {
		b.airflowLauncher()
	}
}
