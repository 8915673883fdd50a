"""Check generated DAG files without Airflow, by walking their syntax tree.

Usage: python3 check_dag.py EXPECTED.json

EXPECTED.json lists the DAG files and what each must define (see
airflow_test.go, which writes it from the spec). For every file this checks:

- it parses and compiles, starts with the pipec marker, and runs nothing at
  import time but imports, constant definitions, the runners' helper code and
  the DAG itself;
- every import names a module path that exists in the versions below, and
  nothing removed in Airflow 3 is used (schedule_interval, days_ago, SLAs,
  the old kubernetes_pod module, ...);
- every call names a known callable and passes only keyword arguments its
  signature has (positional arguments only where the API takes them);
- DAG, task and group IDs are valid and unique, and the dependency graph,
  read from the `a >> b` statements, is the spec's and is acyclic;
- each task runs its image, command, arguments and environment exactly as
  the spec says, its secrets come from the DAG's Kubernetes Secret (or, for
  the docker runner, from Secret Manager at run time) and never as literal
  values, and its pod passes Pod Security "restricted".

Targeted versions, and where the signatures were read:

- apache-airflow 2.11 and 3.x: DAG (airflow/models/dag.py and
  task-sdk/src/airflow/sdk/definitions/dag.py), BaseOperator (airflow/models/
  baseoperator.py and task-sdk/src/airflow/sdk/bases/operator.py), TaskGroup;
  only arguments both major versions accept are allowed.
- apache-airflow-providers-cncf-kubernetes 10.x (10.12.0; requires Airflow
  >= 2.11): providers/cncf/kubernetes/src/airflow/providers/cncf/kubernetes/
  operators/pod.py (KubernetesPodOperator.__init__) and secret.py (Secret).
- apache-airflow-providers-docker 4.x (4.5.2; requires Airflow >= 2.11):
  providers/docker/src/airflow/providers/docker/operators/docker.py.
- apache-airflow-providers-standard 1.x (PythonOperator on Airflow 3; the
  same signature as airflow.operators.python.PythonOperator on 2.11).
- apache-airflow-providers-google (GoogleCloudSecretManagerHook,
  providers/google/src/airflow/providers/google/cloud/hooks/secret_manager.py).
- kubernetes (Python client) 32 to 34, the range cncf.kubernetes 10.12
  requires; only fields present since client 22 are allowed.
- pendulum 2 and 3.
"""

import ast
import datetime
import json
import re
import sys

# --- Signatures --------------------------------------------------------------

BASE_OPERATOR = {
    "task_id", "owner", "email", "email_on_retry", "email_on_failure", "retries",
    "retry_delay", "retry_exponential_backoff", "max_retry_delay", "start_date",
    "end_date", "depends_on_past", "ignore_first_depends_on_past",
    "wait_for_past_depends_before_skipping", "wait_for_downstream", "dag", "params",
    "default_args", "priority_weight", "weight_rule", "queue", "pool", "pool_slots",
    "execution_timeout", "on_execute_callback", "on_failure_callback",
    "on_success_callback", "on_retry_callback", "on_skipped_callback", "pre_execute",
    "post_execute", "trigger_rule", "resources", "run_as_user", "map_index_template",
    "max_active_tis_per_dag", "max_active_tis_per_dagrun", "executor",
    "executor_config", "do_xcom_push", "multiple_outputs", "inlets", "outlets",
    "task_group", "doc", "doc_md", "doc_json", "doc_yaml", "doc_rst",
    "task_display_name", "logger_name", "allow_nested_operators",
}

KUBERNETES_POD_OPERATOR = BASE_OPERATOR | {
    "kubernetes_conn_id", "namespace", "image", "name", "random_name_suffix", "cmds",
    "arguments", "ports", "volume_mounts", "volumes", "env_vars", "env_from",
    "secrets", "in_cluster", "cluster_context", "labels", "reattach_on_restart",
    "startup_timeout_seconds", "startup_check_interval_seconds", "get_logs",
    "base_container_name", "base_container_status_polling_interval",
    "init_container_logs", "container_logs", "image_pull_policy", "annotations",
    "container_resources", "affinity", "config_file", "node_selector",
    "image_pull_secrets", "service_account_name", "automount_service_account_token",
    "hostnetwork", "host_aliases", "tolerations", "security_context",
    "container_security_context", "dnspolicy", "dns_config", "hostname", "subdomain",
    "schedulername", "full_pod_spec", "init_containers", "log_events_on_failure",
    "pod_template_file", "pod_template_dict", "priority_class_name",
    "pod_runtime_info_envs", "termination_grace_period", "configmaps",
    "skip_on_exit_code", "deferrable", "poll_interval", "log_pod_spec_on_failure",
    "on_finish_action", "termination_message_policy", "active_deadline_seconds",
    "callbacks", "progress_callback", "logging_interval", "trigger_kwargs",
}

DOCKER_OPERATOR = BASE_OPERATOR | {
    "image", "api_version", "command", "container_name", "cpus", "docker_url",
    "environment", "private_environment", "env_file", "force_pull", "mem_limit",
    "host_tmp_dir", "network_mode", "tls_ca_cert", "tls_client_cert",
    "tls_client_key", "tls_verify", "tls_hostname", "tls_ssl_version",
    "mount_tmp_dir", "tmp_dir", "user", "mounts", "entrypoint", "working_dir",
    "xcom_all", "docker_conn_id", "dns", "dns_search", "auto_remove", "shm_size",
    "tty", "hostname", "privileged", "cap_add", "extra_hosts", "retrieve_output",
    "retrieve_output_path", "timeout", "device_requests", "log_opts_max_size",
    "log_opts_max_file", "ipc_mode", "skip_on_exit_code", "port_bindings",
    "ulimits", "labels",
}

PYTHON_OPERATOR = BASE_OPERATOR | {
    "python_callable", "op_args", "op_kwargs", "templates_dict", "templates_exts",
    "show_return_value_in_logs",
}

DAG_ARGS = {
    "dag_id", "description", "schedule", "start_date", "end_date",
    "template_searchpath", "template_undefined", "user_defined_macros",
    "user_defined_filters", "default_args", "max_active_tasks", "max_active_runs",
    "max_consecutive_failed_dag_runs", "dagrun_timeout", "catchup",
    "on_success_callback", "on_failure_callback", "doc_md", "params",
    "access_control", "is_paused_upon_creation", "jinja_environment_kwargs",
    "render_template_as_native_obj", "tags", "owner_links", "auto_register",
    "dag_display_name",
}

TASK_GROUP = {
    "group_id", "prefix_group_id", "parent_group", "dag", "default_args", "tooltip",
    "ui_color", "ui_fgcolor", "add_suffix_on_collision", "group_display_name",
}

K8S_MODELS = {
    "V1Pod": {"api_version", "kind", "metadata", "spec"},
    "V1ObjectMeta": {"annotations", "labels", "name", "namespace", "generate_name"},
    "V1PodSpec": {
        "containers", "init_containers", "volumes", "service_account_name",
        "automount_service_account_token", "security_context", "node_selector",
        "tolerations", "affinity", "priority_class_name",
        "termination_grace_period_seconds",
    },
    "V1Container": {
        "name", "image", "command", "args", "env", "env_from", "resources",
        "security_context", "volume_mounts", "working_dir", "image_pull_policy",
    },
    "V1EnvVar": {"name", "value", "value_from"},
    "V1EnvVarSource": {"secret_key_ref", "config_map_key_ref", "field_ref"},
    "V1SecretKeySelector": {"name", "key", "optional"},
    "V1ResourceRequirements": {"requests", "limits"},
    "V1PodSecurityContext": {
        "run_as_non_root", "run_as_user", "run_as_group", "fs_group",
        "seccomp_profile", "supplemental_groups",
    },
    "V1SecurityContext": {
        "allow_privilege_escalation", "capabilities", "privileged",
        "read_only_root_filesystem", "run_as_non_root", "run_as_user",
        "run_as_group", "seccomp_profile",
    },
    "V1SeccompProfile": {"type", "localhost_profile"},
    "V1Capabilities": {"add", "drop"},
    "V1Volume": {"name", "empty_dir", "secret", "config_map", "projected"},
    "V1EmptyDirVolumeSource": {"medium", "size_limit"},
    "V1VolumeMount": {"name", "mount_path", "read_only", "sub_path"},
}

# callee -> (how many positional arguments it takes, its keyword arguments)
CALLS = {
    "DAG": (0, DAG_ARGS),
    "TaskGroup": (0, TASK_GROUP),
    "KubernetesPodOperator": (0, KUBERNETES_POD_OPERATOR),
    "PipecDockerOperator": (0, DOCKER_OPERATOR | {"secret_env"}),
    "PythonOperator": (0, PYTHON_OPERATOR),
    "Secret": (5, {"deploy_type", "deploy_target", "secret", "key", "items"}),
    "pendulum.datetime": (7, {"hour", "minute", "second", "microsecond", "tz"}),
    "datetime.timedelta": (0, {"days", "seconds", "microseconds", "milliseconds",
                               "minutes", "hours", "weeks"}),
    # The runners' helper code.
    "super": (0, set()),
    "super().__init__": (0, set()),  # **kwargs only
    "super().execute": (1, set()),
    "GoogleCloudSecretManagerHook": (0, {"location", "gcp_conn_id", "impersonation_chain"}),
    # access_secret refuses positional arguments (fallback_to_default_project_id).
    "hook.access_secret": (0, {"project_id", "secret_id", "secret_version", "retry",
                               "timeout", "metadata", "location"}),
    "hook.access_secret().payload.data.decode": (2, {"encoding", "errors"}),
    "self.secret_env.items": (0, set()),
    "subprocess.Popen": (1, {"env", "stdout", "stderr", "text", "errors", "cwd"}),
    "subprocess.CalledProcessError": (4, {"returncode", "cmd", "output", "stderr"}),
    "print": (99, {"end", "flush", "sep", "file"}),
}
CALLS.update({"k8s." + name: (0, fields) for name, fields in K8S_MODELS.items()})

# module -> names it provides; a plain `import x` is listed with None.
IMPORTS = {
    "datetime": None,
    "os": None,
    "subprocess": None,
    "pendulum": None,
    "airflow.sdk": {"DAG", "TaskGroup"},
    "airflow.models.dag": {"DAG"},
    "airflow.utils.task_group": {"TaskGroup"},
    "airflow.providers.cncf.kubernetes.operators.pod": {"KubernetesPodOperator"},
    "airflow.providers.cncf.kubernetes.secret": {"Secret"},
    "airflow.providers.docker.operators.docker": {"DockerOperator"},
    "airflow.providers.standard.operators.python": {"PythonOperator"},
    "airflow.operators.python": {"PythonOperator"},
    "airflow.providers.google.cloud.hooks.secret_manager": {"GoogleCloudSecretManagerHook"},
    "kubernetes.client": {"models"},
}

# Names gone in Airflow 3, or never to be used.
FORBIDDEN = {
    "schedule_interval", "timetable", "days_ago", "sla", "sla_miss_callback",
    "concurrency", "task_concurrency", "execution_date", "is_delete_operator_pod",
    "fail_stop",
    # A value passed here would be a literal in the file.
    "private_environment",
}

# airflow.utils.trigger_rule.TriggerRule (2.11) / airflow.sdk TriggerRule (3.x),
# less the ones only one of them has.
TRIGGER_RULES = {
    "all_success", "all_failed", "all_done", "all_done_setup_success", "all_skipped",
    "one_success", "one_failed", "one_done", "none_failed",
    "none_failed_min_one_success", "none_skipped", "always",
}

AIRFLOW_ID = re.compile(r"^[A-Za-z0-9_.-]+$")
GROUP_ID = re.compile(r"^[A-Za-z0-9_-]+$")
MARKER = re.compile(r"^# Code generated by pipec from \S.*\. DO NOT EDIT\.$")
HELPERS = {"run_command", "PipecDockerOperator"}


class Failure(Exception):
    pass


def callee(func):
    """The dotted name of a call's function: k8s.V1Pod, super().__init__."""
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return callee(func.value) + "." + func.attr
    if isinstance(func, ast.Call):
        return callee(func.func) + "()"
    raise Failure(f"line {func.lineno}: cannot name the function called")


class K8s:
    """A kubernetes.client model, as its keyword arguments."""

    def __init__(self, cls, fields):
        self.cls, self.fields = cls, fields

    def __getitem__(self, key):
        return self.fields.get(key)

    def __repr__(self):
        return f"{self.cls}({self.fields})"


class Ref:
    """A name the evaluator does not resolve (a function, a class)."""

    def __init__(self, name):
        self.name = name

    def __eq__(self, other):
        return isinstance(other, Ref) and other.name == self.name

    def __repr__(self):
        return f"Ref({self.name})"


class Checker:
    def __init__(self, path, expected):
        self.path = path
        self.want = expected
        self.errors = []
        self.constants = {}  # module-level NAME = value
        self.tasks = {}  # task_id -> {"var", "callee", "kwargs", "group"}
        self.vars = {}  # Python variable -> task_id
        self.groups = []
        self.edges = set()
        self.dag_kwargs = None

    def fail(self, node, msg):
        self.errors.append(f"{self.path}:{getattr(node, 'lineno', 0)}: {msg}")

    # --- evaluation of the literal parts --------------------------------

    def value(self, node):
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, (ast.List, ast.Tuple)):
            return [self.value(e) for e in node.elts]
        if isinstance(node, ast.Dict):
            return {self.value(k): self.value(v) for k, v in zip(node.keys, node.values)}
        if isinstance(node, ast.Name):
            if node.id in self.constants:
                return self.constants[node.id]
            return Ref(node.id)
        if isinstance(node, ast.Call):
            name = callee(node.func)
            kwargs = {k.arg: self.value(k.value) for k in node.keywords}
            args = [self.value(a) for a in node.args]
            if name.startswith("k8s."):
                return K8s(name[4:], kwargs)
            if name == "datetime.timedelta":
                return datetime.timedelta(**kwargs)
            if name == "pendulum.datetime":
                return ("pendulum.datetime", args, kwargs)
            if name == "Secret":
                return ("Secret", args, kwargs)
            return Ref(name)
        return Ref(ast.dump(node))

    # --- structure ------------------------------------------------------------

    def check(self):
        with open(self.path, encoding="utf-8") as f:
            src = f.read()
        try:
            tree = ast.parse(src, self.path)
            compile(src, self.path, "exec")
        except SyntaxError as e:
            raise Failure(f"{self.path}: does not parse: {e}")
        if not any(MARKER.match(line) for line in src.splitlines()[:5]):
            self.fail(tree, "no pipec marker in the first five lines")
        if not src.isascii():
            self.fail(tree, "the file holds non-ASCII text outside escapes")

        for node in ast.walk(tree):
            self.check_names(node)
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                self.check_import(node)
            if isinstance(node, ast.Call):
                self.check_call(node)

        used = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                for alias in node.names:
                    bound = alias.asname or alias.name.split(".")[0]
                    if bound not in used:
                        self.fail(node, f"{bound} is imported but never used")

        body = tree.body
        if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
            body = body[1:]
        dags = 0
        for stmt in body:
            if isinstance(stmt, (ast.Import, ast.ImportFrom)):
                continue
            if isinstance(stmt, ast.Try):
                self.check_import_fallback(stmt)
            elif isinstance(stmt, ast.Assign):
                self.check_constant(stmt)
            elif isinstance(stmt, (ast.FunctionDef, ast.ClassDef)):
                if stmt.name not in HELPERS:
                    self.fail(stmt, f"unexpected definition {stmt.name}")
                if isinstance(stmt, ast.ClassDef) and [callee(b) for b in stmt.bases] != ["DockerOperator"]:
                    self.fail(stmt, "PipecDockerOperator must subclass DockerOperator")
            elif isinstance(stmt, ast.With):
                dags += 1
                self.check_dag(stmt)
            else:
                self.fail(stmt, f"{type(stmt).__name__} runs at import time")
        if dags != 1:
            self.fail(tree, f"{dags} DAG blocks, want 1")
        self.check_graph()
        self.check_tasks()
        return self.errors

    def check_names(self, node):
        names = []
        if isinstance(node, ast.Name):
            names.append(node.id)
        elif isinstance(node, ast.Attribute):
            names.append(node.attr)
        elif isinstance(node, ast.keyword) and node.arg:
            names.append(node.arg)
        for n in names:
            if n in FORBIDDEN:
                self.fail(node, f"{n} is removed in Airflow 3 or not to be used")

    def check_import(self, node):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name not in IMPORTS or IMPORTS[alias.name] is not None:
                    self.fail(node, f"import {alias.name}: not a module this file may import")
            return
        if node.level or node.module not in IMPORTS or IMPORTS[node.module] is None:
            self.fail(node, f"from {node.module}: not a module this file may import")
            return
        for alias in node.names:
            if alias.name not in IMPORTS[node.module]:
                self.fail(node, f"{node.module} has no {alias.name}")
        if node.module == "kubernetes.client" and [a.asname for a in node.names] != ["k8s"]:
            self.fail(node, "import the kubernetes models as k8s")

    def check_import_fallback(self, stmt):
        """try: the Airflow 3 path, except ImportError: the Airflow 2 one."""
        handlers = stmt.handlers
        ok = (
            len(handlers) == 1
            and isinstance(handlers[0].type, ast.Name)
            and handlers[0].type.id == "ImportError"
            and not stmt.orelse
            and not stmt.finalbody
            and all(isinstance(s, ast.ImportFrom) for s in stmt.body + handlers[0].body)
        )
        if not ok:
            self.fail(stmt, "a try at module level may only fall back from one import to another")
            return
        got = {a.name for s in stmt.body for a in s.names}
        fallback = {a.name for s in handlers[0].body for a in s.names}
        if got != fallback:
            self.fail(stmt, f"the fallback imports {sorted(fallback)}, not {sorted(got)}")

    def check_constant(self, stmt):
        if len(stmt.targets) != 1 or not isinstance(stmt.targets[0], ast.Name):
            self.fail(stmt, "only NAME = value at module level")
            return
        for node in ast.walk(stmt.value):
            if isinstance(node, ast.Call) and not callee(node.func).startswith("k8s."):
                self.fail(node, "a module-level constant calls something other than a kubernetes model")
        self.constants[stmt.targets[0].id] = self.value(stmt.value)

    def check_call(self, node):
        name = callee(node.func)
        if name not in CALLS:
            self.fail(node, f"call to unknown {name}")
            return
        positional, kwargs = CALLS[name]
        if len(node.args) > positional:
            self.fail(node, f"{name} takes at most {positional} positional arguments")
        for a in node.args:
            if isinstance(a, ast.Starred):
                self.fail(node, f"{name}: *args")
        for k in node.keywords:
            if k.arg is None:
                if name != "super().__init__":
                    self.fail(node, f"{name}: **kwargs")
            elif k.arg not in kwargs:
                self.fail(node, f"{name} has no argument {k.arg}")

    def check_dag(self, stmt):
        if len(stmt.items) != 1 or not isinstance(stmt.items[0].context_expr, ast.Call) \
                or callee(stmt.items[0].context_expr.func) != "DAG" or stmt.items[0].optional_vars:
            self.fail(stmt, "the module-level with block must be `with DAG(...)`")
            return
        self.dag_kwargs = {k.arg: self.value(k.value) for k in stmt.items[0].context_expr.keywords}
        self.dag_body(stmt.body, "")

    def dag_body(self, body, group):
        for stmt in body:
            if isinstance(stmt, ast.With) and not group:
                call = stmt.items[0].context_expr
                if len(stmt.items) != 1 or not isinstance(call, ast.Call) or callee(call.func) != "TaskGroup":
                    self.fail(stmt, "only TaskGroup blocks inside the DAG")
                    continue
                kw = {k.arg: self.value(k.value) for k in call.keywords}
                gid = kw.get("group_id")
                if kw.get("prefix_group_id") is not False:
                    self.fail(stmt, "task groups keep the spec's task IDs (prefix_group_id=False)")
                self.groups.append(gid)
                self.dag_body(stmt.body, gid)
            elif isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Call):
                var = stmt.targets[0].id
                kwargs = {k.arg: k.value for k in stmt.value.keywords}
                task_id = self.value(kwargs.get("task_id", ast.Constant(None)))
                if var in self.vars:
                    self.fail(stmt, f"variable {var} assigned twice")
                if task_id in self.tasks:
                    self.fail(stmt, f"task ID {task_id!r} defined twice")
                self.vars[var] = task_id
                self.tasks[task_id] = {
                    "callee": callee(stmt.value.func),
                    "kwargs": {k: self.value(v) for k, v in kwargs.items()},
                    "group": group,
                    "node": stmt,
                }
            elif isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.BinOp) and not group:
                self.chain(stmt.value)
            else:
                self.fail(stmt, f"unexpected {type(stmt).__name__} in the DAG block")

    def chain(self, node):
        """Read `a >> b >> c` into edges; returns the right-most task IDs."""
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.RShift):
            left = self.chain(node.left)
            right = self.chain(node.right)
            for a in left:
                for b in right:
                    self.edges.add((a, b))
            return right
        if isinstance(node, ast.Name) and node.id in self.vars:
            return [self.vars[node.id]]
        if isinstance(node, ast.List):
            return [t for e in node.elts for t in self.chain(e)]
        self.fail(node, "a dependency that is not between task variables")
        return []

    # --- IDs and graph ------------------------------------------------------

    def check_graph(self):
        w = self.want
        dag_id = (self.dag_kwargs or {}).get("dag_id")
        if dag_id != w["dag_id"] or not AIRFLOW_ID.match(dag_id or "") or len(dag_id) > 250:
            self.errors.append(f"{self.path}: dag_id {dag_id!r}, want {w['dag_id']!r}, a valid Airflow ID")
        for tid in self.tasks:
            if not isinstance(tid, str) or not AIRFLOW_ID.match(tid) or len(tid) > 250:
                self.errors.append(f"{self.path}: task ID {tid!r} is not a valid Airflow ID")
        for gid in self.groups:
            if not isinstance(gid, str) or not GROUP_ID.match(gid):
                self.errors.append(f"{self.path}: group ID {gid!r} is not valid")
        if len(set(self.groups)) != len(self.groups) or set(self.groups) & set(self.tasks):
            self.errors.append(f"{self.path}: group IDs {self.groups} repeat or clash with task IDs")
        if set(self.tasks) != set(w["tasks"]):
            self.errors.append(f"{self.path}: tasks {sorted(self.tasks)}, want {sorted(w['tasks'])}")
        want_edges = {(a, t) for t, spec in w["tasks"].items() for a in spec["after"]}
        if self.edges != want_edges:
            self.errors.append(f"{self.path}: edges {sorted(self.edges)}, want {sorted(want_edges)}")
        downstream = {}
        for a, b in self.edges:
            downstream.setdefault(a, []).append(b)
        state = {}

        def visit(n, path):
            state[n] = 1
            for m in downstream.get(n, []):
                if state.get(m) == 1:
                    self.errors.append(f"{self.path}: dependency cycle {' -> '.join(path + [m])}")
                elif not state.get(m):
                    visit(m, path + [m])
            state[n] = 2

        for n in sorted(self.tasks, key=str):
            if not state.get(n):
                visit(n, [n])

    # --- tasks ----------------------------------------------------------------

    def expect(self, task_id, what, got, want):
        if got != want:
            self.errors.append(f"{self.path}: task {task_id}: {what} is {got!r}, want {want!r}")

    def check_tasks(self):
        w = self.want
        d = self.dag_kwargs or {}
        self.expect("-", "schedule", d.get("schedule"), w["schedule"])
        self.expect("-", "catchup", d.get("catchup"), w["catchup"])
        self.expect("-", "start_date", d.get("start_date"),
                    ("pendulum.datetime", w["start"], {"tz": "UTC"}))
        self.expect("-", "tags", d.get("tags"), w["tags"] or None)
        for tid, spec in w["tasks"].items():
            task = self.tasks.get(tid)
            if not task:
                continue
            kw = task["kwargs"]
            self.expect(tid, "group", task["group"], spec["group"])
            self.expect(tid, "retries", kw.get("retries"), spec["retries"])
            self.expect(tid, "retry_delay", seconds(kw.get("retry_delay")), spec["retry_delay"])
            self.expect(tid, "execution_timeout", seconds(kw.get("execution_timeout")), spec["timeout"])
            self.expect(tid, "pool", kw.get("pool"), spec["pool"] or None)
            self.expect(tid, "trigger_rule", kw.get("trigger_rule"), spec["trigger_rule"] or None)
            if kw.get("trigger_rule") is not None and kw["trigger_rule"] not in TRIGGER_RULES:
                self.errors.append(f"{self.path}: task {tid}: trigger rule {kw['trigger_rule']!r} does not exist")
            runner = {
                "KubernetesPodOperator": "kubernetes_pod",
                "PipecDockerOperator": "docker",
                "PythonOperator": "kubernetes_executor",
            }.get(task["callee"])
            self.expect(tid, "runner", runner, spec["runner"])
            if runner == "kubernetes_pod":
                self.check_pod_task(tid, kw, spec)
            elif runner == "docker":
                self.check_docker_task(tid, kw, spec)
            elif runner == "kubernetes_executor":
                self.check_executor_task(tid, kw, spec)

    def check_pod_task(self, tid, kw, spec):
        w = self.want
        self.expect(tid, "image", kw.get("image"), spec["image"])
        self.expect(tid, "cmds", kw.get("cmds"), spec["command"] or None)
        self.expect(tid, "arguments", kw.get("arguments"), spec["args"] or None)
        plain, secrets = env_vars(kw.get("env_vars"))
        for s in kw.get("secrets") or []:
            if not (isinstance(s, tuple) and s[0] == "Secret" and len(s[1]) == 4 and s[1][0] == "env"):
                self.errors.append(f"{self.path}: task {tid}: secret {s!r} is not Secret(\"env\", NAME, SECRET, KEY)")
                continue
            _, name, secret, key = s[1]
            if name != name.upper():
                self.errors.append(f"{self.path}: task {tid}: Secret would upper-case {name!r}")
            secrets[name] = [secret, key]
        self.expect(tid, "env_vars", plain, spec["env"])
        self.expect(tid, "secrets", secrets, {n: [w["secret_name"], s] for n, s in spec["secrets"].items()})
        self.expect(tid, "namespace", kw.get("namespace"), w["namespace"])
        self.expect(tid, "service_account_name", kw.get("service_account_name"), w["service_account"])
        self.expect(tid, "automount_service_account_token", kw.get("automount_service_account_token"), False)
        self.expect(tid, "on_finish_action", kw.get("on_finish_action"), "delete_succeeded_pod")
        self.expect(tid, "get_logs", kw.get("get_logs"), True)
        self.expect(tid, "resources", resources(kw.get("container_resources")), spec["resources"])
        self.check_pod_security(tid, kw.get("security_context"), spec["user"])
        self.check_container_security(tid, kw.get("container_security_context"), True)
        volumes = {v["name"]: v for v in kw.get("volumes") or [] if isinstance(v, K8s)}
        tmp = [m for m in kw.get("volume_mounts") or [] if isinstance(m, K8s) and m["mount_path"] == "/tmp"]
        if len(tmp) != 1 or not isinstance(volumes.get(tmp[0]["name"]), K8s) \
                or not isinstance(volumes[tmp[0]["name"]]["empty_dir"], K8s):
            self.errors.append(f"{self.path}: task {tid}: /tmp is not an emptyDir volume")
        for v in volumes.values():
            if set(v.fields) - {"name", "empty_dir"}:
                self.errors.append(f"{self.path}: task {tid}: volume {v!r} is not allowed by Pod Security restricted here")

    def check_docker_task(self, tid, kw, spec):
        self.expect(tid, "image", kw.get("image"), spec["image"])
        self.expect(tid, "entrypoint", kw.get("entrypoint"), spec["command"] or None)
        self.expect(tid, "command", kw.get("command"), spec["args"] or None)
        self.expect(tid, "environment", kw.get("environment"), spec["env"])
        self.expect(tid, "secret_env", kw.get("secret_env") or {}, spec["secrets"])
        self.expect(tid, "user", kw.get("user"), f"{spec['user']}:{spec['user']}")
        self.expect(tid, "auto_remove", kw.get("auto_remove"), "success")
        if spec["resources"]:
            want_cpus = milli(spec["resources"][0]["cpu"]) / 1000
            self.expect(tid, "cpus", kw.get("cpus"), want_cpus)
            if not isinstance(kw.get("mem_limit"), int) or kw["mem_limit"] <= 0:
                self.errors.append(f"{self.path}: task {tid}: mem_limit {kw.get('mem_limit')!r}")

    def check_executor_task(self, tid, kw, spec):
        w = self.want
        self.expect(tid, "python_callable", kw.get("python_callable"), Ref("run_command"))
        self.expect(tid, "op_args", kw.get("op_args"), [spec["command"] + spec["args"], spec["env"]])
        pod = (kw.get("executor_config") or {}).get("pod_override")
        if not isinstance(pod, K8s) or pod.cls != "V1Pod":
            self.errors.append(f"{self.path}: task {tid}: no pod_override V1Pod")
            return
        meta, podspec = pod["metadata"], pod["spec"]
        self.expect(tid, "pod namespace", meta and meta["namespace"], w["namespace"])
        self.expect(tid, "pod service account", podspec and podspec["service_account_name"], w["service_account"])
        containers = (podspec and podspec["containers"]) or []
        if len(containers) != 1 or containers[0]["name"] != "base":
            self.errors.append(f"{self.path}: task {tid}: pod_override must override the one container, base")
            return
        c = containers[0]
        self.expect(tid, "image", c["image"], spec["image"])
        plain, secrets = env_vars(c["env"])
        self.expect(tid, "pod env", plain, {})
        self.expect(tid, "secrets", secrets, {n: [w["secret_name"], s] for n, s in spec["secrets"].items()})
        self.expect(tid, "resources", resources(c["resources"]), spec["resources"])
        self.check_pod_security(tid, podspec["security_context"], spec["user"])
        self.check_container_security(tid, c["security_context"], False)

    def check_pod_security(self, tid, sc, user):
        ok = (
            isinstance(sc, K8s)
            and sc.cls == "V1PodSecurityContext"
            and sc["run_as_non_root"] is True
            and sc["run_as_user"] == user
            and isinstance(user, int) and user > 0
            and isinstance(sc["seccomp_profile"], K8s)
            and sc["seccomp_profile"]["type"] == "RuntimeDefault"
        )
        if not ok:
            self.errors.append(f"{self.path}: task {tid}: pod security context {sc!r} is not restricted as user {user}")

    def check_container_security(self, tid, sc, read_only_root):
        caps = isinstance(sc, K8s) and sc["capabilities"]
        ok = (
            isinstance(sc, K8s)
            and sc.cls == "V1SecurityContext"
            and sc["allow_privilege_escalation"] is False
            and isinstance(caps, K8s)
            and caps["drop"] == ["ALL"]
            and not caps["add"]
            and not sc["privileged"]
            and (not read_only_root or sc["read_only_root_filesystem"] is True)
        )
        if not ok:
            self.errors.append(f"{self.path}: task {tid}: container security context {sc!r} is not restricted")


def env_vars(value):
    """Split env_vars (a dict, or a list of V1EnvVar) into plain values and
    secrets: name -> [Kubernetes Secret, key]."""
    plain, secrets = {}, {}
    if isinstance(value, dict):
        return dict(value), secrets
    for v in value or []:
        if v["value_from"] is not None:
            ref = v["value_from"]["secret_key_ref"]
            secrets[v["name"]] = [ref["name"], ref["key"]]
        else:
            plain[v["name"]] = v["value"]
    return plain, secrets


def resources(r):
    if r is None:
        return None
    return [r["requests"], r["limits"]]


def seconds(td):
    return int(td.total_seconds()) if isinstance(td, datetime.timedelta) else 0


def milli(q):
    return int(q[:-1]) if q.endswith("m") else int(float(q) * 1000)


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        expected = json.load(f)
    errors = []
    for dag in expected["dags"]:
        try:
            errors += Checker(dag["path"], dag).check()
        except Failure as e:
            errors.append(str(e))
    for e in errors:
        print(e)
    print(f"checked {len(expected['dags'])} DAG files: {len(errors)} problems")
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
