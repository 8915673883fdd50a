package airflow

import (
	"bytes"
	"encoding/json"
	"flag"
	"maps"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pipec/pipec/schema"
	"github.com/pipec/pipec/targets"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// python3 returns the interpreter the checks run in, or skips the test.
func python3(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 is not installed: the generated DAGs cannot be parsed and checked (install python3 to run this test)")
	}
	return p
}

func generate(t *testing.T, spec *schema.Spec) []targets.File {
	t.Helper()
	files, err := Target{}.Generate(spec)
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// expectedDAG is what check_dag.py checks one file against, worked out
// from the spec here rather than by the code under test.
type expectedDAG struct {
	Path           string                  `json:"path"`
	DAGID          string                  `json:"dag_id"`
	Schedule       *string                 `json:"schedule"`
	Start          [3]int                  `json:"start"`
	Catchup        bool                    `json:"catchup"`
	Tags           []string                `json:"tags"`
	Namespace      string                  `json:"namespace"`
	ServiceAccount string                  `json:"service_account"`
	SecretName     string                  `json:"secret_name"`
	Tasks          map[string]expectedTask `json:"tasks"`
}

type expectedTask struct {
	Runner      string              `json:"runner"`
	Group       string              `json:"group"`
	After       []string            `json:"after"`
	Image       string              `json:"image"`
	Command     []string            `json:"command"`
	Args        []string            `json:"args"`
	Env         map[string]string   `json:"env"`
	Secrets     map[string]string   `json:"secrets"`
	User        int                 `json:"user"`
	Retries     int                 `json:"retries"`
	RetryDelay  int64               `json:"retry_delay"`
	Timeout     int64               `json:"timeout"`
	Pool        string              `json:"pool"`
	TriggerRule string              `json:"trigger_rule"`
	Resources   []map[string]string `json:"resources"`
}

func expectation(file string, p *schema.Pipeline, id string, d *schema.DAG) expectedDAG {
	start, _ := time.Parse("2006-01-02", d.Start)
	want := expectedDAG{
		Path: file, DAGID: id, Schedule: d.Schedule, Catchup: d.Catchup, Tags: d.Tags,
		Start:          [3]int{start.Year(), int(start.Month()), start.Day()},
		Namespace:      p.Namespace,
		ServiceAccount: d.KubernetesServiceAccount,
		SecretName:     d.KubernetesServiceAccount + "-secrets",
		Tasks:          map[string]expectedTask{},
	}
	for tid, task := range d.Tasks {
		img := p.Images[task.Image]
		et := expectedTask{
			Runner: task.Runner, Group: task.Group, After: append([]string{}, task.After...),
			Image: img.Ref, Command: append([]string{}, img.Command...), Args: append([]string{}, task.Args...),
			Env: map[string]string{"GOOGLE_CLOUD_PROJECT": p.Project}, Secrets: map[string]string{},
			User: img.User, Retries: d.Retries, RetryDelay: d.RetryDelay.Seconds(), Timeout: d.Timeout.Seconds(),
			Pool: task.Pool, TriggerRule: task.TriggerRule,
		}
		if et.Runner == "" {
			et.Runner = d.Runner
		}
		for name, v := range task.Env {
			if v.Secret != "" {
				et.Secrets[name] = v.Secret
				delete(et.Env, name)
			} else {
				et.Env[name] = v.Value
			}
		}
		if task.Retries != nil {
			et.Retries = *task.Retries
		}
		if task.RetryDelay != 0 {
			et.RetryDelay = task.RetryDelay.Seconds()
		}
		if task.Timeout != 0 {
			et.Timeout = task.Timeout.Seconds()
		}
		if r := task.Resources; r != nil {
			et.Resources = []map[string]string{{"cpu": r.CPU, "memory": r.Memory}, {"memory": r.MemoryLimit}}
		}
		want.Tasks[tid] = et
	}
	return want
}

// check writes the files to a directory and runs check_dag.py over them.
func check(t *testing.T, specs ...*schema.Spec) {
	t.Helper()
	py := python3(t)
	dir := t.TempDir()
	dags := []expectedDAG{}
	for _, spec := range specs {
		files := generate(t, spec)
		byPath := map[string]targets.File{}
		for _, f := range files {
			byPath[f.Path] = f
		}
		for _, p := range spec.Envs {
			for id, d := range p.DAGs {
				rel := path.Join(spec.Name, "dags", p.Env, id+".py")
				f, ok := byPath[rel]
				if !ok {
					t.Fatalf("%s was not generated", rel)
				}
				file := filepath.Join(dir, filepath.FromSlash(rel))
				if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(file, f.Data, 0o644); err != nil {
					t.Fatal(err)
				}
				dags = append(dags, expectation(file, p, id, d))
			}
		}
	}
	want, err := json.MarshalIndent(map[string]any{"dags": dags}, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	wantFile := filepath.Join(dir, "expected.json")
	if err := os.WriteFile(wantFile, want, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(py, filepath.Join("testdata", "check_dag.py"), wantFile).CombinedOutput()
	if err != nil {
		t.Fatalf("check_dag.py: %v\n%s", err, out)
	}
	t.Logf("%s", out)
}

// TestWarehousePassesTheChecker runs the example's DAG, in dev and prod,
// through check_dag.py: it parses, imports only real modules, calls only
// real signatures, and defines the spec's tasks and graph.
func TestWarehousePassesTheChecker(t *testing.T) { check(t, warehouse()) }

// TestEveryRunnerPassesTheChecker does the same for a DAG that uses all
// three runners, every task setting, and strings that a careless encoder
// would break: the checker reads them back and compares them with the spec.
func TestEveryRunnerPassesTheChecker(t *testing.T) { check(t, mixed()) }

// TestCheckerCatchesMistakes makes sure the checker is not a rubber stamp:
// each edit of a good file must fail it.
func TestCheckerCatchesMistakes(t *testing.T) {
	py := python3(t)
	spec := mixed()
	p := spec.Envs[0]
	id := "manual.mixed-runners"
	var good string
	for _, f := range generate(t, spec) {
		if f.Path == "mixed/dags/dev/manual.mixed-runners.py" {
			good = string(f.Data)
		}
	}
	for _, tc := range []struct{ name, old, new string }{
		{"removed argument", "schedule=None,", "schedule_interval=None,"},
		{"unknown kwarg", `get_logs=True,`, `get_logs=True, is_delete_operator_pod=True,`},
		{"old module", "airflow.providers.cncf.kubernetes.operators.pod import", "airflow.providers.cncf.kubernetes.operators.kubernetes_pod import"},
		{"missing edge", "    task_super >> run_1\n", ""},
		{"cycle", "    run_1 >> run_1_2\n", "    run_1 >> run_1_2\n    run_1_2 >> task_class\n"},
		{"changed argument", `"quote\"d"`, `"quote'd"`},
		{"literal secret", `secret_env={"TOKEN": "mixed-token"},`, `private_environment={"TOKEN": "hunter2"},`},
		{"root", "run_as_user=50000,", "run_as_user=0,"},
		{"import-time code", "\nwith DAG(", "\nprint(\"hello\")\n\nwith DAG("},
		{"duplicate task", `task_id="run_1",`, `task_id="run-1",`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if !strings.Contains(good, tc.old) {
				t.Fatalf("the file does not contain %q", tc.old)
			}
			dir := t.TempDir()
			file := filepath.Join(dir, "dag.py")
			if err := os.WriteFile(file, []byte(strings.Replace(good, tc.old, tc.new, 1)), 0o644); err != nil {
				t.Fatal(err)
			}
			want, _ := json.Marshal(map[string]any{"dags": []expectedDAG{expectation(file, p, id, p.DAGs[id])}})
			wantFile := filepath.Join(dir, "expected.json")
			if err := os.WriteFile(wantFile, want, 0o644); err != nil {
				t.Fatal(err)
			}
			out, err := exec.Command(py, filepath.Join("testdata", "check_dag.py"), wantFile).CombinedOutput()
			if err == nil {
				t.Fatalf("check_dag.py accepted the edit:\n%s", out)
			}
			t.Logf("%s", out)
		})
	}
}

// TestGolden compares the generated files of the warehouse example (dev)
// and of the every-runner DAG with testdata/golden. Run with -update to
// rewrite them, then read the diff.
func TestGolden(t *testing.T) {
	for _, tc := range []struct {
		spec *schema.Spec
		file string
	}{
		{warehouse(), "warehouse/dags/dev/daily_revenue.py"},
		{mixed(), "mixed/dags/dev/manual.mixed-runners.py"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			var got []byte
			for _, f := range generate(t, tc.spec) {
				if f.Path == tc.file {
					got = f.Data
				}
			}
			if got == nil {
				t.Fatalf("%s was not generated", tc.file)
			}
			golden := filepath.Join("testdata", "golden", filepath.FromSlash(tc.file))
			if *update {
				if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from %s (run go test -update and read the diff):\n%s", tc.file, golden, got)
			}
		})
	}
}

// TestDeterministic generates each spec many times: map iteration order
// must never show in the output.
func TestDeterministic(t *testing.T) {
	for _, build := range []func() *schema.Spec{warehouse, mixed} {
		first := generate(t, build())
		for range 20 {
			again := generate(t, build())
			if !slices.EqualFunc(first, again, func(a, b targets.File) bool {
				return a.Path == b.Path && a.Env == b.Env && bytes.Equal(a.Data, b.Data)
			}) {
				t.Fatalf("two runs over the same spec differ")
			}
		}
	}
}

func TestFiles(t *testing.T) {
	spec := warehouse()
	files := generate(t, spec)
	var got []string
	for _, f := range files {
		got = append(got, f.Env+" "+f.Path)
		if first, _, _ := strings.Cut(string(f.Data), "\n"); first != "# "+targets.Marker(spec) {
			t.Errorf("%s starts with %q, want the marker", f.Path, first)
		}
	}
	want := []string{
		"dev warehouse/dags/dev/daily_revenue.py",
		"prod warehouse/dags/prod/daily_revenue.py",
	}
	if !slices.Equal(got, want) {
		t.Errorf("files %q, want %q", got, want)
	}
	// prod differs in its project, registry, namespace and retries.
	dev, prod := string(files[0].Data), string(files[1].Data)
	for _, s := range []string{`"warehouse-prod-4821"`, `namespace="warehouse-prod"`, "retries=3,", "warehouse-prod-4821/pipelines/revenue:latest"} {
		if !strings.Contains(prod, s) || strings.Contains(dev, s) {
			t.Errorf("%s should be in prod's file only", s)
		}
	}
}

func TestNoDAGsNoFiles(t *testing.T) {
	spec := warehouse()
	for _, p := range spec.Envs {
		p.DAGs = map[string]*schema.DAG{}
	}
	if files := generate(t, spec); len(files) != 0 {
		t.Errorf("generated %d files for a pipeline without DAGs", len(files))
	}
}

// TestMarkerWithLineBreak pins that the header comment cannot be used to
// start a line of code.
func TestMarkerWithLineBreak(t *testing.T) {
	spec := warehouse()
	spec.Dir = "pipelines/x\nimport os"
	if _, err := (Target{}).Generate(spec); err == nil {
		t.Error("a spec directory with a line break was written into a comment")
	}
}

func TestVariables(t *testing.T) {
	d := &schema.DAG{Tasks: map[string]*schema.Task{}}
	for _, id := range []string{"a-b", "a.b", "a_b", "a_b_2", "class", "1st", "k8s", "super", "__builtins__", "DAG", "run_command", "ok"} {
		d.Tasks[id] = &schema.Task{}
	}
	vars := variables(d)
	seen := map[string]string{}
	for _, id := range slices.Sorted(maps.Keys(vars)) {
		v := vars[id]
		if other, ok := seen[v]; ok {
			t.Errorf("tasks %q and %q share the variable %q", other, id, v)
		}
		seen[v] = id
		if reserved[v] || v[0] >= '0' && v[0] <= '9' || strings.HasPrefix(v, "__") {
			t.Errorf("task %q has the variable %q, which shadows or is not a name", id, v)
		}
	}
	if vars["ok"] != "ok" || vars["a-b"] != "a_b" {
		t.Errorf("plain IDs should keep their names: %v", vars)
	}
}

func TestName(t *testing.T) {
	if got := (Target{}).Name(); got != "airflow" {
		t.Errorf("Name() = %q", got)
	}
}
