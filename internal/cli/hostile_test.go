package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pipec/pipec/internal/manifest"
)

// Strings written to break out of each output format. A valid spec may
// hold them; the outputs must carry them as data.
var (
	yamlBreakout   = "x\nkind: Secret\n---\napiVersion: v1 # '\""
	shellBreakout  = `attributes.k = "a'b" AND attributes.c = "$(touch /tmp/pwned)` + "`id`" + `"`
	pythonBreakout = `{{ ds }}"); import os; os.system("id"); print("` + "\\" + `'''`
)

const hostileSpec = `package evil

name:          "evil"
project:       string
projectNumber: "123456789012"
images: web: {
	context: "web"
	python:  "3.12"
	copy: ["app.py"]
	command: ["python", "app.py"]
}
topics: orders: {}
subscriptions: "orders-pull": {topic: "orders", filter: SHELL}
services: web: {image: "web", publishes: ["orders"], env: NOTE: YAML}
dags: d: {
	schedule: null
	start:    "2026-01-01"
	tasks: t: {image: "web", args: [PYTHON], env: NOTE: YAML}
}
environments: dev: project: "evil-dev-123"
`

func TestHostileValuesStayData(t *testing.T) {
	repo := t.TempDir()
	src := strings.NewReplacer("SHELL", jsonString(shellBreakout), "YAML", jsonString(yamlBreakout), "PYTHON", jsonString(pythonBreakout)).Replace(hostileSpec)
	spec := filepath.Join(repo, "pipelines", "evil")
	must(t, os.MkdirAll(filepath.Join(spec, "web"), 0o755))
	must(t, os.WriteFile(filepath.Join(spec, "pipeline.cue"), []byte(src), 0o644))
	must(t, os.WriteFile(filepath.Join(spec, "web", "app.py"), []byte("print(1)\n"), 0o644))
	out := filepath.Join(repo, "deploy")
	var stderr bytes.Buffer
	if code := Run(context.Background(), []string{"build", "-o", out, spec}, &stderr, &stderr); code != 0 {
		t.Fatalf("build exited %d:\n%s", code, stderr.String())
	}

	t.Run("yaml", func(t *testing.T) {
		data, err := os.ReadFile(filepath.Join(out, "evil/rendered/dev/deployment-web.yaml"))
		must(t, err)
		docs, err := manifest.Decode(data)
		must(t, err)
		if len(docs) != 1 || docs[0]["kind"] != "Deployment" {
			t.Fatalf("the value opened new documents: %d documents", len(docs))
		}
		if !strings.Contains(mustJSON(t, docs[0]), jsonString(yamlBreakout)) {
			t.Errorf("the Deployment does not carry the env value exactly")
		}
	})

	t.Run("python", func(t *testing.T) {
		py, err := exec.LookPath("python3")
		if err != nil {
			t.Skip("python3 not found: install it to check generated DAGs")
		}
		// Print every string constant of the module: the breakout must be
		// one of them, whole, and no os.system call may exist.
		script := `import ast, json, sys
tree = ast.parse(open(sys.argv[1]).read())
calls = [n.func.attr for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)]
print(json.dumps({"strings": [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)], "calls": calls}))`
		got, err := exec.Command(py, "-c", script, filepath.Join(out, "evil/dags/dev/d.py")).Output()
		must(t, err)
		var parsed struct {
			Strings []string `json:"strings"`
			Calls   []string `json:"calls"`
		}
		must(t, json.Unmarshal(got, &parsed))
		if !contains(parsed.Strings, pythonBreakout) || !contains(parsed.Strings, yamlBreakout) {
			t.Errorf("the DAG does not hold the task's argument and env value as whole string constants")
		}
		if contains(parsed.Calls, "system") {
			t.Errorf("the argument became code: os.system is called")
		}
	})

	t.Run("shell", func(t *testing.T) {
		// A fake gcloud records its arguments: describe fails, so the
		// script creates, and the create must receive the filter whole.
		bin := t.TempDir()
		log := filepath.Join(bin, "args")
		fake := "#!/bin/sh\nfor a in \"$@\"; do printf '%s\\n--\\n' \"$a\" >> " + log + "; done\nprintf '==\\n' >> " + log + "\ncase \"$*\" in *describe*) exit 1;; esac\nexit 0\n"
		for _, name := range []string{"gcloud", "bq"} {
			must(t, os.WriteFile(filepath.Join(bin, name), []byte(fake), 0o755))
		}
		cmd := exec.Command("bash", filepath.Join(out, "evil/gcp/dev/apply.sh"), "--only", "pubsub")
		cmd.Env = append(os.Environ(), "PATH="+bin+":"+os.Getenv("PATH"))
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("apply.sh with a fake gcloud: %v\n%s", err, b)
		}
		args, err := os.ReadFile(log)
		must(t, err)
		if !strings.Contains(string(args), "--message-filter="+shellBreakout+"\n--\n") {
			t.Errorf("gcloud did not receive the filter as one whole argument:\n%s", args)
		}
		if _, err := os.Stat("/tmp/pwned"); err == nil {
			t.Errorf("the filter ran a command")
		}
	})
}

func jsonString(s string) string { b, _ := json.Marshal(s); return string(b) }

func mustJSON(t *testing.T, v any) string {
	b, err := json.Marshal(v)
	must(t, err)
	return string(b)
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
