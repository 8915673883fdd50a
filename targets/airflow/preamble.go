package airflow

import (
	"maps"
	"slices"
	"strings"

	"github.com/pipec/pipec/schema"
)

// imports writes the import block: the standard library, then the
// providers' modules by their current paths (never the removed
// ...operators.kubernetes_pod), then Airflow's core names, which moved to
// airflow.sdk in Airflow 3 and are imported from their 2.x homes when that
// fails.
func (f *file) imports() string {
	var std []string
	if f.usesTimedelta {
		std = append(std, "import datetime")
	}
	if f.runners[runnerExecutor] {
		std = append(std, "import os", "import subprocess")
	}
	third := []string{"import pendulum"}
	if f.runners[runnerPod] {
		third = append(third, "from airflow.providers.cncf.kubernetes.operators.pod import KubernetesPodOperator")
		if f.usesSecret {
			third = append(third, "from airflow.providers.cncf.kubernetes.secret import Secret")
		}
	}
	if f.runners[runnerDocker] {
		third = append(third, "from airflow.providers.docker.operators.docker import DockerOperator")
	}
	if f.runners[runnerPod] || f.runners[runnerExecutor] {
		third = append(third, "from kubernetes.client import models as k8s")
	}

	var b strings.Builder
	if len(std) > 0 {
		b.WriteString(strings.Join(std, "\n") + "\n\n")
	}
	b.WriteString(strings.Join(third, "\n") + "\n\n")
	groups := slices.ContainsFunc(slices.Collect(maps.Values(f.d.Tasks)), func(t *schema.Task) bool { return t.Group != "" })
	b.WriteString("try:  # Airflow 3\n")
	if groups {
		b.WriteString("    from airflow.sdk import DAG, TaskGroup\n")
	} else {
		b.WriteString("    from airflow.sdk import DAG\n")
	}
	b.WriteString("except ImportError:  # Airflow 2\n")
	b.WriteString("    from airflow.models.dag import DAG\n")
	if groups {
		b.WriteString("    from airflow.utils.task_group import TaskGroup\n")
	}
	if f.runners[runnerExecutor] {
		b.WriteString("\ntry:  # Airflow 3: the standard provider\n")
		b.WriteString("    from airflow.providers.standard.operators.python import PythonOperator\n")
		b.WriteString("except ImportError:  # Airflow 2\n")
		b.WriteString("    from airflow.operators.python import PythonOperator\n")
	}
	return b.String()
}

// definitions writes what the tasks share: pod labels and security
// settings, and the code of the docker and kubernetes_executor runners.
func (f *file) definitions() string {
	var b strings.Builder
	def := func(comment, name string, value expr) {
		b.WriteString("\n" + comment)
		b.WriteString(assign(name, value, 0))
	}
	if f.runners[runnerPod] || f.runners[runnerExecutor] {
		def(`# The Kubernetes target's NetworkPolicy for the DAG selects its pods by these.
`, "POD_LABELS", strDict(f.podLabels()))
	}
	if f.runners[runnerPod] {
		def(`# Pod Security "restricted", which the namespace enforces: no privilege
# escalation, no capabilities, and a read-only root filesystem with /tmp as
# the task's scratch space.
`, "CONTAINER_SECURITY", containerSecurity(true))
		b.WriteString(assign("TMP_VOLUMES", list{(&call{fn: "k8s.V1Volume"}).
			kw("name", str("tmp")).kw("empty_dir", &call{fn: "k8s.V1EmptyDirVolumeSource"})}, 0))
		b.WriteString(assign("TMP_MOUNTS", list{(&call{fn: "k8s.V1VolumeMount"}).
			kw("name", str("tmp")).kw("mount_path", str("/tmp"))}, 0))
	}
	if f.runners[runnerExecutor] {
		def(`# Pod Security "restricted" for kubernetes_executor workers. Their root
# filesystem stays writable: the Airflow worker writes under AIRFLOW_HOME,
# which the executor's pod template, not pipec, provides.
`, "WORKER_SECURITY", containerSecurity(false))
		b.WriteString("\n\n" + runCommand)
	}
	if f.runners[runnerDocker] {
		b.WriteString("\n\n" + f.dockerOperatorClass())
	}
	b.WriteString("\n\n")
	return b.String()
}

// podLabels are the labels of the DAG's pods: the Kubernetes recommended
// name and part-of, which the Kubernetes target selects workloads by, the
// pipeline's labels, and the environment, as its overlays add them.
func (f *file) podLabels() map[string]string {
	labels := map[string]string{}
	maps.Copy(labels, f.p.Labels)
	labels["environment"] = f.p.Env
	labels["app.kubernetes.io/name"] = f.d.KubernetesServiceAccount
	labels["app.kubernetes.io/part-of"] = f.spec.Name
	return labels
}

// containerSecurity is the container security context of the restricted
// profile, with a read-only root filesystem where the runner allows one.
func containerSecurity(readOnlyRoot bool) *call {
	c := (&call{fn: "k8s.V1SecurityContext"}).
		kw("allow_privilege_escalation", lit("False")).
		kw("capabilities", (&call{fn: "k8s.V1Capabilities"}).kw("drop", strList([]string{"ALL"})))
	if readOnlyRoot {
		c.kw("read_only_root_filesystem", lit("True"))
	}
	return c
}

// podSecurity is the pod security context of the restricted profile: the
// image's own numeric user and group, never root, and the runtime's
// default seccomp profile.
func podSecurity(user int) *call {
	u := lit(pyInt(int64(user)))
	return (&call{fn: "k8s.V1PodSecurityContext"}).
		kw("run_as_non_root", lit("True")).
		kw("run_as_user", u).
		kw("run_as_group", u).
		kw("fs_group", u).
		kw("seccomp_profile", (&call{fn: "k8s.V1SeccompProfile"}).kw("type", str("RuntimeDefault")))
}
