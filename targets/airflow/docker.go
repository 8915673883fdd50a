package airflow

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/pipec/pipec/schema"
)

// docker runs a task with DockerOperator, on a worker that has a Docker
// daemon. The image's command is the entrypoint and the task's args its
// arguments, as in a pod; the container runs as the image's user and is
// removed when it succeeds. Secrets are fetched when the task runs (see
// PipecDockerOperator); a Docker container gets no Kubernetes Pod Security
// and no Workload Identity, so prefer kubernetes_pod where you can.
func (f *file) docker(id string, t *schema.Task, img *schema.Image) (*call, error) {
	c := (&call{fn: "PipecDockerOperator", broken: true}).
		kw("task_id", str(id)).
		kw("image", str(img.Ref))
	if len(img.Command) > 0 {
		c.kw("entrypoint", strList(img.Command))
	}
	if len(t.Args) > 0 {
		c.kw("command", strList(t.Args))
	}
	plain, secrets := env(f.p, t)
	c.kw("environment", strDict(plain))
	if len(secrets) > 0 {
		c.kw("secret_env", strDict(secrets))
	}
	c.kw("user", str(fmt.Sprintf("%d:%d", img.User, img.User)))
	if r := t.Resources; r != nil {
		// CPU shares weigh containers against each other, like a request;
		// memory is capped at the limit.
		cpu, err := resource.ParseQuantity(r.CPU)
		if err != nil {
			return nil, fmt.Errorf("cpu %q: %w", r.CPU, err)
		}
		mem, err := resource.ParseQuantity(r.MemoryLimit)
		if err != nil {
			return nil, fmt.Errorf("memory limit %q: %w", r.MemoryLimit, err)
		}
		c.kw("cpus", lit(pyFloat(float64(cpu.MilliValue())/1000)))
		c.kw("mem_limit", lit(pyInt(mem.Value())))
	}
	// A tag can move; a digest cannot, so only a tag is pulled every time.
	c.kw("force_pull", lit(pyBool(!strings.Contains(img.Ref, "@"))))
	c.kw("auto_remove", str("success"))
	return c, nil
}

// dockerOperatorClass is the DockerOperator subclass the docker runner's
// tasks use, defined in each file that has such tasks so that the DAG
// folder needs nothing but the generated files.
func (f *file) dockerOperatorClass() string {
	return strings.NewReplacer(
		"$SERVICE_ACCOUNT", pyString(f.d.GoogleServiceAccount),
		"$PROJECT", pyString(f.p.Project),
	).Replace(`class PipecDockerOperator(DockerOperator):
    """DockerOperator as pipec's docker runner uses it.

    Arguments are never read as template files: DockerOperator would load an
    argument ending in .sh, .bash or .env from the DAG folder instead of
    passing it. Templates such as {{ ds }} are still rendered.

    secret_env maps a variable to a Secret Manager secret of secret_project.
    Its value is read when the task runs, as secret_reader, the DAG's own
    Google service account (the worker's identity needs
    roles/iam.serviceAccountTokenCreator on it), and handed to the container
    through DockerOperator's private environment, which is neither templated
    nor shown in the UI: no value is ever written in this file, rendered in
    a template or stored by Airflow.
    """

    template_ext = ()
    secret_reader = $SERVICE_ACCOUNT
    secret_project = $PROJECT

    def __init__(self, *, secret_env=None, **kwargs):
        super().__init__(**kwargs)
        self.secret_env = secret_env or {}

    def execute(self, context):
        if self.secret_env:
            from airflow.providers.google.cloud.hooks.secret_manager import (
                GoogleCloudSecretManagerHook,
            )

            hook = GoogleCloudSecretManagerHook(impersonation_chain=self.secret_reader)
            # DockerOperator keeps its private_environment argument here.
            self._private_environment = {
                name: hook.access_secret(
                    project_id=self.secret_project, secret_id=secret
                ).payload.data.decode("utf-8")
                for name, secret in self.secret_env.items()
            }
        return super().execute(context)
`)
}
