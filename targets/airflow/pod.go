package airflow

import (
	"maps"
	"slices"
	"strings"

	"github.com/pipec/pipec/schema"
)

// pod runs a task with KubernetesPodOperator: a pod of the task's image in
// the environment's namespace, running as the DAG's service account, which
// Workload Identity maps to the DAG's Google service account. The image
// needs no Airflow. A succeeded pod is deleted; a failed one is kept for
// debugging.
func (f *file) pod(id string, t *schema.Task, img *schema.Image) *call {
	c := (&call{fn: "KubernetesPodOperator", broken: true}).
		kw("task_id", str(id)).
		kw("image", str(img.Ref))
	if len(img.Command) > 0 {
		c.kw("cmds", strList(img.Command))
	}
	if len(t.Args) > 0 {
		c.kw("arguments", strList(t.Args))
	}
	plain, secrets := env(f.p, t)
	// Secret upper-cases the variable it sets, so a secret in a variable
	// with lower-case letters is set through env_vars instead, under its
	// exact name. env_vars then holds V1EnvVars rather than a dict.
	var upper, exact []string
	for _, name := range slices.Sorted(maps.Keys(secrets)) {
		if name == strings.ToUpper(name) {
			upper = append(upper, name)
		} else {
			exact = append(exact, name)
		}
	}
	if len(exact) == 0 {
		c.kw("env_vars", strDict(plain))
	} else {
		vars := map[string]expr{}
		for name, value := range plain {
			vars[name] = (&call{fn: "k8s.V1EnvVar"}).kw("name", str(name)).kw("value", str(value))
		}
		for _, name := range exact {
			vars[name] = f.secretEnvVar(name, secrets[name])
		}
		var l list
		for _, name := range slices.Sorted(maps.Keys(vars)) {
			l = append(l, vars[name])
		}
		c.kw("env_vars", l)
	}
	if len(upper) > 0 {
		f.usesSecret = true
		var l list
		for _, name := range upper {
			l = append(l, &call{fn: "Secret", args: []expr{
				str("env"), str(name), str(SecretName(f.d)), str(secrets[name]),
			}})
		}
		c.kw("secrets", l)
	}
	if t.Resources != nil {
		c.kw("container_resources", resources(t.Resources))
	}
	c.kw("namespace", str(f.p.Namespace))
	c.kw("service_account_name", str(f.d.KubernetesServiceAccount))
	// Workload Identity needs no Kubernetes API token in the pod.
	c.kw("automount_service_account_token", lit("False"))
	c.kw("labels", lit("POD_LABELS"))
	c.kw("security_context", podSecurity(img.User))
	c.kw("container_security_context", lit("CONTAINER_SECURITY"))
	c.kw("volumes", lit("TMP_VOLUMES"))
	c.kw("volume_mounts", lit("TMP_MOUNTS"))
	c.kw("on_finish_action", str("delete_succeeded_pod"))
	c.kw("get_logs", lit("True"))
	return c
}

// secretEnvVar sets variable name from a key of the DAG's Kubernetes
// Secret. The value never passes through Airflow.
func (f *file) secretEnvVar(name, secret string) *call {
	ref := (&call{fn: "k8s.V1SecretKeySelector"}).kw("name", str(SecretName(f.d))).kw("key", str(secret))
	return (&call{fn: "k8s.V1EnvVar"}).
		kw("name", str(name)).
		kw("value_from", (&call{fn: "k8s.V1EnvVarSource"}).kw("secret_key_ref", ref))
}

// resources are the container's requests and memory limit. There is no
// CPU limit, as for services: throttling a busy task helps no one when the
// node has spare CPU.
func resources(r *schema.Resources) *call {
	return (&call{fn: "k8s.V1ResourceRequirements"}).
		kw("requests", strDict(map[string]string{"cpu": r.CPU, "memory": r.Memory})).
		kw("limits", strDict(map[string]string{"memory": r.MemoryLimit}))
}
