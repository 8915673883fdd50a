package kubernetes

import (
	"maps"
	"slices"

	"github.com/pipec/pipec/schema"
)

// externalSecretsAPI is the External Secrets Operator API the objects use.
const externalSecretsAPI = "external-secrets.io/v1"

// secretName is the Kubernetes Secret holding a workload's secret env vars.
func secretName(s *schema.Service) string { return s.Name + "-secrets" }

// secrets syncs a workload's secret env vars from Secret Manager into the
// Secret its pods read, through the External Secrets Operator. Each
// workload has its own SecretStore that authenticates as the workload's
// own ServiceAccount, so it can read only the secrets its Google service
// account was granted: a shared store would need one identity able to
// read every workload's secrets.
func (b *builder) secrets(w workload) {
	var data []any
	for _, key := range slices.Sorted(maps.Keys(w.secrets)) {
		data = append(data, map[string]any{
			"secretKey": key,
			"remoteRef": map[string]any{"key": w.secrets[key]},
		})
	}
	if len(data) == 0 {
		return
	}
	meta := b.meta(w.name, w.name)
	b.add("SecretStore", w.name, map[string]any{
		"apiVersion": externalSecretsAPI,
		"kind":       "SecretStore",
		"metadata":   meta,
		"spec": map[string]any{
			"provider": map[string]any{
				"gcpsm": map[string]any{
					"projectID": b.p.Project,
					"auth": map[string]any{
						"workloadIdentity": map[string]any{
							"serviceAccountRef": map[string]any{"name": w.name},
						},
					},
				},
			},
		},
	})
	b.add("ExternalSecret", w.name, map[string]any{
		"apiVersion": externalSecretsAPI,
		"kind":       "ExternalSecret",
		"metadata":   meta,
		"spec": map[string]any{
			"secretStoreRef":  map[string]any{"kind": "SecretStore", "name": w.name},
			"refreshInterval": "1h",
			"target": map[string]any{
				"name": w.secret,
				// The Secret belongs to the ExternalSecret and goes away
				// with it; Retain keeps it if the Secret Manager secret
				// is deleted, so running pods do not lose their value.
				"creationPolicy": "Owner",
				"deletionPolicy": "Retain",
			},
			"data": data,
		},
	})
}
