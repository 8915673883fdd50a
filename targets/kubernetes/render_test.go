package kubernetes

import (
	"bytes"
	"context"
	"fmt"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"

	"github.com/pipec/pipec/bench/compiled"
	"github.com/pipec/pipec/bench/synth"
	"github.com/pipec/pipec/compiler"
	"github.com/pipec/pipec/internal/manifest"
	pipec "github.com/pipec/pipec/schema"
	"github.com/pipec/pipec/targets"
)

// kustomizeRender builds env's overlay from the generated kustomize files
// with kustomize's own library, in memory, as `kubectl kustomize` does, and
// returns the objects as render writes them.
func kustomizeRender(spec *pipec.Spec, env string, files []targets.File) ([]targets.File, error) {
	fs := filesys.MakeFsInMemory()
	for _, f := range files {
		if err := fs.WriteFile("/"+f.Path, f.Data); err != nil {
			return nil, err
		}
	}
	opts := krusty.MakeDefaultOptions()
	opts.Reorder = krusty.ReorderOptionLegacy
	overlay := path.Join("/", spec.Name, "k8s", "overlays", env)
	m, err := krusty.MakeKustomizer(opts).Run(fs, overlay)
	if err != nil {
		return nil, fmt.Errorf("kustomize build %s: %w", overlay, err)
	}
	header := targets.HashComment(spec)
	var out []targets.File
	for _, r := range m.Resources() {
		obj, err := r.Map()
		if err != nil {
			return nil, err
		}
		o := &object{kind: r.GetKind(), name: r.GetName()}
		data, err := manifest.File(header, obj)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", o.id(), err)
		}
		out = append(out, targets.File{Path: path.Join(spec.Name, "rendered", env, o.file()), Data: data, Env: env})
	}
	return out, nil
}

// airflowSubjects is tweetsVaried with Airflow ServiceAccounts that
// kustomize could move into the pipeline's namespace: one named "default"
// (which the overlay's namespace transformer leaves alone), and one named
// like the pipeline's own collector, in dev without a namespace and in prod
// in the namespace "default" (which kustomize's name references move).
func airflowSubjects() *pipec.Spec {
	spec := tweetsVaried()
	accounts := []string{"default", "collector", "airflow-worker"}
	spec.Envs[0].Airflow = pipec.Airflow{ServiceAccounts: accounts}
	spec.Envs[1].Airflow = pipec.Airflow{Namespace: "default", ServiceAccounts: accounts}
	return spec
}

// syntheticSpecs compiles n of the benchmarks' synthetic pipelines.
func syntheticSpecs(t *testing.T, n int) []*pipec.Spec {
	t.Helper()
	root := t.TempDir()
	if err := synth.Write(root, n); err != nil {
		t.Fatal(err)
	}
	var dirs []string
	for i := 1; i <= n; i++ {
		dirs = append(dirs, filepath.Join(root, "pipelines", synth.Name(i)))
	}
	res, err := compiler.Compile(context.Background(), dirs, compiler.Options{Root: root})
	if err != nil {
		t.Fatal(err)
	}
	if res.Diagnostics.HasErrors() || len(res.Specs) != n {
		var b strings.Builder
		res.Diagnostics.Print(&b)
		t.Fatalf("synthetic pipelines do not compile:\n%s", b.String())
	}
	return res.Specs
}

// TestRenderMatchesKustomize checks that render, which computes what
// kustomize makes of each overlay, agrees with kustomize: for every spec
// the tests use, the examples and a few synthetic pipelines, each
// environment's rendered files are those kustomize's library renders from
// the generated overlay, byte for byte and in the same order.
func TestRenderMatchesKustomize(t *testing.T) {
	all := specs()
	all["airflow-subjects"] = airflowSubjects()
	for _, name := range []string{"tweets", "warehouse"} {
		all["example "+name] = compiled.Spec(t, name)
	}
	for _, spec := range syntheticSpecs(t, 3) {
		all["synthetic "+spec.Name] = spec
	}
	for name, spec := range all {
		files, err := Target{}.Generate(spec)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var sources []targets.File
		got := map[string][]targets.File{}
		for _, f := range files {
			if strings.HasPrefix(f.Path, spec.Name+"/rendered/") {
				got[f.Env] = append(got[f.Env], f)
			} else {
				sources = append(sources, f)
			}
		}
		for _, p := range spec.Envs {
			want, err := kustomizeRender(spec, p.Env, sources)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if g, w := filePaths(got[p.Env]), filePaths(want); !slices.Equal(g, w) {
				t.Errorf("%s/%s: rendered\n%s\nkustomize renders\n%s", name, p.Env, strings.Join(g, "\n"), strings.Join(w, "\n"))
				continue
			}
			for i, w := range want {
				if g := got[p.Env][i]; !bytes.Equal(g.Data, w.Data) || g.Env != w.Env {
					t.Errorf("%s: %s (env %q) is\n%s\nkustomize renders (env %q)\n%s", name, g.Path, g.Env, g.Data, w.Env, w.Data)
				}
			}
		}
	}
}

func filePaths(files []targets.File) []string {
	var paths []string
	for _, f := range files {
		paths = append(paths, f.Path)
	}
	return paths
}

// A literal image name is matched without compiling a pattern for it, and
// matches exactly what kustomize's pattern for it matches.
func TestLiteralImageNamesMatchAsKustomizesPattern(t *testing.T) {
	refs := []string{
		"web", "web:1", "web:1.2.3-rc{x}", "web@sha256:abc", "web:1@sha256:abc", "web@sha256+x:abc",
		"webx", "web/x", "registry/web", "web:", "web@", "web@sha256", "web:1@", "xweb", "", "web:a b", "web@sha256:ab/c",
	}
	for _, name := range []string{"web", "stats-2", "a"} {
		rule := imageRules([]image{{Name: name}})[0]
		if !rule.literal {
			t.Fatalf("%q: not taken as a literal name", name)
		}
		full := regexp.MustCompile("^" + name + imageTag + "$")
		for _, ref := range append(refs, name, name+":latest", name+"@sha256:0") {
			if got, want := rule.match(ref), full.MatchString(ref); got != want {
				t.Errorf("name %q, ref %q: match %v, kustomize's pattern %v", name, ref, got, want)
			}
		}
	}
	if rule := imageRules([]image{{Name: "web.*"}})[0]; rule.literal || !rule.match("web-api:1") {
		t.Errorf("a name with pattern characters is not matched as kustomize's pattern: %+v", rule)
	}
}

// Airflow running as its namespace's "default" ServiceAccount gets the
// RoleBinding in every environment: the overlays' namespace transformer
// leaves RBAC subjects where they are, where kustomize's namespace field
// would move a subject named "default" into the pipeline's namespace.
func TestAirflowDefaultServiceAccountKeepsItsNamespace(t *testing.T) {
	spec := airflowSubjects()
	files, err := Target{}.Generate(spec)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range spec.Envs {
		var binding map[string]any
		for _, f := range files {
			if f.Env == p.Env && path.Base(f.Path) == "rolebinding-airflow-pod-launcher.yaml" && strings.Contains(f.Path, "/rendered/") {
				docs, err := manifest.Decode(f.Data)
				if err != nil || len(docs) != 1 {
					t.Fatalf("%s: %v", f.Path, err)
				}
				binding = docs[0]
			}
		}
		if binding == nil {
			t.Fatalf("%s: no rendered RoleBinding for Airflow", p.Env)
		}
		found := false
		for _, s := range binding["subjects"].([]any) {
			s := s.(map[string]any)
			if s["name"] == "default" {
				found = true
				if ns, _ := s["namespace"].(string); ns != p.Airflow.Namespace {
					t.Errorf("%s: subject default is in namespace %q, want Airflow's %q", p.Env, ns, p.Airflow.Namespace)
				}
			}
		}
		if !found {
			t.Errorf("%s: the RoleBinding has no subject named default: %v", p.Env, binding["subjects"])
		}
	}
}
