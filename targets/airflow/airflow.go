// Package airflow generates Airflow DAG files, one per DAG and environment,
// in which every task runs in its own container image, so DAGs stop
// fighting over library versions on shared workers.
//
// A DAG's runner, overridable per task, picks how a task's image runs:
//   - kubernetes_pod: a KubernetesPodOperator pod in the environment's
//     namespace, as the DAG's Workload Identity service account, under Pod
//     Security "restricted". The image needs no Airflow.
//   - docker: a DockerOperator container, for workers with a Docker daemon.
//     Secrets are read from Secret Manager when the task runs.
//   - kubernetes_executor: a Python callable the KubernetesExecutor runs in a
//     worker pod of the task's image (executor_config's pod_override); the
//     image must hold Airflow and see the DAG files.
//
// The files import on Airflow 2.11+ and 3.x with
// apache-airflow-providers-cncf-kubernetes 10.x and
// apache-airflow-providers-docker 4.x; testdata/check_dag.py holds the
// signatures they are checked against.
package airflow

import (
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"

	"github.com/pipec/pipec/schema"
	"github.com/pipec/pipec/targets"
)

// Target writes <pipeline>/dags/<env>/<dag_id>.py for every DAG of every
// environment.
type Target struct{}

// Name is the output kind's name.
func (Target) Name() string { return "airflow" }

// Generate writes one file per DAG and environment. Each environment has
// its own file because the image references, project, namespace and
// service account differ between environments.
func (Target) Generate(spec *schema.Spec) ([]targets.File, error) {
	// The marker is the one spec-derived text outside a string literal:
	// a line break in it would end the comment and start code.
	if strings.ContainsAny(targets.Marker(spec), "\n\r") {
		return nil, fmt.Errorf("airflow: spec directory %q holds a line break and cannot be written in a Python comment", spec.Dir)
	}
	var files []targets.File
	for _, p := range spec.Envs {
		for _, id := range slices.Sorted(maps.Keys(p.DAGs)) {
			data, err := dagFile(spec, p, id, p.DAGs[id])
			if err != nil {
				return nil, fmt.Errorf("airflow: %s: DAG %s: %w", p.Env, id, err)
			}
			files = append(files, targets.File{
				Path: path.Join(spec.Name, "dags", p.Env, id+".py"),
				Data: data,
				Env:  p.Env,
			})
		}
	}
	return files, nil
}
