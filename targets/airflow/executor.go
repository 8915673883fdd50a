package airflow

import (
	"maps"
	"slices"

	"github.com/pipec/pipec/schema"
)

// executor runs a task as a Python callable that the KubernetesExecutor
// runs in a worker pod of the task's own image: executor_config's
// pod_override replaces the image of the worker's "base" container. The
// callable (run_command) runs the image's command with the task's args.
//
// The pod runs in the environment's namespace as the DAG's service account,
// like a kubernetes_pod task; the executor must therefore watch that
// namespace ([kubernetes_executor] multi_namespace_mode). Plain variables
// go through op_args, so they are templated as in the other runners;
// secrets come from the DAG's Kubernetes Secret, straight into the pod.
func (f *file) executor(id string, t *schema.Task, img *schema.Image) *call {
	plain, secrets := env(f.p, t)
	var vars list
	for _, name := range slices.Sorted(maps.Keys(secrets)) {
		vars = append(vars, f.secretEnvVar(name, secrets[name]))
	}
	container := (&call{fn: "k8s.V1Container"}).
		kw("name", str("base")).
		kw("image", str(img.Ref)).
		// A pipec image's entrypoint is its own command, and the executor
		// passes the Airflow worker's command as arguments: env runs
		// those arguments as they are, from the image's PATH.
		kw("command", strList([]string{"/usr/bin/env"}))
	if len(vars) > 0 {
		container.kw("env", vars)
	}
	if t.Resources != nil {
		container.kw("resources", resources(t.Resources))
	}
	container.kw("security_context", lit("WORKER_SECURITY"))
	pod := (&call{fn: "k8s.V1Pod"}).
		kw("metadata", (&call{fn: "k8s.V1ObjectMeta"}).
			kw("namespace", str(f.p.Namespace)).
			kw("labels", lit("POD_LABELS"))).
		kw("spec", (&call{fn: "k8s.V1PodSpec"}).
			kw("service_account_name", str(f.d.KubernetesServiceAccount)).
			kw("security_context", podSecurity(img.User)).
			kw("containers", list{container}))

	argv := append(append([]string{}, img.Command...), t.Args...)
	return (&call{fn: "PythonOperator", broken: true}).
		kw("task_id", str(id)).
		kw("python_callable", lit("run_command")).
		kw("op_args", list{strList(argv), strDict(plain)}).
		kw("executor_config", dict{{str("pod_override"), pod}})
}

// runCommand is the callable of kubernetes_executor tasks.
const runCommand = `def run_command(argv, env):
    """Run a kubernetes_executor task's command in its worker pod.

    The KubernetesExecutor starts this task in a pod of the task's own image
    (executor_config's pod_override), so that image must hold Airflow, at the
    cluster's version and with the providers this file imports, and must see
    the DAG files, baked in or mounted by the executor's pod template: the
    worker parses this file before it calls this function. The command runs
    in the image's working directory; its output goes to the task's log.
    """
    with subprocess.Popen(
        argv,
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
    ) as proc:
        for line in proc.stdout:
            print(line, end="", flush=True)
    if proc.returncode != 0:
        raise subprocess.CalledProcessError(proc.returncode, argv)
`
